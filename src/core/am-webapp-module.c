/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "publisher-webapp" and "store-webapp" modules: the Publisher UI at
 * https://host:9443/publisher/ (default and api-publisher profiles) and the
 * Store UI at /store/ (default, api-store and api-devportal), served from the
 * carbon home's repository/deployment/server/jaggeryapps/{publisher,store}/
 * where WSO2 2.x kept its Jaggery apps.  Plain HTTP (9763) redirects to the
 * HTTPS port.  The Store's pages may also connect to the gateway endpoints of
 * api-manager.xml's Environments (the API try-out calls the gateway from the
 * browser), so their origins are added to its CSP connect-src.
 *
 * A carbon home without the app directory starts without that UI, with a
 * warning: the REST APIs do not depend on it.
 */
#define G_LOG_DOMAIN "am.core.webapp"
#include "config.h"

#include "am-apim-conf.h"
#include "am-mgmt.h"
#include "am-server.h"
#include "am-webapp.h"

#define WEBAPP_DIR "repository/deployment/server/jaggeryapps"

typedef struct {
	AmMgmt *mgmt;
	AmWebapp *app; /* NULL: directory missing, nothing mounted */
} WebappState;

/* scheme://host:port of every GatewayEndpoint (and GatewayWSEndpoint). */
static GPtrArray *
webapp_gateway_origins (AmConf *conf)
{
	const AmApimConf *apim = am_conf_apim (conf);
	GPtrArray *origins = g_ptr_array_new_with_free_func (g_free);

	for (guint i = 0; apim != NULL && apim->environments != NULL &&
			  i < apim->environments->len;
	     i++) {
		const AmEnvironmentConf *env = apim->environments->pdata[i];
		g_autoptr (GPtrArray) urls = g_ptr_array_new ();

		for (guint j = 0; env->gateway_endpoints != NULL && env->gateway_endpoints[j]; j++)
			g_ptr_array_add (urls, env->gateway_endpoints[j]);
		if (env->ws_endpoint != NULL)
			g_ptr_array_add (urls, env->ws_endpoint);
		for (guint j = 0; j < urls->len; j++) {
			g_autofree char *text = g_strstrip (g_strdup (urls->pdata[j]));
			g_autoptr (GUri) u = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
			g_autofree char *origin = NULL;

			if (u == NULL || g_uri_get_host (u) == NULL)
				continue;
			origin = g_uri_join (G_URI_FLAGS_NONE, g_uri_get_scheme (u), NULL,
					     g_uri_get_host (u), g_uri_get_port (u), "", NULL,
					     NULL);
			if (!g_ptr_array_find_with_equal_func (origins, origin, g_str_equal, NULL))
				g_ptr_array_add (origins, g_steal_pointer (&origin));
		}
	}
	g_ptr_array_add (origins, NULL);
	return origins;
}

static gpointer
webapp_start (AmServer *server, const char *name, gboolean gateway_origins, GError **error)
{
	AmConf *conf = am_server_get_conf (server);
	AmMgmt *mgmt = am_server_get_mgmt (server);
	g_autofree char *root = g_build_filename (am_conf_carbon_home (conf), WEBAPP_DIR, name,
						  NULL);
	g_autofree char *prefix = g_strconcat ("/", name, NULL);
	g_autoptr (GPtrArray) origins = NULL;
	g_autoptr (GError) local = NULL;
	WebappState *st;

	if (mgmt == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
			     "the %s web app needs the management server", name);
		return NULL;
	}
	st = g_new0 (WebappState, 1);
	st->mgmt = mgmt;
	if (gateway_origins)
		origins = webapp_gateway_origins (conf);
	st->app = am_webapp_new (prefix, root,
				 origins != NULL ? (const char *const *) origins->pdata : NULL,
				 &local);
	if (st->app == NULL) {
		g_warning ("%s: %s; %s/ is not served", name, local->message, prefix);
		return st;
	}
	am_webapp_set_https_port (st->app, am_conf_ports (conf)->mgt_https_proxy);
	am_mgmt_add_handler (mgmt, prefix, am_webapp_handle, st->app, NULL);
	g_message ("%s web app at %s/ (from %s)", name, prefix, root);
	return st;
}

static void
webapp_stop (gpointer state)
{
	WebappState *st = state;

	if (st->app != NULL) {
		am_mgmt_remove_handler (st->mgmt, am_webapp_get_prefix (st->app));
		am_webapp_free (st->app);
	}
	g_free (st);
}

static gpointer
publisher_webapp_start (AmServer *server, GError **error)
{
	return webapp_start (server, "publisher", FALSE, error);
}

static gpointer
store_webapp_start (AmServer *server, GError **error)
{
	return webapp_start (server, "store", TRUE, error);
}

static const char *const publisher_webapp_profiles[] = { "api-publisher", NULL };
/* api-devportal is mapped to api-store by am_module_in_profile() */
static const char *const store_webapp_profiles[] = { "api-store", NULL };

const AmModule am_publisher_webapp_module = {
	.name = "publisher-webapp",
	.profiles = publisher_webapp_profiles,
	.start = publisher_webapp_start,
	.stop = webapp_stop,
};

const AmModule am_store_webapp_module = {
	.name = "store-webapp",
	.profiles = store_webapp_profiles,
	.start = store_webapp_start,
	.stop = webapp_stop,
};
