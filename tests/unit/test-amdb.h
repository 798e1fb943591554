/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fresh API-M database for the Store data-layer tests (test-consumer,
 * test-tiers): SQLite in a temporary directory, or a new MariaDB database
 * on the server named by AM_TEST_MYSQL_URL (tests/lib/mariadb.sh), made
 * from dbscripts/ (user store + apimgt) in the 2.6 shape, or in the 2.1
 * shape (no AM_APPLICATION.TOKEN_TYPE, no token hash columns).
 * Header-only: each test binary includes it once.
 */
#pragma once

#include "am-test-util.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

typedef enum {
	AMDB_SQLITE_26,
	AMDB_SQLITE_21,
	AMDB_MYSQL_26,
	AMDB_MYSQL_21,
} AmdbKind;

typedef struct {
	AmdbKind kind;
	char *dir;    /* SQLite: the temporary directory */
	char *dbname; /* MariaDB: the database made for this test */
	AmDb *db;
} Amdb;

static inline gboolean
amdb_is_mysql (AmdbKind kind)
{
	return kind == AMDB_MYSQL_26 || kind == AMDB_MYSQL_21;
}

static inline void
amdb_exec (AmDb *db, const char *script)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (db, &error);

	g_assert_no_error (error);
	g_assert_true (am_db_exec_script (conn, script, &error));
	g_assert_no_error (error);
	g_assert_true (am_db_commit (conn, &error));
	g_assert_no_error (error);
}

static inline AmDb *
amdb_mysql_new (const char *dbname)
{
	const char *url = g_getenv ("AM_TEST_MYSQL_URL");
	g_autoptr (GError) error = NULL;
	g_autofree char *new_url = NULL;
	AmDatasourceConf ds = { 0 };
	const char *slash, *q;
	AmDb *db;

	ds.name = "WSO2AM_DB";
	ds.username = (char *) g_getenv ("AM_TEST_MYSQL_USER");
	ds.password = (char *) g_getenv ("AM_TEST_MYSQL_PASSWORD");
	ds.max_active = 4;
	ds.max_wait_ms = 10000;
	ds.validation_query = "SELECT 1";
	ds.default_auto_commit = FALSE;
	if (dbname == NULL) {
		ds.url = (char *) url;
	} else {
		slash = strstr (url + strlen ("jdbc:mysql://"), "/");
		q = strchr (slash, '?');
		new_url = g_strdup_printf ("%.*s/%s%s", (int) (slash - url), url, dbname,
					   q ? q : "");
		ds.url = new_url;
	}
	db = am_db_new (&ds, "/", &error);
	g_assert_no_error (error);
	return db;
}

/* FALSE (and the test skipped) when @kind needs a MariaDB that is not set. */
static inline gboolean
amdb_setup (Amdb *a, AmdbKind kind)
{
	static int seq;
	gboolean v21 = kind == AMDB_SQLITE_21 || kind == AMDB_MYSQL_21;
	g_autoptr (GError) error = NULL;

	memset (a, 0, sizeof *a);
	a->kind = kind;
	if (amdb_is_mysql (kind)) {
		const char *url = g_getenv ("AM_TEST_MYSQL_URL");
		g_autoptr (AmDb) admin = NULL;
		g_autofree char *create = NULL;
		g_autofree char *um = NULL;
		g_autofree char *am = NULL;

		if (url == NULL || *url == '\0') {
			g_test_skip ("AM_TEST_MYSQL_URL not set: no MariaDB to test against "
				     "(tests/lib/mariadb.sh)");
			return FALSE;
		}
		a->dbname = g_strdup_printf ("amtest_store_%d_%d", (int) getpid (), ++seq);
		admin = amdb_mysql_new (NULL);
		create = g_strdup_printf ("DROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s;\n",
					  a->dbname, a->dbname);
		amdb_exec (admin, create);
		a->db = amdb_mysql_new (a->dbname);
		um = am_test_schema_text ("mysql.sql");
		am = am_test_schema_text ("apimgt/mysql.sql");
		amdb_exec (a->db, um);
		amdb_exec (a->db, am);
	} else {
		const char *const schemas[] = { "sqlite.sql", "apimgt/sqlite.sql", NULL };

		a->dir = g_dir_make_tmp ("apimd-store-XXXXXX", &error);
		g_assert_no_error (error);
		a->db = am_test_sqlite_db (a->dir, schemas);
	}
	if (v21) {
		if (amdb_is_mysql (kind))
			amdb_exec (a->db, "ALTER TABLE AM_APPLICATION DROP COLUMN TOKEN_TYPE;\n"
					  "ALTER TABLE IDN_OAUTH2_ACCESS_TOKEN DROP INDEX IDX_ATH;\n"
					  "ALTER TABLE IDN_OAUTH2_ACCESS_TOKEN DROP COLUMN "
					  "ACCESS_TOKEN_HASH;\n"
					  "ALTER TABLE IDN_OAUTH2_ACCESS_TOKEN DROP COLUMN "
					  "REFRESH_TOKEN_HASH;\n");
		else
			amdb_exec (a->db, "ALTER TABLE AM_APPLICATION DROP COLUMN TOKEN_TYPE;\n"
					  "DROP INDEX IF EXISTS IDX_ATH;\n"
					  "ALTER TABLE IDN_OAUTH2_ACCESS_TOKEN DROP COLUMN "
					  "ACCESS_TOKEN_HASH;\n"
					  "ALTER TABLE IDN_OAUTH2_ACCESS_TOKEN DROP COLUMN "
					  "REFRESH_TOKEN_HASH;\n");
	}
	return TRUE;
}

static inline void
amdb_teardown (Amdb *a)
{
	if (a->dbname != NULL && a->db != NULL) {
		g_autoptr (AmDbConn) conn = am_db_acquire (a->db, NULL);
		g_autofree char *drop = g_strdup_printf ("DROP DATABASE %s;\n", a->dbname);

		if (conn != NULL)
			am_db_exec_script (conn, drop, NULL);
	}
	g_clear_pointer (&a->db, am_db_unref);
	if (a->dir != NULL)
		am_test_rm_rf (a->dir);
	g_free (a->dir);
	g_free (a->dbname);
}

/* One value of a query (text parameters only; NULL for SQL NULL or no
 * row). */
static inline char *
amdb_query1 (AmDb *db, const char *sql, int n_args, ...)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (db, &error);
	g_autoptr (AmDbStmt) st = NULL;
	char *v = NULL;
	va_list ap;

	g_assert_no_error (error);
	st = am_db_prepare (conn, sql, &error);
	g_assert_no_error (error);
	va_start (ap, n_args);
	for (int i = 1; i <= n_args; i++)
		am_db_bind_text (st, i, va_arg (ap, const char *));
	va_end (ap);
	if (am_db_step (st, &error) == AM_DB_STEP_ROW && !am_db_column_is_null (st, 0))
		v = g_strdup (am_db_column_text (st, 0));
	g_assert_no_error (error);
	g_clear_pointer (&st, am_db_stmt_free);
	am_db_rollback (conn, NULL);
	return v;
}

static inline gint64
amdb_count (AmDb *db, const char *sql, int n_args, const char *arg)
{
	g_autofree char *v = n_args > 0 ? amdb_query1 (db, sql, 1, arg) : amdb_query1 (db, sql, 0);

	g_assert_nonnull (v);
	return g_ascii_strtoll (v, NULL, 10);
}
