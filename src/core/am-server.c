/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Module orchestration.  Start-up walks am_modules[] in order and starts the
 * ones that belong to the profile; a failure stops what was started, in
 * reverse, so the server never runs half-configured.  Reload (SIGHUP) loads
 * a new snapshot to the side, refuses it when invalid or when a
 * restart-only value changed (naming them), and otherwise hands it to each
 * running module and swaps it in, as NetworkManager does with its config.
 */
#define G_LOG_DOMAIN "am.core.server"
#include "config.h"

#include "am-server.h"

#include <string.h>

typedef struct {
	const AmModule *module;
	gpointer state;
} AmRunning;

struct _AmServer {
	AmConf *conf;
	char *profile;
	GHashTable *sysprops;
	GArray *running; /* of AmRunning, in start order */
	gboolean ready;
	gint64 start_time;

	AmKeystore *keystore;
	AmKeystore *truststore;
	GPtrArray *dbs;
	GPtrArray *dbs_in_use;
	AmUserStore *userstore;
	AmMgmt *mgmt;
	AmKm *km;
};

AmServer *
am_server_new (AmConf *conf, const char *profile, GHashTable *sysprops)
{
	AmServer *self = g_new0 (AmServer, 1);

	self->conf = am_conf_ref (conf);
	self->profile = g_strdup (profile != NULL ? profile : "default");
	self->sysprops = sysprops != NULL ? g_hash_table_ref (sysprops)
					  : g_hash_table_new (g_str_hash, g_str_equal);
	self->running = g_array_new (FALSE, TRUE, sizeof (AmRunning));
	self->start_time = g_get_monotonic_time ();
	return self;
}

void
am_server_free (AmServer *server)
{
	if (server == NULL)
		return;
	am_server_stop (server);
	g_array_unref (server->running);
	g_hash_table_unref (server->sysprops);
	am_conf_unref (server->conf);
	g_free (server->profile);
	g_free (server);
}

gboolean
am_server_start (AmServer *server, GError **error)
{
	for (guint i = 0; am_modules[i] != NULL; i++) {
		const AmModule *m = am_modules[i];
		AmRunning r = { m, NULL };
		g_autoptr (GError) local = NULL;

		if (!am_module_in_profile (m, server->profile))
			continue;
		g_debug ("starting module %s", m->name);
		r.state = m->start (server, &local);
		if (r.state == NULL) {
			g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", m->name);
			am_server_stop (server);
			return FALSE;
		}
		g_array_append_val (server->running, r);
	}
	server->ready = TRUE;
	return TRUE;
}

void
am_server_stop (AmServer *server)
{
	server->ready = FALSE;
	for (guint i = server->running->len; i > 0; i--) {
		AmRunning *r = &g_array_index (server->running, AmRunning, i - 1);
		g_debug ("stopping module %s", r->module->name);
		r->module->stop (r->state);
	}
	g_array_set_size (server->running, 0);
}

gboolean
am_server_reload (AmServer *server, GError **error)
{
	g_autoptr (AmConf) next = NULL;
	g_autoptr (GPtrArray) changed = NULL;

	next = am_conf_load (am_conf_carbon_home (server->conf), server->sysprops, am_modules,
			     error);
	if (next == NULL)
		return FALSE;
	changed = am_conf_restart_changes (server->conf, next);
	if (changed->len > 0) {
		g_autoptr (GString) names = g_string_new (NULL);
		for (guint i = 0; i < changed->len; i++)
			g_string_append_printf (names, "%s%s", i ? "; " : "",
						(char *) changed->pdata[i]);
		g_set_error (error, AM_CONF_ERROR, AM_CONF_ERROR_INVALID,
			     "reload refused, these settings need a restart: %s", names->str);
		return FALSE;
	}
	for (guint i = 0; i < server->running->len; i++) {
		AmRunning *r = &g_array_index (server->running, AmRunning, i);
		if (r->module->reload != NULL && !r->module->reload (r->state, next, error)) {
			g_prefix_error (error, "%s: ", r->module->name);
			return FALSE;
		}
	}
	am_conf_unref (server->conf);
	server->conf = g_steal_pointer (&next);
	return TRUE;
}

AmConf *
am_server_get_conf (AmServer *server)
{
	return server->conf;
}

const char *
am_server_get_profile (AmServer *server)
{
	return server->profile;
}

const char *
am_server_get_sysprop (AmServer *server, const char *name)
{
	return g_hash_table_lookup (server->sysprops, name);
}

gboolean
am_server_is_ready (AmServer *server)
{
	return server->ready;
}

gint64
am_server_get_start_time (AmServer *server)
{
	return server->start_time;
}

void
am_server_set_keystores (AmServer *server, AmKeystore *keystore, AmKeystore *truststore)
{
	server->keystore = keystore;
	server->truststore = truststore;
}

AmKeystore *
am_server_get_keystore (AmServer *server)
{
	return server->keystore;
}

AmKeystore *
am_server_get_truststore (AmServer *server)
{
	return server->truststore;
}

void
am_server_set_dbs (AmServer *server, GPtrArray *dbs, GPtrArray *in_use)
{
	server->dbs = dbs;
	server->dbs_in_use = in_use;
}

GPtrArray *
am_server_get_dbs_in_use (AmServer *server)
{
	return server->dbs_in_use;
}

GPtrArray *
am_server_get_dbs (AmServer *server)
{
	return server->dbs;
}

AmDb *
am_server_get_db (AmServer *server, const char *name)
{
	const AmDatasourceConf *ds;

	if (server->dbs == NULL || name == NULL)
		return NULL;
	ds = am_core_conf_find_datasource (am_conf_core (server->conf), name);
	for (guint i = 0; ds != NULL && i < server->dbs->len; i++) {
		if (g_strcmp0 (am_db_get_name (server->dbs->pdata[i]), ds->name) == 0)
			return server->dbs->pdata[i];
	}
	return NULL;
}

void
am_server_set_userstore (AmServer *server, AmUserStore *userstore)
{
	server->userstore = userstore;
}

AmUserStore *
am_server_get_userstore (AmServer *server)
{
	return server->userstore;
}

void
am_server_set_mgmt (AmServer *server, AmMgmt *mgmt)
{
	server->mgmt = mgmt;
}

AmMgmt *
am_server_get_mgmt (AmServer *server)
{
	return server->mgmt;
}

gboolean
am_server_profile_uses_am_db (AmServer *server)
{
	/* WSO2 documents gateway nodes without the API-M database */
	return g_strcmp0 (server->profile, "gateway-worker") != 0 &&
	       g_strcmp0 (server->profile, "gateway-manager") != 0;
}

void
am_server_set_km (AmServer *server, AmKm *km)
{
	server->km = km;
}

AmKm *
am_server_get_km (AmServer *server)
{
	return server->km;
}
