/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the synapse API reader on files in the exact form WSO2 API-M
 * 2.x writes them (tests/data/synapse/api: velocity_template.xml with
 * production/sandbox http endpoints, load-balance and failover groups, the
 * default-version API, a tenant API, a named endpoint and custom sequence)
 * and on the shipped _TokenAPI_/_RevokeAPI_/... files; and of the errors
 * on malformed files (tests/data/synapse/bad): file:line: element: problem.
 */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "am-gw-api.h"
#include "am-test-util.h"

#define SHIPPED "..", "repository", "deployment", "server", "synapse-configs", "default"

typedef struct {
	GHashTable *endpoints;
	GHashTable *sequences;
	AmGwArtifacts artifacts;
	GPtrArray *errors;
} Fixture;

static char *
read_text (const char *path, gsize *len)
{
	g_autoptr (GError) error = NULL;
	char *text = NULL;

	g_file_get_contents (path, &text, len, &error);
	g_assert_no_error (error);
	return text;
}

static void
collect_sequences (GHashTable *into, const char *dir_path)
{
	g_autoptr (GPtrArray) files = am_test_xml_files (dir_path);
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);

	for (guint i = 0; i < files->len; i++) {
		g_autofree char *text = NULL;
		gsize len;
		char *seq;

		text = read_text (g_ptr_array_index (files, i), &len);
		seq = am_gw_artifact_name (text, len, g_ptr_array_index (files, i), "sequence", errors);
		g_assert_cmpuint (errors->len, ==, 0);
		g_assert_nonnull (seq);
		g_hash_table_add (into, seq);
	}
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autofree char *shipped = g_test_build_filename (G_TEST_DIST, SHIPPED, "sequences", NULL);
	g_autofree char *own = g_test_build_filename (G_TEST_DIST, "data", "synapse", "sequences", NULL);
	g_autofree char *ep_path = g_test_build_filename (G_TEST_DIST, "data", "synapse", "endpoints",
							  "PizzaBackend.xml", NULL);
	g_autofree char *text = NULL;
	AmGwEndpoint *ep;
	gsize len;

	f->errors = g_ptr_array_new_with_free_func (g_free);
	f->sequences = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	f->endpoints = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
					      (GDestroyNotify) am_gw_endpoint_unref);
	collect_sequences (f->sequences, shipped);
	collect_sequences (f->sequences, own);
	text = read_text (ep_path, &len);
	ep = am_gw_endpoint_parse (text, len, "endpoints/PizzaBackend.xml", f->errors);
	g_assert_nonnull (ep);
	g_hash_table_insert (f->endpoints, ep->name, ep);
	f->artifacts.endpoints = f->endpoints;
	f->artifacts.sequences = f->sequences;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_hash_table_unref (f->endpoints);
	g_hash_table_unref (f->sequences);
	g_ptr_array_unref (f->errors);
}

static AmGwApi *
load (Fixture *f, const char *sub, const char *file)
{
	g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "synapse", sub, file, NULL);
	g_autofree char *display = g_strdup_printf ("%s/%s", sub, file);
	AmGwApi *api = am_gw_api_load (path, display, &f->artifacts, f->errors);

	for (guint i = 0; i < f->errors->len; i++)
		g_test_message ("%s", (const char *) g_ptr_array_index (f->errors, i));
	return api;
}

static gboolean
errors_contain (GPtrArray *errors, const char *pattern)
{
	for (guint i = 0; i < errors->len; i++)
		if (g_pattern_match_simple (pattern, g_ptr_array_index (errors, i)))
			return TRUE;
	return FALSE;
}

static int
int_at (GArray *a, guint i)
{
	return g_array_index (a, int, i);
}

/* ---- well-formed APIs ---- */

static void
test_simple_api (Fixture *f, gconstpointer data)
{
	g_autoptr (AmGwApi) api = load (f, "api", "admin--PizzaShackAPI_v1.0.0.xml");
	const AmGwResource *r;
	const AmGwEndpoint *prod, *sand;
	const AmGwHandler *cors, *throttle;

	g_assert_nonnull (api);
	g_assert_cmpstr (api->qname, ==, "admin--PizzaShackAPI:v1.0.0");
	g_assert_true (api->over_http);
	g_assert_true (api->over_https);
	g_assert_cmpstr (api->context, ==, "/pizzashack/1.0.0");
	g_assert_cmpint (api->version_type, ==, AM_GW_VERSION_CONTEXT);
	g_assert_false (api->default_version);
	g_assert_null (api->tenant_domain);
	g_assert_cmpuint (api->resources->len, ==, 4);

	r = g_ptr_array_index (api->resources, 0);
	g_assert_cmpstr (r->url_mapping, ==, "/menu");
	g_assert_null (r->uri_template);
	g_assert_cmpstr (r->fault_sequence, ==, "fault");
	g_assert_true (am_gw_resource_allows (r, "GET"));
	g_assert_false (am_gw_resource_allows (r, "POST"));
	r = g_ptr_array_index (api->resources, 2);
	g_assert_cmpstr (r->uri_template, ==, "/order/{orderId}");
	g_assert_cmpuint (g_strv_length (r->methods), ==, 3);
	g_assert_true (am_gw_resource_allows (r, "DELETE"));
	r = g_ptr_array_index (api->resources, 3);
	g_assert_cmpstr (r->uri_template, ==, "/items?q={q}&limit={limit}");

	prod = am_gw_resource_route (r, AM_GW_KEY_PRODUCTION)->endpoint;
	sand = am_gw_resource_route (r, AM_GW_KEY_SANDBOX)->endpoint;
	g_assert_nonnull (prod);
	g_assert_nonnull (sand);
	g_assert_cmpstr (prod->name, ==, "admin--PizzaShackAPI_APIproductionEndpoint_3");
	g_assert_cmpstr (sand->name, ==, "admin--PizzaShackAPI_APIsandboxEndpoint_3");
	g_assert_cmpint (prod->type, ==, AM_GW_EP_HTTP);
	g_assert_cmpstr (prod->uri, ==, "https://localhost:9443/am/sample/pizzashack/v1/api/");
	g_assert_cmpstr (sand->uri, ==, "http://sandbox.example.com:8080/pizzashack/v1/api/");
	g_assert_cmpint (prod->timeout_ms, ==, 30000);
	g_assert_cmpint (prod->timeout_action, ==, AM_GW_TIMEOUT_FAULT);
	g_assert_cmpuint (prod->suspend_error_codes->len, ==, 2);
	g_assert_cmpint (int_at (prod->suspend_error_codes, 1), ==, 101505);
	g_assert_cmpint (prod->suspend_initial_ms, ==, 1000);
	g_assert_cmpint (prod->suspend_maximum_ms, ==, 60000);
	g_assert_cmpfloat (prod->suspend_progression, ==, 2.0);
	g_assert_cmpuint (prod->mark_error_codes->len, ==, 1);
	g_assert_cmpint (int_at (prod->mark_error_codes, 0), ==, 101507);
	g_assert_cmpint (prod->mark_retries, ==, 3);
	g_assert_cmpint (prod->mark_retry_delay_ms, ==, 100);

	/* the first <handlers> only: the template's CORS-only second block is ignored */
	g_assert_cmpuint (api->handlers->len, ==, 7);
	g_assert_cmpstr (((AmGwHandler *) g_ptr_array_index (api->handlers, 0))->class_name, ==,
			 "org.wso2.carbon.apimgt.gateway.handlers.common.APIMgtLatencyStatsHandler");
	cors = am_gw_api_handler (api, ".CORSRequestHandler");
	g_assert_nonnull (cors);
	g_assert_cmpuint (cors->properties->len, ==, 5);
	g_assert_null (am_gw_handler_property (cors, "inline"));
	g_assert_cmpstr (am_gw_handler_property (cors, "allowedOrigins"), ==, "*");
	g_assert_cmpstr (am_gw_handler_property (cors, "allowCredentials"), ==, "false");
	g_assert_cmpstr (am_gw_handler_property (cors, "allowedMethods"), ==,
			 "GET,PUT,POST,DELETE,PATCH,OPTIONS");
	throttle = am_gw_api_handler (api, ".throttling.ThrottleHandler");
	g_assert_cmpstr (am_gw_handler_property (throttle, "sandboxMaxCount"), ==, "100");
	g_assert_cmpstr (((AmGwHandler *) g_ptr_array_index (api->handlers, 6))->class_name, ==,
			 "org.wso2.carbon.apimgt.gateway.handlers.ext.APIManagerExtensionHandler");
}

static void
test_cluster_api (Fixture *f, gconstpointer data)
{
	g_autoptr (AmGwApi) api = load (f, "api", "admin--ClusterAPI_v2.0.xml");
	const AmGwResource *r;
	const AmGwEndpoint *lb, *fo, *a, *b;

	g_assert_nonnull (api);
	g_assert_cmpstr (api->context, ==, "/cluster/2.0");
	g_assert_cmpstr (api->context_template, ==, "/cluster/{version}");
	g_assert_cmpstr (api->transports, ==, "https");
	g_assert_false (api->over_http);
	g_assert_true (api->over_https);
	r = g_ptr_array_index (api->resources, 0);
	lb = r->production.endpoint;
	g_assert_cmpint (lb->type, ==, AM_GW_EP_LOADBALANCE);
	g_assert_cmpstr (lb->algorithm, ==, "org.apache.synapse.endpoints.algorithms.RoundRobin");
	g_assert_false (lb->lb_failover);
	g_assert_cmpstr (lb->session_type, ==, "http");
	g_assert_cmpint (lb->session_timeout_ms, ==, 120000);
	g_assert_cmpuint (lb->children->len, ==, 2);
	a = g_ptr_array_index (lb->children, 0);
	b = g_ptr_array_index (lb->children, 1);
	g_assert_cmpstr (a->name, ==, "admin--ClusterAPI_APIproductionEndpoint_0_0");
	g_assert_cmpint (a->timeout_action, ==, AM_GW_TIMEOUT_DISCARD);
	g_assert_cmpint (a->timeout_ms, ==, 5000);
	/* no <timeout>: never; suspension at synapse's defaults */
	g_assert_cmpint (b->timeout_action, ==, AM_GW_TIMEOUT_NEVER);
	g_assert_cmpint (b->timeout_ms, ==, 0);
	g_assert_cmpint (b->suspend_initial_ms, ==, AM_GW_SUSPEND_INITIAL_MS_DEFAULT);
	g_assert_cmpint (b->suspend_maximum_ms, ==, AM_GW_SUSPEND_MAXIMUM_MS_DEFAULT);
	g_assert_cmpuint (b->suspend_error_codes->len, ==, 0);
	g_assert_cmpint (b->mark_retries, ==, 0);

	fo = r->sandbox.endpoint;
	g_assert_cmpint (fo->type, ==, AM_GW_EP_FAILOVER);
	g_assert_cmpuint (fo->children->len, ==, 2);
	a = g_ptr_array_index (fo->children, 0);
	g_assert_cmpint (a->type, ==, AM_GW_EP_ADDRESS);
	g_assert_cmpstr (a->uri, ==, "http://primary.example.com/soap");
	g_assert_cmpstr (a->format, ==, "soap11");
	g_assert_nonnull (am_gw_api_handler (api, ".APIThrottleHandler"));
	g_assert_cmpstr (am_gw_handler_property (am_gw_api_handler (api, ".APIThrottleHandler"),
						 "policyKeyResource"),
			 ==, "gov:/apimgt/applicationdata/res-tiers.xml");
}

static void
test_default_version_api (Fixture *f, gconstpointer data)
{
	g_autoptr (AmGwApi) api = load (f, "api", "admin--PizzaShackAPI.xml");
	const AmGwResource *r;

	g_assert_nonnull (api);
	g_assert_cmpstr (api->qname, ==, "admin--PizzaShackAPI");
	g_assert_cmpint (api->version_type, ==, AM_GW_VERSION_NONE);
	g_assert_null (api->version);
	g_assert_true (api->default_version);
	g_assert_cmpstr (api->default_target, ==, "/pizzashack/1.0.0");
	r = g_ptr_array_index (api->resources, 0);
	g_assert_cmpuint (g_strv_length (r->methods), ==, 7);
	g_assert_true (am_gw_resource_allows (r, "HEAD"));
	g_assert_cmpstr (r->production.endpoint->uri, ==,
			 "http://localhost:{uri.var.portnum}/pizzashack/1.0.0");
	g_assert_true (r->sandbox.endpoint == r->production.endpoint);
	g_assert_nonnull (am_gw_api_handler (api, ".SynapsePropertiesHandler"));
}

static void
test_tenant_api (Fixture *f, gconstpointer data)
{
	g_autoptr (AmGwApi) api = load (f, "api", "user-AT-wso2.com--TenantAPI_v1.0.xml");
	const AmGwResource *r;

	g_assert_nonnull (api);
	g_assert_cmpstr (api->context, ==, "/t/wso2.com/tenantapi/1.0");
	g_assert_cmpstr (api->tenant_domain, ==, "wso2.com");
	r = g_ptr_array_index (api->resources, 0);
	/* regex SANDBOX: the then-branch is the sandbox gateway's endpoint and
	 * a production key gets the 401 error */
	g_assert_cmpstr (r->sandbox.endpoint->uri, ==, "http://sandbox.wso2.com/api");
	g_assert_null (r->production.endpoint);
	g_assert_cmpint (r->production.error_status, ==, 401);
	g_assert_cmpstr (r->production.error_message, ==,
			 "Production Key Provided for Sandbox Gateway");
}

static void
test_named_references (Fixture *f, gconstpointer data)
{
	g_autoptr (AmGwApi) api = load (f, "api", "admin--KeyedAPI_v1.0.xml");
	const AmGwResource *r;
	const AmGwEndpoint *ep;

	g_assert_nonnull (api);
	r = g_ptr_array_index (api->resources, 0);
	g_assert_cmpstr (r->url_mapping, ==, "*.jsp");
	g_assert_cmpstr (r->in_sequence, ==, "custom_in");
	r = g_ptr_array_index (api->resources, 1);
	g_assert_cmpint (r->production.endpoint->type, ==, AM_GW_EP_KEY);
	g_assert_cmpstr (r->production.endpoint->key, ==, "PizzaBackend");
	ep = am_gw_endpoint_resolve (r->production.endpoint);
	g_assert_nonnull (ep);
	g_assert_cmpint (ep->type, ==, AM_GW_EP_ADDRESS);
	g_assert_cmpstr (ep->uri, ==, "http://backend.example.com/pizza");
	g_assert_cmpint (ep->timeout_ms, ==, 10000);
	g_assert_null (r->sandbox.endpoint);
	g_assert_cmpstr (r->sandbox.sequence, ==, "_sandbox_key_error_");
	g_assert_cmpuint (api->endpoint_keys->len, ==, 2);
}

static void
test_missing_references (Fixture *f, gconstpointer data)
{
	g_autoptr (AmGwApi) api = load (f, "bad", "missing-ref.xml");
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "synapse", "bad",
						       "missing-ref.xml", NULL);
	g_autoptr (AmGwApi) unchecked = NULL;

	g_assert_null (api);
	g_assert_true (errors_contain (f->errors, "bad/missing-ref.xml:3: resource: sequence "
						  "'no_such_fault' is not defined in sequences/"));
	g_assert_true (errors_contain (f->errors, "bad/missing-ref.xml:6: endpoint: endpoint "
						  "'NoSuchEndpoint' is not defined in endpoints/"));
	/* without artifact tables nothing is checked */
	unchecked = am_gw_api_load (path, "missing-ref.xml", NULL, errors);
	g_assert_nonnull (unchecked);
	g_assert_null (am_gw_endpoint_resolve (
		((AmGwResource *) g_ptr_array_index (unchecked->resources, 0))->production.endpoint));
}

static void
test_shipped_apis (Fixture *f, gconstpointer data)
{
	const struct {
		const char *file, *name, *context, *method, *target, *fault;
	} cases[] = {
		{ "_TokenAPI_.xml", "_WSO2AMTokenAPI_", "/token", "POST",
		  "https://{uri.var.hostname}:{uri.var.portnum}/oauth2/token", "_token_fault_" },
		{ "_RevokeAPI_.xml", "_WSO2AMRevokeAPI_", "/revoke", "POST",
		  "https://{uri.var.hostname}:{uri.var.portnum}/oauth2/revoke", "_token_fault_" },
		{ "_AuthorizeAPI_.xml", "_WSO2AMAuthorizeAPI_", "/authorize", "GET",
		  "https://{uri.var.hostname}:{uri.var.portnum}/oauth2/authorize", NULL },
		{ "_UserInfoAPI_.xml", "_WSO2AMUserInfoAPI_", "/userinfo", "GET",
		  "https://{uri.var.hostname}:{uri.var.portnum}/oauth2/userinfo", NULL },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *path = g_test_build_filename (G_TEST_DIST, SHIPPED, "api",
							       cases[i].file, NULL);
		g_autoptr (AmGwApi) api = am_gw_api_load (path, cases[i].file, &f->artifacts,
							  f->errors);
		const AmGwResource *r;

		g_assert_cmpuint (f->errors->len, ==, 0);
		g_assert_nonnull (api);
		g_assert_cmpstr (api->name, ==, cases[i].name);
		g_assert_cmpstr (api->context, ==, cases[i].context);
		g_assert_false (api->default_version);
		r = g_ptr_array_index (api->resources, 0);
		g_assert_cmpstr (r->url_mapping, ==, "/*");
		g_assert_cmpstr (r->methods[0], ==, cases[i].method);
		g_assert_null (r->methods[1]);
		g_assert_cmpstr (r->fault_sequence, ==, cases[i].fault);
		g_assert_cmpstr (r->production.endpoint->uri, ==, cases[i].target);
		g_assert_cmpint (r->production.endpoint->timeout_ms, ==, 60000);
		g_assert_nonnull (am_gw_api_handler (api, ".SynapsePropertiesHandler"));
	}
	/* every sequence the spec names is shipped */
	for (guint i = 0; i < 9; i++) {
		const char *names[] = { "fault", "main", "_auth_failure_handler_",
					"_throttle_out_handler_", "_resource_mismatch_handler_",
					"_production_key_error_", "_sandbox_key_error_",
					"_token_fault_", "_cors_request_handler_" };

		g_assert_true (g_hash_table_contains (f->sequences, names[i]));
	}
}

/* ---- malformed files ---- */

static void
test_malformed (Fixture *f, gconstpointer data)
{
	const struct {
		const char *file, *pattern;
	} cases[] = {
		{ "truncated.xml", "bad/truncated.xml:*: XML: *" },
		{ "wrong-root.xml", "bad/wrong-root.xml:2: proxy: the document element must be <api>" },
		{ "no-context.xml", "bad/no-context.xml:2: api: missing context" },
		{ "bad-template.xml", "bad/bad-template.xml:3: resource: uri-template '/order/{orderId':"
				      " unterminated expression" },
		{ "bad-template.xml", "bad/bad-template.xml:4: resource: 'FETCH' is not an HTTP method" },
		{ "bad-template.xml", "bad/bad-template.xml:4: resource: uri-template '/menu/{}': "
				      "empty expression {}" },
		{ "bad-template.xml", "bad/bad-template.xml:11: duration: 'soon' is not a "
				      "non-negative integer" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (AmGwApi) api = NULL;

		g_ptr_array_set_size (f->errors, 0);
		api = load (f, "bad", cases[i].file);
		g_assert_null (api);
		if (!errors_contain (f->errors, cases[i].pattern))
			g_error ("no error matching %s", cases[i].pattern);
	}
}

static void
test_bad_memory (Fixture *f, gconstpointer data)
{
	const char *inputs[] = {
		"",
		"<api/>",
		"<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"a\" context=\"/a\"/>",
		"<!DOCTYPE api [<!ENTITY e \"x\">]><api xmlns=\"http://ws.apache.org/ns/synapse\" "
		"name=\"&e;\" context=\"/a\"><resource url-mapping=\"/*\"/></api>",
		"<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"a\" context=\"/a\" version=\"1\">"
		"<resource url-mapping=\"/*\"/></api>",
		"<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"a\" context=\"a\">"
		"<resource url-mapping=\"/*\" uri-template=\"/x\"/></api>",
		"<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"a\" context=\"/a\"><resource>"
		"<inSequence><send><endpoint><loadbalance/></endpoint></send></inSequence>"
		"</resource></api>",
		/* synapse's API.addResource refusals */
		"<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"a\" context=\"/a\">"
		"<resource methods=\"GET\"/><resource methods=\"POST\"/></api>",
		"<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"a\" context=\"/a\">"
		"<resource methods=\"GET POST\" url-mapping=\"/x\"/>"
		"<resource methods=\"PUT POST\" url-mapping=\"/x\"/></api>",
	};

	for (guint i = 0; i < G_N_ELEMENTS (inputs); i++) {
		g_autoptr (AmGwApi) api = NULL;

		g_ptr_array_set_size (f->errors, 0);
		api = am_gw_api_parse (inputs[i], strlen (inputs[i]), "mem.xml", NULL, f->errors);
		g_assert_null (api);
		g_assert_cmpuint (f->errors->len, >, 0);
		g_assert_true (g_str_has_prefix (g_ptr_array_index (f->errors, 0), "mem.xml"));
	}
}

static void
test_endpoint_file (Fixture *f, gconstpointer data)
{
	const char *keyed = "<endpoint xmlns=\"http://ws.apache.org/ns/synapse\" name=\"a\" key=\"b\"/>";
	const char *anon = "<endpoint xmlns=\"http://ws.apache.org/ns/synapse\"><default/></endpoint>";
	g_autoptr (AmGwEndpoint) ep = NULL;

	ep = am_gw_endpoint_parse (keyed, strlen (keyed), "endpoints/a.xml", f->errors);
	g_assert_null (ep);
	g_assert_true (errors_contain (f->errors, "endpoints/a.xml:1: endpoint: a named endpoint "
						  "cannot itself be a key reference"));
	ep = am_gw_endpoint_parse (anon, strlen (anon), "endpoints/b.xml", f->errors);
	g_assert_null (ep);
	g_assert_true (errors_contain (f->errors, "endpoints/b.xml:1: endpoint: missing name"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD ("/gw/api/simple", test_simple_api);
	ADD ("/gw/api/loadbalance-failover", test_cluster_api);
	ADD ("/gw/api/default-version", test_default_version_api);
	ADD ("/gw/api/tenant", test_tenant_api);
	ADD ("/gw/api/named-references", test_named_references);
	ADD ("/gw/api/missing-references", test_missing_references);
	ADD ("/gw/api/shipped", test_shipped_apis);
	ADD ("/gw/api/malformed", test_malformed);
	ADD ("/gw/api/bad-memory", test_bad_memory);
	ADD ("/gw/api/endpoint-file", test_endpoint_file);
#undef ADD
	return g_test_run ();
}
