/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dynamic client registration for the REST API clients (the web app
 * client-registration#v0.11 of API-M 2.1, #v0.14 of 2.6; wso2-db-rest.md
 * §4.4): POST /client-registration/v0.11/register and .../v0.14/register.
 *
 *  - HTTP Basic with the caller's own user-store credentials
 *    (BasicAuthenticationInterceptor); none or wrong -> 401;
 *  - the RegistrationProfile JSON {callbackUrl, clientName, tokenScope,
 *    owner, grantType, saasApp[, tokenType]}: owner must be the logged-in
 *    user (400 "Logged in user '<u>' and application owner '<o>' should be
 *    same."), who needs the subscribe, publish or create permission (403
 *    "You do not have enough privileges to create an OAuth app");
 *  - the OAuth client is named <owner>_<clientName> ("@" written "-AT-",
 *    a secondary store's "/" written "_"); when one of that name exists it
 *    is returned as it is, else a new IDN_OAUTH_CONSUMER_APPS row is made
 *    (28-character key and secret, the requested grant types with
 *    authorization_code and implicit dropped when there is no callbackUrl);
 *  - 200 with OAuthApplicationInfo as Jackson writes it: clientId,
 *    clientName, callBackURL, clientSecret, isSaasApplication, appOwner,
 *    jsonString, and tokenType for v0.14; failures as ErrorDTO.
 *
 * 2.x deploys this web app in the key manager, publisher and store
 * profiles (and the default one), so it is a module of its own that uses
 * the in-process Key Manager when there is one and a database-only one
 * otherwise.  The database and password work runs on a worker thread.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"
#include "am-mgmt.h"
#include "am-rest.h"
#include "am-userstore.h"

#include <json-glib/json-glib.h>
#include <string.h>

static const char *const dcr_paths[] = {
	"/client-registration/v0.11/register",
	"/client-registration/v0.14/register",
};

/* APIConstants.Permissions: any of them allows registering a client. */
static const char *const dcr_permissions[] = {
	"/permission/admin/manage/api/subscribe",
	"/permission/admin/manage/api/publish",
	"/permission/admin/manage/api/create",
};

typedef struct {
	AmServer *server;
	AmMgmt *mgmt;
	AmKm *km;	/* borrowed: the keymanager module's, or km_own */
	AmKm *km_own;
	AmUserStore *userstore;
	GThreadPool *pool;
} Dcr;

typedef struct {
	Dcr *dcr;
	GTask *task;
	SoupServerMessage *msg;
	gboolean v14;
	char *user;
	char *password;
	GBytes *body;
	/* the response */
	guint status;
	char *resp;
	gboolean www_authenticate;
} DcrJob;

static void
job_free (gpointer data)
{
	DcrJob *job = data;

	g_object_unref (job->msg);
	g_free (job->user);
	if (job->password != NULL)
		memset (job->password, 0, strlen (job->password));
	g_free (job->password);
	g_clear_pointer (&job->body, g_bytes_unref);
	g_free (job->resp);
	g_free (job);
}

static void
job_error (DcrJob *job, guint status, const char *description)
{
	g_autoptr (JsonNode) dto = am_rest_error_dto (status, description, NULL);

	job->status = status;
	g_free (job->resp);
	job->resp = am_rest_json_text (dto);
}

/* "user@carbon.super" -> "user" (the tenant-aware name of the super tenant). */
static char *
tenant_aware (const char *name)
{
	return g_str_has_suffix (name, "@" AM_SUPER_TENANT_DOMAIN)
		       ? g_strndup (name, strlen (name) - strlen ("@" AM_SUPER_TENANT_DOMAIN))
		       : g_strdup (name);
}

/* APIUtil / RegistrationServiceImpl: <owner>_<clientName>, "@" -> "-AT-",
 * a secondary store's "DOMAIN/user" -> "DOMAIN_user". */
static char *
dcr_app_name (const char *owner, const char *client_name)
{
	g_autoptr (GString) s = g_string_new (owner);

	g_string_replace (s, "@", "-AT-", 0);
	g_string_replace (s, "/", "_", 0);
	g_string_append_printf (s, "_%s", client_name);
	return g_string_free (g_steal_pointer (&s), FALSE);
}

/* The requested grant types, space separated; authorization_code and
 * implicit need a callback URL. */
static char *
dcr_grant_types (const char *requested, const char *callback)
{
	g_auto (GStrv) parts = g_strsplit_set (requested != NULL ? requested : "", " ,", -1);
	g_autoptr (GString) out = g_string_new (NULL);
	gboolean no_callback = TRUE;

	for (const char *c = callback; c != NULL && *c != '\0' && no_callback; c++)
		no_callback = g_ascii_isspace (*c);

	for (guint i = 0; parts[i] != NULL; i++) {
		if (*parts[i] == '\0')
			continue;
		if (no_callback && (strcmp (parts[i], "authorization_code") == 0 ||
				    strcmp (parts[i], "implicit") == 0))
			continue;
		g_string_append_printf (out, "%s%s", out->len > 0 ? " " : "", parts[i]);
	}
	return g_string_free (g_steal_pointer (&out), FALSE);
}

static const char *
member_string (JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member (o, name);

	return n != NULL && JSON_NODE_HOLDS_VALUE (n) &&
			       json_node_get_value_type (n) == G_TYPE_STRING
		       ? json_node_get_string (n)
		       : NULL;
}

static char *
dcr_response (DcrJob *job, const AmKmClient *c, const char *owner, gboolean saas,
	      const char *token_type)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	g_autoptr (JsonBuilder) inner = json_builder_new ();
	g_autoptr (JsonNode) inner_root = NULL;
	g_autoptr (JsonNode) root = NULL;
	g_autofree char *inner_text = NULL;

	json_builder_begin_object (inner);
	json_builder_set_member_name (inner, "grant_types");
	json_builder_add_string_value (inner, c->grant_types != NULL ? c->grant_types : "");
	if (job->v14) {
		if (c->callback_url != NULL && *c->callback_url != '\0') {
			json_builder_set_member_name (inner, "redirect_uris");
			json_builder_add_string_value (inner, c->callback_url);
		}
		json_builder_set_member_name (inner, "client_name");
		json_builder_add_string_value (inner, c->app_name);
	}
	json_builder_end_object (inner);
	inner_root = json_builder_get_root (inner);
	inner_text = am_rest_json_text (inner_root);

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "clientId");
	json_builder_add_string_value (b, c->consumer_key);
	json_builder_set_member_name (b, "clientName");
	json_builder_add_string_value (b, c->app_name);
	json_builder_set_member_name (b, "callBackURL");
	if (c->callback_url != NULL)
		json_builder_add_string_value (b, c->callback_url);
	else
		json_builder_add_null_value (b);
	json_builder_set_member_name (b, "clientSecret");
	json_builder_add_string_value (b, c->consumer_secret);
	json_builder_set_member_name (b, "isSaasApplication");
	json_builder_add_boolean_value (b, saas);
	json_builder_set_member_name (b, "appOwner");
	json_builder_add_string_value (b, owner);
	json_builder_set_member_name (b, "jsonString");
	json_builder_add_string_value (b, inner_text);
	if (job->v14) {
		json_builder_set_member_name (b, "tokenType");
		if (token_type != NULL)
			json_builder_add_string_value (b, token_type);
		else
			json_builder_add_null_value (b);
	}
	json_builder_end_object (b);
	root = json_builder_get_root (b);
	return am_rest_json_text (root);
}

/* The user is authenticated and the body is a JSON object: check the
 * owner and the permissions, then find or make the client. */
static void
dcr_register (DcrJob *job, JsonObject *profile, GError **error)
{
	Dcr *dcr = job->dcr;
	const char *client_name = member_string (profile, "clientName");
	const char *owner_in = member_string (profile, "owner");
	const char *callback = member_string (profile, "callbackUrl");
	const char *token_type = member_string (profile, "tokenType");
	JsonNode *saas_node = json_object_get_member (profile, "saasApp");
	gboolean saas = saas_node != NULL && JSON_NODE_HOLDS_VALUE (saas_node) &&
			json_node_get_value_type (saas_node) == G_TYPE_BOOLEAN &&
			json_node_get_boolean (saas_node);
	g_autofree char *user = tenant_aware (job->user);
	g_autofree char *owner = NULL;
	g_autofree char *app_name = NULL;
	g_autofree char *grants = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autoptr (AmKmClient) client = NULL;
	gboolean allowed = FALSE;
	GError *local = NULL;

	if (owner_in == NULL || client_name == NULL || *client_name == '\0') {
		job_error (job, SOUP_STATUS_BAD_REQUEST,
			   owner_in == NULL ? "Application owner cannot be empty."
					    : "Client name cannot be empty.");
		return;
	}
	owner = tenant_aware (owner_in);
	if (g_ascii_strcasecmp (owner, user) != 0) {
		g_autofree char *d = g_strdup_printf (
			"Logged in user '%s' and application owner '%s' should be same.", job->user,
			owner_in);

		job_error (job, SOUP_STATUS_BAD_REQUEST, d);
		return;
	}
	for (guint i = 0; i < G_N_ELEMENTS (dcr_permissions) && !allowed; i++) {
		allowed = am_userstore_is_authorized (dcr->userstore, user, dcr_permissions[i], &local);
		if (local != NULL) {
			g_propagate_error (error, local);
			return;
		}
	}
	if (!allowed) {
		job_error (job, SOUP_STATUS_FORBIDDEN,
			   "You do not have enough privileges to create an OAuth app");
		return;
	}
	app_name = dcr_app_name (owner, client_name);
	conn = am_db_acquire (am_km_get_db (dcr->km), error);
	if (conn == NULL)
		return;
	client = am_km_client_lookup_by_name (dcr->km, conn, app_name, &local);
	if (local != NULL) {
		g_propagate_error (error, local);
		return;
	}
	if (client == NULL) {
		grants = dcr_grant_types (member_string (profile, "grantType"), callback);
		client = am_km_client_create (dcr->km, conn, app_name, owner, grants,
					      callback != NULL && *callback != '\0' ? callback : NULL,
					      error);
		if (client == NULL)
			return;
		g_message ("DCR: OAuth client '%s' registered for '%s'", app_name, owner);
	}
	job->status = SOUP_STATUS_OK;
	job->resp = dcr_response (job, client, owner, saas, token_type);
}

static void
job_run (gpointer data, gpointer user_data)
{
	DcrJob *job = data;
	GTask *task = job->task;
	g_autoptr (GError) error = NULL;
	g_autoptr (JsonParser) parser = json_parser_new ();
	gsize len = g_bytes_get_size (job->body);
	const char *text = g_bytes_get_data (job->body, NULL);
	JsonNode *root;

	if (!am_userstore_authenticate (job->dcr->userstore, job->user, job->password, &error)) {
		if (!g_error_matches (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_AUTH) &&
		    !g_error_matches (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_TENANT))
			g_warning ("DCR: user store: %s", error->message);
		job->status = SOUP_STATUS_UNAUTHORIZED;
		job->www_authenticate = TRUE;
		g_clear_error (&error);
	} else if (len == 0 || text == NULL || !g_utf8_validate (text, len, NULL) ||
		   !json_parser_load_from_data (parser, text, len, NULL) ||
		   (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
		job_error (job, SOUP_STATUS_BAD_REQUEST,
			   len == 0 ? AM_REST_EMPTY_BODY : AM_REST_MALFORMED_BODY);
	} else {
		dcr_register (job, json_node_get_object (root), &error);
	}
	if (error != NULL) {
		g_warning ("DCR: %s", error->message);
		job_error (job, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
	}
	g_task_return_boolean (task, TRUE);
	g_object_unref (task);
}

/* ---- main context ---- */

static void
respond (SoupServerMessage *msg, guint status, const char *body, gboolean challenge)
{
	if (challenge)
		soup_message_headers_replace (soup_server_message_get_response_headers (msg),
					      "WWW-Authenticate", "Basic");
	soup_server_message_set_status (msg, status, NULL);
	if (body != NULL)
		soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
						  strlen (body));
}

static void
on_job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
	DcrJob *job = g_task_get_task_data (G_TASK (result));

	respond (job->msg, job->status, job->resp, job->www_authenticate);
	soup_server_message_unpause (job->msg);
}

/* user and password of a Basic header; FALSE when there is none. */
static gboolean
basic_credentials (SoupServerMessage *msg, char **user, char **password)
{
	const char *auth = soup_message_headers_get_one (
		soup_server_message_get_request_headers (msg), "Authorization");
	g_autofree guchar *raw = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;
	char *colon;

	if (auth == NULL || g_ascii_strncasecmp (auth, "Basic ", 6) != 0)
		return FALSE;
	raw = g_base64_decode (auth + 6, &len);
	text = g_strndup ((const char *) raw, len);
	colon = strchr (text, ':');
	if (colon == NULL || colon == text)
		return FALSE;
	*user = g_strndup (text, colon - text);
	*password = g_strdup (colon + 1);
	memset (text, 0, strlen (text));
	return TRUE;
}

static void
on_register (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
	     gpointer user_data)
{
	Dcr *dcr = user_data;
	const char *type = soup_message_headers_get_content_type (
		soup_server_message_get_request_headers (msg), NULL);
	g_autoptr (GTask) task = NULL;
	DcrJob *job;

	/* JAX-RS address "/register": nothing below it */
	if (strcmp (path, dcr_paths[0]) != 0 && strcmp (path, dcr_paths[1]) != 0) {
		soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
		return;
	}
	if (strcmp (soup_server_message_get_method (msg), "POST") != 0) {
		soup_message_headers_replace (soup_server_message_get_response_headers (msg),
					      "Allow", "POST");
		soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	if (type != NULL && g_ascii_strcasecmp (type, "application/json") != 0) {
		soup_server_message_set_status (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, NULL);
		return;
	}
	job = g_new0 (DcrJob, 1);
	job->dcr = dcr;
	job->msg = g_object_ref (msg);
	job->v14 = strcmp (path, dcr_paths[1]) == 0;
	job->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
	task = g_task_new (NULL, NULL, on_job_done, NULL);
	g_task_set_task_data (task, job, job_free);
	if (!basic_credentials (msg, &job->user, &job->password)) {
		respond (msg, SOUP_STATUS_UNAUTHORIZED, NULL, TRUE);
		return;
	}
	soup_server_message_pause (msg);
	job->task = g_steal_pointer (&task);
	g_thread_pool_push (dcr->pool, job, NULL);
}

/* ---- the module ---- */

static void dcr_stop (gpointer state);

static gpointer
dcr_start (AmServer *server, GError **error)
{
	Dcr *dcr = g_new0 (Dcr, 1);

	dcr->server = server;
	dcr->mgmt = am_server_get_mgmt (server);
	dcr->userstore = am_server_get_userstore (server);
	if (dcr->mgmt == NULL || dcr->userstore == NULL) {
		g_message ("No management server or user store: client registration is not served");
		return dcr;
	}
	dcr->km = am_server_get_km (server);
	if (dcr->km == NULL) {
		dcr->km = dcr->km_own = am_km_new_for_server (server, error);
		if (dcr->km == NULL) {
			dcr_stop (dcr);
			return NULL;
		}
	}
	dcr->pool = g_thread_pool_new (job_run, dcr, 2, FALSE, NULL);
	for (guint i = 0; i < G_N_ELEMENTS (dcr_paths); i++)
		am_mgmt_add_handler (dcr->mgmt, dcr_paths[i], on_register, dcr, NULL);
	return dcr;
}

static void
dcr_stop (gpointer state)
{
	Dcr *dcr = state;

	if (dcr->pool != NULL) {
		for (guint i = 0; i < G_N_ELEMENTS (dcr_paths); i++)
			am_mgmt_remove_handler (dcr->mgmt, dcr_paths[i]);
		g_thread_pool_free (dcr->pool, FALSE, TRUE);
	}
	g_clear_pointer (&dcr->km_own, am_km_free);
	g_free (dcr);
}

static const char *const dcr_profiles[] = { "api-key-manager", "api-publisher", "api-store",
					    NULL };

const AmModule am_dcr_module = {
	.name = "client-registration",
	.profiles = dcr_profiles,
	.start = dcr_start,
	.stop = dcr_stop,
};
