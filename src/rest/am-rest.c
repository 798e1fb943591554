/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The REST plumbing of the Publisher and Store APIs (am-rest.h), as API-M
 * 2.x's CXF web apps behave (wso2-db-rest.md §4):
 *
 *  - routing: a table of {method, pattern with {params}, x-scope, handler}
 *    below a base path; no pattern -> 404, a pattern for other methods ->
 *    405 with Allow;
 *  - authentication as OAuthAuthenticationInterceptor + the scope check:
 *    "Authorization: Bearer <token>" is looked up in IDN_OAUTH2_ACCESS_TOKEN
 *    (by ACCESS_TOKEN_HASH on 2.6, ACCESS_TOKEN on 2.1, through the Key
 *    Manager's am_km_token_lookup), must be ACTIVE and unexpired with
 *    identity.xml's TimestampSkew, and carry the route's x-scope
 *    (IDN_OAUTH2_ACCESS_TOKEN_SCOPE); otherwise 401 with
 *    {"code":401,"message":"","description":"Unauthenticated request",...}.
 *    Routes without an x-scope also serve anonymous callers (the Store's
 *    API listing), with X-WSO2-Tenant naming the tenant;
 *  - ErrorDTO bodies {"code","message","description","moreInfo","error"}
 *    with RestApiUtil's messages, and its 500 text for internal failures
 *    (the cause goes to the log only);
 *  - RestApiUtil's pagination (limit 25, offset 0, next/previous offsets,
 *    the {count, next, previous, list} envelope) and the Location of a 201.
 *
 * Threads: the libsoup callback (main context) only routes and reads
 * headers; token lookup, body parsing and the handler run on this API's
 * worker pool (one worker on SQLite, whose writers serialise anyway; 8 on
 * MySQL) while the message is paused; the response goes back through a
 * GTask to the main context.  Validated tokens are cached for at most
 * AM_REST_TOKEN_CACHE_TTL (never past their expiry), keyed by the token's
 * SHA-256, and dropped when the Key Manager reports them revoked.
 */
#define G_LOG_DOMAIN "am.rest"
#include "config.h"

#include "am-rest.h"

#include <string.h>

#include "am-km.h"
#include "am-userstore.h"

#define REST_MYSQL_WORKERS 8
#define JSON_TYPE "application/json"

G_DEFINE_QUARK (am-rest-error-quark, am_rest_error)

typedef struct {
	const AmRestRoute *route;
	char **segments; /* "apis", "{apiId}" ... */
} RestRoute;

typedef struct {
	AmRestAuth *auth;
	gint64 cached_until; /* usec, am_km_now clock */
} RestCacheEntry;

struct _AmRest {
	char *base_path;
	AmKm *km;
	gpointer user_data;
	GArray *routes; /* of RestRoute */
	SoupServer *soup;
	GThreadPool *pool;
	gint64 cache_ttl; /* usec; 0: no cache */
	GMutex cache_lock;
	GHashTable *cache; /* sha256 hex -> RestCacheEntry */
};

struct _AmRestCall {
	AmRest *rest;
	GTask *task;
	SoupServerMessage *msg;
	const AmRestRoute *route;
	char *method;
	GHashTable *params;
	GHashTable *query;
	SoupMessageHeaders *req_headers; /* ref: read on the worker only */
	GBytes *body;
	char *content_type;
	JsonNode *json;
	char *token;
	char *base_url; /* scheme://host[:port]<base path> for Location */
	AmRestAuth *auth;
	char *user_full;
	char *tenant_domain;
	/* the response */
	guint status;
	char *resp_type;
	GBytes *resp_body;
	GPtrArray *resp_headers; /* name, value, ... */
	GPtrArray *error_items;	 /* code, message, ... */
};

/* ---- errors ---- */

static const char *
status_message (guint status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 415:
		return "Unsupported Media Type";
	default:
		return "Internal server error";
	}
}

#define INTERNAL_DESCRIPTION                                                                   \
	"The server encountered an internal error. Please contact administrator."

JsonNode *
am_rest_error_dto (guint status, const char *description, GPtrArray *items)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "code");
	json_builder_add_int_value (b, status);
	json_builder_set_member_name (b, "message");
	json_builder_add_string_value (b, status_message (status));
	json_builder_set_member_name (b, "description");
	json_builder_add_string_value (b, status >= 500 ? INTERNAL_DESCRIPTION : description);
	json_builder_set_member_name (b, "moreInfo");
	json_builder_add_string_value (b, "");
	/* RestApiUtil.getInternalServerErrorDTO leaves the list out */
	if (status < 500) {
		json_builder_set_member_name (b, "error");
		json_builder_begin_array (b);
		for (guint i = 0; items != NULL && i + 1 < items->len; i += 2) {
			json_builder_begin_object (b);
			json_builder_set_member_name (b, "code");
			json_builder_add_string_value (b, items->pdata[i]);
			json_builder_set_member_name (b, "message");
			json_builder_add_string_value (b, items->pdata[i + 1]);
			json_builder_end_object (b);
		}
		json_builder_end_array (b);
	}
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

guint
am_rest_error_status (const GError *error)
{
	static const guint statuses[] = {
		[AM_REST_ERROR_BAD_REQUEST] = 400,  [AM_REST_ERROR_UNAUTHORIZED] = 401,
		[AM_REST_ERROR_FORBIDDEN] = 403,    [AM_REST_ERROR_NOT_FOUND] = 404,
		[AM_REST_ERROR_CONFLICT] = 409,	    [AM_REST_ERROR_EXISTS] = 409,
		[AM_REST_ERROR_INTERNAL] = 500,	    [AM_REST_ERROR_UNSUPPORTED_TYPE] = 415,
	};

	if (error->domain == AM_REST_ERROR && error->code >= 0 &&
	    (guint) error->code < G_N_ELEMENTS (statuses))
		return statuses[error->code];
	return 500;
}

void
am_rest_not_found (GError **error, const char *resource, const char *id)
{
	g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_NOT_FOUND,
		     "Requested %s with Id '%s' not found", resource, id);
}

void
am_rest_forbidden (GError **error, const char *resource, const char *id)
{
	g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_FORBIDDEN,
		     "You don't have permission to access the %s with Id %s", resource, id);
}

void
am_rest_bad_request (GError **error, const char *description)
{
	g_set_error_literal (error, AM_REST_ERROR, AM_REST_ERROR_BAD_REQUEST, description);
}

void
am_rest_validation_error (GError **error)
{
	g_set_error_literal (error, AM_REST_ERROR, AM_REST_ERROR_BAD_REQUEST,
			     AM_REST_VALIDATION_ERROR);
}

char *
am_rest_json_text (JsonNode *node)
{
	g_autoptr (JsonGenerator) gen = json_generator_new ();

	json_generator_set_root (gen, node);
	return json_generator_to_data (gen, NULL);
}

/* ---- pagination ---- */

void
am_rest_pagination (gint64 offset, gint64 limit, gint64 total, gint64 *next_offset,
		    gint64 *previous_offset)
{
	*next_offset = -1;
	*previous_offset = -1;
	if (offset < 0 || offset >= total)
		return;
	if (offset + limit < total)
		*next_offset = offset + limit;
	if (offset > 0)
		*previous_offset = MAX (offset - limit, 0);
}

char *
am_rest_paginated_url (const char *template_, gint64 offset, gint64 limit)
{
	g_autoptr (GString) s = g_string_new (template_);
	g_autofree char *l = g_strdup_printf ("%" G_GINT64_FORMAT, limit);
	g_autofree char *o = g_strdup_printf ("%" G_GINT64_FORMAT, offset);

	g_string_replace (s, "%limit", l, 0);
	g_string_replace (s, "%offset", o, 0);
	return g_string_free (g_steal_pointer (&s), FALSE);
}

JsonNode *
am_rest_list (JsonArray *items, const char *url_template, gint64 offset, gint64 limit,
	      gint64 total)
{
	JsonObject *o = json_object_new ();
	JsonNode *node = json_node_new (JSON_NODE_OBJECT);
	gint64 next, previous;
	g_autofree char *next_url = NULL;
	g_autofree char *previous_url = NULL;

	am_rest_pagination (offset, limit, total, &next, &previous);
	if (next >= 0)
		next_url = am_rest_paginated_url (url_template, next, limit);
	if (previous >= 0)
		previous_url = am_rest_paginated_url (url_template, previous, limit);
	json_object_set_int_member (o, "count", json_array_get_length (items));
	json_object_set_string_member (o, "next", next_url != NULL ? next_url : "");
	json_object_set_string_member (o, "previous", previous_url != NULL ? previous_url : "");
	json_object_set_array_member (o, "list", items);
	json_node_take_object (node, o);
	return node;
}

JsonNode *
am_rest_list_slice (const GPtrArray *all, gint64 offset, gint64 limit, AmRestItemJson to_json,
		    gconstpointer data, const char *url_template)
{
	JsonArray *items = json_array_new ();

	for (gint64 i = offset; i < (gint64) all->len && i < offset + limit; i++)
		json_array_add_element (items, to_json (g_ptr_array_index (all, i), data));
	return am_rest_list (items, url_template, offset, limit, all->len);
}

/* ---- routing ---- */

static gboolean
is_param (const char *segment)
{
	gsize n = strlen (segment);

	return n > 2 && segment[0] == '{' && segment[n - 1] == '}';
}

/* "/a/b/" -> {"a", "b"}; "/" -> {} */
static char **
split_path (const char *path)
{
	g_auto (GStrv) parts = g_strsplit (path, "/", -1);
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

	for (guint i = 0; parts[i] != NULL; i++) {
		if (*parts[i] != '\0')
			g_ptr_array_add (out, g_strdup (parts[i]));
	}
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_steal (out, NULL);
}

static gboolean
route_compile (const AmRestRoute *r, RestRoute *out, GError **error)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "HEAD", NULL };

	if (r->pattern == NULL || r->pattern[0] != '/' || r->handler == NULL ||
	    !g_strv_contains (methods, r->method)) {
		g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_INTERNAL,
			     "REST route '%s %s': needs a method of %s, a pattern starting with "
			     "'/' and a handler",
			     r->method, r->pattern != NULL ? r->pattern : "(null)",
			     "GET/POST/PUT/DELETE/HEAD");
		return FALSE;
	}
	out->route = r;
	out->segments = split_path (r->pattern);
	for (guint i = 0; out->segments[i] != NULL; i++) {
		if (strchr (out->segments[i], '{') != NULL && !is_param (out->segments[i])) {
			g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_INTERNAL,
				     "REST route '%s %s': a {param} must be a whole segment",
				     r->method, r->pattern);
			g_strfreev (out->segments);
			return FALSE;
		}
	}
	return TRUE;
}

/* Whether @segments (decoded request segments) fit @r; params collected. */
static gboolean
route_fits (const RestRoute *r, char **segments, GHashTable *params)
{
	guint n = g_strv_length (r->segments);

	if (n != g_strv_length (segments))
		return FALSE;
	for (guint i = 0; i < n; i++) {
		const char *s = r->segments[i];

		if (is_param (s)) {
			if (params != NULL)
				g_hash_table_replace (params, g_strndup (s + 1, strlen (s) - 2),
						      g_strdup (segments[i]));
		} else if (strcmp (s, segments[i]) != 0) {
			return FALSE;
		}
	}
	return TRUE;
}

/* A literal segment beats a {param} at the same place (JAX-RS picks the
 * most literal template: /apis/copy-api before /apis/{apiId}). */
static guint
route_literals (const RestRoute *r)
{
	guint n = 0;

	for (guint i = 0; r->segments[i] != NULL; i++)
		n += !is_param (r->segments[i]);
	return n;
}

AmRestMatch
am_rest_route_match (AmRest *rest, const char *method, const char *path,
		     const AmRestRoute **route, GHashTable **params, char **allow)
{
	g_auto (GStrv) raw = split_path (path);
	g_autoptr (GPtrArray) decoded = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GString) allowed = NULL;
	const RestRoute *best = NULL;

	for (guint i = 0; raw[i] != NULL; i++) {
		char *d = g_uri_unescape_string (raw[i], NULL);

		if (d == NULL || *d == '\0') {
			g_free (d);
			return AM_REST_MATCH_NONE;
		}
		g_ptr_array_add (decoded, d);
	}
	g_ptr_array_add (decoded, NULL);

	for (guint i = 0; i < rest->routes->len; i++) {
		const RestRoute *r = &g_array_index (rest->routes, RestRoute, i);

		if (!route_fits (r, (char **) decoded->pdata, NULL))
			continue;
		if (strcmp (r->route->method, method) == 0) {
			if (best == NULL || route_literals (r) > route_literals (best))
				best = r;
			continue;
		}
		if (allowed == NULL)
			allowed = g_string_new (NULL);
		if (strstr (allowed->str, r->route->method) == NULL)
			g_string_append_printf (allowed, "%s%s", allowed->len > 0 ? ", " : "",
						r->route->method);
	}
	if (best != NULL) {
		*route = best->route;
		*params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
		route_fits (best, (char **) decoded->pdata, *params);
		return AM_REST_MATCH_OK;
	}
	if (allowed != NULL) {
		*allow = g_string_free (g_steal_pointer (&allowed), FALSE);
		return AM_REST_MATCH_METHOD;
	}
	return AM_REST_MATCH_NONE;
}

/* ---- authentication ---- */

void
am_rest_auth_free (AmRestAuth *auth)
{
	if (auth == NULL)
		return;
	g_free (auth->user);
	g_free (auth->tenant_domain);
	g_strfreev (auth->scopes);
	g_free (auth);
}

static AmRestAuth *
auth_copy (const AmRestAuth *a)
{
	AmRestAuth *c = g_new0 (AmRestAuth, 1);

	c->user = g_strdup (a->user);
	c->tenant_id = a->tenant_id;
	c->tenant_domain = g_strdup (a->tenant_domain);
	c->scopes = g_strdupv (a->scopes);
	c->expires_at = a->expires_at;
	return c;
}

static void
cache_entry_free (gpointer data)
{
	RestCacheEntry *e = data;

	am_rest_auth_free (e->auth);
	g_free (e);
}

static char *
token_key (const char *token)
{
	return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

static AmRestAuth *
cache_get (AmRest *rest, const char *key, gint64 now)
{
	RestCacheEntry *e;
	AmRestAuth *out = NULL;

	g_mutex_lock (&rest->cache_lock);
	e = g_hash_table_lookup (rest->cache, key);
	if (e != NULL && now < e->cached_until)
		out = auth_copy (e->auth);
	else if (e != NULL)
		g_hash_table_remove (rest->cache, key);
	g_mutex_unlock (&rest->cache_lock);
	return out;
}

static void
cache_put (AmRest *rest, char *key, const AmRestAuth *auth, gint64 now)
{
	RestCacheEntry *e = g_new0 (RestCacheEntry, 1);

	e->auth = auth_copy (auth);
	e->cached_until = auth->expires_at - now > rest->cache_ttl ? now + rest->cache_ttl
								     : auth->expires_at;
	g_mutex_lock (&rest->cache_lock);
	g_hash_table_replace (rest->cache, key, e);
	g_mutex_unlock (&rest->cache_lock);
}

/* Key Manager revoke hook: runs with the hook lock held; only drops entries. */
static void
on_tokens_revoked (gpointer data, const char *const *tokens)
{
	AmRest *rest = data;

	g_mutex_lock (&rest->cache_lock);
	for (guint i = 0; tokens[i] != NULL; i++) {
		g_autofree char *key = token_key (tokens[i]);

		g_hash_table_remove (rest->cache, key);
	}
	g_mutex_unlock (&rest->cache_lock);
}

AmRestAuth *
am_rest_authenticate (AmRest *rest, AmDbConn *conn, const char *access_token, GError **error)
{
	gint64 now = am_km_now (rest->km);
	g_autofree char *key = rest->cache_ttl > 0 ? token_key (access_token) : NULL;
	g_autoptr (AmKmToken) t = NULL;
	GError *local = NULL;
	AmRestAuth *auth;
	gint64 remaining;

	if (key != NULL && (auth = cache_get (rest, key, now)) != NULL)
		return auth;
	t = am_km_token_lookup (rest->km, conn, access_token, &local);
	if (local != NULL) {
		g_propagate_error (error, local);
		return NULL;
	}
	if (t == NULL || g_strcmp0 (t->token_state, "ACTIVE") != 0)
		return NULL;
	remaining = am_km_token_remaining (rest->km, t, now);
	if (remaining <= 0)
		return NULL;
	/* only the super tenant is served (the user store's limit) */
	if (t->tenant_id != AM_SUPER_TENANT_ID) {
		g_debug ("token of tenant %d refused: only carbon.super is served", t->tenant_id);
		return NULL;
	}
	auth = g_new0 (AmRestAuth, 1);
	auth->user = g_strdup (t->authz_user);
	auth->tenant_id = t->tenant_id;
	auth->tenant_domain = g_strdup (AM_SUPER_TENANT_DOMAIN);
	auth->scopes = g_strdupv (t->scopes != NULL ? t->scopes : (char *[]) { NULL });
	auth->expires_at = remaining == G_MAXINT64 ? G_MAXINT64 : now + remaining;
	if (key != NULL)
		cache_put (rest, g_steal_pointer (&key), auth, now);
	return auth;
}

/* ---- the call ---- */

static void
call_free (gpointer data)
{
	AmRestCall *call = data;

	g_object_unref (call->msg);
	g_free (call->method);
	g_clear_pointer (&call->params, g_hash_table_unref);
	g_clear_pointer (&call->query, g_hash_table_unref);
	soup_message_headers_unref (call->req_headers);
	g_clear_pointer (&call->body, g_bytes_unref);
	g_free (call->content_type);
	g_clear_pointer (&call->json, json_node_unref);
	g_free (call->token);
	g_free (call->base_url);
	am_rest_auth_free (call->auth);
	g_free (call->user_full);
	g_free (call->tenant_domain);
	g_free (call->resp_type);
	g_clear_pointer (&call->resp_body, g_bytes_unref);
	g_ptr_array_unref (call->resp_headers);
	g_ptr_array_unref (call->error_items);
	g_free (call);
}

const char *
am_rest_call_param (AmRestCall *call, const char *name)
{
	return call->params != NULL ? g_hash_table_lookup (call->params, name) : NULL;
}

const char *
am_rest_call_query (AmRestCall *call, const char *name)
{
	return call->query != NULL ? g_hash_table_lookup (call->query, name) : NULL;
}

gboolean
am_rest_call_query_int (AmRestCall *call, const char *name, gint64 def, gint64 min, gint64 max,
			gint64 *value, GError **error)
{
	const char *v = am_rest_call_query (call, name);

	*value = def;
	if (v == NULL || *v == '\0')
		return TRUE;
	if (!g_ascii_string_to_signed (v, 10, min, max, value, NULL)) {
		*value = def;
		g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_BAD_REQUEST,
			     "Invalid value '%s' for query parameter '%s'", v, name);
		return FALSE;
	}
	return TRUE;
}

gboolean
am_rest_call_query_bool (AmRestCall *call, const char *name, gboolean def, gboolean *value,
			 GError **error)
{
	const char *v = am_rest_call_query (call, name);

	*value = def;
	if (v == NULL || *v == '\0')
		return TRUE;
	if (g_ascii_strcasecmp (v, "true") == 0 || g_ascii_strcasecmp (v, "false") == 0) {
		*value = g_ascii_strcasecmp (v, "true") == 0;
		return TRUE;
	}
	g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_BAD_REQUEST,
		     "Invalid value '%s' for query parameter '%s'", v, name);
	return FALSE;
}

gboolean
am_rest_call_pagination (AmRestCall *call, gint64 *limit, gint64 *offset, GError **error)
{
	return am_rest_call_query_int (call, "limit", 25, 0, G_MAXINT32, limit, error) &&
	       am_rest_call_query_int (call, "offset", 0, 0, G_MAXINT32, offset, error);
}

JsonNode *
am_rest_call_json (AmRestCall *call)
{
	return call->json;
}

GBytes *
am_rest_call_body (AmRestCall *call, const char **content_type)
{
	if (content_type != NULL)
		*content_type = call->content_type;
	return call->body;
}

const char *
am_rest_call_header (AmRestCall *call, const char *name)
{
	return soup_message_headers_get_one (call->req_headers, name);
}

const char *
am_rest_call_method (AmRestCall *call)
{
	return call->method;
}

const char *
am_rest_call_user (AmRestCall *call)
{
	return call->auth != NULL ? call->auth->user : NULL;
}

const char *
am_rest_call_user_full (AmRestCall *call)
{
	return call->user_full;
}

int
am_rest_call_tenant_id (AmRestCall *call)
{
	return call->auth != NULL ? call->auth->tenant_id : AM_SUPER_TENANT_ID;
}

const char *
am_rest_call_tenant_domain (AmRestCall *call)
{
	return call->tenant_domain;
}

const char *const *
am_rest_call_scopes (AmRestCall *call)
{
	static const char *const none[] = { NULL };

	return call->auth != NULL ? (const char *const *) call->auth->scopes : none;
}

gboolean
am_rest_call_has_scope (AmRestCall *call, const char *scope)
{
	return g_strv_contains (am_rest_call_scopes (call), scope);
}

void
am_rest_call_set_status (AmRestCall *call, guint status)
{
	call->status = status;
}

void
am_rest_call_set_header (AmRestCall *call, const char *name, const char *value)
{
	g_ptr_array_add (call->resp_headers, g_strdup (name));
	g_ptr_array_add (call->resp_headers, g_strdup (value));
}

void
am_rest_call_set_created (AmRestCall *call, const char *path)
{
	g_autofree char *location = g_strconcat (call->base_url, path, NULL);

	call->status = SOUP_STATUS_CREATED;
	am_rest_call_set_header (call, "Location", location);
}

void
am_rest_call_set_raw (AmRestCall *call, const char *content_type, GBytes *body)
{
	g_free (call->resp_type);
	call->resp_type = g_strdup (content_type);
	g_clear_pointer (&call->resp_body, g_bytes_unref);
	call->resp_body = g_bytes_ref (body);
}

void
am_rest_call_add_error_item (AmRestCall *call, const char *code, const char *message)
{
	g_ptr_array_add (call->error_items, g_strdup (code));
	g_ptr_array_add (call->error_items, g_strdup (message));
}

void
am_rest_call_add_invalid (AmRestCall *call, const char *property, const char *why)
{
	g_ptr_array_add (call->error_items, g_strdup_printf ("400_%s", property));
	g_ptr_array_add (call->error_items, g_strdup_printf ("%s: %s", property, why));
}

gboolean
am_rest_call_require_query (AmRestCall *call, const char *const *names, GError **error)
{
	int n_bad = 0;

	for (guint i = 0; names[i] != NULL; i++) {
		const char *value = am_rest_call_query (call, names[i]);

		if (value != NULL && *value != '\0')
			continue;
		am_rest_call_add_invalid (call, names[i], "may not be null");
		n_bad++;
	}
	if (n_bad > 0)
		am_rest_validation_error (error);
	return n_bad == 0;
}

static void
call_respond_node (AmRestCall *call, guint status, JsonNode *node)
{
	g_autofree char *text = am_rest_json_text (node);
	gsize len = strlen (text);

	call->status = status;
	g_free (call->resp_type);
	call->resp_type = g_strdup (JSON_TYPE);
	g_clear_pointer (&call->resp_body, g_bytes_unref);
	call->resp_body = g_bytes_new_take (g_steal_pointer (&text), len);
}

static void
call_respond_error (AmRestCall *call, const GError *error)
{
	guint status = am_rest_error_status (error);
	g_autoptr (JsonNode) dto = NULL;

	if (status >= 500)
		g_warning ("%s %s: %s", call->method,
			   g_uri_get_path (soup_server_message_get_uri (call->msg)), error->message);
	g_ptr_array_set_size (call->resp_headers, 0);
	dto = am_rest_error_dto (status, error->message, call->error_items);
	/* RestApiUtil.handleResourceAlreadyExistsError: the 409 of a duplicate */
	if (g_error_matches (error, AM_REST_ERROR, AM_REST_ERROR_EXISTS))
		json_object_set_string_member (json_node_get_object (dto), "message",
					       "Resource Already Exists");
	call_respond_node (call, status, dto);
}

/* The body of an AM_REST_BODY_JSON route. */
static gboolean
call_parse_json (AmRestCall *call, GError **error)
{
	g_autoptr (JsonParser) parser = json_parser_new ();
	gsize len = call->body != NULL ? g_bytes_get_size (call->body) : 0;
	const char *data = call->body != NULL ? g_bytes_get_data (call->body, NULL) : NULL;
	JsonNode *root;
	gboolean blank = TRUE;

	for (gsize i = 0; i < len && blank; i++)
		blank = g_ascii_isspace (data[i]);
	if (blank) {
		am_rest_bad_request (error, AM_REST_EMPTY_BODY);
		return FALSE;
	}
	if (call->content_type != NULL && g_ascii_strcasecmp (call->content_type, JSON_TYPE) != 0) {
		g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_UNSUPPORTED_TYPE,
			     "Unsupported Content-Type '%s'", call->content_type);
		return FALSE;
	}
	if (!g_utf8_validate (data, len, NULL) || !json_parser_load_from_data (parser, data, len, NULL)) {
		am_rest_bad_request (error, AM_REST_MALFORMED_BODY);
		return FALSE;
	}
	root = json_parser_get_root (parser);
	if (root == NULL || (!JSON_NODE_HOLDS_OBJECT (root) && !JSON_NODE_HOLDS_ARRAY (root))) {
		am_rest_bad_request (error, AM_REST_MALFORMED_BODY);
		return FALSE;
	}
	call->json = json_node_copy (root);
	return TRUE;
}

/* Authentication and scope: FALSE with a 401 in @error. */
static gboolean
call_authenticate (AmRestCall *call, AmDbConn *conn, GError **error)
{
	const char *scope = call->route->scope;
	GError *local = NULL;

	if (call->token != NULL) {
		call->auth = am_rest_authenticate (call->rest, conn, call->token, &local);
		if (local != NULL) {
			g_propagate_error (error, local);
			return FALSE;
		}
		if (call->auth == NULL) {
			g_set_error_literal (error, AM_REST_ERROR, AM_REST_ERROR_UNAUTHORIZED,
					     AM_REST_UNAUTHENTICATED);
			return FALSE;
		}
	}
	if (scope != NULL && (call->auth == NULL || !am_rest_call_has_scope (call, scope))) {
		g_set_error_literal (error, AM_REST_ERROR, AM_REST_ERROR_UNAUTHORIZED,
				     AM_REST_UNAUTHENTICATED);
		return FALSE;
	}
	if (call->auth != NULL) {
		call->user_full = g_strdup_printf ("%s@%s", call->auth->user, call->auth->tenant_domain);
		call->tenant_domain = g_strdup (call->auth->tenant_domain);
	} else {
		const char *t = am_rest_call_header (call, "X-WSO2-Tenant");

		call->tenant_domain = g_strdup (t != NULL && *t != '\0' ? t : AM_SUPER_TENANT_DOMAIN);
	}
	return TRUE;
}

/* A pool thread: authenticate, parse, run the handler. */
static void
call_run (gpointer data, gpointer user_data)
{
	AmRestCall *call = data;
	AmRest *rest = call->rest;
	GTask *task = call->task;
	gboolean reader = strcmp (call->method, "GET") == 0 || strcmp (call->method, "HEAD") == 0;
	AmDb *db = am_km_get_db (rest->km);
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = reader ? am_db_acquire_reader (db, &error)
					   : am_db_acquire (db, &error);
	g_autoptr (JsonNode) node = NULL;

	call->status = SOUP_STATUS_OK;
	if (conn != NULL && call_authenticate (call, conn, &error) &&
	    (!(call->route->flags & AM_REST_BODY_JSON) || call_parse_json (call, &error))) {
		node = call->route->handler (call, conn, rest->user_data, &error);
		/* what the handler left open is not committed */
		am_db_rollback (conn, NULL);
	}
	if (error != NULL)
		call_respond_error (call, error);
	else if (call->resp_body == NULL && node != NULL)
		call_respond_node (call, call->status, node);
	g_clear_pointer (&conn, am_db_release);
	g_task_return_boolean (task, TRUE);
	g_object_unref (task);
}

/* ---- the libsoup side (main context) ---- */

static void
respond (SoupServerMessage *msg, guint status, const char *type, GBytes *body,
	 GPtrArray *headers)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

	for (guint i = 0; headers != NULL && i + 1 < headers->len; i += 2)
		soup_message_headers_replace (h, headers->pdata[i], headers->pdata[i + 1]);
	soup_server_message_set_status (msg, status, NULL);
	if (body != NULL)
		soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY,
						  g_bytes_get_data (body, NULL),
						  g_bytes_get_size (body));
	else
		soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
}

static void
respond_error (SoupServerMessage *msg, guint status, const char *description, GPtrArray *headers)
{
	g_autoptr (JsonNode) dto = am_rest_error_dto (status, description, NULL);
	g_autofree char *text = am_rest_json_text (dto);
	g_autoptr (GBytes) body = g_bytes_new (text, strlen (text));

	respond (msg, status, JSON_TYPE, body, headers);
}

static void
on_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
	AmRestCall *call = g_task_get_task_data (G_TASK (result));

	respond (call->msg, call->status, call->resp_type, call->resp_body, call->resp_headers);
	soup_server_message_unpause (call->msg);
}

/* "Bearer <token>" -> the token; NULL for no or another scheme. */
static char *
bearer_token (SoupServerMessage *msg)
{
	const char *auth = soup_message_headers_get_one (
		soup_server_message_get_request_headers (msg), "Authorization");
	g_autofree char *t = NULL;

	if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
		return NULL;
	t = g_strstrip (g_strdup (auth + 7));
	return *t != '\0' ? g_steal_pointer (&t) : NULL;
}

static char *
request_base_url (AmRest *rest, SoupServerMessage *msg)
{
	GUri *u = soup_server_message_get_uri (msg);

	return g_uri_join (G_URI_FLAGS_NONE, g_uri_get_scheme (u), NULL, g_uri_get_host (u),
			   g_uri_get_port (u), rest->base_path, NULL, NULL);
}

static void
on_request (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
	    gpointer user_data)
{
	AmRest *rest = user_data;
	const char *method = soup_server_message_get_method (msg);
	const char *raw_path = g_uri_get_path (soup_server_message_get_uri (msg));
	const char *sub = raw_path + strlen (rest->base_path);
	const AmRestRoute *route = NULL;
	g_autoptr (GHashTable) params = NULL;
	g_autofree char *allow = NULL;
	g_autoptr (GTask) task = NULL;
	SoupMessageBody *body;
	AmRestCall *call;
	AmRestMatch m;

	/* soup matches handler paths by prefix: /api/am/store/v0.11x is not ours */
	if (!g_str_has_prefix (raw_path, rest->base_path) || (*sub != '\0' && *sub != '/')) {
		respond_error (msg, SOUP_STATUS_NOT_FOUND, "The requested resource is not available",
			       NULL);
		return;
	}
	m = am_rest_route_match (rest, method, *sub != '\0' ? sub : "/", &route, &params, &allow);
	if (m == AM_REST_MATCH_NONE) {
		respond_error (msg, SOUP_STATUS_NOT_FOUND, "The requested resource is not available",
			       NULL);
		return;
	}
	if (m == AM_REST_MATCH_METHOD) {
		g_autoptr (GPtrArray) h = g_ptr_array_new ();
		g_autofree char *d = g_strdup_printf ("Method '%s' is not allowed on '%s'", method,
						      raw_path);

		g_ptr_array_add (h, "Allow");
		g_ptr_array_add (h, allow);
		respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, d, h);
		return;
	}

	call = g_new0 (AmRestCall, 1);
	call->rest = rest;
	call->msg = g_object_ref (msg);
	call->route = route;
	call->method = g_strdup (method);
	call->params = g_steal_pointer (&params);
	if (query != NULL)
		call->query = g_hash_table_ref (query);
	call->req_headers = soup_message_headers_ref (soup_server_message_get_request_headers (msg));
	call->content_type = g_strdup (soup_message_headers_get_content_type (call->req_headers, NULL));
	body = soup_server_message_get_request_body (msg);
	call->body = soup_message_body_flatten (body);
	call->token = bearer_token (msg);
	call->base_url = request_base_url (rest, msg);
	call->resp_headers = g_ptr_array_new_with_free_func (g_free);
	call->error_items = g_ptr_array_new_with_free_func (g_free);
	task = g_task_new (NULL, NULL, on_call_done, NULL);
	g_task_set_task_data (task, call, call_free);

	/* no token where one is needed: answered without a database */
	if (route->scope != NULL && call->token == NULL) {
		respond_error (msg, SOUP_STATUS_UNAUTHORIZED, AM_REST_UNAUTHENTICATED, NULL);
		return;
	}
	soup_server_message_pause (msg);
	call->task = g_steal_pointer (&task);
	g_thread_pool_push (rest->pool, call, NULL);
}

/* ---- the API ---- */

AmRest *
am_rest_new (const char *base_path, AmKm *km, const AmRestRoute *routes, gpointer user_data,
	     GError **error)
{
	g_autoptr (AmRest) rest = g_new0 (AmRest, 1);
	gboolean sqlite = am_db_get_kind (am_km_get_db (km)) == AM_DB_SQLITE;

	rest->base_path = g_strdup (base_path);
	rest->km = km;
	rest->user_data = user_data;
	rest->routes = g_array_new (FALSE, TRUE, sizeof (RestRoute));
	g_mutex_init (&rest->cache_lock);
	rest->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cache_entry_free);
	rest->cache_ttl = AM_REST_TOKEN_CACHE_TTL;
	rest->pool = g_thread_pool_new (call_run, rest, sqlite ? 1 : REST_MYSQL_WORKERS, FALSE,
					NULL);
	am_km_add_revoke_hook (km, on_tokens_revoked, rest);
	if (base_path[0] != '/' || g_str_has_suffix (base_path, "/")) {
		g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_INTERNAL,
			     "REST base path '%s' must start and not end with '/'", base_path);
		return NULL;
	}
	for (const AmRestRoute *r = routes; r->method != NULL; r++) {
		RestRoute rr;

		if (!route_compile (r, &rr, error))
			return NULL;
		g_array_append_val (rest->routes, rr);
	}
	return g_steal_pointer (&rest);
}

void
am_rest_set_cache_ttl (AmRest *rest, gint64 ttl_usec)
{
	g_mutex_lock (&rest->cache_lock);
	rest->cache_ttl = MAX (ttl_usec, 0);
	g_hash_table_remove_all (rest->cache);
	g_mutex_unlock (&rest->cache_lock);
}

void
am_rest_mount (AmRest *rest, SoupServer *soup)
{
	g_return_if_fail (rest->soup == NULL);
	rest->soup = g_object_ref (soup);
	soup_server_add_handler (soup, rest->base_path, on_request, rest, NULL);
}

void
am_rest_unmount (AmRest *rest)
{
	if (rest->soup == NULL)
		return;
	soup_server_remove_handler (rest->soup, rest->base_path);
	g_clear_object (&rest->soup);
}

const char *
am_rest_get_base_path (AmRest *rest)
{
	return rest->base_path;
}

void
am_rest_free (AmRest *rest)
{
	if (rest == NULL)
		return;
	am_rest_unmount (rest);
	am_km_remove_revoke_hook (rest->km, on_tokens_revoked, rest);
	/* the queued calls use @rest: let them finish */
	g_thread_pool_free (rest->pool, FALSE, TRUE);
	for (guint i = 0; i < rest->routes->len; i++)
		g_strfreev (g_array_index (rest->routes, RestRoute, i).segments);
	g_array_unref (rest->routes);
	g_hash_table_unref (rest->cache);
	g_mutex_clear (&rest->cache_lock);
	g_free (rest->base_path);
	g_free (rest);
}
