/* SPDX-License-Identifier: Apache-2.0 */
/* The Store REST objects (am-store-json.c): member names, order and values
 * as the 2.x Store writes them; endpointURLs from api-manager.xml
 * environments and the API's transports; visibility and listed states;
 * the ApplicationKeyGenerateRequest checks. */
#include "config.h"

#include <string.h>

#include "am-test-util.h"
#include "am-store.h"

static AmApi *
sample_api (void)
{
	AmApi *api = am_api_new ();
	const char *const envs[] = { "Production and Sandbox", "none", "Gone", "Sandbox only",
				     NULL };
	const char *const tiers[] = { "Gold", "Unlimited", NULL };

	api->id = g_strdup ("6e4a9e2f-8a76-4c4b-a7e4-0c2f8e5b7a11");
	api->provider = g_strdup ("admin");
	api->name = g_strdup ("PizzaShackAPI");
	api->version = g_strdup ("1.0.0");
	api->context = g_strdup ("/pizzashack/1.0.0");
	g_free (api->status);
	api->status = g_strdup ("PUBLISHED");
	api->tiers = g_strdupv ((char **) tiers);
	api->gateway_environments = g_strdupv ((char **) envs);
	api->business_owner = g_strdup ("Jane");
	api->swagger = g_strdup ("{\"swagger\":\"2.0\"}");
	return api;
}

static AmApimConf *
sample_apim (void)
{
	AmApimConf *apim = g_new0 (AmApimConf, 1);

	apim->environments = g_ptr_array_new_with_free_func (am_test_env_free);
	g_ptr_array_add (apim->environments,
			 am_test_env_new ("Production and Sandbox", AM_ENV_HYBRID,
					  "http://gw.example:8280/ , https://gw.example:8243"));
	g_ptr_array_add (apim->environments,
			 am_test_env_new ("Sandbox only", AM_ENV_SANDBOX,
					  "https://sb.example:9443,http://sb.example:9080"));
	return apim;
}

static void
apim_free (AmApimConf *apim)
{
	g_ptr_array_unref (apim->environments);
	g_free (apim);
}

static void
test_endpoint_urls (void)
{
	g_autoptr (AmApi) api = sample_api ();
	AmApimConf *apim = sample_apim ();
	g_autofree char *both = am_test_text (am_store_endpoint_urls_json (api, apim));
	g_autofree char *https_only = NULL;
	g_autofree char *none = NULL;

	/* one item per known environment in the API's order ("none" and the
	 * unknown "Gone" skipped), each endpoint + context without "//" */
	g_assert_cmpstr (both, ==,
			 "[{\"environmentName\":\"Production and Sandbox\","
			 "\"environmentType\":\"hybrid\",\"environmentURLs\":{"
			 "\"http\":\"http://gw.example:8280/pizzashack/1.0.0\","
			 "\"https\":\"https://gw.example:8243/pizzashack/1.0.0\"}},"
			 "{\"environmentName\":\"Sandbox only\",\"environmentType\":\"sandbox\","
			 "\"environmentURLs\":{\"http\":\"http://sb.example:9080/pizzashack/1.0.0\","
			 "\"https\":\"https://sb.example:9443/pizzashack/1.0.0\"}}]");

	/* only the transports the API has */
	g_strfreev (api->transports);
	api->transports = g_strsplit ("https", ",", -1);
	https_only = am_test_text (am_store_endpoint_urls_json (api, apim));
	g_assert_nonnull (strstr (https_only, "\"http\":null,\"https\":\"https://gw.example:8243/"));
	g_assert_null (strstr (https_only, "http://"));

	/* not published anywhere */
	g_strfreev (api->gateway_environments);
	api->gateway_environments = g_strsplit ("none", ",", -1);
	none = am_test_text (am_store_endpoint_urls_json (api, apim));
	g_assert_cmpstr (none, ==, "[]");
	apim_free (apim);
}

static void
test_api_json (void)
{
	g_autoptr (AmApi) api = sample_api ();
	AmApimConf *apim = sample_apim ();
	g_autofree char *info = am_test_text (am_store_api_info_json (api));
	g_autofree char *full = am_test_text (am_store_api_json (api, apim));

	g_assert_cmpstr (info, ==,
			 "{\"id\":\"6e4a9e2f-8a76-4c4b-a7e4-0c2f8e5b7a11\",\"name\":\"PizzaShackAPI\","
			 "\"description\":null,\"context\":\"/pizzashack/1.0.0\",\"version\":\"1.0.0\","
			 "\"provider\":\"admin\",\"status\":\"PUBLISHED\"}");
	g_assert_true (g_str_has_prefix (
		full, "{\"id\":\"6e4a9e2f-8a76-4c4b-a7e4-0c2f8e5b7a11\",\"name\":\"PizzaShackAPI\","
		      "\"description\":null,\"context\":\"/pizzashack/1.0.0\",\"version\":\"1.0.0\","
		      "\"provider\":\"admin\",\"apiDefinition\":\"{\\\"swagger\\\":\\\"2.0\\\"}\","
		      "\"wsdlUri\":null,\"status\":\"PUBLISHED\",\"isDefaultVersion\":false,"
		      "\"transport\":[\"http\",\"https\"],\"tags\":[],\"tiers\":[\"Gold\",\"Unlimited\"],"
		      "\"thumbnailUrl\":null,\"endpointURLs\":[{\"environmentName\":"));
	g_assert_true (g_str_has_suffix (
		full, "\"businessInformation\":{\"businessOwner\":\"Jane\",\"businessOwnerEmail\":null,"
		      "\"technicalOwner\":null,\"technicalOwnerEmail\":null}}"));
	apim_free (apim);
}

static void
test_visibility (void)
{
	g_autoptr (AmApi) api = sample_api ();
	const char *const subscriber[] = { "Internal/subscriber", "Internal/everyone", NULL };
	const char *const gold[] = { "GOLD-Customers", NULL };

	g_assert_true (am_store_status_listed ("PUBLISHED", FALSE));
	g_assert_true (am_store_status_listed ("PROTOTYPED", FALSE));
	g_assert_false (am_store_status_listed ("DEPRECATED", FALSE));
	g_assert_true (am_store_status_listed ("DEPRECATED", TRUE));
	g_assert_false (am_store_status_listed ("CREATED", TRUE));
	g_assert_false (am_store_status_listed ("BLOCKED", TRUE));
	g_assert_false (am_store_status_listed ("RETIRED", TRUE));
	g_assert_true (am_store_status_readable ("DEPRECATED"));
	g_assert_false (am_store_status_readable ("BLOCKED"));

	g_assert_true (am_store_api_visible (api, NULL, NULL)); /* public */
	g_free (api->visibility);
	api->visibility = g_strdup ("private");
	g_assert_false (am_store_api_visible (api, NULL, NULL));
	g_assert_true (am_store_api_visible (api, "bob", subscriber));
	g_free (api->visibility);
	api->visibility = g_strdup ("restricted");
	api->visible_roles = g_strsplit ("gold-customers, Silver", ",", -1);
	g_assert_false (am_store_api_visible (api, NULL, NULL));
	g_assert_false (am_store_api_visible (api, "bob", subscriber));
	g_assert_true (am_store_api_visible (api, "carol", gold)); /* case-insensitive */
}

static void
test_application_json (void)
{
	AmApplication app = { 0 };
	AmAppKey prod = { 0 }, pending = { 0 };
	const char *const grants[] = { "client_credentials", "password", NULL };
	const char *const scopes[] = { "am_application_scope", "default", NULL };
	g_autoptr (GPtrArray) keys = g_ptr_array_new ();
	g_autofree char *info = NULL;
	g_autofree char *full = NULL;
	g_autofree char *key = NULL;

	app.uuid = "a1b2";
	app.name = "DefaultApplication";
	app.subscriber = "admin";
	app.tier = "Unlimited";
	app.description = "d";
	app.status = "APPROVED";
	app.group_id = "";
	prod.key_type = "PRODUCTION";
	prod.consumer_key = "ck";
	prod.consumer_secret = "cs";
	prod.key_state = "COMPLETED";
	prod.supported_grant_types = (char **) grants;
	pending.key_type = "SANDBOX"; /* no consumer key yet: left out */
	g_ptr_array_add (keys, &prod);
	g_ptr_array_add (keys, &pending);

	info = am_test_text (am_store_application_json (&app, NULL, TRUE));
	g_assert_cmpstr (info, ==,
			 "{\"applicationId\":\"a1b2\",\"name\":\"DefaultApplication\","
			 "\"subscriber\":\"admin\",\"throttlingTier\":\"Unlimited\",\"description\":\"d\","
			 "\"status\":\"APPROVED\",\"groupId\":\"\"}");
	full = am_test_text (am_store_application_json (&app, keys, FALSE));
	g_assert_cmpstr (full, ==,
			 "{\"applicationId\":\"a1b2\",\"name\":\"DefaultApplication\","
			 "\"subscriber\":\"admin\",\"throttlingTier\":\"Unlimited\",\"callbackUrl\":null,"
			 "\"description\":\"d\",\"status\":\"APPROVED\",\"groupId\":\"\",\"keys\":[{"
			 "\"consumerKey\":\"ck\",\"consumerSecret\":\"cs\",\"supportedGrantTypes\":["
			 "\"client_credentials\",\"password\"],\"keyState\":\"COMPLETED\","
			 "\"keyType\":\"PRODUCTION\",\"token\":null}]}");

	prod.key_state = "APPROVED";
	prod.access_token = "tok";
	prod.validity_time = 3600;
	prod.token_scopes = (char **) scopes;
	key = am_test_text (am_store_app_key_json (&prod));
	g_assert_cmpstr (key, ==,
			 "{\"consumerKey\":\"ck\",\"consumerSecret\":\"cs\",\"supportedGrantTypes\":["
			 "\"client_credentials\",\"password\"],\"keyState\":\"APPROVED\","
			 "\"keyType\":\"PRODUCTION\",\"token\":{\"accessToken\":\"tok\",\"tokenScopes\":["
			 "\"am_application_scope\",\"default\"],\"validityTime\":3600}}");
}

static void
test_subscription_and_tier_json (void)
{
	AmSubscription sub = { 0 };
	AmTier gold = { 0 }, unlimited = { 0 };
	char *names[] = { "region", NULL };
	char *values[] = { "EU", NULL };
	g_autofree char *s = NULL;
	g_autofree char *t = NULL;
	g_autofree char *u = NULL;

	sub.uuid = "s-1";
	sub.application_uuid = "a-1";
	sub.api_identifier = "admin-PizzaShackAPI-1.0.0";
	sub.tier = "Gold";
	sub.status = "UNBLOCKED";
	s = am_test_text (am_apimgt_subscription_json (&sub));
	g_assert_cmpstr (s, ==,
			 "{\"subscriptionId\":\"s-1\",\"applicationId\":\"a-1\","
			 "\"apiIdentifier\":\"admin-PizzaShackAPI-1.0.0\",\"tier\":\"Gold\","
			 "\"status\":\"UNBLOCKED\"}");

	gold.name = "Gold";
	gold.description = "Allows 5000 requests per minute";
	gold.request_count = 5000;
	gold.unit_time = 1;
	gold.time_unit = "min";
	gold.unit_time_ms = 60000;
	gold.tier_plan = "FREE";
	gold.stop_on_quota_reach = TRUE;
	gold.attribute_names = names;
	gold.attribute_values = values;
	t = am_test_text (am_apimgt_tier_json (&gold, "api", AM_APIMGT_STORE));
	g_assert_cmpstr (t, ==,
			 "{\"name\":\"Gold\",\"description\":\"Allows 5000 requests per minute\","
			 "\"tierLevel\":\"api\",\"attributes\":{\"region\":\"EU\"},"
			 "\"requestCount\":5000,\"unitTime\":1,\"tierPlan\":\"FREE\","
			 "\"stopOnQuotaReach\":true}");
	unlimited.name = "Unlimited";
	unlimited.request_count = 2147483647;
	unlimited.unit_time = 1;
	unlimited.tier_plan = "FREE";
	u = am_test_text (am_apimgt_tier_json (&unlimited, "application", AM_APIMGT_STORE));
	g_assert_cmpstr (u, ==,
			 "{\"name\":\"Unlimited\",\"description\":null,\"tierLevel\":\"application\","
			 "\"attributes\":{},\"requestCount\":2147483647,\"unitTime\":0,"
			 "\"tierPlan\":\"FREE\",\"stopOnQuotaReach\":false}");
}

static void
test_key_request (void)
{
	g_auto (AmStoreKeyRequest) r = { 0 };
	g_autoptr (GError) error = NULL;
	g_autoptr (JsonNode) ok = am_test_parse (
		"{\"keyType\":\"SANDBOX\",\"validityTime\":\"-1\",\"callbackUrl\":\"\","
		"\"accessAllowDomains\":[\"ALL\"],\"scopes\":[\"am_application_scope\",\"default\"],"
		"\"supportedGrantTypes\":[\"client_credentials\"]}");
	g_autoptr (JsonNode) number = am_test_parse (
		"{\"keyType\":\"PRODUCTION\",\"validityTime\":3600,"
		"\"accessAllowDomains\":[\"ALL\"]}");
	const char *bad[] = {
		"{\"validityTime\":\"3600\",\"accessAllowDomains\":[\"ALL\"]}",
		"{\"keyType\":\"TEST\",\"validityTime\":\"3600\",\"accessAllowDomains\":[\"ALL\"]}",
		"{\"keyType\":\"PRODUCTION\",\"validityTime\":\"soon\",\"accessAllowDomains\":[]}",
		"{\"keyType\":\"PRODUCTION\",\"validityTime\":\"-2\",\"accessAllowDomains\":[]}",
		"{\"keyType\":\"PRODUCTION\",\"validityTime\":\"60\"}",
		"{\"keyType\":\"PRODUCTION\",\"validityTime\":\"60\",\"accessAllowDomains\":[1]}",
		"[]",
	};

	g_assert_true (am_store_key_request_parse (ok, &r, NULL, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (r.req.key_type, ==, "SANDBOX");
	g_assert_cmpint (r.req.validity_time, ==, -1);
	g_assert_null (r.req.callback_url); /* "" is no callback */
	g_assert_cmpstr (r.req.scopes[1], ==, "default");
	g_assert_null (r.req.scopes[2]);
	g_assert_cmpstr (r.req.allowed_domains[0], ==, "ALL");
	g_assert_cmpstr (r.req.grant_types[0], ==, "client_credentials");
	am_store_key_request_clear (&r);

	g_assert_true (am_store_key_request_parse (number, &r, NULL, &error));
	g_assert_cmpint (r.req.validity_time, ==, 3600);
	g_assert_null (r.req.scopes);
	g_assert_null (r.req.grant_types);
	am_store_key_request_clear (&r);

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr (JsonNode) n = am_test_parse (bad[i]);

		g_clear_error (&error);
		g_assert_false (am_store_key_request_parse (n, &r, NULL, &error));
		g_assert_error (error, AM_REST_ERROR, AM_REST_ERROR_BAD_REQUEST);
		g_assert_null (r.scopes);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/store/json/endpoint-urls", test_endpoint_urls);
	g_test_add_func ("/store/json/api", test_api_json);
	g_test_add_func ("/store/json/visibility", test_visibility);
	g_test_add_func ("/store/json/application", test_application_json);
	g_test_add_func ("/store/json/subscription-tier", test_subscription_and_tier_json);
	g_test_add_func ("/store/json/key-request", test_key_request);
	return g_test_run ();
}
