/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite driver: what the embedded H2 databases of a stock WSO2 API-M
 * (jdbc:h2:./repository/database/WSO2AM_DB) become, one file per datasource.
 *
 * Each pooled connection is its own sqlite3 handle in multi-thread mode
 * (SQLITE_OPEN_NOMUTEX: the pool lends a connection to one thread at a
 * time).  Files use WAL so readers do not block the writer, foreign keys
 * are enforced as H2 and InnoDB enforce them, and lock waits last up to
 * maxWait.  Transactions start with BEGIN IMMEDIATE: a deferred BEGIN that
 * later needs the write lock can fail at once with SQLITE_BUSY instead of
 * waiting, which H2 users never had to handle.  Read-only work borrows
 * reader connections (am_db_acquire_reader), whose statements run on their
 * own (WAL gives each a snapshot), so readers never queue for the write
 * lock.
 */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>

#include "am-db-private.h"

typedef struct {
	sqlite3 *db;
	sqlite3_stmt *stmt;
	gint64 changes;
} SqliteStmt;

static void
sqlite_set_error (GError **error, sqlite3 *db, int rc, const char *what)
{
	int code = (rc & 0xff) == SQLITE_CONSTRAINT ? AM_DB_ERROR_CONSTRAINT : AM_DB_ERROR_FAILED;

	g_set_error (error, AM_DB_ERROR, code, "%s: %s", what,
		     db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
}

static gboolean
sqlite_exec (sqlite3 *db, const char *sql, const char *what, GError **error)
{
	char *msg = NULL;
	int rc = sqlite3_exec (db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		int code = (rc & 0xff) == SQLITE_CONSTRAINT ? AM_DB_ERROR_CONSTRAINT
							    : AM_DB_ERROR_FAILED;
		g_set_error (error, AM_DB_ERROR, code, "%s: %s", what,
			     msg != NULL ? msg : sqlite3_errstr (rc));
		sqlite3_free (msg);
		return FALSE;
	}
	return TRUE;
}

/* SQLite counts every allocation under one process-wide mutex unless told
 * not to; with many connection threads that mutex is the busiest lock of
 * the server.  Must run before the library initialises (first open). */
static void
sqlite_configure_once (void)
{
	static gsize done = 0;

	if (g_once_init_enter (&done)) {
		sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
		g_once_init_leave (&done, 1);
	}
}

static gpointer
sqlite_open (const AmDbTarget *target, GError **error)
{
	g_autofree char *dir = g_path_get_dirname (target->path);
	g_autoptr (GError) local = NULL;
	sqlite3 *db = NULL;
	int rc;

	sqlite_configure_once ();

	if (g_mkdir_with_parents (dir, 0750) != 0) {
		int errsv = errno;
		g_set_error (error, AM_DB_ERROR, AM_DB_ERROR_CONNECT, "cannot create %s: %s", dir,
			     g_strerror (errsv));
		return NULL;
	}
	rc = sqlite3_open_v2 (target->path, &db,
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			      NULL);
	if (rc != SQLITE_OK) {
		g_set_error (error, AM_DB_ERROR, AM_DB_ERROR_CONNECT, "cannot open %s: %s",
			     target->path, db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
		sqlite3_close (db);
		return NULL;
	}
	sqlite3_extended_result_codes (db, 1);
	sqlite3_busy_timeout (db, target->busy_timeout_ms);
	if (!sqlite_exec (db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", target->path,
			  &local)) {
		g_set_error (error, AM_DB_ERROR, AM_DB_ERROR_CONNECT, "cannot set up %s",
			     local->message);
		sqlite3_close (db);
		return NULL;
	}
	return db;
}

static void
sqlite_close (gpointer conn)
{
	sqlite3_close (conn);
}

/* The file vanished or was replaced under us: reopening may help. */
static gboolean
sqlite_is_connection_error (gpointer conn)
{
	switch (sqlite3_errcode (conn) & 0xff) {
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return TRUE;
	default:
		return FALSE;
	}
}

static gpointer
sqlite_prepare (gpointer conn, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2 (conn, sql, -1, &stmt, NULL);
	SqliteStmt *s;

	if (rc != SQLITE_OK) {
		sqlite_set_error (error, conn, rc, "prepare");
		return NULL;
	}
	if (stmt == NULL) {
		g_set_error_literal (error, AM_DB_ERROR, AM_DB_ERROR_FAILED,
				     "prepare: empty statement");
		return NULL;
	}
	s = g_new0 (SqliteStmt, 1);
	s->db = conn;
	s->stmt = stmt;
	return s;
}

static void
sqlite_finalize (gpointer stmt)
{
	SqliteStmt *s = stmt;

	sqlite3_finalize (s->stmt);
	g_free (s);
}

static gboolean
sqlite_reset (gpointer stmt)
{
	SqliteStmt *s = stmt;

	s->changes = 0;
	/* sqlite3_reset repeats the last step's error code: ignore it */
	sqlite3_reset (s->stmt);
	return sqlite3_clear_bindings (s->stmt) == SQLITE_OK;
}

static void
sqlite_bind_text (gpointer stmt, int idx, const char *value)
{
	SqliteStmt *s = stmt;

	if (sqlite3_bind_text (s->stmt, idx, value, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		g_critical ("sqlite: cannot bind parameter %d: %s", idx, sqlite3_errmsg (s->db));
}

static void
sqlite_bind_int64 (gpointer stmt, int idx, gint64 value)
{
	SqliteStmt *s = stmt;

	if (sqlite3_bind_int64 (s->stmt, idx, value) != SQLITE_OK)
		g_critical ("sqlite: cannot bind parameter %d: %s", idx, sqlite3_errmsg (s->db));
}

static void
sqlite_bind_null (gpointer stmt, int idx)
{
	SqliteStmt *s = stmt;

	if (sqlite3_bind_null (s->stmt, idx) != SQLITE_OK)
		g_critical ("sqlite: cannot bind parameter %d: %s", idx, sqlite3_errmsg (s->db));
}

static AmDbStep
sqlite_step (gpointer stmt, GError **error)
{
	SqliteStmt *s = stmt;
	int rc = sqlite3_step (s->stmt);

	switch (rc) {
	case SQLITE_ROW:
		return AM_DB_STEP_ROW;
	case SQLITE_DONE:
		s->changes = sqlite3_stmt_readonly (s->stmt) ? 0 : sqlite3_changes (s->db);
		return AM_DB_STEP_DONE;
	default:
		sqlite_set_error (error, s->db, rc, "execute");
		return AM_DB_STEP_ERROR;
	}
}

static int
sqlite_column_count (gpointer stmt)
{
	return sqlite3_column_count (((SqliteStmt *) stmt)->stmt);
}

static const char *
sqlite_column_text (gpointer stmt, int col)
{
	SqliteStmt *s = stmt;

	if (sqlite3_column_type (s->stmt, col) == SQLITE_NULL)
		return NULL;
	return (const char *) sqlite3_column_text (s->stmt, col);
}

static gint64
sqlite_changes (gpointer stmt)
{
	return ((SqliteStmt *) stmt)->changes;
}

static gint64
sqlite_last_insert_id (gpointer stmt)
{
	return sqlite3_last_insert_rowid (((SqliteStmt *) stmt)->db);
}

static gboolean
sqlite_begin (gpointer conn, GError **error)
{
	if (!sqlite3_get_autocommit (conn))
		return TRUE;
	return sqlite_exec (conn, "BEGIN IMMEDIATE", "begin", error);
}

static gboolean
sqlite_commit (gpointer conn, GError **error)
{
	if (sqlite3_get_autocommit (conn))
		return TRUE;
	return sqlite_exec (conn, "COMMIT", "commit", error);
}

static gboolean
sqlite_rollback (gpointer conn, GError **error)
{
	if (sqlite3_get_autocommit (conn))
		return TRUE;
	return sqlite_exec (conn, "ROLLBACK", "rollback", error);
}

/* sqlite3_exec splits statements itself and understands '--' comments. */
static gboolean
sqlite_exec_script (gpointer conn, const char *script, GError **error)
{
	return sqlite_exec (conn, script, "script", error);
}

/* Outside BEGIN ... COMMIT SQLite always autocommits; implicit
 * transactions are am-db.c's doing, so there is nothing to switch. */
static gboolean
sqlite_set_autocommit (gpointer conn, gboolean on, GError **error)
{
	return TRUE;
}

const AmDbDriver am_db_sqlite_driver = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.is_connection_error = sqlite_is_connection_error,
	.prepare = sqlite_prepare,
	.finalize = sqlite_finalize,
	.reset = sqlite_reset,
	.bind_text = sqlite_bind_text,
	.bind_int64 = sqlite_bind_int64,
	.bind_null = sqlite_bind_null,
	.step = sqlite_step,
	.column_count = sqlite_column_count,
	.column_text = sqlite_column_text,
	.changes = sqlite_changes,
	.last_insert_id = sqlite_last_insert_id,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.set_autocommit = sqlite_set_autocommit,
	.exec_script = sqlite_exec_script,
	.table_exists_sql = "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') "
			    "AND name = ? COLLATE NOCASE",
	.column_exists_sql = "SELECT 1 FROM pragma_table_info(?) WHERE name = ? COLLATE NOCASE",
};
