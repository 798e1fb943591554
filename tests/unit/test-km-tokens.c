/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the Key Manager's token store (am-km-tokens.c) on an SQLite
 * API-M database made from dbscripts/apimgt/sqlite.sql, in the 2.6 shape
 * and in the 2.1 shape (no *_HASH columns): issue and WSO2's reuse rule
 * under an injected clock, the rows as WSO2 writes them (and as
 * am_km_token_lookup reads them back), refresh, revoke, the application
 * key operations, and CON_APP_KEY under concurrent issuing.
 */
#include "config.h"

#include "am-test-util.h"

#include <string.h>

#include "am-km.h"
#include "am-userstore.h"

/* 2024-01-01 00:00:00 UTC */
#define T0 (G_GINT64_CONSTANT (1704067200) * G_USEC_PER_SEC)
#define SKEW 300

static gint64 fake_now = T0;

static gint64
fake_clock (void)
{
	return fake_now;
}

typedef struct {
	char *dir;
	AmDb *db;
	AmKm *km;
	AmKmConf conf;
	GPtrArray *revoked; /* tokens passed to the revoke hook */
	GMutex revoked_lock;
	gint64 app_id;
} Fixture;

static void
on_revoked (gpointer data, const char *const *tokens)
{
	Fixture *f = data;

	g_mutex_lock (&f->revoked_lock);
	for (guint i = 0; tokens[i] != NULL; i++)
		g_ptr_array_add (f->revoked, g_strdup (tokens[i]));
	g_mutex_unlock (&f->revoked_lock);
}

static void
exec (Fixture *f, const char *script)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &error);

	g_assert_no_error (error);
	g_assert_true (am_db_exec_script (conn, script, &error));
	g_assert_true (am_db_commit (conn, &error));
	g_assert_no_error (error);
}

static void
make_km (Fixture *f)
{
	g_autoptr (GError) error = NULL;

	g_clear_pointer (&f->km, am_km_free);
	f->km = am_km_new_for_db (f->db, NULL, &f->conf, &error);
	g_assert_no_error (error);
	am_km_set_clock (f->km, fake_clock);
	am_km_add_revoke_hook (f->km, on_revoked, f);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	const char *const schemas[] = { "apimgt/sqlite.sql", NULL };

	f->dir = g_dir_make_tmp ("apimd-km-XXXXXX", &error);
	g_assert_no_error (error);
	f->db = am_test_sqlite_db (f->dir, schemas);
	exec (f, "INSERT INTO AM_SUBSCRIBER (USER_ID, TENANT_ID, EMAIL_ADDRESS, DATE_SUBSCRIBED) "
		 "VALUES ('admin', -1234, '', '2024-01-01 00:00:00');\n"
		 "INSERT INTO AM_APPLICATION (NAME, SUBSCRIBER_ID, APPLICATION_TIER, "
		 "APPLICATION_STATUS, UUID) VALUES ('PizzaApp', 1, 'Unlimited', 'APPROVED', 'u-1');\n");
	f->app_id = 1;
	if (data != NULL) /* the 2.1 token table */
		exec (f, "DROP INDEX IF EXISTS IDX_ATH;\n"
			 "ALTER TABLE IDN_OAUTH2_ACCESS_TOKEN DROP COLUMN ACCESS_TOKEN_HASH;\n"
			 "ALTER TABLE IDN_OAUTH2_ACCESS_TOKEN DROP COLUMN REFRESH_TOKEN_HASH;\n");
	f->conf = (AmKmConf) {
		.app_token_validity = 3600,
		.user_token_validity = 3600,
		.refresh_token_validity = 84600,
		.timestamp_skew = SKEW,
		.renew_refresh_token = TRUE,
	};
	f->revoked = g_ptr_array_new_with_free_func (g_free);
	g_mutex_init (&f->revoked_lock);
	fake_now = T0;
	make_km (f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_clear_pointer (&f->km, am_km_free);
	g_clear_pointer (&f->db, am_db_unref);
	am_test_rm_rf (f->dir);
	g_free (f->dir);
	g_ptr_array_unref (f->revoked);
	g_mutex_clear (&f->revoked_lock);
}

/* One text value of a query with one text parameter. */
static char *
query1 (Fixture *f, const char *sql, const char *arg)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &error);
	g_autoptr (AmDbStmt) st = NULL;
	char *v = NULL;

	g_assert_no_error (error);
	st = am_db_prepare (conn, sql, &error);
	g_assert_no_error (error);
	if (arg != NULL)
		am_db_bind_text (st, 1, arg);
	if (am_db_step (st, &error) == AM_DB_STEP_ROW)
		v = g_strdup (am_db_column_text (st, 0));
	g_assert_no_error (error);
	g_clear_pointer (&st, am_db_stmt_free);
	am_db_rollback (conn, NULL);
	return v;
}

static AmKmClient *
create_client (Fixture *f, const char *key_type)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &error);
	AmKmClient *c = NULL;

	g_assert_no_error (error);
	c = am_km_app_create_keys (f->km, conn, f->app_id, key_type, "admin", NULL, NULL, &error);
	g_assert_no_error (error);
	g_assert_nonnull (c);
	return c;
}

static AmKmIssuedToken *
issue (Fixture *f, const AmKmClient *c, const char *user, const char *const *scopes,
       gint64 validity_s)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &error);
	AmKmIssuedToken *t;

	g_assert_no_error (error);
	t = am_km_token_issue (f->km, conn, c, user, user != NULL ? "APPLICATION_USER" : "APPLICATION",
			       user != NULL ? "password" : "client_credentials", scopes, validity_s,
			       &error);
	g_assert_no_error (error);
	g_assert_nonnull (t);
	return t;
}

static AmKmToken *
lookup (Fixture *f, const char *access_token)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &error);
	AmKmToken *t;

	g_assert_no_error (error);
	t = am_km_token_lookup (f->km, conn, access_token, &error);
	g_assert_no_error (error);
	am_db_rollback (conn, NULL);
	return t;
}

static void
test_issue_reuse_expire (Fixture *f, gconstpointer data)
{
	const char *scopes[] = { "default", "am_application_scope", "default", NULL };
	g_autoptr (AmKmClient) c = create_client (f, "PRODUCTION");
	g_autoptr (AmKmIssuedToken) t1 = issue (f, c, NULL, scopes, 0);
	g_autoptr (AmKmIssuedToken) t2 = NULL;
	g_autoptr (AmKmIssuedToken) t3 = NULL;
	g_autoptr (AmKmToken) row = NULL;
	g_autoptr (AmKmToken) old = NULL;
	g_autofree char *scope_hash = NULL;
	g_autofree char *stored_hash = NULL;
	g_autofree char *state_id = NULL;

	/* sorted, without duplicates; as the row says */
	g_assert_cmpuint (g_strv_length (t1->scopes), ==, 2);
	g_assert_cmpstr (t1->scopes[0], ==, "am_application_scope");
	g_assert_cmpstr (t1->scopes[1], ==, "default");
	g_assert_cmpint (t1->expires_in, ==, 3600);
	g_assert_cmpuint (strlen (t1->access_token), ==, 36);
	row = lookup (f, t1->access_token);
	g_assert_nonnull (row);
	g_assert_cmpstr (row->token_state, ==, "ACTIVE");
	g_assert_cmpstr (row->authz_user, ==, "admin");
	g_assert_cmpint (row->tenant_id, ==, AM_SUPER_TENANT_ID);
	g_assert_cmpstr (row->user_domain, ==, "PRIMARY");
	g_assert_cmpstr (row->user_type, ==, "APPLICATION");
	g_assert_cmpstr (row->grant_type, ==, "client_credentials");
	g_assert_cmpint (row->time_created, ==, T0);
	g_assert_cmpint (row->validity_ms, ==, 3600 * 1000);
	g_assert_cmpint (row->refresh_validity_ms, ==, 84600 * 1000);
	g_assert_cmpstr (row->consumer_key, ==, c->consumer_key);
	g_assert_true (g_strv_equal ((const char *const *) row->scopes,
				     (const char *const *) t1->scopes));
	g_assert_true (am_km_token_is_application (f->km, row));
	scope_hash = am_km_scope_hash ((const char *const *) t1->scopes);
	stored_hash = query1 (f, "SELECT TOKEN_SCOPE_HASH FROM IDN_OAUTH2_ACCESS_TOKEN "
				 "WHERE ACCESS_TOKEN = ?", t1->access_token);
	g_assert_cmpstr (stored_hash, ==, scope_hash);
	state_id = query1 (f, "SELECT TOKEN_STATE_ID FROM IDN_OAUTH2_ACCESS_TOKEN WHERE ACCESS_TOKEN = ?",
			   t1->access_token);
	g_assert_cmpstr (state_id, ==, "NONE");
	g_clear_pointer (&state_id, g_free);

	/* 100 s later: the same token, with what is left less the skew */
	fake_now = T0 + 100 * G_USEC_PER_SEC;
	t2 = issue (f, c, NULL, scopes, 0);
	g_assert_cmpstr (t2->access_token, ==, t1->access_token);
	g_assert_cmpstr (t2->token_id, ==, t1->token_id);
	g_assert_cmpint (t2->expires_in, ==, 3600 - 100 - SKEW);

	/* past the validity (less skew): EXPIRED with a TOKEN_STATE_ID, new token */
	fake_now = T0 + (gint64) (3600 - SKEW) * G_USEC_PER_SEC;
	t3 = issue (f, c, NULL, scopes, 0);
	g_assert_cmpstr (t3->access_token, !=, t1->access_token);
	old = lookup (f, t1->access_token);
	g_assert_cmpstr (old->token_state, ==, "EXPIRED");
	state_id = query1 (f, "SELECT TOKEN_STATE_ID FROM IDN_OAUTH2_ACCESS_TOKEN WHERE ACCESS_TOKEN = ?",
			   t1->access_token);
	g_assert_cmpuint (strlen (state_id), ==, 36);
	g_clear_pointer (&row, am_km_token_free);
	row = lookup (f, t3->access_token);
	g_assert_cmpint (row->time_created, ==, fake_now);
	g_assert_cmpint (am_km_token_remaining (f->km, row, fake_now), >, 0);
}

static void
test_validity (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKmClient) c = create_client (f, "PRODUCTION");
	g_autoptr (AmKmIssuedToken) never = issue (f, c, NULL, NULL, -2);
	g_autoptr (AmKmIssuedToken) user = NULL;
	g_autoptr (AmKmToken) row = lookup (f, never->access_token);
	g_autoptr (AmKmToken) urow = NULL;

	g_assert_cmpint (never->expires_in, ==, AM_KM_NEVER_EXPIRES_IN);
	g_assert_cmpint (row->validity_ms, <, 0);
	g_assert_cmpint (am_km_token_remaining (f->km, row, T0 + (gint64) G_USEC_PER_SEC * 86400 * 365), ==,
			 G_MAXINT64);
	g_assert_cmpstr (row->scopes[0], ==, "default");
	/* the client's own expiry times (2.6 columns) beat identity.xml's */
	exec (f, "UPDATE IDN_OAUTH_CONSUMER_APPS SET USER_ACCESS_TOKEN_EXPIRE_TIME = 120;\n");
	g_clear_pointer (&c, am_km_client_free);
	{
		g_autoptr (GError) error = NULL;
		g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &error);

		c = am_km_client_lookup (f->km, conn, never->token_id, &error);
		g_assert_null (c);
		g_assert_no_error (error);
		c = am_km_client_lookup (f->km, conn, row->consumer_key, &error);
		g_assert_no_error (error);
		am_db_rollback (conn, NULL);
	}
	g_assert_cmpint (c->user_token_expiry, ==, 120);
	user = issue (f, c, "admin", NULL, 0);
	g_assert_cmpint (user->expires_in, ==, 120);
	urow = lookup (f, user->access_token);
	g_assert_cmpint (urow->validity_ms, ==, 120000);
	g_assert_cmpstr (urow->user_type, ==, "APPLICATION_USER");
}

static void
test_hash_columns (Fixture *f, gconstpointer data)
{
	gboolean v21 = data != NULL;
	g_autoptr (AmKmClient) c = create_client (f, "SANDBOX");
	g_autoptr (AmKmIssuedToken) t = issue (f, c, "admin", NULL, 0);
	g_autoptr (AmKmToken) row = lookup (f, t->access_token);

	g_assert_cmpint (am_km_get_schema (f->km)->token_hash, ==, !v21);
	g_assert_nonnull (row);
	g_assert_cmpstr (row->refresh_token, ==, t->refresh_token);
	if (!v21) {
		g_autofree char *at = query1 (f, "SELECT ACCESS_TOKEN_HASH FROM IDN_OAUTH2_ACCESS_TOKEN "
						 "WHERE ACCESS_TOKEN = ?", t->access_token);
		g_autofree char *rt = query1 (f, "SELECT REFRESH_TOKEN_HASH FROM IDN_OAUTH2_ACCESS_TOKEN "
						 "WHERE ACCESS_TOKEN = ?", t->access_token);
		g_autofree char *want_at = am_km_hash_json (t->access_token);
		g_autofree char *want_rt = am_km_hash_json (t->refresh_token);

		g_assert_cmpstr (at, ==, want_at);
		g_assert_cmpstr (rt, ==, want_rt);
		g_assert_true (g_str_has_prefix (at, "{\"hash\":\""));
	}
}

static AmKmIssuedToken *
refresh (Fixture *f, const AmKmClient *c, const char *rt, const char *const *scopes,
	 GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &local);

	g_assert_no_error (local);
	return am_km_token_refresh (f->km, conn, c, rt, scopes, error);
}

static void
test_refresh (Fixture *f, gconstpointer data)
{
	const char *read[] = { "read", "write", NULL };
	const char *narrower[] = { "read", NULL };
	const char *wider[] = { "read", "admin", NULL };
	g_autoptr (AmKmClient) c = create_client (f, "PRODUCTION");
	g_autoptr (AmKmClient) other = create_client (f, "SANDBOX");
	g_autoptr (AmKmIssuedToken) t = issue (f, c, "admin", read, 0);
	g_autoptr (AmKmIssuedToken) r1 = NULL;
	g_autoptr (AmKmIssuedToken) r2 = NULL;
	g_autoptr (AmKmIssuedToken) bad = NULL;
	g_autoptr (AmKmToken) old = NULL;
	g_autoptr (AmKmToken) row = NULL;
	g_autoptr (GError) error = NULL;

	fake_now += 10 * G_USEC_PER_SEC;
	r1 = refresh (f, c, t->refresh_token, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (r1->access_token, !=, t->access_token);
	g_assert_cmpstr (r1->refresh_token, !=, t->refresh_token);
	g_assert_cmpstr (r1->replaced_token, ==, t->access_token);
	g_assert_cmpint (r1->expires_in, ==, 3600);
	old = lookup (f, t->access_token);
	g_assert_cmpstr (old->token_state, ==, "EXPIRED");
	row = lookup (f, r1->access_token);
	g_assert_cmpstr (row->grant_type, ==, "refresh_token");
	g_assert_cmpstr (row->authz_user, ==, "admin");
	g_assert_cmpstr (row->user_type, ==, "APPLICATION_USER");
	g_assert_cmpint (row->refresh_time_created, ==, fake_now);
	g_assert_true (g_strv_equal ((const char *const *) row->scopes, read));
	g_assert_true (g_ptr_array_find_with_equal_func (f->revoked, t->access_token, g_str_equal,
							 NULL));

	/* the spent refresh token, another client, a wider scope */
	bad = refresh (f, c, t->refresh_token, NULL, &error);
	g_assert_error (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_GRANT);
	g_clear_error (&error);
	bad = refresh (f, other, r1->refresh_token, NULL, &error);
	g_assert_error (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_GRANT);
	g_clear_error (&error);
	bad = refresh (f, c, r1->refresh_token, wider, &error);
	g_assert_error (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_SCOPE);
	g_clear_error (&error);

	/* a narrower scope is fine */
	r2 = refresh (f, c, r1->refresh_token, narrower, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_strv_length (r2->scopes), ==, 1);

	/* the refresh token's own validity */
	fake_now += (gint64) 84601 * G_USEC_PER_SEC;
	bad = refresh (f, c, r2->refresh_token, NULL, &error);
	g_assert_error (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_GRANT);
	g_assert_null (bad);
}

static void
test_refresh_keeps_refresh_token (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKmClient) c = NULL;
	g_autoptr (AmKmIssuedToken) t = NULL;
	g_autoptr (AmKmIssuedToken) r1 = NULL;
	g_autoptr (AmKmIssuedToken) r2 = NULL;
	g_autoptr (AmKmToken) row = NULL;
	g_autoptr (GError) error = NULL;

	f->conf.renew_refresh_token = FALSE;
	make_km (f);
	c = create_client (f, "PRODUCTION");
	t = issue (f, c, "admin", NULL, 0);
	fake_now += 5 * G_USEC_PER_SEC;
	r1 = refresh (f, c, t->refresh_token, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (r1->refresh_token, ==, t->refresh_token);
	row = lookup (f, r1->access_token);
	g_assert_cmpint (row->refresh_time_created, ==, T0);
	/* the same refresh token again: it is still the current one */
	r2 = refresh (f, c, t->refresh_token, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (r2->access_token, !=, r1->access_token);
}

static gboolean
revoke_token (Fixture *f, const AmKmClient *c, const char *token, const char *hint, AmKmToken **out,
	GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &local);

	g_assert_no_error (local);
	return am_km_token_revoke (f->km, conn, c, token, hint, out, error);
}

static void
test_revoke (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKmClient) c = create_client (f, "PRODUCTION");
	g_autoptr (AmKmClient) other = create_client (f, "SANDBOX");
	g_autoptr (AmKmIssuedToken) t = issue (f, c, "admin", NULL, 0);
	g_autoptr (AmKmIssuedToken) t2 = NULL;
	g_autoptr (AmKmToken) gone = NULL;
	g_autoptr (AmKmToken) row = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *state_id = NULL;

	/* another client may not */
	g_assert_false (revoke_token (f, other, t->access_token, NULL, &gone, &error));
	g_assert_error (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_CLIENT);
	g_clear_error (&error);
	g_assert_null (gone);

	g_assert_true (revoke_token (f, c, t->access_token, "access_token", &gone, &error));
	g_assert_no_error (error);
	g_assert_nonnull (gone);
	g_assert_cmpstr (gone->refresh_token, ==, t->refresh_token);
	row = lookup (f, t->access_token);
	g_assert_cmpstr (row->token_state, ==, "REVOKED");
	state_id = query1 (f, "SELECT TOKEN_STATE_ID FROM IDN_OAUTH2_ACCESS_TOKEN WHERE ACCESS_TOKEN = ?",
			   t->access_token);
	g_assert_cmpuint (strlen (state_id), ==, 36);
	g_assert_cmpuint (f->revoked->len, ==, 1);
	g_assert_cmpstr (f->revoked->pdata[0], ==, t->access_token);
	g_clear_pointer (&gone, am_km_token_free);

	/* already revoked, unknown: nothing to do, no error */
	g_assert_true (revoke_token (f, c, t->access_token, NULL, &gone, &error));
	g_assert_null (gone);
	g_assert_true (revoke_token (f, c, "no-such-token", NULL, &gone, &error));
	g_assert_null (gone);
	g_assert_no_error (error);

	/* by refresh token, with the wrong hint too */
	t2 = issue (f, c, "admin", NULL, 0);
	g_assert_cmpstr (t2->access_token, !=, t->access_token);
	g_assert_true (revoke_token (f, c, t2->refresh_token, "access_token", &gone, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (gone->access_token, ==, t2->access_token);
	g_assert_cmpuint (f->revoked->len, ==, 2);
}

static void
test_app_keys (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKmClient) c = create_client (f, "PRODUCTION");
	g_autoptr (AmKmClient) dup = NULL;
	g_autoptr (AmKmClient) mail = NULL;
	g_autoptr (AmKmIssuedToken) t = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autofree char *state = NULL;
	g_autofree char *mapped = NULL;
	g_autofree char *reg = NULL;
	g_autofree char *secret = NULL;
	g_autofree char *stored = NULL;
	g_autofree char *n = NULL;

	g_assert_cmpstr (c->app_name, ==, "admin_PizzaApp_PRODUCTION");
	g_assert_cmpuint (strlen (c->consumer_key), ==, 28);
	g_assert_cmpuint (strlen (c->consumer_secret), ==, 28);
	g_assert_cmpstr (c->grant_types, ==,
			 "refresh_token urn:ietf:params:oauth:grant-type:saml2-bearer password "
			 "client_credentials iwa:ntlm");
	g_assert_cmpstr (c->app_state, ==, "ACTIVE");
	g_assert_cmpstr (c->username, ==, "admin");
	g_assert_cmpstr (c->user_domain, ==, "PRIMARY");
	g_assert_cmpint (c->tenant_id, ==, AM_SUPER_TENANT_ID);
	state = query1 (f, "SELECT STATE FROM AM_APPLICATION_KEY_MAPPING WHERE KEY_TYPE = ?",
			"PRODUCTION");
	mapped = query1 (f, "SELECT CONSUMER_KEY FROM AM_APPLICATION_KEY_MAPPING WHERE KEY_TYPE = ?",
			 "PRODUCTION");
	reg = query1 (f, "SELECT COUNT(*) FROM AM_APPLICATION_REGISTRATION WHERE TOKEN_TYPE = ?",
		      "PRODUCTION");
	g_assert_cmpstr (state, ==, "COMPLETED");
	g_assert_cmpstr (mapped, ==, c->consumer_key);
	g_assert_cmpstr (reg, ==, "1");

	conn = am_db_acquire (f->db, &error);
	g_assert_no_error (error);
	dup = am_km_app_create_keys (f->km, conn, f->app_id, "PRODUCTION", "admin", NULL, NULL, &error);
	g_assert_error (error, AM_KM_ERROR, AM_KM_ERROR_EXISTS);
	g_clear_error (&error);
	dup = am_km_app_create_keys (f->km, conn, 99, "PRODUCTION", "admin", NULL, NULL, &error);
	g_assert_error (error, AM_KM_ERROR, AM_KM_ERROR_NOT_FOUND);
	g_clear_error (&error);
	mail = am_km_app_create_keys (f->km, conn, f->app_id, "SANDBOX", "bob@example.com",
				      "client_credentials", "https://cb", &error);
	g_assert_no_error (error);
	g_assert_cmpstr (mail->app_name, ==, "bob-AT-example.com_PizzaApp_SANDBOX");
	g_assert_cmpstr (mail->grant_types, ==, "client_credentials");
	g_assert_cmpstr (mail->callback_url, ==, "https://cb");

	secret = am_km_app_regenerate_secret (f->km, conn, c->consumer_key, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (strlen (secret), ==, 28);
	g_assert_cmpstr (secret, !=, c->consumer_secret);
	g_assert_null (am_km_app_regenerate_secret (f->km, conn, "nope", &error));
	g_assert_error (error, AM_KM_ERROR, AM_KM_ERROR_NOT_FOUND);
	g_clear_error (&error);
	g_clear_pointer (&conn, am_db_release);
	stored = query1 (f, "SELECT CONSUMER_SECRET FROM IDN_OAUTH_CONSUMER_APPS WHERE CONSUMER_KEY = ?",
			 c->consumer_key);
	g_assert_cmpstr (stored, ==, secret);

	/* delete: the client, its tokens, the mapping and registration */
	t = issue (f, c, NULL, NULL, 0);
	conn = am_db_acquire (f->db, &error);
	g_assert_true (am_km_app_delete_keys (f->km, conn, f->app_id, "PRODUCTION", &error));
	g_assert_no_error (error);
	g_assert_false (am_km_app_delete_keys (f->km, conn, f->app_id, "PRODUCTION", &error));
	g_assert_error (error, AM_KM_ERROR, AM_KM_ERROR_NOT_FOUND);
	g_clear_pointer (&conn, am_db_release);
	g_assert_cmpuint (f->revoked->len, ==, 1);
	g_assert_cmpstr (f->revoked->pdata[0], ==, t->access_token);
	n = query1 (f, "SELECT COUNT(*) FROM IDN_OAUTH2_ACCESS_TOKEN T JOIN "
		       "IDN_OAUTH2_ACCESS_TOKEN_SCOPE S ON S.TOKEN_ID = T.TOKEN_ID "
		       "WHERE T.ACCESS_TOKEN = ?", t->access_token);
	g_assert_cmpstr (n, ==, "0");
	g_clear_pointer (&n, g_free);
	n = query1 (f, "SELECT COUNT(*) FROM AM_APPLICATION_KEY_MAPPING WHERE KEY_TYPE = ?",
		    "PRODUCTION");
	g_assert_cmpstr (n, ==, "0");
	g_clear_pointer (&n, g_free);
	n = query1 (f, "SELECT COUNT(*) FROM AM_APPLICATION_REGISTRATION WHERE TOKEN_TYPE = ?",
		    "PRODUCTION");
	g_assert_cmpstr (n, ==, "0");
	/* and the keys can be made again */
	g_clear_pointer (&c, am_km_client_free);
	c = create_client (f, "PRODUCTION");
}

typedef struct {
	Fixture *f;
	const AmKmClient *c;
	char *token;
} Racer;

static gpointer
race_thread (gpointer data)
{
	Racer *r = data;
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (r->f->db, &error);
	g_autoptr (AmKmIssuedToken) t = NULL;

	g_assert_no_error (error);
	t = am_km_token_issue (r->f->km, conn, r->c, "admin", "APPLICATION_USER", "password", NULL,
			       0, &error);
	g_assert_no_error (error);
	r->token = g_strdup (t->access_token);
	return NULL;
}

/* Many issuers at once for one CON_APP_KEY slot: one token for all. */
static void
test_con_app_key (Fixture *f, gconstpointer data)
{
	g_autoptr (AmKmClient) c = create_client (f, "PRODUCTION");
	Racer racers[6];
	GThread *threads[G_N_ELEMENTS (racers)];
	g_autofree char *active = NULL;

	for (guint i = 0; i < G_N_ELEMENTS (racers); i++) {
		racers[i] = (Racer) { f, c, NULL };
		threads[i] = g_thread_new ("racer", race_thread, &racers[i]);
	}
	for (guint i = 0; i < G_N_ELEMENTS (racers); i++)
		g_thread_join (threads[i]);
	for (guint i = 1; i < G_N_ELEMENTS (racers); i++)
		g_assert_cmpstr (racers[i].token, ==, racers[0].token);
	for (guint i = 0; i < G_N_ELEMENTS (racers); i++)
		g_free (racers[i].token);
	active = query1 (f, "SELECT COUNT(*) FROM IDN_OAUTH2_ACCESS_TOKEN WHERE TOKEN_STATE = ?",
			 "ACTIVE");
	g_assert_cmpstr (active, ==, "1");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
#define ADD(name, func)                                                                        \
	g_test_add ("/km-tokens/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD ("issue-reuse-expire", test_issue_reuse_expire);
	ADD ("validity", test_validity);
	ADD ("hash-columns-2.6", test_hash_columns);
	g_test_add ("/km-tokens/hash-columns-2.1", Fixture, GINT_TO_POINTER (1), fixture_setup,
		    test_hash_columns, fixture_teardown);
	g_test_add ("/km-tokens/refresh-2.1", Fixture, GINT_TO_POINTER (1), fixture_setup,
		    test_refresh, fixture_teardown);
	ADD ("refresh", test_refresh);
	ADD ("refresh-keeps-refresh-token", test_refresh_keeps_refresh_token);
	ADD ("revoke", test_revoke);
	g_test_add ("/km-tokens/revoke-2.1", Fixture, GINT_TO_POINTER (1), fixture_setup,
		    test_revoke, fixture_teardown);
	ADD ("app-keys", test_app_keys);
	ADD ("con-app-key", test_con_app_key);
	return g_test_run ();
}
