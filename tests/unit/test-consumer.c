/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the Store's data layer (am-consumer.c) on databases made from
 * dbscripts/ in the WSO2 2.6 and 2.1 shapes, on SQLite and (when
 * AM_TEST_MYSQL_URL is set) MariaDB: subscribers and their
 * DefaultApplication, applications (create, duplicate names, tiers, owner
 * checks, listing with query and paging, update, delete with keys and
 * subscriptions), key generation with the application token, subscriptions
 * (create, duplicates, tiers, listing with the API identifier, block /
 * unblock, delete) and self sign-up; each checked against the rows WSO2
 * writes.
 */
#include "config.h"

#include "test-amdb.h"

#include "am-consumer.h"
#include "am-tiers.h"

typedef struct {
	Amdb a;
	gboolean skip;
	gboolean v26;
	AmKm *km;
	AmKmConf conf;
	GPtrArray *revoked;
	GMutex lock;
	AmDbConn *conn;
	gint64 api_id;
} Fixture;

static void
on_revoked (gpointer data, const char *const *tokens)
{
	Fixture *f = data;

	g_mutex_lock (&f->lock);
	for (guint i = 0; tokens[i] != NULL; i++)
		g_ptr_array_add (f->revoked, g_strdup (tokens[i]));
	g_mutex_unlock (&f->lock);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	AmdbKind kind = GPOINTER_TO_INT (data);
	g_autoptr (GError) error = NULL;

	f->revoked = g_ptr_array_new_with_free_func (g_free);
	g_mutex_init (&f->lock);
	f->skip = !amdb_setup (&f->a, kind);
	if (f->skip)
		return;
	f->v26 = kind == AMDB_SQLITE_26 || kind == AMDB_MYSQL_26;
	/* an API as the Publisher stores it (provider with a real "@") */
	amdb_exec (f->a.db, "INSERT INTO AM_API (API_PROVIDER, API_NAME, API_VERSION, CONTEXT, "
			    "CONTEXT_TEMPLATE, CREATED_BY, CREATED_TIME, API_TIER) VALUES "
			    "('pat@example.com', 'PizzaShackAPI', '1.0.0', '/pizzashack/1.0.0', "
			    "'/pizzashack', 'pat@example.com', '2024-01-01 00:00:00', NULL);\n"
			    "INSERT INTO AM_API (API_PROVIDER, API_NAME, API_VERSION, CONTEXT, "
			    "CONTEXT_TEMPLATE, CREATED_BY, CREATED_TIME) VALUES ('admin', 'Menu', "
			    "'2.0', '/menu/2.0', '/menu', 'admin', '2024-01-01 00:00:00');\n");
	f->api_id = 1;
	f->conf = (AmKmConf) {
		.app_token_validity = 3600,
		.user_token_validity = 3600,
		.refresh_token_validity = 84600,
		.timestamp_skew = 300,
		.renew_refresh_token = TRUE,
	};
	f->km = am_km_new_for_db (f->a.db, NULL, &f->conf, &error);
	g_assert_no_error (error);
	am_km_add_revoke_hook (f->km, on_revoked, f);
	/* reads autocommit; every change opens its own transaction */
	f->conn = am_db_acquire_reader (f->a.db, &error);
	g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_clear_pointer (&f->conn, am_db_release);
	g_clear_pointer (&f->km, am_km_free);
	amdb_teardown (&f->a);
	g_ptr_array_unref (f->revoked);
	g_mutex_clear (&f->lock);
}

static AmSubscriber *
subscriber (Fixture *f, const char *user)
{
	g_autoptr (GError) error = NULL;
	AmSubscriber *s = am_consumer_subscriber_ensure (f->conn, user, AM_SUPER_TENANT_ID, &error);

	g_assert_no_error (error);
	g_assert_nonnull (s);
	return s;
}

static AmApplication *
create_app (Fixture *f, const AmSubscriber *owner, const char *name, const char *tier)
{
	g_autoptr (GError) error = NULL;
	AmApplicationSpec spec = { .name = name, .tier = tier, .description = "d" };
	AmApplication *app = am_consumer_app_create (f->conn, owner, &spec, &error);

	g_assert_no_error (error);
	g_assert_nonnull (app);
	return app;
}

static char *
q1 (Fixture *f, const char *sql, const char *arg)
{
	return arg != NULL ? amdb_query1 (f->a.db, sql, 1, arg) : amdb_query1 (f->a.db, sql, 0);
}

/* ---- subscribers ---- */

static void
test_subscriber (Fixture *f, gconstpointer data)
{
	g_autoptr (AmSubscriber) s = NULL;
	g_autoptr (AmSubscriber) again = NULL;
	g_autoptr (AmSubscriber) bob = NULL;
	g_autoptr (AmSubscriber) none = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *v = NULL;

	if (f->skip)
		return;
	none = am_consumer_subscriber_get (f->conn, "admin", AM_SUPER_TENANT_ID, &error);
	g_assert_no_error (error);
	g_assert_null (none);

	s = subscriber (f, "admin@carbon.super");
	g_assert_cmpstr (s->user_id, ==, "admin");
	g_assert_cmpint (s->tenant_id, ==, AM_SUPER_TENANT_ID);
	g_assert_cmpstr (s->email, ==, "");
	g_assert_nonnull (s->date_subscribed);
	again = subscriber (f, "admin");
	g_assert_cmpint (again->id, ==, s->id);
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM AM_SUBSCRIBER", 0, NULL), ==, 1);

	/* the row as WSO2 writes it */
	v = q1 (f, "SELECT CREATED_BY FROM AM_SUBSCRIBER WHERE USER_ID = ?", "admin");
	g_assert_cmpstr (v, ==, "admin");
	g_clear_pointer (&v, g_free);
	/* written on 2.6; the schema's DEFAULT CURRENT_TIMESTAMP fills it on 2.1 */
	v = q1 (f, "SELECT UPDATED_TIME FROM AM_SUBSCRIBER WHERE USER_ID = ?", "admin");
	g_assert_nonnull (v);
	g_clear_pointer (&v, g_free);

	/* and its DefaultApplication */
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM AM_APPLICATION", 0, NULL), ==,
			 1);
	/* || concatenates on SQLite, CONCAT_WS on MySQL */
	v = q1 (f,
		amdb_is_mysql (f->a.kind)
			? "SELECT CONCAT_WS('|', NAME, APPLICATION_TIER, APPLICATION_STATUS, GROUP_ID, "
			  "CREATED_BY, COALESCE(DESCRIPTION, 'NULL'), COALESCE(CALLBACK_URL, 'NULL')) "
			  "FROM AM_APPLICATION"
			: "SELECT NAME || '|' || APPLICATION_TIER || '|' || APPLICATION_STATUS || '|' || "
			  "GROUP_ID || '|' || CREATED_BY || '|' || COALESCE(DESCRIPTION, 'NULL') || '|' "
			  "|| COALESCE(CALLBACK_URL, 'NULL') FROM AM_APPLICATION",
		NULL);
	g_assert_cmpstr (v, ==, "DefaultApplication|Unlimited|APPROVED||admin|NULL|NULL");
	g_clear_pointer (&v, g_free);
	v = q1 (f, "SELECT LENGTH(UUID) FROM AM_APPLICATION", NULL);
	g_assert_cmpstr (v, ==, "36");
	g_clear_pointer (&v, g_free);
	if (f->v26) {
		v = q1 (f, "SELECT TOKEN_TYPE FROM AM_APPLICATION", NULL);
		g_assert_cmpstr (v, ==, "DEFAULT");
		g_clear_pointer (&v, g_free);
	}

	/* without an Unlimited application policy: the first by name */
	amdb_exec (f->a.db, "DELETE FROM AM_POLICY_APPLICATION WHERE NAME = 'Unlimited';\n");
	bob = subscriber (f, "bob");
	v = q1 (f,
		"SELECT A.APPLICATION_TIER FROM AM_APPLICATION A JOIN AM_SUBSCRIBER S ON "
		"A.SUBSCRIBER_ID = S.SUBSCRIBER_ID WHERE S.USER_ID = ?",
		"bob");
	g_assert_cmpstr (v, ==, "10PerMin");

	/* a tenant user keeps the full name */
	g_autoptr (AmSubscriber) t = am_consumer_subscriber_ensure (f->conn, "carol@example.com", 3,
								    &error);
	g_assert_no_error (error);
	g_assert_cmpstr (t->user_id, ==, "carol@example.com");
	g_assert_cmpint (t->tenant_id, ==, 3);

	g_assert_null (am_consumer_subscriber_ensure (f->conn, "", AM_SUPER_TENANT_ID, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
}

/* ---- applications ---- */

static void
test_app_create_get (Fixture *f, gconstpointer data)
{
	g_autoptr (AmSubscriber) admin = NULL;
	g_autoptr (AmSubscriber) bob = NULL;
	g_autoptr (AmApplication) app = NULL;
	g_autoptr (AmApplication) got = NULL;
	g_autoptr (GError) error = NULL;
	AmApplicationSpec spec = { 0 };

	if (f->skip)
		return;
	admin = subscriber (f, "admin");
	bob = subscriber (f, "bob");
	spec = (AmApplicationSpec) { .name = "PizzaApp", .tier = "50PerMin",
				     .description = "Orders pizza", .callback_url = "https://cb/x",
				     .token_type = "JWT" };
	app = am_consumer_app_create (f->conn, admin, &spec, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (app->name, ==, "PizzaApp");
	g_assert_cmpstr (app->tier, ==, "50PerMin");
	g_assert_cmpstr (app->status, ==, "APPROVED");
	g_assert_cmpstr (app->group_id, ==, "");
	g_assert_cmpstr (app->subscriber, ==, "admin");
	g_assert_cmpstr (app->created_by, ==, "admin");
	g_assert_cmpstr (app->callback_url, ==, "https://cb/x");
	g_assert_cmpstr (app->description, ==, "Orders pizza");
	g_assert_cmpuint (strlen (app->uuid), ==, 36);
	g_assert_nonnull (app->created_time);
	g_assert_nonnull (app->updated_time);
	if (f->v26)
		g_assert_cmpstr (app->token_type, ==, "JWT");
	else
		g_assert_null (app->token_type);

	got = am_consumer_app_get (f->conn, admin, app->uuid, &error);
	g_assert_no_error (error);
	g_assert_cmpint (got->id, ==, app->id);

	/* another user's application */
	g_assert_null (am_consumer_app_get (f->conn, bob, app->uuid, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FORBIDDEN);
	g_clear_error (&error);
	g_assert_null (am_consumer_app_get (f->conn, admin, "no-such-uuid", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_NOT_FOUND);
	g_clear_error (&error);

	/* duplicate names are per owner, case-insensitively */
	spec = (AmApplicationSpec) { .name = "pizzaapp", .tier = "Unlimited" };
	g_assert_null (am_consumer_app_create (f->conn, admin, &spec, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_APP_EXISTS);
	g_clear_error (&error);
	g_autoptr (AmApplication) bobs = am_consumer_app_create (f->conn, bob, &spec, &error);
	g_assert_no_error (error);

	/* tiers: an application policy of the tenant */
	spec = (AmApplicationSpec) { .name = "Other", .tier = "Gold" };
	g_assert_null (am_consumer_app_create (f->conn, admin, &spec, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_BAD_TIER);
	g_clear_error (&error);
	spec = (AmApplicationSpec) { .name = "Other" };
	g_assert_null (am_consumer_app_create (f->conn, admin, &spec, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_BAD_TIER);
	g_clear_error (&error);

	/* bad names */
	spec = (AmApplicationSpec) { .name = "", .tier = "Unlimited" };
	g_assert_null (am_consumer_app_create (f->conn, admin, &spec, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
	g_clear_error (&error);
	spec.name = " Padded";
	g_assert_null (am_consumer_app_create (f->conn, admin, &spec, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
	g_clear_error (&error);
	g_autofree char *longname = g_strnfill (101, 'x');
	spec.name = longname;
	g_assert_null (am_consumer_app_create (f->conn, admin, &spec, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
	g_clear_error (&error);
	spec = (AmApplicationSpec) { .name = "T", .tier = "Unlimited", .token_type = "SAML" };
	g_assert_null (am_consumer_app_create (f->conn, admin, &spec, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
	g_clear_error (&error);
	/* nothing half-written by the refusals: DefaultApplication x2, PizzaApp x2 */
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM AM_APPLICATION", 0, NULL), ==,
			 4);
}

static void
test_app_list (Fixture *f, gconstpointer data)
{
	const char *const names[] = { "alpha", "Beta", "gamma", "50%off", "delta_x", NULL };
	g_autoptr (AmSubscriber) admin = NULL;
	g_autoptr (AmSubscriber) bob = NULL;
	g_autoptr (GPtrArray) all = NULL;
	g_autoptr (GPtrArray) page = NULL;
	g_autoptr (GPtrArray) found = NULL;
	g_autoptr (GPtrArray) pct = NULL;
	g_autoptr (GPtrArray) bobs = NULL;
	g_autoptr (GError) error = NULL;
	guint total = 0;

	if (f->skip)
		return;
	admin = subscriber (f, "admin");
	bob = subscriber (f, "bob");
	for (guint i = 0; names[i] != NULL; i++) {
		g_autoptr (AmApplication) a = create_app (f, admin, names[i], "Unlimited");
	}
	all = am_consumer_app_list (f->conn, admin, NULL, 0, 0, &total, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (total, ==, 6);
	g_assert_cmpuint (all->len, ==, 6);
	page = am_consumer_app_list (f->conn, admin, "", 2, 2, &total, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (total, ==, 6);
	g_assert_cmpuint (page->len, ==, 2);
	/* sorted by name: each page continues the full list */
	g_assert_cmpstr (((AmApplication *) page->pdata[0])->name, ==,
			 ((AmApplication *) all->pdata[2])->name);
	g_assert_cmpstr (((AmApplication *) page->pdata[1])->name, ==,
			 ((AmApplication *) all->pdata[3])->name);

	found = am_consumer_app_list (f->conn, admin, "ET", 0, 10, &total, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (total, ==, 1);
	g_assert_cmpstr (((AmApplication *) found->pdata[0])->name, ==, "Beta");
	/* wildcards in the query are plain characters */
	pct = am_consumer_app_list (f->conn, admin, "%", 0, 10, &total, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (total, ==, 1);
	g_assert_cmpstr (((AmApplication *) pct->pdata[0])->name, ==, "50%off");
	g_clear_pointer (&pct, g_ptr_array_unref);
	pct = am_consumer_app_list (f->conn, admin, "a_x", 0, 10, &total, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (total, ==, 1);

	/* bob sees only his own */
	bobs = am_consumer_app_list (f->conn, bob, NULL, 0, 25, &total, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (total, ==, 1);
	g_assert_cmpstr (((AmApplication *) bobs->pdata[0])->name, ==, "DefaultApplication");
}

static void
test_app_update (Fixture *f, gconstpointer data)
{
	g_autoptr (AmSubscriber) admin = NULL;
	g_autoptr (AmSubscriber) bob = NULL;
	g_autoptr (AmApplication) app = NULL;
	g_autoptr (AmApplication) other = NULL;
	g_autoptr (AmApplication) up = NULL;
	g_autoptr (GError) error = NULL;
	AmApplicationSpec spec = { 0 };

	if (f->skip)
		return;
	admin = subscriber (f, "admin");
	bob = subscriber (f, "bob");
	app = create_app (f, admin, "One", "Unlimited");
	other = create_app (f, admin, "Two", "Unlimited");
	spec = (AmApplicationSpec) { .name = "Uno", .tier = "20PerMin", .description = "new",
				     .callback_url = "https://cb" };
	up = am_consumer_app_update (f->conn, admin, app->uuid, &spec, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (up->uuid, ==, app->uuid);
	g_assert_cmpstr (up->name, ==, "Uno");
	g_assert_cmpstr (up->tier, ==, "20PerMin");
	g_assert_cmpstr (up->description, ==, "new");
	g_assert_cmpstr (up->callback_url, ==, "https://cb");
	g_assert_cmpstr (up->updated_by, ==, "admin");
	g_assert_nonnull (up->updated_time);
	/* the same name again (itself) is fine; another's name is not */
	g_clear_pointer (&up, am_application_free);
	up = am_consumer_app_update (f->conn, admin, app->uuid, &spec, &error);
	g_assert_no_error (error);
	spec.name = "TWO";
	g_assert_null (am_consumer_app_update (f->conn, admin, app->uuid, &spec, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_APP_EXISTS);
	g_clear_error (&error);
	spec.name = "Uno";
	spec.tier = "Platinum";
	g_assert_null (am_consumer_app_update (f->conn, admin, app->uuid, &spec, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_BAD_TIER);
	g_clear_error (&error);
	spec.tier = "Unlimited";
	g_assert_null (am_consumer_app_update (f->conn, bob, app->uuid, &spec, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FORBIDDEN);
	g_clear_error (&error);
	g_assert_null (am_consumer_app_update (f->conn, admin, "nope", &spec, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_NOT_FOUND);
	g_clear_error (&error);
	/* the refused updates changed nothing */
	g_autofree char *tier = q1 (f, "SELECT APPLICATION_TIER FROM AM_APPLICATION WHERE UUID = ?",
				    app->uuid);
	g_assert_cmpstr (tier, ==, "20PerMin");
}

/* ---- keys ---- */

static void
test_keys (Fixture *f, gconstpointer data)
{
	const char *const scopes[] = { "am_application_scope", "default", NULL };
	const char *const grants[] = { "password", "refresh_token", "authorization_code", NULL };
	g_autoptr (AmSubscriber) admin = NULL;
	g_autoptr (AmSubscriber) bob = NULL;
	g_autoptr (AmApplication) app = NULL;
	g_autoptr (AmAppKey) prod = NULL;
	g_autoptr (AmAppKey) sand = NULL;
	g_autoptr (AmKmToken) row = NULL;
	g_autoptr (GPtrArray) keys = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *v = NULL;
	AmKeyRequest req = { 0 };

	if (f->skip)
		return;
	admin = subscriber (f, "admin");
	bob = subscriber (f, "bob");
	app = create_app (f, admin, "KeyApp", "Unlimited");

	req = (AmKeyRequest) { .key_type = "PRODUCTION", .validity_time = 7200, .scopes = scopes };
	prod = am_consumer_app_generate_keys (f->km, f->conn, admin, app, &req, &error);
	g_assert_no_error (error);
	g_assert_nonnull (prod);
	g_assert_cmpuint (strlen (prod->consumer_key), ==, 28);
	g_assert_cmpuint (strlen (prod->consumer_secret), ==, 28);
	g_assert_cmpstr (prod->key_state, ==, "APPROVED");
	g_assert_cmpstr (prod->key_type, ==, "PRODUCTION");
	g_assert_true (g_strv_contains ((const char *const *) prod->supported_grant_types,
					"client_credentials"));
	g_assert_cmpuint (strlen (prod->access_token), ==, 36);
	g_assert_cmpint (prod->validity_time, >, 7000);
	g_assert_cmpint (prod->validity_time, <=, 7200);
	g_assert_cmpuint (g_strv_length (prod->token_scopes), ==, 2);
	g_assert_true (g_strv_contains ((const char *const *) prod->token_scopes,
					"am_application_scope"));
	g_assert_true (g_strv_contains ((const char *const *) prod->token_scopes, "default"));

	/* the token is an application token of that client */
	row = am_km_token_lookup (f->km, f->conn, prod->access_token, &error);
	g_assert_no_error (error);
	am_db_rollback (f->conn, NULL);
	g_assert_nonnull (row);
	g_assert_cmpstr (row->consumer_key, ==, prod->consumer_key);
	g_assert_cmpstr (row->user_type, ==, "APPLICATION");
	g_assert_cmpstr (row->grant_type, ==, "client_credentials");
	g_assert_cmpint (row->validity_ms, ==, 7200 * 1000);

	/* the rows of the generate-keys flow */
	v = q1 (f, "SELECT STATE FROM AM_APPLICATION_KEY_MAPPING WHERE CONSUMER_KEY = ?",
		prod->consumer_key);
	g_assert_cmpstr (v, ==, "COMPLETED");
	g_clear_pointer (&v, g_free);
	v = q1 (f, "SELECT VALIDITY_PERIOD FROM AM_APPLICATION_REGISTRATION WHERE TOKEN_TYPE = ?",
		"PRODUCTION");
	g_assert_cmpstr (v, ==, "7200");
	g_clear_pointer (&v, g_free);
	v = q1 (f, "SELECT TOKEN_SCOPE FROM AM_APPLICATION_REGISTRATION WHERE TOKEN_TYPE = ?",
		"PRODUCTION");
	g_assert_cmpstr (v, ==, "am_application_scope default");
	g_clear_pointer (&v, g_free);
	v = q1 (f, "SELECT ALLOWED_DOMAINS FROM AM_APPLICATION_REGISTRATION WHERE TOKEN_TYPE = ?",
		"PRODUCTION");
	g_assert_cmpstr (v, ==, "ALL");
	g_clear_pointer (&v, g_free);
	v = q1 (f, "SELECT APP_NAME FROM IDN_OAUTH_CONSUMER_APPS WHERE CONSUMER_KEY = ?",
		prod->consumer_key);
	g_assert_cmpstr (v, ==, "admin_KeyApp_PRODUCTION");
	g_clear_pointer (&v, g_free);

	/* again: 409 */
	g_assert_null (am_consumer_app_generate_keys (f->km, f->conn, admin, app, &req, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_KEYS_EXIST);
	g_clear_error (&error);
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM IDN_OAUTH_CONSUMER_APPS", 0,
				     NULL),
			 ==, 1);
	/* not the owner */
	req.key_type = "SANDBOX";
	g_assert_null (am_consumer_app_generate_keys (f->km, f->conn, bob, app, &req, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FORBIDDEN);
	g_clear_error (&error);
	req.key_type = "STAGING";
	g_assert_null (am_consumer_app_generate_keys (f->km, f->conn, admin, app, &req, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
	g_clear_error (&error);

	/* sandbox keys without client_credentials: no token; no callback, so
	 * no authorization_code; never-expiring request */
	req = (AmKeyRequest) { .key_type = "SANDBOX", .validity_time = -1, .grant_types = grants };
	sand = am_consumer_app_generate_keys (f->km, f->conn, admin, app, &req, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (sand->access_token, ==, "");
	g_assert_cmpstr (sand->token_scopes[0], ==, "N/A");
	g_assert_cmpuint (g_strv_length (sand->supported_grant_types), ==, 2);
	g_assert_false (g_strv_contains ((const char *const *) sand->supported_grant_types,
					 "authorization_code"));
	v = q1 (f, "SELECT INPUTS FROM AM_APPLICATION_REGISTRATION WHERE TOKEN_TYPE = ?", "SANDBOX");
	g_assert_cmpstr (v, ==, "{\"grant_types\":\"password,refresh_token,authorization_code\"}");
	g_clear_pointer (&v, g_free);
	v = q1 (f, "SELECT VALIDITY_PERIOD FROM AM_APPLICATION_REGISTRATION WHERE TOKEN_TYPE = ?",
		"SANDBOX");
	g_assert_cmpstr (v, ==, "-1");
	g_clear_pointer (&v, g_free);

	keys = am_consumer_app_keys (f->conn, app, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (keys->len, ==, 2);
	g_assert_cmpstr (((AmAppKey *) keys->pdata[0])->key_type, ==, "PRODUCTION");
	g_assert_cmpstr (((AmAppKey *) keys->pdata[0])->consumer_key, ==, prod->consumer_key);
	g_assert_cmpstr (((AmAppKey *) keys->pdata[0])->consumer_secret, ==, prod->consumer_secret);
	g_assert_cmpstr (((AmAppKey *) keys->pdata[0])->key_state, ==, "COMPLETED");
	g_assert_cmpstr (((AmAppKey *) keys->pdata[0])->create_mode, ==, "CREATED");
	g_assert_cmpstr (((AmAppKey *) keys->pdata[1])->key_type, ==, "SANDBOX");

	/* a never-expiring application token */
	g_autoptr (AmApplication) forever = create_app (f, admin, "Forever", "Unlimited");
	req = (AmKeyRequest) { .key_type = "PRODUCTION", .validity_time = -1 };
	g_autoptr (AmAppKey) fk = am_consumer_app_generate_keys (f->km, f->conn, admin, forever,
								  &req, &error);
	g_assert_no_error (error);
	g_assert_cmpint (fk->validity_time, ==, AM_KM_NEVER_EXPIRES_IN);
}

/* ---- subscriptions ---- */

static AmSubscription *
subscribe (Fixture *f, const AmSubscriber *owner, const AmApplication *app, gint64 api_id,
	   const char *tier, GError **error)
{
	const char *const api_tiers[] = { "Gold", "Unlimited", "Bronze", NULL };

	return am_consumer_sub_create (f->conn, owner, app, api_id, tier, api_tiers, error);
}

static void
test_subscriptions (Fixture *f, gconstpointer data)
{
	g_autoptr (AmSubscriber) admin = NULL;
	g_autoptr (AmSubscriber) bob = NULL;
	g_autoptr (AmApplication) app = NULL;
	g_autoptr (AmApplication) bapp = NULL;
	g_autoptr (AmSubscription) sub = NULL;
	g_autoptr (AmSubscription) got = NULL;
	g_autoptr (AmSubscription) menu = NULL;
	g_autoptr (AmSubscription) bsub = NULL;
	g_autoptr (GPtrArray) by_app = NULL;
	g_autoptr (GPtrArray) by_api = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *v = NULL;
	guint total = 0;

	if (f->skip)
		return;
	admin = subscriber (f, "admin");
	bob = subscriber (f, "bob");
	app = create_app (f, admin, "SubApp", "Unlimited");
	bapp = create_app (f, bob, "BobApp", "Unlimited");

	sub = subscribe (f, admin, app, f->api_id, "Gold", &error);
	g_assert_no_error (error);
	g_assert_cmpuint (strlen (sub->uuid), ==, 36);
	g_assert_cmpstr (sub->tier, ==, "Gold");
	g_assert_cmpstr (sub->status, ==, "UNBLOCKED");
	g_assert_cmpstr (sub->create_state, ==, "SUBSCRIBE");
	g_assert_cmpstr (sub->created_by, ==, "admin");
	g_assert_nonnull (sub->created_time);
	g_assert_cmpstr (sub->api_identifier, ==, "pat-AT-example.com-PizzaShackAPI-1.0.0");
	g_assert_cmpstr (sub->api_provider, ==, "pat@example.com");
	g_assert_cmpstr (sub->application_uuid, ==, app->uuid);
	g_assert_nonnull (sub->updated_time);

	/* refusals */
	g_assert_null (subscribe (f, admin, app, f->api_id, "Bronze", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_SUB_EXISTS);
	g_clear_error (&error);
	g_assert_null (subscribe (f, admin, app, 2, "Silver", &error)); /* not the API's */
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_BAD_TIER);
	g_clear_error (&error);
	amdb_exec (f->a.db, "DELETE FROM AM_POLICY_SUBSCRIPTION WHERE NAME = 'Bronze';\n");
	g_assert_null (subscribe (f, admin, app, 2, "Bronze", &error)); /* no such policy */
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_BAD_TIER);
	g_clear_error (&error);
	g_assert_null (subscribe (f, admin, app, 99, "Gold", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_NOT_FOUND);
	g_clear_error (&error);
	g_assert_null (subscribe (f, bob, app, 2, "Gold", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FORBIDDEN);
	g_clear_error (&error);
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM AM_SUBSCRIPTION", 0, NULL), ==,
			 1);

	menu = subscribe (f, admin, app, 2, "Unlimited", &error);
	g_assert_no_error (error);
	bsub = subscribe (f, bob, bapp, f->api_id, "Unlimited", &error);
	g_assert_no_error (error);

	/* get, with the owner check */
	got = am_consumer_sub_get (f->conn, admin, sub->uuid, &error);
	g_assert_no_error (error);
	g_assert_cmpint (got->id, ==, sub->id);
	g_assert_null (am_consumer_sub_get (f->conn, bob, sub->uuid, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FORBIDDEN);
	g_clear_error (&error);
	g_assert_null (am_consumer_sub_get (f->conn, admin, "nope", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_NOT_FOUND);
	g_clear_error (&error);

	/* lists */
	by_app = am_consumer_sub_list_by_app (f->conn, app->id, 0, 0, &total, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (total, ==, 2);
	g_assert_cmpstr (((AmSubscription *) by_app->pdata[0])->api_identifier, ==,
			 "admin-Menu-2.0");
	g_assert_cmpstr (((AmSubscription *) by_app->pdata[1])->api_name, ==, "PizzaShackAPI");
	by_api = am_consumer_sub_list_by_api (f->conn, f->api_id, 1, 1, &total, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (total, ==, 2);
	g_assert_cmpuint (by_api->len, ==, 1);
	g_assert_cmpstr (((AmSubscription *) by_api->pdata[0])->application_name, ==, "SubApp");

	/* block / unblock as the Publisher does */
	g_assert_true (am_consumer_sub_block (f->conn, sub->uuid, TRUE, "pat@example.com", &error));
	g_assert_no_error (error);
	v = q1 (f, "SELECT SUB_STATUS FROM AM_SUBSCRIPTION WHERE UUID = ?", sub->uuid);
	g_assert_cmpstr (v, ==, "PROD_ONLY_BLOCKED");
	g_clear_pointer (&v, g_free);
	v = q1 (f, "SELECT UPDATED_BY FROM AM_SUBSCRIPTION WHERE UUID = ?", sub->uuid);
	g_assert_cmpstr (v, ==, "pat@example.com");
	g_clear_pointer (&v, g_free);
	g_assert_true (am_consumer_sub_block (f->conn, sub->uuid, FALSE, "admin", &error));
	v = q1 (f, "SELECT SUB_STATUS FROM AM_SUBSCRIPTION WHERE UUID = ?", sub->uuid);
	g_assert_cmpstr (v, ==, "BLOCKED");
	g_clear_pointer (&v, g_free);
	/* a blocked subscription cannot be made again */
	g_assert_null (subscribe (f, admin, app, f->api_id, "Gold", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_SUB_BLOCKED);
	g_clear_error (&error);
	g_assert_true (am_consumer_sub_unblock (f->conn, sub->uuid, "admin", &error));
	g_assert_no_error (error);
	v = q1 (f, "SELECT SUB_STATUS FROM AM_SUBSCRIPTION WHERE UUID = ?", sub->uuid);
	g_assert_cmpstr (v, ==, "UNBLOCKED");
	g_clear_pointer (&v, g_free);
	g_assert_false (am_consumer_sub_block (f->conn, "nope", FALSE, "admin", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_NOT_FOUND);
	g_clear_error (&error);

	/* an UN_SUBSCRIBE leftover is replaced */
	amdb_exec (f->a.db, "UPDATE AM_SUBSCRIPTION SET SUBS_CREATE_STATE = 'UN_SUBSCRIBE' WHERE "
			    "API_ID = 2;\n");
	g_autoptr (AmSubscription) again = subscribe (f, admin, app, 2, "Gold", &error);
	g_assert_no_error (error);
	g_assert_cmpstr (again->uuid, !=, menu->uuid);
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM AM_SUBSCRIPTION WHERE API_ID = 2",
				     0, NULL),
			 ==, 1);

	/* delete: only the owner */
	g_assert_false (am_consumer_sub_delete (f->conn, bob, sub->uuid, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FORBIDDEN);
	g_clear_error (&error);
	g_assert_true (am_consumer_sub_delete (f->conn, admin, sub->uuid, &error));
	g_assert_no_error (error);
	g_assert_null (am_consumer_sub_get (f->conn, NULL, sub->uuid, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_NOT_FOUND);
	g_clear_error (&error);
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM AM_SUBSCRIPTION", 0, NULL), ==,
			 2);
}

static void
test_app_delete (Fixture *f, gconstpointer data)
{
	const char *const api_tiers[] = { "Gold", NULL };
	g_autoptr (AmSubscriber) admin = NULL;
	g_autoptr (AmSubscriber) bob = NULL;
	g_autoptr (AmApplication) app = NULL;
	g_autoptr (AmApplication) keep = NULL;
	g_autoptr (AmAppKey) k1 = NULL;
	g_autoptr (AmAppKey) k2 = NULL;
	g_autoptr (AmSubscription) s1 = NULL;
	g_autoptr (AmSubscription) s2 = NULL;
	g_autoptr (GError) error = NULL;
	AmKeyRequest req = { .key_type = "PRODUCTION", .validity_time = 3600 };
	g_autofree char *id = NULL;

	if (f->skip)
		return;
	admin = subscriber (f, "admin");
	bob = subscriber (f, "bob");
	app = create_app (f, admin, "Doomed", "Unlimited");
	keep = create_app (f, admin, "Kept", "Unlimited");
	k1 = am_consumer_app_generate_keys (f->km, f->conn, admin, app, &req, &error);
	g_assert_no_error (error);
	k2 = am_consumer_app_generate_keys (f->km, f->conn, admin, keep, &req, &error);
	g_assert_no_error (error);
	s1 = am_consumer_sub_create (f->conn, admin, app, f->api_id, "Gold", api_tiers, &error);
	g_assert_no_error (error);
	s2 = am_consumer_sub_create (f->conn, admin, keep, f->api_id, "Gold", api_tiers, &error);
	g_assert_no_error (error);
	amdb_exec (f->a.db, "INSERT INTO AM_SUBSCRIPTION_KEY_MAPPING (SUBSCRIPTION_ID, ACCESS_TOKEN, "
			    "KEY_TYPE) SELECT SUBSCRIPTION_ID, 'legacy', 'PRODUCTION' FROM "
			    "AM_SUBSCRIPTION;\n");

	g_assert_false (am_consumer_app_delete (f->km, f->conn, bob, app->uuid, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FORBIDDEN);
	g_clear_error (&error);
	g_assert_true (am_consumer_app_delete (f->km, f->conn, admin, app->uuid, &error));
	g_assert_no_error (error);

	/* its token was revoked and every row of it is gone */
	g_assert_cmpuint (f->revoked->len, ==, 1);
	g_assert_cmpstr (f->revoked->pdata[0], ==, k1->access_token);
	id = g_strdup_printf ("%" G_GINT64_FORMAT, app->id);
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM AM_APPLICATION WHERE "
					      "APPLICATION_ID = ?",
				     1, id),
			 ==, 0);
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM AM_SUBSCRIPTION WHERE "
					      "APPLICATION_ID = ?",
				     1, id),
			 ==, 0);
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM AM_APPLICATION_KEY_MAPPING WHERE "
					      "APPLICATION_ID = ?",
				     1, id),
			 ==, 0);
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM AM_APPLICATION_REGISTRATION "
					      "WHERE APP_ID = ?",
				     1, id),
			 ==, 0);
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM IDN_OAUTH_CONSUMER_APPS WHERE "
					      "CONSUMER_KEY = ?",
				     1, k1->consumer_key),
			 ==, 0);
	g_assert_cmpint (amdb_count (f->a.db, "SELECT COUNT(*) FROM AM_SUBSCRIPTION_KEY_MAPPING", 0,
				     NULL),
			 ==, 1);
	/* the other application is untouched */
	g_autoptr (GPtrArray) left = am_consumer_app_keys (f->conn, keep, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (left->len, ==, 1);
	g_autoptr (AmSubscription) still = am_consumer_sub_get (f->conn, admin, s2->uuid, &error);
	g_assert_no_error (error);
	g_assert_nonnull (still);
	g_assert_false (am_consumer_app_delete (f->km, f->conn, admin, app->uuid, &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_NOT_FOUND);
}

/* ---- sign-up ---- */

static void
test_sign_up (Fixture *f, gconstpointer data)
{
	g_autoptr (AmUserStore) us = NULL;
	g_autoptr (GError) error = NULL;
	g_auto (GStrv) roles = NULL;
	g_autofree char *hash = NULL;
	g_autofree char *salt = NULL;
	g_autofree char *expect = NULL;
	AmCoreConf core;

	if (f->skip)
		return;
	am_test_core_conf (&core);
	us = am_userstore_new (f->a.db, &core);
	g_assert_true (am_userstore_ensure_admin (us, &error));
	g_assert_no_error (error);

	g_assert_true (am_consumer_sign_up (us, "newbie", "s3cret-pw", &error));
	g_assert_no_error (error);
	g_assert_true (am_userstore_authenticate (us, "newbie", "s3cret-pw", &error));
	g_assert_no_error (error);
	roles = am_userstore_get_roles (us, "newbie", &error);
	g_assert_no_error (error);
	g_assert_true (g_strv_contains ((const char *const *) roles, "Internal/subscriber"));
	g_assert_true (am_userstore_is_authorized (us, "newbie",
						   "/permission/admin/manage/api/subscribe", &error));
	g_assert_no_error (error);
	/* WSO2's salted SHA-256 row */
	hash = q1 (f, "SELECT UM_USER_PASSWORD FROM UM_USER WHERE UM_USER_NAME = ?", "newbie");
	salt = q1 (f, "SELECT UM_SALT_VALUE FROM UM_USER WHERE UM_USER_NAME = ?", "newbie");
	g_assert_cmpuint (strlen (salt), ==, 24);
	expect = am_password_hash ("SHA-256", "s3cret-pw", salt);
	g_assert_cmpstr (hash, ==, expect);

	/* refusals, each distinct and clear */
	g_assert_false (am_consumer_sign_up (us, "NEWBIE", "other-pw", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_USER_EXISTS);
	g_clear_error (&error);
	g_assert_false (am_consumer_sign_up (us, "admin", "other-pw", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_USER_EXISTS);
	g_clear_error (&error);
	g_assert_false (am_consumer_sign_up (us, "weak", "abc", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
	g_assert_nonnull (strstr (error->message, "Password"));
	g_clear_error (&error);
	g_assert_false (am_consumer_sign_up (us, "two words", "s3cret-pw", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
	g_assert_nonnull (strstr (error->message, "Username"));
	g_clear_error (&error);
	g_assert_false (am_consumer_sign_up (us, "ab", "s3cret-pw", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
	g_clear_error (&error);
	g_assert_false (am_consumer_sign_up (us, "", "s3cret-pw", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
	g_clear_error (&error);
	g_assert_false (am_consumer_sign_up (us, "nopass", "", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
	g_clear_error (&error);
	g_assert_false (am_consumer_sign_up (us, "someone@other.org", "s3cret-pw", &error));
	g_assert_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID);
	g_clear_error (&error);
	g_assert_false (am_userstore_user_exists (us, "weak", &error));
	g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
	static const struct {
		const char *name;
		AmdbKind kind;
	} backends[] = {
		{ "sqlite-2.6", AMDB_SQLITE_26 },
		{ "sqlite-2.1", AMDB_SQLITE_21 },
		{ "mysql-2.6", AMDB_MYSQL_26 },
		{ "mysql-2.1", AMDB_MYSQL_21 },
	};
	static const struct {
		const char *name;
		void (*func) (Fixture *, gconstpointer);
	} tests[] = {
		{ "subscriber", test_subscriber },
		{ "app-create-get", test_app_create_get },
		{ "app-list", test_app_list },
		{ "app-update", test_app_update },
		{ "keys", test_keys },
		{ "subscriptions", test_subscriptions },
		{ "app-delete", test_app_delete },
		{ "sign-up", test_sign_up },
	};

	g_test_init (&argc, &argv, NULL);
	for (guint b = 0; b < G_N_ELEMENTS (backends); b++) {
		for (guint t = 0; t < G_N_ELEMENTS (tests); t++) {
			g_autofree char *path = g_strdup_printf ("/consumer/%s/%s", backends[b].name,
								 tests[t].name);

			g_test_add (path, Fixture, GINT_TO_POINTER (backends[b].kind), fixture_setup,
				    tests[t].func, fixture_teardown);
		}
	}
	return g_test_run ();
}
