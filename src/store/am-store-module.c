/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "store" module (profiles api-store, api-devportal and default): the
 * Store REST API /api/am/store/v0.11 and the self sign-up service
 * /services/UserRegistrationAdminService on the management server.
 *
 * Configuration: api-manager.xml APIStore/DisplayAllAPIs (2.x code
 * default false: DEPRECATED APIs are not listed).  Tokens are those of the
 * in-process Key Manager (default profile: revocations reach the REST
 * token cache at once) or, in the api-store profile, of a Key Manager
 * reading the same WSO2AM_DB (am_km_new_for_server; no cache then, since
 * a Key Manager in another process cannot report revocations).  The
 * registry datasource is registry.xml's for /_system/governance.
 */
#define G_LOG_DOMAIN "am.store"
#include "config.h"

#include "am-store.h"

#include <stddef.h>

#include "am-core-conf.h"
#include "am-server.h"

typedef struct {
	AmStoreCtx ctx;
	AmKm *km_own;
	AmRest *rest;
	AmStoreSignup *signup;
} Store;

#define F AM_CONF_FILE_API_MANAGER
static const AmConfDirective store_directives[] = {
	{ F, "APIStore/DisplayAllAPIs", AM_CONF_BOOL, G_STRUCT_OFFSET (AmStoreConf, display_all_apis),
	  "false", 0, 0, 0, NULL },
	{ 0 },
};
#undef F

extern const AmModule am_store_module;

static void store_stop (gpointer state);

static gpointer
store_start (AmServer *server, GError **error)
{
	AmConf *conf = am_server_get_conf (server);
	const AmStoreConf *sconf = am_conf_module (conf, &am_store_module);
	AmMgmt *mgmt = am_server_get_mgmt (server);
	Store *st;
	const char *reg_ds;

	if (mgmt == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
			     "the Store needs the management server");
		return NULL;
	}
	st = g_new0 (Store, 1);
	if (sconf != NULL)
		st->ctx.conf = *sconf;
	st->ctx.us = am_server_get_userstore (server);
	st->ctx.km = am_server_get_km (server);
	if (st->ctx.km == NULL) {
		st->ctx.km = st->km_own = am_km_new_for_server (server, error);
		if (st->ctx.km == NULL) {
			store_stop (st);
			return NULL;
		}
	}
	st->ctx.am_db = am_km_get_db (st->ctx.km);
	st->ctx.apim = am_km_get_apim (st->ctx.km);
	reg_ds = am_core_conf_registry_datasource (am_conf_core (conf), "/_system/governance");
	st->ctx.reg_db = reg_ds != NULL ? am_server_get_db (server, reg_ds) : NULL;
	if (st->ctx.reg_db == NULL)
		st->ctx.reg_db = st->ctx.am_db;

	st->rest = am_rest_new (AM_STORE_BASE_PATH, st->ctx.km, am_store_routes, &st->ctx, error);
	if (st->rest == NULL) {
		store_stop (st);
		return NULL;
	}
	if (st->km_own != NULL)
		am_rest_set_cache_ttl (st->rest, 0);
	am_rest_mount (st->rest, am_mgmt_get_soup_server (mgmt));
	if (st->ctx.us != NULL)
		st->signup = am_store_signup_new (mgmt, &st->ctx);
	g_message ("Store REST API at %s%s", AM_STORE_BASE_PATH,
		   st->signup != NULL ? ", self sign-up at /services/UserRegistrationAdminService"
				      : "");
	return st;
}

static void
store_stop (gpointer state)
{
	Store *st = state;

	g_clear_pointer (&st->signup, am_store_signup_free);
	g_clear_pointer (&st->rest, am_rest_free);
	g_clear_pointer (&st->km_own, am_km_free);
	g_free (st);
}

static const char *const store_profiles[] = { "api-store", NULL };

const AmModule am_store_module = {
	.name = "store",
	.profiles = store_profiles,
	.directives = store_directives,
	.conf_size = sizeof (AmStoreConf),
	.start = store_start,
	.stop = store_stop,
};
