/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the database layer, shared by am-db.c (URL parsing, pool,
 * statements as seen by callers) and the two drivers, am-db-mysql.c and
 * am-db-sqlite.c.  A driver works on opaque handles: one per connection,
 * one per prepared statement.  It maps its own error numbers onto
 * AM_DB_ERROR codes; AM_DB_ERROR_CONNECT from any call tells the pool that
 * the connection is dead and must not be reused.
 *
 * Nothing outside src/core/am-db*.c and tests/unit/test-db.c includes this.
 */
#pragma once

#include "am-db.h"

/* Where and how to connect, parsed from the JDBC URL and the datasource. */
typedef struct {
	AmDbKind kind;
	/* MySQL */
	char *host;		/* as written in the URL (for display) */
	char *connect_host;	/* what we connect to: localhost -> 127.0.0.1 */
	guint port;		/* default 3306 */
	char *database;		/* NULL when the URL names none */
	char *socket;		/* socket= parameter (our extension), else NULL */
	char *user;
	char *password;		/* secret: never logged, never in a message */
	guint connect_timeout_s; /* connectTimeout (ms in the URL), default 10 s */
	guint io_timeout_s;	/* socketTimeout (ms in the URL), 0 = none */
	/* SQLite */
	char *path;		/* absolute file name */
	/* Both */
	int busy_timeout_ms;	/* SQLite lock waits: maxWait */
	gboolean auto_commit;	/* defaultAutoCommit */
} AmDbTarget;

/* The driver vtable.  Handles are only ever used by one thread at a time
 * (the pool hands a connection to one borrower). */
typedef struct {
	const char *name;

	gpointer (*open) (const AmDbTarget *target, GError **error);
	void (*close) (gpointer conn);
	/* TRUE when the last failure on @conn means the link is gone. */
	gboolean (*is_connection_error) (gpointer conn);

	gpointer (*prepare) (gpointer conn, const char *sql, GError **error);
	void (*finalize) (gpointer stmt);
	/* Make a finished statement ready to execute again, with no values
	 * bound; FALSE when it cannot be reused (then it is finalized). */
	gboolean (*reset) (gpointer stmt);
	/* Bind indexes are 1-based; out-of-range indexes are the caller's bug. */
	void (*bind_text) (gpointer stmt, int idx, const char *value);
	void (*bind_int64) (gpointer stmt, int idx, gint64 value);
	void (*bind_null) (gpointer stmt, int idx);
	/* First call executes.  Never called again after DONE or ERROR. */
	AmDbStep (*step) (gpointer stmt, GError **error);
	int (*column_count) (gpointer stmt);
	/* NULL for SQL NULL; valid until the next step. */
	const char *(*column_text) (gpointer stmt, int col);
	gint64 (*changes) (gpointer stmt);
	gint64 (*last_insert_id) (gpointer stmt);

	/* Transactions.  begin may be called when one is already open. */
	gboolean (*begin) (gpointer conn, GError **error);
	gboolean (*commit) (gpointer conn, GError **error);
	gboolean (*rollback) (gpointer conn, GError **error);
	/* Switch the session's autocommit mode (reader borrows switch it on;
	 * begin switches it off).  Cheap when it is already in that mode. */
	gboolean (*set_autocommit) (gpointer conn, gboolean on, GError **error);
	/* Trusted, shipped text only: never anything built from input. */
	gboolean (*exec_script) (gpointer conn, const char *script, GError **error);

	/* Catalogue queries with '?' for the table name (and the column name);
	 * they return a row when the object exists, comparing names without
	 * regard to case. */
	const char *table_exists_sql;
	const char *column_exists_sql;
} AmDbDriver;

extern const AmDbDriver am_db_mysql_driver;
extern const AmDbDriver am_db_sqlite_driver;

/* For the unit tests: what am_db_new made of the URL. */
const AmDbTarget *am_db_get_target (AmDb *db);
