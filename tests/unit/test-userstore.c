/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the Carbon JDBC user store: the password scheme against known
 * vectors, a user row written the way WSO2 writes it, first-start admin
 * creation (idempotent), case-insensitive names, roles, permissions and
 * pattern policies.  Runs on SQLite, and on MariaDB when AM_TEST_MYSQL_URL
 * names a server (tests/run.sh starts one).
 */
#include "config.h"

#include "am-test-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "am-userstore.h"

typedef struct {
	char *dir;
	AmDb *db;
	AmCoreConf core;
	AmUserStore *us;
} Fixture;

static void
test_password_vectors (void)
{
	g_autofree char *a = am_password_hash ("SHA-256", "password", "lq645lAVYahTJadkVmF8FA==");
	g_autofree char *b = am_password_hash ("SHA-256", "admin", "AAAAAAAAAAAAAAAAAAAAAA==");
	g_autofree char *c = am_password_hash ("SHA-256", "  admin ", "AAAAAAAAAAAAAAAAAAAAAA==");
	g_autofree char *plain = am_password_hash ("PLAIN_TEXT", "pw", "salt");
	g_autofree char *salt = am_password_new_salt ();
	g_autofree char *salt2 = am_password_new_salt ();

	g_assert_cmpstr (a, ==, "AaQTU+KK/v4WX+uVd/Sr6vmQYPDbm6l4njw9AGkmgQE=");
	g_assert_cmpstr (b, ==, "esJjDPC9KNCkHSiVZYeYSgODS+k1ZkWy5R3ee6UFcF4=");
	/* Carbon trims a String credential */
	g_assert_cmpstr (c, ==, b);
	g_assert_cmpstr (plain, ==, "pwsalt");
	g_assert_cmpuint (strlen (salt), ==, 24);
	g_assert_cmpstr (salt, !=, salt2);
}

static void
fixture_setup_sqlite (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	const char *const schemas[] = { "sqlite.sql", NULL };

	f->dir = g_dir_make_tmp ("apimd-us-XXXXXX", &error);
	g_assert_no_error (error);
	f->db = am_test_sqlite_db (f->dir, schemas);
	am_test_core_conf (&f->core);
	f->us = am_userstore_new (f->db, &f->core);
}

static void
fixture_setup_mysql (Fixture *f, gconstpointer data)
{
	const char *url = g_getenv ("AM_TEST_MYSQL_URL");
	g_autoptr (GError) error = NULL;
	g_autofree char *dbname = NULL;
	g_autofree char *create = NULL;
	g_autofree char *script = NULL;
	g_autofree char *new_url = NULL;
	AmDatasourceConf ds = { 0 };
	g_autoptr (AmDb) admin = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	const char *slash, *q;

	if (url == NULL || *url == '\0')
		return;
	ds.name = "MYSQL";
	ds.url = (char *) url;
	ds.username = (char *) g_getenv ("AM_TEST_MYSQL_USER");
	ds.password = (char *) g_getenv ("AM_TEST_MYSQL_PASSWORD");
	ds.max_active = 4;
	ds.max_wait_ms = 5000;
	ds.validation_query = "SELECT 1";
	ds.default_auto_commit = FALSE;
	admin = am_db_new (&ds, "/", &error);
	g_assert_no_error (error);
	conn = am_db_acquire (admin, &error);
	g_assert_no_error (error);
	dbname = g_strdup_printf ("amtest_us_%d", (int) getpid ());
	create = g_strdup_printf ("DROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s;\n", dbname,
				  dbname);
	g_assert_true (am_db_exec_script (conn, create, &error));
	g_assert_true (am_db_commit (conn, &error));
	g_assert_no_error (error);
	/* same URL, other database */
	slash = strstr (url + strlen ("jdbc:mysql://"), "/");
	q = strchr (slash, '?');
	new_url = g_strdup_printf ("%.*s/%s%s", (int) (slash - url), url, dbname, q ? q : "");
	ds.url = new_url;
	f->db = am_db_new (&ds, "/", &error);
	g_assert_no_error (error);
	g_clear_pointer (&conn, am_db_release);
	conn = am_db_acquire (f->db, &error);
	g_assert_no_error (error);
	script = am_test_schema_text ("mysql.sql");
	g_assert_true (am_db_exec_script (conn, script, &error));
	g_assert_true (am_db_commit (conn, &error));
	g_assert_no_error (error);
	f->dir = g_steal_pointer (&dbname);
	am_test_core_conf (&f->core);
	f->us = am_userstore_new (f->db, &f->core);
}


static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	gboolean mysql = f->db != NULL && am_db_get_kind (f->db) == AM_DB_MYSQL;

	if (mysql && f->dir != NULL) {
		g_autoptr (AmDbConn) conn = am_db_acquire (f->db, NULL);
		g_autofree char *drop = g_strdup_printf ("DROP DATABASE %s;\n", f->dir);
		if (conn != NULL)
			am_db_exec_script (conn, drop, NULL);
	}
	g_clear_pointer (&f->us, am_userstore_free);
	g_clear_pointer (&f->db, am_db_unref);
	if (!mysql && f->dir != NULL)
		am_test_rm_rf (f->dir);
	g_free (f->dir);
}

static gboolean
skip_if_absent (Fixture *f)
{
	if (f->us == NULL) {
		g_test_skip ("AM_TEST_MYSQL_URL not set: no MariaDB to test against");
		return TRUE;
	}
	return FALSE;
}

static gint64
count (Fixture *f, const char *sql)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (f->db, &error);
	g_autoptr (AmDbStmt) st = NULL;
	gint64 n;

	g_assert_no_error (error);
	st = am_db_prepare (conn, sql, &error);
	g_assert_no_error (error);
	g_assert_cmpint (am_db_step (st, &error), ==, AM_DB_STEP_ROW);
	n = am_db_column_int64 (st, 0);
	am_db_stmt_free (g_steal_pointer (&st));
	am_db_rollback (conn, NULL);
	return n;
}

static void
test_admin_first_start (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_auto (GStrv) roles = NULL;
	gint64 users, hybrid, perms;

	if (skip_if_absent (f))
		return;
	am_userstore_ensure_admin (f->us, &error);
	g_assert_no_error (error);
	users = count (f, "SELECT COUNT(*) FROM UM_USER");
	hybrid = count (f, "SELECT COUNT(*) FROM UM_HYBRID_USER_ROLE");
	perms = count (f, "SELECT COUNT(*) FROM UM_ROLE_PERMISSION");
	/* a second start changes nothing */
	g_assert_true (am_userstore_ensure_admin (f->us, &error));
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM UM_USER"), ==, users);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM UM_HYBRID_USER_ROLE"), ==, hybrid);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM UM_ROLE_PERMISSION"), ==, perms);
	g_assert_cmpint (users, ==, 1);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM UM_USER WHERE UM_TENANT_ID=-1234 AND "
				   "LENGTH(UM_SALT_VALUE)=24 AND LENGTH(UM_USER_PASSWORD)=44"),
			 ==, 1);
	/* Internal roles are stored without their prefix */
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM UM_HYBRID_ROLE WHERE UM_ROLE_NAME IN "
				   "('subscriber','creator','publisher','everyone')"),
			 ==, 4);

	g_assert_true (am_userstore_authenticate (f->us, "admin", "admin", &error));
	g_assert_true (am_userstore_authenticate (f->us, "ADMIN", "admin", &error));
	g_assert_true (am_userstore_authenticate (f->us, "admin@carbon.super", "admin", &error));
	g_assert_no_error (error);
	g_assert_false (am_userstore_authenticate (f->us, "admin", "wrong", &error));
	g_assert_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_AUTH);
	g_clear_error (&error);
	g_assert_false (am_userstore_authenticate (f->us, "nobody", "admin", &error));
	g_assert_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_AUTH);
	g_clear_error (&error);
	g_assert_false (am_userstore_authenticate (f->us, "admin@other.com", "admin", &error));
	g_assert_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_TENANT);
	g_clear_error (&error);

	roles = am_userstore_get_roles (f->us, "Admin", &error);
	g_assert_no_error (error);
	g_assert_true (g_strv_contains ((const char *const *) roles, "admin"));
	g_assert_true (g_strv_contains ((const char *const *) roles, "Internal/subscriber"));
	g_assert_true (g_strv_contains ((const char *const *) roles, "Internal/creator"));
	g_assert_true (g_strv_contains ((const char *const *) roles, "Internal/publisher"));
	g_assert_true (g_strv_contains ((const char *const *) roles, "Internal/everyone"));
}

/* A row exactly as WSO2 2.x writes it (real salt/hash pair of a Carbon seed). */
static void
test_wso2_row (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = NULL;

	if (skip_if_absent (f))
		return;
	conn = am_db_acquire (f->db, &error);
	g_assert_no_error (error);
	g_assert_cmpint (am_db_exec (conn,
				     "INSERT INTO UM_USER (UM_USER_NAME, UM_USER_PASSWORD, "
				     "UM_SALT_VALUE, UM_REQUIRE_CHANGE, UM_CHANGED_TIME, "
				     "UM_TENANT_ID) VALUES (?, ?, ?, 0, '2018-09-04 20:39:00', -1234)",
				     &error, 3, "lpg-ui", "AaQTU+KK/v4WX+uVd/Sr6vmQYPDbm6l4njw9AGkmgQE=",
				     "lq645lAVYahTJadkVmF8FA=="),
			 ==, 1);
	g_assert_no_error (error);
	g_assert_true (am_db_commit (conn, &error));
	g_clear_pointer (&conn, am_db_release);
	g_assert_true (am_userstore_authenticate (f->us, "lpg-ui", "password", &error));
	g_assert_no_error (error);
	g_assert_true (am_userstore_authenticate (f->us, "LPG-UI", "password", &error));
	g_assert_false (am_userstore_authenticate (f->us, "lpg-ui", "Password", &error));
	g_clear_error (&error);
	/* a case-sensitive store does not match other cases -- on SQLite; MySQL's
	 * default collation compares case-insensitively, for WSO2 as for us */
	f->core.case_insensitive_username = FALSE;
	am_userstore_free (f->us);
	f->us = am_userstore_new (f->db, &f->core);
	if (am_db_get_kind (f->db) == AM_DB_SQLITE) {
		g_assert_false (am_userstore_authenticate (f->us, "LPG-UI", "password", &error));
		g_clear_error (&error);
	}
	g_assert_true (am_userstore_authenticate (f->us, "lpg-ui", "password", &error));
}

static void
test_add_user_and_permissions (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_auto (GStrv) roles = NULL;
	const char *const sub[] = { "Internal/subscriber", NULL };
	const char *const bad[] = { "Internal/nosuchrole", NULL };

	if (skip_if_absent (f))
		return;
	g_assert_true (am_userstore_ensure_admin (f->us, &error));
	g_assert_true (am_userstore_add_user (f->us, "alice", "alice-pw1", sub, &error));
	g_assert_no_error (error);
	g_assert_true (am_userstore_user_exists (f->us, "ALICE", &error));
	g_assert_true (am_userstore_authenticate (f->us, "alice", "alice-pw1", &error));
	roles = am_userstore_get_roles (f->us, "alice", &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_strv_length (roles), ==, 2);
	g_assert_true (g_strv_contains ((const char *const *) roles, "Internal/subscriber"));
	g_assert_true (g_strv_contains ((const char *const *) roles, "Internal/everyone"));

	g_assert_false (am_userstore_add_user (f->us, "Alice", "other-pw1", sub, &error));
	g_assert_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_EXISTS);
	g_clear_error (&error);
	g_assert_false (am_userstore_add_user (f->us, "bo", "long-enough", sub, &error));
	g_assert_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_POLICY);
	g_clear_error (&error);
	g_assert_false (am_userstore_add_user (f->us, "bob", "shrt", sub, &error));
	g_assert_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_POLICY);
	g_clear_error (&error);
	/* an unknown role rolls the whole user back */
	g_assert_false (am_userstore_add_user (f->us, "carol", "carol-pw1", bad, &error));
	g_clear_error (&error);
	g_assert_false (am_userstore_user_exists (f->us, "carol", &error));
	g_assert_no_error (error);

	g_assert_true (am_userstore_is_authorized (f->us, "alice",
						   "/permission/admin/manage/api/subscribe", &error));
	g_assert_true (am_userstore_is_authorized (f->us, "alice", "/permission/admin/login",
						   &error));
	g_assert_false (am_userstore_is_authorized (f->us, "alice",
						    "/permission/admin/manage/api/create", &error));
	g_assert_false (am_userstore_is_authorized (f->us, "alice",
						    "/permission/admin/manage/api/subscribers",
						    &error));
	/* admin holds /permission, the whole tree */
	g_assert_true (am_userstore_is_authorized (f->us, "admin",
						   "/permission/admin/manage/api/create", &error));
	g_assert_no_error (error);
}

static void
on_auth_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
	GError **out = user_data;
	gboolean ok = am_userstore_authenticate_finish (NULL, result, out);

	g_assert_true (ok || *out != NULL);
	if (ok)
		*out = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NONE, "ok");
}

static void
test_authenticate_async (Fixture *f, gconstpointer data)
{
	GError *result = NULL;

	if (skip_if_absent (f))
		return;
	g_assert_true (am_userstore_ensure_admin (f->us, NULL));
	am_userstore_authenticate_async (f->us, "admin", "admin", NULL, on_auth_done, &result);
	while (result == NULL)
		g_main_context_iteration (NULL, TRUE);
	g_assert_error (result, G_IO_ERROR, G_IO_ERROR_NONE);
	g_clear_error (&result);
	am_userstore_authenticate_async (f->us, "admin", "nope", NULL, on_auth_done, &result);
	while (result == NULL)
		g_main_context_iteration (NULL, TRUE);
	g_assert_error (result, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_AUTH);
	g_clear_error (&result);
}

#define ADD(name, func)                                                                        \
	do {                                                                                   \
		g_test_add ("/userstore/sqlite/" name, Fixture, NULL, fixture_setup_sqlite, func,  \
			    fixture_teardown);                                                 \
		g_test_add ("/userstore/mysql/" name, Fixture, NULL, fixture_setup_mysql, func,    \
			    fixture_teardown);                                                 \
	} while (0)

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/userstore/password-vectors", test_password_vectors);
	ADD ("admin-first-start", test_admin_first_start);
	ADD ("wso2-row", test_wso2_row);
	ADD ("add-user-and-permissions", test_add_user_and_permissions);
	ADD ("authenticate-async", test_authenticate_async);
	return g_test_run ();
}
