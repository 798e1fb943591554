/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway-admin module: APIGatewayAdmin on the management server of a
 * gateway that owns its deployment directory, i.e. the default profile and
 * gateway-manager.  A gateway-worker never writes the directory (in WSO2's
 * distributed setup its synapse-configs is synced from the manager's), so
 * the service is not there.  It deploys into the carbon home's
 * repository/deployment/server/synapse-configs/default.
 */
#define G_LOG_DOMAIN "am.gw"
#include "config.h"

#include "am-gw-admin.h"
#include "am-server.h"

#define GW_ADMIN_SYNAPSE_DIR "repository/deployment/server/synapse-configs/default"

static gpointer
gw_admin_start (AmServer *server, GError **error)
{
	AmMgmt *mgmt = am_server_get_mgmt (server);
	AmUserStore *us = am_server_get_userstore (server);
	g_autofree char *dir = NULL;

	if (mgmt == NULL || us == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
			     "APIGatewayAdmin needs the management server and the user store");
		return NULL;
	}
	dir = g_build_filename (am_conf_carbon_home (am_server_get_conf (server)),
				GW_ADMIN_SYNAPSE_DIR, NULL);
	g_message ("APIGatewayAdmin at %s, deploying to %s", AM_GW_ADMIN_PATH, dir);
	return am_gw_admin_new (mgmt, us, dir);
}

static void
gw_admin_stop (gpointer state)
{
	am_gw_admin_free (state);
}

static const char *const gw_admin_profiles[] = { "gateway-manager", NULL };

const AmModule am_gw_admin_module = {
	.name = "gateway-admin",
	.profiles = gw_admin_profiles,
	.start = gw_admin_start,
	.stop = gw_admin_stop,
};
