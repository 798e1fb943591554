/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MySQL/MariaDB driver (MariaDB Connector/C, the libmysqlclient API) for
 * jdbc:mysql:// datasources, the production setup of WSO2 API-M 2.x.
 *
 * Everything callers send goes through server-side prepared statements with
 * bound parameters; mysql_real_query is used only by exec_script, which runs
 * the trusted dbscripts shipped with apimd.  Result columns are all fetched
 * as strings (the server converts numbers and TIMESTAMPs), growing a
 * column's buffer and re-fetching it when a value is longer than the buffer.
 *
 * Like Connector/J we connect in utf8mb4, report "found" rather than
 * "changed" rows for UPDATE (CLIENT_FOUND_ROWS, as useAffectedRows=false),
 * leave the session time zone alone (WSO2 reads TIMESTAMPs in the server's
 * zone) and never let the connector reconnect by itself: a silently
 * reconnected session would lose its transaction, so the pool replaces dead
 * connections instead.
 */
#include "config.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <string.h>

#include "am-db-private.h"

#define MYSQL_COL_INITIAL 256

typedef struct {
	MYSQL *mysql;
	gboolean default_autocommit;
	gboolean autocommit; /* the session's current setting */
} MysqlConn;

typedef struct {
	MysqlConn *conn;
	MYSQL_STMT *stmt;
	/* Parameters */
	unsigned int n_params;
	MYSQL_BIND *params;
	char **param_text;
	unsigned long *param_len;
	long long *param_int;
	/* Result columns, all as strings */
	unsigned int n_cols;
	MYSQL_BIND *cols;
	char **col_buf;
	unsigned long *col_len;
	my_bool *col_null;
	my_bool *col_err;
	gboolean executed;
	gboolean has_result;
	gint64 changes;
	gint64 insert_id;
} MysqlStmt;

static GOnce mysql_init_once = G_ONCE_INIT;

static gpointer
mysql_init_library (gpointer unused)
{
	/* Not thread-safe inside mysql_init(): do it once, up front. */
	mysql_library_init (0, NULL, NULL);
	return NULL;
}

static gboolean
mysql_errno_is_connection (unsigned int err)
{
	switch (err) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case CR_SERVER_HANDSHAKE_ERR:
	case CR_COMMANDS_OUT_OF_SYNC:
	case CR_ERR_NET_READ:
	case CR_ERR_NET_WRITE:
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
	case ER_ABORTING_CONNECTION:
	case ER_NET_READ_ERROR:
	case ER_NET_READ_INTERRUPTED:
		return TRUE;
	default:
		return FALSE;
	}
}

static int
mysql_error_code (unsigned int err)
{
	switch (err) {
	case ER_DUP_ENTRY:
	case ER_DUP_ENTRY_WITH_KEY_NAME:
	case ER_ROW_IS_REFERENCED:
	case ER_NO_REFERENCED_ROW:
	case ER_ROW_IS_REFERENCED_2:
	case ER_NO_REFERENCED_ROW_2:
	case ER_BAD_NULL_ERROR:
	case ER_CONSTRAINT_FAILED:
		return AM_DB_ERROR_CONSTRAINT;
	default:
		return mysql_errno_is_connection (err) ? AM_DB_ERROR_CONNECT : AM_DB_ERROR_FAILED;
	}
}

static void
mysql_set_conn_error (GError **error, MYSQL *mysql, const char *what)
{
	unsigned int err = mysql_errno (mysql);

	g_set_error (error, AM_DB_ERROR, mysql_error_code (err), "%s: %s (%u)", what,
		     mysql_error (mysql), err);
}

static void
mysql_set_stmt_error (GError **error, MYSQL_STMT *stmt, const char *what)
{
	unsigned int err = mysql_stmt_errno (stmt);

	g_set_error (error, AM_DB_ERROR, mysql_error_code (err), "%s: %s (%u)", what,
		     mysql_stmt_error (stmt), err);
}

static void
mysql_set_options (MYSQL *mysql, const AmDbTarget *t)
{
	unsigned int timeout = t->connect_timeout_s;
	unsigned int protocol = t->socket != NULL ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
	my_bool off = 0;
	unsigned int zero = 0;

	mysql_options (mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (t->io_timeout_s > 0) {
		timeout = t->io_timeout_s;
		mysql_options (mysql, MYSQL_OPT_READ_TIMEOUT, &timeout);
		mysql_options (mysql, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	}
	mysql_options (mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options (mysql, MYSQL_OPT_PROTOCOL, &protocol);
	mysql_options (mysql, MYSQL_OPT_RECONNECT, &off);
	mysql_options (mysql, MYSQL_OPT_LOCAL_INFILE, &zero);
}

static gpointer
mysql_open (const AmDbTarget *t, GError **error)
{
	MYSQL *mysql;
	MysqlConn *conn;

	g_once (&mysql_init_once, mysql_init_library, NULL);
	mysql = mysql_init (NULL);
	if (mysql == NULL) {
		g_set_error_literal (error, AM_DB_ERROR, AM_DB_ERROR_FAILED, "mysql_init failed");
		return NULL;
	}
	mysql_set_options (mysql, t);
	/* The connector's messages name the user and host, never the password. */
	if (mysql_real_connect (mysql, t->socket != NULL ? "localhost" : t->connect_host, t->user,
				t->password, t->database, t->port, t->socket,
				CLIENT_FOUND_ROWS) == NULL ||
	    mysql_autocommit (mysql, t->auto_commit ? 1 : 0) != 0) {
		g_autofree char *where = t->socket != NULL
						 ? g_strdup (t->socket)
						 : g_strdup_printf ("%s:%u", t->host, t->port);
		g_set_error (error, AM_DB_ERROR, AM_DB_ERROR_CONNECT,
			     "cannot connect to MySQL at %s: %s (%u)", where, mysql_error (mysql),
			     mysql_errno (mysql));
		mysql_close (mysql);
		return NULL;
	}
	conn = g_new0 (MysqlConn, 1);
	conn->mysql = mysql;
	conn->default_autocommit = t->auto_commit;
	conn->autocommit = t->auto_commit;
	return conn;
}

static void
mysql_close_conn (gpointer p)
{
	MysqlConn *conn = p;

	mysql_close (conn->mysql);
	g_free (conn);
}

static gboolean
mysql_is_connection_error (gpointer p)
{
	return mysql_errno_is_connection (mysql_errno (((MysqlConn *) p)->mysql));
}

static void
mysql_stmt_alloc_binds (MysqlStmt *s)
{
	s->n_params = mysql_stmt_param_count (s->stmt);
	s->params = g_new0 (MYSQL_BIND, s->n_params);
	s->param_text = g_new0 (char *, s->n_params);
	s->param_len = g_new0 (unsigned long, s->n_params);
	s->param_int = g_new0 (long long, s->n_params);
	for (unsigned int i = 0; i < s->n_params; i++)
		s->params[i].buffer_type = MYSQL_TYPE_NULL; /* unbound reads as NULL */

	s->n_cols = mysql_stmt_field_count (s->stmt);
	s->cols = g_new0 (MYSQL_BIND, s->n_cols);
	s->col_buf = g_new0 (char *, s->n_cols);
	s->col_len = g_new0 (unsigned long, s->n_cols);
	s->col_null = g_new0 (my_bool, s->n_cols);
	s->col_err = g_new0 (my_bool, s->n_cols);
	for (unsigned int i = 0; i < s->n_cols; i++) {
		s->col_buf[i] = g_malloc (MYSQL_COL_INITIAL);
		s->cols[i].buffer_type = MYSQL_TYPE_STRING;
		s->cols[i].buffer = s->col_buf[i];
		/* One byte kept for the terminating NUL we add. */
		s->cols[i].buffer_length = MYSQL_COL_INITIAL - 1;
		s->cols[i].length = &s->col_len[i];
		s->cols[i].is_null = &s->col_null[i];
		s->cols[i].error = &s->col_err[i];
	}
}

static void
mysql_finalize (gpointer stmt)
{
	MysqlStmt *s = stmt;

	mysql_stmt_close (s->stmt);
	for (unsigned int i = 0; i < s->n_params; i++)
		g_free (s->param_text[i]);
	for (unsigned int i = 0; i < s->n_cols; i++)
		g_free (s->col_buf[i]);
	g_free (s->params);
	g_free (s->param_text);
	g_free (s->param_len);
	g_free (s->param_int);
	g_free (s->cols);
	g_free (s->col_buf);
	g_free (s->col_len);
	g_free (s->col_null);
	g_free (s->col_err);
	g_free (s);
}

/* Client-side only: results are fully buffered, so freeing them is enough
 * and no COM_STMT_RESET round trip is needed. */
static gboolean
mysql_reset (gpointer stmt)
{
	MysqlStmt *s = stmt;

	if (s->has_result)
		mysql_stmt_free_result (s->stmt);
	s->has_result = FALSE;
	s->executed = FALSE;
	s->changes = 0;
	s->insert_id = 0;
	for (unsigned int i = 0; i < s->n_params; i++) {
		g_clear_pointer (&s->param_text[i], g_free);
		memset (&s->params[i], 0, sizeof (MYSQL_BIND));
		s->params[i].buffer_type = MYSQL_TYPE_NULL;
	}
	return TRUE;
}

static gpointer
mysql_prepare (gpointer p, const char *sql, GError **error)
{
	MysqlConn *conn = p;
	MYSQL_STMT *stmt = mysql_stmt_init (conn->mysql);
	MysqlStmt *s;

	if (stmt == NULL) {
		mysql_set_conn_error (error, conn->mysql, "prepare");
		return NULL;
	}
	if (mysql_stmt_prepare (stmt, sql, strlen (sql)) != 0) {
		mysql_set_stmt_error (error, stmt, "prepare");
		mysql_stmt_close (stmt);
		return NULL;
	}
	s = g_new0 (MysqlStmt, 1);
	s->conn = conn;
	s->stmt = stmt;
	mysql_stmt_alloc_binds (s);
	return s;
}

static MYSQL_BIND *
mysql_param (MysqlStmt *s, int idx)
{
	if (idx < 1 || (unsigned int) idx > s->n_params) {
		g_critical ("mysql: parameter %d out of range (statement has %u)", idx,
			    s->n_params);
		return NULL;
	}
	g_clear_pointer (&s->param_text[idx - 1], g_free);
	memset (&s->params[idx - 1], 0, sizeof (MYSQL_BIND));
	return &s->params[idx - 1];
}

static void
mysql_bind_text (gpointer stmt, int idx, const char *value)
{
	MysqlStmt *s = stmt;
	MYSQL_BIND *b = mysql_param (s, idx);

	if (b == NULL)
		return;
	s->param_text[idx - 1] = g_strdup (value);
	s->param_len[idx - 1] = strlen (value);
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = s->param_text[idx - 1];
	b->buffer_length = s->param_len[idx - 1];
	b->length = &s->param_len[idx - 1];
}

static void
mysql_bind_int64 (gpointer stmt, int idx, gint64 value)
{
	MysqlStmt *s = stmt;
	MYSQL_BIND *b = mysql_param (s, idx);

	if (b == NULL)
		return;
	s->param_int[idx - 1] = value;
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = &s->param_int[idx - 1];
}

static void
mysql_bind_null (gpointer stmt, int idx)
{
	MysqlStmt *s = stmt;
	MYSQL_BIND *b = mysql_param (s, idx);

	if (b != NULL)
		b->buffer_type = MYSQL_TYPE_NULL;
}

static gboolean
mysql_execute (MysqlStmt *s, GError **error)
{
	if (s->n_params > 0 && mysql_stmt_bind_param (s->stmt, s->params) != 0) {
		mysql_set_stmt_error (error, s->stmt, "bind");
		return FALSE;
	}
	if (mysql_stmt_execute (s->stmt) != 0) {
		mysql_set_stmt_error (error, s->stmt, "execute");
		return FALSE;
	}
	s->executed = TRUE;
	s->insert_id = (gint64) mysql_stmt_insert_id (s->stmt);
	if (s->n_cols == 0) {
		s->changes = (gint64) mysql_stmt_affected_rows (s->stmt);
		return TRUE;
	}
	/* Buffer the whole result so that the connection is free for other
	 * statements while the caller walks the rows. */
	if (mysql_stmt_store_result (s->stmt) != 0 ||
	    mysql_stmt_bind_result (s->stmt, s->cols) != 0) {
		mysql_set_stmt_error (error, s->stmt, "execute");
		return FALSE;
	}
	s->has_result = TRUE;
	return TRUE;
}

/* MYSQL_DATA_TRUNCATED: grow the short buffers and fetch those columns again. */
static gboolean
mysql_refetch_truncated (MysqlStmt *s, GError **error)
{
	for (unsigned int i = 0; i < s->n_cols; i++) {
		if (s->col_null[i] || s->col_len[i] <= s->cols[i].buffer_length)
			continue;
		s->col_buf[i] = g_realloc (s->col_buf[i], s->col_len[i] + 1);
		s->cols[i].buffer = s->col_buf[i];
		s->cols[i].buffer_length = s->col_len[i];
		if (mysql_stmt_fetch_column (s->stmt, &s->cols[i], i, 0) != 0) {
			mysql_set_stmt_error (error, s->stmt, "fetch");
			return FALSE;
		}
	}
	/* Later rows fetch straight into the bigger buffers. */
	if (mysql_stmt_bind_result (s->stmt, s->cols) != 0) {
		mysql_set_stmt_error (error, s->stmt, "fetch");
		return FALSE;
	}
	return TRUE;
}

static AmDbStep
mysql_step (gpointer stmt, GError **error)
{
	MysqlStmt *s = stmt;
	int rc;

	if (!s->executed && !mysql_execute (s, error))
		return AM_DB_STEP_ERROR;
	if (!s->has_result)
		return AM_DB_STEP_DONE;
	rc = mysql_stmt_fetch (s->stmt);
	if (rc == MYSQL_NO_DATA) {
		mysql_stmt_free_result (s->stmt);
		s->has_result = FALSE;
		return AM_DB_STEP_DONE;
	}
	if (rc == MYSQL_DATA_TRUNCATED && !mysql_refetch_truncated (s, error))
		return AM_DB_STEP_ERROR;
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
		mysql_set_stmt_error (error, s->stmt, "fetch");
		return AM_DB_STEP_ERROR;
	}
	for (unsigned int i = 0; i < s->n_cols; i++) {
		if (!s->col_null[i])
			s->col_buf[i][MIN (s->col_len[i], s->cols[i].buffer_length)] = '\0';
	}
	return AM_DB_STEP_ROW;
}

static int
mysql_column_count (gpointer stmt)
{
	return (int) ((MysqlStmt *) stmt)->n_cols;
}

static const char *
mysql_column_text (gpointer stmt, int col)
{
	MysqlStmt *s = stmt;

	return s->col_null[col] ? NULL : s->col_buf[col];
}

static gint64
mysql_changes (gpointer stmt)
{
	return ((MysqlStmt *) stmt)->changes;
}

static gint64
mysql_last_insert_id (gpointer stmt)
{
	return ((MysqlStmt *) stmt)->insert_id;
}

static gboolean
mysql_set_autocommit (MysqlConn *conn, gboolean on, GError **error)
{
	if (conn->autocommit == on)
		return TRUE;
	if (mysql_autocommit (conn->mysql, on ? 1 : 0) != 0) {
		mysql_set_conn_error (error, conn->mysql, "autocommit");
		return FALSE;
	}
	conn->autocommit = on;
	return TRUE;
}

/* For a reader borrow: the session's mode is only switched when it
 * differs (a round trip), and is left as it is afterwards; mysql_begin
 * switches it off again for the next transaction. */
static gboolean
mysql_set_autocommit_mode (gpointer p, gboolean on, GError **error)
{
	return mysql_set_autocommit (p, on, error);
}

/* With autocommit off the server opens a transaction at the next statement. */
static gboolean
mysql_begin (gpointer p, GError **error)
{
	return mysql_set_autocommit (p, FALSE, error);
}

static gboolean
mysql_end (MysqlConn *conn, gboolean commit, GError **error)
{
	my_bool rc = commit ? mysql_commit (conn->mysql) : mysql_rollback (conn->mysql);

	if (rc != 0) {
		mysql_set_conn_error (error, conn->mysql, commit ? "commit" : "rollback");
		return FALSE;
	}
	/* defaultAutoCommit=false: stay off, the next statement of the pool's
	 * next borrower opens the next transaction anyway (no round trip to
	 * switch back and forth) */
	if (!conn->default_autocommit)
		return TRUE;
	return mysql_set_autocommit (conn, TRUE, error);
}

static gboolean
mysql_commit_txn (gpointer p, GError **error)
{
	return mysql_end (p, TRUE, error);
}

static gboolean
mysql_rollback_txn (gpointer p, GError **error)
{
	return mysql_end (p, FALSE, error);
}

static gboolean
mysql_run_one (MYSQL *mysql, const char *sql, GError **error)
{
	if (mysql_real_query (mysql, sql, strlen (sql)) != 0) {
		mysql_set_conn_error (error, mysql, "script");
		return FALSE;
	}
	if (mysql_field_count (mysql) > 0) {
		MYSQL_RES *res = mysql_store_result (mysql);
		if (res != NULL)
			mysql_free_result (res);
	}
	return TRUE;
}

/* Statements end with ';' at the end of a line; '--' lines are comments. */
static gboolean
mysql_exec_script (gpointer p, const char *script, GError **error)
{
	MysqlConn *conn = p;
	g_auto (GStrv) lines = g_strsplit (script, "\n", -1);
	g_autoptr (GString) sql = g_string_new (NULL);

	for (guint i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip (lines[i]);
		size_t len = strlen (line);

		if (len == 0 || g_str_has_prefix (line, "--"))
			continue;
		if (line[len - 1] != ';') {
			g_string_append (sql, line);
			g_string_append_c (sql, '\n');
			continue;
		}
		g_string_append_len (sql, line, len - 1);
		g_strstrip (sql->str);
		if (sql->str[0] != '\0' && !mysql_run_one (conn->mysql, sql->str, error)) {
			g_prefix_error (error, "line %u: ", i + 1);
			return FALSE;
		}
		g_string_truncate (sql, 0);
	}
	g_strstrip (sql->str);
	return sql->str[0] == '\0' || mysql_run_one (conn->mysql, sql->str, error);
}

const AmDbDriver am_db_mysql_driver = {
	.name = "mysql",
	.open = mysql_open,
	.close = mysql_close_conn,
	.is_connection_error = mysql_is_connection_error,
	.prepare = mysql_prepare,
	.finalize = mysql_finalize,
	.reset = mysql_reset,
	.bind_text = mysql_bind_text,
	.bind_int64 = mysql_bind_int64,
	.bind_null = mysql_bind_null,
	.step = mysql_step,
	.column_count = mysql_column_count,
	.column_text = mysql_column_text,
	.changes = mysql_changes,
	.last_insert_id = mysql_last_insert_id,
	.begin = mysql_begin,
	.commit = mysql_commit_txn,
	.rollback = mysql_rollback_txn,
	.set_autocommit = mysql_set_autocommit_mode,
	.exec_script = mysql_exec_script,
	.table_exists_sql = "SELECT 1 FROM information_schema.TABLES "
			    "WHERE TABLE_SCHEMA = DATABASE() AND UPPER(TABLE_NAME) = UPPER(?)",
	.column_exists_sql = "SELECT 1 FROM information_schema.COLUMNS "
			     "WHERE TABLE_SCHEMA = DATABASE() AND UPPER(TABLE_NAME) = UPPER(?) "
			     "AND UPPER(COLUMN_NAME) = UPPER(?)",
};
