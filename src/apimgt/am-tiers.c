/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Throttling tiers on the API-M 2.x advanced throttling tables, read the
 * way APIUtil.getTiersFromPolicies / getPolicyByName turn policies into
 * the Tier model behind the REST Tier JSON: name, display name,
 * description, request count (QUOTA, or the data amount of a bandwidth
 * policy), unit time and time unit, plan (BILLING_PLAN of subscription
 * policies), stopOnQuotaReach and the custom attributes stored as a JSON
 * array of {"name","value"} in CUSTOM_ATTRIBUTES.  "Unlimited" is shown
 * only when EnableUnlimitedTier is on, as Integer.MAX_VALUE requests with
 * plan FREE and no unit time; "Unauthenticated" is never a subscription
 * tier a user can pick.  The lists are sorted by name (WSO2 keeps them in
 * a TreeMap).
 *
 * am_tiers_add_defaults writes the default policies of a tenant with the
 * values APIUtil.addDefaultTenantAdvancedThrottlePolicies uses (the super
 * tenant's are already in dbscripts/apimgt/{mysql,sqlite}.sql): request counts per one
 * minute, DISPLAY_NAME = NAME, deployed, subscription policies with
 * STOP_ON_QUOTA_REACH and BILLING_PLAN 'FREE' and no spike arrest, API
 * policies at 'apiLevel' without condition groups, random UUIDs.
 */
#define G_LOG_DOMAIN "am.apimgt"
#include "config.h"

#include "am-tiers.h"

#include <json-glib/json-glib.h>
#include <string.h>

G_DEFINE_QUARK (am-tiers-error-quark, am_tiers_error)

#define TIERS_UNLIMITED "Unlimited"
#define TIERS_UNAUTHENTICATED "Unauthenticated"
#define TIERS_INT_MAX G_GINT64_CONSTANT (2147483647)

const char *
am_tier_level_to_string (AmTierLevel level)
{
	switch (level) {
	case AM_TIER_LEVEL_SUBSCRIPTION:
		return "subscription";
	case AM_TIER_LEVEL_APPLICATION:
		return "application";
	case AM_TIER_LEVEL_API:
		return "api";
	}
	return "?";
}

gboolean
am_tier_level_from_string (const char *text, AmTierLevel *level, GError **error)
{
	if (g_strcmp0 (text, "subscription") == 0)
		*level = AM_TIER_LEVEL_SUBSCRIPTION;
	else if (g_strcmp0 (text, "application") == 0)
		*level = AM_TIER_LEVEL_APPLICATION;
	else if (g_strcmp0 (text, "api") == 0 || g_strcmp0 (text, "resource") == 0)
		*level = AM_TIER_LEVEL_API;
	else {
		g_set_error (error, AM_TIERS_ERROR, AM_TIERS_ERROR_INVALID,
			     "unknown tier level '%s' (subscription, application, api)",
			     text != NULL ? text : "");
		return FALSE;
	}
	return TRUE;
}

void
am_tier_free (AmTier *tier)
{
	if (tier == NULL)
		return;
	g_free (tier->uuid);
	g_free (tier->name);
	g_free (tier->display_name);
	g_free (tier->description);
	g_free (tier->quota_type);
	g_free (tier->quota_unit);
	g_free (tier->time_unit);
	g_free (tier->tier_plan);
	g_free (tier->rate_limit_time_unit);
	g_free (tier->applicable_level);
	g_strfreev (tier->attribute_names);
	g_strfreev (tier->attribute_values);
	g_free (tier);
}

/* The SELECT of one level; the columns every level has come first, in the
 * same order, so one reader serves all three. */
static const char *
tiers_select (AmTierLevel level)
{
	switch (level) {
	case AM_TIER_LEVEL_SUBSCRIPTION:
		return "SELECT POLICY_ID, UUID, NAME, DISPLAY_NAME, DESCRIPTION, QUOTA_TYPE, QUOTA, "
		       "QUOTA_UNIT, UNIT_TIME, TIME_UNIT, IS_DEPLOYED, RATE_LIMIT_COUNT, "
		       "RATE_LIMIT_TIME_UNIT, STOP_ON_QUOTA_REACH, BILLING_PLAN, CUSTOM_ATTRIBUTES "
		       "FROM AM_POLICY_SUBSCRIPTION WHERE TENANT_ID = ?";
	case AM_TIER_LEVEL_APPLICATION:
		return "SELECT POLICY_ID, UUID, NAME, DISPLAY_NAME, DESCRIPTION, QUOTA_TYPE, QUOTA, "
		       "QUOTA_UNIT, UNIT_TIME, TIME_UNIT, IS_DEPLOYED, CUSTOM_ATTRIBUTES "
		       "FROM AM_POLICY_APPLICATION WHERE TENANT_ID = ?";
	case AM_TIER_LEVEL_API:
		return "SELECT POLICY_ID, UUID, NAME, DISPLAY_NAME, DESCRIPTION, DEFAULT_QUOTA_TYPE, "
		       "DEFAULT_QUOTA, DEFAULT_QUOTA_UNIT, DEFAULT_UNIT_TIME, DEFAULT_TIME_UNIT, "
		       "IS_DEPLOYED, APPLICABLE_LEVEL "
		       "FROM AM_API_THROTTLE_POLICY WHERE TENANT_ID = ?";
	}
	g_assert_not_reached ();
}

static const char *
tiers_table (AmTierLevel level)
{
	switch (level) {
	case AM_TIER_LEVEL_SUBSCRIPTION:
		return "AM_POLICY_SUBSCRIPTION";
	case AM_TIER_LEVEL_APPLICATION:
		return "AM_POLICY_APPLICATION";
	case AM_TIER_LEVEL_API:
		return "AM_API_THROTTLE_POLICY";
	}
	g_assert_not_reached ();
}

static char *
col_dup (AmDbStmt *st, int col)
{
	return am_db_column_is_null (st, col) ? NULL : g_strdup (am_db_column_text (st, col));
}

/* Milliseconds of @unit_time @time_unit (ThrottlePolicyTemplateBuilder's
 * units: sec, min, hour, day, week, month = 30 days, year = 365 days). */
static gint64
tiers_unit_ms (gint64 unit_time, const char *time_unit)
{
	static const struct {
		const char *name;
		gint64 ms;
	} units[] = {
		{ "ms", 1 },
		{ "sec", 1000 },
		{ "min", 60 * 1000 },
		{ "hour", 3600 * 1000 },
		{ "day", G_GINT64_CONSTANT (86400000) },
		{ "week", G_GINT64_CONSTANT (604800000) },
		{ "month", G_GINT64_CONSTANT (2592000000) },
		{ "year", G_GINT64_CONSTANT (31536000000) },
	};

	for (guint i = 0; time_unit != NULL && i < G_N_ELEMENTS (units); i++) {
		if (g_ascii_strcasecmp (time_unit, units[i].name) == 0)
			return unit_time * units[i].ms;
	}
	return 0;
}

/* CUSTOM_ATTRIBUTES: [{"name":"k","value":"v"},...]; anything else (NULL,
 * empty, not JSON) gives no attributes, as WSO2 logs and ignores it. */
static void
tiers_parse_attributes (AmTier *tier, const char *json)
{
	g_autoptr (JsonParser) parser = json_parser_new ();
	g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
	JsonNode *root;

	if (json != NULL && *json != '\0' && json_parser_load_from_data (parser, json, -1, NULL) &&
	    (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_ARRAY (root)) {
		JsonArray *arr = json_node_get_array (root);

		for (guint i = 0; i < json_array_get_length (arr); i++) {
			JsonNode *el = json_array_get_element (arr, i);
			JsonObject *o = JSON_NODE_HOLDS_OBJECT (el) ? json_node_get_object (el) : NULL;
			JsonNode *n = o != NULL ? json_object_get_member (o, "name") : NULL;
			JsonNode *v = o != NULL ? json_object_get_member (o, "value") : NULL;

			if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
				continue;
			g_ptr_array_add (names, g_strdup (json_node_get_string (n) != NULL
								  ? json_node_get_string (n)
								  : ""));
			g_ptr_array_add (values, g_strdup (v != NULL && JSON_NODE_HOLDS_VALUE (v) &&
								   json_node_get_string (v) != NULL
							   ? json_node_get_string (v)
							   : ""));
		}
	}
	g_ptr_array_add (names, NULL);
	g_ptr_array_add (values, NULL);
	tier->attribute_names = (char **) g_ptr_array_steal (names, NULL);
	tier->attribute_values = (char **) g_ptr_array_steal (values, NULL);
}

static AmTier *
tiers_read_row (AmDbStmt *st, AmTierLevel level)
{
	AmTier *t = g_new0 (AmTier, 1);
	const char *attrs = NULL;

	t->level = level;
	t->policy_id = am_db_column_int64 (st, 0);
	t->uuid = col_dup (st, 1);
	t->name = col_dup (st, 2);
	t->display_name = col_dup (st, 3);
	t->description = col_dup (st, 4);
	t->quota_type = col_dup (st, 5);
	t->request_count = am_db_column_int64 (st, 6);
	t->quota_unit = col_dup (st, 7);
	t->unit_time = am_db_column_int64 (st, 8);
	t->time_unit = col_dup (st, 9);
	t->deployed = am_db_column_int64 (st, 10) != 0;
	switch (level) {
	case AM_TIER_LEVEL_SUBSCRIPTION:
		t->rate_limit_count = am_db_column_int64 (st, 11);
		t->rate_limit_time_unit = col_dup (st, 12);
		t->stop_on_quota_reach = am_db_column_int64 (st, 13) != 0;
		t->tier_plan = col_dup (st, 14);
		attrs = am_db_column_text (st, 15);
		break;
	case AM_TIER_LEVEL_APPLICATION:
		attrs = am_db_column_text (st, 11);
		break;
	case AM_TIER_LEVEL_API:
		t->applicable_level = col_dup (st, 11);
		break;
	}
	t->unit_time_ms = tiers_unit_ms (t->unit_time, t->time_unit);
	tiers_parse_attributes (t, attrs);
	if (g_ascii_strcasecmp (t->name, TIERS_UNLIMITED) == 0) {
		/* WSO2 builds the Unlimited tier by hand */
		t->request_count = TIERS_INT_MAX;
		t->unit_time_ms = 0;
		g_free (t->tier_plan);
		t->tier_plan = g_strdup ("FREE");
	}
	return t;
}

static int
tiers_cmp (gconstpointer a, gconstpointer b)
{
	const AmTier *x = *(const AmTier *const *) a;
	const AmTier *y = *(const AmTier *const *) b;

	return strcmp (x->name, y->name);
}

/* Rows of @level for @tenant_id (all of them, or the one named @name). */
static GPtrArray *
tiers_query (AmDbConn *conn, AmTierLevel level, int tenant_id, const char *name,
	     GError **error)
{
	g_autofree char *sql = g_strconcat (tiers_select (level), name != NULL ? " AND NAME = ?" : "",
					    NULL);
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) am_tier_free);
	AmDbStep step;

	if (st == NULL)
		return NULL;
	am_db_bind_int64 (st, 1, tenant_id);
	if (name != NULL)
		am_db_bind_text (st, 2, name);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW)
		g_ptr_array_add (out, tiers_read_row (st, level));
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	return g_steal_pointer (&out);
}

/* Whether @t is shown at all (getTiersFromPolicies' filters). */
static gboolean
tiers_visible (const AmTier *t, gboolean unlimited_enabled)
{
	if (g_ascii_strcasecmp (t->name, TIERS_UNLIMITED) == 0)
		return unlimited_enabled;
	if (t->level == AM_TIER_LEVEL_SUBSCRIPTION && strcmp (t->name, TIERS_UNAUTHENTICATED) == 0)
		return FALSE;
	return TRUE;
}

GPtrArray *
am_tiers_list (AmDbConn *conn, AmTierLevel level, int tenant_id, gboolean unlimited_enabled,
	       GError **error)
{
	g_autoptr (GPtrArray) all = tiers_query (conn, level, tenant_id, NULL, error);
	GPtrArray *out;

	if (all == NULL)
		return NULL;
	out = g_ptr_array_new_with_free_func ((GDestroyNotify) am_tier_free);
	for (guint i = 0; i < all->len; i++) {
		if (tiers_visible (all->pdata[i], unlimited_enabled))
			g_ptr_array_add (out, g_steal_pointer (&all->pdata[i]));
	}
	g_ptr_array_sort (out, tiers_cmp);
	return out;
}

AmTier *
am_tiers_get (AmDbConn *conn, AmTierLevel level, int tenant_id, const char *name,
	      gboolean unlimited_enabled, GError **error)
{
	g_autoptr (GPtrArray) rows = NULL;

	if (name == NULL || *name == '\0') {
		g_set_error_literal (error, AM_TIERS_ERROR, AM_TIERS_ERROR_NOT_FOUND,
				     "no tier name given");
		return NULL;
	}
	rows = tiers_query (conn, level, tenant_id, name, error);
	if (rows == NULL)
		return NULL;
	/* Unauthenticated can be fetched by name (getPolicyByName keeps it) */
	if (rows->len == 0 || (g_ascii_strcasecmp (name, TIERS_UNLIMITED) == 0 && !unlimited_enabled)) {
		g_set_error (error, AM_TIERS_ERROR, AM_TIERS_ERROR_NOT_FOUND,
			     "no %s tier '%s'", am_tier_level_to_string (level), name);
		return NULL;
	}
	return g_steal_pointer (&rows->pdata[0]);
}

gboolean
am_tiers_exists (AmDbConn *conn, AmTierLevel level, int tenant_id, const char *name,
		 gboolean *exists, GError **error)
{
	g_autofree char *sql = g_strdup_printf ("SELECT POLICY_ID FROM %s WHERE NAME = ? AND "
						"TENANT_ID = ?",
						tiers_table (level));
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);
	AmDbStep step;

	*exists = FALSE;
	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, name);
	am_db_bind_int64 (st, 2, tenant_id);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ERROR)
		return FALSE;
	*exists = step == AM_DB_STEP_ROW;
	return TRUE;
}

/* ---- the defaults ---- */

typedef struct {
	AmTierLevel level;
	const char *name;
	gint64 quota;
	const char *description;
} TiersDefault;

/* APIConstants' names, the limits and the descriptions WSO2 writes. */
static const TiersDefault tiers_defaults[] = {
	{ AM_TIER_LEVEL_SUBSCRIPTION, "Gold", 5000, "Allows 5000 requests per minute" },
	{ AM_TIER_LEVEL_SUBSCRIPTION, "Silver", 2000, "Allows 2000 requests per minute" },
	{ AM_TIER_LEVEL_SUBSCRIPTION, "Bronze", 1000, "Allows 1000 requests per minute" },
	{ AM_TIER_LEVEL_SUBSCRIPTION, "Unauthenticated", 500, "Allows 500 request(s) per minute" },
	{ AM_TIER_LEVEL_SUBSCRIPTION, "Unlimited", TIERS_INT_MAX, "Allows unlimited requests" },
	{ AM_TIER_LEVEL_APPLICATION, "50PerMin", 50, "Allows 50 request per minute" },
	{ AM_TIER_LEVEL_APPLICATION, "20PerMin", 20, "Allows 20 request per minute" },
	{ AM_TIER_LEVEL_APPLICATION, "10PerMin", 10, "Allows 10 request per minute" },
	{ AM_TIER_LEVEL_APPLICATION, "Unlimited", TIERS_INT_MAX, "Allows unlimited requests" },
	{ AM_TIER_LEVEL_API, "50KPerMin", 50000, "Allows 50000 requests per minute" },
	{ AM_TIER_LEVEL_API, "20KPerMin", 20000, "Allows 20000 requests per minute" },
	{ AM_TIER_LEVEL_API, "10KPerMin", 10000, "Allows 10000 requests per minute" },
	{ AM_TIER_LEVEL_API, "Unlimited", TIERS_INT_MAX, "Allows unlimited requests" },
};

static gboolean
tiers_insert_default (AmDbConn *conn, const TiersDefault *d, int tenant_id, GError **error)
{
	static const char *const sql[] = {
		[AM_TIER_LEVEL_SUBSCRIPTION] =
			"INSERT INTO AM_POLICY_SUBSCRIPTION (NAME, DISPLAY_NAME, TENANT_ID, "
			"DESCRIPTION, QUOTA_TYPE, QUOTA, QUOTA_UNIT, UNIT_TIME, TIME_UNIT, "
			"RATE_LIMIT_COUNT, RATE_LIMIT_TIME_UNIT, IS_DEPLOYED, CUSTOM_ATTRIBUTES, "
			"STOP_ON_QUOTA_REACH, BILLING_PLAN, UUID) VALUES (?, ?, ?, ?, 'requestCount', "
			"?, NULL, 1, 'min', 0, NULL, 1, NULL, 1, 'FREE', ?)",
		[AM_TIER_LEVEL_APPLICATION] =
			"INSERT INTO AM_POLICY_APPLICATION (NAME, DISPLAY_NAME, TENANT_ID, "
			"DESCRIPTION, QUOTA_TYPE, QUOTA, QUOTA_UNIT, UNIT_TIME, TIME_UNIT, "
			"IS_DEPLOYED, CUSTOM_ATTRIBUTES, UUID) VALUES (?, ?, ?, ?, 'requestCount', ?, "
			"NULL, 1, 'min', 1, NULL, ?)",
		[AM_TIER_LEVEL_API] =
			"INSERT INTO AM_API_THROTTLE_POLICY (NAME, DISPLAY_NAME, TENANT_ID, "
			"DESCRIPTION, DEFAULT_QUOTA_TYPE, DEFAULT_QUOTA, DEFAULT_QUOTA_UNIT, "
			"DEFAULT_UNIT_TIME, DEFAULT_TIME_UNIT, APPLICABLE_LEVEL, IS_DEPLOYED, UUID) "
			"VALUES (?, ?, ?, ?, 'requestCount', ?, NULL, 1, 'min', 'apiLevel', 1, ?)",
	};
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql[d->level], error);
	g_autofree char *uuid = g_uuid_string_random ();

	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, d->name);
	am_db_bind_text (st, 2, d->name);
	am_db_bind_int64 (st, 3, tenant_id);
	am_db_bind_text (st, 4, d->description);
	am_db_bind_int64 (st, 5, d->quota);
	am_db_bind_text (st, 6, uuid);
	return am_db_step (st, error) != AM_DB_STEP_ERROR;
}

static gboolean
tiers_add_defaults (AmDbConn *conn, int tenant_id, guint *n_added, GError **error)
{
	if (!am_db_begin (conn, error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS (tiers_defaults); i++) {
		const TiersDefault *d = &tiers_defaults[i];
		gboolean exists;

		if (!am_tiers_exists (conn, d->level, tenant_id, d->name, &exists, error))
			return FALSE;
		if (exists)
			continue;
		if (!tiers_insert_default (conn, d, tenant_id, error))
			return FALSE;
		(*n_added)++;
	}
	return am_db_commit (conn, error);
}

gboolean
am_tiers_add_defaults (AmDbConn *conn, int tenant_id, guint *n_added, GError **error)
{
	guint n = 0;

	if (!tiers_add_defaults (conn, tenant_id, &n, error)) {
		am_db_rollback (conn, NULL);
		return FALSE;
	}
	if (n > 0)
		g_message ("added %u default throttling policies for tenant %d", n, tenant_id);
	if (n_added != NULL)
		*n_added = n;
	return TRUE;
}
