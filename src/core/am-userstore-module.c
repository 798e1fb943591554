/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "userstore" core module: opens the Carbon JDBC user store on the
 * datasource user-mgt.xml names and, on first start, creates the admin user
 * and the API-M roles (am_userstore_ensure_admin).
 */
#define G_LOG_DOMAIN "am.core.userstore"
#include "config.h"

#include "am-server.h"
#include "am-userstore.h"


static gpointer
userstore_start (AmServer *server, GError **error)
{
	const AmCoreConf *core = am_conf_core (am_server_get_conf (server));
	AmDb *db = am_server_get_db (server, core->um_datasource);
	g_autoptr (AmUserStore) us = NULL;

	if (db == NULL) {
		g_set_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_FAILED,
			     "user-mgt.xml dataSource '%s' is not a datasource",
			     core->um_datasource);
		return NULL;
	}
	us = am_userstore_new (db, core);
	if (!am_userstore_ensure_admin (us, error))
		return NULL;
	am_server_set_userstore (server, us);
	return g_steal_pointer (&us);
}

static void
userstore_stop (gpointer state)
{
	am_userstore_free (state);
}

const AmModule am_userstore_module = {
	.name = "userstore",
	.start = userstore_start,
	.stop = userstore_stop,
};
