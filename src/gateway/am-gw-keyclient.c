/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway side of key validation, as WSO2 2.x's ThriftKeyValidatorClient,
 * ThriftAuthClient, ThriftKeyValidatorClientPool and APIKeyValidatorClient
 * (WSClient) do it:
 *
 * ThriftClient: log in with AuthenticatorService.authenticate(user,
 * password) as one TCompactProtocol call in an HTTPS POST to
 * https://<ServerURL host>:<port><WebContextRoot>/thriftAuthenticator,
 * trusting any certificate as WSO2's login client does; the answer is a
 * session id, passed in every APIKeyValidationService call.  The calls go
 * over long-lived TLS connections to ThriftServerHost (else the ServerURL
 * host) on ThriftClientPort (10397 + offset), TBinaryProtocol without
 * framing; idle connections are kept in a pool (up to 50 idle, like the
 * gateway's StackObjectPool).  On any failure of a call - transport,
 * protocol or an exception from the Key Manager such as an expired
 * session - the gateway logs in again, opens a fresh connection and tries
 * once more; a second failure is the caller's 900900.
 *
 * WSClient: SOAP 1.1 to <ServerURL>APIKeyValidationService with HTTP Basic
 * credentials (and RememberMe: true) on every call, the JSESSIONID cookie
 * the Key Manager sets replayed afterwards; a failure is retried once too.
 *
 * The Thrift socket trusts any certificate as well (WSO2 checks it against
 * the gateway's own keystore, which we are not given here).  Reads and
 * writes time out after ThriftClientConnectionTimeOut.  Session ids,
 * passwords and tokens never reach the log.
 */
#define G_LOG_DOMAIN "am.gw"
#include "config.h"

#include "am-gw-keyclient.h"
#include "am-km-soap.h"

#include <libsoup/soup.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <thrift/c_glib/protocol/thrift_binary_protocol.h>
#include <thrift/c_glib/protocol/thrift_compact_protocol.h>
#include <thrift/c_glib/transport/thrift_buffered_transport.h>
#include <thrift/c_glib/transport/thrift_memory_buffer.h>
#include <thrift/c_glib/transport/thrift_ssl_socket.h>

#include "am_thrift_a_p_i_key_validation_service.h"
#include "am_thrift_authenticator_service.h"

#define KC_MAX_IDLE 50
#define KC_BUF_SIZE 16384
#define KC_MAX_REPLY (1024 * 1024)
#define KC_SOAP_SERVICE "APIKeyValidationService"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

G_DEFINE_QUARK (am-gw-keyclient-error-quark, am_gw_keyclient_error)

/* the generated and library types are plain GObjects without cleanups */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ThriftMemoryBuffer, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ThriftProtocol, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmThriftAuthenticatorServiceIf, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmThriftAuthenticationException, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmThriftAPIKeyValidationInfoDTO, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmThriftAPIKeyMgtException, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmThriftAPIManagementException, g_object_unref)

/* The finalizers of Thrift's transports (0.17 and later: ThriftMemoryBuffer,
 * ThriftBufferedTransport, ThriftSocket under ThriftSSLSocket) do not chain
 * up to GObject's, so the qdata block GLib allocates during g_object_unref
 * is never freed: 32 bytes per object, three per Key Manager login or
 * pooled connection.  Their classes get finalizers that finish the job
 * when the library left qdata behind (and do nothing more if a fixed
 * library chained up itself). */
static void (*kc_membuf_finalize) (GObject *object);
static void (*kc_buffered_finalize) (GObject *object);
static void (*kc_ssl_finalize) (GObject *object);

static void
kc_finish_finalize (GObject *object)
{
	if (((gsize) object->qdata & ~(gsize) 7) != 0)
		G_OBJECT_CLASS (g_type_class_peek (THRIFT_TYPE_TRANSPORT))->finalize (object);
}

static void
kc_membuf_finalize_chained (GObject *object)
{
	kc_membuf_finalize (object);
	kc_finish_finalize (object);
}

static void
kc_buffered_finalize_chained (GObject *object)
{
	kc_buffered_finalize (object);
	kc_finish_finalize (object);
}

static void
kc_ssl_finalize_chained (GObject *object)
{
	kc_ssl_finalize (object);
	kc_finish_finalize (object);
}

static void
kc_patch_finalize (GType type, void (**orig) (GObject *), void (*chained) (GObject *))
{
	GObjectClass *klass = g_type_class_ref (type); /* kept: the class stays */

	*orig = klass->finalize;
	klass->finalize = chained;
}

static void
kc_fix_thrift_classes (void)
{
	static gsize fixed;

	if (g_once_init_enter (&fixed)) {
		kc_patch_finalize (THRIFT_TYPE_MEMORY_BUFFER, &kc_membuf_finalize,
				   kc_membuf_finalize_chained);
		kc_patch_finalize (THRIFT_TYPE_BUFFERED_TRANSPORT, &kc_buffered_finalize,
				   kc_buffered_finalize_chained);
		kc_patch_finalize (THRIFT_TYPE_SSL_SOCKET, &kc_ssl_finalize, kc_ssl_finalize_chained);
		g_once_init_leave (&fixed, 1);
	}
}

static ThriftMemoryBuffer *
kc_memory_buffer_new (guint size)
{
	return g_object_new (THRIFT_TYPE_MEMORY_BUFFER, "buf_size", size, NULL);
}

/* One pooled connection: a Thrift TLS client, or a SOAP session. */
typedef struct {
	ThriftSSLSocket *sock;
	ThriftTransport *buffered;
	ThriftProtocol *proto;
	AmThriftAPIKeyValidationServiceIf *kv;
	SoupSession *soup;
} KcConn;

struct _AmGwKeyClient {
	AmKvClientType type;
	char *server_url;
	char *km_host;	       /* of ServerURL: the login */
	int km_port;
	char *thrift_host;
	int thrift_port;
	char *context_root;
	char *user;
	char *password;	       /* secret */
	char *basic;	       /* Authorization header value (secret) */
	int timeout_ms;
	guint max_threads;

	GMutex lock;	       /* everything below */
	char *session_id;      /* Thrift login session (secret) */
	guint session_gen;     /* bumped by every login */
	char *jsessionid;      /* WSClient cookie (secret) */
	GQueue idle;	       /* KcConn */
	GThreadPool *pool;
	GMutex login_lock;     /* one login at a time */
};

typedef gboolean (*KcCallFunc) (AmGwKeyClient *client, KcConn *conn, const char *sid,
				gpointer data, GError **error);

static void
kc_conn_free (KcConn *conn)
{
	if (conn == NULL)
		return;
	if (conn->buffered != NULL)
		thrift_transport_close (conn->buffered, NULL);
	g_clear_object (&conn->kv);
	g_clear_object (&conn->proto);
	g_clear_object (&conn->buffered);
	g_clear_object (&conn->sock);
	g_clear_object (&conn->soup);
	g_free (conn);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcConn, kc_conn_free)

static void
wipe_free (char *secret)
{
	if (secret != NULL)
		memset (secret, 0, strlen (secret));
	g_free (secret);
}

/* ---- construction ---- */

AmGwKeyClient *
am_gw_keyclient_new (const AmApimConf *apim, const AmPorts *ports, GError **error)
{
	g_autoptr (GUri) uri = NULL;
	g_autofree char *cred = NULL;
	g_autofree char *b64 = NULL;
	AmGwKeyClient *client;

	kc_fix_thrift_classes ();
	if (apim->kv_server_url == NULL || apim->kv_server_url[0] == '\0') {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_FAILED,
			     "APIKeyValidator/ServerURL is not set");
		return NULL;
	}
	uri = g_uri_parse (apim->kv_server_url, G_URI_FLAGS_NONE, NULL);
	if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0') {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_FAILED,
			     "APIKeyValidator/ServerURL '%s' is not a URL with a host",
			     apim->kv_server_url);
		return NULL;
	}
	client = g_new0 (AmGwKeyClient, 1);
	client->type = apim->kv_client_type;
	client->server_url = g_str_has_suffix (apim->kv_server_url, "/")
				     ? g_strdup (apim->kv_server_url)
				     : g_strconcat (apim->kv_server_url, "/", NULL);
	client->km_host = g_strdup (g_uri_get_host (uri));
	client->km_port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 443;
	client->thrift_host = g_strdup (apim->thrift_server_host != NULL &&
						apim->thrift_server_host[0] != '\0'
					? apim->thrift_server_host
					: client->km_host);
	client->thrift_port = ports->thrift_client;
	client->context_root = g_strdup ("");
	client->user = g_strdup (apim->kv_username ? apim->kv_username : "");
	client->password = g_strdup (apim->kv_password ? apim->kv_password : "");
	cred = g_strdup_printf ("%s:%s", client->user, client->password);
	b64 = g_base64_encode ((const guchar *) cred, strlen (cred));
	client->basic = g_strconcat ("Basic ", b64, NULL);
	client->timeout_ms = apim->kv_timeout_ms > 0 ? apim->kv_timeout_ms : 10000;
	client->max_threads = AM_GW_KEYCLIENT_DEFAULT_THREADS;
	g_mutex_init (&client->lock);
	g_mutex_init (&client->login_lock);
	g_queue_init (&client->idle);
	memset (cred, 0, strlen (cred));
	memset (b64, 0, strlen (b64));
	return client;
}

void
am_gw_keyclient_free (AmGwKeyClient *client)
{
	KcConn *conn;

	if (client == NULL)
		return;
	/* queued and running calls finish first: their callbacks are queued
	 * on their contexts and no longer need the client */
	if (client->pool != NULL)
		g_thread_pool_free (client->pool, FALSE, TRUE);
	while ((conn = g_queue_pop_head (&client->idle)) != NULL)
		kc_conn_free (conn);
	g_free (client->server_url);
	g_free (client->km_host);
	g_free (client->thrift_host);
	g_free (client->context_root);
	g_free (client->user);
	wipe_free (client->password);
	wipe_free (client->basic);
	wipe_free (client->session_id);
	wipe_free (client->jsessionid);
	g_mutex_clear (&client->lock);
	g_mutex_clear (&client->login_lock);
	g_free (client);
}

void
am_gw_keyclient_set_web_context_root (AmGwKeyClient *client, const char *root)
{
	g_autofree char *r = g_strdup (root != NULL ? root : "");

	/* "/" is the empty root; "/x/" is "/x" */
	while (r[0] != '\0' && r[strlen (r) - 1] == '/')
		r[strlen (r) - 1] = '\0';
	g_free (client->context_root);
	client->context_root = r[0] == '\0' || r[0] == '/' ? g_strdup (r)
							    : g_strconcat ("/", r, NULL);
}

void
am_gw_keyclient_set_max_threads (AmGwKeyClient *client, guint n)
{
	client->max_threads = MAX (1, n);
}

/* ---- login (Thrift) ---- */

static gboolean
on_accept_certificate (SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors,
		       gpointer data)
{
	return TRUE; /* WSO2's login client trusts every certificate */
}

static SoupSession *
kc_soup_session (AmGwKeyClient *client)
{
	return soup_session_new_with_options ("timeout", MAX (1, client->timeout_ms / 1000),
					      "idle-timeout", 60, "user-agent",
					      "apimd-gateway", NULL);
}

/* AuthenticatorService.authenticate: one compact CALL posted, one REPLY back. */
static char *
kc_login (AmGwKeyClient *client, GError **error)
{
	g_autoptr (SoupSession) session = kc_soup_session (client);
	g_autofree char *url = g_strdup_printf ("https://%s:%d%s/thriftAuthenticator",
						client->km_host, client->km_port,
						client->context_root);
	g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, url);
	g_autoptr (ThriftMemoryBuffer) out = kc_memory_buffer_new (4096);
	g_autoptr (ThriftMemoryBuffer) in = kc_memory_buffer_new (KC_MAX_REPLY);
	g_autoptr (ThriftProtocol) oprot =
		g_object_new (THRIFT_TYPE_COMPACT_PROTOCOL, "transport", out, NULL);
	g_autoptr (ThriftProtocol) iprot =
		g_object_new (THRIFT_TYPE_COMPACT_PROTOCOL, "transport", in, NULL);
	g_autoptr (AmThriftAuthenticatorServiceIf) auth =
		g_object_new (AM_THRIFT_TYPE_AUTHENTICATOR_SERVICE_CLIENT, "input_protocol",
			      iprot, "output_protocol", oprot, NULL);
	g_autoptr (AmThriftAuthenticationException) ae = NULL;
	g_autoptr (GBytes) reply = NULL;
	g_autoptr (GError) local = NULL;
	char *sid = NULL;

	if (msg == NULL) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_FAILED,
			     "bad login URL %s", url);
		return NULL;
	}
	if (!am_thrift_authenticator_service_client_send_authenticate (auth, client->user,
								       client->password, &local)) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_FAILED,
			     "login: %s", local->message);
		return NULL;
	}
	g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), NULL);
	soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
				      "application/x-thrift");
	soup_message_set_request_body_from_bytes (
		msg, "application/x-thrift", g_bytes_new (out->buf->data, out->buf->len));
	memset (out->buf->data, 0, out->buf->len); /* the password */
	reply = soup_session_send_and_read (session, msg, NULL, &local);
	if (reply == NULL) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_UNAVAILABLE,
			     "login at %s: %s", url, local->message);
		return NULL;
	}
	if (soup_message_get_status (msg) != SOUP_STATUS_OK) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_UNAVAILABLE,
			     "login at %s: HTTP %u", url, soup_message_get_status (msg));
		return NULL;
	}
	g_byte_array_append (in->buf, g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
	if (!am_thrift_authenticator_service_client_recv_authenticate (auth, &sid, &ae, &local)) {
		if (ae != NULL)
			g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_LOGIN,
				     "login as '%s' refused: %s", client->user,
				     ae->message ? ae->message : "AuthenticationException");
		else
			g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_FAILED,
				     "login at %s: unreadable answer: %s", url,
				     local ? local->message : "?");
		g_free (sid);
		return NULL;
	}
	return sid;
}

/* The current session id and its generation; logs in when there is none.
 * @stale_gen: the generation a failed call used (0: none) - a newer
 * session is taken as is, else a fresh login replaces it. */
static char *
kc_session (AmGwKeyClient *client, guint stale_gen, guint *gen, GError **error)
{
	char *sid = NULL;

	g_mutex_lock (&client->login_lock);
	g_mutex_lock (&client->lock);
	if (client->session_id != NULL && client->session_gen != stale_gen) {
		sid = g_strdup (client->session_id);
		*gen = client->session_gen;
	}
	g_mutex_unlock (&client->lock);
	if (sid == NULL) {
		sid = kc_login (client, error);
		if (sid != NULL) {
			g_mutex_lock (&client->lock);
			wipe_free (client->session_id);
			client->session_id = g_strdup (sid);
			*gen = ++client->session_gen;
			g_mutex_unlock (&client->lock);
			g_debug ("Logged in to the Key Manager at %s:%d", client->km_host,
				 client->km_port);
		}
	}
	g_mutex_unlock (&client->login_lock);
	return sid;
}

/* ---- connections ---- */

static gboolean
authorize_any (ThriftTransport *t, X509 *cert, struct sockaddr_storage *addr, GError **error)
{
	return TRUE;
}

/* ThriftSSLSocket answers a closed connection with a 0-byte read, on which
 * libthrift's read_all spins forever; this subclass makes it an error (the
 * Key Manager closing an idle pooled connection must take the retry path). */
typedef ThriftSSLSocket KcSslSocket;
typedef ThriftSSLSocketClass KcSslSocketClass;

static GType kc_ssl_socket_get_type (void);
G_DEFINE_TYPE (KcSslSocket, kc_ssl_socket, THRIFT_TYPE_SSL_SOCKET)

static gint32
kc_ssl_socket_read (ThriftTransport *transport, gpointer buf, guint32 len, GError **error)
{
	gint32 n = THRIFT_TRANSPORT_CLASS (kc_ssl_socket_parent_class)
			   ->read (transport, buf, len, error);

	if (n == 0 && len > 0) {
		g_set_error (error, THRIFT_TRANSPORT_ERROR, THRIFT_TRANSPORT_ERROR_RECEIVE,
			     "the Key Manager closed the connection");
		return -1;
	}
	return n;
}

static void
kc_ssl_socket_init (KcSslSocket *self)
{
}

static void
kc_ssl_socket_class_init (KcSslSocketClass *klass)
{
	THRIFT_TRANSPORT_CLASS (klass)->read = kc_ssl_socket_read;
}

static gpointer
init_openssl (gpointer data)
{
	thrift_ssl_socket_initialize_openssl ();
	return NULL;
}

static KcConn *
kc_connect_thrift (AmGwKeyClient *client, GError **error)
{
	static GOnce once = G_ONCE_INIT;
	g_autoptr (KcConn) conn = g_new0 (KcConn, 1);
	g_autoptr (GError) local = NULL;
	struct timeval tv = { client->timeout_ms / 1000, (client->timeout_ms % 1000) * 1000 };
	SSL_CTX *ctx;

	g_once (&once, init_openssl, NULL);
	ctx = thrift_ssl_socket_context_initialize (TLSv1_2, &local);
	if (ctx != NULL) {
		conn->sock = g_object_new (kc_ssl_socket_get_type (), "hostname",
					   client->thrift_host, "port", client->thrift_port, NULL);
		if (conn->sock->ctx != NULL)
			SSL_CTX_free (conn->sock->ctx);
		conn->sock->ctx = ctx;
	}
	if (conn->sock == NULL) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_FAILED,
			     "TLS context: %s", local ? local->message : "?");
		return NULL;
	}
	SSL_CTX_set_verify (conn->sock->ctx, SSL_VERIFY_NONE, NULL);
	conn->sock->allow_selfsigned = TRUE;
	thrift_ssl_socket_set_manager (conn->sock, authorize_any);
	conn->buffered = g_object_new (THRIFT_TYPE_BUFFERED_TRANSPORT, "transport", conn->sock,
				       "r_buf_size", KC_BUF_SIZE, "w_buf_size", KC_BUF_SIZE, NULL);
	conn->proto = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL, "transport", conn->buffered,
				    NULL);
	conn->kv = g_object_new (AM_THRIFT_TYPE_A_P_I_KEY_VALIDATION_SERVICE_CLIENT,
				 "input_protocol", conn->proto, "output_protocol", conn->proto,
				 NULL);
	if (!thrift_transport_open (conn->buffered, &local)) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_UNAVAILABLE,
			     "Thrift connection to %s:%d: %s", client->thrift_host,
			     client->thrift_port, local ? local->message : "?");
		return NULL;
	}
	setsockopt (THRIFT_SOCKET (conn->sock)->sd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt (THRIFT_SOCKET (conn->sock)->sd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return g_steal_pointer (&conn);
}

/* A pooled connection, or a new one (@fresh: always new). */
static KcConn *
kc_conn_get (AmGwKeyClient *client, gboolean fresh, GError **error)
{
	KcConn *conn = NULL;

	if (!fresh) {
		g_mutex_lock (&client->lock);
		conn = g_queue_pop_head (&client->idle);
		g_mutex_unlock (&client->lock);
	}
	if (conn != NULL)
		return conn;
	if (client->type == AM_KV_CLIENT_WS) {
		conn = g_new0 (KcConn, 1);
		conn->soup = kc_soup_session (client);
		return conn;
	}
	return kc_connect_thrift (client, error);
}

static void
kc_conn_put (AmGwKeyClient *client, KcConn *conn)
{
	g_mutex_lock (&client->lock);
	if (g_queue_get_length (&client->idle) < KC_MAX_IDLE) {
		g_queue_push_head (&client->idle, conn);
		conn = NULL;
	}
	g_mutex_unlock (&client->lock);
	kc_conn_free (conn);
}

/* Run @fn; on failure log in again, take a fresh connection and run it
 * once more (ThriftKeyValidatorClient / APIKeyValidatorClient). */
static gboolean
kc_call (AmGwKeyClient *client, KcCallFunc fn, gpointer data, GError **error)
{
	g_autoptr (GError) first = NULL;
	guint gen = 0;

	for (int attempt = 0; attempt < 2; attempt++) {
		g_autoptr (GError) local = NULL;
		g_autofree char *sid = NULL;
		g_autoptr (KcConn) conn = NULL;

		if (client->type == AM_KV_CLIENT_THRIFT)
			sid = kc_session (client, attempt == 0 ? 0 : gen, &gen, &local);
		if (local == NULL)
			conn = kc_conn_get (client, attempt > 0, &local);
		if (conn != NULL && fn (client, conn, sid, data, &local)) {
			kc_conn_put (client, g_steal_pointer (&conn));
			return TRUE;
		}
		/* bad credentials will not get better by retrying */
		if (g_error_matches (local, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_LOGIN)) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		if (attempt == 0) {
			g_message ("Key validation call failed (%s). Authenticating again..",
				   local->message);
			first = g_steal_pointer (&local);
			if (client->type == AM_KV_CLIENT_WS) {
				g_mutex_lock (&client->lock);
				g_clear_pointer (&client->jsessionid, wipe_free);
				g_mutex_unlock (&client->lock);
			}
		} else {
			g_propagate_prefixed_error (error, g_steal_pointer (&local),
						    "Key Manager unavailable after a retry: ");
		}
	}
	return FALSE;
}

/* ---- Thrift calls ---- */

static char **
strv_from_ptr_array (GPtrArray *a)
{
	GStrvBuilder *b;
	char **v;

	if (a == NULL)
		return NULL;
	b = g_strv_builder_new ();
	for (guint i = 0; i < a->len; i++)
		if (a->pdata[i] != NULL)
			g_strv_builder_add (b, a->pdata[i]);
	v = g_strv_builder_end (b);
	g_strv_builder_unref (b);
	return v;
}

static int
cmp_str (gconstpointer a, gconstpointer b)
{
	return strcmp (*(char *const *) a, *(char *const *) b);
}

static char **
strv_from_set (GHashTable *set)
{
	g_autofree gpointer *keys = NULL;
	g_autoptr (GStrvBuilder) b = NULL;
	guint n = 0;

	if (set == NULL)
		return NULL;
	keys = g_hash_table_get_keys_as_array (set, &n);
	qsort (keys, n, sizeof (gpointer), cmp_str);
	b = g_strv_builder_new ();
	for (guint i = 0; i < n; i++)
		g_strv_builder_add (b, keys[i]);
	return g_strv_builder_end (b);
}

static AmKeyValidationInfo *
info_from_thrift (const AmThriftAPIKeyValidationInfoDTO *d)
{
	AmKeyValidationInfo *info = g_new0 (AmKeyValidationInfo, 1);

	info->authorized = d->authorized;
	info->subscriber = g_strdup (d->subscriber);
	info->tier = g_strdup (d->tier);
	info->type = g_strdup (d->type);
	info->end_user_token = g_strdup (d->endUserToken);
	info->end_user_name = g_strdup (d->endUserName);
	info->application_name = g_strdup (d->applicationName);
	info->validation_status = d->validationStatus;
	info->application_id = g_strdup (d->applicationId);
	info->application_tier = g_strdup (d->applicationTier);
	info->api_name = g_strdup (d->apiName);
	info->consumer_key = g_strdup (d->consumerKey);
	info->api_publisher = g_strdup (d->apiPublisher);
	info->authorized_domains = strv_from_ptr_array (d->authorizedDomains);
	info->scopes = strv_from_set (d->scopes);
	info->validity_period = d->validityPeriod;
	info->issued_time = d->issuedTime;
	info->content_aware = d->isContentAware;
	info->api_tier = g_strdup (d->apiTier);
	info->throttling_data_list = strv_from_ptr_array (d->throttlingDataList);
	info->spike_arrest_limit = d->spikeArrestLimit;
	info->subscriber_tenant_domain = g_strdup (d->subscriberTenantDomain);
	info->spike_arrest_unit = g_strdup (d->spikeArrestUnit);
	info->stop_on_quota_reach = d->stopOnQuotaReach;
	return info;
}

static AmUriTemplate *
template_from_thrift (const AmThriftURITemplate *u)
{
	AmUriTemplate *t = g_new0 (AmUriTemplate, 1);

	t->uri_template = g_strdup (u->uriTemplate);
	t->resource_uri = g_strdup (u->resourceURI);
	t->resource_sandbox_uri = g_strdup (u->resourceSandboxURI);
	t->http_verb = g_strdup (u->httpVerb);
	t->auth_type = g_strdup (u->authType);
	t->throttling_tier = g_strdup (u->throttlingTier);
	t->throttling_conditions = strv_from_ptr_array (u->throttlingConditions);
	t->applicable_level = g_strdup (u->applicableLevel);
	return t;
}

/* The exceptions of a call as an error; TRUE when there was one. */
static gboolean
thrift_exception (AmThriftAPIKeyMgtException *e1, AmThriftAPIManagementException *e2,
		  GError **error)
{
	if (e1 == NULL && e2 == NULL)
		return FALSE;
	g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_REMOTE,
		     "the Key Manager answered %s: %s",
		     e1 != NULL ? "APIKeyMgtException" : "APIManagementException",
		     e1 != NULL ? (e1->message ? e1->message : "")
				: (e2->message ? e2->message : ""));
	return TRUE;
}

static gboolean
thrift_failed (AmGwKeyClient *client, GError *local, GError **error)
{
	g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_UNAVAILABLE,
		     "Thrift call to %s:%d: %s", client->thrift_host, client->thrift_port,
		     local != NULL ? local->message : "failed");
	return FALSE;
}

typedef struct {
	const AmKeyValidationRequest *req;
	AmKeyValidationInfo *info;
	const char *context;
	const char *version;
	GPtrArray *templates;
} KcCall;

static gboolean
thrift_validate (AmGwKeyClient *client, KcConn *conn, const char *sid, gpointer data,
		 GError **error)
{
	KcCall *call = data;
	const AmKeyValidationRequest *r = call->req;
	g_autoptr (AmThriftAPIKeyValidationInfoDTO) dto =
		g_object_new (AM_THRIFT_TYPE_A_P_I_KEY_VALIDATION_INFO_D_T_O, NULL);
	g_autoptr (AmThriftAPIKeyMgtException) e1 = NULL;
	g_autoptr (AmThriftAPIManagementException) e2 = NULL;
	g_autoptr (GError) local = NULL;

	if (!am_thrift_a_p_i_key_validation_service_if_validate_key (
		    conn->kv, &dto, r->context, r->version, r->access_token, sid,
		    r->required_auth_level, r->client_domain, r->matching_resource, r->http_verb,
		    &e1, &e2, &local)) {
		if (thrift_exception (e1, e2, error))
			return FALSE;
		return thrift_failed (client, local, error);
	}
	call->info = info_from_thrift (dto);
	return TRUE;
}

static gboolean
thrift_templates (AmGwKeyClient *client, KcConn *conn, const char *sid, gpointer data,
		  GError **error)
{
	KcCall *call = data;
	g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
	g_autoptr (AmThriftAPIKeyMgtException) e1 = NULL;
	g_autoptr (AmThriftAPIManagementException) e2 = NULL;
	g_autoptr (GError) local = NULL;

	if (!am_thrift_a_p_i_key_validation_service_if_get_all_u_r_i_templates (
		    conn->kv, &list, call->context, call->version, sid, &e1, &e2, &local)) {
		if (thrift_exception (e1, e2, error))
			return FALSE;
		return thrift_failed (client, local, error);
	}
	call->templates = g_ptr_array_new_with_free_func ((GDestroyNotify) am_uri_template_free);
	for (guint i = 0; i < list->len; i++)
		g_ptr_array_add (call->templates, template_from_thrift (list->pdata[i]));
	return TRUE;
}

/* ---- SOAP calls (WSClient) ---- */

static void
soap_put (GString *out, const char *name, const char *value)
{
	g_autofree char *text = NULL;

	if (value == NULL) {
		g_string_append_printf (out, "<xsd:%s xsi:nil=\"true\"/>", name);
		return;
	}
	text = g_markup_escape_text (value, -1);
	g_string_append_printf (out, "<xsd:%s>%s</xsd:%s>", name, text, name);
}

static xmlNode *
next_element (xmlNode *n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

static gboolean
is_nil (xmlNode *node)
{
	xmlChar *nil = xmlGetNsProp (node, (const xmlChar *) "nil", (const xmlChar *) XSI_NS);
	gboolean yes = nil != NULL && (strcmp ((const char *) nil, "true") == 0 ||
				       strcmp ((const char *) nil, "1") == 0);

	xmlFree (nil);
	return yes;
}

/* The children of a <return> into the struct at @value, by @fields. */
static void
soap_read_dto (xmlNode *ret, const AmKmDtoField *fields, gpointer value)
{
	g_autoptr (GHashTable) lists =
		g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
				       (GDestroyNotify) g_strv_builder_unref);
	GHashTableIter iter;
	gpointer f, b;

	for (xmlNode *c = next_element (ret->children); c != NULL; c = next_element (c->next)) {
		const AmKmDtoField *field = NULL;
		g_autofree char *text = NULL;
		xmlChar *content;
		gpointer slot;

		for (const AmKmDtoField *i = fields; i->name != NULL; i++)
			if (strcmp (i->name, (const char *) c->name) == 0)
				field = i;
		if (field == NULL || field->kind == AM_KM_DTO_PRESENT)
			continue;
		slot = G_STRUCT_MEMBER_P (value, field->offset);
		if (is_nil (c)) {
			if (field->kind == AM_KM_DTO_LIST && !g_hash_table_contains (lists, field))
				g_hash_table_insert (lists, (gpointer) field, NULL);
			continue;
		}
		content = xmlNodeGetContent (c);
		text = g_strdup (content != NULL ? (const char *) content : "");
		xmlFree (content);
		switch (field->kind) {
		case AM_KM_DTO_TEXT:
			g_free (*(char **) slot);
			*(char **) slot = g_steal_pointer (&text);
			break;
		case AM_KM_DTO_LIST:
			b = g_hash_table_lookup (lists, field);
			if (b == NULL) {
				b = g_strv_builder_new ();
				g_hash_table_insert (lists, (gpointer) field, b);
			}
			g_strv_builder_add (b, text);
			break;
		case AM_KM_DTO_BOOL:
			*(gboolean *) slot = g_ascii_strcasecmp (g_strstrip (text), "true") == 0;
			break;
		case AM_KM_DTO_INT:
			*(int *) slot = (int) g_ascii_strtoll (text, NULL, 10);
			break;
		case AM_KM_DTO_LONG:
			*(gint64 *) slot = g_ascii_strtoll (text, NULL, 10);
			break;
		case AM_KM_DTO_PRESENT:
			break;
		}
	}
	/* a nil-only list stays NULL, as Axis2 writes a null array */
	g_hash_table_iter_init (&iter, lists);
	while (g_hash_table_iter_next (&iter, &f, &b))
		if (b != NULL)
			*(char ***) G_STRUCT_MEMBER_P (value, ((const AmKmDtoField *) f)->offset) =
				g_strv_builder_end (b);
}

/* The response element in the Body of @doc, or an error with the fault. */
static xmlNode *
soap_response (xmlDoc *doc, const char *element, GError **error)
{
	xmlNode *env = xmlDocGetRootElement (doc);
	xmlNode *body = env != NULL ? next_element (env->children) : NULL;
	xmlNode *node;

	if (body != NULL && strcmp ((const char *) body->name, "Header") == 0)
		body = next_element (body->next);
	if (env == NULL || strcmp ((const char *) env->name, "Envelope") != 0 || body == NULL ||
	    strcmp ((const char *) body->name, "Body") != 0) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_FAILED,
			     "the Key Manager's answer is not a SOAP envelope");
		return NULL;
	}
	node = next_element (body->children);
	if (node != NULL && strcmp ((const char *) node->name, "Fault") == 0) {
		xmlChar *text = xmlNodeGetContent (node);

		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_REMOTE,
			     "the Key Manager answered a SOAP fault: %s",
			     text ? g_strstrip ((char *) text) : "");
		xmlFree (text);
		return NULL;
	}
	if (node == NULL || strcmp ((const char *) node->name, element) != 0) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_FAILED,
			     "the Key Manager's answer has no %s", element);
		return NULL;
	}
	return node;
}

/* POST @op's envelope; the parsed answer, or an error. */
static xmlDoc *
soap_post (AmGwKeyClient *client, KcConn *conn, const char *op, const char *inner,
	   GError **error)
{
	g_autofree char *url = g_strconcat (client->server_url, KC_SOAP_SERVICE, NULL);
	g_autofree char *action = g_strconcat ("urn:", op, NULL);
	g_autofree char *body = g_strdup_printf (
		"<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"" AM_SOAP11_NS
		"\" xmlns:xsd=\"" AM_AXIS2_XSD_NS "\" xmlns:xsi=\"" XSI_NS "\"><soapenv:Body>"
		"<xsd:%s>%s</xsd:%s></soapenv:Body></soapenv:Envelope>",
		op, inner, op);
	g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, url);
	g_autoptr (GBytes) reply = NULL;
	g_autoptr (GError) local = NULL;
	g_autofree char *cookie = NULL;
	SoupMessageHeaders *h;
	const char *set_cookie;
	guint status;
	xmlDoc *doc;

	if (msg == NULL) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_FAILED,
			     "bad service URL %s", url);
		return NULL;
	}
	g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), NULL);
	h = soup_message_get_request_headers (msg);
	soup_message_headers_replace (h, "SOAPAction", action);
	soup_message_headers_replace (h, "Authorization", client->basic);
	soup_message_headers_replace (h, "RememberMe", "true");
	g_mutex_lock (&client->lock);
	if (client->jsessionid != NULL)
		cookie = g_strconcat ("JSESSIONID=", client->jsessionid, NULL);
	g_mutex_unlock (&client->lock);
	if (cookie != NULL)
		soup_message_headers_replace (h, "Cookie", cookie);
	soup_message_set_request_body_from_bytes (msg, "text/xml; charset=UTF-8",
						  g_bytes_new_take (g_steal_pointer (&body),
								    strlen (body)));
	reply = soup_session_send_and_read (conn->soup, msg, NULL, &local);
	if (reply == NULL) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_UNAVAILABLE,
			     "%s: %s", url, local->message);
		return NULL;
	}
	status = soup_message_get_status (msg);
	if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_LOGIN,
			     "%s refused the credentials of '%s' (HTTP %u)", url, client->user,
			     status);
		return NULL;
	}
	set_cookie = soup_message_headers_get_list (soup_message_get_response_headers (msg),
						    "Set-Cookie");
	if (set_cookie != NULL && strstr (set_cookie, "JSESSIONID=") != NULL) {
		const char *v = strstr (set_cookie, "JSESSIONID=") + strlen ("JSESSIONID=");

		g_mutex_lock (&client->lock);
		wipe_free (client->jsessionid);
		client->jsessionid = g_strndup (v, strcspn (v, ";, "));
		g_mutex_unlock (&client->lock);
	}
	if (g_bytes_get_size (reply) > KC_MAX_REPLY ||
	    (doc = xmlReadMemory (g_bytes_get_data (reply, NULL), (int) g_bytes_get_size (reply),
				  "reply", NULL,
				  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) ==
		    NULL) {
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_FAILED,
			     "%s: HTTP %u with an unreadable body", url, status);
		return NULL;
	}
	return doc;
}

static gboolean
soap_validate (AmGwKeyClient *client, KcConn *conn, const char *sid, gpointer data,
	       GError **error)
{
	KcCall *call = data;
	const AmKeyValidationRequest *r = call->req;
	g_autoptr (GString) inner = g_string_new (NULL);
	xmlDoc *doc;
	xmlNode *resp, *ret;

	soap_put (inner, "context", r->context);
	soap_put (inner, "version", r->version);
	soap_put (inner, "accessToken", r->access_token);
	soap_put (inner, "requiredAuthenticationLevel", r->required_auth_level);
	soap_put (inner, "clientDomain", r->client_domain);
	soap_put (inner, "matchingResource", r->matching_resource);
	soap_put (inner, "httpVerb", r->http_verb);
	doc = soap_post (client, conn, "validateKey", inner->str, error);
	memset (inner->str, 0, inner->len); /* the token */
	if (doc == NULL)
		return FALSE;
	resp = soap_response (doc, "validateKeyResponse", error);
	ret = resp != NULL ? next_element (resp->children) : NULL;
	if (resp != NULL && ret == NULL)
		g_set_error (error, AM_GW_KEYCLIENT_ERROR, AM_GW_KEYCLIENT_ERROR_FAILED,
			     "validateKeyResponse without a return");
	if (ret != NULL) {
		call->info = g_new0 (AmKeyValidationInfo, 1);
		soap_read_dto (ret, am_km_soap_info_fields, call->info);
	}
	xmlFreeDoc (doc);
	return call->info != NULL;
}

static gboolean
soap_templates (AmGwKeyClient *client, KcConn *conn, const char *sid, gpointer data,
		GError **error)
{
	KcCall *call = data;
	g_autoptr (GString) inner = g_string_new (NULL);
	xmlDoc *doc;
	xmlNode *resp;

	soap_put (inner, "context", call->context);
	soap_put (inner, "version", call->version);
	doc = soap_post (client, conn, "getAllURITemplates", inner->str, error);
	if (doc == NULL)
		return FALSE;
	resp = soap_response (doc, "getAllURITemplatesResponse", error);
	if (resp != NULL) {
		call->templates =
			g_ptr_array_new_with_free_func ((GDestroyNotify) am_uri_template_free);
		for (xmlNode *c = next_element (resp->children); c != NULL;
		     c = next_element (c->next)) {
			AmUriTemplate *t;

			if (is_nil (c))
				continue;
			t = g_new0 (AmUriTemplate, 1);
			soap_read_dto (c, am_km_soap_template_fields, t);
			g_ptr_array_add (call->templates, t);
		}
	}
	xmlFreeDoc (doc);
	return call->templates != NULL;
}

/* ---- the blocking API ---- */

AmKeyValidationInfo *
am_gw_keyclient_validate (AmGwKeyClient *client, const AmKeyValidationRequest *req,
			  GError **error)
{
	KcCall call = { .req = req };

	if (!kc_call (client, client->type == AM_KV_CLIENT_WS ? soap_validate : thrift_validate,
		      &call, error))
		return NULL;
	return call.info;
}

GPtrArray *
am_gw_keyclient_get_uri_templates (AmGwKeyClient *client, const char *context,
				   const char *version, GError **error)
{
	KcCall call = { .context = context, .version = version };

	if (!kc_call (client,
		      client->type == AM_KV_CLIENT_WS ? soap_templates : thrift_templates, &call,
		      error))
		return NULL;
	return call.templates;
}

/* ---- the async wrapper ---- */

typedef struct {
	AmKeyValidationRequest req; /* strings owned */
	GMainContext *ctx;
	AmGwKeyClientCallback callback;
	AmGwKeyClientTemplatesCallback templates_callback; /* a getAllURITemplates job */
	gpointer user_data;
	AmKeyValidationInfo *info;
	GPtrArray *templates;
	GError *error;
} KcJob;

static void
kc_job_free (gpointer p)
{
	KcJob *job = p;

	g_free ((char *) job->req.context);
	g_free ((char *) job->req.version);
	wipe_free ((char *) job->req.access_token);
	g_free ((char *) job->req.required_auth_level);
	g_free ((char *) job->req.client_domain);
	g_free ((char *) job->req.matching_resource);
	g_free ((char *) job->req.http_verb);
	g_main_context_unref (job->ctx);
	am_key_validation_info_free (job->info);
	g_clear_pointer (&job->templates, g_ptr_array_unref);
	g_clear_error (&job->error);
	g_free (job);
}

static gboolean
kc_job_deliver (gpointer p)
{
	KcJob *job = p;

	if (job->templates_callback != NULL)
		job->templates_callback (g_steal_pointer (&job->templates), job->error,
					 job->user_data);
	else
		job->callback (g_steal_pointer (&job->info), job->error, job->user_data);
	return G_SOURCE_REMOVE;
}

static void
kc_job_run (gpointer p, gpointer user_data)
{
	KcJob *job = p;
	AmGwKeyClient *client = user_data;

	if (job->templates_callback != NULL)
		job->templates = am_gw_keyclient_get_uri_templates (client, job->req.context,
								    job->req.version, &job->error);
	else
		job->info = am_gw_keyclient_validate (client, &job->req, &job->error);
	g_main_context_invoke_full (job->ctx, G_PRIORITY_DEFAULT, kc_job_deliver, job,
				    kc_job_free);
}

static void
kc_job_push (AmGwKeyClient *client, KcJob *job, GMainContext *ctx, gpointer user_data)
{
	job->ctx = ctx != NULL ? g_main_context_ref (ctx) : g_main_context_ref (g_main_context_default ());
	job->user_data = user_data;
	g_mutex_lock (&client->lock);
	if (client->pool == NULL)
		client->pool = g_thread_pool_new (kc_job_run, client, (int) client->max_threads,
						  FALSE, NULL);
	g_mutex_unlock (&client->lock);
	g_thread_pool_push (client->pool, job, NULL);
}

void
am_gw_keyclient_validate_async (AmGwKeyClient *client, const AmKeyValidationRequest *req,
				GMainContext *ctx, AmGwKeyClientCallback callback,
				gpointer user_data)
{
	KcJob *job = g_new0 (KcJob, 1);

	job->req.context = g_strdup (req->context);
	job->req.version = g_strdup (req->version);
	job->req.access_token = g_strdup (req->access_token);
	job->req.required_auth_level = g_strdup (req->required_auth_level);
	job->req.client_domain = g_strdup (req->client_domain);
	job->req.matching_resource = g_strdup (req->matching_resource);
	job->req.http_verb = g_strdup (req->http_verb);
	job->callback = callback;
	kc_job_push (client, job, ctx, user_data);
}

void
am_gw_keyclient_get_uri_templates_async (AmGwKeyClient *client, const char *context,
					 const char *version, GMainContext *ctx,
					 AmGwKeyClientTemplatesCallback callback,
					 gpointer user_data)
{
	KcJob *job = g_new0 (KcJob, 1);

	job->req.context = g_strdup (context);
	job->req.version = g_strdup (version);
	job->templates_callback = callback;
	kc_job_push (client, job, ctx, user_data);
}
