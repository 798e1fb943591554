/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the Publisher's APIGatewayAdmin client against real gateways:
 * an in-process SoupServer (plain http, and https with generated
 * certificates) checks HTTP Basic and hands every call to the gateway's
 * own am_gw_admin_process on a synapse directory per environment.  The
 * files the gateways end up with are checked after publishing (add),
 * publishing again (update), dropping the default version, removing and
 * removing again; and the failures each environment reports on its own:
 * wrong password, nothing listening, unknown environment, SOAP fault,
 * generation error, untrusted certificate.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "am-api.h"
#include "am-test-util.h"
#include "am-apim-conf.h"
#include "am-gw-admin.h"
#include "am-keystore.h"
#include "am-pub-gateway.h"
#include "am-pub-synapse.h"
#include "test-soup-server.h"

#define GW_USER "gwadmin"
#define GW_PASSWORD "gw:Pass-7!"
#define BAD_PASSWORD "not-the-Password"

#define EP_BOTH                                                                                    \
	"{\"production_endpoints\":{\"url\":\"http://prod.example.com:8080/pizza/\"},"             \
	"\"sandbox_endpoints\":{\"url\":\"http://sandbox.example.com:8080/pizza/\"},"              \
	"\"endpoint_type\":\"http\"}"
#define EP_PROD_ONLY                                                                               \
	"{\"production_endpoints\":{\"url\":\"http://prod.example.com:8080/pizza/\"},"             \
	"\"endpoint_type\":\"http\"}"

/* ---- what the publisher logs ---- */

static GMutex log_lock;
static GPtrArray *log_lines; /* "W: ..." and "M: ..." of am.publisher */

static void
on_log (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
	g_mutex_lock (&log_lock);
	g_ptr_array_add (log_lines, g_strdup_printf ("%c: %s",
						     (level & G_LOG_LEVEL_WARNING) ? 'W' : 'M',
						     message));
	g_mutex_unlock (&log_lock);
	if (!(level & G_LOG_LEVEL_DEBUG))
		g_test_message ("%s: %s", domain, message);
}

/* The publisher's warnings are expected here: they are checked, not fatal. */
static gboolean
on_fatal (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
	return g_strcmp0 (domain, "am.publisher") != 0;
}

static guint
log_count (char kind, const char *needle)
{
	guint n = 0;

	g_mutex_lock (&log_lock);
	for (guint i = 0; i < log_lines->len; i++) {
		const char *line = log_lines->pdata[i];

		g_assert_null (strstr (line, GW_PASSWORD));
		g_assert_null (strstr (line, BAD_PASSWORD));
		if (line[0] == kind && (needle == NULL || strstr (line, needle) != NULL))
			n++;
	}
	g_mutex_unlock (&log_lock);
	return n;
}

static void
log_reset (void)
{
	g_mutex_lock (&log_lock);
	g_ptr_array_set_size (log_lines, 0);
	g_mutex_unlock (&log_lock);
}

/* ---- the gateways ---- */

typedef struct {
	char *dir;		 /* one synapse-configs/default per gateway below */
	TestSoupServer *http;	 /* /<gateway>/services/APIGatewayAdmin */
	TestSoupServer *https;	 /* the same over TLS, when started */
	GMutex lock;
	GPtrArray *calls;	 /* "<gateway> <SOAPAction>" */
	char *first_body;	 /* of the first call, with its Content-Type */
	AmApimConf apim;
	AmPubSynapseOptions options;
	guint16 dead_port;
} Fixture;

static void
on_admin (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
	  gpointer data)
{
	Fixture *f = data;
	SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
	SoupMessageBody *body = soup_server_message_get_request_body (msg);
	g_autofree char *pair = g_strconcat (GW_USER, ":", GW_PASSWORD, NULL);
	g_autofree char *b64 = g_base64_encode ((const guchar *) pair, strlen (pair));
	g_autofree char *want = g_strconcat ("Basic ", b64, NULL);
	g_auto (GStrv) parts = g_strsplit (path, "/", -1);
	g_autofree char *dir = NULL;
	g_autoptr (AmSoapReply) reply = NULL;

	/* "", gateway, "services", "APIGatewayAdmin" */
	if (g_strv_length (parts) != 4 || strcmp (parts[2], "services") != 0 ||
	    strcmp (parts[3], "APIGatewayAdmin") != 0 || strchr (parts[1], '.') != NULL) {
		soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
		return;
	}
	if (strcmp (parts[1], "moved") == 0) {
		soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND,
						  "https://127.0.0.1:9443/services/APIGatewayAdmin");
		return;
	}
	if (strcmp (soup_server_message_get_method (msg), "POST") != 0) {
		soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	g_mutex_lock (&f->lock);
	g_ptr_array_add (f->calls, g_strdup_printf ("%s %s", parts[1],
						    soup_message_headers_get_one (h, "SOAPAction")));
	if (f->first_body == NULL)
		f->first_body = g_strdup_printf ("%s\n%.*s",
						 soup_message_headers_get_one (h, "Content-Type"),
						 (int) body->length, body->data);
	g_mutex_unlock (&f->lock);
	if (g_strcmp0 (soup_message_headers_get_one (h, "Authorization"), want) != 0) {
		/* as the gateway's admin services answer */
		reply = am_soap_fault (AM_SOAP_11, SOUP_STATUS_UNAUTHORIZED, AM_SOAP_FAULT_CLIENT,
				       "Access Denied. Authentication failed - Invalid "
				       "credentials provided.",
				       NULL);
		soup_message_headers_replace (soup_server_message_get_response_headers (msg),
					      "WWW-Authenticate", "Basic realm=\"WSO2 Carbon\"");
	} else {
		dir = g_build_filename (f->dir, parts[1], NULL);
		reply = am_gw_admin_process (dir, soup_message_headers_get_content_type (h, NULL),
					     body->data, body->length);
	}
	soup_server_message_set_status (msg, reply->status, NULL);
	soup_server_message_set_response (msg, reply->content_type, SOUP_MEMORY_COPY, reply->body,
					  strlen (reply->body));
}

static void
setup_server (SoupServer *soup, gpointer data)
{
	soup_server_add_handler (soup, NULL, on_admin, data, NULL);
}

static void
add_env (Fixture *f, const char *name, AmEnvironmentType type, const char *url,
	 const char *password)
{
	AmEnvironmentConf *env = g_new0 (AmEnvironmentConf, 1);

	env->name = g_strdup (name);
	env->type = type;
	env->server_url = g_strdup (url);
	env->username = g_strdup (GW_USER);
	env->password = g_strdup (password);
	g_ptr_array_add (f->apim.environments, env);
}

static void
env_free (AmEnvironmentConf *env)
{
	g_free (env->name);
	g_free (env->server_url);
	g_free (env->username);
	g_free (env->password);
	g_free (env);
}

static guint16
free_port (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
					      G_SOCKET_PROTOCOL_TCP, &error);
	g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
	g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
	g_autoptr (GSocketAddress) bound = NULL;

	g_assert_no_error (error);
	g_assert_true (g_socket_bind (s, any, FALSE, &error));
	bound = g_socket_get_local_address (s, &error);
	g_assert_no_error (error);
	return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	guint16 port;

	f->dir = g_dir_make_tmp ("test-pub-gateway-XXXXXX", &error);
	g_assert_no_error (error);
	g_mutex_init (&f->lock);
	f->calls = g_ptr_array_new_with_free_func (g_free);
	f->http = test_soup_server_new (setup_server, f);
	port = test_soup_server_port (f->http);
	f->dead_port = free_port ();
	f->apim.environments = g_ptr_array_new_with_free_func ((GDestroyNotify) env_free);
	am_pub_synapse_options_init (&f->options);

#define URL(gw) g_strdup_printf ("http://127.0.0.1:%u/" gw "/services/", port)
	{
		g_autofree char *gw1 = URL ("gw1");
		/* without the trailing slash WSO2's configuration has */
		g_autofree char *gw2 =
			g_strdup_printf ("http://127.0.0.1:%u/gw2/services", port);
		g_autofree char *gw3 = URL ("gw3");
		g_autofree char *gw4 = URL ("gw4");
		g_autofree char *moved = URL ("moved");
		g_autofree char *dead =
			g_strdup_printf ("http://127.0.0.1:%u/services/", f->dead_port);

		add_env (f, "Production and Sandbox", AM_ENV_HYBRID, gw1, GW_PASSWORD);
		add_env (f, "Production", AM_ENV_PRODUCTION, gw2, GW_PASSWORD);
		add_env (f, "Sandbox", AM_ENV_SANDBOX, gw3, GW_PASSWORD);
		add_env (f, "Wrong password", AM_ENV_HYBRID, gw4, BAD_PASSWORD);
		add_env (f, "Dead", AM_ENV_HYBRID, dead, GW_PASSWORD);
		add_env (f, "Moved", AM_ENV_HYBRID, moved, GW_PASSWORD);
	}
#undef URL
	log_reset ();
	/* GTest resets it for each test */
	g_test_log_set_fatal_handler (on_fatal, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	test_soup_server_free (f->http);
	test_soup_server_free (f->https);
	g_ptr_array_unref (f->apim.environments);
	g_ptr_array_unref (f->calls);
	g_mutex_clear (&f->lock);
	g_free (f->first_body);
	am_test_rm_rf (f->dir);
	g_free (f->dir);
}

/* The calls made so far, joined with ", ", and forgotten. */
static char *
calls_take (Fixture *f)
{
	char *joined;

	g_mutex_lock (&f->lock);
	g_ptr_array_add (f->calls, NULL);
	joined = g_strjoinv (", ", (char **) f->calls->pdata);
	g_ptr_array_set_size (f->calls, 0);
	g_mutex_unlock (&f->lock);
	return joined;
}

static char *
api_file (Fixture *f, const char *gw, const char *file)
{
	return g_build_filename (f->dir, gw, "api", file, NULL);
}

static gboolean
has_file (Fixture *f, const char *gw, const char *file)
{
	g_autofree char *path = api_file (f, gw, file);

	return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* The file holds exactly what the generator renders for @type. */
static void
assert_deployed (Fixture *f, const char *gw, const AmApi *api, AmPubEnvType type)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *name = am_pub_synapse_file_name (api);
	g_autofree char *path = api_file (f, gw, name);
	g_autofree char *got = NULL;
	g_autofree char *want = NULL;
	AmPubSynapseOptions options = f->options;

	options.environment_type = type;
	want = am_pub_synapse_generate (api, &options, &error);
	g_assert_no_error (error);
	g_assert_true (g_file_get_contents (path, &got, NULL, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (got, ==, want);
}

static void
assert_default_deployed (Fixture *f, const char *gw, const AmApi *api)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *name = am_pub_synapse_default_file_name (api);
	g_autofree char *path = api_file (f, gw, name);
	g_autofree char *got = NULL;
	g_autofree char *want = am_pub_synapse_generate_default (api, &error);

	g_assert_no_error (error);
	g_assert_true (g_file_get_contents (path, &got, NULL, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (got, ==, want);
}

static AmApi *
make_api (const char *version, const char *endpoints)
{
	AmApi *api = am_api_new ();
	const char *const envs[] = { "Production and Sandbox", "Sandbox", NULL };

	api->provider = g_strdup ("admin");
	api->name = g_strdup ("PizzaShackAPI");
	api->version = g_strdup (version);
	api->context = g_strdup_printf ("/pizzashack/%s", version);
	api->context_template = g_strdup ("/pizzashack/{version}");
	api->status = (g_free (api->status), g_strdup ("PUBLISHED"));
	api->endpoint_config = g_strdup (endpoints);
	api->gateway_environments = g_strdupv ((char **) envs);
	api->is_default_version = TRUE;
	g_ptr_array_add (api->operations,
			 am_api_operation_new ("/menu", "GET", AM_API_AUTH_NONE, NULL, NULL));
	g_ptr_array_add (api->operations,
			 am_api_operation_new ("/order", "POST", AM_API_AUTH_ANY, NULL, NULL));
	return api;
}

static const AmPubGatewayResult *
result (GPtrArray *results, guint i)
{
	g_assert_cmpuint (i, <, results->len);
	return results->pdata[i];
}

static void
assert_ok (GPtrArray *results, guint i, const char *environment)
{
	const AmPubGatewayResult *r = result (results, i);

	g_assert_cmpstr (r->environment, ==, environment);
	g_assert_cmpstr (r->error, ==, NULL);
}

static void
assert_error (GPtrArray *results, guint i, const char *environment, const char *const *needles)
{
	const AmPubGatewayResult *r = result (results, i);

	g_assert_cmpstr (r->environment, ==, environment);
	g_assert_nonnull (r->error);
	g_test_message ("%s: %s", environment, r->error);
	g_assert_null (strstr (r->error, GW_PASSWORD));
	g_assert_null (strstr (r->error, BAD_PASSWORD));
	for (guint n = 0; needles[n] != NULL; n++)
		if (strstr (r->error, needles[n]) == NULL)
			g_error ("error of '%s' without '%s': %s", environment, needles[n],
				 r->error);
}

#define V1 "admin--PizzaShackAPI_v1.0.0.xml"
#define V2 "admin--PizzaShackAPI_v2.0.0.xml"
#define DEF "admin--PizzaShackAPI.xml"

/* ---- tests ---- */

static void
test_publish_cycle (Fixture *f, gconstpointer data)
{
	g_autoptr (AmPubGateways) gws = am_pub_gateways_new (&f->apim, NULL, &f->options);
	g_autoptr (AmApi) api = make_api ("1.0.0", EP_BOTH);
	g_autoptr (GPtrArray) r1 = NULL;
	g_autoptr (GPtrArray) r2 = NULL;
	g_autoptr (GPtrArray) r3 = NULL;
	g_autoptr (GPtrArray) r4 = NULL;
	g_autoptr (GPtrArray) r5 = NULL;
	g_autofree char *c1 = NULL;
	g_autofree char *c2 = NULL;
	g_autofree char *c3 = NULL;
	g_autofree char *c4 = NULL;
	g_autofree char *c5 = NULL;

	/* add: the API's own environments, in order */
	r1 = am_pub_gateways_publish (gws, api, NULL);
	g_assert_cmpuint (r1->len, ==, 2);
	assert_ok (r1, 0, "Production and Sandbox");
	assert_ok (r1, 1, "Sandbox");
	g_assert_true (am_pub_gateway_results_ok (r1));
	c1 = calls_take (f);
	g_assert_cmpstr (c1, ==,
			 "gw1 \"urn:getApi\", gw1 \"urn:addApi\", gw1 \"urn:getDefaultApi\", "
			 "gw1 \"urn:addDefaultAPI\", "
			 "gw3 \"urn:getApi\", gw3 \"urn:addApi\", gw3 \"urn:getDefaultApi\", "
			 "gw3 \"urn:addDefaultAPI\"");
	assert_deployed (f, "gw1", api, AM_PUB_ENV_HYBRID);
	assert_deployed (f, "gw3", api, AM_PUB_ENV_SANDBOX);
	assert_default_deployed (f, "gw1", api);
	assert_default_deployed (f, "gw3", api);
	g_assert_cmpuint (log_count ('M', "deployed on gateway environment"), ==, 2);
	g_assert_cmpuint (log_count ('W', NULL), ==, 0);

	/* update: a new resource reaches both */
	g_ptr_array_add (api->operations, am_api_operation_new ("/order/{orderId}", "GET",
								AM_API_AUTH_ANY, NULL, NULL));
	r2 = am_pub_gateways_publish (gws, api, NULL);
	g_assert_true (am_pub_gateway_results_ok (r2));
	c2 = calls_take (f);
	g_assert_cmpstr (c2, ==,
			 "gw1 \"urn:getApi\", gw1 \"urn:updateApi\", gw1 \"urn:getDefaultApi\", "
			 "gw1 \"urn:updateDefaultApi\", "
			 "gw3 \"urn:getApi\", gw3 \"urn:updateApi\", gw3 \"urn:getDefaultApi\", "
			 "gw3 \"urn:updateDefaultApi\"");
	assert_deployed (f, "gw1", api, AM_PUB_ENV_HYBRID);
	assert_deployed (f, "gw3", api, AM_PUB_ENV_SANDBOX);
	g_assert_cmpuint (log_count ('M', "updated on gateway environment"), ==, 2);

	/* no longer the default version: its default API goes */
	api->is_default_version = FALSE;
	r3 = am_pub_gateways_publish (gws, api, NULL);
	g_assert_true (am_pub_gateway_results_ok (r3));
	c3 = calls_take (f);
	g_assert_cmpstr (c3, ==,
			 "gw1 \"urn:getApi\", gw1 \"urn:updateApi\", gw1 \"urn:getDefaultApi\", "
			 "gw1 \"urn:deleteDefaultApi\", "
			 "gw3 \"urn:getApi\", gw3 \"urn:updateApi\", gw3 \"urn:getDefaultApi\", "
			 "gw3 \"urn:deleteDefaultApi\"");
	g_assert_true (has_file (f, "gw1", V1));
	g_assert_false (has_file (f, "gw1", DEF));
	g_assert_false (has_file (f, "gw3", DEF));

	/* remove, from one environment named explicitly, then both */
	{
		const char *const only[] = { "Sandbox", NULL };
		g_autoptr (GPtrArray) r = am_pub_gateways_remove (gws, api, only);
		g_autofree char *c = calls_take (f);

		g_assert_cmpuint (r->len, ==, 1);
		assert_ok (r, 0, "Sandbox");
		g_assert_cmpstr (c, ==,
				 "gw3 \"urn:getApi\", gw3 \"urn:deleteApi\", "
				 "gw3 \"urn:getDefaultApi\"");
		g_assert_false (has_file (f, "gw3", V1));
		g_assert_true (has_file (f, "gw1", V1));
	}
	r4 = am_pub_gateways_remove (gws, api, NULL);
	g_assert_true (am_pub_gateway_results_ok (r4));
	g_assert_cmpuint (r4->len, ==, 2);
	c4 = calls_take (f);
	g_assert_cmpstr (c4, ==,
			 "gw1 \"urn:getApi\", gw1 \"urn:deleteApi\", gw1 \"urn:getDefaultApi\", "
			 "gw3 \"urn:getApi\", gw3 \"urn:getDefaultApi\"");
	g_assert_false (has_file (f, "gw1", V1));
	g_assert_cmpuint (log_count ('M', "removed from gateway environment"), ==, 2);

	/* absent counts as removed */
	r5 = am_pub_gateways_remove (gws, api, NULL);
	g_assert_true (am_pub_gateway_results_ok (r5));
	c5 = calls_take (f);
	g_assert_cmpstr (c5, ==,
			 "gw1 \"urn:getApi\", gw1 \"urn:getDefaultApi\", "
			 "gw3 \"urn:getApi\", gw3 \"urn:getDefaultApi\"");
	g_assert_cmpuint (log_count ('W', NULL), ==, 0);
}

/* The default-version API of 2.0.0 survives 1.0.0 being published without
 * being the default, and being removed; removing the default one takes it. */
static void
test_default_of_another_version (Fixture *f, gconstpointer data)
{
	g_autoptr (AmPubGateways) gws = am_pub_gateways_new (&f->apim, NULL, &f->options);
	g_autoptr (AmApi) v1 = make_api ("1.0.0", EP_BOTH);
	g_autoptr (AmApi) v2 = make_api ("2.0.0", EP_BOTH);
	const char *const envs[] = { "Production and Sandbox", NULL };
	g_autoptr (GPtrArray) r1 = NULL;
	g_autoptr (GPtrArray) r2 = NULL;
	g_autoptr (GPtrArray) r3 = NULL;
	g_autoptr (GPtrArray) r4 = NULL;
	g_autoptr (GPtrArray) r5 = NULL;

	r1 = am_pub_gateways_publish (gws, v1, envs);
	g_assert_true (am_pub_gateway_results_ok (r1));
	r2 = am_pub_gateways_publish (gws, v2, envs);
	g_assert_true (am_pub_gateway_results_ok (r2));
	assert_default_deployed (f, "gw1", v2);

	v1->is_default_version = FALSE;
	r3 = am_pub_gateways_publish (gws, v1, envs);
	g_assert_true (am_pub_gateway_results_ok (r3));
	assert_default_deployed (f, "gw1", v2);
	r4 = am_pub_gateways_remove (gws, v1, envs);
	g_assert_true (am_pub_gateway_results_ok (r4));
	g_assert_false (has_file (f, "gw1", V1));
	assert_default_deployed (f, "gw1", v2);
	assert_deployed (f, "gw1", v2, AM_PUB_ENV_HYBRID);

	r5 = am_pub_gateways_remove (gws, v2, envs);
	g_assert_true (am_pub_gateway_results_ok (r5));
	g_assert_false (has_file (f, "gw1", V2));
	g_assert_false (has_file (f, "gw1", DEF));
}

/* A production-only API is not sent to a sandbox environment (no call at
 * all), and is to a production one. */
static void
test_skip_environment_type (Fixture *f, gconstpointer data)
{
	g_autoptr (AmPubGateways) gws = am_pub_gateways_new (&f->apim, NULL, &f->options);
	g_autoptr (AmApi) api = make_api ("1.0.0", EP_PROD_ONLY);
	const char *const envs[] = { "Sandbox", "Production", NULL };
	g_autoptr (GPtrArray) r = NULL;
	g_autofree char *calls = NULL;

	api->is_default_version = FALSE;
	r = am_pub_gateways_publish (gws, api, envs);
	g_assert_cmpuint (r->len, ==, 2);
	assert_ok (r, 0, "Sandbox");
	assert_ok (r, 1, "Production");
	calls = calls_take (f);
	g_assert_cmpstr (calls, ==,
			 "gw2 \"urn:getApi\", gw2 \"urn:addApi\", gw2 \"urn:getDefaultApi\"");
	/* what the Axis2 stub of a 2.x Publisher sends */
	g_assert_cmpstr (f->first_body, ==,
			 "text/xml; charset=UTF-8\n"
			 "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope "
			 "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>"
			 "<ns:getApi xmlns:ns=\"http://service.gateway.apimgt.carbon.wso2.org\">"
			 "<ns:apiProviderName>admin</ns:apiProviderName>"
			 "<ns:apiName>PizzaShackAPI</ns:apiName><ns:version>1.0.0</ns:version>"
			 "</ns:getApi></soapenv:Body></soapenv:Envelope>");
	g_assert_false (has_file (f, "gw3", V1));
	assert_deployed (f, "gw2", api, AM_PUB_ENV_PRODUCTION);
	g_assert_cmpuint (log_count ('M', "not deployed to gateway environment 'Sandbox'"), ==, 1);
	g_assert_cmpuint (log_count ('W', NULL), ==, 0);
}

/* Each environment fails on its own; the others are deployed. */
static void
test_failures (Fixture *f, gconstpointer data)
{
	g_autoptr (AmPubGateways) gws = am_pub_gateways_new (&f->apim, NULL, &f->options);
	g_autoptr (AmApi) api = make_api ("1.0.0", EP_BOTH);
	g_autoptr (AmApi) clash = make_api ("1.0.0", EP_BOTH);
	g_autoptr (AmApi) broken = make_api ("1.0.0", "{\"production_endpoints\":");
	const char *const envs[] = { "Wrong password", "Production and Sandbox", "Dead", "Nowhere",
				     "Moved", NULL };
	const char *const hybrid[] = { "Production and Sandbox", NULL };
	g_autoptr (GPtrArray) r = NULL;
	g_autoptr (GPtrArray) rc = NULL;
	g_autoptr (GPtrArray) rb = NULL;
	g_autoptr (GPtrArray) rr = NULL;

	r = am_pub_gateways_publish (gws, api, envs);
	g_assert_cmpuint (r->len, ==, 5);
	g_assert_false (am_pub_gateway_results_ok (r));
	assert_error (r, 0, "Wrong password",
		      (const char *const[]){ "401", "authentication failed", "'" GW_USER "'",
					     "/gw4/services/APIGatewayAdmin", NULL });
	assert_ok (r, 1, "Production and Sandbox");
	assert_error (r, 2, "Dead", (const char *const[]){ "cannot reach the gateway", NULL });
	assert_error (r, 3, "Nowhere",
		      (const char *const[]){ "no gateway environment named 'Nowhere'", NULL });
	/* not followed: the credentials stay here */
	assert_error (r, 4, "Moved",
		      (const char *const[]){ "redirects (HTTP 302) to "
					     "https://127.0.0.1:9443/services/APIGatewayAdmin",
					     NULL });
	assert_deployed (f, "gw1", api, AM_PUB_ENV_HYBRID);
	g_assert_false (has_file (f, "gw4", V1));
	g_assert_cmpuint (log_count ('W', NULL), ==, 4);
	g_assert_cmpuint (log_count ('W', "'Wrong password'"), ==, 1);

	/* a SOAP fault: another API on the same context and version */
	g_free (clash->name);
	clash->name = g_strdup ("PizzaCopy");
	rc = am_pub_gateways_publish (gws, clash, hybrid);
	assert_error (rc, 0, "Production and Sandbox",
		      (const char *const[]){ "addApi failed on the gateway",
					     "is already registered with the API", NULL });
	g_assert_false (has_file (f, "gw1", "admin--PizzaCopy_v1.0.0.xml"));

	/* a generation error */
	rb = am_pub_gateways_publish (gws, broken, hybrid);
	assert_error (rb, 0, "Production and Sandbox",
		      (const char *const[]){ "cannot generate the synapse API", NULL });
	assert_deployed (f, "gw1", api, AM_PUB_ENV_HYBRID);

	/* removal reports the same way */
	rr = am_pub_gateways_remove (gws, api, envs);
	assert_error (rr, 0, "Wrong password", (const char *const[]){ "401", NULL });
	assert_ok (rr, 1, "Production and Sandbox");
	assert_error (rr, 2, "Dead", (const char *const[]){ "cannot reach the gateway", NULL });
	assert_error (rr, 3, "Nowhere", (const char *const[]){ "'Nowhere'", NULL });
	g_assert_false (has_file (f, "gw1", V1));
	g_assert_false (has_file (f, "gw1", DEF));
	assert_error (rr, 4, "Moved", (const char *const[]){ "HTTP 302", NULL });
	g_assert_cmpuint (log_count ('W', "not removed from gateway environment"), ==, 4);
}

/* ---- https ---- */

static GTlsCertificate *
server_certificate (const char *path, AmKeystoreType type, const char *alias)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmKeystore) ks = am_keystore_load (path, type, "wso2carbon", alias,
						      "wso2carbon", &error);
	GTlsCertificate *cert;

	g_assert_no_error (error);
	cert = am_keystore_to_tls_certificate (ks, &error);
	g_assert_no_error (error);
	return cert;
}

static AmKeystore *
truststore (const char *path, AmKeystoreType type)
{
	g_autoptr (GError) error = NULL;
	AmKeystore *ts = am_keystore_load (path, type, "wso2carbon", NULL, NULL, &error);

	g_assert_no_error (error);
	return ts;
}

static void
https_env (Fixture *f, const char *name, const char *host, GTlsCertificate *cert)
{
	g_autofree char *url = NULL;

	test_soup_server_free (f->https);
	f->https = test_soup_server_new_tls (setup_server, f, cert);
	url = g_strdup_printf ("https://%s:%u/gw5/services/", host,
			       test_soup_server_port (f->https));
	add_env (f, name, AM_ENV_HYBRID, url, GW_PASSWORD);
}

static void
test_https (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *ks_path = g_build_filename (f->dir, "wso2carbon.p12", NULL);
	g_autofree char *ts_path = g_build_filename (f->dir, "client-truststore.p12", NULL);
	g_autofree char *other_path =
		g_test_build_filename (G_TEST_DIST, "data", "keystores", "client-truststore.jks",
				       NULL);
	g_autoptr (GTlsCertificate) cert = NULL;
	g_autoptr (AmKeystore) ts = NULL;
	g_autoptr (AmKeystore) other = NULL;
	g_autoptr (AmApi) api = make_api ("1.0.0", EP_BOTH);
	const char *const envs[] = { "Secure", NULL };

	g_assert_true (am_keystore_generate_dev (ks_path, AM_KEYSTORE_PKCS12, "wso2carbon",
						 "wso2carbon", "wso2carbon", "localhost", ts_path,
						 AM_KEYSTORE_PKCS12, "wso2carbon", &error));
	g_assert_no_error (error);
	cert = server_certificate (ks_path, AM_KEYSTORE_PKCS12, "wso2carbon");
	ts = truststore (ts_path, AM_KEYSTORE_PKCS12);
	other = truststore (other_path, AM_KEYSTORE_JKS);
	https_env (f, "Secure", "127.0.0.1", cert);

	/* the system CAs only, or a truststore without it: refused */
	{
		g_autoptr (AmPubGateways) gws = am_pub_gateways_new (&f->apim, NULL, &f->options);
		g_autoptr (GPtrArray) r = am_pub_gateways_publish (gws, api, envs);

		assert_error (r, 0, "Secure",
			      (const char *const[]){ "TLS failure", "not trusted",
						     "TrustStore", NULL });
	}
	{
		g_autoptr (AmPubGateways) gws = am_pub_gateways_new (&f->apim, other, &f->options);
		g_autoptr (GPtrArray) r = am_pub_gateways_publish (gws, api, envs);

		assert_error (r, 0, "Secure", (const char *const[]){ "not trusted", NULL });
	}
	g_assert_false (has_file (f, "gw5", V1));
	{
		g_autofree char *calls = calls_take (f);

		g_assert_cmpstr (calls, ==, "");
	}

	/* in the truststore: deployed */
	{
		g_autoptr (AmPubGateways) gws = am_pub_gateways_new (&f->apim, ts, &f->options);
		g_autoptr (GPtrArray) r = am_pub_gateways_publish (gws, api, envs);
		g_autoptr (GPtrArray) rr = NULL;

		assert_ok (r, 0, "Secure");
		assert_deployed (f, "gw5", api, AM_PUB_ENV_HYBRID);
		assert_default_deployed (f, "gw5", api);
		rr = am_pub_gateways_remove (gws, api, envs);
		assert_ok (rr, 0, "Secure");
		g_assert_false (has_file (f, "gw5", V1));
	}
}

/* A certificate issued by a CA of the truststore for another host name
 * (chain.jks: "localhost" only, reached as 127.0.0.1) is accepted, as
 * Carbon's clients do not check host names; the same without the CA is
 * not. */
static void
test_https_ca_other_host (Fixture *f, gconstpointer data)
{
	g_autofree char *chain =
		g_test_build_filename (G_TEST_DIST, "data", "keystores", "chain.jks", NULL);
	g_autofree char *ca =
		g_test_build_filename (G_TEST_DIST, "data", "keystores", "ca.crt.pem", NULL);
	g_autofree char *other_path =
		g_test_build_filename (G_TEST_DIST, "data", "keystores", "client-truststore.jks",
				       NULL);
	g_autoptr (GTlsCertificate) cert = server_certificate (chain, AM_KEYSTORE_JKS, "server");
	g_autoptr (AmKeystore) ts = truststore (ca, AM_KEYSTORE_PEM);
	g_autoptr (AmKeystore) other = truststore (other_path, AM_KEYSTORE_JKS);
	g_autoptr (AmApi) api = make_api ("1.0.0", EP_BOTH);
	const char *const envs[] = { "Secure", NULL };

	https_env (f, "Secure", "127.0.0.1", cert);
	{
		g_autoptr (AmPubGateways) gws = am_pub_gateways_new (&f->apim, other, &f->options);
		g_autoptr (GPtrArray) r = am_pub_gateways_publish (gws, api, envs);

		assert_error (r, 0, "Secure", (const char *const[]){ "not trusted", NULL });
	}
	{
		g_autoptr (AmPubGateways) gws = am_pub_gateways_new (&f->apim, ts, &f->options);
		g_autoptr (GPtrArray) r = am_pub_gateways_publish (gws, api, envs);

		assert_ok (r, 0, "Secure");
		assert_deployed (f, "gw5", api, AM_PUB_ENV_HYBRID);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	/* Carbon's admin clients use no proxy from the environment */
	g_setenv ("http_proxy", "http://127.0.0.1:9/", TRUE);
	g_setenv ("https_proxy", "http://127.0.0.1:9/", TRUE);
	g_setenv ("no_proxy", "", TRUE);
	log_lines = g_ptr_array_new_with_free_func (g_free);
	g_log_set_handler ("am.publisher", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL, on_log, NULL);

#define T(path, fn) g_test_add ("/pub/gateway/" path, Fixture, NULL, fixture_setup, fn, \
				fixture_teardown)
	T ("publish-update-remove", test_publish_cycle);
	T ("default-of-another-version", test_default_of_another_version);
	T ("skip-environment-type", test_skip_environment_type);
	T ("failures", test_failures);
	T ("https", test_https);
	T ("https-ca-other-host", test_https_ca_other_host);
#undef T
	{
		int rc = g_test_run ();

		g_ptr_array_unref (log_lines);
		return rc;
	}
}
