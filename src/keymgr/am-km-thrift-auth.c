/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's login to the Key Manager: AuthenticatorService.authenticate
 * as Carbon identity's thrift authentication servlet serves it, one
 * TCompactProtocol CALL in the body of an HTTPS POST to /thriftAuthenticator
 * on the management server and one compact REPLY back
 * (application/x-thrift).  The user name and password are checked against
 * the user store; the answer is a new random session id.
 *
 * Sessions behave like WSO2's ThriftAuthenticatorServiceImpl with
 * DBThriftSessionDAO: kept in memory and in IDN_THRIFT_SESSION (times as
 * milliseconds since the epoch in text, TENANT_ID -1234), so every Key
 * Manager of a cluster accepts a session any of them issued; valid for
 * ThriftSessionTimeout (thrift-authentication.xml, 30 minutes) after the
 * last use.  am_km_session_check is what every APIKeyValidationService call
 * asks first; it writes LAST_MODIFIED_TIME back at most once a minute per
 * session, so a busy gateway does not turn each validation into a write.
 *
 * The endpoint belongs to the identity component, so it is served even
 * when APIKeyValidator/EnableThriftServer is false.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"
#include "am-mgmt.h"
#include "am-userstore.h"

#include <string.h>
#include <thrift/c_glib/protocol/thrift_compact_protocol.h>
#include <thrift/c_glib/thrift.h>

#include "am_thrift_authenticator_service.h"

#define AUTH_PATH "/thriftAuthenticator"
#define AUTH_CONTENT_TYPE "application/x-thrift"
/* A login is a user name and a password: a few hundred bytes.  The cap
 * also bounds how deep a hostile body can nest skipped structs. */
#define AUTH_MAX_BODY 4096
/* LAST_MODIFIED_TIME is refreshed in the database at most this often (ms). */
#define SESSION_DB_TOUCH_MS 60000
/* Expired sessions are swept from memory and the table at most this often (ms). */
#define SESSION_PURGE_MS 60000

typedef struct {
	char *user;
	gint64 last_access_ms;
	gint64 db_touched_ms;
} KmSession;

struct _KmThriftAuth {
	AmKm *km;
	GMutex lock;
	GHashTable *sessions; /* session id -> KmSession */
	gint64 last_purge_ms;
	GCond idle;	      /* signalled when busy drops to 0 */
	guint busy;	      /* logins running in GTask threads */
};
typedef struct _KmThriftAuth KmThriftAuth;

static void
km_session_free (gpointer p)
{
	KmSession *s = p;

	g_free (s->user);
	g_free (s);
}

static gint64
auth_now_ms (AmKm *km)
{
	return am_km_now (km) / 1000;
}

/* ---- IDN_THRIFT_SESSION ---- */

/* One write, committed (WSO2 ships defaultAutoCommit=false). */
static gboolean
session_db_write (AmKm *km, const char *sql, GError **error, int n_args, const char *a,
		  const char *b, const char *c, const char *d, const char *e)
{
	g_autoptr (AmDbConn) conn = am_db_acquire (am_km_get_db (km), error);

	if (conn == NULL)
		return FALSE;
	return am_db_exec (conn, sql, error, n_args, a, b, c, d, e) >= 0 &&
	       am_db_commit (conn, error);
}

static gboolean
session_db_insert (AmKm *km, const char *session_id, const char *user, gint64 now_ms,
		   GError **error)
{
	g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, now_ms);
	g_autofree char *tenant = g_strdup_printf ("%d", AM_SUPER_TENANT_ID);

	return session_db_write (km,
				 "INSERT INTO IDN_THRIFT_SESSION (SESSION_ID, USER_NAME, "
				 "CREATED_TIME, LAST_MODIFIED_TIME, TENANT_ID) VALUES (?, ?, ?, ?, ?)",
				 error, 5, session_id, user, now, now, tenant);
}

static void
session_db_touch (AmKm *km, const char *session_id, gint64 now_ms)
{
	g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, now_ms);
	g_autoptr (GError) error = NULL;

	if (!session_db_write (km, "UPDATE IDN_THRIFT_SESSION SET LAST_MODIFIED_TIME = ? "
				  "WHERE SESSION_ID = ?",
			      &error, 2, now, session_id, NULL, NULL, NULL))
		g_warning ("Thrift session: cannot refresh its last use: %s", error->message);
}

static void
session_db_delete (AmKm *km, const char *session_id)
{
	g_autoptr (GError) error = NULL;

	if (!session_db_write (km, "DELETE FROM IDN_THRIFT_SESSION WHERE SESSION_ID = ?", &error,
			       1, session_id, NULL, NULL, NULL, NULL))
		g_warning ("Thrift session: cannot remove an expired one: %s", error->message);
}

/* The session's user and last use from the table; FALSE when it is not
 * there (or the database fails, which is logged). */
static gboolean
session_db_lookup (AmKm *km, const char *session_id, char **user, gint64 *last_ms)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbConn) conn = am_db_acquire_reader (am_km_get_db (km), &error);
	g_autoptr (AmDbStmt) st = NULL;
	const char *text;
	char *end = NULL;

	if (conn != NULL)
		st = am_db_prepare (conn,
				    "SELECT USER_NAME, LAST_MODIFIED_TIME FROM IDN_THRIFT_SESSION "
				    "WHERE SESSION_ID = ?",
				    &error);
	if (st != NULL) {
		am_db_bind_text (st, 1, session_id);
		switch (am_db_step (st, &error)) {
		case AM_DB_STEP_ROW:
			text = am_db_column_text (st, 1);
			*last_ms = text != NULL ? g_ascii_strtoll (text, &end, 10) : 0;
			if (end == NULL || end == text || *end != '\0')
				*last_ms = 0; /* unreadable: treat as expired */
			*user = g_strdup (am_db_column_text (st, 0));
			return TRUE;
		case AM_DB_STEP_DONE:
			return FALSE;
		case AM_DB_STEP_ERROR:
			break;
		}
	}
	g_warning ("Thrift session: cannot look it up: %s", error->message);
	return FALSE;
}

/* Drop sessions nobody used for longer than the timeout, from memory and
 * from the table (whose LAST_MODIFIED_TIME may lag by SESSION_DB_TOUCH_MS). */
static void
auth_purge (KmThriftAuth *auth, gint64 now_ms)
{
	gint64 timeout = am_km_get_conf (auth->km)->thrift_session_timeout;
	g_autofree char *cutoff = NULL;
	g_autoptr (GError) error = NULL;
	GHashTableIter iter;
	KmSession *s;

	g_mutex_lock (&auth->lock);
	if (now_ms - auth->last_purge_ms < SESSION_PURGE_MS) {
		g_mutex_unlock (&auth->lock);
		return;
	}
	auth->last_purge_ms = now_ms;
	g_hash_table_iter_init (&iter, auth->sessions);
	while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &s)) {
		if (now_ms - s->last_access_ms >= timeout)
			g_hash_table_iter_remove (&iter);
	}
	g_mutex_unlock (&auth->lock);

	/* the column is text; every value since 2001 has 13 digits, so text
	 * order is numeric order */
	cutoff = g_strdup_printf ("%013" G_GINT64_FORMAT,
				  MAX (now_ms - timeout - SESSION_DB_TOUCH_MS, 0));
	if (!session_db_write (auth->km,
			       "DELETE FROM IDN_THRIFT_SESSION WHERE LAST_MODIFIED_TIME < ?", &error,
			       1, cutoff, NULL, NULL, NULL, NULL))
		g_warning ("Thrift sessions: cannot remove expired ones: %s", error->message);
}

static void
auth_remember (KmThriftAuth *auth, const char *session_id, const char *user, gint64 now_ms)
{
	KmSession *s = g_new0 (KmSession, 1);

	s->user = g_strdup (user);
	s->last_access_ms = now_ms;
	s->db_touched_ms = now_ms;
	g_mutex_lock (&auth->lock);
	g_hash_table_replace (auth->sessions, g_strdup (session_id), s);
	g_mutex_unlock (&auth->lock);
}

/* The memory half of the check: TRUE when the session is known here and
 * fresh; *touch_db says the table's LAST_MODIFIED_TIME is due. */
static gboolean
auth_check_memory (KmThriftAuth *auth, const char *session_id, gint64 now_ms, gint64 timeout,
		   gboolean *touch_db)
{
	KmSession *s;
	gboolean ok = FALSE;

	g_mutex_lock (&auth->lock);
	s = g_hash_table_lookup (auth->sessions, session_id);
	if (s != NULL && now_ms - s->last_access_ms < timeout) {
		s->last_access_ms = now_ms;
		*touch_db = now_ms - s->db_touched_ms >= SESSION_DB_TOUCH_MS;
		if (*touch_db)
			s->db_touched_ms = now_ms;
		ok = TRUE;
	} else if (s != NULL) {
		/* stale here; another Key Manager may have kept it alive */
		g_hash_table_remove (auth->sessions, session_id);
	}
	g_mutex_unlock (&auth->lock);
	return ok;
}

gboolean
am_km_session_check (AmKm *km, const char *session_id)
{
	KmThriftAuth *auth = km->thrift_auth;
	gint64 timeout = am_km_get_conf (km)->thrift_session_timeout;
	gint64 now_ms = auth_now_ms (km);
	g_autofree char *user = NULL;
	gboolean touch = FALSE;
	gint64 last_ms = 0;

	if (session_id == NULL || *session_id == '\0')
		return FALSE;
	if (auth != NULL && auth_check_memory (auth, session_id, now_ms, timeout, &touch)) {
		if (touch)
			session_db_touch (km, session_id, now_ms);
		return TRUE;
	}
	if (!session_db_lookup (km, session_id, &user, &last_ms))
		return FALSE;
	if (now_ms - last_ms >= timeout) {
		session_db_delete (km, session_id);
		return FALSE;
	}
	session_db_touch (km, session_id, now_ms);
	if (auth != NULL)
		auth_remember (auth, session_id, user, now_ms);
	return TRUE;
}

/* ---- authenticate ---- */

static AmThriftAuthenticationException *
auth_exception (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static AmThriftAuthenticationException *
auth_exception (const char *fmt, ...)
{
	g_autofree char *message = NULL;
	va_list ap;

	va_start (ap, fmt);
	message = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	return g_object_new (AM_THRIFT_TYPE_AUTHENTICATION_EXCEPTION, "message", message, NULL);
}

/* WSO2's checks and messages: a new session id, or the exception. */
static char *
auth_login (KmThriftAuth *auth, const char *user, const char *password,
	    AmThriftAuthenticationException **ae)
{
	AmUserStore *us = auth->km->userstore;
	g_autoptr (GError) error = NULL;
	g_autofree char *session_id = NULL;
	gint64 now_ms;

	if (user == NULL || *user == '\0' || password == NULL || *password == '\0' ||
	    g_str_has_suffix (user, "@")) {
		*ae = auth_exception ("Authentication failed: invalid user name or password.");
		return NULL;
	}
	if (us == NULL) {
		*ae = auth_exception ("Authentication failed: no user store is available.");
		return NULL;
	}
	if (!am_userstore_user_exists (us, user, &error)) {
		if (error != NULL && !g_error_matches (error, AM_USERSTORE_ERROR,
						       AM_USERSTORE_ERROR_TENANT)) {
			g_warning ("Thrift login: user store: %s", error->message);
			*ae = auth_exception ("Authentication failed: user store error.");
			return NULL;
		}
		g_message ("Thrift login refused: unknown user '%s'", user);
		*ae = auth_exception ("Invalid User : %s", user);
		return NULL;
	}
	if (!am_userstore_authenticate (us, user, password, &error)) {
		if (!g_error_matches (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_AUTH)) {
			g_warning ("Thrift login: user store: %s", error->message);
			*ae = auth_exception ("Authentication failed: user store error.");
			return NULL;
		}
		g_message ("Thrift login refused: wrong password for '%s'", user);
		*ae = auth_exception ("User '%s' not authenticated.", user);
		return NULL;
	}
	now_ms = auth_now_ms (auth->km);
	auth_purge (auth, now_ms);
	session_id = am_km_uuid4 ();
	if (!session_db_insert (auth->km, session_id, user, now_ms, &error)) {
		g_warning ("Thrift login: cannot store the session: %s", error->message);
		*ae = auth_exception ("Authentication failed: the session cannot be stored.");
		return NULL;
	}
	auth_remember (auth, session_id, user, now_ms);
	g_debug ("Thrift login: '%s' has a new session", user);
	return g_steal_pointer (&session_id);
}

/* The generated processor calls this: a handler subclass. */
typedef struct {
	AmThriftAuthenticatorServiceHandler parent;
	KmThriftAuth *auth;
} KmAuthHandler;

typedef struct {
	AmThriftAuthenticatorServiceHandlerClass parent;
} KmAuthHandlerClass;

static GType km_auth_handler_get_type (void);
G_DEFINE_TYPE (KmAuthHandler, km_auth_handler, AM_THRIFT_TYPE_AUTHENTICATOR_SERVICE_HANDLER)

static gboolean
km_auth_handler_authenticate (AmThriftAuthenticatorServiceIf *iface, gchar **_return,
			      const gchar *user, const gchar *password,
			      AmThriftAuthenticationException **ae, GError **error)
{
	KmAuthHandler *self = (KmAuthHandler *) iface;
	char *session_id = auth_login (self->auth, user, password, ae);

	if (session_id == NULL)
		return FALSE;
	g_free (*_return);
	*_return = session_id;
	return TRUE;
}

static void
km_auth_handler_class_init (KmAuthHandlerClass *klass)
{
	AmThriftAuthenticatorServiceHandlerClass *h = (AmThriftAuthenticatorServiceHandlerClass *) klass;

	h->authenticate = km_auth_handler_authenticate;
}

static void
km_auth_handler_init (KmAuthHandler *self)
{
}

/* ---- a transport over a request body ---- */

/* ThriftMemoryBuffer's read returns 0 at the end of its data, which
 * read_all turns into an endless loop on a truncated body; this one fails
 * instead, and keeps remainingMessageSize_ (which the compact protocol
 * checks string and container sizes against) at what is really left. */
typedef struct {
	ThriftTransport parent;
	GBytes *in;
	gsize pos;
	GByteArray *out;
} KmBodyTransport;

typedef struct {
	ThriftTransportClass parent;
} KmBodyTransportClass;

static GType km_body_transport_get_type (void);
G_DEFINE_TYPE (KmBodyTransport, km_body_transport, THRIFT_TYPE_TRANSPORT)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KmBodyTransport, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KmAuthHandler, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ThriftProtocol, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ThriftProcessor, g_object_unref)

static gboolean
body_is_open (ThriftTransport *t)
{
	return TRUE;
}

static gboolean
body_nop (ThriftTransport *t, GError **error)
{
	return TRUE;
}

static gint32
body_read (ThriftTransport *t, gpointer buf, guint32 len, GError **error)
{
	KmBodyTransport *self = (KmBodyTransport *) t;
	gsize size = 0;
	const guint8 *data = g_bytes_get_data (self->in, &size);
	gsize give = MIN ((gsize) len, size - self->pos);

	if (give == 0 && len > 0) {
		g_set_error_literal (error, THRIFT_TRANSPORT_ERROR, THRIFT_TRANSPORT_ERROR_RECEIVE,
				     "the request body ends inside the message");
		return -1;
	}
	memcpy (buf, data + self->pos, give);
	self->pos += give;
	t->remainingMessageSize_ = (glong) (size - self->pos);
	return (gint32) give;
}

static gboolean
body_write (ThriftTransport *t, const gpointer buf, const guint32 len, GError **error)
{
	KmBodyTransport *self = (KmBodyTransport *) t;

	g_byte_array_append (self->out, buf, len);
	return TRUE;
}

static void
km_body_transport_finalize (GObject *object)
{
	KmBodyTransport *self = (KmBodyTransport *) object;

	g_bytes_unref (self->in);
	g_byte_array_unref (self->out);
	G_OBJECT_CLASS (km_body_transport_parent_class)->finalize (object);
}

static void
km_body_transport_class_init (KmBodyTransportClass *klass)
{
	ThriftTransportClass *t = (ThriftTransportClass *) klass;

	G_OBJECT_CLASS (klass)->finalize = km_body_transport_finalize;
	t->is_open = body_is_open;
	t->open = body_nop;
	t->close = body_nop;
	t->read = body_read;
	t->read_end = body_nop;
	t->write = body_write;
	t->write_end = body_nop;
	t->flush = body_nop;
}

static void
km_body_transport_init (KmBodyTransport *self)
{
	self->out = g_byte_array_new ();
}

/* ---- the HTTP endpoint ---- */

typedef struct {
	KmThriftAuth *auth;
	GBytes *body;
} AuthJob;

static void
auth_job_free (gpointer p)
{
	AuthJob *job = p;

	g_bytes_unref (job->body);
	g_free (job);
}

static void
auth_job_end (KmThriftAuth *auth)
{
	g_mutex_lock (&auth->lock);
	if (--auth->busy == 0)
		g_cond_broadcast (&auth->idle);
	g_mutex_unlock (&auth->lock);
}

/* One compact CALL in, one compact REPLY out (a GBytes); blocks on the
 * user store and the database, so it runs in a GTask thread. */
static void
auth_job_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	AuthJob *job = data;
	g_autoptr (KmBodyTransport) transport = g_object_new (km_body_transport_get_type (), NULL);
	g_autoptr (ThriftProtocol) protocol = NULL;
	g_autoptr (KmAuthHandler) handler = g_object_new (km_auth_handler_get_type (), NULL);
	g_autoptr (ThriftProcessor) processor = NULL;
	GError *error = NULL;

	transport->in = g_bytes_ref (job->body);
	THRIFT_TRANSPORT (transport)->remainingMessageSize_ = (glong) g_bytes_get_size (job->body);
	protocol = g_object_new (THRIFT_TYPE_COMPACT_PROTOCOL, "transport", transport,
				 "string_limit", AUTH_MAX_BODY, "container_limit", AUTH_MAX_BODY,
				 NULL);
	handler->auth = job->auth;
	processor = g_object_new (AM_THRIFT_TYPE_AUTHENTICATOR_SERVICE_PROCESSOR, "handler", handler,
				  NULL);
	if (!thrift_processor_process (processor, protocol, protocol, &error)) {
		auth_job_end (job->auth);
		g_task_return_error (task, error);
		return;
	}
	auth_job_end (job->auth);
	g_task_return_pointer (task,
			       g_byte_array_free_to_bytes (g_byte_array_ref (transport->out)),
			       (GDestroyNotify) g_bytes_unref);
}

static void
on_auth_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr (SoupServerMessage) msg = user_data;
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) reply = g_task_propagate_pointer (G_TASK (result), &error);

	if (reply == NULL) {
		g_warning ("Thrift login: bad request: %s", error->message);
		am_mgmt_respond (msg, SOUP_STATUS_BAD_REQUEST, "text/plain",
				 "Bad Thrift request\n");
	} else {
		soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
		soup_server_message_set_response (msg, AUTH_CONTENT_TYPE, SOUP_MEMORY_COPY,
						  g_bytes_get_data (reply, NULL),
						  g_bytes_get_size (reply));
	}
	soup_server_message_unpause (msg);
}

static void
on_auth_request (SoupServer *server, SoupServerMessage *msg, const char *path,
		 GHashTable *query, gpointer user_data)
{
	KmThriftAuth *auth = user_data;
	SoupMessageBody *body;
	g_autoptr (GBytes) bytes = NULL;
	g_autoptr (GTask) task = NULL;
	AuthJob *job;

	if (strcmp (path, AUTH_PATH) != 0) {
		am_mgmt_respond (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "Not Found\n");
		return;
	}
	if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0) {
		soup_message_headers_replace (soup_server_message_get_response_headers (msg),
					      "Allow", "POST");
		am_mgmt_respond (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "text/plain",
				 "Method Not Allowed\n");
		return;
	}
	body = soup_server_message_get_request_body (msg);
	if (body->length == 0 || body->length > AUTH_MAX_BODY) {
		g_warning ("Thrift login: refused a body of %" G_GOFFSET_FORMAT " bytes",
			   body->length);
		am_mgmt_respond (msg, body->length == 0 ? SOUP_STATUS_BAD_REQUEST
							: SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
				 "text/plain", "Bad Thrift request\n");
		return;
	}
	bytes = soup_message_body_flatten (body);
	job = g_new0 (AuthJob, 1);
	job->auth = auth;
	job->body = g_steal_pointer (&bytes);
	g_mutex_lock (&auth->lock);
	auth->busy++;
	g_mutex_unlock (&auth->lock);
	soup_server_message_pause (msg);
	task = g_task_new (NULL, NULL, on_auth_done, g_object_ref (msg));
	g_task_set_task_data (task, job, auth_job_free);
	g_task_run_in_thread (task, auth_job_run);
}

/* ---- the component ---- */

static gpointer
thrift_auth_start (AmKm *km, GError **error)
{
	AmMgmt *mgmt = am_server_get_mgmt (am_km_get_server (km));
	KmThriftAuth *auth;

	if (mgmt == NULL) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
				     "no management server to serve " AUTH_PATH);
		return NULL;
	}
	auth = g_new0 (KmThriftAuth, 1);
	auth->km = km;
	g_mutex_init (&auth->lock);
	g_cond_init (&auth->idle);
	auth->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, km_session_free);
	km->thrift_auth = auth;
	am_mgmt_add_handler (mgmt, AUTH_PATH, on_auth_request, auth, NULL);
	g_debug ("Thrift authenticator at %s", AUTH_PATH);
	return auth;
}

static void
thrift_auth_stop (gpointer state)
{
	KmThriftAuth *auth = state;
	AmMgmt *mgmt = am_server_get_mgmt (am_km_get_server (auth->km));

	if (mgmt != NULL)
		am_mgmt_remove_handler (mgmt, AUTH_PATH);
	/* logins still running use the Key Manager: let them finish */
	g_mutex_lock (&auth->lock);
	while (auth->busy > 0)
		g_cond_wait (&auth->idle, &auth->lock);
	g_mutex_unlock (&auth->lock);
	auth->km->thrift_auth = NULL;
	g_cond_clear (&auth->idle);
	g_hash_table_unref (auth->sessions);
	g_mutex_clear (&auth->lock);
	g_free (auth);
}

const AmKmComponent am_km_thrift_auth_component = {
	.name = "thrift-authenticator",
	.start = thrift_auth_start,
	.stop = thrift_auth_stop,
};
