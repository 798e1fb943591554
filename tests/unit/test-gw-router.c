/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the router: API selection (versioned before unversioned before
 * "/", segment boundaries, url- and context-versioning, the default-version
 * API when the version segment is absent or unknown, tenants, longest
 * context), synapse's resource precedence (exact url-mapping, longest
 * prefix with first-wins ties, extension, uri-templates in document order,
 * the default resource), 404 versus 405, uri-template variables and
 * decoding, and a 5,000-API table.
 */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "am-gw-router.h"
#include "am-test-util.h"

typedef struct {
	GPtrArray *apis;
	AmGwRouter *router;
} Fixture;

static AmGwApi *
api_from (const char *attrs, const char *resources)
{
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	g_autofree char *xml = g_strdup_printf ("<api xmlns=\"http://ws.apache.org/ns/synapse\" %s>%s</api>",
						attrs, resources);
	AmGwApi *api = am_gw_api_parse (xml, strlen (xml), "inline.xml", NULL, errors);

	for (guint i = 0; i < errors->len; i++)
		g_test_message ("%s", (const char *) g_ptr_array_index (errors, i));
	g_assert_nonnull (api);
	return api;
}

static void
load_dir (GPtrArray *apis, const char *dir_path)
{
	g_autoptr (GPtrArray) files = am_test_xml_files (dir_path);
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);

	for (guint i = 0; i < files->len; i++) {
		const char *path = g_ptr_array_index (files, i);

		g_ptr_array_add (apis, am_gw_api_load (path, path, NULL, errors));
		g_assert_cmpuint (errors->len, ==, 0);
	}
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autofree char *own = g_test_build_filename (G_TEST_DIST, "data", "synapse", "api", NULL);
	g_autofree char *shipped = g_test_build_filename (
		G_TEST_DIST, "..", "repository", "deployment", "server", "synapse-configs", "default",
		"api", NULL);

	f->apis = g_ptr_array_new_with_free_func ((GDestroyNotify) am_gw_api_unref);
	load_dir (f->apis, own);
	load_dir (f->apis, shipped);
	f->router = am_gw_router_new (f->apis);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	am_gw_router_free (f->router);
	g_ptr_array_unref (f->apis);
}

/* Route and check status, API name, resource index and sub-path. */
static void
expect (const AmGwRouter *router, const char *method, const char *target, AmGwMatchStatus status,
	const char *api_name, int resource, const char *sub_path)
{
	g_auto (AmGwMatch) m = { 0 };
	AmGwMatchStatus got = am_gw_router_match (router, method, target, &m);
	const char *qname = m.api != NULL ? m.api->qname : NULL;

	g_test_message ("%s %s -> %d %s", method, target, got, qname != NULL ? qname : "-");
	g_assert_cmpint (got, ==, status);
	g_assert_cmpstr (qname, ==, api_name);
	if (resource >= 0)
		g_assert_true (m.resource == g_ptr_array_index (m.api->resources, resource));
	else
		g_assert_null (m.resource);
	if (sub_path != NULL)
		g_assert_cmpstr (m.sub_path, ==, sub_path);
}

#define PIZZA "admin--PizzaShackAPI:v1.0.0"

static void
test_api_selection (Fixture *f, gconstpointer data)
{
	expect (f->router, "GET", "/pizzashack/1.0.0/menu", AM_GW_MATCH_OK, PIZZA, 0, "/menu");
	expect (f->router, "GET", "/pizzashack/1.0.0/menu/", AM_GW_MATCH_OK, PIZZA, 0, "/menu/");
	/* no version segment, or an unknown one: the default-version API */
	expect (f->router, "GET", "/pizzashack/menu", AM_GW_MATCH_OK, "admin--PizzaShackAPI", 0,
		"/menu");
	expect (f->router, "GET", "/pizzashack/2.0.0/menu", AM_GW_MATCH_OK, "admin--PizzaShackAPI",
		0, "/2.0.0/menu");
	expect (f->router, "GET", "/pizzashack", AM_GW_MATCH_OK, "admin--PizzaShackAPI", 0, "/");
	/* contexts match at segment boundaries only */
	expect (f->router, "GET", "/pizzashackX/1.0.0/menu", AM_GW_MATCH_NO_API, NULL, -1, NULL);
	expect (f->router, "GET", "/nothing/here", AM_GW_MATCH_NO_API, NULL, -1, NULL);
	expect (f->router, "GET", "/", AM_GW_MATCH_NO_API, NULL, -1, NULL);
	expect (f->router, "GET", "*", AM_GW_MATCH_NO_API, NULL, -1, NULL);
	/* the shipped token APIs */
	expect (f->router, "POST", "/token", AM_GW_MATCH_OK, "_WSO2AMTokenAPI_", 0, "/");
	expect (f->router, "POST", "/token?grant_type=password", AM_GW_MATCH_OK, "_WSO2AMTokenAPI_",
		0, "?grant_type=password");
	expect (f->router, "GET", "/token", AM_GW_MATCH_METHOD_NOT_ALLOWED, "_WSO2AMTokenAPI_", -1,
		NULL);
	expect (f->router, "POST", "/revoke", AM_GW_MATCH_OK, "_WSO2AMRevokeAPI_", 0, NULL);
	expect (f->router, "GET", "/authorize?response_type=code", AM_GW_MATCH_OK,
		"_WSO2AMAuthorizeAPI_", 0, NULL);
	/* tenant context */
	expect (f->router, "GET", "/t/wso2.com/tenantapi/1.0/users/7/photos/a/b.png",
		AM_GW_MATCH_OK, "user-AT-wso2.com--TenantAPI:v1.0", 0, "/users/7/photos/a/b.png");
	expect (f->router, "GET", "/t/other.com/tenantapi/1.0/users/7/photos/a", AM_GW_MATCH_NO_API,
		NULL, -1, NULL);
}

static void
test_vars_and_status (Fixture *f, gconstpointer data)
{
	g_auto (AmGwMatch) m = { 0 };

	g_assert_cmpint (am_gw_router_match (f->router, "DELETE", "/pizzashack/1.0.0/order/a%20b%2Bc/", &m),
			 ==, AM_GW_MATCH_OK);
	g_assert_cmpstr (am_gw_match_var (&m, "orderId"), ==, "a b+c");
	am_gw_match_clear (&m);
	g_assert_cmpint (am_gw_router_match (f->router, "GET",
					     "/pizzashack/1.0.0/items?q=pizza&limit=5", &m),
			 ==, AM_GW_MATCH_OK);
	g_assert_cmpstr (am_gw_match_var (&m, "q"), ==, "pizza");
	g_assert_cmpstr (am_gw_match_var (&m, "limit"), ==, "5");
	g_assert_cmpstr (m.query, ==, "q=pizza&limit=5");
	am_gw_match_clear (&m);
	g_assert_cmpint (am_gw_router_match (f->router, "GET",
					     "/t/wso2.com/tenantapi/1.0/users/7/photos/x/y", &m),
			 ==, AM_GW_MATCH_OK);
	g_assert_cmpstr (am_gw_match_var (&m, "id"), ==, "7");
	g_assert_cmpstr (am_gw_match_var (&m, "rest"), ==, "x/y");

	/* url-mappings ignore the query, templates do not (synapse) */
	expect (f->router, "GET", "/pizzashack/1.0.0/menu?size=large", AM_GW_MATCH_OK, PIZZA, 0, NULL);
	expect (f->router, "GET", "/pizzashack/1.0.0/order/42?x=1", AM_GW_MATCH_NO_RESOURCE, PIZZA, -1,
		NULL);
	/* no resource takes PATCH, but /menu exists: 405; some take POST but
	 * none matches /menu: 404 */
	expect (f->router, "PATCH", "/pizzashack/1.0.0/menu", AM_GW_MATCH_METHOD_NOT_ALLOWED, PIZZA,
		-1, NULL);
	expect (f->router, "PATCH", "/pizzashack/1.0.0/nothing", AM_GW_MATCH_NO_RESOURCE, PIZZA, -1,
		NULL);
	expect (f->router, "POST", "/pizzashack/1.0.0/menu", AM_GW_MATCH_NO_RESOURCE, PIZZA, -1, NULL);
	expect (f->router, "POST", "/pizzashack/1.0.0/order", AM_GW_MATCH_OK, PIZZA, 1, NULL);
	/* "/ *" (prefix) beats "*.jsp" (extension), whatever the order */
	expect (f->router, "GET", "/keyed/1.0/x/index.jsp", AM_GW_MATCH_OK, "admin--KeyedAPI:v1.0", 1,
		NULL);
	expect (f->router, "DELETE", "/keyed/1.0/admin/users", AM_GW_MATCH_OK, "admin--KeyedAPI:v1.0",
		2, NULL);
	expect (f->router, "DELETE", "/keyed/1.0/users", AM_GW_MATCH_NO_RESOURCE,
		"admin--KeyedAPI:v1.0", -1, NULL);
}

#define RES(methods, mapping) "<resource methods=\"" methods "\" " mapping "/>"

static void
test_url_mapping_precedence (void)
{
	g_autoptr (GPtrArray) apis = g_ptr_array_new_with_free_func ((GDestroyNotify) am_gw_api_unref);
	g_autoptr (AmGwRouter) router = NULL;

	g_ptr_array_add (apis, api_from ("name=\"a\" context=\"/a\"",
					 RES ("GET", "url-mapping=\"/*\"")
					 RES ("GET", "url-mapping=\"/foo/*\"")
					 RES ("GET", "url-mapping=\"/foo/bar/\"")
					 RES ("GET", "url-mapping=\"*.jsp\"")
					 RES ("GET", "url-mapping=\"/x/y/*\"")
					 RES ("GET", "url-mapping=\"/x/*\"")));
	g_ptr_array_add (apis, api_from ("name=\"b\" context=\"/b\"",
					 RES ("GET", "url-mapping=\"/foo/*\"")
					 RES ("GET", "url-mapping=\"/*\"")
					 RES ("GET", "url-mapping=\"*.jsp\"")
					 RES ("GET", "uri-template=\"/t/{id}\"")));
	g_ptr_array_add (apis, api_from ("name=\"c\" context=\"/c\"",
					 RES ("GET", "url-mapping=\"*.jsp\"")
					 RES ("GET", "uri-template=\"/items/{id}\"")
					 RES ("GET", "uri-template=\"/items/{id}*\"")
					 RES ("GET", "uri-template=\"/{a}/{b}\"")
					 "<resource methods=\"GET\"/>"));
	router = am_gw_router_new (apis);

	/* exact (a trailing '/' on the mapping or the request does not matter) */
	expect (router, "GET", "/a/foo/bar", AM_GW_MATCH_OK, "a", 2, NULL);
	expect (router, "GET", "/a/foo/bar/", AM_GW_MATCH_OK, "a", 2, NULL);
	/* "/ *" and "/foo/ *" both have length 1: the first in the file wins */
	expect (router, "GET", "/a/foo/baz", AM_GW_MATCH_OK, "a", 0, NULL);
	expect (router, "GET", "/b/foo/baz", AM_GW_MATCH_OK, "b", 0, NULL);
	expect (router, "GET", "/b/other", AM_GW_MATCH_OK, "b", 1, NULL);
	/* a longer prefix wins whatever the order */
	expect (router, "GET", "/a/x/y/z", AM_GW_MATCH_OK, "a", 4, NULL);
	/* ... but "/x/ *" only ties with "/ *", which comes first */
	expect (router, "GET", "/a/x/q", AM_GW_MATCH_OK, "a", 0, NULL);
	/* url-mappings are tried before uri-templates */
	expect (router, "GET", "/b/t/1", AM_GW_MATCH_OK, "b", 1, NULL);
	/* extension, then templates in order, then the default resource */
	expect (router, "GET", "/c/page/index.jsp?x=1", AM_GW_MATCH_OK, "c", 0, NULL);
	expect (router, "GET", "/c/items/5", AM_GW_MATCH_OK, "c", 1, NULL);
	expect (router, "GET", "/c/items/5?x=1", AM_GW_MATCH_OK, "c", 2, NULL);
	expect (router, "GET", "/c/p/q", AM_GW_MATCH_OK, "c", 3, NULL);
	expect (router, "GET", "/c/p/q/r", AM_GW_MATCH_OK, "c", 4, NULL);
	expect (router, "GET", "/c", AM_GW_MATCH_OK, "c", 4, "/");
}

static void
test_versions_and_contexts (void)
{
	g_autoptr (GPtrArray) apis = g_ptr_array_new_with_free_func ((GDestroyNotify) am_gw_api_unref);
	g_autoptr (AmGwRouter) router = NULL;

	g_ptr_array_add (apis, api_from ("name=\"u\" context=\"/urlv\" version=\"2\" version-type=\"url\"",
					 RES ("GET", "url-mapping=\"/*\"")));
	g_ptr_array_add (apis, api_from ("name=\"short\" context=\"/p\"", RES ("GET", "url-mapping=\"/*\"")));
	g_ptr_array_add (apis, api_from ("name=\"long\" context=\"/p/q/\"", RES ("GET", "url-mapping=\"/*\"")));
	g_ptr_array_add (apis, api_from ("name=\"ver\" context=\"/p/{version}\" version=\"q\" "
					 "version-type=\"context\"",
					 RES ("GET", "url-mapping=\"/*\"")));
	g_ptr_array_add (apis, api_from ("name=\"root\" context=\"/\"", RES ("GET", "url-mapping=\"/*\"")));
	router = am_gw_router_new (apis);

	expect (router, "GET", "/urlv/2/a?b=c", AM_GW_MATCH_OK, "u:v2", 0, "/a?b=c");
	expect (router, "GET", "/urlv/2", AM_GW_MATCH_OK, "u:v2", 0, "/");
	expect (router, "GET", "/urlv/20/a", AM_GW_MATCH_OK, "root", 0, "/urlv/20/a");
	/* a versioned API wins over an unversioned one of the same context,
	 * then the longest context */
	expect (router, "GET", "/p/q/r", AM_GW_MATCH_OK, "ver:vq", 0, "/r");
	expect (router, "GET", "/p/z", AM_GW_MATCH_OK, "short", 0, "/z");
	expect (router, "GET", "/p?x", AM_GW_MATCH_OK, "short", 0, "?x");
	/* "/" takes whatever no other context does */
	expect (router, "GET", "/elsewhere", AM_GW_MATCH_OK, "root", 0, "/elsewhere");
	expect (router, "GET", "/", AM_GW_MATCH_OK, "root", 0, "/");
}

static void
test_uri_template_errors (void)
{
	const char *bad[] = { "{id}", "/a/{", "/a/{b", "/a/}", "/a/{}", "/a/{b{c}}", "/a/{?q}",
			      "/a/{b,}", "" };
	const char *good[] = { "/", "/a/", "/a/{b}{c}", "/a/{+b}", "/a?x={x}", "/*", "/a/{b,c}" };

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr (GError) error = NULL;
		AmGwMapping *m = am_gw_mapping_compile (bad[i], NULL, &error);

		g_assert_null (m);
		g_assert_error (error, AM_GW_ERROR, AM_GW_ERROR_INVALID);
	}
	for (guint i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr (GError) error = NULL;
		AmGwMapping *m = am_gw_mapping_compile (good[i], NULL, &error);

		g_assert_no_error (error);
		am_gw_mapping_free (m);
	}
}

static void
test_uri_template_match (void)
{
	const struct {
		const char *tmpl, *path;
		gboolean ok;
		const char *var, *value;
	} cases[] = {
		{ "/order/{id}", "/order/1", TRUE, "id", "1" },
		{ "/order/{id}", "/order/1/", TRUE, "id", "1" },
		{ "/order/{id}", "/order/", FALSE, NULL, NULL },
		{ "/order/{id}", "/order/1/x", FALSE, NULL, NULL },
		{ "/order/{id}", "/order/%zz", FALSE, NULL, NULL },
		{ "/order/{id}*", "/order/1/x?y", TRUE, "id", "1" },
		{ "/order/{id}/*", "/order/1", TRUE, "id", "1" },
		{ "/a/{x}/b/{x}", "/a/1/b/1", TRUE, "x", "1" },
		{ "/a/{x}/b/{x}", "/a/1/b/2", FALSE, NULL, NULL },
		{ "/a/{x,y}", "/a/1,2", TRUE, "y", "2" },
		{ "/a/{x,y}", "/a/1", TRUE, "y", "" },
		{ "/a/{x}", "/a/1,2", FALSE, NULL, NULL },
		{ "/f/{name}.{ext}", "/f/photo.png", TRUE, "ext", "png" },
		{ "/r/{+rest}", "/r/a/b?c=d", TRUE, "rest", "a/b?c=d" },
		{ "/s?q={q}", "/s?q=a%2Fb", TRUE, "q", "a/b" },
		{ "/s?q={q}", "/s?r=1", FALSE, NULL, NULL },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (GHashTable) vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
								     g_free);
		g_autoptr (GError) error = NULL;
		AmGwMapping *m = am_gw_mapping_compile (cases[i].tmpl, NULL, &error);
		gboolean ok;

		g_assert_no_error (error);
		ok = am_gw_mapping_match_template (m, cases[i].path, vars);
		g_test_message ("%s ~ %s -> %d", cases[i].tmpl, cases[i].path, ok);
		g_assert_cmpint (ok, ==, cases[i].ok);
		if (ok && cases[i].var != NULL)
			g_assert_cmpstr (g_hash_table_lookup (vars, cases[i].var), ==, cases[i].value);
		am_gw_mapping_free (m);
	}
}

/* Thousands of APIs: lookups go through the context index (their cost
 * depends on the path, not on the table), so every API is found and a
 * near miss is not. */
static void
test_many_apis (void)
{
	g_autoptr (GPtrArray) apis = g_ptr_array_new_with_free_func ((GDestroyNotify) am_gw_api_unref);
	g_autoptr (AmGwRouter) router = NULL;
	const guint n = 5000;

	for (guint i = 0; i < n; i++) {
		g_autofree char *attrs = g_strdup_printf (
			"name=\"admin--svc%u\" context=\"/svc%u/{version}\" version=\"1.%u\" "
			"version-type=\"context\"", i, i, i % 3);

		g_ptr_array_add (apis, api_from (attrs, RES ("GET", "uri-template=\"/items/{id}\"")
							RES ("POST", "url-mapping=\"/items\"")));
	}
	router = am_gw_router_new (apis);
	for (guint i = 0; i < n; i++) {
		g_autofree char *target = g_strdup_printf ("/svc%u/1.%u/items/%u", i, i % 3, i);
		g_autofree char *wrong = g_strdup_printf ("/svc%u/1.%u/items/%u", i, (i + 1) % 3, i);
		g_auto (AmGwMatch) m = { 0 };

		g_assert_cmpint (am_gw_router_match (router, "GET", target, &m), ==, AM_GW_MATCH_OK);
		g_assert_true (m.api == g_ptr_array_index (apis, i));
		g_assert_cmpuint (strtoul (am_gw_match_var (&m, "id"), NULL, 10), ==, i);
		am_gw_match_clear (&m);
		g_assert_cmpint (am_gw_router_match (router, "GET", wrong, &m), ==, AM_GW_MATCH_NO_API);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add ("/gw/router/api-selection", Fixture, NULL, fixture_setup, test_api_selection,
		    fixture_teardown);
	g_test_add ("/gw/router/vars-and-status", Fixture, NULL, fixture_setup,
		    test_vars_and_status, fixture_teardown);
	g_test_add_func ("/gw/router/url-mapping-precedence", test_url_mapping_precedence);
	g_test_add_func ("/gw/router/versions-and-contexts", test_versions_and_contexts);
	g_test_add_func ("/gw/router/uri-template-errors", test_uri_template_errors);
	g_test_add_func ("/gw/router/uri-template-match", test_uri_template_match);
	g_test_add_func ("/gw/router/many-apis", test_many_apis);
	return g_test_run ();
}
