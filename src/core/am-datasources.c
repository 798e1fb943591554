/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "datasources" core module: one AmDb pool per <datasource> of
 * master-datasources.xml, and the schema check of the databases the server
 * uses -- the user store (user-mgt.xml dataSource), the registry
 * (registry.xml, following a /_system/governance mount) and the API-M
 * database (api-manager.xml DataSourceName).
 *
 * Like WSO2 on its embedded H2 default, a SQLite database without tables is
 * given the schema from dbscripts/ on first start.  An external MySQL/MariaDB
 * database is used as the operator created it; with -Dsetup (WSO2's switch)
 * a missing schema is created there too.  A missing schema is otherwise a
 * start-up error that names the script to run.
 */
#define G_LOG_DOMAIN "am.core.datasources"
#include "config.h"

#include "am-server.h"

typedef struct {
	AmServer *server;
	GPtrArray *dbs;	   /* of AmDb */
	GPtrArray *in_use; /* of AmDb, borrowed from dbs */
} AmDatasources;

typedef struct {
	const char *what;   /* for messages */
	const char *jndi;   /* datasource */
	const char *marker; /* a table the script creates */
	const char *script; /* relative to dbscripts/, without the driver suffix */
} SchemaNeed;

static char *
ds_script_path (const char *home, const char *script, AmDbKind kind)
{
	g_autofree char *name = g_strconcat (script, kind == AM_DB_MYSQL ? "mysql.sql" : "sqlite.sql",
					     NULL);
	char *path = g_build_filename (home, "dbscripts", name, NULL);

	if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
		g_free (path);
		path = g_build_filename (AM_DATADIR, "dbscripts", name, NULL);
	}
	return path;
}

static gboolean
ds_ensure_schema (AmServer *server, AmDb *db, const SchemaNeed *need, GError **error)
{
	const char *home = am_conf_carbon_home (am_server_get_conf (server));
	gboolean setup = am_server_get_sysprop (server, "setup") != NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (db, error);
	g_autofree char *path = NULL;
	g_autofree char *script = NULL;

	if (conn == NULL) {
		g_prefix_error (error, "%s (%s): ", am_db_get_name (db), am_db_get_display_url (db));
		return FALSE;
	}
	if (am_db_table_exists (conn, need->marker, error))
		return TRUE;
	if (error != NULL && *error != NULL)
		return FALSE;
	path = ds_script_path (home, need->script, am_db_get_kind (db));
	if (am_db_get_kind (db) == AM_DB_MYSQL && !setup) {
		g_set_error (error, AM_DB_ERROR, AM_DB_ERROR_NO_SCHEMA,
			     "%s (%s) has no %s tables (%s missing): create them with %s, or "
			     "start once with -Dsetup",
			     am_db_get_name (db), am_db_get_display_url (db), need->what,
			     need->marker, path);
		return FALSE;
	}
	if (!g_file_get_contents (path, &script, NULL, error)) {
		g_prefix_error (error, "creating the %s schema: ", need->what);
		return FALSE;
	}
	g_message ("Creating the %s schema in %s from %s", need->what, am_db_get_name (db), path);
	/* defaultAutoCommit=false (WSO2's shipped value) leaves it open */
	if (!am_db_exec_script (conn, script, error) || !am_db_commit (conn, error)) {
		g_prefix_error (error, "%s: %s: ", am_db_get_name (db), path);
		return FALSE;
	}
	return TRUE;
}

static void ds_stop (gpointer state);

static gboolean
ds_check_needs (AmDatasources *self, GError **error)
{
	AmConf *conf = am_server_get_conf (self->server);
	const AmCoreConf *core = am_conf_core (conf);
	SchemaNeed needs[] = {
		{ "user store", core->um_datasource, "UM_USER", "" },
		{ "registry", am_core_conf_registry_datasource (core, "/"), "REG_PATH", "" },
		{ "registry", am_core_conf_registry_datasource (core, "/_system/governance"),
		  "REG_PATH", "" },
		{ "API manager", am_conf_apim (conf)->datasource, "AM_API", "apimgt/" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (needs); i++) {
		AmDb *db;
		if (i == 3 && !am_server_profile_uses_am_db (self->server))
			continue;
		db = am_server_get_db (self->server, needs[i].jndi);
		if (db == NULL) {
			g_set_error (error, AM_DB_ERROR, AM_DB_ERROR_URL,
				     "the %s datasource '%s' is not defined in "
				     "master-datasources.xml",
				     needs[i].what, needs[i].jndi);
			return FALSE;
		}
		if (!ds_ensure_schema (self->server, db, &needs[i], error))
			return FALSE;
		if (!g_ptr_array_find (self->in_use, db, NULL))
			g_ptr_array_add (self->in_use, db);
	}
	return TRUE;
}

static gpointer
ds_start (AmServer *server, GError **error)
{
	AmConf *conf = am_server_get_conf (server);
	const AmCoreConf *core = am_conf_core (conf);
	AmDatasources *self = g_new0 (AmDatasources, 1);

	self->server = server;
	self->dbs = g_ptr_array_new_with_free_func ((GDestroyNotify) am_db_unref);
	self->in_use = g_ptr_array_new ();
	for (guint i = 0; core->datasources != NULL && i < core->datasources->len; i++) {
		const AmDatasourceConf *ds = core->datasources->pdata[i];
		AmDb *db = am_db_new (ds, am_conf_carbon_home (conf), error);
		if (db == NULL) {
			g_prefix_error (error, "datasource %s: ", ds->name);
			ds_stop (self);
			return NULL;
		}
		g_message ("Datasource %s (%s): %s", ds->name,
			   ds->jndi_name ? ds->jndi_name : "no JNDI name", am_db_get_display_url (db));
		g_ptr_array_add (self->dbs, db);
	}
	am_server_set_dbs (server, self->dbs, self->in_use);
	if (!ds_check_needs (self, error)) {
		ds_stop (self);
		return NULL;
	}
	return self;
}

static void
ds_stop (gpointer state)
{
	AmDatasources *self = state;

	if (am_server_get_dbs (self->server) == self->dbs)
		am_server_set_dbs (self->server, NULL, NULL);
	g_ptr_array_unref (self->in_use);
	g_ptr_array_unref (self->dbs);
	g_free (self);
}

const AmModule am_datasources_module = {
	.name = "datasources",
	.start = ds_start,
	.stop = ds_stop,
};
