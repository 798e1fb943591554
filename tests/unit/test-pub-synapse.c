/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the Publisher's synapse generation: the PizzaShack API against a
 * WSO2 2.x-shaped fixture (velocity_template.xml rendered by hand), then
 * read back by the gateway's own parser and router: resources and verbs,
 * production and sandbox routes per environment type (hybrid, production,
 * sandbox; the 401 payloadFactory and the _sandbox_key_error_ /
 * _production_key_error_ sequences), every endpoint type and its
 * suspension settings, handlers and properties in WSO2's order, PROTOTYPED
 * and BLOCKED APIs, the default-version API, file names, and refused
 * endpointConfigs naming their JSON path.
 */
#include "config.h"

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "am-api.h"
#include "am-gw-api.h"
#include "am-gw-router.h"
#include "am-pub-synapse.h"
#include "am-pub-util.h"

#define PIZZA_EP_CONFIG                                                                            \
	"{\"production_endpoints\":{\"url\":\"https://localhost:9443/am/sample/pizzashack/v1/api/\"," \
	"\"config\":{\"actionSelect\":\"fault\",\"actionDuration\":\"30000\","                      \
	"\"suspendErrorCode\":[\"101504\",\"101505\"],\"suspendDuration\":\"1000\","                \
	"\"suspendMaxDuration\":\"60000\",\"factor\":\"2.0\",\"retryErroCode\":[\"101507\"],"        \
	"\"retryTimeOut\":\"3\",\"retryDelay\":\"100\"}},"                                          \
	"\"sandbox_endpoints\":{\"url\":\"http://sandbox.example.com:8080/pizzashack/v1/api/\","     \
	"\"config\":null},\"endpoint_type\":\"http\",\"implementation_status\":\"managed\"}"

static AmApi *
pizza_api (void)
{
	AmApi *api = am_api_new ();
	const char *const headers[] = { "authorization", "Access-Control-Allow-Origin",
					"Content-Type", "SOAPAction", NULL };
	const char *const origins[] = { "*", NULL };
	const char *const methods[] = { "GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", NULL };

	api->provider = g_strdup ("admin");
	api->name = g_strdup ("PizzaShackAPI");
	api->version = g_strdup ("1.0.0");
	api->context = g_strdup ("/pizzashack/1.0.0");
	api->context_template = g_strdup ("/pizzashack/{version}");
	api->status = (g_free (api->status), g_strdup ("PUBLISHED"));
	api->endpoint_config = g_strdup (PIZZA_EP_CONFIG);
	api->max_tps_production = 1000;
	api->max_tps_sandbox = 100;
	api->cors.enabled = TRUE;
	api->cors.allow_headers = g_strdupv ((char **) headers);
	api->cors.allow_origins = g_strdupv ((char **) origins);
	api->cors.allow_methods = g_strdupv ((char **) methods);
	g_ptr_array_add (api->operations,
			 am_api_operation_new ("/menu", "GET", AM_API_AUTH_NONE, NULL, NULL));
	g_ptr_array_add (api->operations,
			 am_api_operation_new ("/order", "POST", AM_API_AUTH_ANY, NULL, NULL));
	g_ptr_array_add (api->operations, am_api_operation_new ("/order/{orderId}", "GET",
								AM_API_AUTH_ANY, NULL, NULL));
	g_ptr_array_add (api->operations, am_api_operation_new ("/order/{orderId}", "PUT",
								AM_API_AUTH_ANY, NULL, NULL));
	g_ptr_array_add (api->operations, am_api_operation_new ("/order/{orderId}", "DELETE",
								AM_API_AUTH_ANY, NULL, NULL));
	return api;
}

static char *
generate (const AmApi *api, AmPubEnvType env)
{
	g_autoptr (GError) error = NULL;
	AmPubSynapseOptions opt;
	char *xml;

	am_pub_synapse_options_init (&opt);
	opt.environment_type = env;
	xml = am_pub_synapse_generate (api, &opt, &error);
	g_assert_no_error (error);
	g_assert_nonnull (xml);
	return xml;
}

static AmGwApi *
parse (const char *xml)
{
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	AmGwApi *gw = am_gw_api_parse (xml, strlen (xml), "generated.xml", NULL, errors);

	for (guint i = 0; i < errors->len; i++)
		g_test_message ("%s", (const char *) g_ptr_array_index (errors, i));
	if (gw == NULL)
		g_test_message ("%s", xml);
	g_assert_cmpuint (errors->len, ==, 0);
	g_assert_nonnull (gw);
	return gw;
}

/* ---- a canonical form to compare documents by shape, not by layout ---- */

static int
attr_cmp (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
canon_node (GString *out, xmlNode *node, int depth)
{
	g_autoptr (GPtrArray) attrs = g_ptr_array_new_with_free_func (g_free);
	gboolean has_elements = FALSE;

	for (xmlAttr *a = node->properties; a != NULL; a = a->next) {
		xmlChar *v = xmlNodeGetContent ((xmlNode *) a);

		g_ptr_array_add (attrs, g_strdup_printf ("%s=\"%s\"", a->name, (const char *) v));
		xmlFree (v);
	}
	g_ptr_array_sort (attrs, attr_cmp);
	g_string_append_printf (out, "%*s%s%s%s", depth * 2, "",
				node->ns != NULL && node->ns->prefix != NULL ? (const char *) node->ns->prefix : "",
				node->ns != NULL && node->ns->prefix != NULL ? ":" : "",
				(const char *) node->name);
	for (guint i = 0; i < attrs->len; i++)
		g_string_append_printf (out, " %s", (const char *) g_ptr_array_index (attrs, i));
	for (xmlNode *c = node->children; c != NULL; c = c->next)
		has_elements |= c->type == XML_ELEMENT_NODE;
	if (!has_elements) {
		xmlChar *text = xmlNodeGetContent (node);
		g_autofree char *t = g_strstrip (g_strdup ((const char *) text));

		xmlFree (text);
		if (t[0] != '\0')
			g_string_append_printf (out, " text=\"%s\"", t);
	}
	g_string_append_c (out, '\n');
	for (xmlNode *c = node->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			canon_node (out, c, depth + 1);
}

static char *
canon (const char *xml)
{
	xmlDoc *doc = xmlReadMemory (xml, (int) strlen (xml), "x.xml", NULL,
				     XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	GString *out = g_string_new (NULL);

	g_assert_nonnull (doc);
	canon_node (out, xmlDocGetRootElement (doc), 0);
	xmlFreeDoc (doc);
	return g_string_free (out, FALSE);
}

static char *
fixture (const char *name)
{
	g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "publisher", name, NULL);
	g_autoptr (GError) error = NULL;
	char *text = NULL;

	g_assert_true (g_file_get_contents (path, &text, NULL, &error));
	g_assert_no_error (error);
	return text;
}

/* ---- tests ---- */

static void
test_fixture_shape (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autofree char *xml = generate (api, AM_PUB_ENV_HYBRID);
	g_autofree char *want = fixture ("admin--PizzaShackAPI_v1.0.0.xml");
	g_autofree char *got_c = canon (xml);
	g_autofree char *want_c = canon (want);

	g_assert_cmpstr (got_c, ==, want_c);

	g_autofree char *dxml = am_pub_synapse_generate_default (api, NULL);
	g_autofree char *dwant = fixture ("admin--PizzaShackAPI.xml");
	g_autofree char *dgot_c = canon (dxml);
	g_autofree char *dwant_c = canon (dwant);

	g_assert_cmpstr (dgot_c, ==, dwant_c);
}

static void
test_names (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autofree char *file = am_pub_synapse_file_name (api);
	g_autofree char *dfile = am_pub_synapse_default_file_name (api);
	g_autofree char *qname = am_pub_synapse_qualified_name (api);
	g_autofree char *tname = NULL;

	g_assert_cmpstr (file, ==, "admin--PizzaShackAPI_v1.0.0.xml");
	g_assert_cmpstr (dfile, ==, "admin--PizzaShackAPI.xml");
	g_assert_cmpstr (qname, ==, "admin--PizzaShackAPI:v1.0.0");
	g_free (api->provider);
	api->provider = g_strdup ("user@wso2.com");
	tname = am_pub_synapse_file_name (api);
	g_assert_cmpstr (tname, ==, "user-AT-wso2.com--PizzaShackAPI_v1.0.0.xml");
}

static void
check_http_leaf (const AmGwEndpoint *ep, const char *name, const char *uri)
{
	g_assert_nonnull (ep);
	g_assert_cmpint (ep->type, ==, AM_GW_EP_HTTP);
	g_assert_cmpstr (ep->name, ==, name);
	g_assert_cmpstr (ep->uri, ==, uri);
}

/* The generated file deploys on our gateway and routes as WSO2's would. */
static void
test_gateway_hybrid (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autofree char *xml = generate (api, AM_PUB_ENV_HYBRID);
	g_autoptr (AmGwApi) gw = parse (xml);
	g_autoptr (GPtrArray) apis = g_ptr_array_new_with_free_func ((GDestroyNotify) am_gw_api_unref);
	g_autoptr (AmGwRouter) router = NULL;
	g_auto (AmGwMatch) m = { 0 };
	g_auto (AmGwMatch) m2 = { 0 };
	g_auto (AmGwMatch) m3 = { 0 };
	const AmGwRoute *prod, *sandbox;
	const AmGwEndpoint *ep;
	const AmGwHandler *h;
	static const char *const classes[] = {
		"common.APIMgtLatencyStatsHandler",	    "security.CORSRequestHandler",
		"security.APIAuthenticationHandler",	    "throttling.ThrottleHandler",
		"analytics.APIMgtUsageHandler",		    "analytics.APIMgtGoogleAnalyticsTrackingHandler",
		"ext.APIManagerExtensionHandler",
	};

	g_assert_cmpstr (gw->qname, ==, "admin--PizzaShackAPI:v1.0.0");
	g_assert_cmpstr (gw->context, ==, "/pizzashack/1.0.0");
	g_assert_cmpstr (gw->context_template, ==, "/pizzashack/{version}");
	g_assert_cmpint (gw->version_type, ==, AM_GW_VERSION_CONTEXT);
	g_assert_true (gw->transports == NULL || gw->transports[0] == '\0');
	g_assert_cmpuint (gw->resources->len, ==, 3);

	/* handlers in WSO2's order, with their properties */
	g_assert_cmpuint (gw->handlers->len, ==, G_N_ELEMENTS (classes));
	for (guint i = 0; i < G_N_ELEMENTS (classes); i++) {
		const AmGwHandler *hi = g_ptr_array_index (gw->handlers, i);
		g_autofree char *full = g_strconcat ("org.wso2.carbon.apimgt.gateway.handlers.",
						     classes[i], NULL);

		g_assert_cmpstr (hi->class_name, ==, full);
	}
	h = am_gw_api_handler (gw, ".CORSRequestHandler");
	g_assert_cmpstr (am_gw_handler_property (h, "apiImplementationType"), ==, "ENDPOINT");
	g_assert_cmpstr (am_gw_handler_property (h, "allowHeaders"), ==,
			 "authorization,Access-Control-Allow-Origin,Content-Type,SOAPAction");
	g_assert_cmpstr (am_gw_handler_property (h, "allowedOrigins"), ==, "*");
	g_assert_cmpstr (am_gw_handler_property (h, "allowedMethods"), ==,
			 "GET,PUT,POST,DELETE,PATCH,OPTIONS");
	g_assert_null (am_gw_handler_property (h, "allowCredentials"));
	h = am_gw_api_handler (gw, ".ThrottleHandler");
	g_assert_cmpstr (am_gw_handler_property (h, "productionMaxCount"), ==, "1000");
	g_assert_cmpstr (am_gw_handler_property (h, "sandboxMaxCount"), ==, "100");
	h = am_gw_api_handler (gw, ".APIMgtGoogleAnalyticsTrackingHandler");
	g_assert_cmpstr (am_gw_handler_property (h, "configKey"), ==,
			 "gov:/apimgt/statistics/ga-config.xml");

	/* routing: production and sandbox keys of the /order/{orderId} resource */
	g_ptr_array_add (apis, am_gw_api_ref (gw));
	router = am_gw_router_new (apis);
	g_assert_cmpint (am_gw_router_match (router, "PUT", "/pizzashack/1.0.0/order/42", &m), ==,
			 AM_GW_MATCH_OK);
	g_assert_cmpstr (m.resource->uri_template, ==, "/order/{orderId}");
	g_assert_cmpstr (am_gw_match_var (&m, "orderId"), ==, "42");
	prod = am_gw_resource_route (m.resource, AM_GW_KEY_PRODUCTION);
	sandbox = am_gw_resource_route (m.resource, AM_GW_KEY_SANDBOX);
	check_http_leaf (prod->endpoint, "admin--PizzaShackAPI_APIproductionEndpoint_2",
			 "https://localhost:9443/am/sample/pizzashack/v1/api/");
	check_http_leaf (sandbox->endpoint, "admin--PizzaShackAPI_APIsandboxEndpoint_2",
			 "http://sandbox.example.com:8080/pizzashack/v1/api/");
	ep = prod->endpoint;
	g_assert_cmpint (ep->timeout_ms, ==, 30000);
	g_assert_cmpint (ep->timeout_action, ==, AM_GW_TIMEOUT_FAULT);
	g_assert_cmpuint (ep->suspend_error_codes->len, ==, 2);
	g_assert_cmpint (g_array_index (ep->suspend_error_codes, int, 1), ==, 101505);
	g_assert_cmpint (ep->suspend_initial_ms, ==, 1000);
	g_assert_cmpint (ep->suspend_maximum_ms, ==, 60000);
	g_assert_cmpfloat (ep->suspend_progression, ==, 2.0);
	g_assert_cmpuint (ep->mark_error_codes->len, ==, 1);
	g_assert_cmpint (ep->mark_retries, ==, 3);
	g_assert_cmpint (ep->mark_retry_delay_ms, ==, 100);
	/* sandbox config null: no timeout, synapse defaults */
	ep = sandbox->endpoint;
	g_assert_cmpint (ep->timeout_action, ==, AM_GW_TIMEOUT_NEVER);
	g_assert_cmpuint (ep->suspend_error_codes->len, ==, 0);
	g_assert_cmpint (ep->suspend_initial_ms, ==, AM_GW_SUSPEND_INITIAL_MS_DEFAULT);
	g_assert_cmpint (ep->mark_retries, ==, 0);

	g_assert_cmpint (am_gw_router_match (router, "GET", "/pizzashack/1.0.0/menu", &m2), ==,
			 AM_GW_MATCH_OK);
	g_assert_cmpstr (m2.resource->url_mapping, ==, "/menu");
	check_http_leaf (am_gw_resource_route (m2.resource, AM_GW_KEY_PRODUCTION)->endpoint,
			 "admin--PizzaShackAPI_APIproductionEndpoint_0",
			 "https://localhost:9443/am/sample/pizzashack/v1/api/");
	/* no resource takes PATCH: 405; DELETE exists elsewhere: synapse's 404 */
	g_assert_cmpint (am_gw_router_match (router, "PATCH", "/pizzashack/1.0.0/menu", &m3), ==,
			 AM_GW_MATCH_METHOD_NOT_ALLOWED);
	am_gw_match_clear (&m3);
	g_assert_cmpint (am_gw_router_match (router, "DELETE", "/pizzashack/1.0.0/menu", &m3), ==,
			 AM_GW_MATCH_NO_RESOURCE);
}

/* Single-type environments answer the other key with WSO2's 401. */
static void
test_gateway_single_type_env (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autofree char *pxml = generate (api, AM_PUB_ENV_PRODUCTION);
	g_autofree char *sxml = generate (api, AM_PUB_ENV_SANDBOX);
	g_autoptr (AmGwApi) p = parse (pxml);
	g_autoptr (AmGwApi) s = parse (sxml);
	const AmGwResource *r;
	const AmGwRoute *route;

	r = g_ptr_array_index (p->resources, 0);
	route = am_gw_resource_route (r, AM_GW_KEY_PRODUCTION);
	check_http_leaf (route->endpoint, "admin--PizzaShackAPI_APIproductionEndpoint_0",
			 "https://localhost:9443/am/sample/pizzashack/v1/api/");
	route = am_gw_resource_route (r, AM_GW_KEY_SANDBOX);
	g_assert_null (route->endpoint);
	g_assert_cmpint (route->error_status, ==, 401);
	g_assert_cmpstr (route->error_message, ==, "Sandbox Key Provided for Production Gateway");

	r = g_ptr_array_index (s->resources, 1);
	route = am_gw_resource_route (r, AM_GW_KEY_SANDBOX);
	check_http_leaf (route->endpoint, "admin--PizzaShackAPI_APIsandboxEndpoint_1",
			 "http://sandbox.example.com:8080/pizzashack/v1/api/");
	route = am_gw_resource_route (r, AM_GW_KEY_PRODUCTION);
	g_assert_null (route->endpoint);
	g_assert_cmpint (route->error_status, ==, 401);
	g_assert_cmpstr (route->error_message, ==, "Production Key Provided for Sandbox Gateway");
}

/* Hybrid with one endpoint type: the key-error sequences; single-type
 * environments without their endpoint are skipped. */
static void
test_gateway_one_endpoint (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autoptr (GError) error = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *sxml = NULL;
	g_autoptr (AmGwApi) gw = NULL;
	g_autoptr (AmGwApi) sgw = NULL;
	const AmGwResource *r;
	AmPubSynapseOptions opt;

	g_free (api->endpoint_config);
	api->endpoint_config = g_strdup (
		"{\"production_endpoints\":{\"url\":\"http://prod.example.com/api\",\"config\":null},"
		"\"endpoint_type\":\"http\"}");
	xml = generate (api, AM_PUB_ENV_HYBRID);
	gw = parse (xml);
	r = g_ptr_array_index (gw->resources, 0);
	g_assert_nonnull (am_gw_resource_route (r, AM_GW_KEY_PRODUCTION)->endpoint);
	g_assert_null (am_gw_resource_route (r, AM_GW_KEY_SANDBOX)->endpoint);
	g_assert_cmpstr (am_gw_resource_route (r, AM_GW_KEY_SANDBOX)->sequence, ==,
			 "_sandbox_key_error_");

	am_pub_synapse_options_init (&opt);
	opt.environment_type = AM_PUB_ENV_SANDBOX;
	g_assert_null (am_pub_synapse_generate (api, &opt, &error));
	g_assert_error (error, AM_PUB_ERROR, AM_PUB_ERROR_NO_ENDPOINT);
	g_clear_error (&error);
	g_assert_false (am_pub_synapse_deployable (api, AM_PUB_ENV_SANDBOX, &error));
	g_assert_error (error, AM_PUB_ERROR, AM_PUB_ERROR_NO_ENDPOINT);
	g_clear_error (&error);
	g_assert_true (am_pub_synapse_deployable (api, AM_PUB_ENV_PRODUCTION, &error));
	g_assert_no_error (error);

	/* sandbox only, hybrid: the filter tests SANDBOX */
	g_free (api->endpoint_config);
	api->endpoint_config = g_strdup (
		"{\"sandbox_endpoints\":{\"url\":\"http://sb.example.com/api\"},"
		"\"production_endpoints\":null,\"endpoint_type\":\"http\"}");
	sxml = generate (api, AM_PUB_ENV_HYBRID);
	g_assert_nonnull (strstr (sxml, "regex=\"SANDBOX\""));
	sgw = parse (sxml);
	r = g_ptr_array_index (sgw->resources, 0);
	check_http_leaf (am_gw_resource_route (r, AM_GW_KEY_SANDBOX)->endpoint,
			 "admin--PizzaShackAPI_APIsandboxEndpoint_0", "http://sb.example.com/api");
	g_assert_cmpstr (am_gw_resource_route (r, AM_GW_KEY_PRODUCTION)->sequence, ==,
			 "_production_key_error_");

	/* neither */
	g_free (api->endpoint_config);
	api->endpoint_config = g_strdup ("{\"endpoint_type\":\"http\",\"production_endpoints\":[]}");
	g_assert_false (am_pub_synapse_deployable (api, AM_PUB_ENV_HYBRID, &error));
	g_assert_error (error, AM_PUB_ERROR, AM_PUB_ERROR_NO_ENDPOINT);
}

static void
test_endpoint_types (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	const AmGwEndpoint *ep, *child;

	/* failover: primary + failovers, http and address members */
	{
		g_autofree char *xml = NULL;
		g_autoptr (AmGwApi) gw = NULL;

		g_free (api->endpoint_config);
		api->endpoint_config = g_strdup (
			"{\"endpoint_type\":\"failover\","
			"\"production_endpoints\":{\"url\":\"http://a.example.com/\",\"config\":"
			"{\"actionDuration\":5000,\"actionSelect\":\"discard\"}},"
			"\"production_failovers\":[{\"url\":\"http://b.example.com/\"},"
			"{\"url\":\"http://c.example.com/\",\"endpoint_type\":\"address\"}],"
			"\"sandbox_endpoints\":{\"url\":\"http://s.example.com/\"},\"sandbox_failovers\":[]}");
		xml = generate (api, AM_PUB_ENV_HYBRID);
		gw = parse (xml);
		ep = am_gw_resource_route (g_ptr_array_index (gw->resources, 1), AM_GW_KEY_PRODUCTION)->endpoint;
		g_assert_cmpint (ep->type, ==, AM_GW_EP_FAILOVER);
		g_assert_cmpstr (ep->name, ==, "admin--PizzaShackAPI_APIproductionEndpoint_1");
		g_assert_cmpuint (ep->children->len, ==, 3);
		child = g_ptr_array_index (ep->children, 0);
		check_http_leaf (child, "admin--PizzaShackAPI_APIproductionEndpoint_1_0",
				 "http://a.example.com/");
		g_assert_cmpint (child->timeout_ms, ==, 5000);
		g_assert_cmpint (child->timeout_action, ==, AM_GW_TIMEOUT_DISCARD);
		child = g_ptr_array_index (ep->children, 2);
		g_assert_cmpint (child->type, ==, AM_GW_EP_ADDRESS);
		g_assert_cmpstr (child->name, ==, "admin--PizzaShackAPI_APIproductionEndpoint_1_2");
		g_assert_cmpstr (child->uri, ==, "http://c.example.com/");
		ep = am_gw_resource_route (g_ptr_array_index (gw->resources, 1), AM_GW_KEY_SANDBOX)->endpoint;
		g_assert_cmpint (ep->type, ==, AM_GW_EP_FAILOVER);
		g_assert_cmpuint (ep->children->len, ==, 1);
	}
	/* load balance: array of endpoints, session, failover="false" */
	{
		g_autofree char *xml = NULL;
		g_autoptr (AmGwApi) gw = NULL;

		g_free (api->endpoint_config);
		api->endpoint_config = g_strdup (
			"{\"endpoint_type\":\"load_balance\",\"algoCombo\":"
			"\"org.apache.synapse.endpoints.algorithms.RoundRobin\","
			"\"sessionManagement\":\"http\",\"sessionTimeOut\":\"600\",\"failOver\":\"False\","
			"\"production_endpoints\":[{\"url\":\"http://a.example.com/\",\"config\":null},"
			"{\"url\":\"http://b.example.com/\",\"config\":null}],"
			"\"sandbox_endpoints\":{\"url\":\"http://s.example.com/\",\"config\":null}}");
		xml = generate (api, AM_PUB_ENV_HYBRID);
		g_assert_nonnull (strstr (xml, "failover=\"false\""));
		gw = parse (xml);
		ep = am_gw_resource_route (g_ptr_array_index (gw->resources, 0), AM_GW_KEY_PRODUCTION)->endpoint;
		g_assert_cmpint (ep->type, ==, AM_GW_EP_LOADBALANCE);
		g_assert_cmpstr (ep->algorithm, ==, "org.apache.synapse.endpoints.algorithms.RoundRobin");
		g_assert_false (ep->lb_failover);
		g_assert_cmpstr (ep->session_type, ==, "http");
		g_assert_cmpuint (ep->children->len, ==, 2);
		check_http_leaf (g_ptr_array_index (ep->children, 1),
				 "admin--PizzaShackAPI_APIproductionEndpoint_0_1", "http://b.example.com/");
		ep = am_gw_resource_route (g_ptr_array_index (gw->resources, 0), AM_GW_KEY_SANDBOX)->endpoint;
		g_assert_cmpint (ep->type, ==, AM_GW_EP_LOADBALANCE);
		g_assert_cmpuint (ep->children->len, ==, 1);
	}
	/* address with format, wsdl, default */
	{
		g_autofree char *axml = NULL, *wxml = NULL, *dxml = NULL;
		g_autoptr (AmGwApi) a = NULL;
		g_autoptr (AmGwApi) w = NULL;
		g_autoptr (AmGwApi) d = NULL;

		g_free (api->endpoint_config);
		api->endpoint_config = g_strdup (
			"{\"endpoint_type\":\"address\",\"production_endpoints\":[{\"url\":"
			"\"http://soap.example.com/svc?a=1&b=2\",\"config\":{\"format\":\"soap11\","
			"\"optimize\":\"leave-as-is\"}}]}");
		axml = generate (api, AM_PUB_ENV_PRODUCTION);
		g_assert_nonnull (strstr (axml, "a=1&amp;b=2"));
		a = parse (axml);
		ep = am_gw_resource_route (g_ptr_array_index (a->resources, 0), AM_GW_KEY_PRODUCTION)->endpoint;
		g_assert_cmpint (ep->type, ==, AM_GW_EP_ADDRESS);
		g_assert_cmpstr (ep->uri, ==, "http://soap.example.com/svc?a=1&b=2");
		g_assert_cmpstr (ep->format, ==, "soap11");

		g_free (api->endpoint_config);
		api->endpoint_config = g_strdup (
			"{\"endpoint_type\":\"wsdl\",\"wsdlendpointService\":\"PizzaService\","
			"\"wsdlendpointPort\":\"PizzaPort\",\"production_endpoints\":{\"url\":"
			"\"http://soap.example.com/svc?wsdl\"}}");
		wxml = generate (api, AM_PUB_ENV_PRODUCTION);
		w = parse (wxml);
		ep = am_gw_resource_route (g_ptr_array_index (w->resources, 0), AM_GW_KEY_PRODUCTION)->endpoint;
		g_assert_cmpint (ep->type, ==, AM_GW_EP_WSDL);
		g_assert_cmpstr (ep->wsdl_service, ==, "PizzaService");
		g_assert_cmpstr (ep->wsdl_port, ==, "PizzaPort");

		g_free (api->endpoint_config);
		api->endpoint_config = g_strdup (
			"{\"endpoint_type\":\"default\",\"production_endpoints\":{\"url\":\"default\"},"
			"\"sandbox_endpoints\":{\"url\":\"default\"}}");
		dxml = generate (api, AM_PUB_ENV_HYBRID);
		d = parse (dxml);
		ep = am_gw_resource_route (g_ptr_array_index (d->resources, 0), AM_GW_KEY_SANDBOX)->endpoint;
		g_assert_cmpint (ep->type, ==, AM_GW_EP_DEFAULT);
		g_assert_cmpstr (ep->name, ==, "admin--PizzaShackAPI_APIsandboxEndpoint_0");
	}
}

static void
test_prototyped_blocked (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autofree char *pxml = NULL, *bxml = NULL;
	g_autoptr (AmGwApi) p = NULL;
	g_autoptr (AmGwApi) b = NULL;
	g_autoptr (GPtrArray) apis = g_ptr_array_new_with_free_func ((GDestroyNotify) am_gw_api_unref);
	g_autoptr (AmGwRouter) router = NULL;
	g_auto (AmGwMatch) m = { 0 };
	const AmGwResource *r;

	g_free (api->status);
	api->status = g_strdup ("PROTOTYPED");
	pxml = generate (api, AM_PUB_ENV_HYBRID);
	g_assert_null (strstr (pxml, "AM_KEY_TYPE"));
	p = parse (pxml);
	g_assert_cmpuint (p->handlers->len, ==, 2);
	g_assert_null (am_gw_api_handler (p, ".APIAuthenticationHandler"));
	r = g_ptr_array_index (p->resources, 0);
	/* no filter: either key gets the production endpoint */
	check_http_leaf (am_gw_resource_route (r, AM_GW_KEY_SANDBOX)->endpoint,
			 "admin--PizzaShackAPI_APIproductionEndpoint_0",
			 "https://localhost:9443/am/sample/pizzashack/v1/api/");

	g_free (api->status);
	api->status = g_strdup ("BLOCKED");
	bxml = generate (api, AM_PUB_ENV_HYBRID);
	b = parse (bxml);
	g_assert_cmpuint (b->resources->len, ==, 1);
	r = g_ptr_array_index (b->resources, 0);
	g_assert_cmpstr (r->url_mapping, ==, "/*");
	g_assert_cmpint (am_gw_resource_route (r, AM_GW_KEY_PRODUCTION)->error_status, ==, 503);
	g_assert_null (am_gw_resource_route (r, AM_GW_KEY_PRODUCTION)->endpoint);
	g_assert_nonnull (strstr (bxml, "<am:code>700700</am:code>"));
	/* the only handlers block is the template's trailing inline CORS one */
	g_assert_cmpuint (b->handlers->len, ==, 1);
	g_assert_cmpstr (am_gw_handler_property (g_ptr_array_index (b->handlers, 0), "inline"), ==,
			 "INLINE");
	g_ptr_array_add (apis, am_gw_api_ref (b));
	router = am_gw_router_new (apis);
	g_assert_cmpint (am_gw_router_match (router, "GET", "/pizzashack/1.0.0/menu", &m), ==,
			 AM_GW_MATCH_OK);
}

static void
test_default_version (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autoptr (GError) error = NULL;
	g_autofree char *xml = am_pub_synapse_generate_default (api, &error);
	g_autofree char *vxml = generate (api, AM_PUB_ENV_HYBRID);
	g_autoptr (AmGwApi) d = NULL;
	g_autoptr (AmGwApi) v = NULL;
	g_autoptr (GPtrArray) apis = g_ptr_array_new_with_free_func ((GDestroyNotify) am_gw_api_unref);
	g_autoptr (AmGwRouter) router = NULL;
	g_auto (AmGwMatch) m = { 0 };
	g_auto (AmGwMatch) m2 = { 0 };
	const AmGwEndpoint *ep;

	g_assert_no_error (error);
	d = parse (xml);
	v = parse (vxml);
	g_assert_true (d->default_version);
	g_assert_cmpstr (d->context, ==, "/pizzashack");
	g_assert_null (d->version);
	g_assert_cmpstr (d->default_target, ==, "/pizzashack/1.0.0");
	ep = am_gw_resource_route (g_ptr_array_index (d->resources, 0), AM_GW_KEY_PRODUCTION)->endpoint;
	g_assert_cmpstr (ep->uri, ==, "http://localhost:{uri.var.portnum}/pizzashack/1.0.0");
	g_assert_cmpint (ep->timeout_ms, ==, 60000);
	g_assert_cmpstr (am_gw_handler_property (am_gw_api_handler (d, ".CORSRequestHandler"),
						 "apiImplementationType"),
			 ==, "ENDPOINT");
	g_assert_nonnull (am_gw_api_handler (d, ".SynapsePropertiesHandler"));

	g_ptr_array_add (apis, am_gw_api_ref (v));
	g_ptr_array_add (apis, am_gw_api_ref (d));
	router = am_gw_router_new (apis);
	g_assert_cmpint (am_gw_router_match (router, "GET", "/pizzashack/menu", &m), ==,
			 AM_GW_MATCH_OK);
	g_assert_true (m.api == d);
	g_assert_cmpint (am_gw_router_match (router, "GET", "/pizzashack/1.0.0/menu", &m2), ==,
			 AM_GW_MATCH_OK);
	g_assert_true (m2.api == v);

	/* https-only APIs forward over https */
	g_strfreev (api->transports);
	api->transports = g_strsplit ("https", ",", -1);
	{
		g_autofree char *sxml = am_pub_synapse_generate_default (api, NULL);
		g_autoptr (AmGwApi) s = parse (sxml);

		g_assert_cmpstr (s->transports, ==, "https");
		ep = am_gw_resource_route (g_ptr_array_index (s->resources, 0), AM_GW_KEY_PRODUCTION)->endpoint;
		g_assert_cmpstr (ep->uri, ==, "https://localhost:{uri.var.portnum}/pizzashack/1.0.0");
	}
}

/* Properties appear in java.util.HashMap order, as WSO2 writes them. */
static void
test_handler_property_order (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autofree char *xml = NULL;
	g_autoptr (AmGwApi) gw = NULL;
	const AmGwHandler *h;
	static const char *const want[] = { "policyKey", "productionMaxCount", "sandboxMaxCount",
					    "policyKeyApplication", "id", "policyKeyResource" };
	/* as a deployed 2.x file shows them (without max counts) */
	const char *keys[] = { "id", "policyKey", "policyKeyApplication", "policyKeyResource" };
	AmPubSynapseOptions opt;

	am_pub_java_hash_order (keys, G_N_ELEMENTS (keys));
	g_assert_cmpstr (keys[0], ==, "policyKey");
	g_assert_cmpstr (keys[1], ==, "policyKeyApplication");
	g_assert_cmpstr (keys[2], ==, "id");
	g_assert_cmpstr (keys[3], ==, "policyKeyResource");

	am_pub_synapse_options_init (&opt);
	opt.advanced_throttling = FALSE;
	opt.extension_handler_top = TRUE;
	xml = am_pub_synapse_generate (api, &opt, NULL);
	gw = parse (xml);
	g_assert_cmpstr (((AmGwHandler *) g_ptr_array_index (gw->handlers, 0))->class_name, ==,
			 "org.wso2.carbon.apimgt.gateway.handlers.ext.APIManagerExtensionHandler");
	h = am_gw_api_handler (gw, ".APIThrottleHandler");
	g_assert_nonnull (h);
	g_assert_cmpuint (h->properties->len, ==, G_N_ELEMENTS (want));
	for (guint i = 0; i < G_N_ELEMENTS (want); i++)
		g_assert_cmpstr (g_array_index (h->properties, AmGwProperty, i).name, ==, want[i]);
	g_assert_cmpstr (am_gw_handler_property (h, "policyKeyResource"), ==,
			 "gov:/apimgt/applicationdata/res-tiers.xml");
}

static void
test_security_caching_fault (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autofree char *xml = NULL;
	g_autoptr (AmGwApi) gw = NULL;
	const AmGwResource *r;

	api->endpoint_security_type = g_strdup ("basic");
	api->endpoint_username = g_strdup ("bob");
	api->endpoint_password = g_strdup ("s3cret");
	api->response_caching = TRUE;
	api->cache_timeout = 120;
	api->fault_sequence = g_strdup ("json_fault");
	api->cors.enabled = FALSE;
	xml = generate (api, AM_PUB_ENV_HYBRID);
	/* base64("bob:s3cret") */
	g_assert_nonnull (strstr (xml, "fn:concat('Basic ', 'Ym9iOnMzY3JldA==')"));
	g_assert_nonnull (strstr (xml, "timeout=\"120\""));
	g_assert_nonnull (strstr (xml, "<cache scope=\"per-host\" collector=\"true\"/>"));
	gw = parse (xml);
	r = g_ptr_array_index (gw->resources, 0);
	g_assert_cmpstr (r->fault_sequence, ==, "admin--PizzaShackAPI:v1.0.0--Fault");
	/* global CORS on: the handler stays with apiImplementationType only */
	g_assert_cmpuint (am_gw_api_handler (gw, ".CORSRequestHandler")->properties->len, ==, 1);
}

static void
expect_invalid (AmApi *api, const char *endpoint_config, const char *message_part)
{
	g_autoptr (GError) error = NULL;
	AmPubSynapseOptions opt;

	am_pub_synapse_options_init (&opt);
	g_free (api->endpoint_config);
	api->endpoint_config = g_strdup (endpoint_config);
	g_assert_null (am_pub_synapse_generate (api, &opt, &error));
	g_assert_error (error, AM_PUB_ERROR, AM_PUB_ERROR_INVALID);
	if (strstr (error->message, message_part) == NULL)
		g_error ("'%s' does not contain '%s'", error->message, message_part);
}

static void
test_invalid (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autoptr (GError) error = NULL;

	expect_invalid (api, NULL, "endpointConfig: missing");
	expect_invalid (api, "{\"endpoint_type\":", "endpointConfig: not valid JSON");
	expect_invalid (api, "[1,2]", "endpointConfig: not a JSON object");
	expect_invalid (api, "{\"production_endpoints\":{\"url\":\"http://a/\"}}",
			"endpointConfig.endpoint_type: missing");
	expect_invalid (api, "{\"endpoint_type\":\"awslambda\"}",
			"endpointConfig.endpoint_type: 'awslambda' is not");
	expect_invalid (api, "{\"endpoint_type\":\"http\",\"production_endpoints\":{\"config\":null}}",
			"endpointConfig.production_endpoints.url: missing or empty");
	expect_invalid (api,
			"{\"endpoint_type\":\"http\",\"production_endpoints\":[{\"url\":\"http://a/\"},"
			"{\"url\":\"http://b/\"}]}",
			"endpointConfig.production_endpoints: 2 endpoints");
	expect_invalid (api,
			"{\"endpoint_type\":\"load_balance\",\"production_endpoints\":[{\"url\":\"http://a/\"},"
			"{\"url\":\"\"}]}",
			"endpointConfig.production_endpoints[1].url: missing or empty");
	expect_invalid (api,
			"{\"endpoint_type\":\"http\",\"production_endpoints\":{\"url\":\"http://a/\","
			"\"config\":{\"actionDuration\":\"soon\"}}}",
			"endpointConfig.production_endpoints.config: actionDuration 'soon' is not");
	expect_invalid (api,
			"{\"endpoint_type\":\"http\",\"sandbox_endpoints\":{\"url\":\"http://a/\","
			"\"config\":{\"suspendErrorCode\":[\"101504\",\"oops\"]}}}",
			"endpointConfig.sandbox_endpoints.config: suspendErrorCode 'oops'");
	expect_invalid (api,
			"{\"endpoint_type\":\"http\",\"production_endpoints\":{\"url\":\"http://a/\","
			"\"config\":{\"actionSelect\":\"retry\"}}}",
			"actionSelect 'retry' is not fault, discard or neverTimeout");
	expect_invalid (api, "{\"endpoint_type\":\"http\",\"production_endpoints\":\"http://a/\"}",
			"endpointConfig.production_endpoints: not an endpoint object or array");

	/* no resource */
	g_free (api->endpoint_config);
	api->endpoint_config = g_strdup (PIZZA_EP_CONFIG);
	g_ptr_array_set_size (api->operations, 0);
	g_assert_null (am_pub_synapse_generate (api, NULL, &error));
	g_assert_error (error, AM_PUB_ERROR, AM_PUB_ERROR_INVALID);
	g_assert_nonnull (strstr (error->message, "At least one resource is required"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/pub/synapse/fixture-shape", test_fixture_shape);
	g_test_add_func ("/pub/synapse/names", test_names);
	g_test_add_func ("/pub/synapse/gateway-hybrid", test_gateway_hybrid);
	g_test_add_func ("/pub/synapse/gateway-single-type-env", test_gateway_single_type_env);
	g_test_add_func ("/pub/synapse/gateway-one-endpoint", test_gateway_one_endpoint);
	g_test_add_func ("/pub/synapse/endpoint-types", test_endpoint_types);
	g_test_add_func ("/pub/synapse/prototyped-blocked", test_prototyped_blocked);
	g_test_add_func ("/pub/synapse/default-version", test_default_version);
	g_test_add_func ("/pub/synapse/handler-property-order", test_handler_property_order);
	g_test_add_func ("/pub/synapse/security-caching-fault", test_security_caching_fault);
	g_test_add_func ("/pub/synapse/invalid", test_invalid);
	return g_test_run ();
}
