/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A gateway's key validation client on the command line, for the
 * integration tests: one AmGwKeyClient for the whole run, driven by lines
 * on stdin, one JSON line out per command:
 *
 *   validate TOKEN CONTEXT VERSION RESOURCE VERB LEVEL   (blocking call)
 *   async TOKEN CONTEXT VERSION RESOURCE VERB LEVEL      (pool + main context)
 *   templates CONTEXT VERSION
 *   cached TOKEN CONTEXT VERSION RESOURCE VERB LEVEL     (through the token cache)
 *
 * With --carbon-home (and --offset) it is also a gateway node: the core
 * modules of apimd (profile gateway-worker: management HTTPS server, user
 * store) run on their own thread with APIAuthenticationService mounted on
 * a gateway token cache, which "cached" fills and reports on
 * ({"ok":true,"cached":BOOL,"info":{...}}).
 *
 * Output: {"ok":true,"info":{...DTO...}} / {"ok":true,"templates":[...]} /
 * {"ok":false,"domain":"...","code":N,"error":"..."}.
 *
 *   kv-probe --server-url https://127.0.0.1:9443/services/ --thrift-port 10397 \
 *            [--client thrift|ws] [--user admin --password admin] [--timeout-ms N]
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "am-apimgt-json.h"
#include "am-conf.h"
#include "am-gw-authsvc.h"
#include "am-gw-keyclient.h"
#include "am-module.h"
#include "am-server.h"

static char *opt_url;
static char *opt_client = "thrift";
static char *opt_user = "admin";
static char *opt_password = "admin";
static char *opt_thrift_host;
static int opt_thrift_port = 10397;
static int opt_timeout_ms = 10000;
static char *opt_root = "/";
static char *opt_home;
static int opt_offset;

static const GOptionEntry entries[] = {
	{ "server-url", 0, 0, G_OPTION_ARG_STRING, &opt_url, "APIKeyValidator/ServerURL", NULL },
	{ "client", 0, 0, G_OPTION_ARG_STRING, &opt_client, "thrift or ws", NULL },
	{ "user", 0, 0, G_OPTION_ARG_STRING, &opt_user, "Username", NULL },
	{ "password", 0, 0, G_OPTION_ARG_STRING, &opt_password, "Password", NULL },
	{ "thrift-host", 0, 0, G_OPTION_ARG_STRING, &opt_thrift_host, "ThriftServerHost", NULL },
	{ "thrift-port", 0, 0, G_OPTION_ARG_INT, &opt_thrift_port, "ThriftClientPort", NULL },
	{ "timeout-ms", 0, 0, G_OPTION_ARG_INT, &opt_timeout_ms, "ThriftClientConnectionTimeOut",
	  NULL },
	{ "web-context-root", 0, 0, G_OPTION_ARG_STRING, &opt_root, "WebContextRoot", NULL },
	{ "carbon-home", 0, 0, G_OPTION_ARG_STRING, &opt_home, "serve as a gateway node", NULL },
	{ "offset", 0, 0, G_OPTION_ARG_INT, &opt_offset, "port offset of the node", NULL },
	{ NULL },
};

static void
add_strv (JsonBuilder *b, const char *name, char **v)
{
	json_builder_set_member_name (b, name);
	if (v == NULL) {
		json_builder_add_null_value (b);
		return;
	}
	json_builder_begin_array (b);
	for (guint i = 0; v[i] != NULL; i++)
		json_builder_add_string_value (b, v[i]);
	json_builder_end_array (b);
}

static void
add_info (JsonBuilder *b, const AmKeyValidationInfo *i)
{
	json_builder_begin_object (b);
	json_builder_set_member_name (b, "authorized");
	json_builder_add_boolean_value (b, i->authorized);
	json_builder_set_member_name (b, "validationStatus");
	json_builder_add_int_value (b, i->validation_status);
	am_apimgt_json_add_string (b, "subscriber", i->subscriber);
	am_apimgt_json_add_string (b, "tier", i->tier);
	am_apimgt_json_add_string (b, "type", i->type);
	am_apimgt_json_add_string (b, "endUserToken", i->end_user_token);
	am_apimgt_json_add_string (b, "endUserName", i->end_user_name);
	am_apimgt_json_add_string (b, "applicationName", i->application_name);
	am_apimgt_json_add_string (b, "applicationId", i->application_id);
	am_apimgt_json_add_string (b, "applicationTier", i->application_tier);
	am_apimgt_json_add_string (b, "apiName", i->api_name);
	am_apimgt_json_add_string (b, "consumerKey", i->consumer_key);
	am_apimgt_json_add_string (b, "apiPublisher", i->api_publisher);
	add_strv (b, "scopes", i->scopes);
	json_builder_set_member_name (b, "validityPeriod");
	json_builder_add_int_value (b, i->validity_period);
	json_builder_set_member_name (b, "issuedTime");
	json_builder_add_int_value (b, i->issued_time);
	am_apimgt_json_add_string (b, "apiTier", i->api_tier);
	add_strv (b, "throttlingDataList", i->throttling_data_list);
	am_apimgt_json_add_string (b, "subscriberTenantDomain", i->subscriber_tenant_domain);
	json_builder_end_object (b);
}

static void
print_builder (JsonBuilder *b)
{
	g_autoptr (JsonGenerator) gen = json_generator_new ();
	g_autoptr (JsonNode) root = json_builder_get_root (b);
	g_autofree char *text = NULL;

	json_generator_set_root (gen, root);
	text = json_generator_to_data (gen, NULL);
	printf ("%s\n", text);
	fflush (stdout);
}

/* "cached": -1 leaves it out */
static void
print_result_full (const AmKeyValidationInfo *info, GPtrArray *templates, const GError *error,
		   int cached)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "ok");
	json_builder_add_boolean_value (b, error == NULL);
	if (cached >= 0) {
		json_builder_set_member_name (b, "cached");
		json_builder_add_boolean_value (b, cached);
	}
	if (error != NULL) {
		am_apimgt_json_add_string (b, "domain", g_quark_to_string (error->domain));
		json_builder_set_member_name (b, "code");
		json_builder_add_int_value (b, error->code);
		am_apimgt_json_add_string (b, "error", error->message);
	} else if (info != NULL) {
		json_builder_set_member_name (b, "info");
		add_info (b, info);
	} else {
		json_builder_set_member_name (b, "templates");
		json_builder_begin_array (b);
		for (guint i = 0; templates != NULL && i < templates->len; i++) {
			const AmUriTemplate *t = templates->pdata[i];

			json_builder_begin_object (b);
			am_apimgt_json_add_string (b, "uriTemplate", t->uri_template);
			am_apimgt_json_add_string (b, "httpVerb", t->http_verb);
			am_apimgt_json_add_string (b, "authType", t->auth_type);
			am_apimgt_json_add_string (b, "throttlingTier", t->throttling_tier);
			json_builder_end_object (b);
		}
		json_builder_end_array (b);
	}
	json_builder_end_object (b);
	print_builder (b);
}

static void
print_result (const AmKeyValidationInfo *info, GPtrArray *templates, const GError *error)
{
	print_result_full (info, templates, error, -1);
}

typedef struct {
	GMainLoop *loop;
	GThread *caller;
} AsyncWait;

/* ---- the gateway node ---- */

typedef struct {
	AmServer *server;
	AmGwCache *cache;
	AmGwAuthSvc *authsvc;
	GMainLoop *loop;
	GThread *thread;
} Node;

static gpointer
node_run (gpointer data)
{
	Node *node = data;

	g_main_context_push_thread_default (g_main_loop_get_context (node->loop));
	g_main_loop_run (node->loop);
	g_main_context_pop_thread_default (g_main_loop_get_context (node->loop));
	return NULL;
}

static gboolean
node_start (Node *node, GError **error)
{
	g_autoptr (GHashTable) sysprops = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
								 g_free);
	g_autoptr (AmConf) conf = NULL;

	g_hash_table_insert (sysprops, "portOffset", g_strdup_printf ("%d", opt_offset));
	g_hash_table_insert (sysprops, "profile", g_strdup ("gateway-worker"));
	conf = am_conf_load (opt_home, sysprops, am_modules, error);
	if (conf == NULL)
		return FALSE;
	node->server = am_server_new (conf, "gateway-worker", sysprops);
	if (!am_server_start (node->server, error))
		return FALSE;
	node->cache = am_gw_cache_new_full (TRUE, 900, 0);
	node->authsvc = am_gw_authsvc_new (am_server_get_mgmt (node->server),
					   am_server_get_userstore (node->server), node->cache);
	node->loop = g_main_loop_new (NULL, FALSE);
	node->thread = g_thread_new ("node", node_run, node);
	return TRUE;
}

static gboolean
node_stop_in_loop (gpointer data)
{
	Node *node = data;

	am_gw_authsvc_free (node->authsvc);
	am_server_stop (node->server);
	g_main_loop_quit (node->loop);
	return G_SOURCE_REMOVE;
}

static void
node_stop (Node *node)
{
	if (node->thread == NULL)
		return;
	g_main_context_invoke (g_main_loop_get_context (node->loop), node_stop_in_loop, node);
	g_thread_join (node->thread);
	am_server_free (node->server);
	am_gw_cache_free (node->cache);
	g_main_loop_unref (node->loop);
}

static void
on_validated (AmKeyValidationInfo *info, const GError *error, gpointer user_data)
{
	AsyncWait *w = user_data;

	/* the answer comes back on the caller's thread, through its context */
	if (g_thread_self () != w->caller)
		g_printerr ("kv-probe: callback on the wrong thread\n");
	print_result (info, NULL, error);
	am_key_validation_info_free (info);
	g_main_loop_quit (w->loop);
}

int
main (int argc, char **argv)
{
	g_autoptr (GOptionContext) octx = g_option_context_new ("- key validation client");
	g_autoptr (GError) error = NULL;
	g_autoptr (AmGwKeyClient) client = NULL;
	AmApimConf apim = { 0 };
	AmPorts ports = { 0 };
	Node node = { 0 };
	char line[8192];

	g_option_context_add_main_entries (octx, entries, NULL);
	if (!g_option_context_parse (octx, &argc, &argv, &error) || opt_url == NULL) {
		g_printerr ("%s\n", error ? error->message : "--server-url is required");
		return 2;
	}
	apim.kv_server_url = opt_url;
	apim.kv_username = opt_user;
	apim.kv_password = opt_password;
	apim.kv_client_type = strcmp (opt_client, "ws") == 0 ? AM_KV_CLIENT_WS
							      : AM_KV_CLIENT_THRIFT;
	apim.kv_timeout_ms = opt_timeout_ms;
	apim.thrift_server_host = opt_thrift_host;
	ports.thrift_client = opt_thrift_port;
	client = am_gw_keyclient_new (&apim, &ports, &error);
	if (client == NULL) {
		g_printerr ("%s\n", error->message);
		return 1;
	}
	am_gw_keyclient_set_web_context_root (client, opt_root);
	am_gw_keyclient_set_max_threads (client, 2);
	if (opt_home != NULL && !node_start (&node, &error)) {
		g_printerr ("kv-probe: gateway node: %s\n", error->message);
		return 1;
	}
	while (fgets (line, sizeof line, stdin) != NULL) {
		g_auto (GStrv) w = g_strsplit (g_strstrip (line), " ", -1);
		guint n = g_strv_length (w);
		AmKeyValidationRequest req = { 0 };

		g_clear_error (&error);
		if (n == 7 && (strcmp (w[0], "validate") == 0 || strcmp (w[0], "async") == 0 ||
			       strcmp (w[0], "cached") == 0)) {
			req.access_token = w[1];
			req.context = w[2];
			req.version = w[3];
			req.matching_resource = w[4];
			req.http_verb = w[5];
			req.required_auth_level = w[6];
		}
		if (n == 7 && strcmp (w[0], "validate") == 0) {
			g_autoptr (AmKeyValidationInfo) info =
				am_gw_keyclient_validate (client, &req, &error);

			print_result (info, NULL, error);
		} else if (n == 7 && strcmp (w[0], "async") == 0) {
			g_autoptr (GMainContext) ctx = g_main_context_new ();
			g_autoptr (GMainLoop) loop = g_main_loop_new (ctx, FALSE);
			AsyncWait wait = { loop, g_thread_self () };

			g_main_context_push_thread_default (ctx);
			am_gw_keyclient_validate_async (client, &req, ctx, on_validated, &wait);
			/* the request's strings were copied */
			memset (w[1], 'x', strlen (w[1]));
			g_main_loop_run (loop);
			g_main_context_pop_thread_default (ctx);
		} else if (n == 7 && strcmp (w[0], "cached") == 0 && node.cache != NULL) {
			g_autoptr (AmKeyValidationInfo) info = am_gw_cache_lookup (node.cache, &req);
			gboolean hit = info != NULL;

			if (!hit)
				info = am_gw_keyclient_validate (client, &req, &error);
			if (!hit && info != NULL)
				am_gw_cache_store (node.cache, &req, info);
			print_result_full (info, NULL, error, hit);
		} else if (n == 3 && strcmp (w[0], "templates") == 0) {
			g_autoptr (GPtrArray) t =
				am_gw_keyclient_get_uri_templates (client, w[1], w[2], &error);

			print_result (NULL, t, error);
		} else if (n > 0 && w[0][0] != '\0') {
			g_printerr ("kv-probe: unknown command\n");
			return 2;
		}
	}
	node_stop (&node);
	return 0;
}
