/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of swagger 2.0 <-> API model: the PizzaShack definition as the 2.x
 * Publisher stores it (operations in document order, x-auth-type in both
 * spellings, tiers, scopes with comma roles, path-level parameters and
 * vendor extensions skipped), the document WSO2 generates for an API (byte
 * for byte, members in java.util.HashMap order), a round trip, and every
 * refusal naming its JSON path.
 */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "am-api.h"
#include "am-pub-swagger.h"

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

static void
check_op (GPtrArray *ops, guint i, const char *url, const char *method, AmApiAuthType auth,
	  const char *tier, const char *scope)
{
	const AmApiOperation *op = g_ptr_array_index (ops, i);

	g_assert_cmpstr (op->url_pattern, ==, url);
	g_assert_cmpstr (op->http_method, ==, method);
	g_assert_cmpint (op->auth_type, ==, auth);
	g_assert_cmpstr (op->throttling_tier, ==, tier);
	g_assert_cmpstr (op->scope, ==, scope);
}

static void
test_parse_fixture (void)
{
	g_autofree char *json = fixture ("PizzaShackAPI-swagger.json");
	g_autoptr (GPtrArray) ops = NULL;
	g_autoptr (GPtrArray) scopes = NULL;
	g_autoptr (GError) error = NULL;
	const AmApiScope *s;

	g_assert_true (am_pub_swagger_parse (json, &ops, &scopes, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (ops->len, ==, 5);
	check_op (ops, 0, "/order", "POST", AM_API_AUTH_ANY, "Unlimited", "place_order");
	check_op (ops, 1, "/menu", "GET", AM_API_AUTH_NONE, "Unlimited", NULL);
	check_op (ops, 2, "/order/{orderId}", "GET", AM_API_AUTH_ANY, "Unlimited", "view_order");
	check_op (ops, 3, "/order/{orderId}", "PUT", AM_API_AUTH_APPLICATION_USER, "Gold",
		  "place_order");
	check_op (ops, 4, "/order/{orderId}", "DELETE", AM_API_AUTH_APPLICATION, "Unlimited", NULL);

	g_assert_cmpuint (scopes->len, ==, 2);
	s = g_ptr_array_index (scopes, 0);
	g_assert_cmpstr (s->key, ==, "place_order");
	g_assert_cmpstr (s->name, ==, "Place order");
	g_assert_cmpstr (s->description, ==, "Place and change orders");
	g_assert_cmpuint (g_strv_length (s->roles), ==, 2);
	g_assert_cmpstr (s->roles[0], ==, "admin");
	g_assert_cmpstr (s->roles[1], ==, "Internal/subscriber");
	s = g_ptr_array_index (scopes, 1);
	g_assert_cmpstr (s->key, ==, "view_order");
	g_assert_cmpstr (s->roles[0], ==, "admin");
	g_assert_null (s->roles[1]);
}

static void
test_defaults_and_apply (void)
{
	g_autoptr (AmApi) api = am_api_new ();
	g_autoptr (GError) error = NULL;
	const char *json =
		"{\"swagger\":\"2.0\",\"paths\":{\"/*\":{\"GET\":{},\"post\":{\"x-auth-type\":"
		"\"Application_User\",\"x-throttling-tier\":\"\"}}},\"info\":{\"title\":\"t\"}}";
	const char *bad = "{\"swagger\":\"2.0\",\"paths\":{\"menu\":{}}}";

	g_assert_true (am_pub_swagger_apply (api, json, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (api->operations->len, ==, 2);
	/* absent x-auth-type = Any, absent/empty tier = Unlimited, verbs upper case */
	check_op (api->operations, 0, "/*", "GET", AM_API_AUTH_ANY, "Unlimited", NULL);
	check_op (api->operations, 1, "/*", "POST", AM_API_AUTH_APPLICATION_USER, "Unlimited", NULL);
	g_assert_cmpuint (api->scopes->len, ==, 0);
	g_assert_cmpstr (api->swagger, ==, json);

	/* a refused definition leaves the API as it was */
	g_assert_false (am_pub_swagger_apply (api, bad, &error));
	g_assert_error (error, AM_PUB_ERROR, AM_PUB_ERROR_INVALID);
	g_assert_cmpuint (api->operations->len, ==, 2);
	g_assert_cmpstr (api->swagger, ==, json);
}

static AmApi *
pizza_api (void)
{
	AmApi *api = am_api_new ();
	const char *const roles[] = { "admin", "Internal/subscriber", NULL };

	api->provider = g_strdup ("admin");
	api->name = g_strdup ("PizzaShackAPI");
	api->version = g_strdup ("1.0.0");
	api->description = g_strdup ("Pizza & more");
	g_ptr_array_add (api->operations,
			 am_api_operation_new ("/menu", "GET", AM_API_AUTH_NONE, NULL, NULL));
	g_ptr_array_add (api->operations,
			 am_api_operation_new ("/order", "POST", AM_API_AUTH_ANY, "Gold", NULL));
	g_ptr_array_add (api->operations, am_api_operation_new ("/order/{orderId}", "GET",
								AM_API_AUTH_APPLICATION_USER, NULL,
								"view_order"));
	g_ptr_array_add (api->operations, am_api_operation_new ("/order/{orderId}", "PUT",
								AM_API_AUTH_APPLICATION, NULL, NULL));
	g_ptr_array_add (api->operations, am_api_operation_new ("/order/{orderId}", "DELETE",
								AM_API_AUTH_ANY, NULL, NULL));
	g_ptr_array_add (api->scopes,
			 am_api_scope_new ("view_order", "View order", "See orders", roles));
	return api;
}

/* What APIDefinitionFromSwagger20.generateAPIDefinition writes, members in
 * the order java.util.HashMap iterates them (worked out independently of
 * the C code from String.hashCode). */
#define OP_OK "\"responses\":{\"200\":{\"description\":\"OK\"}}"
#define ORDER_ID "\"parameters\":[{\"in\":\"path\",\"name\":\"orderId\",\"type\":\"string\",\"required\":true}]"
static const char expected_generated[] =
	"{\"paths\":{"
	"\"/order/{orderId}\":{"
	"\"get\":{\"x-auth-type\":\"Application User\",\"x-scope\":\"view_order\"," OP_OK "," ORDER_ID
	",\"x-throttling-tier\":\"Unlimited\"},"
	"\"delete\":{\"x-auth-type\":\"Application & Application User\"," OP_OK "," ORDER_ID
	",\"x-throttling-tier\":\"Unlimited\"},"
	"\"put\":{\"x-auth-type\":\"Application\"," OP_OK "," ORDER_ID
	",\"x-throttling-tier\":\"Unlimited\"}},"
	"\"/menu\":{\"get\":{\"x-auth-type\":\"None\"," OP_OK ",\"x-throttling-tier\":\"Unlimited\"}},"
	"\"/order\":{\"post\":{\"x-auth-type\":\"Application & Application User\"," OP_OK
	",\"x-throttling-tier\":\"Gold\"}}},"
	"\"swagger\":\"2.0\","
	"\"x-wso2-security\":{\"apim\":{\"x-wso2-scopes\":[{\"roles\":\"admin,Internal/subscriber\","
	"\"name\":\"View order\",\"description\":\"See orders\",\"key\":\"view_order\"}]}},"
	"\"info\":{\"description\":\"Pizza & more\",\"title\":\"PizzaShackAPI\",\"version\":\"1.0.0\"}}";

static void
test_generate (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autofree char *json = am_pub_swagger_generate (api, FALSE);

	g_assert_cmpstr (json, ==, expected_generated);
}

static void
test_round_trip (void)
{
	g_autoptr (AmApi) api = pizza_api ();
	g_autofree char *json = NULL;
	g_autoptr (GPtrArray) ops = NULL;
	g_autoptr (GPtrArray) scopes = NULL;
	g_autoptr (GError) error = NULL;
	const AmApiScope *s;

	api->business_owner = g_strdup ("Jane");
	api->business_owner_email = g_strdup ("jane@example.com");
	json = am_pub_swagger_generate (api, TRUE);
	g_assert_nonnull (strstr (json, "\"contact\""));
	g_assert_true (am_pub_swagger_parse (json, &ops, &scopes, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (ops->len, ==, api->operations->len);
	/* same operations, whatever the member order */
	for (guint i = 0; i < api->operations->len; i++) {
		const AmApiOperation *want = g_ptr_array_index (api->operations, i);
		gboolean found = FALSE;

		for (guint j = 0; j < ops->len; j++) {
			const AmApiOperation *got = g_ptr_array_index (ops, j);

			if (g_str_equal (got->url_pattern, want->url_pattern) &&
			    g_str_equal (got->http_method, want->http_method)) {
				g_assert_cmpint (got->auth_type, ==, want->auth_type);
				g_assert_cmpstr (got->throttling_tier, ==, want->throttling_tier);
				g_assert_cmpstr (got->scope, ==, want->scope);
				found = TRUE;
			}
		}
		g_assert_true (found);
	}
	g_assert_cmpuint (scopes->len, ==, 1);
	s = g_ptr_array_index (scopes, 0);
	g_assert_cmpstr (s->name, ==, "View order");
	g_assert_cmpstr (s->roles[1], ==, "Internal/subscriber");
}

typedef struct {
	const char *json;
	const char *message;
} Bad;

static void
test_invalid (void)
{
	static const Bad bad[] = {
		{ "", "$: empty API definition" },
		{ "{\"swagger\":", "$: not valid JSON" },
		{ "[]", "$: not a JSON object" },
		{ "{\"openapi\":\"3.0.0\",\"paths\":{}}", "$.openapi: OpenAPI 3 is not supported" },
		{ "{\"paths\":{}}", "$.swagger: missing" },
		{ "{\"swagger\":\"1.2\",\"paths\":{}}", "$.swagger: '1.2' is not 2.0" },
		{ "{\"swagger\":2.0,\"paths\":{}}", "$['swagger']: not a string" },
		{ "{\"swagger\":\"2.0\"}", "$.paths: missing" },
		{ "{\"swagger\":\"2.0\",\"paths\":[]}", "$.paths: not an object" },
		{ "{\"swagger\":\"2.0\",\"paths\":{\"menu\":{}}}",
		  "$.paths['menu']: a path must start with '/'" },
		{ "{\"swagger\":\"2.0\",\"paths\":{\"/menu\":[]}}",
		  "$.paths['/menu']: not a path item object" },
		{ "{\"swagger\":\"2.0\",\"paths\":{\"/menu\":{\"fetch\":{}}}}",
		  "$.paths['/menu'].fetch: 'fetch' is not a swagger 2.0 HTTP method" },
		{ "{\"swagger\":\"2.0\",\"paths\":{\"/menu\":{\"get\":true}}}",
		  "$.paths['/menu'].get: not an operation object" },
		{ "{\"swagger\":\"2.0\",\"paths\":{\"/menu\":{\"get\":{\"x-auth-type\":\"Anyone\"}}}}",
		  "$.paths['/menu'].get['x-auth-type']: 'Anyone' is not" },
		{ "{\"swagger\":\"2.0\",\"paths\":{\"/menu\":{\"get\":{\"x-throttling-tier\":5}}}}",
		  "$.paths['/menu'].get['x-throttling-tier']: not a string" },
		{ "{\"swagger\":\"2.0\",\"paths\":{\"/menu\":{\"get\":{\"x-scope\":\"nope\"}}}}",
		  "$.paths['/menu'].get['x-scope']: scope 'nope' is not defined in x-wso2-security" },
		{ "{\"swagger\":\"2.0\",\"paths\":{},\"x-wso2-security\":{\"apim\":{\"x-wso2-scopes\":"
		  "[{\"key\":\"a\"},{\"key\":\"a\"}]}}}",
		  "$['x-wso2-security'].apim['x-wso2-scopes'][1].key: scope 'a' is defined twice" },
		{ "{\"swagger\":\"2.0\",\"paths\":{},\"x-wso2-security\":{\"apim\":{\"x-wso2-scopes\":"
		  "[{\"name\":\"a\"}]}}}",
		  "$['x-wso2-security'].apim['x-wso2-scopes'][0].key: missing" },
		{ "{\"swagger\":\"2.0\",\"paths\":{},\"x-wso2-security\":{\"apim\":{\"x-wso2-scopes\":"
		  "[{\"key\":\"a\",\"roles\":{}}]}}}",
		  "$['x-wso2-security'].apim['x-wso2-scopes'][0].roles: not a comma-separated list" },
		{ "{\"swagger\":\"2.0\",\"paths\":{},\"x-wso2-security\":{\"apim\":{\"x-wso2-scopes\":{}}}}",
		  "$['x-wso2-security'].apim['x-wso2-scopes']: not an array" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr (GPtrArray) ops = NULL;
		g_autoptr (GPtrArray) scopes = NULL;
		g_autoptr (GError) error = NULL;

		g_assert_false (am_pub_swagger_parse (bad[i].json, &ops, &scopes, &error));
		g_assert_error (error, AM_PUB_ERROR, AM_PUB_ERROR_INVALID);
		g_assert_null (ops);
		if (!g_str_has_prefix (error->message, bad[i].message))
			g_error ("case %u: '%s' does not start with '%s'", i, error->message,
				 bad[i].message);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/pub/swagger/parse-fixture", test_parse_fixture);
	g_test_add_func ("/pub/swagger/defaults-and-apply", test_defaults_and_apply);
	g_test_add_func ("/pub/swagger/generate", test_generate);
	g_test_add_func ("/pub/swagger/round-trip", test_round_trip);
	g_test_add_func ("/pub/swagger/invalid", test_invalid);
	return g_test_run ();
}
