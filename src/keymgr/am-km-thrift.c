/* SPDX-License-Identifier: Apache-2.0 */
/*
 * APIKeyValidationService on the Key Manager's Thrift port, as WSO2 2.x's
 * APIKeyMgtServiceComponent serves it: TLS with the Carbon keystore on
 * APIKeyValidator/ThriftServerHost (ThriftServerPort, else 10397 + offset),
 * TBinaryProtocol (strict writes, non-strict reads accepted), no framing,
 * accepted sockets timing out after ThriftClientConnectionTimeOut, a thread
 * per connection (gateways keep pools of long-lived connections, and one
 * slow or idle client must not hold up the others).  Started only when
 * APIKeyValidator/EnableThriftServer is true.
 *
 * Each call first checks its session id (am-km-thrift-auth.c); a bad one is
 * APIKeyMgtException "Invalid session id for thrift authenticator.", as is a
 * failure of the validation itself.  A refusal (900901, 900908, ...) is a
 * normal answer with authorized false.
 *
 * The generated c_glib processor does the framing of calls and replies
 * (and answers unknown methods with TApplicationException); this file adds
 * what it lacks for a server facing the network: a transport over an
 * OpenSSL connection, a binary protocol that accepts old unversioned
 * message headers and refuses oversized or deeply nested input, and the
 * connection threads.  Input that breaks those limits closes that
 * connection, with the reason in the log.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>
#include <thrift/c_glib/protocol/thrift_binary_protocol.h>
#include <thrift/c_glib/thrift.h>
#include <thrift/c_glib/thrift_application_exception.h>

#include "am_thrift_a_p_i_key_validation_service.h"

/* Limits on what a client may send.  A validateKey call is eight short
 * strings; the gateway never sends containers. */
#define KM_THRIFT_MAX_MESSAGE (1024 * 1024)
#define KM_THRIFT_MAX_STRING (256 * 1024)
#define KM_THRIFT_MAX_CONTAINER 4096
#define KM_THRIFT_MAX_DEPTH 32
/* Connections served at once; a gateway pools up to 50 (2.x). */
#define KM_THRIFT_MAX_CONNECTIONS 512

#define KM_INVALID_SESSION "Invalid session id for thrift authenticator."

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ThriftProtocol, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ThriftTransport, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ThriftProcessor, g_object_unref)

/* ---- a transport over one OpenSSL connection ---- */

typedef enum {
	KM_CLOSE_NONE,
	KM_CLOSE_EOF,	  /* the client closed */
	KM_CLOSE_TIMEOUT, /* idle past ThriftClientConnectionTimeOut */
} KmCloseReason;

typedef struct {
	ThriftTransport parent;
	SSL *ssl; /* borrowed from the connection */
	KmCloseReason closed;
	guint8 rbuf[16384];
	guint rpos, rlen;
	GByteArray *wbuf; /* a reply goes out in one SSL_write on flush */
} KmSslTransport;

typedef struct {
	ThriftTransportClass parent;
} KmSslTransportClass;

static GType km_ssl_transport_get_type (void);
G_DEFINE_TYPE (KmSslTransport, km_ssl_transport, THRIFT_TYPE_TRANSPORT)

static gboolean
ssl_is_open (ThriftTransport *t)
{
	return ((KmSslTransport *) t)->closed == KM_CLOSE_NONE;
}

static gboolean
ssl_nop (ThriftTransport *t, GError **error)
{
	return TRUE;
}

static void
ssl_set_error (KmSslTransport *self, int ret, const char *what, GError **error)
{
	int code = SSL_get_error (self->ssl, ret);
	int saved = errno;
	unsigned long e = ERR_get_error ();
	char buf[256];

	/* most clients just close the socket, without a TLS close_notify */
	if (code == SSL_ERROR_ZERO_RETURN || (code == SSL_ERROR_SYSCALL && e == 0 && saved == 0) ||
	    (code == SSL_ERROR_SSL && ERR_GET_REASON (e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		self->closed = KM_CLOSE_EOF;
		g_set_error (error, THRIFT_TRANSPORT_ERROR, THRIFT_TRANSPORT_ERROR_RECEIVE,
			     "%s: connection closed", what);
	} else if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE ||
		   (code == SSL_ERROR_SYSCALL && (saved == EAGAIN || saved == EWOULDBLOCK))) {
		self->closed = KM_CLOSE_TIMEOUT;
		g_set_error (error, THRIFT_TRANSPORT_ERROR, THRIFT_TRANSPORT_ERROR_RECEIVE,
			     "%s: timed out", what);
	} else {
		ERR_error_string_n (e, buf, sizeof buf);
		g_set_error (error, THRIFT_TRANSPORT_ERROR, THRIFT_TRANSPORT_ERROR_RECEIVE,
			     "%s: %s", what, e != 0 ? buf : g_strerror (saved));
	}
	ERR_clear_error ();
}

/* Refill the read buffer when it is empty: blocks until the client sends
 * something, closes, or stays silent past the socket's timeout. */
static gboolean
ssl_fill (KmSslTransport *self, GError **error)
{
	int n;

	if (self->rpos < self->rlen)
		return TRUE;
	ERR_clear_error ();
	errno = 0;
	n = SSL_read (self->ssl, self->rbuf, sizeof self->rbuf);
	if (n <= 0) {
		ssl_set_error (self, n, "read", error);
		return FALSE;
	}
	self->rpos = 0;
	self->rlen = (guint) n;
	return TRUE;
}

static gint32
ssl_read (ThriftTransport *t, gpointer buf, guint32 len, GError **error)
{
	KmSslTransport *self = (KmSslTransport *) t;
	guint give;

	if (!ssl_fill (self, error))
		return -1;
	give = MIN (len, self->rlen - self->rpos);
	/* the message budget: KmServerProtocol resets it at each message */
	if ((glong) give > t->remainingMessageSize_) {
		g_set_error (error, THRIFT_TRANSPORT_ERROR,
			     THRIFT_TRANSPORT_ERROR_MAX_MESSAGE_SIZE_REACHED,
			     "message larger than %d bytes", KM_THRIFT_MAX_MESSAGE);
		return -1;
	}
	memcpy (buf, self->rbuf + self->rpos, give);
	self->rpos += give;
	t->remainingMessageSize_ -= (glong) give;
	return (gint32) give;
}

static gboolean
ssl_write (ThriftTransport *t, const gpointer buf, const guint32 len, GError **error)
{
	g_byte_array_append (((KmSslTransport *) t)->wbuf, buf, len);
	return TRUE;
}

static gboolean
ssl_flush (ThriftTransport *t, GError **error)
{
	KmSslTransport *self = (KmSslTransport *) t;
	gsize done = 0;

	while (done < self->wbuf->len) {
		size_t n = 0;

		ERR_clear_error ();
		errno = 0;
		if (SSL_write_ex (self->ssl, self->wbuf->data + done, self->wbuf->len - done, &n) <=
		    0) {
			ssl_set_error (self, 0, "write", error);
			g_byte_array_set_size (self->wbuf, 0);
			return FALSE;
		}
		done += n;
	}
	g_byte_array_set_size (self->wbuf, 0);
	return TRUE;
}

static void
km_ssl_transport_finalize (GObject *object)
{
	g_byte_array_unref (((KmSslTransport *) object)->wbuf);
	G_OBJECT_CLASS (km_ssl_transport_parent_class)->finalize (object);
}

static void
km_ssl_transport_class_init (KmSslTransportClass *klass)
{
	ThriftTransportClass *t = (ThriftTransportClass *) klass;

	G_OBJECT_CLASS (klass)->finalize = km_ssl_transport_finalize;
	t->is_open = ssl_is_open;
	t->open = ssl_nop;
	t->close = ssl_nop;
	t->read = ssl_read;
	t->read_end = ssl_nop;
	t->write = ssl_write;
	t->write_end = ssl_nop;
	t->flush = ssl_flush;
}

static void
km_ssl_transport_init (KmSslTransport *self)
{
	self->wbuf = g_byte_array_sized_new (1024);
}

/* ---- TBinaryProtocol as a Java TThreadPoolServer reads it ---- */

/* c_glib's binary protocol reads only versioned (strict) message headers,
 * allocates whatever string length the peer announces and skips unknown
 * fields by unbounded recursion; this subclass reads both header forms
 * (Java's default server has strictRead=false), resets the message budget
 * at each message, and bounds string and container sizes and the nesting
 * depth. */
typedef struct {
	ThriftBinaryProtocol parent;
	int depth;
} KmServerProtocol;

typedef struct {
	ThriftBinaryProtocolClass parent;
} KmServerProtocolClass;

static GType km_server_protocol_get_type (void);
G_DEFINE_TYPE (KmServerProtocol, km_server_protocol, THRIFT_TYPE_BINARY_PROTOCOL)

#define PROTOCOL_PARENT ((ThriftProtocolClass *) km_server_protocol_parent_class)

static gboolean
proto_check_size (gint32 size, gint32 max, const char *what, GError **error)
{
	if (size < 0 || size > max) {
		g_set_error (error, THRIFT_PROTOCOL_ERROR,
			     size < 0 ? THRIFT_PROTOCOL_ERROR_NEGATIVE_SIZE
				      : THRIFT_PROTOCOL_ERROR_SIZE_LIMIT,
			     "%s of %d bytes (at most %d)", what, size, max);
		return FALSE;
	}
	return TRUE;
}

/* @size bytes of the string or binary whose length was just read. */
static gint32
proto_read_bytes (ThriftProtocol *p, gint32 size, gchar **out, GError **error)
{
	if (!proto_check_size (size, KM_THRIFT_MAX_STRING, "string", error))
		return -1;
	*out = g_malloc (size + 1);
	(*out)[size] = '\0';
	if (size > 0 && thrift_transport_read_all (p->transport, *out, size, error) < 0) {
		g_clear_pointer (out, g_free);
		return -1;
	}
	return 4 + size;
}

static gint32
proto_read_string (ThriftProtocol *p, gchar **str, GError **error)
{
	gint32 size;

	*str = NULL;
	if (thrift_protocol_read_i32 (p, &size, error) < 0)
		return -1;
	return proto_read_bytes (p, size, str, error);
}

static gint32
proto_read_binary (ThriftProtocol *p, gpointer *buf, guint32 *len, GError **error)
{
	gint32 size, ret;
	gchar *data = NULL;

	*buf = NULL;
	*len = 0;
	if (thrift_protocol_read_i32 (p, &size, error) < 0 ||
	    (ret = proto_read_bytes (p, size, &data, error)) < 0)
		return -1;
	*buf = data;
	*len = (guint32) size;
	return ret;
}

static gint32
proto_read_message_begin (ThriftProtocol *p, gchar **name, ThriftMessageType *type,
			  gint32 *seqid, GError **error)
{
	KmServerProtocol *self = (KmServerProtocol *) p;
	gint32 sz, xfer;
	gint8 t;

	self->depth = 0;
	p->transport->remainingMessageSize_ = KM_THRIFT_MAX_MESSAGE;
	p->transport->knowMessageSize_ = KM_THRIFT_MAX_MESSAGE;
	if ((xfer = thrift_protocol_read_i32 (p, &sz, error)) < 0)
		return -1;
	if (sz < 0) {
		if (((guint32) sz & THRIFT_BINARY_PROTOCOL_VERSION_MASK) !=
		    (guint32) THRIFT_BINARY_PROTOCOL_VERSION_1) {
			g_set_error (error, THRIFT_PROTOCOL_ERROR, THRIFT_PROTOCOL_ERROR_BAD_VERSION,
				     "bad message header 0x%08x", (guint32) sz);
			return -1;
		}
		*type = (ThriftMessageType) (sz & 0xff);
		if (thrift_protocol_read_string (p, name, error) < 0)
			return -1;
	} else {
		/* unversioned: the name's length, the name, the type byte */
		if (proto_read_bytes (p, sz, name, error) < 0)
			return -1;
		if (thrift_protocol_read_byte (p, &t, error) < 0) {
			g_clear_pointer (name, g_free);
			return -1;
		}
		*type = (ThriftMessageType) t;
	}
	if (thrift_protocol_read_i32 (p, seqid, error) < 0) {
		g_clear_pointer (name, g_free);
		return -1;
	}
	return xfer + 4;
}

static gboolean
proto_enter (KmServerProtocol *self, GError **error)
{
	if (++self->depth > KM_THRIFT_MAX_DEPTH) {
		g_set_error (error, THRIFT_PROTOCOL_ERROR, THRIFT_PROTOCOL_ERROR_DEPTH_LIMIT,
			     "nested deeper than %d", KM_THRIFT_MAX_DEPTH);
		return FALSE;
	}
	return TRUE;
}

static gint32
proto_read_struct_begin (ThriftProtocol *p, gchar **name, GError **error)
{
	if (!proto_enter ((KmServerProtocol *) p, error))
		return -1;
	return PROTOCOL_PARENT->read_struct_begin (p, name, error);
}

static gint32
proto_read_list_begin (ThriftProtocol *p, ThriftType *type, guint32 *size, GError **error)
{
	/* sets come here too (the binary protocol reads them as lists) */
	if (!proto_enter ((KmServerProtocol *) p, error) ||
	    PROTOCOL_PARENT->read_list_begin (p, type, size, error) < 0 ||
	    !proto_check_size ((gint32) *size, KM_THRIFT_MAX_CONTAINER, "list", error))
		return -1;
	return 5;
}

static gint32
proto_read_map_begin (ThriftProtocol *p, ThriftType *kt, ThriftType *vt, guint32 *size,
		      GError **error)
{
	if (!proto_enter ((KmServerProtocol *) p, error) ||
	    PROTOCOL_PARENT->read_map_begin (p, kt, vt, size, error) < 0 ||
	    !proto_check_size ((gint32) *size, KM_THRIFT_MAX_CONTAINER, "map", error))
		return -1;
	return 6;
}

static gint32
proto_leave (ThriftProtocol *p, GError **error)
{
	((KmServerProtocol *) p)->depth--;
	return 0;
}

static void
km_server_protocol_class_init (KmServerProtocolClass *klass)
{
	ThriftProtocolClass *p = (ThriftProtocolClass *) klass;

	p->read_message_begin = proto_read_message_begin;
	p->read_string = proto_read_string;
	p->read_binary = proto_read_binary;
	p->read_struct_begin = proto_read_struct_begin;
	p->read_struct_end = proto_leave;
	p->read_list_begin = proto_read_list_begin;
	p->read_list_end = proto_leave;
	p->read_set_end = proto_leave;
	p->read_map_begin = proto_read_map_begin;
	p->read_map_end = proto_leave;
}

static void
km_server_protocol_init (KmServerProtocol *self)
{
}

/* ---- the service ---- */

typedef struct {
	AmThriftAPIKeyValidationServiceHandler parent;
	AmKm *km;
} KmKvHandler;

typedef struct {
	AmThriftAPIKeyValidationServiceHandlerClass parent;
} KmKvHandlerClass;

static GType km_kv_handler_get_type (void);
G_DEFINE_TYPE (KmKvHandler, km_kv_handler, AM_THRIFT_TYPE_A_P_I_KEY_VALIDATION_SERVICE_HANDLER)

static void
strv_to_array (GPtrArray *array, char **strv)
{
	for (guint i = 0; strv[i] != NULL; i++)
		g_ptr_array_add (array, g_strdup (strv[i]));
}

#define SET_STR(dto, field, value)                                                             \
	G_STMT_START                                                                           \
	{                                                                                      \
		if ((value) != NULL) {                                                         \
			g_free ((dto)->field);                                                 \
			(dto)->field = g_strdup (value);                                       \
			(dto)->__isset_##field = TRUE;                                         \
		}                                                                              \
	}                                                                                      \
	G_STMT_END

#define SET_VAL(dto, field, value)                                                             \
	G_STMT_START                                                                           \
	{                                                                                      \
		(dto)->field = (value);                                                        \
		(dto)->__isset_##field = TRUE;                                                 \
	}                                                                                      \
	G_STMT_END

/* AmKeyValidationInfo onto the generated struct (filled in place: the
 * processor owns it).  Strings and lists are sent when they have a value;
 * numbers and flags always, as WSO2's DTO conversion does with Java
 * primitives. */
static void
info_to_dto (const AmKeyValidationInfo *info, AmThriftAPIKeyValidationInfoDTO *dto)
{
	SET_VAL (dto, authorized, info->authorized);
	SET_STR (dto, subscriber, info->subscriber);
	SET_STR (dto, tier, info->tier);
	SET_STR (dto, type, info->type);
	SET_STR (dto, endUserToken, info->end_user_token);
	SET_STR (dto, endUserName, info->end_user_name);
	SET_STR (dto, applicationName, info->application_name);
	SET_VAL (dto, validationStatus, info->validation_status);
	SET_STR (dto, applicationId, info->application_id);
	SET_STR (dto, applicationTier, info->application_tier);
	SET_STR (dto, apiName, info->api_name);
	SET_STR (dto, consumerKey, info->consumer_key);
	SET_STR (dto, apiPublisher, info->api_publisher);
	if (info->authorized_domains != NULL) {
		strv_to_array (dto->authorizedDomains, info->authorized_domains);
		dto->__isset_authorizedDomains = TRUE;
	}
	if (info->scopes != NULL) {
		for (guint i = 0; info->scopes[i] != NULL; i++) {
			char *s = g_strdup (info->scopes[i]);

			g_hash_table_replace (dto->scopes, s, s);
		}
		dto->__isset_scopes = TRUE;
	}
	SET_VAL (dto, validityPeriod, info->validity_period);
	SET_VAL (dto, issuedTime, info->issued_time);
	SET_VAL (dto, isContentAware, info->content_aware);
	SET_STR (dto, apiTier, info->api_tier);
	if (info->throttling_data_list != NULL) {
		strv_to_array (dto->throttlingDataList, info->throttling_data_list);
		dto->__isset_throttlingDataList = TRUE;
	}
	SET_VAL (dto, spikeArrestLimit, info->spike_arrest_limit);
	SET_STR (dto, subscriberTenantDomain, info->subscriber_tenant_domain);
	SET_STR (dto, spikeArrestUnit, info->spike_arrest_unit);
	SET_VAL (dto, stopOnQuotaReach, info->stop_on_quota_reach);
}

static AmThriftURITemplate *
uri_template_to_thrift (const AmUriTemplate *t)
{
	AmThriftURITemplate *u = g_object_new (AM_THRIFT_TYPE_U_R_I_TEMPLATE, NULL);

	SET_STR (u, uriTemplate, t->uri_template);
	SET_STR (u, resourceURI, t->resource_uri);
	SET_STR (u, resourceSandboxURI, t->resource_sandbox_uri);
	SET_STR (u, httpVerb, t->http_verb);
	SET_STR (u, authType, t->auth_type);
	SET_STR (u, throttlingTier, t->throttling_tier);
	if (t->throttling_conditions != NULL) {
		strv_to_array (u->throttlingConditions, t->throttling_conditions);
		u->__isset_throttlingConditions = TRUE;
	}
	SET_STR (u, applicableLevel, t->applicable_level);
	return u;
}

/* The session check every method starts with; FALSE with the exception set. */
static gboolean
kv_session_ok (KmKvHandler *self, const char *session_id, AmThriftAPIKeyMgtException **ex)
{
	if (am_km_session_check (self->km, session_id))
		return TRUE;
	g_debug ("Thrift call with an invalid session id");
	*ex = g_object_new (AM_THRIFT_TYPE_A_P_I_KEY_MGT_EXCEPTION, "message", KM_INVALID_SESSION,
			    NULL);
	return FALSE;
}

static gboolean
kv_validation_done (AmKeyValidationInfo *info, GError *error,
		    AmThriftAPIKeyValidationInfoDTO *dto, AmThriftAPIKeyMgtException **ex)
{
	g_autoptr (AmKeyValidationInfo) owned = info;
	g_autoptr (GError) owned_error = error;
	g_autofree char *message = NULL;

	if (info != NULL) {
		info_to_dto (info, dto);
		return TRUE;
	}
	g_warning ("Thrift key validation failed: %s", error->message);
	message = g_strdup_printf ("Error while validating the access token: %s", error->message);
	*ex = g_object_new (AM_THRIFT_TYPE_A_P_I_KEY_MGT_EXCEPTION, "message", message, NULL);
	return FALSE;
}

static gboolean
kv_validate_key (AmThriftAPIKeyValidationServiceIf *iface, AmThriftAPIKeyValidationInfoDTO **ret,
		 const gchar *context, const gchar *version, const gchar *access_token,
		 const gchar *session_id, const gchar *auth_level, const gchar *client_domain,
		 const gchar *matching_resource, const gchar *http_verb,
		 AmThriftAPIKeyMgtException **ex, AmThriftAPIManagementException **apim_ex,
		 GError **error)
{
	KmKvHandler *self = (KmKvHandler *) iface;
	AmKeyValidationRequest req = {
		.context = context,
		.version = version,
		.access_token = access_token,
		.required_auth_level = auth_level,
		.client_domain = client_domain,
		.matching_resource = matching_resource,
		.http_verb = http_verb,
	};
	GError *local = NULL;
	AmKeyValidationInfo *info;

	if (!kv_session_ok (self, session_id, ex))
		return FALSE;
	info = am_km_validate_key (self->km, &req, &local);
	return kv_validation_done (info, local, *ret, ex);
}

static gboolean
kv_validate_key_for_handshake (AmThriftAPIKeyValidationServiceIf *iface,
			       AmThriftAPIKeyValidationInfoDTO **ret, const gchar *context,
			       const gchar *version, const gchar *access_token,
			       const gchar *session_id, AmThriftAPIKeyMgtException **ex,
			       AmThriftAPIManagementException **apim_ex, GError **error)
{
	KmKvHandler *self = (KmKvHandler *) iface;
	GError *local = NULL;
	AmKeyValidationInfo *info;

	if (!kv_session_ok (self, session_id, ex))
		return FALSE;
	info = am_km_validate_key_for_handshake (self->km, context, version, access_token, &local);
	return kv_validation_done (info, local, *ret, ex);
}

static gboolean
kv_get_all_uri_templates (AmThriftAPIKeyValidationServiceIf *iface, GPtrArray **ret,
			  const gchar *context, const gchar *version, const gchar *session_id,
			  AmThriftAPIKeyMgtException **ex, AmThriftAPIManagementException **apim_ex,
			  GError **error)
{
	KmKvHandler *self = (KmKvHandler *) iface;
	g_autoptr (GError) local = NULL;
	g_autoptr (GPtrArray) templates = NULL;
	g_autofree char *message = NULL;

	if (!kv_session_ok (self, session_id, ex))
		return FALSE;
	templates = am_km_get_uri_templates (self->km, context, version, &local);
	if (templates == NULL) {
		/* ApiMgtDAO.getAllURITemplates throws APIManagementException */
		g_warning ("Thrift getAllURITemplates failed: %s", local->message);
		message = g_strdup_printf ("Error while reading the URI templates of %s/%s: %s",
					   context, version, local->message);
		*apim_ex = g_object_new (AM_THRIFT_TYPE_A_P_I_MANAGEMENT_EXCEPTION, "message",
					 message, NULL);
		return FALSE;
	}
	for (guint i = 0; i < templates->len; i++)
		g_ptr_array_add (*ret, uri_template_to_thrift (g_ptr_array_index (templates, i)));
	return TRUE;
}

static void
km_kv_handler_class_init (KmKvHandlerClass *klass)
{
	AmThriftAPIKeyValidationServiceHandlerClass *h =
		(AmThriftAPIKeyValidationServiceHandlerClass *) klass;

	h->validate_key = kv_validate_key;
	h->get_all_u_r_i_templates = kv_get_all_uri_templates;
	h->validate_keyfor_handshake = kv_validate_key_for_handshake;
}

static void
km_kv_handler_init (KmKvHandler *self)
{
}

/* ---- the server: listener, acceptor thread, one thread per connection ---- */

typedef struct _KmThriftServer KmThriftServer;

typedef struct {
	KmThriftServer *server;
	int fd;
	char peer[INET6_ADDRSTRLEN + 8];
	GThread *thread;
} KmConn;

struct _KmThriftServer {
	AmKm *km;
	SSL_CTX *ctx;
	int listen_fd;
	int wake[2]; /* a byte on wake[1] stops the acceptor */
	int timeout_ms;
	GThread *acceptor;
	KmKvHandler *handler;

	GMutex lock;
	GCond changed;	  /* a connection ended */
	GPtrArray *live;  /* KmConn being served */
	GPtrArray *ended; /* KmConn whose thread has returned, to join */
};

static void
conn_log_end (KmConn *conn, KmSslTransport *transport, GError *error)
{
	if (transport != NULL && transport->closed == KM_CLOSE_EOF)
		g_debug ("Thrift connection from %s closed by the client", conn->peer);
	else if (transport != NULL && transport->closed == KM_CLOSE_TIMEOUT)
		g_debug ("Thrift connection from %s idle for %d ms: closed", conn->peer,
			 conn->server->timeout_ms);
	else
		g_warning ("Thrift connection from %s closed: %s", conn->peer,
			   error != NULL ? error->message : "unknown error");
}

static void
conn_serve (KmConn *conn, SSL *ssl)
{
	KmThriftServer *srv = conn->server;
	g_autoptr (ThriftTransport) transport = g_object_new (km_ssl_transport_get_type (), NULL);
	g_autoptr (ThriftProtocol) protocol = NULL;
	g_autoptr (ThriftProcessor) processor = NULL;
	g_autoptr (GError) error = NULL;

	((KmSslTransport *) transport)->ssl = ssl;
	protocol = g_object_new (km_server_protocol_get_type (), "transport", transport, NULL);
	processor = g_object_new (AM_THRIFT_TYPE_A_P_I_KEY_VALIDATION_SERVICE_PROCESSOR, "handler",
				  srv->handler, NULL);
	/* wait for each call here rather than inside the processor, so that a
	 * client closing or idling out between calls is not an error */
	while (ssl_fill ((KmSslTransport *) transport, &error) &&
	       thrift_processor_process (processor, protocol, protocol, &error))
		;
	conn_log_end (conn, (KmSslTransport *) transport, error);
}

static gpointer
conn_thread (gpointer data)
{
	KmConn *conn = data;
	KmThriftServer *srv = conn->server;
	SSL *ssl = SSL_new (srv->ctx);
	int ret;

	if (ssl == NULL || !SSL_set_fd (ssl, conn->fd)) {
		g_warning ("Thrift connection from %s: cannot set up TLS", conn->peer);
	} else if (ERR_clear_error (), (ret = SSL_accept (ssl)) != 1) {
		unsigned long e = ERR_get_error ();
		char buf[256];

		ERR_error_string_n (e, buf, sizeof buf);
		g_message ("Thrift connection from %s: TLS handshake failed: %s", conn->peer,
			   e != 0 ? buf : "connection closed or timed out");
		ERR_clear_error ();
	} else {
		conn_serve (conn, ssl);
		SSL_shutdown (ssl);
	}
	SSL_free (ssl);

	g_mutex_lock (&srv->lock);
	close (conn->fd);
	conn->fd = -1;
	g_ptr_array_remove_fast (srv->live, conn);
	g_ptr_array_add (srv->ended, conn);
	g_cond_broadcast (&srv->changed);
	g_mutex_unlock (&srv->lock);
	return NULL;
}

/* Join the threads of connections that ended. */
static void
server_reap (KmThriftServer *srv)
{
	g_autoptr (GPtrArray) ended = NULL;

	g_mutex_lock (&srv->lock);
	ended = g_steal_pointer (&srv->ended);
	srv->ended = g_ptr_array_new ();
	g_mutex_unlock (&srv->lock);
	for (guint i = 0; i < ended->len; i++) {
		KmConn *conn = g_ptr_array_index (ended, i);

		g_thread_join (conn->thread);
		g_free (conn);
	}
}

static void
server_set_timeouts (int fd, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int one = 1;

	setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void
format_peer (const struct sockaddr_storage *sa, char *out, gsize len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *) sa;

		inet_ntop (AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs (in->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;

		inet_ntop (AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs (in6->sin6_port);
	}
	g_snprintf (out, len, "%s:%d", host, port);
}

static void
server_accept_one (KmThriftServer *srv)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof sa;
	int fd = accept (srv->listen_fd, (struct sockaddr *) &sa, &salen);
	KmConn *conn;

	if (fd < 0) {
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			g_warning ("Thrift accept failed: %s", g_strerror (errno));
		return;
	}
	fcntl (fd, F_SETFD, FD_CLOEXEC);
	conn = g_new0 (KmConn, 1);
	conn->server = srv;
	conn->fd = fd;
	format_peer (&sa, conn->peer, sizeof conn->peer);
	g_mutex_lock (&srv->lock);
	if (srv->live->len >= KM_THRIFT_MAX_CONNECTIONS) {
		g_mutex_unlock (&srv->lock);
		g_warning ("Thrift connection from %s refused: %d connections already open",
			   conn->peer, KM_THRIFT_MAX_CONNECTIONS);
		close (fd);
		g_free (conn);
		return;
	}
	server_set_timeouts (fd, srv->timeout_ms);
	g_ptr_array_add (srv->live, conn);
	conn->thread = g_thread_new ("thrift-conn", conn_thread, conn);
	g_mutex_unlock (&srv->lock);
}

static gpointer
acceptor_thread (gpointer data)
{
	KmThriftServer *srv = data;
	struct pollfd fds[2] = {
		{ .fd = srv->listen_fd, .events = POLLIN },
		{ .fd = srv->wake[0], .events = POLLIN },
	};

	for (;;) {
		int n = poll (fds, 2, 1000);

		server_reap (srv);
		if (n < 0 && errno != EINTR) {
			g_critical ("Thrift listener: poll failed: %s", g_strerror (errno));
			break;
		}
		if (n > 0 && fds[1].revents != 0)
			break;
		if (n > 0 && (fds[0].revents & POLLIN))
			server_accept_one (srv);
	}
	return NULL;
}

/* ThriftServerHost, else the Carbon host name (as WSO2 does), else localhost. */
static const char *
server_host (AmKm *km)
{
	const AmApimConf *apim = am_km_get_apim (km);
	const AmCoreConf *core = am_conf_core (am_server_get_conf (am_km_get_server (km)));
	const char *host;

	if (apim->thrift_server_host != NULL && *apim->thrift_server_host != '\0')
		return apim->thrift_server_host;
	host = core->host_name != NULL && *core->host_name != '\0' ? core->host_name
								    : "localhost";
	g_message ("Setting default carbon host for thrift key management service: %s", host);
	return host;
}

static int
server_listen (const char *host, int port, GError **error)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL, *ai, *pick = NULL;
	char service[16];
	int fd, one = 1, rc;

	g_snprintf (service, sizeof service, "%d", port);
	rc = getaddrinfo (host, service, &hints, &res);
	if (rc != 0) {
		g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
			     "ThriftServerHost '%s': %s", host, gai_strerror (rc));
		return -1;
	}
	/* one address, like Java's InetAddress.getByName: IPv4 first */
	for (ai = res; ai != NULL && pick == NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			pick = ai;
	}
	if (pick == NULL)
		pick = res;
	fd = socket (pick->ai_family, pick->ai_socktype | SOCK_CLOEXEC, pick->ai_protocol);
	if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind (fd, pick->ai_addr, pick->ai_addrlen) < 0 || listen (fd, 128) < 0) {
		int saved = errno;

		if (fd >= 0)
			close (fd);
		freeaddrinfo (res);
		g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
			     "cannot listen on %s:%d: %s", host, port, g_strerror (saved));
		return -1;
	}
	freeaddrinfo (res);
	return fd;
}

static SSL_CTX *
server_ssl_ctx (AmKm *km, GError **error)
{
	AmKeystore *ks = am_server_get_keystore (am_km_get_server (km));
	SSL_CTX *ctx;

	if (ks == NULL) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
				     "no keystore for the Thrift TLS port");
		return NULL;
	}
	ctx = SSL_CTX_new (TLS_server_method ());
	if (ctx == NULL || !SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION)) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
				     "cannot create a TLS context");
		SSL_CTX_free (ctx);
		return NULL;
	}
	SSL_CTX_set_options (ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (!am_keystore_use_in_ssl_ctx (ks, ctx, error)) {
		SSL_CTX_free (ctx);
		return NULL;
	}
	return ctx;
}

static void thrift_stop (gpointer state);

/* libthrift_c_glib 0.17's ThriftApplicationException (the answer to an
 * unknown method) has the finalizer bug chain-finalize.awk fixes in our
 * generated code: it never chains up, so GLib's qdata block of every such
 * object leaks.  Chain it up once, here. */
static GObjectFinalizeFunc app_exception_finalize;

static void
app_exception_finalize_chained (GObject *object)
{
	app_exception_finalize (object);
	G_OBJECT_CLASS (g_type_class_peek (THRIFT_TYPE_STRUCT))->finalize (object);
}

static void
thrift_fix_app_exception_once (void)
{
	static gsize done = 0;

	if (g_once_init_enter (&done)) {
		GObjectClass *klass = g_type_class_ref (THRIFT_TYPE_APPLICATION_EXCEPTION);

		app_exception_finalize = klass->finalize;
		klass->finalize = app_exception_finalize_chained;
		g_once_init_leave (&done, 1);
	}
}

static gpointer
thrift_start (AmKm *km, GError **error)
{
	const AmApimConf *apim = am_km_get_apim (km);
	int port = am_conf_ports (am_server_get_conf (am_km_get_server (km)))->thrift_server;
	KmThriftServer *srv;

	if (!apim->thrift_server_enabled) {
		g_message ("Thrift key validation service is off (APIKeyValidator/EnableThriftServer)");
		return GINT_TO_POINTER (1);
	}
	thrift_fix_app_exception_once ();
	srv = g_new0 (KmThriftServer, 1);
	srv->km = km;
	srv->listen_fd = -1;
	srv->wake[0] = srv->wake[1] = -1;
	srv->timeout_ms = apim->kv_timeout_ms > 0 ? apim->kv_timeout_ms : 10000;
	g_mutex_init (&srv->lock);
	g_cond_init (&srv->changed);
	srv->live = g_ptr_array_new ();
	srv->ended = g_ptr_array_new ();
	srv->handler = g_object_new (km_kv_handler_get_type (), NULL);
	srv->handler->km = km;
	srv->ctx = server_ssl_ctx (km, error);
	if (srv->ctx == NULL || !g_unix_open_pipe (srv->wake, FD_CLOEXEC, error) ||
	    (srv->listen_fd = server_listen (server_host (km), port, error)) < 0) {
		thrift_stop (srv);
		return NULL;
	}
	srv->acceptor = g_thread_new ("thrift-accept", acceptor_thread, srv);
	g_message ("Started thrift key mgt service at port:%d", port);
	return srv;
}

static void
thrift_stop (gpointer state)
{
	KmThriftServer *srv = state;

	if (state == GINT_TO_POINTER (1))
		return;
	if (srv->acceptor != NULL) {
		(void) !write (srv->wake[1], "x", 1);
		g_thread_join (srv->acceptor);
	}
	if (srv->listen_fd >= 0)
		close (srv->listen_fd);
	/* wake every connection thread (blocked in SSL_read, most likely) */
	g_mutex_lock (&srv->lock);
	for (guint i = 0; i < srv->live->len; i++)
		shutdown (((KmConn *) g_ptr_array_index (srv->live, i))->fd, SHUT_RDWR);
	while (srv->live->len > 0)
		g_cond_wait (&srv->changed, &srv->lock);
	g_mutex_unlock (&srv->lock);
	server_reap (srv);
	for (int i = 0; i < 2; i++) {
		if (srv->wake[i] >= 0)
			close (srv->wake[i]);
	}
	SSL_CTX_free (srv->ctx);
	g_object_unref (srv->handler);
	g_ptr_array_unref (srv->live);
	g_ptr_array_unref (srv->ended);
	g_cond_clear (&srv->changed);
	g_mutex_clear (&srv->lock);
	g_free (srv);
}

const AmKmComponent am_km_thrift_component = {
	.name = "thrift",
	.start = thrift_start,
	.stop = thrift_stop,
};
