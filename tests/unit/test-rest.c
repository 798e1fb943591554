/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the REST plumbing (src/rest/am-rest.c): routing (literal
 * segments before {params}, 404 / 405), WSO2's pagination arithmetic and
 * list envelope, the ErrorDTO shapes, and, through a real SoupServer on
 * loopback with tokens issued by the Key Manager into a real SQLite API-M
 * database: Bearer authentication, x-scope checks, anonymous routes,
 * revocation and expiry (TimestampSkew) reaching cached tokens, JSON body
 * errors, 201 + Location, 500 without leaking the cause, handlers running
 * off the main thread.  Also tenant-conf.json's REST scopes: the shipped
 * file equals the built-in default, the registry copy wins over the file.
 */
#include "config.h"

#include "am-test-util.h"

#include <string.h>

#include "am-km.h"
#include "am-rest.h"
#include "am-userstore.h"

#define BASE "/api/am/publisher/v0.11"
#define T0 (G_GINT64_CONSTANT (1704067200) * G_USEC_PER_SEC)

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
	AmKmClient *client;
	AmRest *rest;
	SoupServer *soup;
	SoupSession *session;
	char *url; /* http://127.0.0.1:<port> */
	GThread *main_thread;
	gboolean ran_on_main;
	guint handler_calls;
} Fixture;

/* ---- the routes of the test API ---- */

static JsonNode *
list_things (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	Fixture *f = data;
	g_autoptr (JsonArray) items = json_array_new ();
	gint64 limit, offset;
	const gint64 total = 7;

	f->handler_calls++;
	f->ran_on_main |= g_thread_self () == f->main_thread;
	if (!am_rest_call_pagination (call, &limit, &offset, error))
		return NULL;
	for (gint64 i = offset; i < total && i < offset + limit; i++)
		json_array_add_int_element (items, i);
	return am_rest_list (g_steal_pointer (&items), "/things?limit=%limit&offset=%offset&query=",
			     offset, limit, total);
}

static JsonNode *
get_thing (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	Fixture *f = data;
	const char *id = am_rest_call_param (call, "thingId");
	JsonObject *o;
	JsonNode *n;

	f->handler_calls++;
	f->ran_on_main |= g_thread_self () == f->main_thread;
	if (strcmp (id, "missing") == 0) {
		am_rest_not_found (error, "thing", id);
		return NULL;
	}
	o = json_object_new ();
	json_object_set_string_member (o, "id", id);
	json_object_set_string_member (o, "user", am_rest_call_user (call));
	json_object_set_string_member (o, "userFull", am_rest_call_user_full (call));
	json_object_set_string_member (o, "tenant", am_rest_call_tenant_domain (call));
	n = json_node_new (JSON_NODE_OBJECT);
	json_node_take_object (n, o);
	return n;
}

static JsonNode *
copy_thing (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	JsonObject *o = json_object_new ();
	JsonNode *n = json_node_new (JSON_NODE_OBJECT);

	json_object_set_string_member (o, "route", "copy");
	json_node_take_object (n, o);
	return n;
}

static JsonNode *
create_thing (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	Fixture *f = data;
	JsonNode *body = am_rest_call_json (call);
	JsonObject *in = json_node_get_object (body);
	const char *name = json_object_get_string_member_with_default (in, "name", NULL);
	g_autofree char *path = NULL;

	f->handler_calls++;
	f->ran_on_main |= g_thread_self () == f->main_thread;
	if (name == NULL) {
		am_rest_call_add_error_item (call, "400_name", "name: may not be null");
		g_set_error_literal (error, AM_REST_ERROR, AM_REST_ERROR_BAD_REQUEST,
				     "Validation Error");
		return NULL;
	}
	path = g_strdup_printf ("/things/%s", name);
	am_rest_call_set_created (call, path);
	return json_node_copy (body);
}

static JsonNode *
delete_thing (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	/* a failure of another domain: 500, the text stays in the log */
	g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "secret database detail");
	return NULL;
}

static JsonNode *
public_info (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	JsonObject *o = json_object_new ();
	JsonNode *n = json_node_new (JSON_NODE_OBJECT);

	if (am_rest_call_user (call) != NULL)
		json_object_set_string_member (o, "user", am_rest_call_user (call));
	else
		json_object_set_null_member (o, "user");
	json_object_set_string_member (o, "tenant", am_rest_call_tenant_domain (call));
	json_node_take_object (n, o);
	return n;
}

static const AmRestRoute routes[] = {
	{ "GET", "/things", "apim:api_view", list_things },
	{ "POST", "/things", "apim:api_create", create_thing, AM_REST_BODY_JSON },
	{ "GET", "/things/{thingId}", "apim:api_view", get_thing },
	{ "DELETE", "/things/{thingId}", "apim:api_create", delete_thing },
	{ "POST", "/things/copy-thing", "apim:api_create", copy_thing },
	{ "GET", "/public", NULL, public_info },
	{ NULL },
};

/* ---- fixture ---- */

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	const char *const schemas[] = { "apimgt/sqlite.sql", NULL };
	g_autoptr (AmDbConn) conn = NULL;
	g_autoslist (GUri) uris = NULL;
	AmKmConf conf = {
		.app_token_validity = 3600,
		.user_token_validity = 3600,
		.refresh_token_validity = 84600,
		.timestamp_skew = 300,
		.renew_refresh_token = TRUE,
	};

	fake_now = T0;
	f->main_thread = g_thread_self ();
	f->dir = g_dir_make_tmp ("apimd-rest-XXXXXX", &error);
	g_assert_no_error (error);
	f->db = am_test_sqlite_db (f->dir, schemas);
	f->km = am_km_new_for_db (f->db, NULL, &conf, &error);
	g_assert_no_error (error);
	am_km_set_clock (f->km, fake_clock);
	conn = am_db_acquire (f->db, &error);
	g_assert_no_error (error);
	f->client = am_km_client_create (f->km, conn, "admin_rest_api_publisher", "admin",
					 "password refresh_token", NULL, &error);
	g_assert_no_error (error);
	g_assert_nonnull (f->client);

	f->rest = am_rest_new (BASE, f->km, routes, f, &error);
	g_assert_no_error (error);
	f->soup = soup_server_new (NULL, NULL);
	g_assert_true (soup_server_listen_local (f->soup, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
	g_assert_no_error (error);
	am_rest_mount (f->rest, f->soup);
	uris = soup_server_get_uris (f->soup);
	f->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
	f->session = soup_session_new ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_clear_object (&f->session);
	g_clear_pointer (&f->rest, am_rest_free);
	g_clear_object (&f->soup);
	g_clear_pointer (&f->client, am_km_client_free);
	g_clear_pointer (&f->km, am_km_free);
	g_clear_pointer (&f->db, am_db_unref);
	am_test_rm_rf (f->dir);
	g_free (f->dir);
	g_free (f->url);
}

/* A token of the test client for @user with @scopes (NULL-terminated). */
static char *
issue (Fixture *f, const char *user, const char *const *scopes)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &error);
	g_autoptr (AmKmIssuedToken) t = NULL;

	g_assert_no_error (error);
	t = am_km_token_issue (f->km, conn, f->client, user, "APPLICATION_USER", "password", scopes,
			       0, &error);
	g_assert_no_error (error);
	return g_strdup (t->access_token);
}

typedef struct {
	guint status;
	char *body;
	SoupMessageHeaders *headers;
} Reply;

static void
reply_clear (Reply *r)
{
	g_free (r->body);
	g_clear_pointer (&r->headers, soup_message_headers_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
	GBytes **out = user_data;
	g_autoptr (GError) error = NULL;

	*out = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
	g_assert_no_error (error);
}

/* One request, the main loop running meanwhile (the server is on it). */
static void
request (Fixture *f, const char *method, const char *path, const char *token,
	 const char *content_type, const char *body, const char *tenant, Reply *r)
{
	g_autofree char *url = g_strconcat (f->url, path, NULL);
	g_autoptr (SoupMessage) msg = soup_message_new (method, url);
	GBytes *bytes = NULL;

	g_assert_nonnull (msg);
	if (token != NULL) {
		g_autofree char *h = g_strdup_printf ("Bearer %s", token);

		soup_message_headers_replace (soup_message_get_request_headers (msg),
					      "Authorization", h);
	}
	if (tenant != NULL)
		soup_message_headers_replace (soup_message_get_request_headers (msg),
					      "X-WSO2-Tenant", tenant);
	if (body != NULL) {
		g_autoptr (GBytes) b = g_bytes_new (body, strlen (body));

		soup_message_set_request_body_from_bytes (msg, content_type, b);
	}
	soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, on_sent,
					  &bytes);
	while (bytes == NULL)
		g_main_context_iteration (NULL, TRUE);
	r->status = soup_message_get_status (msg);
	r->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
	r->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
	g_bytes_unref (bytes);
}

#define UNAUTH_BODY                                                                            \
	"{\"code\":401,\"message\":\"\",\"description\":\"Unauthenticated request\","          \
	"\"moreInfo\":\"\",\"error\":[]}"

/* ---- pure functions ---- */

static void
test_pagination (void)
{
	static const struct {
		gint64 offset, limit, total, next, previous;
	} cases[] = {
		{ 0, 25, 7, -1, -1 },	 { 0, 2, 7, 2, -1 },   { 2, 2, 7, 4, 0 },
		{ 6, 2, 7, -1, 4 },	 { 1, 2, 7, 3, 0 },    { 7, 2, 7, -1, -1 },
		{ 0, 0, 0, -1, -1 },	 { 10, 25, 100, 35, 0 }, { 50, 25, 100, 75, 25 },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		gint64 next, previous;

		am_rest_pagination (cases[i].offset, cases[i].limit, cases[i].total, &next,
				    &previous);
		g_assert_cmpint (next, ==, cases[i].next);
		g_assert_cmpint (previous, ==, cases[i].previous);
	}
}

static void
test_list_envelope (void)
{
	g_autoptr (JsonArray) items = json_array_new ();
	g_autoptr (JsonNode) list = NULL;
	g_autofree char *text = NULL;

	json_array_add_string_element (items, "a");
	json_array_add_string_element (items, "b");
	list = am_rest_list (g_steal_pointer (&items), "/apis?limit=%limit&offset=%offset&query=",
			     2, 2, 7);
	text = am_rest_json_text (list);
	g_assert_cmpstr (text, ==,
			 "{\"count\":2,\"next\":\"/apis?limit=2&offset=4&query=\","
			 "\"previous\":\"/apis?limit=2&offset=0&query=\",\"list\":[\"a\",\"b\"]}");
}

static JsonNode *
upper_item (gconstpointer item, gconstpointer data)
{
	g_autofree char *up = g_ascii_strup (item, -1);

	return json_node_init_string (json_node_alloc (), up);
}

/* am_rest_list_slice: the page of a whole list; total = its length. */
static void
test_list_slice (void)
{
	const char *const all[] = { "a", "b", "c", "d", "e" };
	g_autoptr (GPtrArray) v = g_ptr_array_new ();
	const char *url = "/x?l=%limit&o=%offset";
	g_autofree char *mid = NULL, *end = NULL, *none = NULL;

	for (guint i = 0; i < G_N_ELEMENTS (all); i++)
		g_ptr_array_add (v, (gpointer) all[i]);
	mid = am_test_text (am_rest_list_slice (v, 1, 2, upper_item, NULL, url));
	g_assert_cmpstr (mid, ==,
			 "{\"count\":2,\"next\":\"/x?l=2&o=3\",\"previous\":\"/x?l=2&o=0\","
			 "\"list\":[\"B\",\"C\"]}");
	end = am_test_text (am_rest_list_slice (v, 4, 25, upper_item, NULL, url));
	g_assert_cmpstr (end, ==,
			 "{\"count\":1,\"next\":\"\",\"previous\":\"/x?l=25&o=0\","
			 "\"list\":[\"E\"]}");
	none = am_test_text (am_rest_list_slice (v, 9, 25, upper_item, NULL, url));
	g_assert_cmpstr (none, ==, "{\"count\":0,\"next\":\"\",\"previous\":\"\",\"list\":[]}");
}

static void
test_error_dto (void)
{
	static const struct {
		guint status;
		const char *description;
		const char *text;
	} cases[] = {
		{ 400, "Malformed request body.",
		  "{\"code\":400,\"message\":\"Bad Request\",\"description\":\"Malformed request "
		  "body.\",\"moreInfo\":\"\",\"error\":[]}" },
		{ 401, "Unauthenticated request", UNAUTH_BODY },
		{ 404, "Requested API with Id 'x' not found",
		  "{\"code\":404,\"message\":\"Not Found\",\"description\":\"Requested API with Id "
		  "'x' not found\",\"moreInfo\":\"\",\"error\":[]}" },
		{ 500, "whatever went wrong",
		  "{\"code\":500,\"message\":\"Internal server error\",\"description\":\"The server "
		  "encountered an internal error. Please contact administrator.\",\"moreInfo\":\"\"}" },
	};
	g_autoptr (GError) error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (JsonNode) dto = am_rest_error_dto (cases[i].status, cases[i].description,
							      NULL);
		g_autofree char *text = am_rest_json_text (dto);

		g_assert_cmpstr (text, ==, cases[i].text);
	}
	am_rest_not_found (&error, "API", "abc");
	g_assert_cmpuint (am_rest_error_status (error), ==, 404);
	g_assert_cmpstr (error->message, ==, "Requested API with Id 'abc' not found");
	g_clear_error (&error);
	am_rest_forbidden (&error, "application", "42");
	g_assert_cmpuint (am_rest_error_status (error), ==, 403);
	g_assert_cmpstr (error->message, ==,
			 "You don't have permission to access the application with Id 42");
	g_clear_error (&error);
	g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "x");
	g_assert_cmpuint (am_rest_error_status (error), ==, 500);
}

/* ---- routing ---- */

static void
test_routing (Fixture *f, gconstpointer data)
{
	const AmRestRoute *route = NULL;
	g_autoptr (GHashTable) params = NULL;
	g_autofree char *allow = NULL;

	g_assert_cmpint (am_rest_route_match (f->rest, "GET", "/things/a%20b", &route, &params,
					      &allow),
			 ==, AM_REST_MATCH_OK);
	g_assert_true (route->handler == get_thing);
	g_assert_cmpstr (g_hash_table_lookup (params, "thingId"), ==, "a b");
	g_clear_pointer (&params, g_hash_table_unref);

	/* the literal segment wins over {thingId}, in either table order */
	g_assert_cmpint (am_rest_route_match (f->rest, "POST", "/things/copy-thing", &route,
					      &params, &allow),
			 ==, AM_REST_MATCH_OK);
	g_assert_true (route->handler == copy_thing);
	g_clear_pointer (&params, g_hash_table_unref);

	g_assert_cmpint (am_rest_route_match (f->rest, "PUT", "/things/x", &route, &params, &allow),
			 ==, AM_REST_MATCH_METHOD);
	g_assert_cmpstr (allow, ==, "GET, DELETE");
	g_assert_cmpint (am_rest_route_match (f->rest, "GET", "/things/x/y", &route, &params,
					      &allow),
			 ==, AM_REST_MATCH_NONE);
	g_assert_cmpint (am_rest_route_match (f->rest, "GET", "/nothing", &route, &params, &allow),
			 ==, AM_REST_MATCH_NONE);
	/* trailing slash and doubled slashes name the same resource */
	g_assert_cmpint (am_rest_route_match (f->rest, "GET", "/things/", &route, &params, &allow),
			 ==, AM_REST_MATCH_OK);
	g_clear_pointer (&params, g_hash_table_unref);
}

static void
test_bad_routes (Fixture *f, gconstpointer data)
{
	static const AmRestRoute bad_method[] = { { "FETCH", "/x", NULL, public_info }, { NULL } };
	static const AmRestRoute bad_param[] = { { "GET", "/x/a{id}", NULL, public_info },
						 { NULL } };
	static const AmRestRoute no_slash[] = { { "GET", "x", NULL, public_info }, { NULL } };
	const AmRestRoute *tables[] = { bad_method, bad_param, no_slash };

	for (guint i = 0; i < G_N_ELEMENTS (tables); i++) {
		g_autoptr (GError) error = NULL;
		g_autoptr (AmRest) rest = am_rest_new ("/api/x", f->km, tables[i], NULL, &error);

		g_assert_null (rest);
		g_assert_error (error, AM_REST_ERROR, AM_REST_ERROR_INTERNAL);
	}
}

/* ---- over HTTP ---- */

static void
test_auth (Fixture *f, gconstpointer data)
{
	const char *const view[] = { "apim:api_view", NULL };
	const char *const subscribe[] = { "apim:subscribe", NULL };
	g_autofree char *token = issue (f, "admin", view);
	g_autofree char *other = issue (f, "bob", subscribe);
	g_auto (Reply) none = { 0 };
	g_auto (Reply) bad = { 0 };
	g_auto (Reply) wrong_scope = { 0 };
	g_auto (Reply) ok = { 0 };
	g_auto (Reply) anon = { 0 };
	g_auto (Reply) anon_token = { 0 };
	g_auto (Reply) anon_bad = { 0 };

	request (f, "GET", BASE "/things/t1", NULL, NULL, NULL, NULL, &none);
	g_assert_cmpuint (none.status, ==, 401);
	g_assert_cmpstr (none.body, ==, UNAUTH_BODY);
	g_assert_cmpstr (soup_message_headers_get_content_type (none.headers, NULL), ==,
			 "application/json");

	request (f, "GET", BASE "/things/t1", "00000000-0000-3000-8000-000000000000", NULL, NULL,
		 NULL, &bad);
	g_assert_cmpuint (bad.status, ==, 401);
	g_assert_cmpstr (bad.body, ==, UNAUTH_BODY);

	request (f, "GET", BASE "/things/t1", other, NULL, NULL, NULL, &wrong_scope);
	g_assert_cmpuint (wrong_scope.status, ==, 401);
	g_assert_cmpuint (f->handler_calls, ==, 0);

	request (f, "GET", BASE "/things/t1", token, NULL, NULL, NULL, &ok);
	g_assert_cmpuint (ok.status, ==, 200);
	g_assert_cmpstr (ok.body, ==,
			 "{\"id\":\"t1\",\"user\":\"admin\",\"userFull\":\"admin@carbon.super\","
			 "\"tenant\":\"carbon.super\"}");
	g_assert_cmpuint (f->handler_calls, ==, 1);
	g_assert_false (f->ran_on_main);

	/* anonymous routes: no token is fine, a token must be valid */
	request (f, "GET", BASE "/public", NULL, NULL, NULL, "example.com", &anon);
	g_assert_cmpuint (anon.status, ==, 200);
	g_assert_cmpstr (anon.body, ==, "{\"user\":null,\"tenant\":\"example.com\"}");
	request (f, "GET", BASE "/public", other, NULL, NULL, NULL, &anon_token);
	g_assert_cmpstr (anon_token.body, ==, "{\"user\":\"bob\",\"tenant\":\"carbon.super\"}");
	request (f, "GET", BASE "/public", "nope", NULL, NULL, NULL, &anon_bad);
	g_assert_cmpuint (anon_bad.status, ==, 401);
}

static void
test_revoke_and_expiry (Fixture *f, gconstpointer data)
{
	const char *const view[] = { "apim:api_view", NULL };
	g_autofree char *token = issue (f, "admin", view);
	g_autoptr (GError) error = NULL;
	g_autoptr (AmKmToken) revoked = NULL;
	g_auto (Reply) before = { 0 };
	g_auto (Reply) after = { 0 };
	g_auto (Reply) fresh = { 0 };
	g_auto (Reply) in_skew = { 0 };
	g_auto (Reply) expired = { 0 };
	g_autofree char *token2 = NULL;

	request (f, "GET", BASE "/things/a", token, NULL, NULL, NULL, &before);
	g_assert_cmpuint (before.status, ==, 200); /* now cached */
	{
		g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &error);

		g_assert_no_error (error);
		g_assert_true (am_km_token_revoke (f->km, conn, f->client, token, NULL, &revoked,
						   &error));
		g_assert_no_error (error);
		g_assert_nonnull (revoked);
	}
	request (f, "GET", BASE "/things/a", token, NULL, NULL, NULL, &after);
	g_assert_cmpuint (after.status, ==, 401);

	/* the cache is used: a row changed behind the Key Manager's back is
	 * not seen until the Key Manager reports the token revoked */
	{
		g_autofree char *t3 = issue (f, "carol", view);
		g_autoptr (AmDbConn) conn = NULL;
		g_auto (Reply) r1 = { 0 };
		g_auto (Reply) r2 = { 0 };
		g_auto (Reply) r3 = { 0 };
		const char *const list[] = { t3, NULL };

		request (f, "GET", BASE "/things/a", t3, NULL, NULL, NULL, &r1);
		g_assert_cmpuint (r1.status, ==, 200);
		conn = am_db_acquire (f->db, &error);
		g_assert_no_error (error);
		g_assert_cmpint (am_db_exec (conn,
					     "UPDATE IDN_OAUTH2_ACCESS_TOKEN SET TOKEN_STATE = "
					     "'INACTIVE' WHERE ACCESS_TOKEN = ?",
					     &error, 1, t3),
				 ==, 1);
		g_assert_true (am_db_commit (conn, &error));
		g_clear_pointer (&conn, am_db_release);
		request (f, "GET", BASE "/things/a", t3, NULL, NULL, NULL, &r2);
		g_assert_cmpuint (r2.status, ==, 200);
		am_km_tokens_revoked (f->km, list);
		request (f, "GET", BASE "/things/a", t3, NULL, NULL, NULL, &r3);
		g_assert_cmpuint (r3.status, ==, 401);
	}

	/* a new token (validity 3600 s, TimestampSkew 300 s) validates until 3900 s,
	 * also from the cache */
	token2 = issue (f, "admin", view);
	request (f, "GET", BASE "/things/a", token2, NULL, NULL, NULL, &fresh);
	g_assert_cmpuint (fresh.status, ==, 200);
	fake_now = T0 + G_GINT64_CONSTANT (3890) * G_USEC_PER_SEC;
	request (f, "GET", BASE "/things/a", token2, NULL, NULL, NULL, &in_skew);
	g_assert_cmpuint (in_skew.status, ==, 200);
	fake_now = T0 + G_GINT64_CONSTANT (3910) * G_USEC_PER_SEC;
	request (f, "GET", BASE "/things/a", token2, NULL, NULL, NULL, &expired);
	g_assert_cmpuint (expired.status, ==, 401);
}

static void
test_bodies (Fixture *f, gconstpointer data)
{
	const char *const create[] = { "apim:api_create", "apim:api_view", NULL };
	g_autofree char *token = issue (f, "admin", create);
	g_autofree char *location = NULL;
	g_auto (Reply) created = { 0 };
	g_auto (Reply) malformed = { 0 };
	g_auto (Reply) empty = { 0 };
	g_auto (Reply) scalar = { 0 };
	g_auto (Reply) wrong_type = { 0 };
	g_auto (Reply) invalid = { 0 };
	g_auto (Reply) failed = { 0 };
	g_auto (Reply) missing = { 0 };
	g_auto (Reply) method = { 0 };
	g_auto (Reply) unknown = { 0 };
	g_auto (Reply) list = { 0 };
	g_auto (Reply) bad_limit = { 0 };

	request (f, "POST", BASE "/things", token, "application/json", "{\"name\":\"n1\"}", NULL,
		 &created);
	g_assert_cmpuint (created.status, ==, 201);
	g_assert_cmpstr (created.body, ==, "{\"name\":\"n1\"}");
	location = g_strconcat (f->url, BASE "/things/n1", NULL);
	g_assert_cmpstr (soup_message_headers_get_one (created.headers, "Location"), ==, location);

	request (f, "POST", BASE "/things", token, "application/json", "{\"name\":", NULL,
		 &malformed);
	g_assert_cmpuint (malformed.status, ==, 400);
	g_assert_cmpstr (malformed.body, ==,
			 "{\"code\":400,\"message\":\"Bad Request\",\"description\":\"Malformed "
			 "request body.\",\"moreInfo\":\"\",\"error\":[]}");
	request (f, "POST", BASE "/things", token, "application/json", "", NULL, &empty);
	g_assert_cmpuint (empty.status, ==, 400);
	g_assert_nonnull (strstr (empty.body, "\"Request payload cannot be empty.\""));
	request (f, "POST", BASE "/things", token, "application/json", "42", NULL, &scalar);
	g_assert_cmpuint (scalar.status, ==, 400);
	request (f, "POST", BASE "/things", token, "text/plain", "{}", NULL, &wrong_type);
	g_assert_cmpuint (wrong_type.status, ==, 415);
	request (f, "POST", BASE "/things", token, "application/json", "{}", NULL, &invalid);
	g_assert_cmpuint (invalid.status, ==, 400);
	g_assert_cmpstr (invalid.body, ==,
			 "{\"code\":400,\"message\":\"Bad Request\",\"description\":\"Validation "
			 "Error\",\"moreInfo\":\"\",\"error\":[{\"code\":\"400_name\","
			 "\"message\":\"name: may not be null\"}]}");

	/* the cause is logged, not answered */
	g_test_expect_message ("am.rest", G_LOG_LEVEL_WARNING, "*secret database detail");
	request (f, "DELETE", BASE "/things/x", token, NULL, NULL, NULL, &failed);
	g_test_assert_expected_messages ();
	g_assert_cmpuint (failed.status, ==, 500);
	g_assert_null (strstr (failed.body, "secret"));
	request (f, "GET", BASE "/things/missing", token, NULL, NULL, NULL, &missing);
	g_assert_cmpuint (missing.status, ==, 404);
	g_assert_nonnull (strstr (missing.body, "\"Requested thing with Id 'missing' not found\""));
	request (f, "PUT", BASE "/things/x", token, "application/json", "{}", NULL, &method);
	g_assert_cmpuint (method.status, ==, 405);
	g_assert_cmpstr (soup_message_headers_get_one (method.headers, "Allow"), ==,
			 "GET, DELETE");
	request (f, "GET", BASE "/nothing", token, NULL, NULL, NULL, &unknown);
	g_assert_cmpuint (unknown.status, ==, 404);
	g_assert_nonnull (strstr (unknown.body, "\"code\":404"));

	request (f, "GET", BASE "/things?limit=3&offset=3", token, NULL, NULL, NULL, &list);
	g_assert_cmpuint (list.status, ==, 200);
	g_assert_cmpstr (list.body, ==,
			 "{\"count\":3,\"next\":\"/things?limit=3&offset=6&query=\","
			 "\"previous\":\"/things?limit=3&offset=0&query=\",\"list\":[3,4,5]}");
	request (f, "GET", BASE "/things?limit=x", token, NULL, NULL, NULL, &bad_limit);
	g_assert_cmpuint (bad_limit.status, ==, 400);
	g_assert_false (f->ran_on_main);
}

/* ---- tenant-conf.json ---- */

static void
test_tenant_conf_default (void)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "repository", "resources",
						       "tenant-conf.json", NULL);
	g_autofree char *text = NULL;
	g_autoptr (GHashTable) shipped = NULL;
	g_autoptr (GHashTable) builtin = am_km_rest_scopes_load (NULL, NULL, &error);
	GHashTableIter it;
	gpointer k, v;
	char **roles;

	g_assert_no_error (error);
	g_assert_true (g_file_get_contents (path, &text, NULL, &error));
	shipped = am_km_rest_scopes_parse (text, -1, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_hash_table_size (shipped), ==, g_hash_table_size (builtin));
	g_hash_table_iter_init (&it, shipped);
	while (g_hash_table_iter_next (&it, &k, &v)) {
		char **b = g_hash_table_lookup (builtin, k);

		g_assert_nonnull (b);
		g_assert_true (g_strv_equal ((const char *const *) v, (const char *const *) b));
	}
	roles = g_hash_table_lookup (builtin, "apim:subscribe");
	g_assert_cmpstrv (roles, ((const char *const[]) { "admin", "Internal/subscriber", NULL }));

	g_assert_null (am_km_rest_scopes_parse ("{\"RESTAPIScopes\": 3}", -1, &error));
	g_assert_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED);
}

/* The registry copy wins over the file, which wins over the default. */
static void
test_tenant_conf_sources (void)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp ("apimd-tconf-XXXXXX", &error);
	const char *const schemas[] = { "sqlite.sql", NULL };
	g_autoptr (AmDb) regdb = NULL;
	g_autofree char *res = NULL;
	g_autoptr (GHashTable) from_file = NULL;
	g_autoptr (GHashTable) from_reg = NULL;
	g_autoptr (GHashTable) empty_reg = NULL;
	const char *file_conf =
		"{\"RESTAPIScopes\":{\"Scope\":[{\"Name\":\"apim:subscribe\",\"Roles\":\"x\"}]}}";

	g_assert_no_error (error);
	regdb = am_test_sqlite_db (dir, schemas);
	res = g_build_filename (dir, "repository", "resources", NULL);
	g_assert_cmpint (g_mkdir_with_parents (res, 0700), ==, 0);
	g_clear_pointer (&res, g_free);
	res = g_build_filename (dir, AM_KM_TENANT_CONF_FILE, NULL);
	g_assert_true (g_file_set_contents (res, file_conf, -1, &error));

	/* no registry resource yet: the file */
	empty_reg = am_km_rest_scopes_load (regdb, dir, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_hash_table_size (empty_reg), ==, 1);
	from_file = am_km_rest_scopes_load (NULL, dir, &error);
	g_assert_no_error (error);
	g_assert_cmpstrv (g_hash_table_lookup (from_file, "apim:subscribe"),
			  ((const char *const[]) { "x", NULL }));

	{
		g_autoptr (AmDbConn) conn = am_db_acquire (regdb, &error);

		g_assert_no_error (error);
		/* the rows a Carbon registry has for the resource (collection
		 * row, resource row pointing at its content) */
		g_assert_true (am_db_exec_script (
			conn,
			"INSERT INTO REG_PATH (REG_PATH_ID, REG_PATH_VALUE, REG_PATH_PARENT_ID, "
			"REG_TENANT_ID) VALUES (7, '/_system/config/apimgt/applicationdata', 6, -1234);\n"
			"INSERT INTO REG_CONTENT (REG_CONTENT_ID, REG_CONTENT_DATA, REG_TENANT_ID) "
			"VALUES (3, '{\"RESTAPIScopes\":{\"Scope\":[{\"Name\":\"apim:subscribe\","
			"\"Roles\":\"\"},{\"Name\":\"apim:api_view\",\"Roles\":\"admin, Internal/x\"}]}}',"
			" -1234);\n"
			"INSERT INTO REG_RESOURCE (REG_PATH_ID, REG_NAME, REG_MEDIA_TYPE, REG_CREATOR, "
			"REG_CREATED_TIME, REG_LAST_UPDATOR, REG_LAST_UPDATED_TIME, REG_DESCRIPTION, "
			"REG_CONTENT_ID, REG_TENANT_ID, REG_UUID) VALUES (7, 'tenant-conf.json', "
			"'tenant-config', 'wso2.system.user', '2019-03-04 05:06:07', "
			"'wso2.system.user', '2019-03-04 05:06:07', NULL, 3, -1234, "
			"'0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b');\n",
			&error));
		g_assert_true (am_db_commit (conn, &error));
		g_assert_no_error (error);
	}
	from_reg = am_km_rest_scopes_load (regdb, dir, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_hash_table_size (from_reg), ==, 2);
	g_assert_cmpstrv (g_hash_table_lookup (from_reg, "apim:subscribe"),
			  ((const char *const[]) { NULL }));
	g_assert_cmpstrv (g_hash_table_lookup (from_reg, "apim:api_view"),
			  ((const char *const[]) { "admin", "Internal/x", NULL }));
	g_clear_pointer (&regdb, am_db_unref);
	am_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/rest/pagination", test_pagination);
	g_test_add_func ("/rest/list-envelope", test_list_envelope);
	g_test_add_func ("/rest/list-slice", test_list_slice);
	g_test_add_func ("/rest/error-dto", test_error_dto);
	g_test_add ("/rest/routing", Fixture, NULL, fixture_setup, test_routing, fixture_teardown);
	g_test_add ("/rest/bad-routes", Fixture, NULL, fixture_setup, test_bad_routes,
		    fixture_teardown);
	g_test_add ("/rest/http/auth", Fixture, NULL, fixture_setup, test_auth, fixture_teardown);
	g_test_add ("/rest/http/revoke-expiry", Fixture, NULL, fixture_setup,
		    test_revoke_and_expiry, fixture_teardown);
	g_test_add ("/rest/http/bodies", Fixture, NULL, fixture_setup, test_bodies,
		    fixture_teardown);
	g_test_add_func ("/rest/tenant-conf/default", test_tenant_conf_default);
	g_test_add_func ("/rest/tenant-conf/sources", test_tenant_conf_sources);
	return g_test_run ();
}
