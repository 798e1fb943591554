/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OAuth2 tokens on WSO2's IDN_OAUTH2_ACCESS_TOKEN / _SCOPE rows, written
 * exactly as identity-inbound-auth-oauth 5.3.4 (API-M 2.1) and 6.0.53
 * (2.6) write them, so that a WSO2 Key Manager sharing the database reads
 * our tokens and we read theirs:
 *
 *   - TOKEN_ID a random UUID; TIME_CREATED / REFRESH_TOKEN_TIME_CREATED the
 *     UTC wall clock; VALIDITY_PERIOD in milliseconds, negative for a token
 *     that never expires; TOKEN_SCOPE_HASH the md5 of the sorted scopes;
 *     TOKEN_STATE ACTIVE with TOKEN_STATE_ID 'NONE' until the state changes,
 *     then a random UUID (which keeps the CON_APP_KEY unique key free for
 *     the next ACTIVE token of the same client, user and scopes);
 *     ACCESS_TOKEN_HASH / REFRESH_TOKEN_HASH only on the 2.6 schema.
 *   - Reuse (AbstractAuthorizationGrantHandler.issue): an ACTIVE token of
 *     the same client, user, user domain, user type and scope set whose
 *     access and refresh token both have more than a second left (after
 *     TimestampSkew) is returned again with the seconds it has left;
 *     otherwise it becomes EXPIRED and a new token is written.
 *   - The refresh_token grant (RefreshGrantHandler) and RFC 7009 revocation
 *     (OAuthRevocationEndpoint, by hash on 2.6, by value on 2.1).
 *
 * Also the IDN_OAUTH_CONSUMER_APPS client lookup the token endpoint
 * authenticates against.
 *
 * Every function here blocks on the database; each write path commits its
 * own transaction and leaves none open.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"
#include "am-userstore.h"

#include <string.h>

#define STATE_ACTIVE "ACTIVE"
#define STATE_EXPIRED "EXPIRED"
#define STATE_REVOKED "REVOKED"
#define DEFAULT_SCOPE "default"

/* ---- clients ---- */

void
am_km_client_free (AmKmClient *client)
{
	if (client == NULL)
		return;
	g_free (client->consumer_key);
	g_free (client->consumer_secret);
	g_free (client->username);
	g_free (client->user_domain);
	g_free (client->app_name);
	g_free (client->callback_url);
	g_free (client->grant_types);
	g_free (client->app_state);
	g_free (client);
}

AmKmClient *
am_km_client_lookup (AmKm *km, AmDbConn *conn, const char *consumer_key, GError **error)
{
	const AmKmSchema *schema = am_km_get_schema (km);
	g_autofree char *sql = g_strdup_printf (
		"SELECT ID, CONSUMER_KEY, CONSUMER_SECRET, USERNAME, TENANT_ID, USER_DOMAIN, "
		"APP_NAME, CALLBACK_URL, GRANT_TYPES, %s, %s "
		"FROM IDN_OAUTH_CONSUMER_APPS WHERE CONSUMER_KEY = ?",
		schema->app_state ? "APP_STATE" : "NULL",
		schema->app_expiry_times ? "USER_ACCESS_TOKEN_EXPIRE_TIME, "
					   "APP_ACCESS_TOKEN_EXPIRE_TIME, REFRESH_TOKEN_EXPIRE_TIME"
					 : "0, 0, 0");
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);
	AmKmClient *c;
	AmDbStep step;

	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, consumer_key);
	step = am_db_step (st, error);
	if (step != AM_DB_STEP_ROW)
		return NULL;
	c = g_new0 (AmKmClient, 1);
	c->id = am_db_column_int64 (st, 0);
	c->consumer_key = g_strdup (am_db_column_text (st, 1));
	c->consumer_secret = g_strdup (am_db_column_text (st, 2));
	c->username = g_strdup (am_db_column_text (st, 3));
	c->tenant_id = (int) am_db_column_int64 (st, 4);
	c->user_domain = g_strdup (am_db_column_text (st, 5));
	c->app_name = g_strdup (am_db_column_text (st, 6));
	c->callback_url = g_strdup (am_db_column_text (st, 7));
	c->grant_types = g_strdup (am_db_column_text (st, 8));
	c->app_state = g_strdup (am_db_column_text (st, 9));
	c->user_token_expiry = am_db_column_int64 (st, 10);
	c->app_token_expiry = am_db_column_int64 (st, 11);
	c->refresh_token_expiry = am_db_column_int64 (st, 12);
	return c;
}

/* ---- token rows ---- */

void
am_km_issued_token_free (AmKmIssuedToken *t)
{
	if (t == NULL)
		return;
	g_free (t->access_token);
	g_free (t->refresh_token);
	g_strfreev (t->scopes);
	g_free (t->token_id);
	g_free (t->replaced_token);
	g_free (t);
}

static int
cmp_strp (gconstpointer a, gconstpointer b)
{
	return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The scope set of a token: sorted, without duplicates or empty names;
 * "default" when nothing is asked for. */
static char **
scope_set (const char *const *scopes)
{
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

	for (guint i = 0; scopes != NULL && scopes[i] != NULL; i++) {
		if (*scopes[i] != '\0' &&
		    !g_ptr_array_find_with_equal_func (out, scopes[i], g_str_equal, NULL))
			g_ptr_array_add (out, g_strdup (scopes[i]));
	}
	if (out->len == 0)
		g_ptr_array_add (out, g_strdup (DEFAULT_SCOPE));
	g_ptr_array_sort (out, cmp_strp);
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_steal (out, NULL);
}

/* Who a token is for: the CON_APP_KEY columns besides the client and scopes. */
typedef struct {
	const char *user;
	int tenant_id;
	const char *domain;
	const char *user_type;
} TokenOwner;

/* Microseconds a (time created, validity) pair has left at @now, as WSO2's
 * issuer counts it (OAuth2Util.getAccessTokenExpireMillis: the skew is
 * taken off, so a token about to expire is not handed out again). */
static gint64
time_left (AmKm *km, gint64 created, gint64 validity_ms, gint64 now)
{
	gint64 skew = (gint64) am_km_get_conf (km)->timestamp_skew * G_USEC_PER_SEC;

	if (validity_ms < 0 || validity_ms >= G_MAXINT64 / 1000)
		return G_MAXINT64;
	if (created < 0)
		return 0;
	return created + validity_ms * 1000 - (now + skew);
}

static gint64
expires_in_seconds (gint64 left_usec)
{
	return left_usec == G_MAXINT64 ? AM_KM_NEVER_EXPIRES_IN : left_usec / G_USEC_PER_SEC;
}

/* Set @token_id's state (EXPIRED / REVOKED) with a fresh TOKEN_STATE_ID. */
static gboolean
token_set_state (AmDbConn *conn, const char *token_id, const char *state, GError **error)
{
	g_autofree char *state_id = am_km_uuid4 ();

	return am_db_exec (conn,
			   "UPDATE IDN_OAUTH2_ACCESS_TOKEN SET TOKEN_STATE = ?, TOKEN_STATE_ID = ? "
			   "WHERE TOKEN_ID = ?",
			   error, 3, state, state_id, token_id) >= 0;
}

/* The ACTIVE row holding the CON_APP_KEY slot of (client, owner, scope hash). */
typedef struct {
	char *token_id;
	char *access_token;
	char *refresh_token;
	gint64 time_created;
	gint64 validity_ms;
	gint64 refresh_time_created;
	gint64 refresh_validity_ms;
} ActiveRow;

static void
active_row_free (ActiveRow *r)
{
	if (r == NULL)
		return;
	g_free (r->token_id);
	g_free (r->access_token);
	g_free (r->refresh_token);
	g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ActiveRow, active_row_free)

static ActiveRow *
find_active (AmDbConn *conn, gint64 client_id, const TokenOwner *o, const char *scope_hash,
	     GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		"SELECT TOKEN_ID, ACCESS_TOKEN, REFRESH_TOKEN, TIME_CREATED, VALIDITY_PERIOD, "
		"REFRESH_TOKEN_TIME_CREATED, REFRESH_TOKEN_VALIDITY_PERIOD "
		"FROM IDN_OAUTH2_ACCESS_TOKEN WHERE CONSUMER_KEY_ID = ? AND AUTHZ_USER = ? "
		"AND TENANT_ID = ? AND USER_DOMAIN = ? AND USER_TYPE = ? AND TOKEN_SCOPE_HASH = ? "
		"AND TOKEN_STATE = 'ACTIVE' ORDER BY TIME_CREATED DESC",
		error);
	ActiveRow *r;

	if (st == NULL)
		return NULL;
	am_db_bind_int64 (st, 1, client_id);
	am_db_bind_text (st, 2, o->user);
	am_db_bind_int64 (st, 3, o->tenant_id);
	am_db_bind_text (st, 4, o->domain);
	am_db_bind_text (st, 5, o->user_type);
	am_db_bind_text (st, 6, scope_hash);
	if (am_db_step (st, error) != AM_DB_STEP_ROW)
		return NULL;
	r = g_new0 (ActiveRow, 1);
	r->token_id = g_strdup (am_db_column_text (st, 0));
	r->access_token = g_strdup (am_db_column_text (st, 1));
	r->refresh_token = g_strdup (am_db_column_text (st, 2));
	r->time_created = am_km_parse_timestamp (am_db_column_text (st, 3));
	r->validity_ms = am_db_column_int64 (st, 4);
	r->refresh_time_created = am_km_parse_timestamp (am_db_column_text (st, 5));
	r->refresh_validity_ms = am_db_column_int64 (st, 6);
	return r;
}

/* A new token row and its scope rows. */
typedef struct {
	const AmKmClient *client;
	const TokenOwner *owner;
	const char *grant_type;
	char *const *scopes;	  /* a scope_set */
	const char *scope_hash;
	gint64 validity_ms;
	const char *refresh_token; /* NULL: a new one */
	gint64 refresh_created;	   /* with @refresh_token */
	gint64 refresh_validity_ms;
} NewToken;

static AmKmIssuedToken *
token_insert (AmKm *km, AmDbConn *conn, const NewToken *n, gint64 now, GError **error)
{
	gboolean hashed = am_km_get_schema (km)->token_hash;
	g_autoptr (AmKmIssuedToken) t = g_new0 (AmKmIssuedToken, 1);
	g_autoptr (AmDbStmt) st = NULL;
	g_autofree char *at_hash = NULL;
	g_autofree char *rt_hash = NULL;

	t->token_id = am_km_uuid4 ();
	t->access_token = am_km_new_token ();
	t->refresh_token = n->refresh_token != NULL ? g_strdup (n->refresh_token) : am_km_new_token ();
	t->scopes = g_strdupv ((char **) n->scopes);
	t->expires_in = n->validity_ms < 0 ? AM_KM_NEVER_EXPIRES_IN : n->validity_ms / 1000;
	st = am_db_prepare (
		conn,
		hashed ? "INSERT INTO IDN_OAUTH2_ACCESS_TOKEN (TOKEN_ID, ACCESS_TOKEN, REFRESH_TOKEN, "
			 "CONSUMER_KEY_ID, AUTHZ_USER, TENANT_ID, USER_DOMAIN, USER_TYPE, GRANT_TYPE, "
			 "TIME_CREATED, REFRESH_TOKEN_TIME_CREATED, VALIDITY_PERIOD, "
			 "REFRESH_TOKEN_VALIDITY_PERIOD, TOKEN_SCOPE_HASH, TOKEN_STATE, TOKEN_STATE_ID, "
			 "SUBJECT_IDENTIFIER, ACCESS_TOKEN_HASH, REFRESH_TOKEN_HASH) "
			 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', 'NONE', ?, ?, ?)"
		       : "INSERT INTO IDN_OAUTH2_ACCESS_TOKEN (TOKEN_ID, ACCESS_TOKEN, REFRESH_TOKEN, "
			 "CONSUMER_KEY_ID, AUTHZ_USER, TENANT_ID, USER_DOMAIN, USER_TYPE, GRANT_TYPE, "
			 "TIME_CREATED, REFRESH_TOKEN_TIME_CREATED, VALIDITY_PERIOD, "
			 "REFRESH_TOKEN_VALIDITY_PERIOD, TOKEN_SCOPE_HASH, TOKEN_STATE, TOKEN_STATE_ID, "
			 "SUBJECT_IDENTIFIER) "
			 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', 'NONE', ?)",
		error);
	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, t->token_id);
	am_db_bind_text (st, 2, t->access_token);
	am_db_bind_text (st, 3, t->refresh_token);
	am_db_bind_int64 (st, 4, n->client->id);
	am_db_bind_text (st, 5, n->owner->user);
	am_db_bind_int64 (st, 6, n->owner->tenant_id);
	am_db_bind_text (st, 7, n->owner->domain);
	am_db_bind_text (st, 8, n->owner->user_type);
	am_db_bind_text (st, 9, n->grant_type);
	am_db_bind_timestamp (st, 10, now);
	am_db_bind_timestamp (st, 11, n->refresh_token != NULL ? n->refresh_created : now);
	am_db_bind_int64 (st, 12, n->validity_ms);
	am_db_bind_int64 (st, 13, n->refresh_validity_ms);
	am_db_bind_text (st, 14, n->scope_hash);
	am_db_bind_text (st, 15, n->owner->user);
	if (hashed) {
		at_hash = am_km_hash_json (t->access_token);
		rt_hash = am_km_hash_json (t->refresh_token);
		am_db_bind_text (st, 16, at_hash);
		am_db_bind_text (st, 17, rt_hash);
	}
	if (am_db_step (st, error) == AM_DB_STEP_ERROR)
		return NULL;
	for (guint i = 0; n->scopes[i] != NULL; i++) {
		g_autoptr (AmDbStmt) ins = am_db_prepare (
			conn,
			"INSERT INTO IDN_OAUTH2_ACCESS_TOKEN_SCOPE (TOKEN_ID, TOKEN_SCOPE, TENANT_ID) "
			"VALUES (?, ?, ?)",
			error);

		if (ins == NULL)
			return NULL;
		am_db_bind_text (ins, 1, t->token_id);
		am_db_bind_text (ins, 2, n->scopes[i]);
		am_db_bind_int64 (ins, 3, n->owner->tenant_id);
		if (am_db_step (ins, error) == AM_DB_STEP_ERROR)
			return NULL;
	}
	return g_steal_pointer (&t);
}

/* Validity (ms) of a new access token: the request's, else the client's
 * own (2.6 *_EXPIRE_TIME), else identity.xml's default for the user type. */
static gint64
access_validity_ms (AmKm *km, const AmKmClient *client, const char *user_type, gint64 validity_s)
{
	const AmKmConf *conf = am_km_get_conf (km);
	gboolean app = g_strcmp0 (user_type, "APPLICATION") == 0;
	gint64 per_client = app ? client->app_token_expiry : client->user_token_expiry;

	if (validity_s != 0)
		return validity_s * 1000;
	if (am_km_get_schema (km)->app_expiry_times && per_client != 0)
		return per_client * 1000;
	return (app ? conf->app_token_validity : conf->user_token_validity) * 1000;
}

static gint64
refresh_validity_ms (AmKm *km, const AmKmClient *client)
{
	if (am_km_get_schema (km)->app_expiry_times && client->refresh_token_expiry != 0)
		return client->refresh_token_expiry * 1000;
	return am_km_get_conf (km)->refresh_token_validity * 1000;
}

static AmKmIssuedToken *
issue_once (AmKm *km, AmDbConn *conn, const NewToken *n, GError **error)
{
	gint64 now = am_km_now (km);
	g_autoptr (ActiveRow) cur = NULL;
	GError *local = NULL;
	AmKmIssuedToken *t;

	/* explicit, for datasources with defaultAutoCommit=true */
	if (!am_db_begin (conn, error))
		return NULL;
	cur = find_active (conn, n->client->id, n->owner, n->scope_hash, &local);
	if (local != NULL) {
		g_propagate_error (error, local);
		return NULL;
	}
	if (cur != NULL) {
		gint64 left = time_left (km, cur->time_created, cur->validity_ms, now);
		gint64 refresh_left = time_left (km, cur->refresh_time_created,
						 cur->refresh_validity_ms, now);

		/* WSO2 hands the same token out again while both halves live */
		if (left > G_USEC_PER_SEC && refresh_left > G_USEC_PER_SEC) {
			t = g_new0 (AmKmIssuedToken, 1);
			t->token_id = g_steal_pointer (&cur->token_id);
			t->access_token = g_steal_pointer (&cur->access_token);
			t->refresh_token = g_steal_pointer (&cur->refresh_token);
			t->scopes = g_strdupv ((char **) n->scopes);
			t->expires_in = expires_in_seconds (left);
			/* read only: end the implicit transaction */
			am_db_rollback (conn, NULL);
			return t;
		}
		if (!token_set_state (conn, cur->token_id, STATE_EXPIRED, error))
			return NULL;
	}
	t = token_insert (km, conn, n, now, error);
	if (t == NULL || !am_db_commit (conn, error)) {
		am_km_issued_token_free (t);
		return NULL;
	}
	return t;
}

AmKmIssuedToken *
am_km_token_issue (AmKm *km, AmDbConn *conn, const AmKmClient *client, const char *authz_user,
		   const char *user_type, const char *grant_type, const char *const *scopes,
		   gint64 validity_s, GError **error)
{
	g_auto (GStrv) set = scope_set (scopes);
	g_autofree char *hash = am_km_scope_hash ((const char *const *) set);
	TokenOwner owner = {
		.user = authz_user != NULL ? authz_user : client->username,
		/* client_credentials: the token is the owner's, in the owner's tenant */
		.tenant_id = authz_user != NULL ? AM_SUPER_TENANT_ID : client->tenant_id,
		.domain = authz_user == NULL && client->user_domain != NULL ? client->user_domain
									     : "PRIMARY",
		.user_type = user_type,
	};
	NewToken n = {
		.client = client,
		.owner = &owner,
		.grant_type = grant_type,
		.scopes = set,
		.scope_hash = hash,
		.validity_ms = access_validity_ms (km, client, user_type, validity_s),
		.refresh_validity_ms = refresh_validity_ms (km, client),
	};

	/* Two requests racing for the same CON_APP_KEY slot: the loser's
	 * INSERT fails on the unique key; its second try finds the winner's
	 * token and returns that, as WSO2 does. */
	for (int attempt = 0;; attempt++) {
		GError *local = NULL;
		AmKmIssuedToken *t = issue_once (km, conn, &n, &local);

		if (t != NULL)
			return t;
		am_db_rollback (conn, NULL);
		if (attempt > 0 || !g_error_matches (local, AM_DB_ERROR, AM_DB_ERROR_CONSTRAINT)) {
			g_propagate_prefixed_error (error, local, "issuing a token: ");
			return NULL;
		}
		g_clear_error (&local);
	}
}

/* ---- lookups by refresh token ---- */

/* Without RenewRefreshTokenForRefreshGrant several rows share a refresh
 * token: the ACTIVE one counts, else the latest (TIME_CREATED has only
 * seconds on MySQL, so time alone cannot tell them apart). */
#define REFRESH_ORDER                                                                          \
	"ORDER BY CASE WHEN TOKEN_STATE = 'ACTIVE' THEN 0 ELSE 1 END, TIME_CREATED DESC"

/* The access token of @client's current row with @refresh_token. */
static char *
access_for_refresh (AmKm *km, AmDbConn *conn, gint64 client_id, const char *refresh_token,
		    GError **error)
{
	gboolean hashed = am_km_get_schema (km)->token_hash;
	g_autofree char *hash = hashed ? am_km_hash_json (refresh_token) : NULL;
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		hashed ? "SELECT ACCESS_TOKEN FROM IDN_OAUTH2_ACCESS_TOKEN "
			 "WHERE CONSUMER_KEY_ID = ? AND REFRESH_TOKEN_HASH = ? " REFRESH_ORDER
		       : "SELECT ACCESS_TOKEN FROM IDN_OAUTH2_ACCESS_TOKEN "
			 "WHERE CONSUMER_KEY_ID = ? AND REFRESH_TOKEN = ? " REFRESH_ORDER,
		error);

	if (st == NULL)
		return NULL;
	am_db_bind_int64 (st, 1, client_id);
	am_db_bind_text (st, 2, hashed ? hash : refresh_token);
	if (am_db_step (st, error) != AM_DB_STEP_ROW)
		return NULL;
	return g_strdup (am_db_column_text (st, 0));
}

/* The full row of @client's latest token with @refresh_token; NULL
 * without @error when there is none. */
static AmKmToken *
lookup_by_refresh (AmKm *km, AmDbConn *conn, gint64 client_id, const char *refresh_token,
		   GError **error)
{
	GError *local = NULL;
	g_autofree char *access = access_for_refresh (km, conn, client_id, refresh_token, &local);

	if (access == NULL) {
		if (local != NULL)
			g_propagate_error (error, local);
		return NULL;
	}
	return am_km_token_lookup (km, conn, access, error);
}

static gboolean
is_subset (const char *const *a, const char *const *b)
{
	for (guint i = 0; a[i] != NULL; i++) {
		if (!g_strv_contains (b, a[i]))
			return FALSE;
	}
	return TRUE;
}

/* RefreshGrantHandler only honours the refresh token of the latest token:
 * an EXPIRED row whose slot an ACTIVE token (with another refresh token)
 * has taken since, e.g. after a refresh that renewed it, is spent. */
static gboolean
refresh_is_latest (AmKm *km, AmDbConn *conn, gint64 client_id, const TokenOwner *owner,
		   const AmKmToken *old, GError **error)
{
	g_autofree char *hash = am_km_scope_hash ((const char *const *) old->scopes);
	g_autoptr (ActiveRow) cur = NULL;
	GError *local = NULL;

	if (g_strcmp0 (old->token_state, STATE_ACTIVE) == 0)
		return TRUE;
	cur = find_active (conn, client_id, owner, hash, &local);
	if (local != NULL) {
		g_propagate_error (error, local);
		return FALSE;
	}
	if (cur != NULL && g_strcmp0 (cur->refresh_token, old->refresh_token) != 0) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_GRANT,
				     "Invalid refresh token");
		return FALSE;
	}
	return TRUE;
}

static AmKmIssuedToken *
refresh_once (AmKm *km, AmDbConn *conn, const AmKmClient *client, const char *refresh_token,
	      const char *const *scopes, GError **error)
{
	gint64 now = am_km_now (km);
	GError *local = NULL;
	g_autoptr (AmKmToken) old = am_db_begin (conn, &local)
					    ? lookup_by_refresh (km, conn, client->id, refresh_token,
								 &local)
					    : NULL;
	g_auto (GStrv) set = NULL;
	g_autofree char *hash = NULL;
	g_autoptr (ActiveRow) other = NULL;
	gboolean renew = am_km_get_conf (km)->renew_refresh_token;
	TokenOwner owner;
	NewToken n;
	AmKmIssuedToken *t;

	if (old == NULL) {
		if (local != NULL) {
			g_propagate_error (error, local);
		} else {
			g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_GRANT,
					     "Invalid refresh token");
		}
		return NULL;
	}
	if (g_strcmp0 (old->token_state, STATE_ACTIVE) != 0 &&
	    g_strcmp0 (old->token_state, STATE_EXPIRED) != 0) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_GRANT,
				     "Refresh token is not valid");
		return NULL;
	}
	/* the refresh token is good until its own validity ends (no skew) */
	if (old->refresh_validity_ms >= 0 && old->refresh_validity_ms < G_MAXINT64 / 1000 &&
	    old->refresh_time_created + old->refresh_validity_ms * 1000 <= now) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_GRANT,
				     "Refresh token is expired.");
		return NULL;
	}
	if (scopes != NULL && scopes[0] != NULL) {
		set = scope_set (scopes);
		if (!is_subset ((const char *const *) set, (const char *const *) old->scopes)) {
			g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_SCOPE,
					     "Invalid scope");
			return NULL;
		}
	} else {
		set = scope_set ((const char *const *) old->scopes);
	}
	hash = am_km_scope_hash ((const char *const *) set);
	owner = (TokenOwner) { old->authz_user, old->tenant_id, old->user_domain,
			       old->user_type };
	if (!refresh_is_latest (km, conn, client->id, &owner, old, error))
		return NULL;

	if (g_strcmp0 (old->token_state, STATE_ACTIVE) == 0 &&
	    !token_set_state (conn, old->token_id, STATE_EXPIRED, error))
		return NULL;
	/* a narrower scope set may meet another ACTIVE token of the user */
	other = find_active (conn, client->id, &owner, hash, &local);
	if (local != NULL) {
		g_propagate_error (error, local);
		return NULL;
	}
	if (other != NULL && !token_set_state (conn, other->token_id, STATE_EXPIRED, error))
		return NULL;

	n = (NewToken) {
		.client = client,
		.owner = &owner,
		.grant_type = "refresh_token",
		.scopes = set,
		.scope_hash = hash,
		.validity_ms = access_validity_ms (km, client, old->user_type, 0),
		.refresh_token = renew ? NULL : refresh_token,
		.refresh_created = old->refresh_time_created,
		.refresh_validity_ms = renew ? refresh_validity_ms (km, client)
					     : old->refresh_validity_ms,
	};
	t = token_insert (km, conn, &n, now, error);
	if (t == NULL || !am_db_commit (conn, error)) {
		am_km_issued_token_free (t);
		return NULL;
	}
	t->replaced_token = g_strdup (old->access_token);
	{
		const char *gone[] = { old->access_token,
				       other != NULL ? other->access_token : NULL, NULL };

		am_km_tokens_revoked (km, gone);
	}
	return t;
}

AmKmIssuedToken *
am_km_token_refresh (AmKm *km, AmDbConn *conn, const AmKmClient *client,
		     const char *refresh_token, const char *const *scopes, GError **error)
{
	AmKmIssuedToken *t = refresh_once (km, conn, client, refresh_token, scopes, error);

	if (t == NULL)
		am_db_rollback (conn, NULL);
	return t;
}

/* ---- revocation ---- */

static AmKmToken *
revoke_find (AmKm *km, AmDbConn *conn, const AmKmClient *client, const char *token,
	     gboolean refresh, GError **error)
{
	if (refresh)
		return lookup_by_refresh (km, conn, client->id, token, error);
	return am_km_token_lookup (km, conn, token, error);
}

gboolean
am_km_token_revoke (AmKm *km, AmDbConn *conn, const AmKmClient *client, const char *token,
		    const char *hint, AmKmToken **revoked, GError **error)
{
	gboolean refresh_first = g_strcmp0 (hint, "refresh_token") == 0;
	g_autoptr (AmKmToken) t = NULL;

	*revoked = NULL;
	if (!am_db_begin (conn, error))
		return FALSE;
	for (int pass = 0; pass < 2 && t == NULL; pass++) {
		GError *local = NULL;

		t = revoke_find (km, conn, client, token, refresh_first ^ (pass == 1), &local);
		if (local != NULL) {
			am_db_rollback (conn, NULL);
			g_propagate_error (error, local);
			return FALSE;
		}
	}
	if (t != NULL && t->consumer_key_id != client->id) {
		am_db_rollback (conn, NULL);
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_CLIENT,
				     "Unauthorized Client");
		return FALSE;
	}
	if (t == NULL || (g_strcmp0 (t->token_state, STATE_ACTIVE) != 0 &&
			  g_strcmp0 (t->token_state, STATE_EXPIRED) != 0)) {
		/* RFC 7009 2.2: an unknown or already invalid token is no error */
		am_db_rollback (conn, NULL);
		return TRUE;
	}
	if (!token_set_state (conn, t->token_id, STATE_REVOKED, error) ||
	    !am_db_commit (conn, error)) {
		am_db_rollback (conn, NULL);
		return FALSE;
	}
	{
		const char *gone[] = { t->access_token, NULL };

		am_km_tokens_revoked (km, gone);
	}
	*revoked = g_steal_pointer (&t);
	return TRUE;
}
