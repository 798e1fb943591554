/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The data-plane HTTP/1.1 engine: a small server and reverse proxy that the
 * gateway drives (ARCHITECTURE.md §2).
 *
 * Threads.  am_http_engine_start() runs N worker threads, each with its own
 * GMainContext (pushed as its thread-default), its own SO_REUSEPORT
 * listening sockets and its own keep-alive pool of upstream connections.
 * Everything about one client connection happens on one worker, and every
 * AmHttpRequest function below must be called on that worker's thread,
 * except am_http_request_ref/unref/get_context, which are thread-safe.
 *
 * A request.  Once a request head is parsed and passes the protocol checks,
 * the engine calls the AmHttpHandler on the worker thread.  Before it
 * returns, the handler does exactly one of:
 *   - am_http_request_respond(): a direct response (the request body, if
 *     any, is read and discarded);
 *   - am_http_request_proxy(): forward to an upstream, streaming the request
 *     body up and the response down (never buffered whole);
 *   - am_http_request_suspend(): nothing yet.  The caller keeps a reference
 *     (am_http_request_ref), finishes its work elsewhere and continues on the
 *     worker with g_main_context_invoke (am_http_request_get_context (req),
 *     ...), where it calls respond or proxy and drops its reference.
 * When the exchange is over (response written, or aborted), the engine
 * calls AmHttpConfig.on_done with the figures an access log needs.
 *
 * Upstream failure.  When the upstream fails before any response byte went
 * to the client, AmHttpConfig.on_upstream_error (if set) gets the request
 * back in the handler's state: it may proxy again (fail over) when
 * am_http_request_can_retry() says the request can be replayed, or respond
 * (a WSO2 fault).  Without the callback the engine answers 502, or 504 for
 * timeouts.  After the response started, an upstream failure closes the
 * client connection.
 *
 * Protocol rules the engine enforces itself (the handler never sees such a
 * request): 400 and close for request smuggling shapes (Content-Length with
 * Transfer-Encoding, repeated Content-Length, a Transfer-Encoding other
 * than "chunked", bad chunk sizes, obs-fold, invalid header bytes), 431 for
 * a head over max_header_bytes or max_headers, 413 for a body over
 * max_body_bytes, 408 when the head does not arrive within
 * header_timeout_ms.  Hop-by-hop headers are removed in both directions and
 * bodies are re-framed (Content-Length or chunked).
 */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include "am-keystore.h"

G_BEGIN_DECLS

#define AM_HTTP_ERROR (am_http_error_quark ())
GQuark am_http_error_quark (void);

typedef enum {
	AM_HTTP_ERROR_FAILED,
	AM_HTTP_ERROR_LISTEN,	/* bind/listen failed */
	AM_HTTP_ERROR_TLS,	/* TLS context could not be built */
} AmHttpErrorCode;

/* Why an exchange failed (AmHttpStats.error, on_upstream_error). */
typedef enum {
	AM_HTTP_FAIL_NONE,
	AM_HTTP_FAIL_CONNECT_REFUSED,	/* upstream refused / unreachable */
	AM_HTTP_FAIL_CONNECT_TIMEOUT,	/* no connection within connect_timeout_ms */
	AM_HTTP_FAIL_READ_TIMEOUT,	/* upstream silent for read_timeout_ms */
	AM_HTTP_FAIL_RESET,		/* upstream closed or reset mid-exchange */
	AM_HTTP_FAIL_PROTOCOL,		/* upstream sent an unparsable response */
	AM_HTTP_FAIL_RESOLVE,		/* host name did not resolve */
	AM_HTTP_FAIL_TLS,		/* TLS handshake with the upstream failed */
	AM_HTTP_FAIL_CLIENT_ABORT,	/* the client went away before the end */
	AM_HTTP_FAIL_SHUTDOWN,		/* the engine stopped before the end */
} AmHttpFailure;

const char *am_http_failure_to_string (AmHttpFailure f);

typedef struct _AmHttpEngine AmHttpEngine;
typedef struct _AmHttpRequest AmHttpRequest;

typedef struct {
	const char *address;	/* "0.0.0.0", "::", "127.0.0.1"; NULL = "0.0.0.0" */
	guint16 port;		/* 0: any free port, see am_http_engine_get_port */
	gboolean tls;		/* HTTPS listener (needs tls_ctx or keystore) */
} AmHttpListen;

/* Figures of one finished exchange, for the access log and metrics. */
typedef struct {
	guint status;			/* status sent to the client (0: none) */
	guint64 request_body_bytes;	/* body bytes read from the client */
	guint64 response_bytes;		/* bytes written to the client, head included */
	gint64 upstream_latency_us;	/* request sent → response head received; -1 if not proxied */
	gint64 total_us;		/* first byte of the request → last byte of the response */
	AmHttpFailure error;
	gboolean upstream_reused;	/* the upstream connection came from the pool */
} AmHttpStats;

typedef void (*AmHttpHandler) (AmHttpRequest *req, gpointer data);
typedef void (*AmHttpDoneFunc) (AmHttpRequest *req, const AmHttpStats *stats, gpointer data);
typedef void (*AmHttpUpstreamErrorFunc) (AmHttpRequest *req, AmHttpFailure failure,
					 gpointer data);

typedef struct {
	const AmHttpListen *listen;	/* borrowed until am_http_engine_start returns */
	guint n_listen;
	guint workers;			/* 0: one per core */

	/* TLS listeners: an SSL_CTX the caller built (a reference is taken),
	 * or else one built from @keystore (TLS 1.2+). */
	SSL_CTX *tls_ctx;
	AmKeystore *keystore;		/* borrowed until am_http_engine_start returns */
	/* https upstreams: NULL = verify against the system CAs and the host name. */
	SSL_CTX *upstream_tls_ctx;

	gsize max_header_bytes;		/* request line + headers; 431 beyond */
	guint max_headers;		/* header lines; 431 beyond (at most 128) */
	guint64 max_body_bytes;		/* 413 beyond; 0 = no limit */
	guint idle_timeout_ms;		/* keep-alive idle, body and send inactivity */
	guint header_timeout_ms;	/* first byte → end of head; 408 beyond */
	guint max_connections;		/* client connections per worker */
	guint upstream_connect_timeout_ms;
	guint upstream_read_timeout_ms;	/* upstream inactivity while a response is due */
	guint upstream_idle_timeout_ms;	/* pooled connection lifetime when unused */
	guint upstream_max_idle;	/* pooled connections per (host, port, tls) per worker */
	guint shutdown_timeout_ms;	/* am_http_engine_stop grace for busy connections */

	AmHttpDoneFunc on_done;			/* optional */
	AmHttpUpstreamErrorFunc on_upstream_error; /* optional */
} AmHttpConfig;

/* Fill @cfg with the defaults (no listeners; 16 KiB head, 100 headers,
 * 64 MiB body, 60 s idle and header timeouts, 20 s connect, 60 s read). */
void am_http_config_init (AmHttpConfig *cfg);

/* The engine keeps a copy of @cfg (not of the borrowed pointers noted above).
 * @handler and the callbacks get @data. */
AmHttpEngine *am_http_engine_new (const AmHttpConfig *cfg, AmHttpHandler handler, gpointer data);
/* Bind every listener and start the workers.  Port 0 listeners get one
 * free port shared by all workers. */
gboolean am_http_engine_start (AmHttpEngine *engine, GError **error);
/* The bound port of listener @index (after start). */
guint16 am_http_engine_get_port (AmHttpEngine *engine, guint index);
/* Stop accepting, let busy connections finish (shutdown_timeout_ms at
 * most), close the rest and join the workers.  Blocks; idempotent. */
void am_http_engine_stop (AmHttpEngine *engine);
/* Stops the engine if needed. */
void am_http_engine_free (AmHttpEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmHttpEngine, am_http_engine_free)

/* Request references (thread-safe).  A request outlives its connection:
 * after the client went away every call below is a harmless no-op and
 * am_http_request_is_alive() says FALSE. */
AmHttpRequest *am_http_request_ref (AmHttpRequest *req);
void am_http_request_unref (AmHttpRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmHttpRequest, am_http_request_unref)
/* The worker's context: continue a suspended request there. */
GMainContext *am_http_request_get_context (AmHttpRequest *req);
gboolean am_http_request_is_alive (AmHttpRequest *req);

/* The handler's state for this request, freed with @destroy when the last
 * reference goes (on whatever thread drops it).  Worker thread only. */
void am_http_request_set_data (AmHttpRequest *req, gpointer data, GDestroyNotify destroy);
gpointer am_http_request_get_data (AmHttpRequest *req);

/* The request head (valid for the life of the request). */
const char *am_http_request_get_method (AmHttpRequest *req);
/* Path without the query ("/api/1.0/x"); the query without '?' or NULL. */
const char *am_http_request_get_path (AmHttpRequest *req);
const char *am_http_request_get_query (AmHttpRequest *req);
/* The request target as received (path and query). */
const char *am_http_request_get_target (AmHttpRequest *req);
/* 0 for HTTP/1.0, 1 for HTTP/1.1. */
guint am_http_request_get_minor_version (AmHttpRequest *req);
/* Case-insensitive; the first of repeated headers; NULL if absent. */
const char *am_http_request_get_header (AmHttpRequest *req, const char *name);
guint am_http_request_get_n_headers (AmHttpRequest *req);
void am_http_request_get_header_at (AmHttpRequest *req, guint i,
				    const char **name, const char **value);
/* The client's address ("192.0.2.1", "2001:db8::1"), and the raw one. */
const char *am_http_request_get_client_address (AmHttpRequest *req);

/* The decimal digits of @v at @out (at most 20, no terminator); their
 * count.  For hot paths where printf costs more than the request. */
gsize am_http_format_uint (char *out, guint64 v);
const struct sockaddr *am_http_request_get_client_sockaddr (AmHttpRequest *req);
gboolean am_http_request_is_tls (AmHttpRequest *req);
/* g_get_monotonic_time() when the first byte of the request arrived. */
gint64 am_http_request_get_start_time (AmHttpRequest *req);
/* Whether a request body follows the head (Content-Length > 0 or chunked). */
gboolean am_http_request_has_body (AmHttpRequest *req);

/* Header edits for the upstream request: set replaces every header of that
 * name (the client's and earlier edits), remove drops them.  Hop-by-hop
 * headers and Content-Length are always the engine's business. */
void am_http_request_set_header (AmHttpRequest *req, const char *name, const char *value);
void am_http_request_remove_header (AmHttpRequest *req, const char *name);
/* X-Forwarded-For (appended to the client's), X-Forwarded-Proto and
 * X-Forwarded-Host (the client's Host), as Synapse adds them. */
void am_http_request_add_forwarded_headers (AmHttpRequest *req);
/* Header edits for the response (direct or proxied), same rules. */
void am_http_request_set_response_header (AmHttpRequest *req, const char *name,
					  const char *value);
void am_http_request_remove_response_header (AmHttpRequest *req, const char *name);
/* A response header only for when the response has none of that name (a
 * proxied backend's own header wins): _cors_request_handler_'s rule. */
void am_http_request_default_response_header (AmHttpRequest *req, const char *name,
					      const char *value);

/* A direct response; @content_type may be NULL when @len is 0.  The body is
 * copied.  FALSE (nothing done) if the request is not waiting for an answer. */
gboolean am_http_request_respond (AmHttpRequest *req, guint status, const char *content_type,
				  const void *body, gsize len);

typedef struct {
	gboolean tls;			/* https */
	const char *host;		/* IP literal or name (resolved asynchronously, cached) */
	guint16 port;
	const char *target;		/* path and query to send; NULL = the client's */
	guint connect_timeout_ms;	/* 0 = the engine's */
	guint read_timeout_ms;		/* 0 = the engine's */
} AmHttpUpstream;

/* Forward the request to @upstream (copied).  FALSE (nothing done) if the
 * request is not waiting for an answer. */
gboolean am_http_request_proxy (AmHttpRequest *req, const AmHttpUpstream *upstream);
/* In on_upstream_error: whether the request can be sent again (no body
 * byte has been consumed yet). */
gboolean am_http_request_can_retry (AmHttpRequest *req);
/* Leave the request waiting (see above). */
void am_http_request_suspend (AmHttpRequest *req);

G_END_DECLS
