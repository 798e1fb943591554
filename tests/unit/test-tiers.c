/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the throttling tiers (am-tiers.c) on the policies that
 * dbscripts/apimgt seeds for the super tenant as WSO2 2.x does: the Tier
 * fields of each level, WSO2's listing filters (Unlimited only when
 * enabled, no Unauthenticated subscription tier), custom attributes and
 * bandwidth policies, and the default policies of a new tenant compared
 * column by column with the seeded super-tenant rows.  SQLite always,
 * MariaDB when AM_TEST_MYSQL_URL is set.
 */
#include "config.h"

#include "test-amdb.h"

#include "am-tiers.h"
#include "am-userstore.h"

typedef struct {
	Amdb a;
	gboolean skip;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	f->skip = !amdb_setup (&f->a, GPOINTER_TO_INT (data));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	amdb_teardown (&f->a);
}

static GPtrArray *
list (Fixture *f, AmTierLevel level, int tenant, gboolean unlimited)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->a.db, &error);
	GPtrArray *tiers;

	g_assert_no_error (error);
	tiers = am_tiers_list (conn, level, tenant, unlimited, &error);
	g_assert_no_error (error);
	g_assert_nonnull (tiers);
	return tiers;
}

static char *
names (GPtrArray *tiers)
{
	GString *s = g_string_new (NULL);

	for (guint i = 0; i < tiers->len; i++) {
		AmTier *t = tiers->pdata[i];
		g_string_append_printf (s, "%s%s", i ? "," : "", t->name);
	}
	return g_string_free (s, FALSE);
}

static AmTier *
get (Fixture *f, AmTierLevel level, const char *name, gboolean unlimited, GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->a.db, &local);

	g_assert_no_error (local);
	return am_tiers_get (conn, level, AM_SUPER_TENANT_ID, name, unlimited, error);
}

static void
test_subscription_tiers (Fixture *f, gconstpointer data)
{
	g_autoptr (GPtrArray) with = NULL;
	g_autoptr (GPtrArray) without = NULL;
	g_autofree char *n1 = NULL;
	g_autofree char *n2 = NULL;
	g_autoptr (AmTier) gold = NULL;
	g_autoptr (AmTier) unl = NULL;
	g_autoptr (AmTier) unauth = NULL;
	g_autoptr (GError) error = NULL;

	if (f->skip)
		return;
	with = list (f, AM_TIER_LEVEL_SUBSCRIPTION, AM_SUPER_TENANT_ID, TRUE);
	without = list (f, AM_TIER_LEVEL_SUBSCRIPTION, AM_SUPER_TENANT_ID, FALSE);
	n1 = names (with);
	n2 = names (without);
	/* sorted by name; Unauthenticated is never offered */
	g_assert_cmpstr (n1, ==, "Bronze,Gold,Silver,Unlimited");
	g_assert_cmpstr (n2, ==, "Bronze,Gold,Silver");

	gold = get (f, AM_TIER_LEVEL_SUBSCRIPTION, "Gold", TRUE, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (gold->display_name, ==, "Gold");
	g_assert_cmpstr (gold->description, ==, "Allows 5000 requests per minute");
	g_assert_cmpstr (gold->quota_type, ==, "requestCount");
	g_assert_cmpint (gold->request_count, ==, 5000);
	g_assert_cmpint (gold->unit_time, ==, 1);
	g_assert_cmpstr (gold->time_unit, ==, "min");
	g_assert_cmpint (gold->unit_time_ms, ==, 60000);
	g_assert_cmpstr (gold->tier_plan, ==, "FREE");
	g_assert_true (gold->stop_on_quota_reach);
	g_assert_true (gold->deployed);
	g_assert_cmpint (gold->rate_limit_count, ==, 0);
	g_assert_cmpuint (g_strv_length (gold->attribute_names), ==, 0);
	g_assert_cmpuint (strlen (gold->uuid), ==, 36);

	unl = get (f, AM_TIER_LEVEL_SUBSCRIPTION, "Unlimited", TRUE, &error);
	g_assert_no_error (error);
	g_assert_cmpint (unl->request_count, ==, 2147483647);
	g_assert_cmpint (unl->unit_time_ms, ==, 0);
	g_assert_cmpstr (unl->tier_plan, ==, "FREE");
	g_assert_cmpstr (unl->description, ==, "Allows unlimited requests");
	g_assert_null (get (f, AM_TIER_LEVEL_SUBSCRIPTION, "Unlimited", FALSE, &error));
	g_assert_error (error, AM_TIERS_ERROR, AM_TIERS_ERROR_NOT_FOUND);
	g_clear_error (&error);

	/* by name it is there (getPolicyByName) */
	unauth = get (f, AM_TIER_LEVEL_SUBSCRIPTION, "Unauthenticated", TRUE, &error);
	g_assert_no_error (error);
	g_assert_cmpint (unauth->request_count, ==, 500);
	g_assert_cmpstr (unauth->description, ==, "Allows 500 request(s) per minute");

	g_assert_null (get (f, AM_TIER_LEVEL_SUBSCRIPTION, "Platinum", TRUE, &error));
	g_assert_error (error, AM_TIERS_ERROR, AM_TIERS_ERROR_NOT_FOUND);
	g_clear_error (&error);
	g_assert_null (get (f, AM_TIER_LEVEL_SUBSCRIPTION, "", TRUE, &error));
	g_assert_error (error, AM_TIERS_ERROR, AM_TIERS_ERROR_NOT_FOUND);
	g_clear_error (&error);
	/* another tenant sees none of the super tenant's */
	g_autoptr (GPtrArray) other = list (f, AM_TIER_LEVEL_SUBSCRIPTION, 3, TRUE);
	g_assert_cmpuint (other->len, ==, 0);
}

static void
test_application_and_api_tiers (Fixture *f, gconstpointer data)
{
	g_autoptr (GPtrArray) app = NULL;
	g_autoptr (GPtrArray) api = NULL;
	g_autofree char *n1 = NULL;
	g_autofree char *n2 = NULL;
	g_autoptr (AmTier) t50 = NULL;
	g_autoptr (AmTier) k10 = NULL;
	g_autoptr (GError) error = NULL;

	if (f->skip)
		return;
	app = list (f, AM_TIER_LEVEL_APPLICATION, AM_SUPER_TENANT_ID, TRUE);
	api = list (f, AM_TIER_LEVEL_API, AM_SUPER_TENANT_ID, TRUE);
	n1 = names (app);
	n2 = names (api);
	g_assert_cmpstr (n1, ==, "10PerMin,20PerMin,50PerMin,Unlimited");
	g_assert_cmpstr (n2, ==, "10KPerMin,20KPerMin,50KPerMin,Unlimited");

	t50 = get (f, AM_TIER_LEVEL_APPLICATION, "50PerMin", TRUE, &error);
	g_assert_no_error (error);
	g_assert_cmpint (t50->request_count, ==, 50);
	g_assert_cmpint (t50->unit_time_ms, ==, 60000);
	g_assert_cmpstr (t50->description, ==, "Allows 50 request per minute");
	g_assert_null (t50->tier_plan);
	g_assert_false (t50->stop_on_quota_reach);

	k10 = get (f, AM_TIER_LEVEL_API, "10KPerMin", TRUE, &error);
	g_assert_no_error (error);
	g_assert_cmpint (k10->request_count, ==, 10000);
	g_assert_cmpstr (k10->applicable_level, ==, "apiLevel");
	g_assert_cmpstr (k10->description, ==, "Allows 10000 requests per minute");
	g_assert_cmpint (k10->unit_time_ms, ==, 60000);
}

static void
test_attributes_bandwidth (Fixture *f, gconstpointer data)
{
	g_autoptr (AmTier) t = NULL;
	g_autoptr (AmTier) bad = NULL;
	g_autoptr (GError) error = NULL;

	if (f->skip)
		return;
	/* a policy as the Admin portal writes one: bandwidth, per 2 hours,
	 * spike arrest, commercial, custom attributes */
	amdb_exec (f->a.db,
		   "INSERT INTO AM_POLICY_SUBSCRIPTION (NAME, DISPLAY_NAME, TENANT_ID, DESCRIPTION, "
		   "QUOTA_TYPE, QUOTA, QUOTA_UNIT, UNIT_TIME, TIME_UNIT, RATE_LIMIT_COUNT, "
		   "RATE_LIMIT_TIME_UNIT, IS_DEPLOYED, CUSTOM_ATTRIBUTES, STOP_ON_QUOTA_REACH, "
		   "BILLING_PLAN, UUID) VALUES ('Platinum', 'Platinum tier', -1234, 'Big', "
		   "'bandwidthVolume', 10, 'MB', 2, 'hour', 100, 'sec', 0, "
		   "'[{\"name\":\"color\",\"value\":\"silver\"},{\"name\":\"sla\",\"value\":\"99.9\"}]', "
		   "0, 'COMMERCIAL', '2f9d2b63-2b1d-4a8e-8a42-6f7a0c7c1d11');\n"
		   "INSERT INTO AM_POLICY_SUBSCRIPTION (NAME, DISPLAY_NAME, TENANT_ID, DESCRIPTION, "
		   "QUOTA_TYPE, QUOTA, QUOTA_UNIT, UNIT_TIME, TIME_UNIT, IS_DEPLOYED, "
		   "CUSTOM_ATTRIBUTES, STOP_ON_QUOTA_REACH, BILLING_PLAN, UUID) VALUES ('Odd', 'Odd', "
		   "-1234, NULL, 'requestCount', 3, NULL, 1, 'day', 1, 'not json', 1, 'FREE', "
		   "'2f9d2b63-2b1d-4a8e-8a42-6f7a0c7c1d12');\n");
	t = get (f, AM_TIER_LEVEL_SUBSCRIPTION, "Platinum", TRUE, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (t->display_name, ==, "Platinum tier");
	g_assert_cmpstr (t->quota_type, ==, "bandwidthVolume");
	g_assert_cmpint (t->request_count, ==, 10);
	g_assert_cmpstr (t->quota_unit, ==, "MB");
	g_assert_cmpint (t->unit_time_ms, ==, 2 * 3600 * 1000);
	g_assert_cmpint (t->rate_limit_count, ==, 100);
	g_assert_cmpstr (t->rate_limit_time_unit, ==, "sec");
	g_assert_cmpstr (t->tier_plan, ==, "COMMERCIAL");
	g_assert_false (t->stop_on_quota_reach);
	g_assert_false (t->deployed);
	g_assert_cmpuint (g_strv_length (t->attribute_names), ==, 2);
	g_assert_cmpstr (t->attribute_names[0], ==, "color");
	g_assert_cmpstr (t->attribute_values[0], ==, "silver");
	g_assert_cmpstr (t->attribute_names[1], ==, "sla");
	g_assert_cmpstr (t->attribute_values[1], ==, "99.9");

	/* unparsable attributes are ignored, as WSO2 logs and drops them */
	bad = get (f, AM_TIER_LEVEL_SUBSCRIPTION, "Odd", TRUE, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_strv_length (bad->attribute_names), ==, 0);
	g_assert_cmpint (bad->unit_time_ms, ==, 86400000);
	g_assert_null (bad->description);
}

/* Every column WSO2 writes except the ids, as one string per row. */
static char *
policy_rows (Fixture *f, const char *table, const char *cols, int tenant)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->a.db, &error);
	g_autofree char *sql = g_strdup_printf ("SELECT %s FROM %s WHERE TENANT_ID = ? ORDER BY NAME",
						cols, table);
	g_autoptr (AmDbStmt) st = NULL;
	GString *s = g_string_new (NULL);

	g_assert_no_error (error);
	st = am_db_prepare (conn, sql, &error);
	g_assert_no_error (error);
	am_db_bind_int64 (st, 1, tenant);
	while (am_db_step (st, &error) == AM_DB_STEP_ROW) {
		for (int i = 0; i < am_db_column_count (st); i++) {
			const char *v = am_db_column_text (st, i);
			g_string_append_printf (s, "%s|", v != NULL ? v : "NULL");
		}
		g_string_append_c (s, '\n');
	}
	g_assert_no_error (error);
	return g_string_free (s, FALSE);
}

static void
test_defaults (Fixture *f, gconstpointer data)
{
	static const char *const tables[][2] = {
		{ "AM_POLICY_SUBSCRIPTION",
		  "NAME, DISPLAY_NAME, DESCRIPTION, QUOTA_TYPE, QUOTA, QUOTA_UNIT, UNIT_TIME, "
		  "TIME_UNIT, RATE_LIMIT_COUNT, RATE_LIMIT_TIME_UNIT, IS_DEPLOYED, CUSTOM_ATTRIBUTES, "
		  "STOP_ON_QUOTA_REACH, BILLING_PLAN" },
		{ "AM_POLICY_APPLICATION",
		  "NAME, DISPLAY_NAME, DESCRIPTION, QUOTA_TYPE, QUOTA, QUOTA_UNIT, UNIT_TIME, "
		  "TIME_UNIT, IS_DEPLOYED, CUSTOM_ATTRIBUTES" },
		{ "AM_API_THROTTLE_POLICY",
		  "NAME, DISPLAY_NAME, DESCRIPTION, DEFAULT_QUOTA_TYPE, DEFAULT_QUOTA, "
		  "DEFAULT_QUOTA_UNIT, DEFAULT_UNIT_TIME, DEFAULT_TIME_UNIT, APPLICABLE_LEVEL, "
		  "IS_DEPLOYED" },
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autofree char *uuids = NULL;
	guint n = 99;

	if (f->skip)
		return;
	conn = am_db_acquire (f->a.db, &error);
	g_assert_no_error (error);
	/* the super tenant's are seeded by the schema: nothing to add */
	g_assert_true (am_tiers_add_defaults (conn, AM_SUPER_TENANT_ID, &n, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (n, ==, 0);

	/* a new tenant gets the same rows WSO2 writes for the super tenant */
	g_assert_true (am_tiers_add_defaults (conn, 5, &n, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (n, ==, 13);
	for (guint i = 0; i < G_N_ELEMENTS (tables); i++) {
		g_autofree char *super = policy_rows (f, tables[i][0], tables[i][1],
						      AM_SUPER_TENANT_ID);
		g_autofree char *tenant = policy_rows (f, tables[i][0], tables[i][1], 5);

		g_assert_cmpstr (tenant, ==, super);
	}
	/* random UUIDs, one per row */
	g_assert_cmpint (amdb_count (f->a.db,
				     "SELECT COUNT(DISTINCT UUID) FROM AM_POLICY_SUBSCRIPTION WHERE "
				     "TENANT_ID = 5 AND LENGTH(UUID) = 36",
				     0, NULL),
			 ==, 5);
	uuids = amdb_query1 (f->a.db,
			     "SELECT UUID FROM AM_POLICY_APPLICATION WHERE TENANT_ID = 5 AND "
			     "NAME = '50PerMin'",
			     0);
	g_assert_cmpstr (uuids, !=, "120d22b7-a10e-4f26-92b6-b124d0758466");

	/* once is enough */
	g_assert_true (am_tiers_add_defaults (conn, 5, &n, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (n, ==, 0);

	/* an existing policy of a default's name is kept as it is */
	amdb_exec (f->a.db,
		   "INSERT INTO AM_POLICY_APPLICATION (NAME, DISPLAY_NAME, TENANT_ID, DESCRIPTION, "
		   "QUOTA_TYPE, QUOTA, UNIT_TIME, TIME_UNIT, IS_DEPLOYED, UUID) VALUES ('50PerMin', "
		   "'mine', 7, 'custom', 'requestCount', 7, 1, 'sec', 0, "
		   "'11111111-2222-3333-4444-555555555555');\n");
	g_assert_true (am_tiers_add_defaults (conn, 7, &n, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (n, ==, 12);
	g_autofree char *mine = amdb_query1 (f->a.db,
					     "SELECT DESCRIPTION FROM AM_POLICY_APPLICATION WHERE "
					     "TENANT_ID = 7 AND NAME = '50PerMin'",
					     0);
	g_assert_cmpstr (mine, ==, "custom");
	g_autoptr (GPtrArray) app = list (f, AM_TIER_LEVEL_APPLICATION, 7, TRUE);
	g_assert_cmpuint (app->len, ==, 4);
}

static void
test_levels (void)
{
	g_autoptr (GError) error = NULL;
	AmTierLevel l;

	g_assert_true (am_tier_level_from_string ("subscription", &l, &error));
	g_assert_cmpint (l, ==, AM_TIER_LEVEL_SUBSCRIPTION);
	g_assert_true (am_tier_level_from_string ("application", &l, &error));
	g_assert_cmpint (l, ==, AM_TIER_LEVEL_APPLICATION);
	g_assert_true (am_tier_level_from_string ("resource", &l, &error));
	g_assert_cmpint (l, ==, AM_TIER_LEVEL_API);
	g_assert_cmpstr (am_tier_level_to_string (AM_TIER_LEVEL_API), ==, "api");
	g_assert_false (am_tier_level_from_string ("global", &l, &error));
	g_assert_error (error, AM_TIERS_ERROR, AM_TIERS_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
	static const struct {
		const char *name;
		AmdbKind kind;
	} backends[] = {
		{ "sqlite", AMDB_SQLITE_26 },
		{ "mysql", AMDB_MYSQL_26 },
	};
	static const struct {
		const char *name;
		void (*func) (Fixture *, gconstpointer);
	} tests[] = {
		{ "subscription", test_subscription_tiers },
		{ "application-api", test_application_and_api_tiers },
		{ "attributes-bandwidth", test_attributes_bandwidth },
		{ "defaults", test_defaults },
	};

	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/tiers/levels", test_levels);
	for (guint b = 0; b < G_N_ELEMENTS (backends); b++) {
		for (guint t = 0; t < G_N_ELEMENTS (tests); t++) {
			g_autofree char *path = g_strdup_printf ("/tiers/%s/%s", backends[b].name,
								 tests[t].name);

			g_test_add (path, Fixture, GINT_TO_POINTER (backends[b].kind), fixture_setup,
				    tests[t].func, fixture_teardown);
		}
	}
	return g_test_run ();
}
