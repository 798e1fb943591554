/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The database layer: one small interface, two drivers.
 *
 *   jdbc:mysql://host[:port]/db[?k=v&...]  -> MySQL/MariaDB (libmysqlclient)
 *   jdbc:h2:<path>[;OPTS]                  -> SQLite file <path>.db (the embedded default)
 *   jdbc:sqlite:<path>                     -> SQLite file <path>
 *
 * Relative paths are relative to the carbon home.  SQL uses '?' placeholders
 * on both drivers; statements are always prepared and values always bound.
 * Every call here may block: call them from a worker thread
 * (am_db_run_async) or during start-up, never from a request handler on the
 * main loop.
 */
#pragma once

#include <gio/gio.h>

#include "am-datasource-t.h"

#define AM_DB_ERROR (am_db_error_quark ())
GQuark am_db_error_quark (void);

typedef enum {
	AM_DB_ERROR_FAILED,	 /* any other failure, message from the driver */
	AM_DB_ERROR_URL,	 /* unsupported or malformed JDBC URL */
	AM_DB_ERROR_CONNECT,	 /* cannot connect / connection lost */
	AM_DB_ERROR_TIMEOUT,	 /* no pooled connection within maxWait */
	AM_DB_ERROR_CONSTRAINT, /* unique / foreign key violation */
	AM_DB_ERROR_NO_SCHEMA,	 /* expected tables are missing */
} AmDbErrorCode;

typedef enum {
	AM_DB_MYSQL,
	AM_DB_SQLITE,
} AmDbKind;

typedef struct _AmDb AmDb;	   /* a datasource: a pool of connections */
typedef struct _AmDbConn AmDbConn; /* one pooled connection, borrowed */
typedef struct _AmDbStmt AmDbStmt; /* a prepared statement on a connection */

/* am_db_new: a pool for @ds (borrowed; copied).  No connection is opened
 * yet.  Fails only on a URL it cannot use. */
AmDb *am_db_new (const AmDatasourceConf *ds, const char *carbon_home, GError **error);
AmDb *am_db_ref (AmDb *db);
void am_db_unref (AmDb *db);
AmDbKind am_db_get_kind (AmDb *db);
const char *am_db_get_name (AmDb *db); /* datasource name, e.g. WSO2AM_DB */
/* For logs: the URL with any password removed. */
const char *am_db_get_display_url (AmDb *db);
/* SQLite only: the file path; NULL for MySQL. */
const char *am_db_get_sqlite_path (AmDb *db);

/* Borrow a connection: waits up to maxWait for a free one, opens one when
 * fewer than maxActive exist, runs validationQuery first when testOnBorrow
 * is set (at most once per validationInterval), and reconnects a connection
 * that has gone away (server restart). */
AmDbConn *am_db_acquire (AmDb *db, GError **error);
/* The same, for read-only work: each statement commits on its own
 * (autocommit for this borrow, whatever defaultAutoCommit says), so reads
 * neither hold SQLite's write lock nor keep an old InnoDB snapshot.
 * am_db_begin still opens an explicit transaction. */
AmDbConn *am_db_acquire_reader (AmDb *db, GError **error);
/* Give it back.  A connection that saw a connection-level error is closed
 * instead of pooled. */
void am_db_release (AmDbConn *conn);
AmDb *am_db_conn_get_db (AmDbConn *conn);

gboolean am_db_begin (AmDbConn *conn, GError **error);
gboolean am_db_commit (AmDbConn *conn, GError **error);
gboolean am_db_rollback (AmDbConn *conn, GError **error);

/* Run a whole schema script (several statements separated by ';' at line
 * ends, '--' comments).  Only for trusted text shipped with apimd (dbscripts/). */
gboolean am_db_exec_script (AmDbConn *conn, const char *script, GError **error);
/* TRUE when @table exists in the connected database. */
gboolean am_db_table_exists (AmDbConn *conn, const char *table, GError **error);
/* TRUE when @table has @column (for schema-version differences, e.g. 2.1 vs 2.6). */
gboolean am_db_column_exists (AmDbConn *conn, const char *table, const char *column, GError **error);

/* Statements: prepare, bind (1-based), step, read columns (0-based). */
AmDbStmt *am_db_prepare (AmDbConn *conn, const char *sql, GError **error);
void am_db_stmt_free (AmDbStmt *stmt);
void am_db_bind_text (AmDbStmt *stmt, int idx, const char *value); /* NULL binds NULL */
void am_db_bind_int64 (AmDbStmt *stmt, int idx, gint64 value);
void am_db_bind_null (AmDbStmt *stmt, int idx);
/* Bind a UTC timestamp (microseconds since the epoch) as 'YYYY-MM-DD HH:MM:SS[.ffffff]'. */
void am_db_bind_timestamp (AmDbStmt *stmt, int idx, gint64 unix_usec);

typedef enum {
	AM_DB_STEP_ERROR = -1,
	AM_DB_STEP_DONE = 0,
	AM_DB_STEP_ROW = 1,
} AmDbStep;

/* Executes on the first call; each further call moves to the next row. */
AmDbStep am_db_step (AmDbStmt *stmt, GError **error);
int am_db_column_count (AmDbStmt *stmt);
gboolean am_db_column_is_null (AmDbStmt *stmt, int col);
/* Borrowed, valid until the next step or free; NULL for SQL NULL.  Every
 * type (numbers, timestamps as 'YYYY-MM-DD HH:MM:SS') reads as text. */
const char *am_db_column_text (AmDbStmt *stmt, int col);
gint64 am_db_column_int64 (AmDbStmt *stmt, int col);
/* Rows changed by the last INSERT/UPDATE/DELETE. */
gint64 am_db_changes (AmDbStmt *stmt);
/* AUTO_INCREMENT / rowid of the last INSERT on this statement's connection. */
gint64 am_db_last_insert_id (AmDbStmt *stmt);

/* Convenience: prepare, bind every argument as text (NULL-terminated list
 * is not used: pass @n_args), execute, return changed rows or -1. */
gint64 am_db_exec (AmDbConn *conn, const char *sql, GError **error, int n_args, ...);

/* Run @func (db, data, cancellable, &error) on the shared blocking-I/O pool
 * and deliver its result to @callback on the caller's thread-default main
 * context, like any GTask.  Finish with am_db_run_finish. */
typedef gpointer (*AmDbFunc) (AmDb *db, gpointer data, GCancellable *cancellable, GError **error);
void am_db_run_async (AmDb *db,
		      AmDbFunc func,
		      gpointer data,
		      GDestroyNotify data_free,
		      GCancellable *cancellable,
		      GAsyncReadyCallback callback,
		      gpointer user_data);
gpointer am_db_run_finish (AmDb *db, GAsyncResult *result, GError **error);

/* Pool statistics for health/metrics. */
typedef struct {
	guint open;   /* connections currently open */
	guint idle;   /* of which idle in the pool */
	guint max;    /* maxActive */
	guint64 reconnects;
} AmDbStats;
void am_db_get_stats (AmDb *db, AmDbStats *stats);
/* Acquire, run the validation query, release: TRUE when the DB answers. */
gboolean am_db_ping (AmDb *db, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmDb, am_db_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmDbConn, am_db_release)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmDbStmt, am_db_stmt_free)
