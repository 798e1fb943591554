/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Key Manager's OAuth2 endpoints on the management server, as
 * identity-inbound-auth-oauth's OAuth2TokenEndpoint and
 * OAuthRevocationEndpoint answer them in API-M 2.1 / 2.6:
 *
 *   POST /oauth2/token   grant_type client_credentials, password (against
 *                        the Carbon user store) or refresh_token; the
 *                        client authenticates with HTTP Basic or
 *                        client_id/client_secret (not both); API-M's
 *                        validity_period (seconds, negative: never expires).
 *                        200 {"access_token","refresh_token","scope",
 *                        "token_type":"Bearer","expires_in"} (no
 *                        refresh_token for client_credentials), errors as
 *                        RFC 6749 {"error","error_description"}.
 *   POST /oauth2/revoke  RFC 7009: 200 with an empty body, and the
 *                        RevokedAccessToken / AuthorizedUser /
 *                        RevokedRefreshToken headers the gateway's
 *                        _RevokeAPI_ uses to clear its cache.
 *
 * Scopes are issued as API-M's RoleBasedScopesIssuer does: nothing asked
 * for -> "default"; an asked-for REST API scope (tenant-conf.json
 * RESTAPIScopes, am-km-tenantconf.c) or API scope (IDN_OAUTH2_SCOPE) is
 * granted when the user holds one of its roles, role names compared in
 * lower case (or it has none); any other is dropped; client_credentials
 * always adds ApplicationTokenScope.
 *
 * The request handler only parses; everything that touches a database runs
 * on a GTask worker thread while the message is paused, and the response is
 * set back on the main context.  Tokens, secrets and passwords are never
 * logged.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"
#include "am-mgmt.h"
#include "am-userstore.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define TOKEN_PATH "/oauth2/token"
#define REVOKE_PATH "/oauth2/revoke"
#define FORM_TYPE "application/x-www-form-urlencoded"
#define CLIENT_AUTH_FAILED "Client Authentication failed."
#define OAUTH_MYSQL_WORKERS 8

typedef struct {
	AmKm *km;
	AmMgmt *mgmt;
	char *realm; /* WWW-Authenticate value */
	/* the workers: one for SQLite, which has a single writer anyway (every
	 * transaction of a defaultAutoCommit=false datasource takes its write
	 * lock, and its busy handler waits by sleeping in millisecond steps);
	 * several for MySQL */
	GThreadPool *pool;
} OAuth;

typedef struct {
	OAuth *oauth; /* worker thread only: gone once stop returned */
	GTask *task;
	SoupServerMessage *msg;
	gboolean revoke;
	GHashTable *form;
	char *client_id;
	char *client_secret;
	/* the response */
	guint status;
	char *body;
	const char *content_type;
	GPtrArray *headers; /* name, value, name, value ... */
} OAuthJob;

static void
job_free (gpointer data)
{
	OAuthJob *job = data;

	g_object_unref (job->msg);
	g_hash_table_unref (job->form);
	g_free (job->client_id);
	g_free (job->client_secret);
	g_free (job->body);
	g_ptr_array_unref (job->headers);
	g_free (job);
}

static void
job_header (OAuthJob *job, const char *name, const char *value)
{
	g_ptr_array_add (job->headers, g_strdup (name));
	g_ptr_array_add (job->headers, g_strdup (value));
}

/* ---- responses ---- */

/* The text of what @b built (members in the order they were added). */
static char *
builder_text (JsonBuilder *b)
{
	g_autoptr (JsonGenerator) gen = json_generator_new ();
	g_autoptr (JsonNode) root = json_builder_get_root (b);

	json_generator_set_root (gen, root);
	return json_generator_to_data (gen, NULL);
}

static char *
json_error_body (const char *code, const char *description)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "error");
	json_builder_add_string_value (b, code);
	json_builder_set_member_name (b, "error_description");
	json_builder_add_string_value (b, description);
	json_builder_end_object (b);
	return builder_text (b);
}

static void
job_error (OAuthJob *job, guint status, const char *code, const char *description)
{
	job->status = status;
	g_free (job->body);
	job->body = json_error_body (code, description);
	job->content_type = "application/json";
	if (status == SOUP_STATUS_UNAUTHORIZED)
		job_header (job, "WWW-Authenticate", job->oauth->realm);
}

/* A failure of the grant or of the database, as WSO2 reports it. */
static void
job_fail (OAuthJob *job, const GError *error)
{
	if (error->domain == AM_KM_ERROR) {
		switch ((AmKmErrorCode) error->code) {
		case AM_KM_ERROR_INVALID_CLIENT:
			job_error (job, SOUP_STATUS_UNAUTHORIZED, "invalid_client", error->message);
			return;
		case AM_KM_ERROR_INVALID_GRANT:
			job_error (job, SOUP_STATUS_BAD_REQUEST, "invalid_grant", error->message);
			return;
		case AM_KM_ERROR_UNAUTHORIZED_CLIENT:
			job_error (job, SOUP_STATUS_BAD_REQUEST, "unauthorized_client",
				   error->message);
			return;
		case AM_KM_ERROR_INVALID_SCOPE:
			job_error (job, SOUP_STATUS_BAD_REQUEST, "invalid_scope", error->message);
			return;
		case AM_KM_ERROR_INVALID_REQUEST:
			job_error (job, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
			return;
		default:
			break;
		}
	}
	g_warning ("%s: %s", job->revoke ? REVOKE_PATH : TOKEN_PATH, error->message);
	if (error->domain == AM_DB_ERROR)
		job_error (job, SOUP_STATUS_BAD_GATEWAY, "server_error", "Service Unavailable Error.");
	else
		job_error (job, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server_error",
			   "Internal Server Error.");
}

static char *
token_body (const AmKmIssuedToken *t, gboolean with_refresh)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	g_autofree char *scope = g_strjoinv (" ", t->scopes);

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "access_token");
	json_builder_add_string_value (b, t->access_token);
	if (with_refresh && t->refresh_token != NULL) {
		json_builder_set_member_name (b, "refresh_token");
		json_builder_add_string_value (b, t->refresh_token);
	}
	json_builder_set_member_name (b, "scope");
	json_builder_add_string_value (b, scope);
	json_builder_set_member_name (b, "token_type");
	json_builder_add_string_value (b, "Bearer");
	json_builder_set_member_name (b, "expires_in");
	json_builder_add_int_value (b, t->expires_in);
	json_builder_end_object (b);
	return builder_text (b);
}

/* ---- the worker: client, grant, scopes ---- */

static const char *
form_get (OAuthJob *job, const char *name)
{
	const char *v = g_hash_table_lookup (job->form, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static AmKmClient *
authenticate_client (OAuthJob *job, AmDbConn *conn, GError **error)
{
	GError *local = NULL;
	g_autoptr (AmKmClient) c = am_km_client_lookup (job->oauth->km, conn, job->client_id, &local);

	if (local != NULL) {
		g_propagate_error (error, local);
		return NULL;
	}
	if (c == NULL || !am_km_secret_equal (job->client_secret, c->consumer_secret)) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_CLIENT,
				     CLIENT_AUTH_FAILED);
		return NULL;
	}
	if (c->app_state != NULL && strcmp (c->app_state, "ACTIVE") != 0) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_CLIENT,
				     "Oauth application is not in active state.");
		return NULL;
	}
	return g_steal_pointer (&c);
}

static gboolean
client_allows (const AmKmClient *c, const char *grant_type, GError **error)
{
	g_auto (GStrv) grants = g_strsplit (c->grant_types != NULL ? c->grant_types : "", " ", -1);

	if (g_strv_contains ((const char *const *) grants, grant_type))
		return TRUE;
	g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_UNAUTHORIZED_CLIENT,
			     "The authenticated client is not authorized to use this authorization "
			     "grant type");
	return FALSE;
}

/* The "scope" parameter as a NULL-terminated list (never NULL). */
static char **
requested_scopes (OAuthJob *job)
{
	const char *s = form_get (job, "scope");
	g_auto (GStrv) parts = g_strsplit_set (s != NULL ? s : "", " \t", -1);
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

	for (guint i = 0; parts[i] != NULL; i++) {
		if (*parts[i] != '\0')
			g_ptr_array_add (out, g_strdup (parts[i]));
	}
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_steal (out, NULL);
}

/* Whether @scope is an API scope; its roles (comma lists are split) in @roles. */
static gboolean
scope_lookup (AmKm *km, AmDbConn *conn, const char *scope, GPtrArray *roles, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		am_km_get_schema (km)->scope_binding
			? "SELECT B.SCOPE_BINDING FROM IDN_OAUTH2_SCOPE S "
			  "LEFT JOIN IDN_OAUTH2_SCOPE_BINDING B ON S.SCOPE_ID = B.SCOPE_ID "
			  "WHERE S.NAME = ? AND S.TENANT_ID = ?"
			: "SELECT ROLES FROM IDN_OAUTH2_SCOPE WHERE SCOPE_KEY = ? AND TENANT_ID = ?",
		error);
	gboolean found = FALSE;
	AmDbStep step;

	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, scope);
	am_db_bind_int64 (st, 2, AM_SUPER_TENANT_ID);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW) {
		g_auto (GStrv) parts = g_strsplit (am_db_column_is_null (st, 0)
							   ? ""
							   : am_db_column_text (st, 0),
						   ",", -1);

		found = TRUE;
		for (guint i = 0; parts[i] != NULL; i++) {
			g_strstrip (parts[i]);
			if (*parts[i] != '\0')
				g_ptr_array_add (roles, g_strdup (parts[i]));
		}
	}
	return step != AM_DB_STEP_ERROR && found;
}

static gboolean
user_has_role (char **user_roles, GPtrArray *roles)
{
	for (guint i = 0; i < roles->len; i++) {
		for (guint j = 0; user_roles[j] != NULL; j++) {
			if (g_ascii_strcasecmp (user_roles[j], roles->pdata[i]) == 0)
				return TRUE;
		}
	}
	return FALSE;
}

/* Whether one of @user_roles is in @roles, role names compared in lower
 * case as RoleBasedScopesIssuer does. */
static gboolean
user_has_role_strv (char **user_roles, char **roles)
{
	for (guint i = 0; roles[i] != NULL; i++) {
		g_autofree char *want = g_utf8_strdown (roles[i], -1);

		for (guint j = 0; user_roles[j] != NULL; j++) {
			g_autofree char *have = g_utf8_strdown (user_roles[j], -1);

			if (strcmp (want, have) == 0)
				return TRUE;
		}
	}
	return FALSE;
}

static gboolean
any_rest_scope (const char *const *requested)
{
	for (guint i = 0; requested[i] != NULL; i++) {
		if (g_str_has_prefix (requested[i], "apim:"))
			return TRUE;
	}
	return FALSE;
}

/* The roles of @user, read once per request. */
static char **
scope_user_roles (AmKm *km, const char *user, char ***cache, GError **error)
{
	if (*cache != NULL)
		return *cache;
	if (km->userstore == NULL) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
				     "no user store to check scope roles");
		return NULL;
	}
	*cache = am_userstore_get_roles (km->userstore, user, error);
	return *cache;
}

/* The requested scopes @user may have (RoleBasedScopesIssuer): a REST API
 * scope of tenant-conf.json's RESTAPIScopes or an API scope
 * (IDN_OAUTH2_SCOPE) when the user holds one of its roles or it has none;
 * any other scope is dropped. */
static char **
granted_scopes (AmKm *km, AmDbConn *conn, const char *user, const char *const *requested,
		GError **error)
{
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GHashTable) rest_scopes = NULL;
	g_auto (GStrv) user_roles = NULL;

	/* tenant-conf.json is only read when an apim:* scope is asked for */
	if (any_rest_scope (requested)) {
		rest_scopes = am_km_get_rest_scopes (km, error);
		if (rest_scopes == NULL)
			return NULL;
	}
	for (guint i = 0; requested[i] != NULL; i++) {
		g_autoptr (GPtrArray) roles = g_ptr_array_new_with_free_func (g_free);
		char **rest_roles = rest_scopes != NULL ? g_hash_table_lookup (rest_scopes, requested[i])
							: NULL;
		GError *local = NULL;

		if (rest_roles != NULL) {
			if (rest_roles[0] != NULL) {
				if (scope_user_roles (km, user, &user_roles, error) == NULL)
					return NULL;
				if (!user_has_role_strv (user_roles, rest_roles))
					continue;
			}
			g_ptr_array_add (out, g_strdup (requested[i]));
			continue;
		}
		if (!scope_lookup (km, conn, requested[i], roles, &local)) {
			if (local != NULL) {
				g_propagate_error (error, local);
				return NULL;
			}
			continue; /* not an API scope: dropped */
		}
		if (roles->len > 0) {
			if (scope_user_roles (km, user, &user_roles, error) == NULL)
				return NULL;
			if (!user_has_role (user_roles, roles))
				continue;
		}
		g_ptr_array_add (out, g_strdup (requested[i]));
	}
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_steal (out, NULL);
}

/* validity_period: seconds; 0 when absent (the default applies). */
static gboolean
requested_validity (OAuthJob *job, gint64 *validity_s, GError **error)
{
	const char *v = form_get (job, "validity_period");

	*validity_s = 0;
	if (v == NULL)
		return TRUE;
	if (!g_ascii_string_to_signed (v, 10, G_MININT64 / 1000, G_MAXINT64 / 1000, validity_s,
				       NULL)) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_REQUEST,
				     "Invalid validity_period");
		return FALSE;
	}
	return TRUE;
}

AmKmIssuedToken *
am_km_token_issue_client_credentials (AmKm *km, AmDbConn *conn, const AmKmClient *c,
				      const char *const *requested, gint64 validity_s,
				      GError **error)
{
	const char *app_scope = km->apim->application_token_scope != NULL
					? km->apim->application_token_scope
					: "am_application_scope";
	const char *const none[] = { NULL };
	g_auto (GStrv) granted = NULL;
	g_autoptr (GPtrArray) scopes = g_ptr_array_new ();

	granted = granted_scopes (km, conn, c->username,
				  requested != NULL ? requested : none, error);
	if (granted == NULL)
		return NULL;
	for (guint i = 0; granted[i] != NULL; i++)
		g_ptr_array_add (scopes, granted[i]);
	if (scopes->len == 0)
		g_ptr_array_add (scopes, "default");
	g_ptr_array_add (scopes, (gpointer) app_scope);
	g_ptr_array_add (scopes, NULL);
	return am_km_token_issue (km, conn, c, NULL, "APPLICATION", "client_credentials",
				  (const char *const *) scopes->pdata, validity_s, error);
}

static AmKmIssuedToken *
grant_client_credentials (OAuthJob *job, AmDbConn *conn, const AmKmClient *c, GError **error)
{
	g_auto (GStrv) requested = requested_scopes (job);
	gint64 validity_s;

	if (!requested_validity (job, &validity_s, error))
		return NULL;
	return am_km_token_issue_client_credentials (job->oauth->km, conn, c,
						     (const char *const *) requested, validity_s,
						     error);
}

static AmKmIssuedToken *
grant_password (OAuthJob *job, AmDbConn *conn, const AmKmClient *c, GError **error)
{
	AmKm *km = job->oauth->km;
	const char *username = form_get (job, "username");
	const char *password = form_get (job, "password");
	g_auto (GStrv) requested = requested_scopes (job);
	g_auto (GStrv) granted = NULL;
	g_autofree char *user = NULL;
	GError *local = NULL;
	gint64 validity_s;

	if (username == NULL || password == NULL) {
		g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_REQUEST,
			     "Missing parameters: %s", username == NULL ? "username" : "password");
		return NULL;
	}
	if (!requested_validity (job, &validity_s, error))
		return NULL;
	if (km->userstore == NULL) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_FAILED, "no user store");
		return NULL;
	}
	if (!am_userstore_authenticate (km->userstore, username, password, &local)) {
		if (g_error_matches (local, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_AUTH) ||
		    g_error_matches (local, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_TENANT)) {
			g_clear_error (&local);
			g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_GRANT,
					     "Authentication failed");
		} else {
			g_propagate_error (error, local);
		}
		return NULL;
	}
	/* AUTHZ_USER is the tenant-aware name */
	user = g_str_has_suffix (username, "@" AM_SUPER_TENANT_DOMAIN)
		       ? g_strndup (username, strlen (username) -
						      strlen ("@" AM_SUPER_TENANT_DOMAIN))
		       : g_strdup (username);
	granted = granted_scopes (km, conn, user, (const char *const *) requested, error);
	if (granted == NULL)
		return NULL;
	return am_km_token_issue (km, conn, c, user, "APPLICATION_USER", "password",
				  (const char *const *) granted, validity_s, error);
}

static AmKmIssuedToken *
grant_refresh (OAuthJob *job, AmDbConn *conn, const AmKmClient *c, GError **error)
{
	const char *refresh = form_get (job, "refresh_token");
	g_auto (GStrv) requested = requested_scopes (job);

	if (refresh == NULL) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_INVALID_REQUEST,
				     "Missing parameters: refresh_token");
		return NULL;
	}
	return am_km_token_refresh (job->oauth->km, conn, c, refresh,
				    (const char *const *) requested, error);
}

static const struct {
	const char *name;
	AmKmIssuedToken *(*grant) (OAuthJob *job, AmDbConn *conn, const AmKmClient *c,
				   GError **error);
	gboolean refresh_in_response;
} grants[] = {
	{ "client_credentials", grant_client_credentials, FALSE },
	{ "password", grant_password, TRUE },
	{ "refresh_token", grant_refresh, TRUE },
};

static int
grant_index (const char *grant_type)
{
	for (guint i = 0; i < G_N_ELEMENTS (grants); i++) {
		if (g_strcmp0 (grants[i].name, grant_type) == 0)
			return (int) i;
	}
	return -1;
}

static void
do_token (OAuthJob *job, AmDbConn *conn, const AmKmClient *c, GError **error)
{
	int g = grant_index (form_get (job, "grant_type"));
	g_autoptr (AmKmIssuedToken) t = NULL;

	if (!client_allows (c, grants[g].name, error))
		return;
	t = grants[g].grant (job, conn, c, error);
	if (t == NULL)
		return;
	job->status = SOUP_STATUS_OK;
	job->body = token_body (t, grants[g].refresh_in_response);
	job->content_type = "application/json";
	if (t->replaced_token != NULL)
		job_header (job, "DeactivatedAccessToken", t->replaced_token);
}

static void
do_revoke (OAuthJob *job, AmDbConn *conn, const AmKmClient *c, GError **error)
{
	g_autoptr (AmKmToken) revoked = NULL;
	const char *callback = form_get (job, "callback");

	if (!am_km_token_revoke (job->oauth->km, conn, c, form_get (job, "token"),
				 form_get (job, "token_type_hint"), &revoked, error))
		return;
	job->status = SOUP_STATUS_OK;
	job->body = g_strdup ("");
	job->content_type = callback != NULL ? "application/javascript" : "text/html";
	if (revoked != NULL) {
		job_header (job, "RevokedAccessToken", revoked->access_token);
		job_header (job, "AuthorizedUser", revoked->authz_user);
		if (revoked->refresh_token != NULL)
			job_header (job, "RevokedRefreshToken", revoked->refresh_token);
	}
}

/* A pool thread: the request's database work; the response goes back to
 * the main context through the job's GTask. */
static void
job_run (gpointer data, gpointer user_data)
{
	OAuthJob *job = data;
	GTask *task = job->task;
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (am_km_get_db (job->oauth->km), &error);
	g_autoptr (AmKmClient) client = NULL;

	if (conn != NULL)
		client = authenticate_client (job, conn, &error);
	/* one transaction from the client lookup to the token: on SQLite every
	 * transaction takes the write lock, so one per request, not two */
	if (client != NULL) {
		if (job->revoke)
			do_revoke (job, conn, client, &error);
		else
			do_token (job, conn, client, &error);
	}
	if (error != NULL)
		job_fail (job, error);
	g_clear_pointer (&conn, am_db_release);
	g_task_return_boolean (task, TRUE);
	g_object_unref (task);
}

/* ---- the handlers (main context) ---- */

static void
respond (SoupServerMessage *msg, guint status, const char *content_type, const char *body,
	 GPtrArray *headers)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

	soup_message_headers_replace (h, "Cache-Control", "no-store");
	soup_message_headers_replace (h, "Pragma", "no-cache");
	for (guint i = 0; headers != NULL && i + 1 < headers->len; i += 2)
		soup_message_headers_replace (h, headers->pdata[i], headers->pdata[i + 1]);
	soup_server_message_set_status (msg, status, NULL);
	soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, body,
					  strlen (body));
}

static void
on_job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
	OAuthJob *job = g_task_get_task_data (G_TASK (result));

	respond (job->msg, job->status, job->content_type, job->body, job->headers);
	soup_server_message_unpause (job->msg);
}

/* Client credentials from the Basic header or the form; FALSE when they
 * are missing, malformed or given both ways. */
static gboolean
job_client_credentials (OAuthJob *job)
{
	SoupMessageHeaders *h = soup_server_message_get_request_headers (job->msg);
	const char *auth = soup_message_headers_get_one (h, "Authorization");
	const char *form_id = form_get (job, "client_id");
	const char *form_secret = form_get (job, "client_secret");

	if (auth != NULL && g_ascii_strncasecmp (auth, "Basic ", 6) == 0) {
		gsize len = 0;
		g_autofree guchar *raw = g_base64_decode (auth + 6, &len);
		g_autofree char *text = g_strndup ((const char *) raw, len);
		char *colon = strchr (text, ':');

		if (form_id != NULL || colon == NULL)
			return FALSE;
		job->client_id = g_strndup (text, colon - text);
		job->client_secret = g_strdup (colon + 1);
		return *job->client_id != '\0';
	}
	if (form_id == NULL || form_secret == NULL)
		return FALSE;
	job->client_id = g_strdup (form_id);
	job->client_secret = g_strdup (form_secret);
	return TRUE;
}

static void
handle (OAuth *oauth, SoupServerMessage *msg, gboolean revoke)
{
	SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
	const char *type = soup_message_headers_get_content_type (req, NULL);
	g_autoptr (GBytes) bytes = NULL;
	g_autofree char *text = NULL;
	g_autoptr (GTask) task = NULL;
	OAuthJob *job;

	if (strcmp (soup_server_message_get_method (msg), "POST") != 0) {
		soup_message_headers_replace (soup_server_message_get_response_headers (msg),
					      "Allow", "POST");
		soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	/* JAX-RS @Consumes: another body type is refused; none is an empty form */
	if (type != NULL && g_ascii_strcasecmp (type, FORM_TYPE) != 0) {
		soup_server_message_set_status (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, NULL);
		return;
	}
	bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
	text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

	job = g_new0 (OAuthJob, 1);
	job->oauth = oauth;
	job->msg = g_object_ref (msg);
	job->revoke = revoke;
	job->form = soup_form_decode (text);
	job->headers = g_ptr_array_new_with_free_func (g_free);
	task = g_task_new (NULL, NULL, on_job_done, NULL);
	g_task_set_task_data (task, job, job_free);

	/* what needs no database is answered here */
	if (!revoke && form_get (job, "grant_type") == NULL)
		job_error (job, SOUP_STATUS_BAD_REQUEST, "invalid_request",
			   "Missing grant_type parameter value");
	else if (!revoke && grant_index (form_get (job, "grant_type")) < 0)
		job_error (job, SOUP_STATUS_BAD_REQUEST, "unsupported_grant_type",
			   "Unsupported grant_type value");
	else if (revoke && form_get (job, "token") == NULL)
		job_error (job, SOUP_STATUS_BAD_REQUEST, "invalid_request",
			   "Invalid revocation request");
	else if (!job_client_credentials (job))
		job_error (job, SOUP_STATUS_UNAUTHORIZED, "invalid_client", CLIENT_AUTH_FAILED);
	if (job->body != NULL) {
		respond (msg, job->status, job->content_type, job->body, job->headers);
		return;
	}

	soup_server_message_pause (msg);
	job->task = g_steal_pointer (&task);
	g_thread_pool_push (oauth->pool, job, NULL);
}

static void
on_token (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
	  gpointer user_data)
{
	handle (user_data, msg, FALSE);
}

static void
on_revoke (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
	   gpointer user_data)
{
	handle (user_data, msg, TRUE);
}

/* ---- the component ---- */

static gpointer
oauth_start (AmKm *km, GError **error)
{
	AmServer *server = am_km_get_server (km);
	AmMgmt *mgmt = server != NULL ? am_server_get_mgmt (server) : NULL;
	const AmCoreConf *core;
	OAuth *oauth;

	if (mgmt == NULL) {
		g_message ("No management server: /oauth2/token and /oauth2/revoke are not served");
		return GINT_TO_POINTER (1);
	}
	core = am_conf_core (am_server_get_conf (server));
	oauth = g_new0 (OAuth, 1);
	oauth->km = km;
	oauth->mgmt = mgmt;
	/* EndpointUtil.getRealmInfo */
	oauth->realm = g_strdup_printf ("Basic realm=%s",
					core->host_name != NULL ? core->host_name : "localhost");
	oauth->pool = g_thread_pool_new (job_run, oauth,
					 am_db_get_kind (am_km_get_db (km)) == AM_DB_SQLITE
						 ? 1
						 : OAUTH_MYSQL_WORKERS,
					 FALSE, NULL);
	am_mgmt_add_handler (mgmt, TOKEN_PATH, on_token, oauth, NULL);
	am_mgmt_add_handler (mgmt, REVOKE_PATH, on_revoke, oauth, NULL);
	return oauth;
}

static void
oauth_stop (gpointer state)
{
	OAuth *oauth = state;

	if (state == GINT_TO_POINTER (1))
		return;
	am_mgmt_remove_handler (oauth->mgmt, TOKEN_PATH);
	am_mgmt_remove_handler (oauth->mgmt, REVOKE_PATH);
	/* the workers use the Key Manager: let the queued requests finish */
	g_thread_pool_free (oauth->pool, FALSE, TRUE);
	g_free (oauth->realm);
	g_free (oauth);
}

const AmKmComponent am_km_oauth_component = {
	.name = "oauth",
	.start = oauth_start,
	.stop = oauth_stop,
};
