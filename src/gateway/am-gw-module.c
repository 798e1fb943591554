/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "gateway" module (profiles gateway-worker, gateway-manager, default):
 * the API data plane of a WSO2 2.x gateway on 8280/8243 (+ offset).
 *
 * Start, in order: the synapse-configs deployment
 * (repository/deployment/server/synapse-configs/default, hot deployed), the
 * gateway token cache (CacheConfigurations), the Key Manager client
 * (APIKeyValidator), APIAuthenticationService on the management server
 * (the Key Manager's revocation calls), the HTTP engine (pipeline in
 * am-gw-pipeline.c), GET /metrics on the management server; stop runs in
 * reverse.
 *
 * The gateway's own environment type decides which keys it accepts
 * (wso2-interfaces.md §6.4): the api-manager.xml Environment one of whose
 * GatewayEndpoint URLs has this server's http or https nio port is this
 * gateway; its type= applies (production / sandbox / hybrid).  No such
 * Environment: hybrid.
 *
 * apimd's own optional api-manager.xml elements (not in WSO2's file):
 *   APIGateway/DataPlane/Workers                 engine threads (default: cores)
 *   APIGateway/DataPlane/DeploymentPollInterval  ms between scans of the
 *                                                deployment directory (5000)
 * The access log is repository/logs/http_gw_access.log (combined format
 * plus request id, API, application, upstream and latencies; never
 * credentials).
 */
#define G_LOG_DOMAIN "am.gw"
#include "config.h"

#include "am-gw-gateway.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "am-log.h"
#include "am-mgmt.h"

typedef struct {
	int workers;
	int poll_ms;
} AmGwConf;

#define F AM_CONF_FILE_API_MANAGER
static const AmConfDirective gw_directives[] = {
	{ F, "APIGateway/DataPlane/Workers", AM_CONF_INT, G_STRUCT_OFFSET (AmGwConf, workers), "0", 0,
	  0, 256, NULL },
	{ F, "APIGateway/DataPlane/DeploymentPollInterval", AM_CONF_INT,
	  G_STRUCT_OFFSET (AmGwConf, poll_ms), "5000", 0, 0, 3600000, NULL },
	{ 0 },
};
#undef F

extern const AmModule am_gateway_module;

/* Resource auth schemes are kept this long when the gateway resource cache
 * is off (WSO2 would ask the Key Manager on every request). */
#define GW_SCHEMES_UNCACHED_S 10

static void
gw_find_environment (AmGateway *gw)
{
	const GPtrArray *envs = gw->apim->environments;

	gw->env_type = AM_ENV_HYBRID;
	for (guint i = 0; envs != NULL && i < envs->len; i++) {
		const AmEnvironmentConf *env = g_ptr_array_index (envs, i);

		for (guint j = 0; env->gateway_endpoints != NULL && env->gateway_endpoints[j]; j++) {
			g_autoptr (GUri) u = g_uri_parse (g_strstrip (env->gateway_endpoints[j]),
							 G_URI_FLAGS_NONE, NULL);
			int port = u != NULL ? g_uri_get_port (u) : -1;

			if (port > 0 && (port == gw->ports->nio_http || port == gw->ports->nio_https)) {
				gw->env_type = env->type;
				gw->env_name = g_strdup (env->name);
				return;
			}
		}
	}
}

static const char *
gw_env_type_name (int type)
{
	return type == AM_ENV_PRODUCTION ? "production" : type == AM_ENV_SANDBOX ? "sandbox" : "hybrid";
}

static void
on_metrics (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
	    gpointer data)
{
	g_autofree char *text = NULL;

	if (g_strcmp0 (path, "/metrics") != 0) {
		am_mgmt_respond (msg, 404, "text/plain", "Not Found\n");
		return;
	}
	if (soup_server_message_get_method (msg) != SOUP_METHOD_GET) {
		am_mgmt_respond (msg, 405, "text/plain", "Method Not Allowed\n");
		return;
	}
	text = am_gw_metrics_text (data);
	am_mgmt_respond (msg, 200, "text/plain; version=0.0.4", text);
}

/* Revokes in this process's own Key Manager (the all-in-one profile): its
 * notify component skips this server, so the cache is cleared here.  Runs
 * under the Key Manager's hook lock: only drops entries. */
static void
gw_on_local_revoke (gpointer data, const char *const *tokens)
{
	AmGateway *gw = data;

	for (guint i = 0; tokens[i] != NULL; i++)
		am_gw_cache_invalidate_token (gw->cache, tokens[i]);
}

/* keyManager.hostname and keyManager.port, as SynapsePropertiesHandler
 * takes them from APIKeyValidator/ServerURL (default port 443). */
static void
gw_key_manager_address (AmGateway *gw)
{
	g_autoptr (GUri) u = gw->apim->kv_server_url != NULL
				     ? g_uri_parse (gw->apim->kv_server_url, G_URI_FLAGS_NONE, NULL)
				     : NULL;

	if (u == NULL || g_uri_get_host (u) == NULL)
		return;
	gw->km_hostname = g_strdup (g_uri_get_host (u));
	gw->km_port = g_strdup_printf ("%d", g_uri_get_port (u) > 0 ? g_uri_get_port (u) : 443);
}

static void gw_access_log_reopen (gpointer data);

static void
gw_free (AmGateway *gw)
{
	AmMgmt *mgmt = am_server_get_mgmt (gw->server);

	if (gw->local_km != NULL)
		am_km_remove_revoke_hook (gw->local_km, gw_on_local_revoke, gw);
	if (mgmt != NULL)
		am_mgmt_remove_handler (mgmt, "/metrics");
	g_clear_pointer (&gw->engine, am_http_engine_free);
	g_clear_pointer (&gw->authsvc, am_gw_authsvc_free);
	g_clear_pointer (&gw->keyclient, am_gw_keyclient_free);
	g_clear_pointer (&gw->cache, am_gw_cache_free);
	g_clear_pointer (&gw->deployment, am_gw_deployment_free);
	/* the worker threads are gone: their state is ours now */
	g_ptr_array_unref (gw->workers);
	g_mutex_clear (&gw->workers_lock);
	g_clear_pointer (&gw->endpoints, g_hash_table_unref);
	g_mutex_clear (&gw->ep_lock);
	g_clear_pointer (&gw->hard_windows, g_hash_table_unref);
	g_mutex_clear (&gw->hard_lock);
	if (gw->access_fd >= 0) {
		am_log_remove_reopen_hook (gw_access_log_reopen, gw);
		close (gw->access_fd);
	}
	g_free (gw->env_name);
	g_free (gw->auth_header);
	g_free (gw->km_hostname);
	g_free (gw->km_port);
	g_free (gw->cors_origins);
	g_free (gw->cors_methods);
	g_free (gw->cors_headers);
	am_conf_unref (gw->conf);
	g_free (gw);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmGateway, gw_free)

static gboolean
gw_start_engine (AmGateway *gw, const AmGwConf *gconf, GError **error)
{
	AmHttpListen listen[2] = {
		{ NULL, (guint16) gw->ports->nio_http, FALSE },
		{ NULL, (guint16) gw->ports->nio_https, TRUE },
	};
	AmHttpConfig cfg;
	AmKeystore *trust = am_server_get_truststore (gw->server);
	SSL_CTX *up = NULL;
	gboolean ok;

	am_http_config_init (&cfg);
	/* https backends are verified as Synapse's https sender does: against
	 * carbon.xml's TrustStore (client-truststore.jks, which holds the
	 * Carbon certificate, so the Key Manager behind _TokenAPI_ is trusted)
	 * and the system CAs, with the host name checked */
	if (trust != NULL) {
		up = SSL_CTX_new (TLS_client_method ());
		if (up == NULL || SSL_CTX_set_min_proto_version (up, TLS1_2_VERSION) != 1 ||
		    SSL_CTX_set_default_verify_paths (up) != 1 ||
		    !am_keystore_add_trust_to_ssl_ctx (trust, up, error)) {
			if (error != NULL && *error == NULL)
				g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
					     "cannot set up TLS toward backends");
			SSL_CTX_free (up);
			return FALSE;
		}
		SSL_CTX_set_verify (up, SSL_VERIFY_PEER, NULL);
		cfg.upstream_tls_ctx = up;
	}
	cfg.listen = listen;
	cfg.n_listen = G_N_ELEMENTS (listen);
	cfg.workers = (guint) gconf->workers;
	cfg.keystore = am_server_get_keystore (gw->server);
	cfg.on_done = am_gw_pipeline_done;
	cfg.on_upstream_error = am_gw_pipeline_upstream_error;
	gw->engine = am_http_engine_new (&cfg, am_gw_pipeline_handle, gw);
	SSL_CTX_free (up); /* the engine holds its own reference */
	ok = am_http_engine_start (gw->engine, error);
	if (!ok)
		g_prefix_error (error, "pass-through transports %d/%d: ", gw->ports->nio_http,
				gw->ports->nio_https);
	return ok;
}

static int
gw_access_log_open (AmGateway *gw)
{
	g_autofree char *dir = g_build_filename (am_conf_carbon_home (gw->conf), "repository", "logs",
						 NULL);
	g_autofree char *path = g_build_filename (dir, "http_gw_access.log", NULL);
	int fd;

	g_mkdir_with_parents (dir, 0750);
	fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		g_warning ("%s: %s (no access log)", path, g_strerror (errno));
	return fd;
}

/* SIGUSR1 (logrotate): the new file takes the old descriptor's number with
 * dup2, so workers writing at that moment never see a closed or reused fd. */
static void
gw_access_log_reopen (gpointer data)
{
	AmGateway *gw = data;
	int fd = gw_access_log_open (gw);

	if (fd < 0)
		return;
	if (dup2 (fd, gw->access_fd) < 0)
		g_warning ("access log: cannot reopen: %s", g_strerror (errno));
	else
		fcntl (gw->access_fd, F_SETFD, FD_CLOEXEC); /* dup2 clears it */
	close (fd);
}

static void
gw_open_access_log (AmGateway *gw)
{
	gw->access_fd = gw_access_log_open (gw);
	if (gw->access_fd >= 0)
		am_log_add_reopen_hook (gw_access_log_reopen, gw);
}

static gpointer
gw_start (AmServer *server, GError **error)
{
	AmConf *conf = am_server_get_conf (server);
	const AmGwConf *gconf = am_conf_module (conf, &am_gateway_module);
	g_autoptr (AmGateway) gw = g_new0 (AmGateway, 1);
	g_autofree char *dir = NULL;
	AmMgmt *mgmt = am_server_get_mgmt (server);
	g_autoptr (AmGwSnapshot) snap = NULL;
	const char *root;

	gw->server = server;
	gw->conf = am_conf_ref (conf);
	gw->apim = am_conf_apim (conf);
	gw->ports = am_conf_ports (conf);
	gw->access_fd = -1;
	g_mutex_init (&gw->workers_lock);
	g_mutex_init (&gw->ep_lock);
	g_mutex_init (&gw->hard_lock);
	gw->hard_windows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	gw->endpoints = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	gw->workers = g_ptr_array_new_with_free_func (am_gw_worker_free);
	g_snprintf (gw->id_prefix, sizeof gw->id_prefix, "%08x", g_random_int ());
	gw->auth_header = g_strdup (gw->apim->authorization_header != NULL &&
					    *gw->apim->authorization_header
				    ? gw->apim->authorization_header
				    : "Authorization");
	gw->resource_cache_s = gw->apim->gw_resource_cache && gw->apim->token_cache_expiry > 0
				       ? (guint) gw->apim->token_cache_expiry
				       : GW_SCHEMES_UNCACHED_S;
	if (gw->apim->cors_enabled) {
		gw->cors_origins = g_strjoinv (",", gw->apim->cors_origins);
		gw->cors_methods = gw->apim->cors_methods ? g_strjoinv (",", gw->apim->cors_methods) : NULL;
		gw->cors_headers = gw->apim->cors_headers ? g_strjoinv (",", gw->apim->cors_headers) : NULL;
	}
	gw_find_environment (gw);
	gw_key_manager_address (gw);
	gw_open_access_log (gw);

	dir = g_build_filename (am_conf_carbon_home (conf), "repository", "deployment", "server",
				"synapse-configs", "default", NULL);
	gw->deployment = am_gw_deployment_new (dir, (guint) gconf->poll_ms, AM_GW_DEPLOY_DEFAULT, error);
	if (gw->deployment == NULL)
		return NULL;
	gw->cache = am_gw_cache_new (gw->apim);
	gw->local_km = am_server_get_km (server);
	if (gw->local_km != NULL)
		am_km_add_revoke_hook (gw->local_km, gw_on_local_revoke, gw);
	gw->keyclient = am_gw_keyclient_new (gw->apim, gw->ports, error);
	if (gw->keyclient == NULL) {
		g_prefix_error (error, "APIKeyValidator: ");
		return NULL;
	}
	root = am_conf_core (conf)->web_context_root;
	if (root != NULL)
		am_gw_keyclient_set_web_context_root (gw->keyclient, root);
	if (mgmt != NULL) {
		gw->authsvc = am_gw_authsvc_new (mgmt, am_server_get_userstore (server), gw->cache);
		am_mgmt_add_handler (mgmt, "/metrics", on_metrics, gw, NULL);
	}
	if (!gw_start_engine (gw, gconf, error))
		return NULL;
	snap = am_gw_deployment_snapshot (gw->deployment);
	g_message ("gateway: %s environment%s%s%s, pass-through http %u, https %u, %u API(s)",
		   gw_env_type_name (gw->env_type), gw->env_name ? " '" : "",
		   gw->env_name ? gw->env_name : "", gw->env_name ? "'" : "",
		   am_http_engine_get_port (gw->engine, 0), am_http_engine_get_port (gw->engine, 1),
		   am_gw_snapshot_n_apis (snap));
	return g_steal_pointer (&gw);
}

static void
gw_stop (gpointer state)
{
	gw_free (state);
}

static const char *const gw_profiles[] = { "gateway-worker", "gateway-manager", NULL };

const AmModule am_gateway_module = {
	.name = "gateway",
	.profiles = gw_profiles,
	.directives = gw_directives,
	.conf_size = sizeof (AmGwConf),
	.start = gw_start,
	.stop = gw_stop,
};
