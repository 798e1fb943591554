/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The database layer's common part: the JDBC URLs of master-datasources.xml,
 * the connection pool and the statement calls that the rest of apimd uses.
 *
 * A <datasource> becomes an AmDb: a pool that behaves like the Tomcat JDBC
 * pool WSO2 configures.  At most maxActive connections exist (below 1 means
 * Tomcat's 100); a borrower waits up to maxWait ms for one (0 or less waits
 * for ever, as Tomcat does) and then gets AM_DB_ERROR_TIMEOUT.  With
 * testOnBorrow an idle connection runs validationQuery before it is handed
 * out, at most once per validationInterval; one that fails is dropped and
 * replaced.  A connection that saw a connection-level error (server gone,
 * killed, restarted) is closed when given back, so the pool survives a
 * MariaDB restart without an auto-reconnect in the connector.
 *
 * defaultAutoCommit=false is honoured on both drivers: statements then run
 * in an implicit transaction that must end with am_db_commit.  Whatever is
 * still uncommitted when a connection is released is rolled back, so no
 * borrower inherits another's transaction.
 *
 * Blocking work runs on GTask's thread pool through am_db_run_async.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "am-db-private.h"

G_DEFINE_QUARK (am-db-error-quark, am_db_error)

#define DB_TOMCAT_MAX_ACTIVE 100
#define DB_DEFAULT_BUSY_MS 60000
#define DB_DEFAULT_CONNECT_S 10

struct _AmDb {
	gint ref_count;
	char *name;
	char *display_url;
	AmDbTarget target;
	const AmDbDriver *drv;

	guint max_active;
	int max_wait_ms;
	gboolean test_on_borrow;
	char *validation_query;
	int validation_interval_ms;

	GMutex lock;
	GCond cond;
	GQueue idle; /* AmDbConn *, most recently used first */
	guint open;  /* open or being opened, borrowed or idle */
	guint lost;  /* dropped as dead, not yet replaced */
	guint64 reconnects;
};

struct _AmDbConn {
	AmDb *db; /* a reference while borrowed, borrowed while idle */
	gpointer handle;
	gint64 validated_at; /* monotonic usec */
	gboolean broken;
	gboolean in_txn;
	gboolean reader; /* am_db_acquire_reader: each statement commits on its own */
	guint n_stmts;
	/* Prepared statements kept for reuse on this connection, SQL text ->
	 * driver handle (reset, unbound).  A hot path such as key validation
	 * then costs one execute per statement instead of prepare + execute +
	 * close (three round trips on MySQL). */
	GHashTable *stmt_cache;
};

/* Statements a connection keeps prepared. */
#define DB_STMT_CACHE_MAX 64

struct _AmDbStmt {
	AmDbConn *conn;
	gpointer handle;
	char *sql;
	gboolean done;
	gboolean failed;
};

/* ---- URLs --------------------------------------------------------------- */

static void
db_target_clear (AmDbTarget *t)
{
	g_free (t->host);
	g_free (t->connect_host);
	g_free (t->database);
	g_free (t->socket);
	g_free (t->user);
	if (t->password != NULL)
		memset (t->password, 0, strlen (t->password));
	g_free (t->password);
	g_free (t->path);
	memset (t, 0, sizeof (*t));
}

static gboolean
db_parse_ms_param (const char *key, const char *value, guint *out_s, GError **error)
{
	guint64 ms = 0;

	if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &ms, NULL)) {
		g_set_error (error, AM_DB_ERROR, AM_DB_ERROR_URL, "bad %s value in JDBC URL", key);
		return FALSE;
	}
	*out_s = ms == 0 ? 0 : (guint) MAX (1, (ms + 999) / 1000);
	return TRUE;
}

/* The query of a MySQL URL: keeps what we use, drops the rest (autoReconnect,
 * useSSL, characterEncoding...), and rebuilds it without password= for the
 * display URL. */
static gboolean
db_parse_mysql_query (AmDbTarget *t, const char *query, GString *display, GError **error)
{
	g_auto (GStrv) pairs = g_strsplit (query, "&", -1);
	gboolean first = TRUE;

	for (guint i = 0; pairs[i] != NULL; i++) {
		const char *eq = strchr (pairs[i], '=');
		g_autofree char *key = NULL;
		g_autofree char *value = NULL;

		if (pairs[i][0] == '\0')
			continue;
		key = eq != NULL ? g_strndup (pairs[i], eq - pairs[i]) : g_strdup (pairs[i]);
		value = g_uri_unescape_string (eq != NULL ? eq + 1 : "", NULL);
		if (value == NULL) {
			g_set_error (error, AM_DB_ERROR, AM_DB_ERROR_URL,
				     "bad escape in JDBC URL parameter %s", key);
			return FALSE;
		}
		if (g_ascii_strcasecmp (key, "password") == 0) {
			g_free (t->password);
			t->password = g_steal_pointer (&value);
			continue; /* never displayed */
		}
		/* Nor trustCertificateKeyStorePassword and the like. */
		if (strlen (key) > 8 &&
		    g_ascii_strcasecmp (key + strlen (key) - 8, "password") == 0)
			continue;
		if (g_ascii_strcasecmp (key, "socket") == 0) {
			g_free (t->socket);
			t->socket = g_strdup (value);
		} else if (g_ascii_strcasecmp (key, "user") == 0) {
			g_free (t->user);
			t->user = g_strdup (value);
		} else if (g_ascii_strcasecmp (key, "connectTimeout") == 0) {
			if (!db_parse_ms_param (key, value, &t->connect_timeout_s, error))
				return FALSE;
		} else if (g_ascii_strcasecmp (key, "socketTimeout") == 0) {
			if (!db_parse_ms_param (key, value, &t->io_timeout_s, error))
				return FALSE;
		}
		g_string_append_c (display, first ? '?' : '&');
		g_string_append (display, pairs[i]);
		first = FALSE;
	}
	return TRUE;
}

/* host[:port] or [v6]:port, without user info. */
static gboolean
db_parse_mysql_hostport (AmDbTarget *t, const char *hp)
{
	const char *port = NULL;

	if (hp[0] == '[') {
		const char *end = strchr (hp, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return FALSE;
		t->host = g_strndup (hp + 1, end - hp - 1);
		port = end[1] == ':' ? end + 2 : NULL;
	} else {
		const char *colon = strchr (hp, ':');
		t->host = colon != NULL ? g_strndup (hp, colon - hp) : g_strdup (hp);
		port = colon != NULL ? colon + 1 : NULL;
	}
	if (t->host[0] == '\0' || strchr (t->host, ',') != NULL)
		return FALSE;
	t->port = 3306;
	if (port != NULL) {
		guint64 p = 0;
		if (!g_ascii_string_to_unsigned (port, 10, 1, 65535, &p, NULL))
			return FALSE;
		t->port = (guint) p;
	}
	return TRUE;
}

static gboolean
db_parse_mysql (AmDbTarget *t, const char *rest, GString *display, GError **error)
{
	size_t alen = strcspn (rest, "/?");
	g_autofree char *authority = g_strndup (rest, alen);
	const char *after = rest + alen;
	char *at = strrchr (authority, '@');
	const char *hostport = authority;

	if (strchr (authority, ',') != NULL) {
		g_set_error_literal (error, AM_DB_ERROR, AM_DB_ERROR_URL,
				     "JDBC URLs with several MySQL hosts are not supported");
		return FALSE;
	}
	if (at != NULL) {
		char *colon;
		*at = '\0';
		hostport = at + 1;
		colon = strchr (authority, ':');
		if (colon != NULL) {
			*colon = '\0';
			t->password = g_uri_unescape_string (colon + 1, NULL);
		}
		t->user = g_uri_unescape_string (authority, NULL);
	}
	if (!db_parse_mysql_hostport (t, hostport)) {
		g_set_error_literal (error, AM_DB_ERROR, AM_DB_ERROR_URL,
				     "bad host or port in MySQL JDBC URL");
		return FALSE;
	}
	if (after[0] == '/') {
		size_t dlen = strcspn (after + 1, "?");
		g_autofree char *db = g_strndup (after + 1, dlen);
		if (db[0] != '\0')
			t->database = g_uri_unescape_string (db, NULL);
		after += 1 + dlen;
	}
	g_string_append_printf (display, strchr (t->host, ':') != NULL ? "[%s]:%u/%s" : "%s:%u/%s",
				t->host, t->port, t->database != NULL ? t->database : "");
	if (after[0] == '?' && !db_parse_mysql_query (t, after + 1, display, error))
		return FALSE;
	/* A socket= parameter wins; otherwise "localhost" would make the
	 * connector look for the default socket, and Java always used TCP. */
	if (t->socket == NULL && g_ascii_strcasecmp (t->host, "localhost") == 0)
		t->connect_host = g_strdup ("127.0.0.1");
	else
		t->connect_host = g_strdup (t->host);
	return TRUE;
}

/* jdbc:h2:<path>[;OPTS] and jdbc:sqlite:<path>: a file under carbon home. */
static gboolean
db_parse_file (AmDbTarget *t, const char *rest, gboolean h2, const char *carbon_home,
	       GError **error)
{
	g_autofree char *path = g_strndup (rest, strcspn (rest, h2 ? ";" : "?"));
	g_autofree char *home_path = NULL;
	g_autofree char *file = NULL;
	const char *p = path;

	if (g_str_has_prefix (p, "file:"))
		p += strlen ("file:");
	if ((h2 && (g_str_has_prefix (p, "mem:") || g_str_has_prefix (p, "tcp:") ||
		    g_str_has_prefix (p, "ssl:") || g_str_has_prefix (p, "zip:"))) ||
	    p[0] == '\0' || strcmp (p, ":memory:") == 0) {
		g_set_error (error, AM_DB_ERROR, AM_DB_ERROR_URL,
			     "only file databases are supported, not \"%s\"", p);
		return FALSE;
	}
	if (g_str_has_prefix (p, "~/"))
		p = home_path = g_build_filename (g_get_home_dir (), p + 2, NULL);
	while (g_str_has_prefix (p, "./"))
		p += 2;
	/* H2 names the database without its extension; ours is <name>.db. */
	file = h2 ? g_strconcat (p, ".db", NULL) : g_strdup (p);
	t->path = g_canonicalize_filename (file, carbon_home);
	return TRUE;
}

static gboolean
db_parse_url (AmDbTarget *t, const char *url, const char *carbon_home, GString *display,
	      GError **error)
{
	static const char *const mysql_schemes[] = { "jdbc:mysql://", "jdbc:mariadb://" };

	if (url == NULL || url[0] == '\0') {
		g_set_error_literal (error, AM_DB_ERROR, AM_DB_ERROR_URL, "no JDBC URL");
		return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS (mysql_schemes); i++) {
		if (g_str_has_prefix (url, mysql_schemes[i])) {
			t->kind = AM_DB_MYSQL;
			g_string_append (display, "jdbc:mysql://");
			return db_parse_mysql (t, url + strlen (mysql_schemes[i]), display,
					       error);
		}
	}
	if (g_str_has_prefix (url, "jdbc:h2:") || g_str_has_prefix (url, "jdbc:sqlite:")) {
		gboolean h2 = g_str_has_prefix (url, "jdbc:h2:");
		t->kind = AM_DB_SQLITE;
		g_string_append (display, url);
		return db_parse_file (t, url + (h2 ? strlen ("jdbc:h2:") : strlen ("jdbc:sqlite:")),
				      h2, carbon_home, error);
	}
	g_set_error_literal (error, AM_DB_ERROR, AM_DB_ERROR_URL,
			     "unsupported JDBC URL (expected jdbc:mysql:, jdbc:h2: or jdbc:sqlite:)");
	return FALSE;
}

/* ---- the pool ----------------------------------------------------------- */

AmDb *
am_db_new (const AmDatasourceConf *ds, const char *carbon_home, GError **error)
{
	g_autoptr (GString) display = g_string_new (NULL);
	AmDb *db = NULL;
	AmDbTarget t = { 0 };

	g_return_val_if_fail (ds != NULL, NULL);
	t.connect_timeout_s = DB_DEFAULT_CONNECT_S;
	if (!db_parse_url (&t, ds->url, carbon_home, display, error)) {
		db_target_clear (&t);
		g_prefix_error (error, "datasource %s: ", ds->name != NULL ? ds->name : "?");
		return NULL;
	}
	/* The <username>/<password> elements win over URL credentials. */
	if (ds->username != NULL && ds->username[0] != '\0') {
		g_free (t.user);
		t.user = g_strdup (ds->username);
	}
	if (ds->password != NULL && ds->password[0] != '\0') {
		g_free (t.password);
		t.password = g_strdup (ds->password);
	}
	t.busy_timeout_ms = ds->max_wait_ms > 0 ? ds->max_wait_ms : DB_DEFAULT_BUSY_MS;
	t.auto_commit = ds->default_auto_commit;

	db = g_new0 (AmDb, 1);
	db->ref_count = 1;
	db->name = g_strdup (ds->name != NULL ? ds->name : "");
	db->display_url = g_string_free (g_steal_pointer (&display), FALSE);
	db->target = t;
	db->drv = t.kind == AM_DB_MYSQL ? &am_db_mysql_driver : &am_db_sqlite_driver;
	db->max_active = ds->max_active >= 1 ? (guint) ds->max_active : DB_TOMCAT_MAX_ACTIVE;
	db->max_wait_ms = ds->max_wait_ms;
	db->test_on_borrow = ds->test_on_borrow;
	db->validation_query = g_strdup (ds->validation_query != NULL &&
						 ds->validation_query[0] != '\0'
					     ? ds->validation_query
					     : "SELECT 1");
	db->validation_interval_ms = ds->validation_interval_ms;
	g_mutex_init (&db->lock);
	g_cond_init (&db->cond);
	g_queue_init (&db->idle);
	return db;
}

AmDb *
am_db_ref (AmDb *db)
{
	g_return_val_if_fail (db != NULL, NULL);
	g_atomic_int_inc (&db->ref_count);
	return db;
}

static void
db_conn_close (AmDbConn *conn)
{
	if (conn->stmt_cache != NULL) {
		GHashTableIter it;
		gpointer handle;

		g_hash_table_iter_init (&it, conn->stmt_cache);
		while (g_hash_table_iter_next (&it, NULL, &handle))
			conn->db->drv->finalize (handle);
		g_hash_table_unref (conn->stmt_cache);
	}
	conn->db->drv->close (conn->handle);
	g_free (conn);
}

void
am_db_unref (AmDb *db)
{
	AmDbConn *conn;

	if (db == NULL || !g_atomic_int_dec_and_test (&db->ref_count))
		return;
	/* Borrowed connections hold a reference, so only idle ones remain. */
	while ((conn = g_queue_pop_head (&db->idle)) != NULL)
		db_conn_close (conn);
	g_mutex_clear (&db->lock);
	g_cond_clear (&db->cond);
	db_target_clear (&db->target);
	g_free (db->name);
	g_free (db->display_url);
	g_free (db->validation_query);
	g_free (db);
}

AmDbKind
am_db_get_kind (AmDb *db)
{
	return db->target.kind;
}

const char *
am_db_get_name (AmDb *db)
{
	return db->name;
}

const char *
am_db_get_display_url (AmDb *db)
{
	return db->display_url;
}

const char *
am_db_get_sqlite_path (AmDb *db)
{
	return db->target.kind == AM_DB_SQLITE ? db->target.path : NULL;
}

const AmDbTarget *
am_db_get_target (AmDb *db)
{
	return &db->target;
}

/* Runs the validation query; FALSE when the connection must be dropped. */
static gboolean
db_conn_validate (AmDbConn *conn, GError **error)
{
	g_autoptr (AmDbStmt) stmt = am_db_prepare (conn, conn->db->validation_query, error);
	AmDbStep step;

	if (stmt == NULL)
		return FALSE;
	while ((step = am_db_step (stmt, error)) == AM_DB_STEP_ROW)
		;
	if (step == AM_DB_STEP_ERROR)
		return FALSE;
	conn->validated_at = g_get_monotonic_time ();
	return TRUE;
}

static gboolean
db_conn_needs_validation (AmDbConn *conn)
{
	AmDb *db = conn->db;

	return db->test_on_borrow &&
	       g_get_monotonic_time () - conn->validated_at >=
		       (gint64) MAX (db->validation_interval_ms, 0) * 1000;
}

/* Called with the lock held and a slot reserved in db->open; drops the lock
 * while connecting, which may take up to connectTimeout. */
static AmDbConn *
db_open_locked (AmDb *db, GError **error)
{
	gpointer handle;
	AmDbConn *conn;

	g_mutex_unlock (&db->lock);
	handle = db->drv->open (&db->target, error);
	g_mutex_lock (&db->lock);
	if (handle == NULL) {
		db->open--;
		g_cond_signal (&db->cond);
		return NULL;
	}
	if (db->lost > 0) {
		db->lost--;
		db->reconnects++;
	}
	conn = g_new0 (AmDbConn, 1);
	conn->db = db;
	conn->handle = handle;
	conn->validated_at = g_get_monotonic_time ();
	return conn;
}

/* Forget a dead connection (lock not held). */
static void
db_drop (AmDb *db, AmDbConn *conn)
{
	db_conn_close (conn);
	g_mutex_lock (&db->lock);
	db->open--;
	db->lost++;
	g_cond_signal (&db->cond);
	g_mutex_unlock (&db->lock);
}

static AmDbConn *
db_acquire_locked (AmDb *db, GError **error)
{
	gint64 deadline = g_get_monotonic_time () + (gint64) db->max_wait_ms * 1000;

	for (;;) {
		AmDbConn *conn = g_queue_pop_head (&db->idle);

		if (conn != NULL) {
			g_autoptr (GError) invalid = NULL;

			if (!db_conn_needs_validation (conn))
				return conn;
			g_mutex_unlock (&db->lock);
			if (db_conn_validate (conn, &invalid)) {
				g_mutex_lock (&db->lock);
				return conn;
			}
			g_debug ("%s: validation failed, reconnecting: %s", db->name,
				 invalid->message);
			db_drop (db, conn);
			g_mutex_lock (&db->lock);
			continue;
		}
		if (db->open < db->max_active) {
			db->open++;
			return db_open_locked (db, error);
		}
		if (db->max_wait_ms <= 0) {
			g_cond_wait (&db->cond, &db->lock);
		} else if (!g_cond_wait_until (&db->cond, &db->lock, deadline) &&
			   g_queue_is_empty (&db->idle) && db->open >= db->max_active) {
			g_set_error (error, AM_DB_ERROR, AM_DB_ERROR_TIMEOUT,
				     "no free connection within %d ms (maxActive %u)",
				     db->max_wait_ms, db->max_active);
			return NULL;
		}
	}
}

AmDbConn *
am_db_acquire (AmDb *db, GError **error)
{
	AmDbConn *conn;

	g_return_val_if_fail (db != NULL, NULL);
	g_mutex_lock (&db->lock);
	conn = db_acquire_locked (db, error);
	g_mutex_unlock (&db->lock);
	if (conn == NULL) {
		g_prefix_error (error, "%s: ", db->name);
		return NULL;
	}
	conn->db = am_db_ref (db);
	return conn;
}

AmDbConn *
am_db_acquire_reader (AmDb *db, GError **error)
{
	AmDbConn *conn = am_db_acquire (db, error);

	if (conn == NULL || db->target.auto_commit)
		return conn;
	if (!db->drv->set_autocommit (conn->handle, TRUE, error)) {
		conn->broken = TRUE;
		am_db_release (conn);
		return NULL;
	}
	conn->reader = TRUE;
	return conn;
}

void
am_db_release (AmDbConn *conn)
{
	AmDb *db;

	if (conn == NULL)
		return;
	db = conn->db;
	if (conn->n_stmts > 0) {
		/* Closing the handle would leave the statements dangling. */
		g_critical ("%s: connection released with %u live statements; leaking it",
			    db->name, conn->n_stmts);
		return;
	}
	if (conn->in_txn && !conn->broken) {
		g_autoptr (GError) error = NULL;
		if (!am_db_rollback (conn, &error))
			conn->broken = TRUE;
	}
	/* a reader's autocommit mode stays: the next non-reader borrower's
	 * first statement begins a transaction, which switches it off */
	conn->reader = FALSE;
	if (conn->broken) {
		db_drop (db, conn);
	} else {
		g_mutex_lock (&db->lock);
		g_queue_push_head (&db->idle, conn);
		g_cond_signal (&db->cond);
		g_mutex_unlock (&db->lock);
	}
	am_db_unref (db);
}

AmDb *
am_db_conn_get_db (AmDbConn *conn)
{
	return conn->db;
}

void
am_db_get_stats (AmDb *db, AmDbStats *stats)
{
	g_mutex_lock (&db->lock);
	stats->open = db->open;
	stats->idle = g_queue_get_length (&db->idle);
	stats->max = db->max_active;
	stats->reconnects = db->reconnects;
	g_mutex_unlock (&db->lock);
}

gboolean
am_db_ping (AmDb *db, GError **error)
{
	g_autoptr (AmDbConn) conn = am_db_acquire (db, error);
	g_autoptr (AmDbStmt) stmt = NULL;
	AmDbStep step;

	if (conn == NULL)
		return FALSE;
	stmt = am_db_prepare (conn, db->validation_query, error);
	if (stmt == NULL)
		return FALSE;
	while ((step = am_db_step (stmt, error)) == AM_DB_STEP_ROW)
		;
	if (step == AM_DB_STEP_ERROR)
		return FALSE;
	conn->validated_at = g_get_monotonic_time ();
	return TRUE;
}

/* ---- connections and statements ----------------------------------------- */

/* After any failed driver call: remember whether the link itself is gone. */
static void
db_conn_note_error (AmDbConn *conn, GError *error)
{
	if (g_error_matches (error, AM_DB_ERROR, AM_DB_ERROR_CONNECT) ||
	    conn->db->drv->is_connection_error (conn->handle))
		conn->broken = TRUE;
}

gboolean
am_db_begin (AmDbConn *conn, GError **error)
{
	g_return_val_if_fail (conn != NULL, FALSE);
	if (conn->in_txn)
		return TRUE;
	if (!conn->db->drv->begin (conn->handle, error)) {
		db_conn_note_error (conn, error != NULL ? *error : NULL);
		return FALSE;
	}
	conn->in_txn = TRUE;
	return TRUE;
}

static gboolean
db_end_txn (AmDbConn *conn, gboolean commit, GError **error)
{
	const AmDbDriver *drv = conn->db->drv;
	gboolean ok;

	if (!conn->in_txn)
		return TRUE;
	ok = commit ? drv->commit (conn->handle, error) : drv->rollback (conn->handle, error);
	if (!ok) {
		db_conn_note_error (conn, error != NULL ? *error : NULL);
		return FALSE;
	}
	conn->in_txn = FALSE;
	/* a reader borrow goes back to one commit per statement (MySQL's
	 * begin switched autocommit off; left so, every later read would join
	 * one never-ending transaction and its old snapshot) */
	if (conn->reader && !drv->set_autocommit (conn->handle, TRUE, error)) {
		db_conn_note_error (conn, error != NULL ? *error : NULL);
		return FALSE;
	}
	return TRUE;
}

gboolean
am_db_commit (AmDbConn *conn, GError **error)
{
	g_return_val_if_fail (conn != NULL, FALSE);
	return db_end_txn (conn, TRUE, error);
}

gboolean
am_db_rollback (AmDbConn *conn, GError **error)
{
	g_return_val_if_fail (conn != NULL, FALSE);
	return db_end_txn (conn, FALSE, error);
}

/* defaultAutoCommit=false: every statement belongs to a transaction. */
static gboolean
db_conn_implicit_begin (AmDbConn *conn, GError **error)
{
	if (conn->db->target.auto_commit || conn->reader || conn->in_txn)
		return TRUE;
	return am_db_begin (conn, error);
}

gboolean
am_db_exec_script (AmDbConn *conn, const char *script, GError **error)
{
	g_return_val_if_fail (conn != NULL && script != NULL, FALSE);
	if (!db_conn_implicit_begin (conn, error))
		return FALSE;
	if (!conn->db->drv->exec_script (conn->handle, script, error)) {
		db_conn_note_error (conn, error != NULL ? *error : NULL);
		return FALSE;
	}
	return TRUE;
}

static gboolean
db_catalogue_has (AmDbConn *conn, const char *sql, const char *table, const char *column,
		  GError **error)
{
	g_autoptr (AmDbStmt) stmt = am_db_prepare (conn, sql, error);
	AmDbStep step;

	if (stmt == NULL)
		return FALSE;
	am_db_bind_text (stmt, 1, table);
	if (column != NULL)
		am_db_bind_text (stmt, 2, column);
	step = am_db_step (stmt, error);
	return step == AM_DB_STEP_ROW;
}

gboolean
am_db_table_exists (AmDbConn *conn, const char *table, GError **error)
{
	g_return_val_if_fail (conn != NULL && table != NULL, FALSE);
	return db_catalogue_has (conn, conn->db->drv->table_exists_sql, table, NULL, error);
}

gboolean
am_db_column_exists (AmDbConn *conn, const char *table, const char *column, GError **error)
{
	g_return_val_if_fail (conn != NULL && table != NULL && column != NULL, FALSE);
	return db_catalogue_has (conn, conn->db->drv->column_exists_sql, table, column, error);
}

AmDbStmt *
am_db_prepare (AmDbConn *conn, const char *sql, GError **error)
{
	AmDbStmt *stmt;
	gpointer handle = NULL;
	gpointer key = NULL;

	g_return_val_if_fail (conn != NULL && sql != NULL, NULL);
	/* take it out of the cache: two live statements never share a handle */
	if (conn->stmt_cache != NULL &&
	    g_hash_table_steal_extended (conn->stmt_cache, sql, &key, &handle)) {
		g_free (key);
	} else {
		handle = conn->db->drv->prepare (conn->handle, sql, error);
		if (handle == NULL) {
			db_conn_note_error (conn, error != NULL ? *error : NULL);
			return NULL;
		}
	}
	stmt = g_new0 (AmDbStmt, 1);
	stmt->conn = conn;
	stmt->handle = handle;
	stmt->sql = g_strdup (sql);
	conn->n_stmts++;
	return stmt;
}

void
am_db_stmt_free (AmDbStmt *stmt)
{
	AmDbConn *conn;

	if (stmt == NULL)
		return;
	conn = stmt->conn;
	if (conn->stmt_cache == NULL)
		conn->stmt_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	if (!stmt->failed && !conn->broken &&
	    g_hash_table_size (conn->stmt_cache) < DB_STMT_CACHE_MAX &&
	    !g_hash_table_contains (conn->stmt_cache, stmt->sql) &&
	    conn->db->drv->reset (stmt->handle)) {
		g_hash_table_insert (conn->stmt_cache, g_steal_pointer (&stmt->sql), stmt->handle);
	} else {
		conn->db->drv->finalize (stmt->handle);
	}
	conn->n_stmts--;
	g_free (stmt->sql);
	g_free (stmt);
}

void
am_db_bind_text (AmDbStmt *stmt, int idx, const char *value)
{
	g_return_if_fail (stmt != NULL && idx >= 1);
	if (value == NULL)
		stmt->conn->db->drv->bind_null (stmt->handle, idx);
	else
		stmt->conn->db->drv->bind_text (stmt->handle, idx, value);
}

void
am_db_bind_int64 (AmDbStmt *stmt, int idx, gint64 value)
{
	g_return_if_fail (stmt != NULL && idx >= 1);
	stmt->conn->db->drv->bind_int64 (stmt->handle, idx, value);
}

void
am_db_bind_null (AmDbStmt *stmt, int idx)
{
	g_return_if_fail (stmt != NULL && idx >= 1);
	stmt->conn->db->drv->bind_null (stmt->handle, idx);
}

/* WSO2 columns hold seconds; the fraction is dropped, never rounded up. */
void
am_db_bind_timestamp (AmDbStmt *stmt, int idx, gint64 unix_usec)
{
	gint64 secs = unix_usec / G_USEC_PER_SEC;
	g_autoptr (GDateTime) dt = NULL;
	g_autofree char *text = NULL;

	if (unix_usec < 0 && unix_usec % G_USEC_PER_SEC != 0)
		secs--;
	dt = g_date_time_new_from_unix_utc (secs);
	g_return_if_fail (dt != NULL);
	text = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
	am_db_bind_text (stmt, idx, text);
}

AmDbStep
am_db_step (AmDbStmt *stmt, GError **error)
{
	AmDbStep step;

	g_return_val_if_fail (stmt != NULL, AM_DB_STEP_ERROR);
	if (stmt->failed) {
		g_set_error_literal (error, AM_DB_ERROR, AM_DB_ERROR_FAILED,
				     "statement already failed");
		return AM_DB_STEP_ERROR;
	}
	if (stmt->done)
		return AM_DB_STEP_DONE;
	if (!db_conn_implicit_begin (stmt->conn, error))
		return AM_DB_STEP_ERROR;
	step = stmt->conn->db->drv->step (stmt->handle, error);
	if (step == AM_DB_STEP_ERROR) {
		stmt->failed = TRUE;
		db_conn_note_error (stmt->conn, error != NULL ? *error : NULL);
	} else if (step == AM_DB_STEP_DONE) {
		stmt->done = TRUE;
	}
	return step;
}

int
am_db_column_count (AmDbStmt *stmt)
{
	return stmt->conn->db->drv->column_count (stmt->handle);
}

const char *
am_db_column_text (AmDbStmt *stmt, int col)
{
	g_return_val_if_fail (col >= 0 && col < am_db_column_count (stmt), NULL);
	return stmt->conn->db->drv->column_text (stmt->handle, col);
}

gboolean
am_db_column_is_null (AmDbStmt *stmt, int col)
{
	return am_db_column_text (stmt, col) == NULL;
}

gint64
am_db_column_int64 (AmDbStmt *stmt, int col)
{
	const char *text = am_db_column_text (stmt, col);

	return text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;
}

gint64
am_db_changes (AmDbStmt *stmt)
{
	return stmt->conn->db->drv->changes (stmt->handle);
}

gint64
am_db_last_insert_id (AmDbStmt *stmt)
{
	return stmt->conn->db->drv->last_insert_id (stmt->handle);
}

gint64
am_db_exec (AmDbConn *conn, const char *sql, GError **error, int n_args, ...)
{
	g_autoptr (AmDbStmt) stmt = am_db_prepare (conn, sql, error);
	AmDbStep step;
	va_list ap;

	if (stmt == NULL)
		return -1;
	va_start (ap, n_args);
	for (int i = 0; i < n_args; i++)
		am_db_bind_text (stmt, i + 1, va_arg (ap, const char *));
	va_end (ap);
	while ((step = am_db_step (stmt, error)) == AM_DB_STEP_ROW)
		;
	return step == AM_DB_STEP_DONE ? am_db_changes (stmt) : -1;
}

/* ---- off the main loop -------------------------------------------------- */

typedef struct {
	AmDb *db;
	AmDbFunc func;
	gpointer data;
	GDestroyNotify data_free;
} DbRun;

static void
db_run_free (gpointer p)
{
	DbRun *run = p;

	if (run->data_free != NULL && run->data != NULL)
		run->data_free (run->data);
	am_db_unref (run->db);
	g_free (run);
}

static void
db_run_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	DbRun *run = task_data;
	g_autoptr (GError) error = NULL;
	gpointer result;

	if (g_task_return_error_if_cancelled (task))
		return;
	result = run->func (run->db, run->data, cancellable, &error);
	if (error != NULL)
		g_task_return_error (task, g_steal_pointer (&error));
	else
		g_task_return_pointer (task, result, NULL);
}

void
am_db_run_async (AmDb *db,
		 AmDbFunc func,
		 gpointer data,
		 GDestroyNotify data_free,
		 GCancellable *cancellable,
		 GAsyncReadyCallback callback,
		 gpointer user_data)
{
	g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
	DbRun *run = g_new0 (DbRun, 1);

	run->db = am_db_ref (db);
	run->func = func;
	run->data = data;
	run->data_free = data_free;
	g_task_set_source_tag (task, am_db_run_async);
	g_task_set_task_data (task, run, db_run_free);
	g_task_run_in_thread (task, db_run_thread);
}

gpointer
am_db_run_finish (AmDb *db, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
	g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == am_db_run_async, NULL);
	return g_task_propagate_pointer (G_TASK (result), error);
}
