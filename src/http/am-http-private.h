/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the data-plane HTTP engine, shared by its files only:
 * am-http-engine.c (workers, listeners, event loop, timers),
 * am-http-io.c (buffers, sockets with or without TLS, header stores),
 * am-http-server.c (client connections and requests),
 * am-http-proxy.c (upstream connections, pool, forwarding).
 *
 * Every structure here belongs to one worker thread and is touched only
 * there, except AmHttpRequest.ref.
 */
#pragma once

#include <http_parser.h>
#include <netinet/in.h>
#include <string.h>

#include "am-http.h"

#define AM_HTTP_MAX_HEADERS 128
/* Output buffered towards one peer before its producer is paused. */
#define AM_HTTP_HIGH_WATER (64 * 1024)
#define AM_HTTP_READ_SIZE (16 * 1024)

typedef struct _AmHttpWorker AmHttpWorker;
typedef struct _AmHttpConn AmHttpConn;
typedef struct _AmHttpUpConn AmHttpUpConn;

/* ---- buffers (am-http-io.c) ---- */

/* Bytes data[off, len) are pending; capacity cap. */
typedef struct {
	char *data;
	gsize off, len, cap;
} AmHttpBuf;

void am_http_buf_reserve (AmHttpBuf *b, gsize extra);
void am_http_buf_append (AmHttpBuf *b, const void *p, gsize n);
void am_http_buf_append_str (AmHttpBuf *b, const char *s);
/* "name: value\r\n" with one reservation. */
void am_http_buf_append_header (AmHttpBuf *b, const char *name, gsize name_len,
				const char *value, gsize value_len);
void am_http_buf_printf (AmHttpBuf *b, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* A chunk of @n body bytes in chunked framing (n > 0). */
void am_http_buf_append_chunk (AmHttpBuf *b, const void *p, gsize n);
void am_http_buf_consume (AmHttpBuf *b, gsize n);
static inline gsize
am_http_buf_pending (const AmHttpBuf *b)
{
	return b->len - b->off;
}
void am_http_buf_clear (AmHttpBuf *b);

/* ASCII lower case of every byte (others unchanged). */
extern const guint8 am_http_lower[256];

/* Whether @n bytes of @a and @b are equal but for ASCII case: header
 * names, compared inline (lengths are checked first, so most calls see
 * names that differ early or not at all). */
static inline gboolean
am_http_caseeq (const char *a, const char *b, gsize n)
{
	for (gsize i = 0; i < n; i++)
		if (a[i] != b[i] &&
		    am_http_lower[(guchar) a[i]] != am_http_lower[(guchar) b[i]])
			return FALSE;
	return TRUE;
}

/* ---- header stores: a parsed head, NUL-terminated strings in one buffer ---- */

typedef struct {
	guint32 name, value;	/* offsets into buf */
	guint32 name_len, value_len;
} AmHttpHdr;

typedef struct {
	char *buf;
	guint32 len, cap;
	guint n;
	gboolean in_value;	/* last callback was a value */
	gboolean overflow;	/* too many bytes or lines */
	/* a Connection header names headers besides close/keep-alive (set by
	 * finish): only then can a header be hop-by-hop by being listed */
	gboolean connection_names_headers;
	AmHttpHdr h[AM_HTTP_MAX_HEADERS];
	guint max;
} AmHttpHead;

void am_http_head_init (AmHttpHead *hs, gsize cap, guint max);
void am_http_head_reset (AmHttpHead *hs);
void am_http_head_free (AmHttpHead *hs);
/* Parser callbacks feed these; they return 0 or -1 (overflow). */
int am_http_head_on_field (AmHttpHead *hs, const char *at, gsize n);
int am_http_head_on_value (AmHttpHead *hs, const char *at, gsize n);
/* Append a separate NUL-terminated string (URL, reason); returns its offset. */
guint32 am_http_head_add_string (AmHttpHead *hs, const char *at, gsize n);
int am_http_head_extend_string (AmHttpHead *hs, const char *at, gsize n);
int am_http_head_finish (AmHttpHead *hs);
/* Lookups compare lengths first; the inline wrappers let the compiler
 * count a literal name's length. */
const char *am_http_head_get_len (const AmHttpHead *hs, const char *name, gsize len);
guint am_http_head_count_len (const AmHttpHead *hs, const char *name, gsize len);
static inline const char *
am_http_head_get (const AmHttpHead *hs, const char *name)
{
	return am_http_head_get_len (hs, name, strlen (name));
}
static inline guint
am_http_head_count (const AmHttpHead *hs, const char *name)
{
	return am_http_head_count_len (hs, name, strlen (name));
}
static inline const char *
am_http_head_name (const AmHttpHead *hs, guint i)
{
	return hs->buf + hs->h[i].name;
}
static inline const char *
am_http_head_value (const AmHttpHead *hs, guint i)
{
	return hs->buf + hs->h[i].value;
}
/* Header @i is hop-by-hop: the fixed list, or named in a Connection header. */
gboolean am_http_head_is_hop (const AmHttpHead *hs, guint i);
/* RFC 9110 token / field-value checks of @len bytes (a NUL among them
 * fails). */
gboolean am_http_is_token_len (const char *s, gsize len);
gboolean am_http_is_field_value_len (const char *s, gsize len);
/* Whether @list (a comma-separated header value) holds @token. */
gboolean am_http_list_has (const char *list, const char *token);

/* ---- header edits ---- */

typedef struct {
	guint32 name, value;	/* offsets into AmHttpEdits.buf */
	guint32 name_len, value_len;
	guint8 response;	/* applies to the response, not the upstream request */
	guint8 fallback;	/* only when @hs has no such header */
	guint8 remove;		/* no value: drop the header */
	guint8 superseded;	/* a later edit of the name replaced it */
} AmHttpEdit;

/* A request's edits and their strings, in two buffers that a recycled
 * request keeps (no allocation per edit once warm). */
typedef struct {
	AmHttpEdit *v;
	guint n, cap;
	char *buf;
	guint32 len, cap_buf;
} AmHttpEdits;

/* Empty @ed, keeping its buffers. */
void am_http_edits_reset (AmHttpEdits *ed);
void am_http_edits_free (AmHttpEdits *ed);
/* Add an edit (@value NULL: remove); a later edit of the same name and
 * direction replaces the earlier ones.  FALSE if the name is not a token
 * or the value has control bytes. */
gboolean am_http_edits_add (AmHttpEdits *ed, gboolean response, const char *name,
			    const char *value, gboolean fallback);
/* Whether an edit for that direction replaces @name (fallbacks do not). */
gboolean am_http_edits_cover (const AmHttpEdits *ed, gboolean response, const char *name,
			      gsize name_len);
/* Append "name: value\r\n" for each edit with a value; a fallback edit
 * only when @hs (may be NULL) has no header of its name. */
void am_http_edits_write (const AmHttpEdits *ed, gboolean response, const AmHttpHead *hs,
			  AmHttpBuf *out);

/* The end-to-end headers of @hs that no edit of that direction replaces,
 * then the edits. */
void am_http_write_headers (AmHttpBuf *out, const AmHttpHead *hs, const AmHttpEdits *ed,
			    gboolean response);
/* "Content-Length: n\r\n" */
void am_http_buf_append_content_length (AmHttpBuf *b, guint64 n);

/* ---- sockets (am-http-io.c) ---- */

/* An epoll registration: every fd points at one of these. */
typedef struct _AmHttpIo AmHttpIo;
typedef void (*AmHttpIoFunc) (AmHttpIo *io, guint32 events);
struct _AmHttpIo {
	AmHttpIoFunc on_event;
	int fd;
	SSL *ssl;
	/* Edge-triggered readiness as last observed. */
	gboolean readable, writable;
};

/* > 0 bytes; 0 EOF; -1 would block; -2 error (errno or TLS failure). */
gssize am_http_io_read (AmHttpIo *io, void *buf, gsize n);
/* Write what can be written of @b; -1 on error, else 0 (check pending). */
int am_http_io_flush (AmHttpIo *io, AmHttpBuf *b);
void am_http_io_close (AmHttpIo *io);

/* ---- workers (am-http-engine.c) ---- */

typedef struct {
	AmHttpIo io;
	AmHttpWorker *w;
	gboolean tls;
} AmHttpListener;

struct _AmHttpEngine {
	AmHttpConfig cfg;
	AmHttpHandler handler;
	gpointer data;
	SSL_CTX *tls_ctx, *up_tls_ctx;
	GArray *listen;		/* of AmHttpListen, addresses owned */
	GArray *listen_fds;	/* per worker × listener: int */
	guint16 *ports;
	guint n_workers;
	AmHttpWorker **workers;
	gboolean started, stopped;
};

struct _AmHttpWorker {
	AmHttpEngine *e;
	guint index;
	GThread *thread;
	GMainContext *ctx;
	gboolean quit;		/* leave the loop after this iteration */
	int epfd;
	int wake_fd;		/* the context's GWakeup fd, also in epfd; -1 unknown */
	GSource *tick;
	AmHttpListener *listeners;
	guint n_listeners;
	GList *conns;		/* AmHttpConn*, link in conn->link */
	GList *upconns;		/* AmHttpUpConn*, link in up->link */
	guint n_conns;
	GHashTable *pool;	/* "tls:host:port" -> GQueue of idle AmHttpUpConn */
	GHashTable *dns;	/* host -> AmHttpDnsEntry */
	gint64 now;		/* monotonic µs at the start of this dispatch */
	gint64 stop_deadline;	/* 0 while running */
	char date[64];		/* "Date: ...\r\n" */
	gint64 date_sec;
	/* Memory of connections closed while a batch of epoll events is being
	 * dispatched: a later event of the same batch may still point at it. */
	GPtrArray *graveyard;
};

void am_http_worker_watch (AmHttpWorker *w, AmHttpIo *io);
/* g_free @mem once the events being dispatched are done; its io must be
 * closed already (fd -1), so that they skip it. */
void am_http_worker_defer_free (AmHttpWorker *w, gpointer mem);
void am_http_worker_update_date (AmHttpWorker *w);

/* ---- requests and client connections (am-http-server.c) ---- */

typedef enum {
	AM_HTTP_REQ_HEAD,	/* reading the head */
	AM_HTTP_REQ_HANDLER,	/* in the handler or on_upstream_error */
	AM_HTTP_REQ_SUSPENDED,
	AM_HTTP_REQ_PROXYING,
	AM_HTTP_REQ_RESPONDING,	/* direct response queued */
	AM_HTTP_REQ_DONE,
} AmHttpReqState;

struct _AmHttpRequest {
	gint ref;
	AmHttpConn *conn;	/* NULL once the connection is gone */
	AmHttpWorker *w;
	GMainContext *ctx;	/* ref */
	AmHttpReqState state;
	int method;		/* enum http_method */
	guint minor;
	guint32 target, path, query;	/* offsets into head.buf; query 0 = none */
	gboolean keep_alive;
	gboolean expect_continue, sent_continue;
	gboolean chunked;
	gboolean has_body;
	gboolean body_done;	/* whole request body read */
	guint64 content_length;
	gint64 start_us;
	gboolean tls;
	AmHttpEdits edits;
	char client_addr[64];	/* the peer's numeric address (the connection's) */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	/* proxying */
	AmHttpUpConn *up;
	gboolean up_tls;
	char *up_host;
	guint16 up_port;
	char *up_target;
	guint up_connect_ms, up_read_ms;
	gboolean retried;
	gint64 up_sent_us;
	/* response */
	gboolean head_sent;	/* response head queued to the client */
	gboolean resp_chunked;	/* re-framing the upstream body as chunks */
	gboolean resp_done;	/* last response byte queued */
	AmHttpStats stats;
	gpointer data;		/* am_http_request_set_data */
	GDestroyNotify data_destroy;
	AmHttpHead head;	/* last: buffer allocated with the request */
};

typedef enum {
	AM_HTTP_CONN_IDLE,	/* keep-alive, waiting for a request */
	AM_HTTP_CONN_HEAD,
	AM_HTTP_CONN_BUSY,	/* head parsed: handler, body, response */
	AM_HTTP_CONN_CLOSING,	/* flushing a final response, then close */
} AmHttpConnState;

struct _AmHttpConn {
	AmHttpIo io;
	AmHttpWorker *w;
	GList link;
	AmHttpConnState state;
	gboolean tls;
	gboolean read_eof;
	gboolean paused;	/* request parser paused: no reading */
	gboolean discard;	/* request body read and dropped */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	char peer_text[64];	/* numeric, "" until the first request */
	http_parser parser;
	AmHttpBuf in, out;
	AmHttpRequest *req;
	gint64 deadline;	/* 0: none */
	gsize head_bytes;
};

void am_http_conn_accept (AmHttpWorker *w, int fd, gboolean tls, const struct sockaddr *sa,
			  socklen_t salen);
void am_http_conn_timeout (AmHttpConn *c);
/* Shut down: close when idle, ask busy ones to close after this request. */
void am_http_conn_stop (AmHttpConn *c, gboolean force);

/* Called by the proxy side. */
void am_http_conn_resume_body (AmHttpConn *c);	/* upstream output drained */
void am_http_conn_kick (AmHttpConn *c);		/* client output has data: flush */
void am_http_request_finish (AmHttpRequest *req, AmHttpFailure error);
void am_http_request_fail (AmHttpRequest *req, AmHttpFailure error);
void am_http_request_write_head (AmHttpRequest *req, guint status, const char *reason,
				 const AmHttpHead *hs, gint64 content_length, gboolean body);
gboolean am_http_request_body_pending (AmHttpRequest *req);

/* ---- upstream connections (am-http-proxy.c) ---- */

void am_http_proxy_start (AmHttpRequest *req);
/* A request body piece arrived from the client (n = 0: the end). */
void am_http_proxy_body (AmHttpRequest *req, const char *p, gsize n);
/* Client output drained below the mark: read the upstream again. */
void am_http_proxy_resume (AmHttpRequest *req);
/* Drop the upstream side of @req (client gone, error): not pooled. */
void am_http_proxy_abort (AmHttpRequest *req);
gboolean am_http_proxy_output_full (AmHttpRequest *req);
void am_http_up_timeout (AmHttpUpConn *u);
gint64 am_http_up_deadline (AmHttpUpConn *u);
void am_http_up_close (AmHttpUpConn *u);
void am_http_pool_free (gpointer queue);
void am_http_dns_free (gpointer entry);
