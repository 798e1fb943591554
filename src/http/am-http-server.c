/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client connections of the data-plane HTTP engine: reading and checking
 * requests with libhttp-parser, calling the gateway's handler, writing
 * direct responses, keep-alive, pipelining and timeouts.
 *
 * One request at a time per connection: the parser is paused when a head
 * is complete (the handler decides), when the upstream cannot take more
 * body (backpressure) and when the request is complete (pipelined requests
 * wait in the input buffer until the response is written), so responses
 * go out in order without any queue.
 *
 * Everything that changes a connection ends in conn_run(), which reads,
 * parses, flushes and finishes exchanges in a loop and is not re-entered:
 * a nested call (a handler answering synchronously, an upstream event
 * writing the response) only asks the running loop to go round again, and
 * a connection is freed only when that loop unwinds.
 *
 * Smuggling shapes libhttp-parser lets through, or that we want answered
 * the same way whatever the parser version does, are checked here when the
 * head is complete: obs-fold, header names that are not tokens, control
 * bytes in values, Content-Length with Transfer-Encoding, repeated
 * Content-Length or Transfer-Encoding, a coding other than chunked, a
 * missing or repeated Host.
 */
#include "config.h"

#define G_LOG_DOMAIN "am.http"

#include <netdb.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "am-http-private.h"

#define LINGER_US (2 * G_USEC_PER_SEC)

typedef enum {
	PAUSE_NONE,
	PAUSE_HEAD,	/* head complete, the handler has it */
	PAUSE_BODY,	/* the upstream is not taking more body */
	PAUSE_DONE,	/* request complete, response under way */
} PauseReason;

typedef struct {
	AmHttpConn c;
	PauseReason pause;
	gboolean running, again, dead;
	gboolean head_ready;
	gboolean head_last_lf;
	gboolean lingering, want_linger;
	AmHttpFailure kill_reason;
	guint error_status;	/* set by a parser callback that failed */
} Conn;

static void conn_run (AmHttpConn *c);

static inline Conn *
CONN (AmHttpConn *c)
{
	return (Conn *) c;
}

static const AmHttpConfig *
conn_cfg (AmHttpConn *c)
{
	return &c->w->e->cfg;
}

/* ---- requests ---- */

/* Finished requests are kept per thread for the next ones: a request
 * (1.5 KiB) and its header buffer (16 KiB by default) are large malloc
 * chunks, and freeing and allocating them for every request made glibc
 * consolidate its fast bins each time. */
#define REQUEST_CACHE_MAX 64

typedef struct {
	guint n;
	AmHttpRequest *items[REQUEST_CACHE_MAX];
} RequestCache;

static void
request_cache_free (gpointer p)
{
	RequestCache *rc = p;

	for (guint i = 0; i < rc->n; i++) {
		am_http_head_free (&rc->items[i]->head);
		am_http_edits_free (&rc->items[i]->edits);
		g_free (rc->items[i]);
	}
	g_free (rc);
}

static GPrivate request_cache_key = G_PRIVATE_INIT (request_cache_free);

static AmHttpRequest *
request_alloc (gsize head_cap, guint max_headers)
{
	RequestCache *rc = g_private_get (&request_cache_key);
	AmHttpRequest *req;

	if (rc != NULL && rc->n > 0 && rc->items[rc->n - 1]->head.cap == head_cap) {
		AmHttpEdits edits;
		char *buf;

		req = rc->items[--rc->n];
		buf = req->head.buf;
		edits = req->edits;
		memset (req, 0, sizeof *req);
		req->head.buf = buf;
		req->edits = edits;
		am_http_edits_reset (&req->edits);
		req->head.cap = (guint32) head_cap;
		req->head.max = MIN (max_headers, AM_HTTP_MAX_HEADERS);
		am_http_head_reset (&req->head);
		return req;
	}
	req = g_new0 (AmHttpRequest, 1);
	am_http_head_init (&req->head, head_cap, max_headers);
	return req;
}

static void
request_release (AmHttpRequest *req)
{
	RequestCache *rc = g_private_get (&request_cache_key);

	if (rc == NULL) {
		rc = g_new0 (RequestCache, 1);
		g_private_set (&request_cache_key, rc);
	}
	if (rc->n < REQUEST_CACHE_MAX) {
		rc->items[rc->n++] = req;
		return;
	}
	am_http_head_free (&req->head);
	am_http_edits_free (&req->edits);
	g_free (req);
}

static AmHttpRequest *
request_new (AmHttpConn *c)
{
	const AmHttpConfig *cfg = conn_cfg (c);
	AmHttpRequest *req = request_alloc (cfg->max_header_bytes + 64, cfg->max_headers);

	req->ref = 1;
	req->conn = c;
	req->w = c->w;
	req->ctx = g_main_context_ref (c->w->ctx);
	req->tls = c->tls;
	req->start_us = c->w->now;
	req->stats.upstream_latency_us = -1;
	return req;
}

AmHttpRequest *
am_http_request_ref (AmHttpRequest *req)
{
	g_atomic_int_inc (&req->ref);
	return req;
}

void
am_http_request_unref (AmHttpRequest *req)
{
	if (req == NULL || !g_atomic_int_dec_and_test (&req->ref))
		return;
	if (req->data_destroy != NULL)
		req->data_destroy (req->data);
	g_main_context_unref (req->ctx);
	g_free (req->up_host);
	g_free (req->up_target);
	request_release (req);
}

GMainContext *
am_http_request_get_context (AmHttpRequest *req)
{
	return req->ctx;
}

gboolean
am_http_request_is_alive (AmHttpRequest *req)
{
	return req->conn != NULL;
}

const char *
am_http_request_get_method (AmHttpRequest *req)
{
	return http_method_str (req->method);
}

const char *
am_http_request_get_path (AmHttpRequest *req)
{
	return req->head.buf + req->path;
}

const char *
am_http_request_get_query (AmHttpRequest *req)
{
	return req->query != 0 ? req->head.buf + req->query : NULL;
}

const char *
am_http_request_get_target (AmHttpRequest *req)
{
	return req->head.buf + req->target;
}

guint
am_http_request_get_minor_version (AmHttpRequest *req)
{
	return req->minor;
}

const char *
am_http_request_get_header (AmHttpRequest *req, const char *name)
{
	return am_http_head_get (&req->head, name);
}

guint
am_http_request_get_n_headers (AmHttpRequest *req)
{
	return req->head.n;
}

void
am_http_request_get_header_at (AmHttpRequest *req, guint i, const char **name, const char **value)
{
	g_return_if_fail (i < req->head.n);
	*name = am_http_head_name (&req->head, i);
	*value = am_http_head_value (&req->head, i);
}

const char *
am_http_request_get_client_address (AmHttpRequest *req)
{
	return req->client_addr;
}

const struct sockaddr *
am_http_request_get_client_sockaddr (AmHttpRequest *req)
{
	return (const struct sockaddr *) &req->peer;
}

gboolean
am_http_request_is_tls (AmHttpRequest *req)
{
	return req->tls;
}

gint64
am_http_request_get_start_time (AmHttpRequest *req)
{
	return req->start_us;
}

gboolean
am_http_request_has_body (AmHttpRequest *req)
{
	return req->has_body;
}

static void
request_edit (AmHttpRequest *req, gboolean response, const char *name, const char *value,
	      gboolean fallback)
{
	/* a caller's bug (the gateway checks what it takes from outside) */
	if (!am_http_edits_add (&req->edits, response, name, value, fallback))
		g_critical ("header edit refused: \"%s\" is not a token or its value has "
			    "control characters", name);
}

void
am_http_request_set_data (AmHttpRequest *req, gpointer data, GDestroyNotify destroy)
{
	if (req->data_destroy != NULL)
		req->data_destroy (req->data);
	req->data = data;
	req->data_destroy = destroy;
}

gpointer
am_http_request_get_data (AmHttpRequest *req)
{
	return req->data;
}

void
am_http_request_set_header (AmHttpRequest *req, const char *name, const char *value)
{
	g_return_if_fail (value != NULL);
	request_edit (req, FALSE, name, value, FALSE);
}

void
am_http_request_remove_header (AmHttpRequest *req, const char *name)
{
	request_edit (req, FALSE, name, NULL, FALSE);
}

void
am_http_request_set_response_header (AmHttpRequest *req, const char *name, const char *value)
{
	g_return_if_fail (value != NULL);
	request_edit (req, TRUE, name, value, FALSE);
}

void
am_http_request_default_response_header (AmHttpRequest *req, const char *name,
					  const char *value)
{
	g_return_if_fail (value != NULL);
	request_edit (req, TRUE, name, value, TRUE);
}

void
am_http_request_remove_response_header (AmHttpRequest *req, const char *name)
{
	request_edit (req, TRUE, name, NULL, FALSE);
}

void
am_http_request_add_forwarded_headers (AmHttpRequest *req)
{
	const char *xff = am_http_request_get_header (req, "X-Forwarded-For");
	const char *host = am_http_request_get_header (req, "Host");
	const char *addr = am_http_request_get_client_address (req);
	g_autofree char *v = xff != NULL ? g_strconcat (xff, ", ", addr, NULL) : NULL;

	am_http_request_set_header (req, "X-Forwarded-For", v != NULL ? v : addr);
	am_http_request_set_header (req, "X-Forwarded-Proto", req->tls ? "https" : "http");
	if (host != NULL)
		am_http_request_set_header (req, "X-Forwarded-Host", host);
}

void
am_http_request_finish (AmHttpRequest *req, AmHttpFailure error)
{
	const AmHttpConfig *cfg = &req->w->e->cfg;

	if (req->state == AM_HTTP_REQ_DONE)
		return;
	req->state = AM_HTTP_REQ_DONE;
	if (error != AM_HTTP_FAIL_NONE)
		req->stats.error = error;
	req->stats.total_us = g_get_monotonic_time () - req->start_us;
	if (cfg->on_done != NULL)
		cfg->on_done (req, &req->stats, req->w->e->data);
}

/* ---- writing responses ---- */

static const char *
status_reason (guint status)
{
	switch (status) {
#define XX(num, name, string) \
	case num: \
		return #string;
		HTTP_STATUS_MAP (XX)
#undef XX
	default:
		return "Unknown";
	}
}

/* Whether the response to @req may carry a body at all. */
static gboolean
status_has_body (AmHttpRequest *req, guint status)
{
	return req->method != HTTP_HEAD && status >= 200 && status != 204 && status != 304;
}

static void
request_write_connection (AmHttpRequest *req, AmHttpBuf *out)
{
	if (!req->keep_alive)
		am_http_buf_append_str (out, "Connection: close\r\n");
	else if (req->minor == 0)
		am_http_buf_append_str (out, "Connection: keep-alive\r\n");
}

/* "HTTP/1.1 <status> <reason>\r\n" */
static void
request_write_status (AmHttpBuf *out, guint status, const char *reason)
{
	gsize rlen = strlen (reason);
	char *p;

	am_http_buf_reserve (out, 9 + 10 + 1 + rlen + 2);
	p = out->data + out->len;
	memcpy (p, "HTTP/1.1 ", 9);
	p += 9;
	p += am_http_format_uint (p, status);
	*p++ = ' ';
	memcpy (p, reason, rlen);
	p += rlen;
	*p++ = '\r';
	*p++ = '\n';
	out->len = (gsize) (p - out->data);
}

void
am_http_request_write_head (AmHttpRequest *req, guint status, const char *reason,
			    const AmHttpHead *hs, gint64 content_length, gboolean body)
{
	AmHttpConn *c = req->conn;
	AmHttpBuf *out = &c->out;

	if (c->w->stop_deadline != 0)
		req->keep_alive = FALSE;
	request_write_status (out, status,
			      reason != NULL && *reason != '\0' ? reason : status_reason (status));
	am_http_write_headers (out, hs, &req->edits, TRUE);
	if (content_length >= 0)
		am_http_buf_append_content_length (out, (guint64) content_length);
	else if (body && req->minor >= 1) {
		am_http_buf_append_str (out, "Transfer-Encoding: chunked\r\n");
		req->resp_chunked = TRUE;
	} else if (body)
		req->keep_alive = FALSE;	/* HTTP/1.0: the close ends the body */
	request_write_connection (req, out);
	am_http_buf_append (out, "\r\n", 2);
	req->head_sent = TRUE;
	req->stats.status = status;
}

static gboolean
request_waiting (AmHttpRequest *req)
{
	return req->conn != NULL &&
	       (req->state == AM_HTTP_REQ_HANDLER || req->state == AM_HTTP_REQ_SUSPENDED);
}

/* Let the parser go on: the body is wanted (proxy) or dropped (respond). */
static void
conn_unpause (AmHttpConn *c)
{
	if (CONN (c)->pause == PAUSE_HEAD || CONN (c)->pause == PAUSE_BODY) {
		CONN (c)->pause = PAUSE_NONE;
		c->paused = FALSE;
		http_parser_pause (&c->parser, 0);
	}
}

gboolean
am_http_request_respond (AmHttpRequest *req, guint status, const char *content_type,
			 const void *body, gsize len)
{
	AmHttpConn *c = req->conn;
	AmHttpBuf *out;
	AmHttpHead none = { .buf = (char *) "", .n = 0 };
	gboolean with_body;

	g_return_val_if_fail (status >= 200 && status <= 999, FALSE);
	if (!request_waiting (req))
		return FALSE;
	out = &c->out;
	with_body = status_has_body (req, status);
	req->state = AM_HTTP_REQ_RESPONDING;
	/* The body that follows will be read and dropped, unless the client
	 * waits for a 100 Continue that now will never come: then close. */
	if (!req->body_done && req->expect_continue && !req->sent_continue)
		req->keep_alive = FALSE;
	am_http_request_write_head (req, status, NULL, &none,
				    status >= 200 && status != 204 && status != 304 ? (gint64) len : -1,
				    FALSE);
	/* Date goes right after the status line; cheaper to add it last. */
	out->len -= 2;
	am_http_buf_append_str (out, c->w->date);
	if (content_type != NULL)
		am_http_buf_printf (out, "Content-Type: %s\r\n", content_type);
	am_http_buf_append (out, "\r\n", 2);
	if (with_body && len > 0)
		am_http_buf_append (out, body, len);
	req->resp_done = TRUE;
	c->discard = TRUE;
	if (req->keep_alive)
		conn_unpause (c);
	conn_run (c);
	return TRUE;
}

gboolean
am_http_request_proxy (AmHttpRequest *req, const AmHttpUpstream *up)
{
	AmHttpConn *c = req->conn;

	g_return_val_if_fail (up != NULL && up->host != NULL, FALSE);
	if (!request_waiting (req))
		return FALSE;
	g_free (req->up_host);
	g_free (req->up_target);
	req->up_tls = up->tls;
	req->up_host = g_strdup (up->host);
	req->up_port = up->port;
	req->up_target = g_strdup (up->target);
	req->up_connect_ms = up->connect_timeout_ms;
	req->up_read_ms = up->read_timeout_ms;
	req->state = AM_HTTP_REQ_PROXYING;
	if (req->expect_continue && !req->sent_continue && !req->body_done) {
		am_http_buf_append_str (&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
		req->sent_continue = TRUE;
	}
	am_http_proxy_start (req);
	if (req->state == AM_HTTP_REQ_PROXYING && req->conn != NULL)
		conn_unpause (req->conn);
	if (req->conn != NULL)
		conn_run (req->conn);
	return TRUE;
}

gboolean
am_http_request_can_retry (AmHttpRequest *req)
{
	return req->stats.request_body_bytes == 0;
}

void
am_http_request_suspend (AmHttpRequest *req)
{
	if (req->state == AM_HTTP_REQ_HANDLER)
		req->state = AM_HTTP_REQ_SUSPENDED;
}

gboolean
am_http_request_body_pending (AmHttpRequest *req)
{
	return !req->body_done;
}

static void conn_kill (AmHttpConn *c, AmHttpFailure why);

void
am_http_request_fail (AmHttpRequest *req, AmHttpFailure error)
{
	const AmHttpConfig *cfg = &req->w->e->cfg;
	AmHttpConn *c = req->conn;

	req->stats.error = error;
	req->up = NULL;
	if (c == NULL)
		return;
	if (req->head_sent) {
		/* Part of the response is out: only a close tells the client. */
		conn_kill (c, error);
		return;
	}
	req->state = AM_HTTP_REQ_HANDLER;
	if (cfg->on_upstream_error != NULL) {
		cfg->on_upstream_error (req, error, req->w->e->data);
		if (req->state != AM_HTTP_REQ_HANDLER)
			return;
	}
	if (error == AM_HTTP_FAIL_CONNECT_TIMEOUT || error == AM_HTTP_FAIL_READ_TIMEOUT)
		am_http_request_respond (req, 504, "text/plain", "Gateway Timeout\n", 16);
	else
		am_http_request_respond (req, 502, "text/plain", "Bad Gateway\n", 12);
}

/* ---- the request parser ---- */

static int
req_on_message_begin (http_parser *p)
{
	AmHttpConn *c = p->data;

	if (c->req == NULL)
		c->req = request_new (c);
	memcpy (&c->req->peer, &c->peer, c->peer_len);
	c->req->peer_len = c->peer_len;
	/* once per connection: getnameinfo costs more than a request */
	if (c->peer_text[0] == '\0' &&
	    getnameinfo ((struct sockaddr *) &c->peer, c->peer_len, c->peer_text,
			 sizeof c->peer_text, NULL, 0, NI_NUMERICHOST) != 0)
		g_strlcpy (c->peer_text, "unknown", sizeof c->peer_text);
	memcpy (c->req->client_addr, c->peer_text, sizeof c->req->client_addr);
	c->state = AM_HTTP_CONN_HEAD;
	c->deadline = c->req->start_us + (gint64) conn_cfg (c)->header_timeout_ms * 1000;
	return 0;
}

static int
req_on_url (http_parser *p, const char *at, size_t n)
{
	AmHttpRequest *req = ((AmHttpConn *) p->data)->req;

	if (req->target == 0) {
		req->target = am_http_head_add_string (&req->head, at, n);
		return req->target != 0 ? 0 : -1;
	}
	return am_http_head_extend_string (&req->head, at, n);
}

static int
req_on_header_field (http_parser *p, const char *at, size_t n)
{
	AmHttpRequest *req = ((AmHttpConn *) p->data)->req;

	/* Close the URL string before the first header. */
	if (req->head.n == 0 && am_http_head_extend_string (&req->head, "", 1) < 0)
		return -1;
	return am_http_head_on_field (&req->head, at, n);
}

static int
req_on_header_value (http_parser *p, const char *at, size_t n)
{
	return am_http_head_on_value (&((AmHttpConn *) p->data)->req->head, at, n);
}

static int
req_on_headers_complete (http_parser *p)
{
	AmHttpConn *c = p->data;
	AmHttpRequest *req = c->req;

	if (req->head.n == 0 && am_http_head_extend_string (&req->head, "", 1) < 0)
		return -1;
	if (am_http_head_finish (&req->head) < 0)
		return -1;
	req->method = p->method;
	req->minor = p->http_minor;
	req->keep_alive = http_should_keep_alive (p) && !p->upgrade;
	req->chunked = (p->flags & F_CHUNKED) != 0;
	req->content_length = (p->flags & F_CONTENTLENGTH) ? p->content_length : 0;
	req->has_body = req->chunked || req->content_length > 0;
	req->body_done = !req->has_body;
	CONN (c)->head_ready = TRUE;
	CONN (c)->pause = PAUSE_HEAD;
	c->paused = TRUE;
	http_parser_pause (p, 1);
	return 0;
}

static int
req_on_body (http_parser *p, const char *at, size_t n)
{
	AmHttpConn *c = p->data;
	AmHttpRequest *req = c->req;
	guint64 max = conn_cfg (c)->max_body_bytes;

	req->stats.request_body_bytes += n;
	if (max != 0 && req->stats.request_body_bytes > max) {
		CONN (c)->error_status = 413;
		return -1;
	}
	if (c->discard || req->state != AM_HTTP_REQ_PROXYING)
		return 0;
	am_http_proxy_body (req, at, n);
	if (am_http_proxy_output_full (req)) {
		CONN (c)->pause = PAUSE_BODY;
		c->paused = TRUE;
		http_parser_pause (p, 1);
	}
	return 0;
}

static int
req_on_message_complete (http_parser *p)
{
	AmHttpConn *c = p->data;
	AmHttpRequest *req = c->req;

	req->body_done = TRUE;
	if (req->has_body && !c->discard && req->state == AM_HTTP_REQ_PROXYING)
		am_http_proxy_body (req, NULL, 0);
	CONN (c)->pause = PAUSE_DONE;
	c->paused = TRUE;
	http_parser_pause (p, 1);
	return 0;
}

static const http_parser_settings req_settings = {
	.on_message_begin = req_on_message_begin,
	.on_url = req_on_url,
	.on_header_field = req_on_header_field,
	.on_header_value = req_on_header_value,
	.on_headers_complete = req_on_headers_complete,
	.on_body = req_on_body,
	.on_message_complete = req_on_message_complete,
};

/* ---- connections ---- */

/* ---- connections ---- */

static void
conn_free (AmHttpConn *c)
{
	AmHttpWorker *w = c->w;
	AmHttpRequest *req = c->req;

	if (req != NULL) {
		c->req = NULL;
		if (req->up != NULL)
			am_http_proxy_abort (req);
		am_http_request_finish (req, CONN (c)->kill_reason != AM_HTTP_FAIL_NONE
						     ? CONN (c)->kill_reason
						     : w->stop_deadline != 0 ? AM_HTTP_FAIL_SHUTDOWN
									      : AM_HTTP_FAIL_CLIENT_ABORT);
		req->conn = NULL;
		am_http_request_unref (req);
	}
	am_http_io_close (&c->io);
	w->conns = g_list_remove_link (w->conns, &c->link);
	w->n_conns--;
	am_http_buf_clear (&c->in);
	am_http_buf_clear (&c->out);
	am_http_worker_defer_free (w, CONN (c));
}

/* Close the connection now, whatever it was doing. */
static void
conn_kill (AmHttpConn *c, AmHttpFailure why)
{
	if (CONN (c)->dead)
		return;
	CONN (c)->dead = TRUE;
	CONN (c)->kill_reason = why;
	conn_run (c);
}

/* Close once the output is written, reading (and dropping) what the client
 * still sends for a moment, so that its unread bytes do not turn our FIN
 * into an RST that could destroy the response before it is read. */
static void
conn_close_after_output (AmHttpConn *c, gboolean linger)
{
	CONN (c)->want_linger = linger;
	c->state = AM_HTTP_CONN_CLOSING;
	CONN (c)->pause = PAUSE_DONE;
	c->paused = TRUE;
	c->deadline = c->w->now + LINGER_US;
	CONN (c)->again = TRUE;
}

/* A protocol error: answer @status and close. */
static void
conn_error (AmHttpConn *c, guint status)
{
	AmHttpRequest *req = c->req;
	const char *reason = status_reason (status);

	g_debug ("client %d: answering %u", c->io.fd, status);
	if (req != NULL && req->up != NULL)
		am_http_proxy_abort (req);
	if (req != NULL && req->head_sent) {
		conn_kill (c, AM_HTTP_FAIL_NONE);
		return;
	}
	am_http_buf_printf (&c->out,
			    "HTTP/1.1 %u %s\r\n%sContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			    "Connection: close\r\n\r\n%s\n",
			    status, reason, c->w->date, strlen (reason) + 1, reason);
	if (req != NULL) {
		req->stats.status = status;
		req->head_sent = req->resp_done = TRUE;
		req->keep_alive = FALSE;
		req->state = AM_HTTP_REQ_RESPONDING;
	}
	conn_close_after_output (c, TRUE);
}

static void
conn_on_eof (AmHttpConn *c)
{
	AmHttpRequest *req = c->req;

	c->read_eof = TRUE;
	if (c->state == AM_HTTP_CONN_CLOSING) {
		CONN (c)->dead = TRUE;
		return;
	}
	if (c->state != AM_HTTP_CONN_BUSY || req == NULL) {
		CONN (c)->dead = TRUE;	/* idle, or half a head: nothing to answer */
		return;
	}
	if (!req->body_done) {
		conn_kill (c, AM_HTTP_FAIL_CLIENT_ABORT);
		return;
	}
	/* A half-close after a whole request: answer, then close. */
	req->keep_alive = FALSE;
}

/* obs-fold (RFC 9112 §5.2): a line of the head starting with SP or HT. */
static gboolean
conn_scan_fold (AmHttpConn *c, const char *p, gsize n)
{
	const char *end = p + n;

	if (n == 0)
		return FALSE;
	if (CONN (c)->head_last_lf && (p[0] == ' ' || p[0] == '\t'))
		return TRUE;
	for (const char *q = p; (q = memchr (q, '\n', (gsize) (end - q))) != NULL && ++q < end;)
		if (*q == ' ' || *q == '\t')
			return TRUE;
	CONN (c)->head_last_lf = end[-1] == '\n';
	return FALSE;
}

static gboolean
value_is (const char *v, const char *token)
{
	gsize n = strlen (v);

	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n == strlen (token) && g_ascii_strncasecmp (v, token, n) == 0;
}

static guint32
head_add_cstr (AmHttpHead *hs, const char *p, gsize n)
{
	guint32 off = am_http_head_add_string (hs, p, n);

	if (off == 0 || am_http_head_extend_string (hs, "", 1) < 0)
		return 0;
	return off;
}

/* Split the request target into path and query. */
static gboolean
request_parse_target (AmHttpRequest *req)
{
	const char *t = req->head.buf + req->target;
	struct http_parser_url u;

	if (t[0] == '/' || (t[0] == '*' && t[1] == '\0')) {
		const char *q = strchr (t, '?');

		if (q == NULL) {
			req->path = req->target;
			return TRUE;
		}
		req->path = head_add_cstr (&req->head, t, q - t);
		req->query = head_add_cstr (&req->head, q + 1, strlen (q + 1));
		return req->path != 0 && req->query != 0;
	}
	/* absolute-form (RFC 9112 §3.2.2) */
	http_parser_url_init (&u);
	if (http_parser_parse_url (t, strlen (t), 0, &u) != 0 || !(u.field_set & (1 << UF_HOST)))
		return FALSE;
	t = req->head.buf + req->target;
	if (u.field_set & (1 << UF_PATH))
		req->path = head_add_cstr (&req->head, t + u.field_data[UF_PATH].off,
					   u.field_data[UF_PATH].len);
	else
		req->path = head_add_cstr (&req->head, "/", 1);
	if (u.field_set & (1 << UF_QUERY)) {
		t = req->head.buf + req->target;
		req->query = head_add_cstr (&req->head, t + u.field_data[UF_QUERY].off,
					    u.field_data[UF_QUERY].len);
		if (req->query == 0)
			return FALSE;
	}
	return req->path != 0;
}

/* The checks of a complete head; the status to answer, or 0. */
static guint
request_check (AmHttpRequest *req, const http_parser *p, const AmHttpConfig *cfg)
{
	const AmHttpHead *hs = &req->head;
	const char *te = am_http_head_get (hs, "Transfer-Encoding");
	const char *expect = am_http_head_get (hs, "Expect");
	guint hosts = am_http_head_count (hs, "Host");

	if (p->http_major != 1)
		return 505;
	for (guint i = 0; i < hs->n; i++)
		if (!am_http_is_token_len (am_http_head_name (hs, i), hs->h[i].name_len) ||
		    !am_http_is_field_value_len (am_http_head_value (hs, i), hs->h[i].value_len))
			return 400;
	if (am_http_head_count (hs, "Content-Length") > 1 ||
	    am_http_head_count (hs, "Transfer-Encoding") > 1)
		return 400;
	if (te != NULL && (am_http_head_get (hs, "Content-Length") != NULL || !value_is (te, "chunked")))
		return 400;
	if (hosts > 1 || (hosts == 0 && req->minor >= 1))
		return 400;
	if (req->method == HTTP_CONNECT)
		return 405;
	if (expect != NULL) {
		if (!value_is (expect, "100-continue"))
			return 417;
		req->expect_continue = req->minor >= 1;
	}
	if (cfg->max_body_bytes != 0 && req->content_length > cfg->max_body_bytes)
		return 413;
	if (!request_parse_target (req))
		return 400;
	return 0;
}

static void
conn_on_head (AmHttpConn *c)
{
	AmHttpRequest *req = c->req;
	AmHttpEngine *e = c->w->e;
	guint status;

	c->state = AM_HTTP_CONN_BUSY;
	c->deadline = 0;
	status = request_check (req, &c->parser, &e->cfg);
	if (status != 0) {
		conn_error (c, status);
		return;
	}
	req->state = AM_HTTP_REQ_HANDLER;
	e->handler (req, e->data);
	if (req->state == AM_HTTP_REQ_HANDLER) {
		g_warning ("the handler left %s %s unanswered", am_http_request_get_method (req),
			   am_http_request_get_path (req));
		am_http_request_respond (req, 500, "text/plain", "Internal Server Error\n", 22);
	}
}

static void
conn_parse (AmHttpConn *c)
{
	Conn *cc = CONN (c);
	const char *data = c->in.data + c->in.off;
	gsize len = am_http_buf_pending (&c->in);
	gboolean in_head = c->state == AM_HTTP_CONN_IDLE || c->state == AM_HTTP_CONN_HEAD;
	enum http_errno err;
	gsize n;

	n = http_parser_execute (&c->parser, &req_settings, data, len);
	if (in_head) {
		c->head_bytes += n;
		if (conn_scan_fold (c, data, n)) {
			conn_error (c, 400);
			return;
		}
		if (c->head_bytes > conn_cfg (c)->max_header_bytes) {
			conn_error (c, 431);
			return;
		}
	}
	am_http_buf_consume (&c->in, n);
	err = HTTP_PARSER_ERRNO (&c->parser);
	if (err != HPE_OK && err != HPE_PAUSED) {
		guint status = cc->error_status;

		if (status == 0)
			status = err == HPE_HEADER_OVERFLOW ||
					 (c->req != NULL && c->req->head.overflow)
				       ? 431
				       : 400;
		g_debug ("client %d: %s", c->io.fd, http_errno_name (err));
		conn_error (c, status);
		return;
	}
	if (cc->head_ready) {
		cc->head_ready = FALSE;
		conn_on_head (c);
	}
}

static void
conn_read (AmHttpConn *c)
{
	Conn *cc = CONN (c);

	while (!cc->dead && !c->paused) {
		if (am_http_buf_pending (&c->in) == 0) {
			gssize r;

			if (!c->io.readable || c->read_eof)
				return;
			am_http_buf_reserve (&c->in, AM_HTTP_READ_SIZE);
			r = am_http_io_read (&c->io, c->in.data + c->in.len, c->in.cap - c->in.len);
			if (r == -1)
				return;
			if (r == -2) {
				conn_kill (c, AM_HTTP_FAIL_CLIENT_ABORT);
				return;
			}
			if (r == 0) {
				conn_on_eof (c);
				return;
			}
			c->in.len += r;
			if (c->state == AM_HTTP_CONN_BUSY)
				c->deadline = c->w->now + (gint64) conn_cfg (c)->idle_timeout_ms * 1000;
		}
		conn_parse (c);
	}
}

/* Closing: drop whatever the client still sends until EOF or the deadline. */
static void
conn_linger (AmHttpConn *c)
{
	char sink[4096];

	while (c->io.readable) {
		gssize r = am_http_io_read (&c->io, sink, sizeof sink);

		if (r == -1)
			return;
		if (r <= 0) {
			CONN (c)->dead = TRUE;
			return;
		}
	}
}

static void
conn_end_exchange (AmHttpConn *c)
{
	AmHttpRequest *req = c->req;
	gboolean keep, req_complete;

	c->req = NULL;
	if (req->up != NULL)
		am_http_proxy_abort (req);
	am_http_request_finish (req, AM_HTTP_FAIL_NONE);
	req->conn = NULL;
	req_complete = req->body_done;
	keep = req->keep_alive && req->body_done && !c->read_eof && c->w->stop_deadline == 0;
	am_http_request_unref (req);
	if (!keep) {
		conn_close_after_output (c, !req_complete);
		return;
	}
	c->state = AM_HTTP_CONN_IDLE;
	c->discard = FALSE;
	c->head_bytes = 0;
	CONN (c)->head_last_lf = FALSE;
	CONN (c)->pause = PAUSE_NONE;
	c->paused = FALSE;
	http_parser_pause (&c->parser, 0);
	c->deadline = c->w->now + (gint64) conn_cfg (c)->idle_timeout_ms * 1000;
	CONN (c)->again = TRUE;
}

static void
conn_step (AmHttpConn *c)
{
	Conn *cc = CONN (c);
	AmHttpRequest *req;

	if (cc->lingering) {
		conn_linger (c);
		return;
	}
	conn_read (c);
	if (cc->dead)
		return;
	if (am_http_buf_pending (&c->out) > 0) {
		gsize before = am_http_buf_pending (&c->out);

		if (am_http_io_flush (&c->io, &c->out) < 0) {
			conn_kill (c, AM_HTTP_FAIL_CLIENT_ABORT);
			return;
		}
		if (c->req != NULL)
			c->req->stats.response_bytes += before - am_http_buf_pending (&c->out);
		if (am_http_buf_pending (&c->out) < before && c->state == AM_HTTP_CONN_BUSY)
			c->deadline = c->w->now + (gint64) conn_cfg (c)->idle_timeout_ms * 1000;
	}
	req = c->req;
	if (req != NULL && req->state == AM_HTTP_REQ_PROXYING &&
	    am_http_buf_pending (&c->out) < AM_HTTP_HIGH_WATER / 2)
		am_http_proxy_resume (req);
	if (cc->dead || am_http_buf_pending (&c->out) > 0)
		return;
	if (c->state == AM_HTTP_CONN_CLOSING) {
		if (!cc->want_linger || c->io.ssl != NULL || c->read_eof ||
		    c->w->stop_deadline != 0 || shutdown (c->io.fd, SHUT_WR) < 0) {
			cc->dead = TRUE;
			return;
		}
		cc->lingering = TRUE;
		cc->again = TRUE;
		return;
	}
	req = c->req;
	if (req == NULL || !req->resp_done)
		return;
	/* A direct answer went out before the body: read it away first. */
	if (!req->body_done && c->discard && req->keep_alive && !c->read_eof) {
		c->deadline = c->w->now + (gint64) conn_cfg (c)->idle_timeout_ms * 1000;
		return;
	}
	conn_end_exchange (c);
}

static void
conn_run (AmHttpConn *c)
{
	Conn *cc = CONN (c);

	if (cc->running) {
		cc->again = TRUE;
		return;
	}
	cc->running = TRUE;
	do {
		cc->again = FALSE;
		if (!cc->dead)
			conn_step (c);
	} while (cc->again && !cc->dead);
	cc->running = FALSE;
	if (cc->dead)
		conn_free (c);
}

static void
conn_on_event (AmHttpIo *io, guint32 events)
{
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		io->readable = TRUE;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		io->writable = TRUE;
	conn_run ((AmHttpConn *) io);
}

void
am_http_conn_kick (AmHttpConn *c)
{
	conn_run (c);
}

void
am_http_conn_resume_body (AmHttpConn *c)
{
	if (CONN (c)->pause == PAUSE_BODY)
		conn_unpause (c);
	conn_run (c);
}

void
am_http_conn_timeout (AmHttpConn *c)
{
	switch (c->state) {
	case AM_HTTP_CONN_IDLE:
		CONN (c)->dead = TRUE;
		break;
	case AM_HTTP_CONN_HEAD:
		conn_error (c, 408);
		break;
	case AM_HTTP_CONN_BUSY:
		CONN (c)->dead = TRUE;
		CONN (c)->kill_reason = AM_HTTP_FAIL_CLIENT_ABORT;
		break;
	case AM_HTTP_CONN_CLOSING:
		CONN (c)->dead = TRUE;
		break;
	}
	conn_run (c);
}

void
am_http_conn_stop (AmHttpConn *c, gboolean force)
{
	if (force) {
		conn_kill (c, AM_HTTP_FAIL_SHUTDOWN);
		return;
	}
	if (c->state == AM_HTTP_CONN_IDLE) {
		conn_kill (c, AM_HTTP_FAIL_NONE);
		return;
	}
	/* Busy: finish this exchange, then close. */
	if (c->req != NULL)
		c->req->keep_alive = FALSE;
}

void
am_http_conn_accept (AmHttpWorker *w, int fd, gboolean tls, const struct sockaddr *sa,
		     socklen_t salen)
{
	Conn *cc = g_new0 (Conn, 1);
	AmHttpConn *c = &cc->c;

	c->w = w;
	c->io.fd = fd;
	c->io.on_event = conn_on_event;
	c->tls = tls;
	c->peer_len = MIN (salen, sizeof c->peer);
	memcpy (&c->peer, sa, c->peer_len);
	if (tls) {
		c->io.ssl = SSL_new (w->e->tls_ctx);
		SSL_set_fd (c->io.ssl, fd);
		SSL_set_accept_state (c->io.ssl);
		SSL_set_mode (c->io.ssl,
			      SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	}
	http_parser_init (&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->state = AM_HTTP_CONN_IDLE;
	/* Until the first request: the header timeout (nothing said at all). */
	c->deadline = w->now + (gint64) w->e->cfg.header_timeout_ms * 1000;
	c->link.data = c;
	w->conns = g_list_insert_before_link (w->conns, w->conns, &c->link);
	w->n_conns++;
	am_http_worker_watch (w, &c->io);
}
