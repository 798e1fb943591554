/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Carbon registry on REG_* (am-registry): put/get/update/delete of
 * resources and collections, the REG_PATH/REG_RESOURCE rows Carbon's JDBC
 * registry would have, properties linked by version or by path (both read
 * back), tags, associations, UUID lookups and the error cases.  Runs on
 * SQLite, and on MariaDB when AM_TEST_MYSQL_URL is set.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "am-registry.h"
#include "am-test-util.h"

typedef struct {
	char *dir;
	char *mysql_db; /* the database made for this test, MySQL only */
	AmDb *db;
	AmDbConn *conn;
	AmRegistry *reg;
	gboolean skip;
} Fixture;

static gboolean
fixture_mysql (Fixture *f)
{
	const char *url = g_getenv ("AM_TEST_MYSQL_URL");
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) admin = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autofree char *create = NULL;
	g_autofree char *new_url = NULL;
	g_autofree char *script = NULL;
	AmDatasourceConf ds = { 0 };
	const char *slash, *q;
	static int serial;

	if (url == NULL || *url == '\0')
		return FALSE;
	ds.name = "WSO2REG_DB";
	ds.url = (char *) url;
	ds.username = (char *) g_getenv ("AM_TEST_MYSQL_USER");
	ds.password = (char *) g_getenv ("AM_TEST_MYSQL_PASSWORD");
	ds.max_active = 4;
	ds.max_wait_ms = 5000;
	ds.validation_query = "SELECT 1";
	admin = am_db_new (&ds, "/", &error);
	g_assert_no_error (error);
	conn = am_db_acquire (admin, &error);
	g_assert_no_error (error);
	f->mysql_db = g_strdup_printf ("amtest_reg_%d_%d", (int) getpid (), serial++);
	create = g_strdup_printf ("DROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s;\n", f->mysql_db,
				  f->mysql_db);
	g_assert_true (am_db_exec_script (conn, create, &error));
	g_assert_no_error (error);
	am_db_commit (conn, NULL);
	slash = strstr (url + strlen ("jdbc:mysql://"), "/");
	q = strchr (slash, '?');
	new_url = g_strdup_printf ("%.*s/%s%s", (int) (slash - url), url, f->mysql_db, q ? q : "");
	ds.url = new_url;
	f->db = am_db_new (&ds, "/", &error);
	g_assert_no_error (error);
	g_clear_pointer (&conn, am_db_release);
	conn = am_db_acquire (f->db, &error);
	g_assert_no_error (error);
	script = am_test_schema_text ("mysql.sql");
	g_assert_true (am_db_exec_script (conn, script, &error));
	g_assert_no_error (error);
	g_assert_true (am_db_commit (conn, &error));
	return TRUE;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	gboolean mysql = GPOINTER_TO_INT (data) & 1;
	gboolean versioned = !(GPOINTER_TO_INT (data) & 2);
	g_autoptr (GError) error = NULL;

	f->dir = g_dir_make_tmp ("apimd-reg-XXXXXX", &error);
	g_assert_no_error (error);
	if (mysql) {
		if (!fixture_mysql (f)) {
			f->skip = TRUE;
			g_test_skip ("MySQL tests need AM_TEST_MYSQL_URL, AM_TEST_MYSQL_USER and "
				     "AM_TEST_MYSQL_PASSWORD (see tests/lib/mariadb.sh)");
			return;
		}
	} else {
		const char *const schemas[] = { "sqlite.sql", NULL };
		f->db = am_test_sqlite_db (f->dir, schemas);
	}
	f->conn = am_db_acquire (f->db, &error);
	g_assert_no_error (error);
	f->reg = am_registry_new (AM_REGISTRY_SUPER_TENANT_ID, versioned);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	if (f->conn != NULL)
		am_db_rollback (f->conn, NULL);
	if (f->mysql_db != NULL && f->conn != NULL) {
		g_autofree char *drop = g_strdup_printf ("DROP DATABASE %s;\n", f->mysql_db);
		am_db_exec_script (f->conn, drop, NULL);
	}
	g_clear_pointer (&f->conn, am_db_release);
	g_clear_pointer (&f->reg, am_registry_free);
	g_clear_pointer (&f->db, am_db_unref);
	am_test_rm_rf (f->dir);
	g_free (f->dir);
	g_free (f->mysql_db);
}

static gint64
count (Fixture *f, const char *sql, const char *arg)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbStmt) st = am_db_prepare (f->conn, sql, &error);

	g_assert_no_error (error);
	if (arg != NULL)
		am_db_bind_text (st, 1, arg);
	g_assert_cmpint (am_db_step (st, &error), ==, AM_DB_STEP_ROW);
	return am_db_column_int64 (st, 0);
}

static AmRegResource *
put_text (Fixture *f, const char *path, const char *media, const char *content)
{
	g_autoptr (GError) error = NULL;
	AmRegResource *res = am_reg_resource_new ();

	res->media_type = g_strdup (media);
	res->content = g_strdup (content);
	g_assert_true (am_registry_put (f->reg, f->conn, path, res, "admin", &error));
	g_assert_no_error (error);
	g_assert_true (am_db_commit (f->conn, &error));
	return res;
}

#define GOV "/_system/governance/apimgt/applicationdata/provider"

static void
test_put_get (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmRegResource) res = NULL;
	g_autoptr (AmRegResource) got = NULL;
	g_autoptr (AmRegResource) col = NULL;
	gint64 before = g_get_real_time () / 1000 - 2000;

	if (f->skip)
		return;
	res = am_reg_resource_new ();
	res->media_type = g_strdup ("application/json");
	res->content = g_strdup ("{\"a\": \"\xc3\xa9\"}");
	am_reg_resource_set_property (res, "color", "red");
	am_reg_resource_add_property_value (res, "multi", "one");
	am_reg_resource_add_property_value (res, "multi", "two");
	g_assert_true (am_registry_put (f->reg, f->conn, GOV "/admin/A/1.0/swagger.json", res,
					"admin", &error));
	g_assert_no_error (error);
	g_assert_true (am_db_commit (f->conn, &error));
	g_assert_nonnull (res->uuid);
	g_assert_cmpint (res->version, >, 0);

	got = am_registry_get (f->reg, f->conn, GOV "/admin/A/1.0/swagger.json", &error);
	g_assert_no_error (error);
	g_assert_false (got->is_collection);
	g_assert_cmpstr (got->content, ==, res->content);
	g_assert_cmpstr (got->media_type, ==, "application/json");
	g_assert_cmpstr (got->uuid, ==, res->uuid);
	g_assert_cmpstr (got->creator, ==, "admin");
	g_assert_cmpstr (got->last_updater, ==, "admin");
	g_assert_cmpint (got->created_ms, >=, before);
	g_assert_cmpstr (am_reg_resource_get_property (got, "color"), ==, "red");
	{
		GPtrArray *multi = g_hash_table_lookup (got->properties, "multi");
		g_assert_nonnull (multi);
		g_assert_cmpuint (multi->len, ==, 2);
		g_assert_cmpstr (multi->pdata[0], ==, "one");
		g_assert_cmpstr (multi->pdata[1], ==, "two");
	}

	/* every ancestor is a collection: a REG_PATH row with its parent's id
	 * and a REG_RESOURCE row with REG_NAME NULL, as Carbon adds them */
	col = am_registry_get (f->reg, f->conn, GOV "/admin/A", &error);
	g_assert_no_error (error);
	g_assert_true (col->is_collection);
	g_assert_null (col->content);
	g_assert_nonnull (col->uuid);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM REG_PATH C, REG_PATH P WHERE "
				"C.REG_PATH_VALUE = ? AND P.REG_PATH_ID = C.REG_PATH_PARENT_ID AND "
				"P.REG_PATH_VALUE = '" GOV "/admin' AND C.REG_TENANT_ID = -1234",
				GOV "/admin/A"),
			 ==, 1);
	g_assert_cmpint (count (f,
				"SELECT REG_PATH_PARENT_ID FROM REG_PATH WHERE REG_PATH_VALUE = ?",
				"/"),
			 ==, -1);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_RESOURCE WHERE REG_NAME IS NULL", NULL),
			 ==, 9); /* / _system governance apimgt applicationdata provider admin A 1.0 */
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM REG_RESOURCE R, REG_PATH P WHERE "
				"R.REG_NAME = 'swagger.json' AND P.REG_PATH_ID = R.REG_PATH_ID AND "
				"P.REG_PATH_VALUE = ? AND R.REG_TENANT_ID = -1234",
				GOV "/admin/A/1.0"),
			 ==, 1);
	/* one REG_PROPERTY row per value */
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_PROPERTY WHERE REG_NAME = ?", "multi"),
			 ==, 2);
}

static void
test_uuid_update (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmRegResource) res = NULL;
	g_autoptr (AmRegResource) got = NULL;
	g_autofree char *path = NULL;
	g_autofree char *uuid = NULL;

	if (f->skip)
		return;
	res = put_text (f, "/x/y/r.txt", "text/plain", "one");
	am_reg_resource_set_property (res, "keep", "no");
	uuid = g_strdup (res->uuid);
	g_free (res->content);
	res->content = g_strdup ("two");
	g_clear_pointer (&res->uuid, g_free);
	g_hash_table_remove_all (res->properties);
	am_reg_resource_set_property (res, "p", "v2");
	g_assert_true (am_registry_put (f->reg, f->conn, "/x/y/r.txt", res, "bob", &error));
	g_assert_no_error (error);
	g_assert_true (am_db_commit (f->conn, &error));
	/* an update keeps the UUID, REG_VERSION row and creator */
	g_assert_cmpstr (res->uuid, ==, uuid);
	got = am_registry_get_by_uuid (f->reg, f->conn, uuid, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (got->path, ==, "/x/y/r.txt");
	g_assert_cmpstr (got->content, ==, "two");
	g_assert_cmpstr (got->creator, ==, "admin");
	g_assert_cmpstr (got->last_updater, ==, "bob");
	g_assert_cmpstr (am_reg_resource_get_property (got, "p"), ==, "v2");
	g_assert_null (am_reg_resource_get_property (got, "keep"));
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_RESOURCE WHERE REG_NAME = ?", "r.txt"),
			 ==, 1);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_CONTENT", NULL), ==, 1);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_PROPERTY", NULL), ==, 1);
	path = am_registry_path_for_uuid (f->reg, f->conn, "no-such-uuid", &error);
	g_assert_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND);
	g_assert_null (path);
}

static void
test_children_delete (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) kids = NULL;
	g_autoptr (AmRegResource) r1 = NULL;
	g_autoptr (AmRegResource) r2 = NULL;
	g_autoptr (AmRegResource) r3 = NULL;
	gboolean exists = TRUE;
	const char *const tags[] = { "pizza", "food", "pizza", NULL };
	g_auto (GStrv) got_tags = NULL;

	if (f->skip)
		return;
	r1 = put_text (f, "/c/b.txt", "text/plain", "b");
	r2 = put_text (f, "/c/a.txt", "text/plain", "a");
	r3 = put_text (f, "/c/sub/z.txt", "text/plain", "z");
	g_assert_true (am_registry_create_collection (f->reg, f->conn, "/c/empty", "admin", &error));
	g_assert_true (am_registry_set_tags (f->reg, f->conn, "/c/a.txt", tags, "admin", &error));
	g_assert_true (am_registry_add_association (f->reg, f->conn, "/c", "/c/a.txt", "provides",
						    &error));
	g_assert_no_error (error);
	g_assert_true (am_db_commit (f->conn, &error));
	got_tags = am_registry_get_tags (f->reg, f->conn, "/c/a.txt", &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_strv_length (got_tags), ==, 2);
	g_assert_cmpstr (got_tags[0], ==, "food");
	g_assert_cmpstr (got_tags[1], ==, "pizza");

	/* resources first, then collections, each sorted (Carbon's order) */
	kids = am_registry_get_children (f->reg, f->conn, "/c", &error);
	g_assert_no_error (error);
	g_assert_cmpuint (kids->len, ==, 4);
	g_assert_cmpstr (kids->pdata[0], ==, "/c/a.txt");
	g_assert_cmpstr (kids->pdata[1], ==, "/c/b.txt");
	g_assert_cmpstr (kids->pdata[2], ==, "/c/empty");
	g_assert_cmpstr (kids->pdata[3], ==, "/c/sub");
	g_clear_pointer (&kids, g_ptr_array_unref);
	kids = am_registry_find_by_media_type (f->reg, f->conn, "text/plain", "/c/sub", &error);
	g_assert_no_error (error);
	g_assert_cmpuint (kids->len, ==, 1);
	g_assert_cmpstr (kids->pdata[0], ==, "/c/sub/z.txt");
	g_clear_pointer (&kids, g_ptr_array_unref);

	g_assert_true (am_registry_remove_associations (f->reg, f->conn, "/c/a.txt", &error));
	g_assert_true (am_registry_delete (f->reg, f->conn, "/c", &error));
	g_assert_no_error (error);
	g_assert_true (am_db_commit (f->conn, &error));
	g_assert_true (am_registry_exists (f->reg, f->conn, "/c/sub/z.txt", &exists, &error));
	g_assert_false (exists);
	g_assert_true (am_registry_exists (f->reg, f->conn, "/c", &exists, &error));
	g_assert_false (exists);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_CONTENT", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_TAG", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_RESOURCE_TAG", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_ASSOCIATION", NULL), ==, 0);
	/* the root collection is still there */
	g_assert_true (am_registry_exists (f->reg, f->conn, "/", &exists, &error));
	g_assert_true (exists);
}

/* Properties written with one link kind read back through the other
 * registry setting: an existing database reads the same either way. */
static void
test_link_kinds (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmRegResource) res = NULL;
	g_autoptr (AmRegResource) got = NULL;
	g_autoptr (AmRegistry) other = NULL;
	gboolean versioned = !(GPOINTER_TO_INT (data) & 2);
	const char *const vals[] = { "a", "b", NULL };

	if (f->skip)
		return;
	res = am_reg_resource_new ();
	res->content = g_strdup ("x");
	am_reg_resource_set_property (res, "k", "v");
	g_assert_true (am_registry_put (f->reg, f->conn, "/l/r", res, "admin", &error));
	g_assert_true (am_registry_set_property (f->reg, f->conn, "/l/r", "n", vals, &error));
	g_assert_no_error (error);
	g_assert_true (am_db_commit (f->conn, &error));
	g_assert_cmpint (count (f,
				versioned ? "SELECT COUNT(*) FROM REG_RESOURCE_PROPERTY WHERE "
					    "REG_VERSION IS NOT NULL AND REG_PATH_ID IS NULL"
					  : "SELECT COUNT(*) FROM REG_RESOURCE_PROPERTY WHERE "
					    "REG_VERSION IS NULL AND REG_RESOURCE_NAME = 'r'",
				NULL),
			 ==, 3);
	other = am_registry_new (AM_REGISTRY_SUPER_TENANT_ID, !versioned);
	got = am_registry_get (other, f->conn, "/l/r", &error);
	g_assert_no_error (error);
	g_assert_cmpstr (am_reg_resource_get_property (got, "k"), ==, "v");
	g_assert_cmpuint (((GPtrArray *) g_hash_table_lookup (got->properties, "n"))->len, ==, 2);
	/* removing one property leaves the other */
	g_assert_true (am_registry_set_property (other, f->conn, "/l/r", "n", NULL, &error));
	g_assert_no_error (error);
	g_assert_true (am_db_commit (f->conn, &error));
	g_clear_pointer (&got, am_reg_resource_free);
	got = am_registry_get (f->reg, f->conn, "/l/r", &error);
	g_assert_null (am_reg_resource_get_property (got, "n"));
	g_assert_cmpstr (am_reg_resource_get_property (got, "k"), ==, "v");
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_PROPERTY", NULL), ==, 1);
}

static void
test_errors (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmRegResource) res = NULL;
	g_autoptr (AmRegResource) r2 = NULL;
	g_autoptr (AmRegistry) tenant = NULL;
	const char *const bad[] = { "rel/path", "/a//b", "/a/", "/a/../b", "/a/.", "", NULL };

	if (f->skip)
		return;
	for (guint i = 0; bad[i] != NULL; i++) {
		g_autoptr (AmRegResource) r = am_registry_get (f->reg, f->conn, bad[i], &error);
		g_assert_null (r);
		g_assert_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_INVALID_PATH);
		g_clear_error (&error);
	}
	res = am_registry_get (f->reg, f->conn, "/nothing", &error);
	g_assert_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND);
	g_clear_error (&error);
	g_assert_false (am_registry_delete (f->reg, f->conn, "/nothing", &error));
	g_assert_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND);
	g_clear_error (&error);

	/* a resource cannot be a parent; a collection cannot be overwritten by a resource */
	r2 = put_text (f, "/f/file", "text/plain", "x");
	res = am_reg_resource_new ();
	res->content = g_strdup ("y");
	g_assert_false (am_registry_put (f->reg, f->conn, "/f/file/child", res, "admin", &error));
	g_assert_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_COLLECTION);
	g_clear_error (&error);
	am_db_rollback (f->conn, NULL);
	g_assert_false (am_registry_put (f->reg, f->conn, "/f", res, "admin", &error));
	g_assert_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_EXISTS);
	g_clear_error (&error);
	am_db_rollback (f->conn, NULL);

	/* another tenant sees none of carbon.super's rows */
	tenant = am_registry_new (1, TRUE);
	g_clear_pointer (&res, am_reg_resource_free);
	res = am_registry_get (tenant, f->conn, "/f/file", &error);
	g_assert_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND);
}

int
main (int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn) (Fixture *, gconstpointer);
	} tests[] = {
		{ "put-get", test_put_get },	       { "uuid-update", test_uuid_update },
		{ "children-delete", test_children_delete }, { "link-kinds", test_link_kinds },
		{ "errors", test_errors },
	};
	static const char *const variants[] = { "sqlite", "mysql", "sqlite-unversioned",
						"mysql-unversioned" };

	g_test_init (&argc, &argv, NULL);
	for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
		for (guint i = 0; i < G_N_ELEMENTS (tests); i++) {
			g_autofree char *path = g_strdup_printf ("/registry/%s/%s", variants[v],
								 tests[i].name);
			g_test_add (path, Fixture, GINT_TO_POINTER (v), fixture_setup, tests[i].fn,
				    fixture_teardown);
		}
	return g_test_run ();
}
