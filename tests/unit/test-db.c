/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the database layer (am-db.c and its two drivers).
 *
 * The URL tests need no server.  Every behaviour test runs twice: on SQLite
 * (an H2-style URL under a temporary carbon home) and on MySQL/MariaDB when
 * AM_TEST_MYSQL_URL, AM_TEST_MYSQL_USER and AM_TEST_MYSQL_PASSWORD are set
 * (tests/lib/mariadb.sh start prints them); without them the MySQL half is
 * skipped with a message.  The MySQL half also kills a pooled connection
 * from the server side and checks that the pool recovers.
 */
#include "config.h"

#include "am-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

#include "am-db-private.h"
#include "am-db.h"

typedef struct {
	AmDbKind kind;
} Backend;

static const Backend backend_sqlite = { AM_DB_SQLITE };
static const Backend backend_mysql = { AM_DB_MYSQL };

typedef struct {
	AmDbKind kind;
	char *home; /* temporary carbon home */
	gboolean skip;
} Fixture;

typedef struct {
	int max_active;
	int max_wait_ms;
	gboolean auto_commit;
	gboolean test_on_borrow;
	int validation_interval_ms;
	const char *validation_query;
} DbOpts;

#define DB_OPTS_DEFAULT { 5, 5000, TRUE, FALSE, 30000, "SELECT 1" }

/* ---- fixture ------------------------------------------------------------ */


static void
fx_setup (Fixture *f, gconstpointer data)
{
	const Backend *b = data;

	f->kind = b->kind;
	f->home = g_dir_make_tmp ("test-db-XXXXXX", NULL);
	g_assert_nonnull (f->home);
	/* make check exports the variables empty when they are not set. */
	if (b->kind == AM_DB_MYSQL && g_strcmp0 (g_getenv ("AM_TEST_MYSQL_URL"), "") <= 0) {
		f->skip = TRUE;
		g_test_skip ("MySQL tests need AM_TEST_MYSQL_URL, AM_TEST_MYSQL_USER and "
			     "AM_TEST_MYSQL_PASSWORD (see tests/lib/mariadb.sh)");
	}
}

static void
fx_teardown (Fixture *f, gconstpointer data)
{
	am_test_rm_rf (f->home);
	g_free (f->home);
}

static AmDb *
fx_db (Fixture *f, const DbOpts *o)
{
	g_autoptr (GError) error = NULL;
	AmDatasourceConf ds = {
		.name = (char *) "TEST_DB",
		.max_active = o->max_active,
		.max_wait_ms = o->max_wait_ms,
		.test_on_borrow = o->test_on_borrow,
		.validation_query = (char *) o->validation_query,
		.validation_interval_ms = o->validation_interval_ms,
		.default_auto_commit = o->auto_commit,
	};
	AmDb *db;

	if (f->kind == AM_DB_MYSQL) {
		ds.url = (char *) g_getenv ("AM_TEST_MYSQL_URL");
		ds.username = (char *) g_getenv ("AM_TEST_MYSQL_USER");
		ds.password = (char *) g_getenv ("AM_TEST_MYSQL_PASSWORD");
	} else {
		ds.url = (char *) "jdbc:h2:./repository/database/TEST_DB;DB_CLOSE_ON_EXIT=FALSE";
	}
	db = am_db_new (&ds, f->home, &error);
	g_assert_no_error (error);
	g_assert_cmpint (am_db_get_kind (db), ==, f->kind);
	return db;
}

static AmDb *
fx_db_default (Fixture *f)
{
	DbOpts o = DB_OPTS_DEFAULT;
	return fx_db (f, &o);
}

static void
fx_create_tables (Fixture *f, AmDbConn *conn)
{
	static const char mysql_ddl[] =
		"DROP TABLE IF EXISTS am_test_child;\n"
		"DROP TABLE IF EXISTS am_test_items;\n"
		"CREATE TABLE am_test_items (\n"
		"  ID INTEGER NOT NULL AUTO_INCREMENT,\n"
		"  NAME VARCHAR(200) NOT NULL,\n"
		"  BIG BIGINT,\n"
		"  NOTE MEDIUMTEXT,\n"
		"  CREATED TIMESTAMP NULL DEFAULT NULL,\n"
		"  PRIMARY KEY (ID),\n"
		"  UNIQUE (NAME)\n"
		") ENGINE=InnoDB;\n"
		"CREATE TABLE am_test_child (\n"
		"  ID INTEGER NOT NULL AUTO_INCREMENT,\n"
		"  ITEM_ID INTEGER NOT NULL,\n"
		"  PRIMARY KEY (ID),\n"
		"  FOREIGN KEY (ITEM_ID) REFERENCES am_test_items (ID)\n"
		") ENGINE=InnoDB;\n";
	static const char sqlite_ddl[] =
		"CREATE TABLE am_test_items (\n"
		"  ID INTEGER PRIMARY KEY AUTOINCREMENT,\n"
		"  NAME VARCHAR(200) NOT NULL UNIQUE,\n"
		"  BIG BIGINT,\n"
		"  NOTE TEXT,\n"
		"  CREATED TIMESTAMP\n"
		");\n"
		"CREATE TABLE am_test_child (\n"
		"  ID INTEGER PRIMARY KEY AUTOINCREMENT,\n"
		"  ITEM_ID INTEGER NOT NULL REFERENCES am_test_items (ID)\n"
		");\n";
	g_autoptr (GError) error = NULL;

	am_db_exec_script (conn, f->kind == AM_DB_MYSQL ? mysql_ddl : sqlite_ddl, &error);
	g_assert_no_error (error);
}

/* First column of the first row, as text (NULL for SQL NULL). */
static char *
query_text (AmDbConn *conn, const char *sql, const char *arg)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbStmt) stmt = am_db_prepare (conn, sql, &error);
	char *value;

	g_assert_no_error (error);
	if (arg != NULL)
		am_db_bind_text (stmt, 1, arg);
	g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_ROW);
	g_assert_no_error (error);
	value = g_strdup (am_db_column_text (stmt, 0));
	g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_DONE);
	g_assert_no_error (error);
	return value;
}

static gint64
count_items (AmDbConn *conn)
{
	g_autofree char *n = query_text (conn, "SELECT COUNT(*) FROM am_test_items", NULL);
	return g_ascii_strtoll (n, NULL, 10);
}

static void
insert_item (AmDbConn *conn, const char *name)
{
	g_autoptr (GError) error = NULL;
	gint64 n = am_db_exec (conn, "INSERT INTO am_test_items (NAME) VALUES (?)", &error, 1, name);

	g_assert_no_error (error);
	g_assert_cmpint (n, ==, 1);
}

#define FX_SKIP_IF_NEEDED(f)                                                                       \
	do {                                                                                       \
		if ((f)->skip)                                                                     \
			return;                                                                    \
	} while (0)

/* ---- URLs --------------------------------------------------------------- */

static AmDb *
url_db (const char *url, const char *user, const char *password, GError **error)
{
	AmDatasourceConf ds = {
		.name = (char *) "WSO2AM_DB",
		.url = (char *) url,
		.username = (char *) user,
		.password = (char *) password,
		.max_active = 50,
		.max_wait_ms = 60000,
	};
	return am_db_new (&ds, "/opt/wso2am", error);
}

static void
test_url_h2 (void)
{
	static const struct {
		const char *url;
		const char *path;
	} cases[] = {
		{ "jdbc:h2:./repository/database/WSO2AM_DB;DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=60000",
		  "/opt/wso2am/repository/database/WSO2AM_DB.db" },
		{ "jdbc:h2:repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE",
		  "/opt/wso2am/repository/database/WSO2CARBON_DB.db" },
		{ "jdbc:h2:/var/lib/wso2/WSO2MB_DB", "/var/lib/wso2/WSO2MB_DB.db" },
		{ "jdbc:h2:file:./repository/database/X", "/opt/wso2am/repository/database/X.db" },
		{ "jdbc:sqlite:repository/database/am.sqlite",
		  "/opt/wso2am/repository/database/am.sqlite" },
		{ "jdbc:sqlite:/srv/db/am.db", "/srv/db/am.db" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (GError) error = NULL;
		g_autoptr (AmDb) db = url_db (cases[i].url, "wso2carbon", "wso2carbon", &error);
		g_assert_no_error (error);
		g_assert_cmpint (am_db_get_kind (db), ==, AM_DB_SQLITE);
		g_assert_cmpstr (am_db_get_sqlite_path (db), ==, cases[i].path);
		g_assert_cmpstr (am_db_get_display_url (db), ==, cases[i].url);
		g_assert_cmpstr (am_db_get_name (db), ==, "WSO2AM_DB");
	}
}

static void
test_url_h2_home (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = url_db ("jdbc:h2:~/wso2/AM_DB;MVCC=TRUE", NULL, NULL, &error);
	g_autofree char *want = g_build_filename (g_get_home_dir (), "wso2/AM_DB.db", NULL);
	g_autofree char *canon = g_canonicalize_filename (want, NULL);

	g_assert_no_error (error);
	g_assert_cmpstr (am_db_get_sqlite_path (db), ==, canon);
}

static void
test_url_mysql (void)
{
	static const struct {
		const char *url;
		const char *connect_host;
		guint port;
		const char *database;
		const char *socket;
		const char *display;
	} cases[] = {
		{ "jdbc:mysql://db.example.com/apim", "db.example.com", 3306, "apim", NULL,
		  "jdbc:mysql://db.example.com:3306/apim" },
		{ "jdbc:mysql://localhost:3307/WSO2AM_DB?autoReconnect=true&useSSL=false",
		  "127.0.0.1", 3307, "WSO2AM_DB", NULL,
		  "jdbc:mysql://localhost:3307/WSO2AM_DB?autoReconnect=true&useSSL=false" },
		{ "jdbc:mysql://localhost/am?socket=/tmp/my%20sql/mysqld.sock", "localhost", 3306,
		  "am", "/tmp/my sql/mysqld.sock",
		  "jdbc:mysql://localhost:3306/am?socket=/tmp/my%20sql/mysqld.sock" },
		{ "jdbc:mysql://127.0.0.1:3391/amtest?socket=/tmp/x/mysqld.sock", "127.0.0.1", 3391,
		  "amtest", "/tmp/x/mysqld.sock",
		  "jdbc:mysql://127.0.0.1:3391/amtest?socket=/tmp/x/mysqld.sock" },
		{ "jdbc:mysql://[::1]:3308/am", "::1", 3308, "am", NULL, "jdbc:mysql://[::1]:3308/am" },
		{ "jdbc:mariadb://10.0.0.5:3310/reg", "10.0.0.5", 3310, "reg", NULL,
		  "jdbc:mysql://10.0.0.5:3310/reg" },
		{ "jdbc:mysql://dbhost:3306", "dbhost", 3306, NULL, NULL, "jdbc:mysql://dbhost:3306/" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (GError) error = NULL;
		g_autoptr (AmDb) db = url_db (cases[i].url, "wso2", "wso2pw", &error);
		const AmDbTarget *t;

		g_assert_no_error (error);
		t = am_db_get_target (db);
		g_assert_cmpint (am_db_get_kind (db), ==, AM_DB_MYSQL);
		g_assert_null (am_db_get_sqlite_path (db));
		g_assert_cmpstr (t->connect_host, ==, cases[i].connect_host);
		g_assert_cmpuint (t->port, ==, cases[i].port);
		g_assert_cmpstr (t->database, ==, cases[i].database);
		g_assert_cmpstr (t->socket, ==, cases[i].socket);
		g_assert_cmpstr (t->user, ==, "wso2");
		g_assert_cmpstr (am_db_get_display_url (db), ==, cases[i].display);
	}
}

static void
test_url_mysql_secrets (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db1 = url_db (
		"jdbc:mysql://h:3306/db?user=u&password=s3cret&connectTimeout=2500&socketTimeout=30000"
		"&trustCertificateKeyStorePassword=ts3cret",
		NULL, NULL, &error);
	g_autoptr (AmDb) db2 = NULL;
	g_autoptr (AmDb) db3 = NULL;
	const AmDbTarget *t;

	g_assert_no_error (error);
	t = am_db_get_target (db1);
	g_assert_cmpstr (t->user, ==, "u");
	g_assert_cmpstr (t->password, ==, "s3cret");
	g_assert_cmpuint (t->connect_timeout_s, ==, 3);
	g_assert_cmpuint (t->io_timeout_s, ==, 30);
	g_assert_null (strstr (am_db_get_display_url (db1), "s3cret"));
	g_assert_cmpstr (am_db_get_display_url (db1), ==,
			 "jdbc:mysql://h:3306/db?user=u&connectTimeout=2500&socketTimeout=30000");

	/* User info in the authority; the datasource's own credentials win. */
	db2 = url_db ("jdbc:mysql://joe:pa%3Ass@h2:4000/db", "admin", "adminpw", &error);
	g_assert_no_error (error);
	t = am_db_get_target (db2);
	g_assert_cmpstr (t->user, ==, "admin");
	g_assert_cmpstr (t->password, ==, "adminpw");
	g_assert_cmpstr (am_db_get_display_url (db2), ==, "jdbc:mysql://h2:4000/db");

	db3 = url_db ("jdbc:mysql://joe:pa%3Ass@h2:4000/db", NULL, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (am_db_get_target (db3)->user, ==, "joe");
	g_assert_cmpstr (am_db_get_target (db3)->password, ==, "pa:ss");
	g_assert_null (strstr (am_db_get_display_url (db3), "pa"));
}

static void
test_url_bad (void)
{
	static const char *const bad[] = {
		"",
		"mysql://host/db",
		"jdbc:postgresql://host/db",
		"jdbc:oracle:thin:@localhost:1521/XE",
		"jdbc:mysql://",
		"jdbc:mysql:///db",
		"jdbc:mysql://:3306/db",
		"jdbc:mysql://host:abc/db",
		"jdbc:mysql://host:0/db",
		"jdbc:mysql://host:70000/db",
		"jdbc:mysql://h1:3306,h2:3306/db",
		"jdbc:mysql://[::1/db",
		"jdbc:mysql://host/db?connectTimeout=soon",
		"jdbc:mysql:loadbalance://h1,h2/db",
		"jdbc:h2:",
		"jdbc:h2:;DB_CLOSE_ON_EXIT=FALSE",
		"jdbc:h2:mem:test",
		"jdbc:h2:tcp://localhost/~/test",
		"jdbc:sqlite:",
		"jdbc:sqlite::memory:",
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) none = url_db (NULL, NULL, NULL, &error);

	g_assert_null (none);
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_URL);
	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr (GError) err = NULL;
		g_autoptr (AmDb) db = url_db (bad[i], "u", "topsecret", &err);
		if (db != NULL)
			g_error ("accepted bad URL %s", bad[i]);
		g_assert_error (err, AM_DB_ERROR, AM_DB_ERROR_URL);
		g_assert_null (strstr (err->message, "topsecret"));
	}
}

/* A refused connection is AM_DB_ERROR_CONNECT and never shows the password. */
static void
test_connect_errors (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = url_db ("jdbc:mysql://127.0.0.1:1/nodb?connectTimeout=2000", "apimd",
				      "Pw-9f3c2e", &error);
	g_autoptr (AmDbConn) conn = NULL;
	g_autofree char *blocker = NULL;
	g_autofree char *url = NULL;
	g_autofree char *tmp = g_dir_make_tmp ("test-db-XXXXXX", NULL);
	AmDatasourceConf ds = { .name = (char *) "X", .max_active = 1, .max_wait_ms = 100 };
	AmDbStats st;

	g_assert_no_error (error);
	conn = am_db_acquire (db, &error);
	g_assert_null (conn);
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_CONNECT);
	g_assert_null (strstr (error->message, "Pw-9f3c2e"));
	am_db_get_stats (db, &st);
	g_assert_cmpuint (st.open, ==, 0);
	g_clear_error (&error);
	g_assert_false (am_db_ping (db, &error));
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_CONNECT);
	g_clear_error (&error);

	/* SQLite: the parent "directory" is a regular file. */
	blocker = g_build_filename (tmp, "file", NULL);
	g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
	url = g_strdup_printf ("jdbc:sqlite:%s/sub/am.db", blocker);
	ds.url = url;
	g_clear_pointer (&db, am_db_unref);
	db = am_db_new (&ds, tmp, &error);
	g_assert_no_error (error);
	conn = am_db_acquire (db, &error);
	g_assert_null (conn);
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_CONNECT);
	am_test_rm_rf (tmp);
}

/* ---- statements --------------------------------------------------------- */

static void
test_bind_roundtrip (Fixture *f, gconstpointer data)
{
	static const char nasty[] = "O'Brien \"the\" \\ '; DROP TABLE am_test_items; --";
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autoptr (AmDbStmt) stmt = NULL;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_default (f);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	fx_create_tables (f, conn);

	stmt = am_db_prepare (conn, "INSERT INTO am_test_items (NAME, BIG, NOTE) VALUES (?, ?, ?)",
			      &error);
	g_assert_no_error (error);
	am_db_bind_text (stmt, 1, nasty);
	am_db_bind_int64 (stmt, 2, G_MAXINT64);
	am_db_bind_text (stmt, 3, NULL);
	g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_DONE);
	g_assert_no_error (error);
	g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_DONE);
	g_clear_pointer (&stmt, am_db_stmt_free);

	stmt = am_db_prepare (conn, "INSERT INTO am_test_items (NAME, BIG, NOTE) VALUES (?, ?, ?)",
			      &error);
	am_db_bind_text (stmt, 1, "second");
	am_db_bind_int64 (stmt, 2, G_MININT64);
	am_db_bind_null (stmt, 3);
	g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_DONE);
	g_clear_pointer (&stmt, am_db_stmt_free);

	/* The quotes were data, not SQL: the table is intact and the value
	 * matches itself as a bound parameter. */
	g_assert_true (am_db_table_exists (conn, "am_test_items", &error));
	stmt = am_db_prepare (conn, "SELECT NAME, BIG, NOTE, ID FROM am_test_items WHERE NAME = ?",
			      &error);
	g_assert_no_error (error);
	g_assert_cmpint (am_db_column_count (stmt), ==, 4);
	am_db_bind_text (stmt, 1, nasty);
	g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_ROW);
	g_assert_no_error (error);
	g_assert_cmpstr (am_db_column_text (stmt, 0), ==, nasty);
	g_assert_cmpint (am_db_column_int64 (stmt, 1), ==, G_MAXINT64);
	g_assert_cmpstr (am_db_column_text (stmt, 1), ==, "9223372036854775807");
	g_assert_true (am_db_column_is_null (stmt, 2));
	g_assert_null (am_db_column_text (stmt, 2));
	g_assert_cmpint (am_db_column_int64 (stmt, 2), ==, 0);
	g_assert_false (am_db_column_is_null (stmt, 3));
	g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_DONE);
	g_clear_pointer (&stmt, am_db_stmt_free);

	stmt = am_db_prepare (conn, "SELECT BIG, NOTE FROM am_test_items WHERE NAME = ?", &error);
	am_db_bind_text (stmt, 1, "second");
	g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_ROW);
	g_assert_cmpint (am_db_column_int64 (stmt, 0), ==, G_MININT64);
	g_assert_true (am_db_column_is_null (stmt, 1));
	g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_DONE);
	g_clear_pointer (&stmt, am_db_stmt_free);
	g_assert_cmpint (count_items (conn), ==, 2);

	/* An unknown column is an ordinary failure, not a lost connection. */
	stmt = am_db_prepare (conn, "SELECT NO_SUCH_COLUMN FROM am_test_items", &error);
	g_assert_null (stmt);
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_FAILED);
}

/* Long values (re-fetched on MySQL) and 4-byte UTF-8 (utf8mb4). */
static void
test_long_text (Fixture *f, gconstpointer data)
{
	static const gsize sizes[] = { 10, 100000, 300000, 3, 255, 256 };
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autoptr (AmDbStmt) stmt = NULL;
	g_autoptr (GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
	guint row = 0;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_default (f);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	fx_create_tables (f, conn);
	for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
		GString *s = g_string_new ("h\xc3\xa9llo \xf0\x9f\x98\x80 ");
		g_autofree char *name = g_strdup_printf ("n%u", i);
		while (s->len < sizes[i])
			g_string_append_c (s, 'a' + (s->len % 26));
		g_ptr_array_add (notes, g_string_free (s, FALSE));
		am_db_exec (conn, "INSERT INTO am_test_items (NAME, NOTE) VALUES (?, ?)", &error, 2,
			    name, (const char *) notes->pdata[i]);
		g_assert_no_error (error);
	}
	stmt = am_db_prepare (conn, "SELECT NOTE, NAME FROM am_test_items ORDER BY ID", &error);
	g_assert_no_error (error);
	while (am_db_step (stmt, &error) == AM_DB_STEP_ROW) {
		g_autofree char *name = g_strdup_printf ("n%u", row);
		g_assert_cmpstr (am_db_column_text (stmt, 0), ==, notes->pdata[row]);
		g_assert_cmpstr (am_db_column_text (stmt, 1), ==, name);
		row++;
	}
	g_assert_no_error (error);
	g_assert_cmpuint (row, ==, G_N_ELEMENTS (sizes));
}

static void
test_timestamp (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autoptr (AmDbStmt) stmt = NULL;
	g_autofree char *text = NULL;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_default (f);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	fx_create_tables (f, conn);

	stmt = am_db_prepare (conn, "INSERT INTO am_test_items (NAME, CREATED) VALUES ('t', ?)",
			      &error);
	g_assert_no_error (error);
	am_db_bind_timestamp (stmt, 1, G_GINT64_CONSTANT (1700000000999999));
	g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_DONE);
	g_assert_no_error (error);
	g_clear_pointer (&stmt, am_db_stmt_free);
	text = query_text (conn, "SELECT CREATED FROM am_test_items WHERE NAME = ?", "t");
	g_assert_cmpstr (text, ==, "2023-11-14 22:13:20");
	g_clear_pointer (&text, g_free);

	/* Before the epoch the second is floored, not truncated towards 0. */
	stmt = am_db_prepare (conn, "SELECT ?", &error);
	g_assert_no_error (error);
	am_db_bind_timestamp (stmt, 1, -1);
	g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_ROW);
	g_assert_cmpstr (am_db_column_text (stmt, 0), ==, "1969-12-31 23:59:59");
}

static void
test_changes_and_ids (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autoptr (AmDbStmt) stmt = NULL;
	gint64 n;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_default (f);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	fx_create_tables (f, conn);

	for (int i = 1; i <= 3; i++) {
		g_autofree char *name = g_strdup_printf ("item%d", i);
		stmt = am_db_prepare (conn, "INSERT INTO am_test_items (NAME, BIG) VALUES (?, 7)",
				      &error);
		am_db_bind_text (stmt, 1, name);
		g_assert_cmpint (am_db_step (stmt, &error), ==, AM_DB_STEP_DONE);
		g_assert_no_error (error);
		g_assert_cmpint (am_db_changes (stmt), ==, 1);
		g_assert_cmpint (am_db_last_insert_id (stmt), ==, i);
		g_clear_pointer (&stmt, am_db_stmt_free);
	}
	/* Matched rows count even when the value does not change, on both
	 * drivers (Connector/J's default, useAffectedRows=false). */
	n = am_db_exec (conn, "UPDATE am_test_items SET BIG = 7 WHERE ID <= ?", &error, 1, "2");
	g_assert_no_error (error);
	g_assert_cmpint (n, ==, 2);
	n = am_db_exec (conn, "DELETE FROM am_test_items WHERE NAME = ?", &error, 1, "none");
	g_assert_cmpint (n, ==, 0);
	n = am_db_exec (conn, "DELETE FROM am_test_items", &error, 0);
	g_assert_cmpint (n, ==, 3);
	n = am_db_exec (conn, "DELETE FROM no_such_table", &error, 0);
	g_assert_cmpint (n, ==, -1);
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_FAILED);
}

static void
test_constraints (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autofree char *id = NULL;
	AmDbStats st;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_default (f);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	fx_create_tables (f, conn);
	insert_item (conn, "dup");

	g_assert_cmpint (am_db_exec (conn, "INSERT INTO am_test_items (NAME) VALUES (?)", &error, 1,
				     "dup"),
			 ==, -1);
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_CONSTRAINT);
	g_clear_error (&error);
	am_db_exec (conn, "INSERT INTO am_test_child (ITEM_ID) VALUES (?)", &error, 1, "999");
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_CONSTRAINT);
	g_clear_error (&error);

	id = query_text (conn, "SELECT ID FROM am_test_items WHERE NAME = ?", "dup");
	am_db_exec (conn, "INSERT INTO am_test_child (ITEM_ID) VALUES (?)", &error, 1, id);
	g_assert_no_error (error);
	am_db_exec (conn, "DELETE FROM am_test_items WHERE ID = ?", &error, 1, id);
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_CONSTRAINT);
	g_clear_error (&error);

	/* A constraint error leaves the connection pooled. */
	g_clear_pointer (&conn, am_db_release);
	am_db_get_stats (db, &st);
	g_assert_cmpuint (st.open, ==, 1);
	g_assert_cmpuint (st.idle, ==, 1);
	conn = am_db_acquire (db, &error);
	g_assert_cmpint (count_items (conn), ==, 1);
}

static void
test_transactions (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autoptr (AmDbConn) other = NULL;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_default (f);
	conn = am_db_acquire (db, &error);
	other = am_db_acquire (db, &error);
	g_assert_no_error (error);
	fx_create_tables (f, conn);

	g_assert_true (am_db_begin (conn, &error));
	g_assert_true (am_db_begin (conn, &error)); /* already open: fine */
	insert_item (conn, "rolled-back");
	g_assert_cmpint (count_items (conn), ==, 1);
	g_assert_true (am_db_rollback (conn, &error));
	g_assert_no_error (error);
	g_assert_cmpint (count_items (conn), ==, 0);

	g_assert_true (am_db_begin (conn, &error));
	insert_item (conn, "committed");
	g_assert_true (am_db_commit (conn, &error));
	g_assert_no_error (error);
	g_assert_cmpint (count_items (other), ==, 1);
	/* Outside a transaction commit and rollback do nothing. */
	g_assert_true (am_db_commit (conn, &error));
	g_assert_true (am_db_rollback (conn, &error));

	/* Released inside a transaction: rolled back, not leaked to the next
	 * borrower. */
	g_assert_true (am_db_begin (conn, &error));
	insert_item (conn, "abandoned");
	g_clear_pointer (&conn, am_db_release);
	g_assert_cmpint (count_items (other), ==, 1);
	conn = am_db_acquire (db, &error);
	g_assert_cmpint (count_items (conn), ==, 1);
	insert_item (conn, "autocommitted");
	g_assert_cmpint (count_items (other), ==, 2);
}

/* Fresh tables through an autocommitting pool (*@setup_db, for checking
 * from outside) and a one-connection pool with defaultAutoCommit=false. */
static AmDb *
fx_db_no_autocommit (Fixture *f, AmDb **setup_db)
{
	DbOpts o = DB_OPTS_DEFAULT;
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = NULL;

	*setup_db = fx_db_default (f);
	conn = am_db_acquire (*setup_db, &error);
	g_assert_no_error (error);
	fx_create_tables (f, conn);
	o.auto_commit = FALSE;
	o.max_active = 1;
	return fx_db (f, &o);
}

/* defaultAutoCommit=false: work counts only once committed. */
static void
test_no_autocommit (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDb) setup_db = NULL;
	g_autoptr (AmDbConn) conn = NULL;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_no_autocommit (f, &setup_db);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	insert_item (conn, "uncommitted");
	g_clear_pointer (&conn, am_db_release);
	conn = am_db_acquire (db, &error);
	g_assert_cmpint (count_items (conn), ==, 0);
	insert_item (conn, "committed");
	g_assert_true (am_db_commit (conn, &error));
	g_assert_no_error (error);
	g_clear_pointer (&conn, am_db_release);

	conn = am_db_acquire (setup_db, &error);
	g_assert_cmpint (count_items (conn), ==, 1);
}

static void
test_schema_queries (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) conn = NULL;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_default (f);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	fx_create_tables (f, conn);

	g_assert_true (am_db_table_exists (conn, "am_test_items", &error));
	g_assert_true (am_db_table_exists (conn, "AM_TEST_ITEMS", &error));
	g_assert_false (am_db_table_exists (conn, "AM_TEST_NOPE", &error));
	g_assert_false (am_db_table_exists (conn, "am_test_items' OR '1'='1", &error));
	g_assert_no_error (error);
	g_assert_true (am_db_column_exists (conn, "AM_TEST_ITEMS", "note", &error));
	g_assert_true (am_db_column_exists (conn, "am_test_items", "CREATED", &error));
	g_assert_false (am_db_column_exists (conn, "am_test_items", "UPDATED", &error));
	g_assert_false (am_db_column_exists (conn, "AM_TEST_NOPE", "ID", &error));
	g_assert_no_error (error);
}

static void
test_exec_script (Fixture *f, gconstpointer data)
{
	static const char script[] =
		"-- A schema file the way WSO2 writes them\n"
		"--\n"
		"CREATE TABLE am_test_script (\n"
		"  -- an inline comment line\n"
		"  ID INTEGER NOT NULL,\n"
		"  VAL VARCHAR(50)\n"
		");\n"
		"\n"
		"   ;\n"
		"INSERT INTO am_test_script VALUES (1, 'a;b');\n"
		"INSERT INTO am_test_script VALUES (2,\n"
		"  '--not a comment');   \n"
		"INSERT INTO am_test_script VALUES (3, 'last')\n";
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autofree char *v1 = NULL;
	g_autofree char *v2 = NULL;
	g_autofree char *v3 = NULL;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_default (f);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	g_assert_true (am_db_exec_script (conn, "DROP TABLE IF EXISTS am_test_script;", &error));
	g_assert_true (am_db_exec_script (conn, script, &error));
	g_assert_no_error (error);
	v1 = query_text (conn, "SELECT VAL FROM am_test_script WHERE ID = 1", NULL);
	v2 = query_text (conn, "SELECT VAL FROM am_test_script WHERE ID = 2", NULL);
	v3 = query_text (conn, "SELECT VAL FROM am_test_script WHERE ID = 3", NULL);
	g_assert_cmpstr (v1, ==, "a;b");
	g_assert_cmpstr (v2, ==, "--not a comment");
	g_assert_cmpstr (v3, ==, "last");

	g_assert_false (am_db_exec_script (conn, "CREATE TABLE am_test_script (ID INT);", &error));
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_FAILED);
}

/* ---- the pool ----------------------------------------------------------- */

typedef struct {
	AmDb *db;
	GError *error;
	gboolean got;
	gint64 waited_us;
} Borrower;

static gpointer
borrow_thread (gpointer data)
{
	Borrower *b = data;
	gint64 start = g_get_monotonic_time ();
	AmDbConn *conn = am_db_acquire (b->db, &b->error);

	b->waited_us = g_get_monotonic_time () - start;
	b->got = conn != NULL;
	am_db_release (conn);
	return NULL;
}

static void
test_pool_limit (Fixture *f, gconstpointer data)
{
	DbOpts o = DB_OPTS_DEFAULT;
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) c1 = NULL;
	g_autoptr (AmDbConn) c2 = NULL;
	Borrower b = { 0 };
	GThread *thread;
	AmDbStats st;

	FX_SKIP_IF_NEEDED (f);
	o.max_active = 2;
	o.max_wait_ms = 300;
	db = fx_db (f, &o);
	c1 = am_db_acquire (db, &error);
	c2 = am_db_acquire (db, &error);
	g_assert_no_error (error);
	g_assert_true (c1 != c2);
	am_db_get_stats (db, &st);
	g_assert_cmpuint (st.open, ==, 2);
	g_assert_cmpuint (st.idle, ==, 0);
	g_assert_cmpuint (st.max, ==, 2);

	b.db = db;
	thread = g_thread_new ("borrower", borrow_thread, &b);
	g_thread_join (thread);
	g_assert_false (b.got);
	g_assert_error (b.error, AM_DB_ERROR, AM_DB_ERROR_TIMEOUT);
	g_assert_cmpint (b.waited_us, >=, 280 * 1000);
	g_assert_cmpint (b.waited_us, <, 5 * G_USEC_PER_SEC);
	g_clear_error (&b.error);

	/* Waiting ends as soon as a connection comes back. */
	memset (&b, 0, sizeof (b));
	b.db = db;
	g_clear_pointer (&db, am_db_unref); /* borrowed connections keep it alive */
	b.db = am_db_conn_get_db (c1);
	thread = g_thread_new ("borrower", borrow_thread, &b);
	g_usleep (100 * 1000);
	g_clear_pointer (&c2, am_db_release);
	g_thread_join (thread);
	g_assert_no_error (b.error);
	g_assert_true (b.got);
	am_db_get_stats (am_db_conn_get_db (c1), &st);
	g_assert_cmpuint (st.open, ==, 2);
	g_assert_cmpuint (st.idle, ==, 1);
}

static void
test_pool_reuse (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	AmDbConn *first;
	AmDbConn *again;
	AmDbStats st;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_default (f);
	am_db_get_stats (db, &st);
	g_assert_cmpuint (st.open, ==, 0);
	g_assert_cmpuint (st.max, ==, 5);
	first = am_db_acquire (db, &error);
	g_assert_no_error (error);
	g_assert_true (am_db_conn_get_db (first) == db);
	am_db_release (first);
	again = am_db_acquire (db, &error);
	g_assert_true (again == first); /* the idle one, not a new one */
	am_db_release (again);
	am_db_get_stats (db, &st);
	g_assert_cmpuint (st.open, ==, 1);
	g_assert_cmpuint (st.idle, ==, 1);
	g_assert_cmpuint (st.reconnects, ==, 0);
	g_assert_true (am_db_ping (db, &error));
	g_assert_no_error (error);
}

/* testOnBorrow: a failing validation query replaces the connection, but
 * only once validationInterval has passed. */
static void
test_validation (Fixture *f, gconstpointer data)
{
	DbOpts o = DB_OPTS_DEFAULT;
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) lazy = NULL;
	g_autoptr (AmDb) strict = NULL;
	AmDbStats st;

	FX_SKIP_IF_NEEDED (f);
	o.test_on_borrow = TRUE;
	o.validation_query = "SELECT no_such_thing FROM no_such_table";
	o.validation_interval_ms = 3600 * 1000;
	lazy = fx_db (f, &o);
	o.validation_interval_ms = 0;
	strict = fx_db (f, &o);

	for (int i = 0; i < 3; i++) {
		am_db_release (am_db_acquire (lazy, &error));
		g_assert_no_error (error);
		am_db_release (am_db_acquire (strict, &error));
		g_assert_no_error (error);
	}
	am_db_get_stats (lazy, &st);
	g_assert_cmpuint (st.reconnects, ==, 0);
	am_db_get_stats (strict, &st);
	g_assert_cmpuint (st.reconnects, ==, 2);
	g_assert_cmpuint (st.open, ==, 1);
	g_assert_false (am_db_ping (strict, &error));
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_FAILED);
}

/* ---- off the main loop -------------------------------------------------- */

typedef struct {
	AmDb *db;
	GThread *caller;
	gboolean done;
	char *result;
	GError *error;
	gint data_freed; /* atomic: the last task reference may go on either thread */
} AsyncState;

static gpointer
async_query (AmDb *db, gpointer data, GCancellable *cancellable, GError **error)
{
	AsyncState *s = data;
	g_autoptr (AmDbConn) conn = NULL;

	g_assert_true (g_thread_self () != s->caller);
	g_assert_true (db == s->db);
	conn = am_db_acquire (db, error);
	if (conn == NULL)
		return NULL;
	return query_text (conn, "SELECT ?", "from the pool");
}

static gpointer
async_fail (AmDb *db, gpointer data, GCancellable *cancellable, GError **error)
{
	g_set_error_literal (error, AM_DB_ERROR, AM_DB_ERROR_NO_SCHEMA, "no schema");
	return NULL;
}

static void
on_async_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
	AsyncState *s = user_data;

	g_assert_null (source);
	g_assert_true (g_thread_self () == s->caller);
	s->result = am_db_run_finish (s->db, result, &s->error);
	s->done = TRUE;
}

static void
on_state_free (gpointer data)
{
	g_atomic_int_set (&((AsyncState *) data)->data_freed, TRUE);
}

static void
test_run_async (Fixture *f, gconstpointer data)
{
	g_autoptr (AmDb) db = NULL;
	g_autoptr (GMainContext) ctx = g_main_context_new ();
	g_autoptr (GCancellable) cancellable = g_cancellable_new ();
	AsyncState s = { .caller = g_thread_self () };
	gint64 deadline;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_default (f);
	s.db = db;
	g_main_context_push_thread_default (ctx);

	am_db_run_async (db, async_query, &s, on_state_free, cancellable, on_async_done, &s);
	while (!s.done)
		g_main_context_iteration (ctx, TRUE);
	g_assert_no_error (s.error);
	g_assert_cmpstr (s.result, ==, "from the pool");
	g_clear_pointer (&s.result, g_free);
	deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
	while (!g_atomic_int_get (&s.data_freed)) {
		g_assert_cmpint (g_get_monotonic_time (), <, deadline);
		g_main_context_iteration (ctx, FALSE);
		g_usleep (1000);
	}

	s.done = FALSE;
	am_db_run_async (db, async_fail, NULL, NULL, NULL, on_async_done, &s);
	while (!s.done)
		g_main_context_iteration (ctx, TRUE);
	g_assert_null (s.result);
	g_assert_error (s.error, AM_DB_ERROR, AM_DB_ERROR_NO_SCHEMA);
	g_clear_error (&s.error);

	s.done = FALSE;
	g_cancellable_cancel (cancellable);
	am_db_run_async (db, async_fail, NULL, NULL, cancellable, on_async_done, &s);
	while (!s.done)
		g_main_context_iteration (ctx, TRUE);
	g_assert_error (s.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_clear_error (&s.error);

	g_main_context_pop_thread_default (ctx);
}

/* ---- MySQL only: the server kills our connection ------------------------- */

static gint64
mysql_connection_id (AmDb *db)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (db, &error);
	g_autofree char *id = NULL;

	g_assert_no_error (error);
	id = query_text (conn, "SELECT CONNECTION_ID()", NULL);
	return g_ascii_strtoll (id, NULL, 10);
}

/* KILL from another session, and wait until the server has let go of it. */
static void
mysql_kill (AmDb *admin, gint64 id)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire (admin, &error);
	g_autofree char *kill = g_strdup_printf ("KILL %" G_GINT64_FORMAT ";", id);
	g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);

	g_assert_no_error (error);
	g_assert_true (am_db_exec_script (conn, kill, &error));
	g_assert_no_error (error);
	for (int i = 0; i < 100; i++) {
		g_autofree char *n = query_text (
			conn, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?",
			id_text);
		if (strcmp (n, "0") == 0)
			return;
		g_usleep (50 * 1000);
	}
	g_error ("connection %" G_GINT64_FORMAT " still listed after KILL", id);
}

static void
test_mysql_killed (Fixture *f, gconstpointer data)
{
	DbOpts o = DB_OPTS_DEFAULT;
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) admin = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autofree char *one = NULL;
	gint64 id;
	AmDbStats st;

	FX_SKIP_IF_NEEDED (f);
	admin = fx_db_default (f);
	o.max_active = 1;
	db = fx_db (f, &o);

	/* Without testOnBorrow the first query fails, as a lost connection... */
	id = mysql_connection_id (db);
	mysql_kill (admin, id);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	am_db_exec (conn, "SELECT 1", &error, 0);
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_CONNECT);
	g_clear_error (&error);
	g_clear_pointer (&conn, am_db_release);
	am_db_get_stats (db, &st);
	g_assert_cmpuint (st.open, ==, 0);

	/* ...and the next borrower gets a fresh one. */
	g_assert_cmpint (mysql_connection_id (db), !=, id);
	am_db_get_stats (db, &st);
	g_assert_cmpuint (st.reconnects, ==, 1);
	g_assert_cmpuint (st.open, ==, 1);

	/* With testOnBorrow the caller never sees the dead connection. */
	g_clear_pointer (&db, am_db_unref);
	o.test_on_borrow = TRUE;
	o.validation_interval_ms = 0;
	db = fx_db (f, &o);
	id = mysql_connection_id (db);
	mysql_kill (admin, id);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	one = query_text (conn, "SELECT 1", NULL);
	g_assert_cmpstr (one, ==, "1");
	g_clear_pointer (&conn, am_db_release);
	am_db_get_stats (db, &st);
	g_assert_cmpuint (st.reconnects, ==, 1);
	g_assert_true (am_db_ping (db, &error));
	g_assert_no_error (error);
}

static void
test_mysql_bad_password (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	AmDatasourceConf ds = {
		.name = (char *) "BAD",
		.url = (char *) g_getenv ("AM_TEST_MYSQL_URL"),
		.username = (char *) g_getenv ("AM_TEST_MYSQL_USER"),
		.password = (char *) "Wrong-Pw-4711",
		.max_active = 1,
		.max_wait_ms = 1000,
	};

	FX_SKIP_IF_NEEDED (f);
	db = am_db_new (&ds, f->home, &error);
	g_assert_no_error (error);
	conn = am_db_acquire (db, &error);
	g_assert_null (conn);
	g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_CONNECT);
	g_assert_null (strstr (error->message, "Wrong-Pw-4711"));
	g_test_message ("refused as expected: %s", error->message);
}

/* ---- registration ------------------------------------------------------- */

typedef void (*FxFunc) (Fixture *, gconstpointer);

/* Prepared statements are kept per connection and reused: values and
 * results never leak from one use into the next, a failed statement is not
 * reused, and two live statements with the same text are independent. */
static void
test_stmt_reuse (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	const char *sel = "SELECT NAME, BIG FROM am_test_items WHERE NAME = ?";

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_default (f);
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	fx_create_tables (f, conn);
	insert_item (conn, "a");
	insert_item (conn, "b");
	for (int round = 0; round < 3; round++) {
		g_autoptr (AmDbStmt) s1 = am_db_prepare (conn, sel, &error);
		g_autoptr (AmDbStmt) s2 = am_db_prepare (conn, sel, &error);

		g_assert_no_error (error);
		am_db_bind_text (s1, 1, "a");
		/* s2 left unbound: matches nothing, whatever s1 had bound */
		g_assert_cmpint (am_db_step (s1, &error), ==, AM_DB_STEP_ROW);
		g_assert_cmpstr (am_db_column_text (s1, 0), ==, "a");
		g_assert_cmpint (am_db_step (s2, &error), ==, AM_DB_STEP_DONE);
		/* a half-read result is dropped when the statement goes back */
		g_clear_pointer (&s1, am_db_stmt_free);
		s1 = am_db_prepare (conn, sel, &error);
		am_db_bind_text (s1, 1, "b");
		g_assert_cmpint (am_db_step (s1, &error), ==, AM_DB_STEP_ROW);
		g_assert_cmpstr (am_db_column_text (s1, 0), ==, "b");
		g_assert_cmpint (am_db_step (s1, &error), ==, AM_DB_STEP_DONE);
		g_assert_no_error (error);
	}
	/* a failing statement comes back working the next time */
	for (int round = 0; round < 2; round++) {
		g_autoptr (AmDbStmt) ins = am_db_prepare (conn, "INSERT INTO am_test_items (NAME) VALUES (?)",
							  &error);

		am_db_bind_text (ins, 1, "a"); /* UNIQUE violation */
		g_assert_cmpint (am_db_step (ins, &error), ==, AM_DB_STEP_ERROR);
		g_assert_error (error, AM_DB_ERROR, AM_DB_ERROR_CONSTRAINT);
		g_clear_error (&error);
	}
	insert_item (conn, "c");
	g_assert_cmpint (count_items (conn), ==, 3);
	g_assert_true (am_db_commit (conn, &error));
}

/* A reader borrow autocommits each statement, and the connection goes back
 * to defaultAutoCommit=false afterwards. */
static void
test_reader (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) db = NULL;
	g_autoptr (AmDb) setup_db = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autoptr (AmDbConn) other = NULL;

	FX_SKIP_IF_NEEDED (f);
	db = fx_db_no_autocommit (f, &setup_db);
	conn = am_db_acquire_reader (db, &error);
	g_assert_no_error (error);
	insert_item (conn, "autocommitted");
	/* visible elsewhere at once: no transaction was left open */
	other = am_db_acquire (setup_db, &error);
	g_assert_cmpint (count_items (other), ==, 1);
	g_clear_pointer (&other, am_db_release);
	g_clear_pointer (&conn, am_db_release);

	/* the same pooled connection, borrowed normally: implicit transaction again */
	conn = am_db_acquire (db, &error);
	g_assert_no_error (error);
	insert_item (conn, "rolled back");
	g_clear_pointer (&conn, am_db_release);
	other = am_db_acquire (setup_db, &error);
	g_assert_cmpint (count_items (other), ==, 1);
}

static void
add_both (const char *name, FxFunc func)
{
	g_autofree char *sqlite = g_strdup_printf ("/db/sqlite/%s", name);
	g_autofree char *mysql = g_strdup_printf ("/db/mysql/%s", name);

	g_test_add (sqlite, Fixture, &backend_sqlite, fx_setup, func, fx_teardown);
	g_test_add (mysql, Fixture, &backend_mysql, fx_setup, func, fx_teardown);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/db/url/h2", test_url_h2);
	g_test_add_func ("/db/url/h2-home", test_url_h2_home);
	g_test_add_func ("/db/url/mysql", test_url_mysql);
	g_test_add_func ("/db/url/mysql-secrets", test_url_mysql_secrets);
	g_test_add_func ("/db/url/bad", test_url_bad);
	g_test_add_func ("/db/connect-errors", test_connect_errors);

	add_both ("bind-roundtrip", test_bind_roundtrip);
	add_both ("long-text", test_long_text);
	add_both ("timestamp", test_timestamp);
	add_both ("changes-and-ids", test_changes_and_ids);
	add_both ("constraints", test_constraints);
	add_both ("transactions", test_transactions);
	add_both ("no-autocommit", test_no_autocommit);
	add_both ("reader", test_reader);
	add_both ("stmt-reuse", test_stmt_reuse);
	add_both ("schema-queries", test_schema_queries);
	add_both ("exec-script", test_exec_script);
	add_both ("pool-limit", test_pool_limit);
	add_both ("pool-reuse", test_pool_reuse);
	add_both ("validation", test_validation);
	add_both ("run-async", test_run_async);

	g_test_add ("/db/mysql/killed-connection", Fixture, &backend_mysql, fx_setup,
		    test_mysql_killed, fx_teardown);
	g_test_add ("/db/mysql/bad-password", Fixture, &backend_mysql, fx_setup,
		    test_mysql_bad_password, fx_teardown);

	return g_test_run ();
}
