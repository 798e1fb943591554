/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the unit tests: temporary trees, databases, settings,
 * JSON texts, gateway environments. */
#include "config.h"

#include "am-test-util.h"

#include <glib/gstdio.h>

#include "am-rest.h"

void
am_test_rm_rf (const char *path)
{
	if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
		g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
		const char *name;

		while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
			g_autofree char *child = g_build_filename (path, name, NULL);
			am_test_rm_rf (child);
		}
		g_rmdir (path);
	} else {
		g_unlink (path);
	}
}

static int
test_path_compare (gconstpointer a, gconstpointer b)
{
	return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
am_test_xml_files (const char *dir_path)
{
	g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
	GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
	const char *name;

	g_assert_nonnull (dir);
	while ((name = g_dir_read_name (dir)) != NULL)
		if (g_str_has_suffix (name, ".xml"))
			g_ptr_array_add (files, g_build_filename (dir_path, name, NULL));
	g_ptr_array_sort (files, test_path_compare);
	return files;
}

char *
am_test_schema_text (const char *rel)
{
	g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "dbscripts", rel, NULL);
	char *text = NULL;

	g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
	return text;
}

AmDb *
am_test_sqlite_db (const char *dir, const char *const *schemas)
{
	g_autoptr (GError) error = NULL;
	AmDatasourceConf ds = { 0 };
	g_autoptr (AmDbConn) conn = NULL;
	AmDb *db;

	ds.name = "WSO2AM_DB";
	ds.jndi_name = "jdbc/WSO2AM_DB";
	ds.url = "jdbc:sqlite:am.db";
	ds.max_active = 8;
	ds.max_wait_ms = 10000;
	ds.validation_query = "SELECT 1";
	db = am_db_new (&ds, dir, &error);
	g_assert_no_error (error);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	for (guint i = 0; schemas != NULL && schemas[i] != NULL; i++) {
		g_autofree char *script = am_test_schema_text (schemas[i]);

		g_assert_true (am_db_exec_script (conn, script, &error));
		g_assert_no_error (error);
	}
	g_assert_true (am_db_commit (conn, &error));
	g_assert_no_error (error);
	return db;
}

void
am_test_core_conf (AmCoreConf *core)
{
	core->password_digest = "SHA-256";
	core->store_salted_password = TRUE;
	core->case_insensitive_username = TRUE;
	core->add_admin = TRUE;
	core->admin_user = "admin";
	core->admin_password = "admin";
	core->admin_role = "admin";
	core->everyone_role = "everyone";
	core->username_regex = "^[\\S]{3,30}$";
	core->password_regex = "^[\\S]{5,30}$";
}

char *
am_test_text (JsonNode *node)
{
	g_autoptr (JsonNode) owned = node;

	return am_rest_json_text (owned);
}

JsonNode *
am_test_parse (const char *text)
{
	g_autoptr (JsonParser) p = json_parser_new ();

	g_assert_true (json_parser_load_from_data (p, text, -1, NULL));
	return json_node_copy (json_parser_get_root (p));
}

AmEnvironmentConf *
am_test_env_new (const char *name, int type, const char *endpoints)
{
	AmEnvironmentConf *e = g_new0 (AmEnvironmentConf, 1);

	e->name = g_strdup (name);
	e->type = type;
	e->api_console = TRUE;
	e->server_url = g_strdup ("https://localhost:9443/services/");
	e->gateway_endpoints = g_strsplit (endpoints, ",", -1);
	return e;
}

void
am_test_env_free (gpointer env)
{
	AmEnvironmentConf *e = env;

	g_free (e->name);
	g_free (e->server_url);
	g_strfreev (e->gateway_endpoints);
	g_free (e);
}
