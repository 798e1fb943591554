/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Key Manager's validation core on a real SQLite API-M database seeded
 * the way WSO2 2.6 (and 2.1) write rows: every outcome and status code,
 * expiry with the clock skew, the cache and its invalidation on revoke,
 * resources, the backend JWT, and the shared formats (hash column text,
 * token and client id shapes).
 */
#include "config.h"

#include "am-km-private.h"
#include "am-test-util.h"
#include "am-userstore.h"

#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <string.h>

#define CTX "/pizzashack/1.0.0"
#define VER "1.0.0"
#define T_APP "ae4eae22-3f65-387b-a171-d37eaa366fa8"
#define T_USER "0b3c5b52-8d5e-3d4c-9a3f-4a4c6a1d2e01"
#define T_BOB "4f1d9d61-77aa-3e1e-8f0c-1c2d3e4f5a6b"
#define T_SANDBOX "9c8b7a65-4321-3fed-8cba-0123456789ab"

static gint64 fake_now;

static gint64
fake_clock (void)
{
	return fake_now;
}

typedef struct {
	char *dir;
	AmDb *db;
	AmKm *km;
	AmCoreConf core;
	AmUserStore *us;
	AmKm *defaults;	 /* owns the api-manager.xml defaults apim points into */
	AmApimConf apim; /* shallow copy of the defaults, flags changed per test */
	AmKeystore *ks;
} Fixture;

static void
sql (Fixture *f, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
sql (Fixture *f, const char *fmt, ...)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &error);
	g_autofree char *text = NULL;
	va_list ap;

	g_assert_no_error (error);
	va_start (ap, fmt);
	text = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	g_assert_cmpint (am_db_exec (conn, text, &error, 0), >=, 0);
	g_assert_no_error (error);
	g_assert_true (am_db_commit (conn, &error));
}

static char *
ts (gint64 usec)
{
	g_autoptr (GDateTime) d = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

	return g_date_time_format (d, "%Y-%m-%d %H:%M:%S");
}

/* A token row as WSO2 2.6 writes it; @hash FALSE leaves the hash columns out
 * (2.1 shape). */
static void
add_token (Fixture *f, const char *token, int client, const char *user, const char *user_type,
	   const char *scopes, const char *state, gint64 created, gint64 validity_ms,
	   gboolean hash)
{
	g_autofree char *id = am_km_uuid4 ();
	g_autofree char *when = ts (created);
	g_autofree char *h = am_km_hash_json (token);
	g_auto (GStrv) sc = g_strsplit (scopes, " ", -1);
	g_autofree char *sh = am_km_scope_hash ((const char *const *) sc);

	sql (f,
	     "INSERT INTO IDN_OAUTH2_ACCESS_TOKEN (TOKEN_ID, ACCESS_TOKEN, REFRESH_TOKEN, "
	     "CONSUMER_KEY_ID, AUTHZ_USER, TENANT_ID, USER_DOMAIN, USER_TYPE, GRANT_TYPE, "
	     "TIME_CREATED, REFRESH_TOKEN_TIME_CREATED, VALIDITY_PERIOD, "
	     "REFRESH_TOKEN_VALIDITY_PERIOD, TOKEN_SCOPE_HASH, TOKEN_STATE, TOKEN_STATE_ID%s) "
	     "VALUES ('%s', '%s', NULL, %d, '%s', -1234, 'PRIMARY', '%s', 'client_credentials', "
	     "'%s', '%s', %" G_GINT64_FORMAT ", 84600000, '%s', '%s', '%s'%s%s%s)",
	     hash ? ", ACCESS_TOKEN_HASH" : "", id, token, client, user, user_type, when, when,
	     validity_ms, sh, state, g_strcmp0 (state, "ACTIVE") == 0 ? "NONE" : id,
	     hash ? ", '" : "", hash ? h : "", hash ? "'" : "");
	for (guint i = 0; sc[i] != NULL; i++)
		sql (f, "INSERT INTO IDN_OAUTH2_ACCESS_TOKEN_SCOPE (TOKEN_ID, TOKEN_SCOPE, TENANT_ID) "
			"VALUES ('%s', '%s', -1234)",
		     id, sc[i]);
}

static void
seed (Fixture *f, gboolean hash)
{
	g_autofree char *now = ts (fake_now);

	sql (f, "INSERT INTO AM_SUBSCRIBER (SUBSCRIBER_ID, USER_ID, TENANT_ID, EMAIL_ADDRESS, "
		"DATE_SUBSCRIBED) VALUES (1, 'admin', -1234, '', '%s')",
	     now);
	sql (f, "INSERT INTO AM_APPLICATION (APPLICATION_ID, NAME, SUBSCRIBER_ID, APPLICATION_TIER, "
		"APPLICATION_STATUS, GROUP_ID, CREATED_BY, UUID) VALUES "
		"(1, 'PizzaApp', 1, '50PerMin', 'APPROVED', '', 'admin', 'app-uuid-1')");
	sql (f, "INSERT INTO AM_API (API_ID, API_PROVIDER, API_NAME, API_VERSION, CONTEXT, "
		"CONTEXT_TEMPLATE, API_TIER) VALUES "
		"(1, 'admin', 'PizzaShackAPI', '1.0.0', '/pizzashack/1.0.0', '/pizzashack', NULL), "
		"(2, 'admin', 'OtherAPI', '2.0.0', '/other/2.0.0', '/other', '10KPerMin')");
	sql (f, "INSERT INTO AM_API_URL_MAPPING (API_ID, HTTP_METHOD, AUTH_SCHEME, URL_PATTERN, "
		"THROTTLING_TIER) VALUES (1, 'GET', 'Any', '/menu', 'Unlimited'), "
		"(1, 'POST', 'Application_User', '/order', 'Unlimited'), "
		"(1, 'GET', 'Application', '/order/{orderId}', '10KPerMin')");
	sql (f, "INSERT INTO AM_SUBSCRIPTION (SUBSCRIPTION_ID, TIER_ID, API_ID, APPLICATION_ID, "
		"SUB_STATUS, SUBS_CREATE_STATE, UUID) VALUES "
		"(1, 'Gold', 1, 1, 'UNBLOCKED', 'SUBSCRIBE', 'sub-uuid-1')");
	sql (f, "INSERT INTO IDN_OAUTH_CONSUMER_APPS (ID, CONSUMER_KEY, CONSUMER_SECRET, USERNAME, "
		"TENANT_ID, USER_DOMAIN, APP_NAME, OAUTH_VERSION, GRANT_TYPES) VALUES "
		"(1, 'CKprod', 'CSprod', 'admin', -1234, 'PRIMARY', 'admin_PizzaApp_PRODUCTION', "
		"'OAuth-2.0', 'client_credentials password'), "
		"(2, 'CKsandbox', 'CSsandbox', 'admin', -1234, 'PRIMARY', 'admin_PizzaApp_SANDBOX', "
		"'OAuth-2.0', 'client_credentials password')");
	sql (f, "INSERT INTO AM_APPLICATION_KEY_MAPPING (APPLICATION_ID, CONSUMER_KEY, KEY_TYPE, "
		"STATE) VALUES (1, 'CKprod', 'PRODUCTION', 'COMPLETED'), "
		"(1, 'CKsandbox', 'SANDBOX', 'COMPLETED')");
	/* the order scope, bound to role admin (2.6 binding table) */
	sql (f, "INSERT INTO IDN_OAUTH2_SCOPE (SCOPE_ID, NAME, DISPLAY_NAME, DESCRIPTION, TENANT_ID) "
		"VALUES (1, 'order_pizza', 'Order', '', -1234)");
	sql (f, "INSERT INTO IDN_OAUTH2_SCOPE_BINDING (SCOPE_ID, SCOPE_BINDING) VALUES (1, 'admin')");
	sql (f, "INSERT INTO IDN_OAUTH2_RESOURCE_SCOPE (RESOURCE_PATH, SCOPE_ID, TENANT_ID) VALUES "
		"('/pizzashack/1.0.0/1.0.0/order:POST', 1, -1234)");

	add_token (f, T_APP, 1, "admin", "APPLICATION", "am_application_scope default", "ACTIVE",
		   fake_now, 3600000, hash);
	add_token (f, T_USER, 1, "admin", "APPLICATION_USER", "default order_pizza", "ACTIVE",
		   fake_now, 3600000, hash);
	add_token (f, T_BOB, 1, "bob", "APPLICATION_USER", "default order_pizza", "ACTIVE",
		   fake_now, 3600000, hash);
	add_token (f, T_SANDBOX, 2, "admin", "APPLICATION", "am_application_scope default",
		   "ACTIVE", fake_now, 3600000, hash);
}

static void
fixture_km (Fixture *f)
{
	g_autoptr (GError) error = NULL;

	am_km_free (f->km);
	f->km = am_km_new_for_db (f->db, &f->apim, NULL, &error);
	g_assert_no_error (error);
	am_km_set_clock (f->km, fake_clock);
	am_km_set_userstore (f->km, f->us);
	am_km_set_keystore (f->km, f->ks);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	gboolean v21 = GPOINTER_TO_INT (data);
	g_autoptr (GError) error = NULL;
	/* both schemas in one file: the scope check needs the user store's roles */
	const char *const schemas[] = { "apimgt/sqlite.sql", "sqlite.sql", NULL };

	fake_now = (gint64) 1764000000 * G_USEC_PER_SEC; /* 2025-11-24 */
	f->dir = g_dir_make_tmp ("apimd-km-XXXXXX", &error);
	g_assert_no_error (error);
	f->db = am_test_sqlite_db (f->dir, schemas);
	if (v21) {
		/* the 2.1 token table and application table */
		sql (f, "DROP INDEX IF EXISTS IDX_ATH");
		sql (f, "ALTER TABLE IDN_OAUTH2_ACCESS_TOKEN DROP COLUMN ACCESS_TOKEN_HASH");
		sql (f, "ALTER TABLE IDN_OAUTH2_ACCESS_TOKEN DROP COLUMN REFRESH_TOKEN_HASH");
		sql (f, "ALTER TABLE AM_APPLICATION DROP COLUMN TOKEN_TYPE");
	}
	am_test_core_conf (&f->core);
	f->us = am_userstore_new (f->db, &f->core);
	g_assert_true (am_userstore_ensure_admin (f->us, &error));
	g_assert_no_error (error);
	{
		const char *const roles[] = { "Internal/subscriber", NULL };

		g_assert_true (am_userstore_add_user (f->us, "bob", "bobpass1", roles, &error));
		g_assert_no_error (error);
	}

	/* the api-manager.xml defaults, which tests then adjust */
	f->defaults = am_km_new_for_db (f->db, NULL, NULL, &error);
	g_assert_no_error (error);
	f->apim = *am_km_get_apim (f->defaults);
	/* the shipped api-manager.xml sets these */
	f->apim.application_token_scope = "am_application_scope";
	f->apim.advanced_throttling = TRUE;

	seed (f, !v21);
	fixture_km (f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	am_km_free (f->km);
	am_km_free (f->defaults);
	am_userstore_free (f->us);
	am_keystore_free (f->ks);
	am_db_unref (f->db);
	am_test_rm_rf (f->dir);
	g_free (f->dir);
}

static AmKeyValidationInfo *
check (Fixture *f, const char *token, const char *ctx, const char *ver, const char *level,
       const char *resource, const char *verb)
{
	g_autoptr (GError) error = NULL;
	AmKeyValidationRequest req = {
		.context = ctx,
		.version = ver,
		.access_token = token,
		.required_auth_level = level,
		.matching_resource = resource,
		.http_verb = verb,
	};
	AmKeyValidationInfo *info = am_km_validate_key (f->km, &req, &error);

	g_assert_no_error (error);
	g_assert_nonnull (info);
	return info;
}

static void
expect_status (Fixture *f, const char *token, const char *level, const char *resource,
	       const char *verb, int status)
{
	g_autoptr (AmKeyValidationInfo) info = check (f, token, CTX, VER, level, resource, verb);

	g_assert_false (info->authorized);
	g_assert_cmpint (info->validation_status, ==, status);
}

/* ---- outcomes ---- */

static void
test_authorized (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKeyValidationInfo) info = check (f, T_APP, CTX, VER, "Any", "/menu", "GET");

	g_assert_true (info->authorized);
	g_assert_cmpint (info->validation_status, ==, 0);
	g_assert_cmpstr (info->subscriber, ==, "admin");
	g_assert_cmpstr (info->tier, ==, "Gold");
	g_assert_cmpstr (info->type, ==, "PRODUCTION");
	g_assert_cmpstr (info->end_user_name, ==, "admin@carbon.super");
	g_assert_cmpstr (info->application_name, ==, "PizzaApp");
	g_assert_cmpstr (info->application_id, ==, "1");
	g_assert_cmpstr (info->application_tier, ==, "50PerMin");
	g_assert_cmpstr (info->api_name, ==, "PizzaShackAPI");
	g_assert_cmpstr (info->api_publisher, ==, "admin");
	g_assert_cmpstr (info->consumer_key, ==, "CKprod");
	g_assert_cmpstr (info->user_type, ==, "APPLICATION");
	g_assert_cmpstr (info->subscriber_tenant_domain, ==, "carbon.super");
	g_assert_cmpint (info->validity_period, ==, 3600000);
	g_assert_cmpint (info->issued_time, ==, fake_now / 1000);
	g_assert_nonnull (info->scopes);
	g_assert_cmpstr (info->scopes[0], ==, "am_application_scope");
	g_assert_cmpstr (info->scopes[1], ==, "default");
	g_assert_null (info->scopes[2]);
	/* Gold: 5000/min, no spike arrest, request count */
	g_assert_false (info->content_aware);
	g_assert_true (info->stop_on_quota_reach);
	g_assert_cmpint (info->spike_arrest_limit, ==, 0);
	g_assert_nonnull (info->throttling_data_list);
	g_assert_cmpstr (info->throttling_data_list[0], ==, "api_level_throttling_key");
	g_assert_null (info->end_user_token);
}

static void
test_invalid_token (Fixture *f, gconstpointer data)
{
	expect_status (f, "no-such-token", "Any", "/menu", "GET", AM_KV_INVALID_CREDENTIALS);
	expect_status (f, "", "Any", "/menu", "GET", AM_KV_INVALID_CREDENTIALS);
	sql (f, "UPDATE IDN_OAUTH2_ACCESS_TOKEN SET TOKEN_STATE = 'REVOKED', TOKEN_STATE_ID = 'x' "
		"WHERE ACCESS_TOKEN = '%s'",
	     T_APP);
	expect_status (f, T_APP, "Any", "/menu", "GET", AM_KV_INVALID_CREDENTIALS);
	sql (f, "UPDATE IDN_OAUTH2_ACCESS_TOKEN SET TOKEN_STATE = 'INACTIVE' WHERE ACCESS_TOKEN = '%s'",
	     T_APP);
	expect_status (f, T_APP, "Any", "/menu", "GET", AM_KV_INVALID_CREDENTIALS);
}

static void
test_expiry_skew (Fixture *f, gconstpointer data)
{
	gint64 created = fake_now;
	g_autoptr (AmKeyValidationInfo) info = NULL;

	/* 3600 s validity + 300 s skew: still good 3898 s later, gone at 3899 s
	 * (WSO2 treats the last second as expired) */
	fake_now = created + (gint64) 3898 * G_USEC_PER_SEC;
	info = check (f, T_APP, CTX, VER, "Any", "/menu", "GET");
	g_assert_true (info->authorized);
	fake_now = created + (gint64) 3899 * G_USEC_PER_SEC;
	expect_status (f, T_APP, "Any", "/menu", "GET", AM_KV_INVALID_CREDENTIALS);

	/* skew 0 (the 2.6 identity.xml): gone after 3599 s */
	{
		AmKmConf conf = *am_km_get_conf (f->km);
		g_autoptr (GError) error = NULL;

		conf.timestamp_skew = 0;
		am_km_free (f->km);
		f->km = am_km_new_for_db (f->db, &f->apim, &conf, &error);
		g_assert_no_error (error);
		am_km_set_clock (f->km, fake_clock);
	}
	fake_now = created + (gint64) 3599 * G_USEC_PER_SEC;
	expect_status (f, T_APP, "Any", "/menu", "GET", AM_KV_INVALID_CREDENTIALS);
	fake_now = created + (gint64) 3598 * G_USEC_PER_SEC;
	g_clear_pointer (&info, am_key_validation_info_free);
	info = check (f, T_APP, CTX, VER, "Any", "/menu", "GET");
	g_assert_true (info->authorized);
}

static void
test_never_expires (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKeyValidationInfo) info = NULL;

	sql (f, "UPDATE IDN_OAUTH2_ACCESS_TOKEN SET VALIDITY_PERIOD = -1000 WHERE ACCESS_TOKEN = '%s'",
	     T_APP);
	fake_now += (gint64) 10 * 365 * 86400 * G_USEC_PER_SEC;
	info = check (f, T_APP, CTX, VER, "Any", "/menu", "GET");
	g_assert_true (info->authorized);
	g_assert_cmpint (info->validity_period, ==, AM_KM_NEVER_EXPIRES);
}

static void
test_auth_level (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKeyValidationInfo) a = NULL;
	g_autoptr (AmKeyValidationInfo) b = NULL;

	/* an application token on an Application_User resource, and the reverse */
	expect_status (f, T_APP, "Application_User", "/order", "POST",
		       AM_KV_INCORRECT_ACCESS_TOKEN_TYPE);
	expect_status (f, T_USER, "Application", "/order/{orderId}", "GET",
		       AM_KV_INCORRECT_ACCESS_TOKEN_TYPE);
	a = check (f, T_APP, CTX, VER, "Application", "/order/{orderId}", "GET");
	g_assert_true (a->authorized);
	b = check (f, T_USER, CTX, VER, "Any", "/menu", "GET");
	g_assert_true (b->authorized);
	g_assert_cmpstr (b->user_type, ==, "APPLICATION_USER");
}

static void
test_not_subscribed (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKeyValidationInfo) info = check (f, T_APP, "/other/2.0.0", "2.0.0", "Any", "/x",
						      "GET");

	g_assert_false (info->authorized);
	g_assert_cmpint (info->validation_status, ==, AM_KV_RESOURCE_FORBIDDEN);
	/* a context that is not an API at all */
	g_clear_pointer (&info, am_key_validation_info_free);
	info = check (f, T_APP, "/nothing/1.0", "1.0", "Any", "/x", "GET");
	g_assert_cmpint (info->validation_status, ==, AM_KV_RESOURCE_FORBIDDEN);
}

static void
set_sub_status (Fixture *f, const char *status)
{
	sql (f, "UPDATE AM_SUBSCRIPTION SET SUB_STATUS = '%s' WHERE SUBSCRIPTION_ID = 1", status);
}

static void
test_subscription_states (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKeyValidationInfo) sandbox = NULL;

	set_sub_status (f, "BLOCKED");
	expect_status (f, T_APP, "Any", "/menu", "GET", AM_KV_API_BLOCKED);
	expect_status (f, T_SANDBOX, "Any", "/menu", "GET", AM_KV_API_BLOCKED);
	set_sub_status (f, "PROD_ONLY_BLOCKED");
	expect_status (f, T_APP, "Any", "/menu", "GET", AM_KV_API_BLOCKED);
	sandbox = check (f, T_SANDBOX, CTX, VER, "Any", "/menu", "GET");
	g_assert_true (sandbox->authorized);
	g_assert_cmpstr (sandbox->type, ==, "SANDBOX");
	set_sub_status (f, "ON_HOLD");
	expect_status (f, T_APP, "Any", "/menu", "GET", AM_KV_SUBSCRIPTION_INACTIVE);
	set_sub_status (f, "REJECTED");
	expect_status (f, T_APP, "Any", "/menu", "GET", AM_KV_SUBSCRIPTION_INACTIVE);
}

static void
test_scopes (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKeyValidationInfo) ok = NULL;

	/* admin holds the scope and its role */
	ok = check (f, T_USER, CTX, VER, "Application_User", "/order", "POST");
	g_assert_true (ok->authorized);
	/* bob holds the scope but not the role */
	expect_status (f, T_BOB, "Application_User", "/order", "POST", AM_KV_INVALID_SCOPE);
	/* a token without the scope */
	sql (f, "DELETE FROM IDN_OAUTH2_ACCESS_TOKEN_SCOPE WHERE TOKEN_SCOPE = 'order_pizza'");
	expect_status (f, T_USER, "Application_User", "/order", "POST", AM_KV_INVALID_SCOPE);
}

static void
test_default_version (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKeyValidationInfo) a = check (f, T_APP, "/pizzashack", "_default_1.0.0", "Any",
						   "/menu", "GET");
	g_autoptr (AmKeyValidationInfo) b = check (f, T_APP, CTX, "_default_1.0.0", "Any", "/menu",
						   "GET");

	g_assert_true (a->authorized);
	g_assert_true (b->authorized);
	g_assert_cmpstr (a->api_name, ==, "PizzaShackAPI");
}

static void
test_schema_variant (Fixture *f, gconstpointer data)
{
	gboolean v21 = GPOINTER_TO_INT (data);
	const AmKmSchema *schema = am_km_get_schema (f->km);
	g_autoptr (AmKeyValidationInfo) info = NULL;

	g_assert_cmpint (schema->token_hash, ==, !v21);
	g_assert_cmpint (schema->app_token_type, ==, !v21);
	g_assert_true (schema->policies);
	info = check (f, T_APP, CTX, VER, "Any", "/menu", "GET");
	g_assert_true (info->authorized);
	if (!v21) {
		/* 2.6 looks tokens up by hash only: a plain value alone does not do */
		sql (f, "UPDATE IDN_OAUTH2_ACCESS_TOKEN SET ACCESS_TOKEN_HASH = 'x' "
			"WHERE ACCESS_TOKEN = '%s'",
		     T_USER);
		expect_status (f, T_USER, "Any", "/menu", "GET", AM_KV_INVALID_CREDENTIALS);
	}
}

/* ---- cache ---- */

static GPtrArray *hooked;

static void
record_hook (gpointer data, const char *const *tokens)
{
	for (guint i = 0; tokens[i] != NULL; i++)
		g_ptr_array_add (hooked, g_strdup (tokens[i]));
}

static void
test_cache (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKeyValidationInfo) a = NULL;
	g_autoptr (AmKeyValidationInfo) b = NULL;
	const char *revoked[] = { T_APP, NULL };

	f->apim.km_token_cache = TRUE;
	f->apim.token_cache_expiry = 900;
	fixture_km (f);
	hooked = g_ptr_array_new_with_free_func (g_free);
	am_km_add_revoke_hook (f->km, record_hook, NULL);

	a = check (f, T_APP, CTX, VER, "Any", "/menu", "GET");
	g_assert_true (a->authorized);
	/* behind the cache's back: still served from the cache */
	sql (f, "UPDATE IDN_OAUTH2_ACCESS_TOKEN SET TOKEN_STATE = 'REVOKED' WHERE ACCESS_TOKEN = '%s'",
	     T_APP);
	b = check (f, T_APP, CTX, VER, "Any", "/menu", "GET");
	g_assert_true (b->authorized);
	/* a revoke drops it at once and reaches the hook */
	am_km_tokens_revoked (f->km, revoked);
	expect_status (f, T_APP, "Any", "/menu", "GET", AM_KV_INVALID_CREDENTIALS);
	g_assert_cmpuint (hooked->len, ==, 1);
	g_assert_cmpstr (g_ptr_array_index (hooked, 0), ==, T_APP);
	g_clear_pointer (&hooked, g_ptr_array_unref);
}

static void
test_cache_token_expiry (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKeyValidationInfo) a = NULL;

	f->apim.km_token_cache = TRUE;
	f->apim.token_cache_expiry = 86400;
	fixture_km (f);
	a = check (f, T_APP, CTX, VER, "Any", "/menu", "GET");
	g_assert_true (a->authorized);
	/* the cache entry never outlives the token */
	fake_now += (gint64) 4000 * G_USEC_PER_SEC;
	expect_status (f, T_APP, "Any", "/menu", "GET", AM_KV_INVALID_CREDENTIALS);
}

static void
test_cache_off_by_default (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKeyValidationInfo) a = check (f, T_APP, CTX, VER, "Any", "/menu", "GET");

	g_assert_true (a->authorized);
	g_assert_false (am_km_get_apim (f->km)->km_token_cache);
	sql (f, "UPDATE IDN_OAUTH2_ACCESS_TOKEN SET TOKEN_STATE = 'REVOKED' WHERE ACCESS_TOKEN = '%s'",
	     T_APP);
	expect_status (f, T_APP, "Any", "/menu", "GET", AM_KV_INVALID_CREDENTIALS);
}

/* ---- resources, handshake ---- */

static void
test_uri_templates (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) list = am_km_get_uri_templates (f->km, CTX, VER, &error);
	AmUriTemplate *t;

	g_assert_no_error (error);
	g_assert_cmpuint (list->len, ==, 3);
	t = g_ptr_array_index (list, 0);
	g_assert_cmpstr (t->uri_template, ==, "/menu");
	g_assert_cmpstr (t->http_verb, ==, "GET");
	g_assert_cmpstr (t->auth_type, ==, "Any");
	g_assert_cmpstr (t->throttling_tier, ==, "Unlimited");
	g_assert_cmpstr (t->throttling_conditions[0], ==, "_default");
	t = g_ptr_array_index (list, 2);
	g_assert_cmpstr (t->uri_template, ==, "/order/{orderId}");
	g_assert_cmpstr (t->auth_type, ==, "Application");
	g_assert_cmpstr (t->applicable_level, ==, "apiLevel");
	g_clear_pointer (&list, g_ptr_array_unref);

	list = am_km_get_uri_templates (f->km, "/pizzashack", "_default_1.0.0", &error);
	g_assert_no_error (error);
	g_assert_cmpuint (list->len, ==, 3);
	g_clear_pointer (&list, g_ptr_array_unref);
	list = am_km_get_uri_templates (f->km, "/none/1", "1", &error);
	g_assert_no_error (error);
	g_assert_cmpuint (list->len, ==, 0);
}

static void
test_handshake (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmKeyValidationInfo) a = am_km_validate_key_for_handshake (f->km, CTX, VER, T_USER,
									     &error);
	g_autoptr (AmKeyValidationInfo) b = NULL;

	g_assert_no_error (error);
	g_assert_true (a->authorized);
	b = am_km_validate_key_for_handshake (f->km, "/other/2.0.0", "2.0.0", T_USER, &error);
	g_assert_no_error (error);
	g_assert_false (b->authorized);
	g_assert_cmpint (b->validation_status, ==, AM_KV_RESOURCE_FORBIDDEN);
}

/* ---- backend JWT ---- */

static JsonObject *
jwt_part (const char *part, JsonParser *parser)
{
	gsize len = 0;
	g_autofree guchar *raw = g_base64_decode (part, &len);

	g_assert_true (json_parser_load_from_data (parser, (const char *) raw, (gssize) len, NULL));
	return json_node_get_object (json_parser_get_root (parser));
}

static void
test_jwt (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *path = g_build_filename (f->dir, "ks.p12", NULL);
	g_autoptr (AmKeyValidationInfo) info = NULL;
	g_auto (GStrv) parts = NULL;
	g_autoptr (JsonParser) hp = json_parser_new ();
	g_autoptr (JsonParser) cp = json_parser_new ();
	JsonObject *header, *claims;
	g_autofree char *input = NULL;
	g_autofree guchar *sig = NULL;
	gsize sig_len = 0;
	EVP_MD_CTX *ctx;
	EVP_PKEY *pub;

	g_assert_true (am_keystore_generate_dev (path, AM_KEYSTORE_PKCS12, "wso2carbon", "wso2carbon",
						 "wso2carbon", "localhost", NULL, AM_KEYSTORE_JKS,
						 NULL, &error));
	g_assert_no_error (error);
	f->ks = am_keystore_load (path, AM_KEYSTORE_PKCS12, "wso2carbon", "wso2carbon", "wso2carbon",
				  &error);
	g_assert_no_error (error);
	f->apim.jwt_enabled = TRUE;
	f->apim.jwt_signature = AM_JWT_SHA256_WITH_RSA;
	fixture_km (f);

	info = check (f, T_USER, CTX, VER, "Any", "/menu", "GET");
	g_assert_true (info->authorized);
	g_assert_nonnull (info->end_user_token);
	parts = g_strsplit (info->end_user_token, ".", -1);
	g_assert_cmpuint (g_strv_length (parts), ==, 3);
	header = jwt_part (parts[0], hp);
	g_assert_cmpstr (json_object_get_string_member (header, "alg"), ==, "RS256");
	g_assert_cmpstr (json_object_get_string_member (header, "typ"), ==, "JWT");
	g_assert_nonnull (json_object_get_string_member (header, "x5t"));
	claims = jwt_part (parts[1], cp);
	g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, "wso2.org/products/am");
	g_assert_cmpint (json_object_get_int_member (claims, "exp"), ==, fake_now / 1000 + 900000);
	g_assert_cmpstr (json_object_get_string_member (claims, "http://wso2.org/claims/subscriber"),
			 ==, "admin");
	g_assert_cmpstr (
		json_object_get_string_member (claims, "http://wso2.org/claims/applicationname"), ==,
		"PizzaApp");
	g_assert_cmpstr (json_object_get_string_member (claims, "http://wso2.org/claims/apicontext"),
			 ==, CTX);
	g_assert_cmpstr (json_object_get_string_member (claims, "http://wso2.org/claims/version"), ==,
			 VER);
	g_assert_cmpstr (json_object_get_string_member (claims, "http://wso2.org/claims/keytype"), ==,
			 "PRODUCTION");
	g_assert_cmpstr (json_object_get_string_member (claims, "http://wso2.org/claims/usertype"),
			 ==, "APPLICATION_USER");
	g_assert_cmpstr (json_object_get_string_member (claims, "http://wso2.org/claims/enduser"), ==,
			 "admin@carbon.super");
	g_assert_cmpstr (
		json_object_get_string_member (claims, "http://wso2.org/claims/enduserTenantId"), ==,
		"-1234");

	/* the signature verifies with the certificate's public key */
	input = g_strconcat (parts[0], ".", parts[1], NULL);
	sig = g_base64_decode (parts[2], &sig_len);
	pub = X509_get0_pubkey (am_keystore_get_cert (f->ks));
	ctx = EVP_MD_CTX_new ();
	g_assert_cmpint (EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, pub), ==, 1);
	g_assert_cmpint (EVP_DigestVerify (ctx, sig, sig_len, (const guchar *) input, strlen (input)),
			 ==, 1);
	/* and not for a changed body */
	input[strlen (input) - 2] ^= 1;
	g_assert_cmpint (EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, pub), ==, 1);
	g_assert_cmpint (EVP_DigestVerify (ctx, sig, sig_len, (const guchar *) input, strlen (input)),
			 !=, 1);
	EVP_MD_CTX_free (ctx);

	/* refused validations carry no JWT */
	g_clear_pointer (&info, am_key_validation_info_free);
	info = check (f, "nope", CTX, VER, "Any", "/menu", "GET");
	g_assert_null (info->end_user_token);
}

static void
test_jwt_unsigned (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKeyValidationInfo) info = NULL;

	f->apim.jwt_enabled = TRUE;
	f->apim.jwt_signature = AM_JWT_NONE;
	fixture_km (f);
	info = check (f, T_APP, CTX, VER, "Any", "/menu", "GET");
	g_assert_true (info->authorized);
	g_assert_true (g_str_has_suffix (info->end_user_token, "."));
	g_assert_true (g_str_has_prefix (info->end_user_token,
					 "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0=."));
}

static void
test_jwt_needs_key (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	AmKeyValidationRequest req = { CTX, VER, T_APP, "Any", NULL, "/menu", "GET" };
	g_autoptr (AmKeyValidationInfo) info = NULL;

	f->apim.jwt_enabled = TRUE;
	f->apim.jwt_signature = AM_JWT_SHA256_WITH_RSA;
	fixture_km (f); /* no keystore */
	info = am_km_validate_key (f->km, &req, &error);
	g_assert_null (info);
	g_assert_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED);
}

/* ---- formats ---- */

static void
test_formats (void)
{
	g_autofree char *h = am_km_hash_json (T_APP);
	const char *const scopes[] = { "default", "am_application_scope", NULL };
	g_autofree char *sh = am_km_scope_hash (scopes);
	g_autofree char *tok = am_km_new_token ();
	g_autofree char *tok2 = am_km_new_token ();
	g_autofree char *ck = am_km_new_client_id ();

	/* the spec's worked example */
	g_assert_cmpstr (h, ==,
			 "{\"hash\":\"61fa569f5d01870f0aff3e3e41a29fa7af3fa1577db33bbe0b739043dd9b10bd"
			 "\",\"algorithm\":\"SHA-256\"}");
	/* md5("am_application_scope default") */
	g_assert_cmpuint (strlen (sh), ==, 32);
	{
		g_autofree char *again = am_km_scope_hash ((const char *const[]) {
			"am_application_scope", "default", NULL });
		g_autofree char *md5 = g_compute_checksum_for_string (G_CHECKSUM_MD5,
								      "am_application_scope default", -1);

		g_assert_cmpstr (sh, ==, again);
		g_assert_cmpstr (sh, ==, md5);
	}
	/* version-3 UUIDs, distinct */
	g_assert_cmpuint (strlen (tok), ==, 36);
	g_assert_cmpint (tok[14], ==, '3');
	g_assert_true (strchr ("89ab", tok[19]) != NULL);
	g_assert_cmpstr (tok, !=, tok2);
	/* 28 characters of WSO2's alphabet, no '/', '+' or '=' */
	g_assert_cmpuint (strlen (ck), ==, 28);
	g_assert_null (strpbrk (ck, "/+="));
	g_assert_cmpint (ck[27], ==, 'a');

	g_assert_cmpint (am_km_parse_timestamp ("2025-11-24 16:00:00"), ==,
			 (gint64) 1764000000 * G_USEC_PER_SEC);
	g_assert_cmpint (am_km_parse_timestamp ("2025-11-24 16:00:00.250"), ==,
			 (gint64) 1764000000 * G_USEC_PER_SEC + 250000);
	g_assert_cmpint (am_km_parse_timestamp ("2025-11-24T16:00:00"), ==, -1);
	g_assert_cmpint (am_km_parse_timestamp ("yesterday"), ==, -1);
	g_assert_cmpint (am_km_parse_timestamp (NULL), ==, -1);

	g_assert_true (am_km_secret_equal ("abc", "abc"));
	g_assert_false (am_km_secret_equal ("abc", "abd"));
	g_assert_false (am_km_secret_equal ("abc", "abcd"));
	g_assert_false (am_km_secret_equal (NULL, "abc"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/km/formats", test_formats);
#define ADD(name, fn, v21)                                                                     \
	g_test_add ("/km/validate/" name, Fixture, GINT_TO_POINTER (v21), fixture_setup, fn,    \
		    fixture_teardown)
	ADD ("authorized", test_authorized, 0);
	ADD ("invalid-token", test_invalid_token, 0);
	ADD ("expiry-skew", test_expiry_skew, 0);
	ADD ("never-expires", test_never_expires, 0);
	ADD ("auth-level", test_auth_level, 0);
	ADD ("not-subscribed", test_not_subscribed, 0);
	ADD ("subscription-states", test_subscription_states, 0);
	ADD ("scopes", test_scopes, 0);
	ADD ("default-version", test_default_version, 0);
	ADD ("schema-2.6", test_schema_variant, 0);
	ADD ("schema-2.1", test_schema_variant, 1);
	ADD ("2.1/authorized", test_authorized, 1);
	ADD ("2.1/subscription-states", test_subscription_states, 1);
	ADD ("cache", test_cache, 0);
	ADD ("cache-token-expiry", test_cache_token_expiry, 0);
	ADD ("cache-off", test_cache_off_by_default, 0);
	ADD ("uri-templates", test_uri_templates, 0);
	ADD ("handshake", test_handshake, 0);
	ADD ("jwt", test_jwt, 0);
	ADD ("jwt-unsigned", test_jwt_unsigned, 0);
	ADD ("jwt-needs-key", test_jwt_needs_key, 0);
#undef ADD
	return g_test_run ();
}
