/* SPDX-License-Identifier: Apache-2.0 */
/* The Publisher REST objects (am-pub-json.c): member names and order as the
 * 2.x Publisher v0.11 writes them, the context without its version, the
 * API object read back into the model (round trip), WSO2's validation
 * failures, Environment / Tier (with timeUnit) / Application, and the
 * failedGateways map; the Subscription object is test-store-json's. */
#include "config.h"

#include <string.h>

#include "am-test-util.h"
#include "am-apimgt-rest.h"
#include "am-pub-gateway.h"
#include "am-publisher.h"

static AmApimConf *
sample_apim (void)
{
	AmApimConf *apim = g_new0 (AmApimConf, 1);

	apim->environments = g_ptr_array_new_with_free_func (am_test_env_free);
	g_ptr_array_add (apim->environments,
			 am_test_env_new ("Production and Sandbox", AM_ENV_HYBRID,
					  "http://gw.example:8280 , https://gw.example:8243"));
	g_ptr_array_add (apim->environments,
			 am_test_env_new ("Second", AM_ENV_PRODUCTION, "https://gw2.example:8243"));
	return apim;
}

static void
apim_free (AmApimConf *apim)
{
	g_ptr_array_unref (apim->environments);
	g_free (apim);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmApimConf, apim_free)

#define SWAGGER                                                                                  \
	"{\"swagger\":\"2.0\",\"info\":{\"title\":\"Pizza\",\"version\":\"1.0.0\"},"             \
	"\"paths\":{\"/menu\":{\"get\":{\"x-auth-type\":\"Application & Application User\","     \
	"\"x-throttling-tier\":\"Unlimited\",\"responses\":{\"200\":{\"description\":\"\"}}}},"  \
	"\"/order/{id}\":{\"post\":{\"x-auth-type\":\"None\",\"x-throttling-tier\":\"10KPerMin\"," \
	"\"responses\":{\"200\":{\"description\":\"\"}}}}}}"

static const char *
full_body (void)
{
	return "{\"name\":\"PizzaShackAPI\",\"context\":\"pizzashack\",\"version\":\"1.0.0\","
	       "\"description\":\"Pizza\",\"provider\":\"admin\","
	       "\"apiDefinition\":" "\"{\\\"swagger\\\":\\\"2.0\\\",\\\"info\\\":{\\\"title\\\":"
	       "\\\"Pizza\\\",\\\"version\\\":\\\"1.0.0\\\"},\\\"paths\\\":{\\\"/menu\\\":{"
	       "\\\"get\\\":{\\\"x-auth-type\\\":\\\"Application\\\",\\\"x-throttling-tier\\\":"
	       "\\\"Unlimited\\\",\\\"responses\\\":{\\\"200\\\":{\\\"description\\\":\\\"\\\"}}}}}}\","
	       "\"responseCaching\":\"Enabled\",\"cacheTimeout\":60,\"isDefaultVersion\":true,"
	       "\"type\":\"HTTP\",\"transport\":[\"https\"],\"tags\":[\"food\"],"
	       "\"tiers\":[\"Gold\",\"Unlimited\"],\"maxTps\":{\"production\":100,\"sandbox\":null},"
	       "\"visibility\":\"RESTRICTED\",\"visibleRoles\":[\"gold\"],\"visibleTenants\":[],"
	       "\"endpointConfig\":\"{\\\"production_endpoints\\\":{\\\"url\\\":"
	       "\\\"http://backend/api/\\\",\\\"config\\\":null},\\\"endpoint_type\\\":\\\"http\\\"}\","
	       "\"endpointSecurity\":{\"type\":\"basic\",\"username\":\"u\",\"password\":\"p\"},"
	       "\"gatewayEnvironments\":\"Second, Production and Sandbox\","
	       "\"sequences\":[{\"name\":\"log_in\",\"type\":\"in\"}],"
	       "\"subscriptionAvailability\":\"all_tenants\",\"subscriptionAvailableTenants\":[],"
	       "\"businessInformation\":{\"businessOwner\":\"Jane\",\"businessOwnerEmail\":"
	       "\"jane@example.com\",\"technicalOwner\":null,\"technicalOwnerEmail\":null},"
	       "\"corsConfiguration\":{\"corsConfigurationEnabled\":true,"
	       "\"accessControlAllowOrigins\":[\"*\"],\"accessControlAllowCredentials\":false,"
	       "\"accessControlAllowHeaders\":[\"authorization\"],"
	       "\"accessControlAllowMethods\":[\"GET\"]}}";
}

static void
test_context (void)
{
	g_autoptr (AmApi) api = am_api_new ();
	g_autofree char *a = NULL, *b = NULL, *c = NULL;

	api->version = g_strdup ("1.0.0");
	api->context = g_strdup ("/pizzashack/1.0.0");
	api->context_template = g_strdup ("/pizzashack/{version}");
	a = am_pub_json_context (api);
	g_assert_cmpstr (a, ==, "/pizzashack");
	g_free (api->context_template);
	api->context_template = g_strdup ("/{version}/pizzashack");
	b = am_pub_json_context (api); /* elsewhere: kept */
	g_assert_cmpstr (b, ==, "/{version}/pizzashack");
	g_clear_pointer (&api->context_template, g_free);
	c = am_pub_json_context (api); /* no template: the version dropped */
	g_assert_cmpstr (c, ==, "/pizzashack");
}

static void
test_create_round_trip (void)
{
	g_autoptr (AmApimConf) apim = sample_apim ();
	g_autoptr (JsonNode) body = am_test_parse (full_body ());
	g_autoptr (AmApi) api = am_api_new ();
	g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) error = NULL;
	g_autoptr (JsonNode) out = NULL;
	g_autofree char *text = NULL;
	g_autoptr (AmApi) again = NULL;
	JsonObject *o;
	g_autoptr (GList) names = NULL;
	GString *order = g_string_new (NULL);
	g_autofree char *order_text = NULL;

	g_assert_true (am_pub_api_from_json (body, api, TRUE, apim, items, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (items->len, ==, 0);
	g_assert_cmpstr (api->context_template, ==, "/pizzashack/{version}");
	g_assert_cmpstr (api->visibility, ==, "restricted");
	g_assert_true (api->response_caching);
	g_assert_cmpint (api->cache_timeout, ==, 60);
	g_assert_cmpint (api->max_tps_production, ==, 100);
	g_assert_cmpint (api->max_tps_sandbox, ==, -1);
	g_assert_cmpstr (api->endpoint_password, ==, "p");
	g_assert_cmpstr (api->in_sequence, ==, "log_in");
	g_assert_cmpstr (api->gateway_environments[0], ==, "Second");
	g_assert_cmpstr (api->gateway_environments[1], ==, "Production and Sandbox");
	g_assert_null (api->gateway_environments[2]);
	g_assert_cmpuint (api->operations->len, ==, 1);
	g_assert_cmpint (((AmApiOperation *) api->operations->pdata[0])->auth_type, ==,
			 AM_API_AUTH_APPLICATION);

	/* the stored form: context with the version (as am-api-store makes it) */
	g_free (api->context);
	api->context = g_strdup ("/pizzashack/1.0.0");
	api->id = g_strdup ("0b7f3c1e-0000-4000-8000-000000000001");
	out = am_pub_api_json (api);
	o = json_node_get_object (out);
	names = json_object_get_members (o);
	for (GList *l = names; l != NULL; l = l->next)
		g_string_append_printf (order, "%s%s", order->len ? "," : "", (char *) l->data);
	order_text = g_string_free (order, FALSE);
	g_assert_cmpstr (order_text, ==,
			 "id,name,description,context,version,provider,apiDefinition,wsdlUri,"
			 "status,responseCaching,cacheTimeout,destinationStatsEnabled,"
			 "isDefaultVersion,type,transport,tags,tiers,apiLevelPolicy,"
			 "authorizationHeader,maxTps,thumbnailUri,visibility,visibleRoles,"
			 "visibleTenants,endpointConfig,endpointSecurity,gatewayEnvironments,"
			 "sequences,subscriptionAvailability,subscriptionAvailableTenants,"
			 "businessInformation,corsConfiguration");
	g_assert_cmpstr (json_object_get_string_member (o, "context"), ==, "/pizzashack");
	g_assert_cmpstr (json_object_get_string_member (o, "visibility"), ==, "RESTRICTED");
	g_assert_cmpstr (json_object_get_string_member (o, "responseCaching"), ==, "Enabled");
	g_assert_cmpstr (json_object_get_string_member (o, "gatewayEnvironments"), ==,
			 "Second,Production and Sandbox");
	g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "CREATED");
	text = am_test_text (json_node_copy (json_object_get_member (o, "maxTps")));
	g_assert_cmpstr (text, ==, "{\"production\":100,\"sandbox\":null}");
	g_clear_pointer (&text, g_free);
	/* the password never goes out */
	text = am_test_text (json_node_copy (json_object_get_member (o, "endpointSecurity")));
	g_assert_cmpstr (text, ==, "{\"type\":\"basic\",\"username\":\"u\",\"password\":\"\"}");
	g_clear_pointer (&text, g_free);
	text = am_test_text (json_node_copy (json_object_get_member (o, "sequences")));
	g_assert_cmpstr (text, ==, "[{\"name\":\"log_in\",\"config\":null,\"type\":\"in\"}]");
	g_clear_pointer (&text, g_free);
	text = am_test_text (json_node_copy (json_object_get_member (o, "corsConfiguration")));
	g_assert_cmpstr (text, ==,
			 "{\"corsConfigurationEnabled\":true,\"accessControlAllowOrigins\":[\"*\"],"
			 "\"accessControlAllowCredentials\":false,"
			 "\"accessControlAllowHeaders\":[\"authorization\"],"
			 "\"accessControlAllowMethods\":[\"GET\"]}");
	g_clear_pointer (&text, g_free);
	text = am_test_text (json_node_copy (json_object_get_member (o, "businessInformation")));
	g_assert_cmpstr (text, ==,
			 "{\"businessOwner\":\"Jane\",\"businessOwnerEmail\":\"jane@example.com\","
			 "\"technicalOwner\":null,\"technicalOwnerEmail\":null}");

	/* what GET gives, PUT takes back unchanged (the password kept) */
	again = am_api_copy (api);
	g_assert_true (am_pub_api_from_json (out, again, FALSE, apim, items, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (again->endpoint_password, ==, "p");
	g_assert_cmpstr (again->context_template, ==, "/pizzashack/{version}");
	g_assert_cmpstr (again->swagger, ==, api->swagger);
	g_assert_cmpuint (again->operations->len, ==, 1);
	g_assert_cmpint (again->max_tps_production, ==, 100);
	g_assert_cmpstr (again->visibility, ==, "restricted");
	g_assert_true (g_strv_equal ((const char *const *) again->gateway_environments,
				     (const char *const *) api->gateway_environments));
	g_assert_true (again->is_default_version);
}

static void
test_create_defaults (void)
{
	g_autoptr (AmApimConf) apim = sample_apim ();
	g_autoptr (JsonNode) body = am_test_parse (
		"{\"name\":\"A\",\"context\":\"/a\",\"version\":\"2\",\"tiers\":[\"Gold\"],"
		"\"isDefaultVersion\":false,\"transport\":[\"http\",\"HTTPS\"],"
		"\"endpointConfig\":\"{}\",\"visibility\":\"public\",\"type\":\"HTTP\"}");
	g_autoptr (AmApi) api = am_api_new ();
	g_autoptr (GError) error = NULL;

	g_assert_true (am_pub_api_from_json (body, api, TRUE, apim, NULL, &error));
	/* every configured environment; "/" "*" for the usual verbs; a swagger */
	g_assert_cmpstr (api->gateway_environments[0], ==, "Production and Sandbox");
	g_assert_cmpstr (api->gateway_environments[1], ==, "Second");
	g_assert_cmpuint (api->operations->len, ==, 5);
	g_assert_cmpstr (((AmApiOperation *) api->operations->pdata[0])->url_pattern, ==, "/*");
	g_assert_nonnull (strstr (api->swagger, "\"/*\""));
	g_assert_cmpstr (api->transports[1], ==, "https");
	g_assert_cmpstr (api->visibility, ==, "public");

	/* "none": on no gateway */
	g_clear_pointer (&body, json_node_unref);
	body = am_test_parse ("{\"gatewayEnvironments\":\"Second,none\"}");
	g_assert_true (am_pub_api_from_json (body, api, FALSE, apim, NULL, &error));
	g_assert_null (api->gateway_environments[0]);
}

static void
assert_codes (GPtrArray *items, const char *expected)
{
	GString *codes = g_string_new (NULL);
	g_autofree char *text = NULL;

	for (guint i = 0; i + 1 < items->len; i += 2)
		g_string_append_printf (codes, "%s%s", codes->len ? " " : "",
					(char *) items->pdata[i]);
	text = g_string_free (codes, FALSE);
	g_assert_cmpstr (text, ==, expected);
}

static void
test_validation (void)
{
	g_autoptr (AmApimConf) apim = sample_apim ();
	g_autoptr (JsonNode) body = NULL;
	g_autoptr (AmApi) api = am_api_new ();
	g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) error = NULL;

	/* every required member missing */
	body = am_test_parse ("{\"description\":\"x\"}");
	g_assert_false (am_pub_api_from_json (body, api, TRUE, apim, items, &error));
	g_assert_error (error, AM_REST_ERROR, AM_REST_ERROR_BAD_REQUEST);
	g_assert_cmpstr (error->message, ==, "Validation Error");
	assert_codes (items, "400_name 400_context 400_version 400_tiers 400_isDefaultVersion "
			     "400_transport 400_endpointConfig 400_visibility 400_type");
	g_assert_cmpstr (items->pdata[1], ==, "name: may not be null");

	/* bad values */
	g_clear_error (&error);
	g_ptr_array_set_size (items, 0);
	g_clear_pointer (&body, json_node_unref);
	body = am_test_parse (
		"{\"visibility\":\"SECRET\",\"type\":\"SOAP\",\"transport\":[\"ftp\"],"
		"\"endpointConfig\":\"not json\",\"gatewayEnvironments\":\"Nowhere\","
		"\"context\":\"/ends/\",\"isDefaultVersion\":\"yes\",\"tiers\":\"Gold\","
		"\"apiDefinition\":\"{}\",\"maxTps\":{\"production\":-1}}");
	g_assert_false (am_pub_api_from_json (body, api, FALSE, apim, items, &error));
	assert_codes (items, "400_context 400_isDefaultVersion 400_type 400_transport 400_tiers "
			     "400_maxTps.production 400_visibility 400_endpointConfig "
			     "400_gatewayEnvironments 400_apiDefinition");
	for (guint i = 1; i < items->len; i += 2)
		if (g_str_has_prefix (items->pdata[i], "context:"))
			g_assert_cmpstr (items->pdata[i], ==,
					 "context: Context cannot end with '/' character");

	/* Jackson's unknown property */
	g_clear_error (&error);
	g_clear_pointer (&body, json_node_unref);
	body = am_test_parse ("{\"name\":\"A\",\"colour\":\"red\"}");
	g_assert_false (am_pub_api_from_json (body, api, FALSE, apim, NULL, &error));
	g_assert_error (error, AM_REST_ERROR, AM_REST_ERROR_BAD_REQUEST);
	g_assert_cmpstr (error->message, ==, "Unrecognized property 'colour'");

	/* not an object */
	g_clear_error (&error);
	g_clear_pointer (&body, json_node_unref);
	body = am_test_parse ("[1]");
	g_assert_false (am_pub_api_from_json (body, api, FALSE, apim, NULL, &error));
	g_assert_cmpstr (error->message, ==, AM_REST_MALFORMED_BODY);
}

static void
test_environment_tier_app (void)
{
	g_autoptr (AmApimConf) apim = sample_apim ();
	GPtrArray *envs = apim->environments;
	g_autofree char *env = am_test_text (am_pub_environment_json (envs->pdata[0]));
	g_autofree char *env2 = am_test_text (am_pub_environment_json (envs->pdata[1]));
	AmTier tier = { 0 };
	AmApplication app = { 0 };
	g_autofree char *tier_text = NULL, *app_text = NULL;

	g_assert_cmpstr (env, ==,
			 "{\"name\":\"Production and Sandbox\",\"type\":\"hybrid\","
			 "\"serverUrl\":\"https://localhost:9443/services/\","
			 "\"showInApiConsole\":true,\"endpoints\":{\"http\":\"http://gw.example:8280\","
			 "\"https\":\"https://gw.example:8243\"}}");
	g_assert_nonnull (strstr (env2, "\"type\":\"production\""));
	g_assert_nonnull (strstr (env2, "\"endpoints\":{\"http\":null,"));

	tier.name = "Gold";
	tier.description = "Allows 5000 requests per minute";
	tier.request_count = 5000;
	tier.unit_time = 1;
	tier.time_unit = "min";
	tier.tier_plan = "FREE";
	tier.stop_on_quota_reach = TRUE;
	tier_text = am_test_text (am_apimgt_tier_json (&tier, "api", AM_APIMGT_PUBLISHER));
	g_assert_cmpstr (tier_text, ==,
			 "{\"name\":\"Gold\",\"description\":\"Allows 5000 requests per minute\","
			 "\"tierLevel\":\"api\",\"attributes\":{},\"requestCount\":5000,"
			 "\"unitTime\":1,\"timeUnit\":\"min\",\"tierPlan\":\"FREE\","
			 "\"stopOnQuotaReach\":true}");

	app.uuid = "a1";
	app.name = "App";
	app.subscriber = "bob";
	app.tier = "Unlimited";
	app.group_id = "";
	app_text = am_test_text (am_pub_application_json (&app));
	g_assert_cmpstr (app_text, ==,
			 "{\"applicationId\":\"a1\",\"name\":\"App\",\"subscriber\":\"bob\","
			 "\"throttlingTier\":\"Unlimited\",\"description\":null,\"groupId\":\"\"}");
}

/* /tiers/{tierLevel}: "resource" is the Publisher's only. */
static void
test_tier_level (void)
{
	g_autoptr (GError) error = NULL;
	AmTierLevel level;

	g_assert_true (am_apimgt_rest_tier_level ("api", AM_APIMGT_STORE, &level, &error));
	g_assert_cmpint (level, ==, AM_TIER_LEVEL_SUBSCRIPTION);
	g_assert_true (
		am_apimgt_rest_tier_level ("application", AM_APIMGT_PUBLISHER, &level, NULL));
	g_assert_cmpint (level, ==, AM_TIER_LEVEL_APPLICATION);
	g_assert_true (am_apimgt_rest_tier_level ("resource", AM_APIMGT_PUBLISHER, &level, NULL));
	g_assert_cmpint (level, ==, AM_TIER_LEVEL_API);
	g_assert_false (am_apimgt_rest_tier_level ("resource", AM_APIMGT_STORE, &level, &error));
	g_assert_error (error, AM_REST_ERROR, AM_REST_ERROR_BAD_REQUEST);
	g_assert_cmpstr (error->message, ==,
			 "tierLevel 'resource' is invalid: it must be api or application");
	g_clear_error (&error);
	g_assert_false (am_apimgt_rest_tier_level ("x", AM_APIMGT_PUBLISHER, &level, &error));
	g_assert_cmpstr (error->message, ==,
			 "tierLevel 'x' is invalid: it must be api, application or resource");
}

static void
test_failed_gateways (void)
{
	AmPubGatewayResult ok = { "Production and Sandbox", NULL };
	AmPubGatewayResult bad = { "Dead", "connection refused" };
	AmPubGatewayResult gone = { "Second", "HTTP 401" };
	g_autoptr (GPtrArray) published = g_ptr_array_new ();
	g_autoptr (GPtrArray) removed = g_ptr_array_new ();
	g_autofree char *text = NULL;

	g_ptr_array_add (published, &ok);
	g_assert_null (am_pub_failed_gateways_json (published, NULL));
	g_assert_null (am_pub_failed_gateways_json (NULL, NULL));
	g_ptr_array_add (published, &bad);
	g_ptr_array_add (removed, &gone);
	text = am_test_text (am_pub_failed_gateways_json (published, removed));
	g_assert_cmpstr (text, ==,
			 "{\"PUBLISHED\":{\"Dead\":\"connection refused\"},"
			 "\"UNPUBLISHED\":{\"Second\":\"HTTP 401\"}}");
}

static void
test_info_json (void)
{
	g_autoptr (AmApi) api = am_api_new ();
	g_autofree char *text = NULL;

	api->id = g_strdup ("i");
	api->name = g_strdup ("N");
	api->version = g_strdup ("1");
	api->provider = g_strdup ("admin");
	api->context = g_strdup ("/n/1");
	api->context_template = g_strdup ("/n/{version}");
	text = am_test_text (am_pub_api_info_json (api));
	g_assert_cmpstr (text, ==,
			 "{\"id\":\"i\",\"name\":\"N\",\"description\":null,\"context\":\"/n\","
			 "\"version\":\"1\",\"provider\":\"admin\",\"status\":\"CREATED\"}");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/pub-json/context", test_context);
	g_test_add_func ("/pub-json/info", test_info_json);
	g_test_add_func ("/pub-json/create-round-trip", test_create_round_trip);
	g_test_add_func ("/pub-json/create-defaults", test_create_defaults);
	g_test_add_func ("/pub-json/validation", test_validation);
	g_test_add_func ("/pub-json/environment-tier-application",
			 test_environment_tier_app);
	g_test_add_func ("/pub-json/tier-level", test_tier_level);
	g_test_add_func ("/pub-json/failed-gateways", test_failed_gateways);
	return g_test_run ();
}
