/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "publisher" module (profiles api-publisher and default): the
 * Publisher REST API /api/am/publisher/v0.11 on the management server.
 *
 * Configuration: the api-manager.xml settings the generated synapse
 * depends on (ThrottlingConfigurations/EnableAdvanceThrottling and
 * CORSConfiguration/Enabled from the shared table, and
 * ExtensionHandlerPosition, read here: "top" puts
 * APIManagerExtensionHandler first; 2.x's code default is the bottom), the
 * gateway environments (APIGateway/Environments) and carbon.xml's
 * TrustStore, which verifies the gateways' admin services.  Tokens are
 * those of the in-process Key Manager (default profile) or, in the
 * api-publisher profile, of a Key Manager reading the same WSO2AM_DB
 * (am_km_new_for_server; no token cache then, since revocations in
 * another process cannot reach it).  The registry datasource is
 * registry.xml's for /_system/governance.
 */
#define G_LOG_DOMAIN "am.publisher"
#include "config.h"

#include "am-publisher.h"

#include <stddef.h>

#include "am-core-conf.h"
#include "am-mgmt.h"
#include "am-server.h"

typedef struct {
	AmPublisherCtx ctx;
	AmKm *km_own;
	AmRest *rest;
} Publisher;

#define F AM_CONF_FILE_API_MANAGER
static const AmConfDirective publisher_directives[] = {
	{ F, "ExtensionHandlerPosition", AM_CONF_STR,
	  G_STRUCT_OFFSET (AmPublisherConf, extension_handler_position), "bottom", 0, 0, 0, NULL },
	{ 0 },
};
#undef F

extern const AmModule am_publisher_module;

static void publisher_stop (gpointer state);

static gpointer
publisher_start (AmServer *server, GError **error)
{
	AmConf *conf = am_server_get_conf (server);
	const AmPublisherConf *pconf = am_conf_module (conf, &am_publisher_module);
	AmMgmt *mgmt = am_server_get_mgmt (server);
	Publisher *pub;
	const char *reg_ds;

	if (mgmt == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
			     "the Publisher needs the management server");
		return NULL;
	}
	pub = g_new0 (Publisher, 1);
	pub->ctx.us = am_server_get_userstore (server);
	pub->ctx.truststore = am_server_get_truststore (server);
	pub->ctx.km = am_server_get_km (server);
	if (pub->ctx.km == NULL) {
		pub->ctx.km = pub->km_own = am_km_new_for_server (server, error);
		if (pub->ctx.km == NULL) {
			publisher_stop (pub);
			return NULL;
		}
	}
	pub->ctx.am_db = am_km_get_db (pub->ctx.km);
	pub->ctx.apim = am_km_get_apim (pub->ctx.km);
	reg_ds = am_core_conf_registry_datasource (am_conf_core (conf), "/_system/governance");
	pub->ctx.reg_db = reg_ds != NULL ? am_server_get_db (server, reg_ds) : NULL;
	if (pub->ctx.reg_db == NULL)
		pub->ctx.reg_db = pub->ctx.am_db;

	am_pub_synapse_options_init (&pub->ctx.synapse);
	if (pub->ctx.apim != NULL) {
		pub->ctx.synapse.advanced_throttling = pub->ctx.apim->advanced_throttling;
		pub->ctx.synapse.global_cors = pub->ctx.apim->cors_enabled;
	}
	pub->ctx.synapse.extension_handler_top =
		pconf != NULL && pconf->extension_handler_position != NULL &&
		g_ascii_strcasecmp (pconf->extension_handler_position, "top") == 0;

	pub->rest = am_rest_new (AM_PUBLISHER_BASE_PATH, pub->ctx.km, am_publisher_routes,
				 &pub->ctx, error);
	if (pub->rest == NULL) {
		publisher_stop (pub);
		return NULL;
	}
	if (pub->km_own != NULL)
		am_rest_set_cache_ttl (pub->rest, 0);
	am_rest_mount (pub->rest, am_mgmt_get_soup_server (mgmt));
	g_message ("Publisher REST API at %s (%u gateway environment%s)", AM_PUBLISHER_BASE_PATH,
		   pub->ctx.apim != NULL && pub->ctx.apim->environments != NULL
			   ? pub->ctx.apim->environments->len
			   : 0,
		   pub->ctx.apim != NULL && pub->ctx.apim->environments != NULL &&
				   pub->ctx.apim->environments->len == 1
			   ? ""
			   : "s");
	return pub;
}

static void
publisher_stop (gpointer state)
{
	Publisher *pub = state;

	g_clear_pointer (&pub->rest, am_rest_free);
	g_clear_pointer (&pub->km_own, am_km_free);
	g_free (pub);
}

static const char *const publisher_profiles[] = { "api-publisher", NULL };

const AmModule am_publisher_module = {
	.name = "publisher",
	.profiles = publisher_profiles,
	.directives = publisher_directives,
	.conf_size = sizeof (AmPublisherConf),
	.start = publisher_start,
	.stop = publisher_stop,
};
