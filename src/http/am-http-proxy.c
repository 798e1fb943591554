/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reverse-proxy half of the data-plane HTTP engine: upstream
 * connections, the per-worker keep-alive pool keyed by (tls, host, port),
 * host names resolved asynchronously and cached, and the forwarding of one
 * request: the head rewritten (hop-by-hop headers dropped, the handler's
 * edits applied, the body re-framed), the body streamed up as the client
 * sends it and the response streamed down as the upstream sends it.  Each
 * direction stops reading when the other side has AM_HTTP_HIGH_WATER bytes
 * unwritten and goes on at half of that.
 *
 * A pooled connection the upstream closed meanwhile shows up as an EOF or
 * a reset before any response byte; an idempotent request without a body
 * is then sent once more on a fresh connection, as nginx and Synapse do.
 * Any other failure goes to am_http_request_fail() with its kind.
 */
#include "config.h"

#define G_LOG_DOMAIN "am.http"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "am-http-private.h"

#define DNS_TTL_US (60 * G_USEC_PER_SEC)

typedef enum {
	UP_RESOLVING,
	UP_CONNECTING,
	UP_ACTIVE,
	UP_IDLE,	/* in the pool */
} UpState;

typedef struct {
	struct sockaddr_storage ss;
	socklen_t len;
	gint64 expires;
} DnsEntry;

struct _AmHttpUpConn {
	AmHttpIo io;
	AmHttpWorker *w;
	GList link;		/* in w->upconns */
	GList pool_link;	/* in *pool_q while idle */
	GQueue *pool_q;
	char *key;
	UpState state;
	AmHttpRequest *req;	/* ref while attached */
	GCancellable *resolving;
	http_parser parser;
	AmHttpBuf in, out;
	AmHttpHead head;
	guint32 reason;
	gint64 deadline;
	gboolean reused, got_bytes, req_sent;
	gboolean paused, interim, done;
	gboolean running, again, dead;
};

static void up_run (AmHttpUpConn *u);

static const AmHttpConfig *
up_cfg (AmHttpUpConn *u)
{
	return &u->w->e->cfg;
}

static gint64
up_read_deadline (AmHttpUpConn *u)
{
	guint ms = u->req != NULL && u->req->up_read_ms != 0 ? u->req->up_read_ms
							       : up_cfg (u)->upstream_read_timeout_ms;

	return u->w->now + (gint64) ms * 1000;
}

/* ---- response parser ---- */

static int
up_on_message_begin (http_parser *p)
{
	AmHttpUpConn *u = p->data;

	am_http_head_reset (&u->head);
	u->reason = 0;
	return 0;
}

static int
up_on_status (http_parser *p, const char *at, size_t n)
{
	AmHttpUpConn *u = p->data;

	if (u->reason == 0) {
		u->reason = am_http_head_add_string (&u->head, at, n);
		return u->reason != 0 ? 0 : -1;
	}
	return am_http_head_extend_string (&u->head, at, n);
}

static int
up_on_header_field (http_parser *p, const char *at, size_t n)
{
	AmHttpUpConn *u = p->data;

	if (u->head.n == 0 && u->reason != 0 && am_http_head_extend_string (&u->head, "", 1) < 0)
		return -1;
	return am_http_head_on_field (&u->head, at, n);
}

static int
up_on_header_value (http_parser *p, const char *at, size_t n)
{
	return am_http_head_on_value (&((AmHttpUpConn *) p->data)->head, at, n);
}

static int
up_on_headers_complete (http_parser *p)
{
	AmHttpUpConn *u = p->data;
	AmHttpRequest *req = u->req;
	guint status = p->status_code;
	gint64 length = (p->flags & F_CONTENTLENGTH) ? (gint64) p->content_length : -1;
	gboolean body;

	if (u->head.n == 0 && u->reason != 0 && am_http_head_extend_string (&u->head, "", 1) < 0)
		return -1;
	if (am_http_head_finish (&u->head) < 0 || req == NULL || req->conn == NULL)
		return -1;
	if (status >= 100 && status < 200) {
		/* 100 Continue and friends: we answered the client ourselves. */
		if (status == 101)
			return -1;
		u->interim = TRUE;
		return 0;
	}
	if (am_http_head_get (&u->head, "Transfer-Encoding") != NULL)
		length = -1;
	body = req->method != HTTP_HEAD && status != 204 && status != 304;
	req->stats.upstream_latency_us = u->w->now - req->up_sent_us;
	am_http_request_write_head (req, status, u->head.buf + u->reason, &u->head,
				    body || req->method == HTTP_HEAD ? length : -1, body);
	return req->method == HTTP_HEAD ? 1 : 0;
}

static int
up_on_body (http_parser *p, const char *at, size_t n)
{
	AmHttpUpConn *u = p->data;
	AmHttpRequest *req = u->req;
	AmHttpBuf *out;

	if (req == NULL || req->conn == NULL)
		return -1;
	out = &req->conn->out;
	if (req->resp_chunked)
		am_http_buf_append_chunk (out, at, n);
	else
		am_http_buf_append (out, at, n);
	if (am_http_buf_pending (out) > AM_HTTP_HIGH_WATER) {
		u->paused = TRUE;
		http_parser_pause (p, 1);
	}
	return 0;
}

static int
up_on_message_complete (http_parser *p)
{
	AmHttpUpConn *u = p->data;
	AmHttpRequest *req = u->req;

	if (u->interim) {
		u->interim = FALSE;
		return 0;
	}
	if (req == NULL || req->conn == NULL)
		return -1;
	if (req->resp_chunked)
		am_http_buf_append_str (&req->conn->out, "0\r\n\r\n");
	req->resp_done = TRUE;
	u->done = TRUE;
	http_parser_pause (p, 1);
	return 0;
}

static const http_parser_settings up_settings = {
	.on_message_begin = up_on_message_begin,
	.on_status = up_on_status,
	.on_header_field = up_on_header_field,
	.on_header_value = up_on_header_value,
	.on_headers_complete = up_on_headers_complete,
	.on_body = up_on_body,
	.on_message_complete = up_on_message_complete,
};

/* ---- connections ---- */

static void
up_on_event (AmHttpIo *io, guint32 events)
{
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		io->readable = TRUE;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		io->writable = TRUE;
	up_run ((AmHttpUpConn *) io);
}

static AmHttpUpConn *
up_new (AmHttpWorker *w, char *key)
{
	AmHttpUpConn *u = g_new0 (AmHttpUpConn, 1);

	u->io.fd = -1;
	u->io.on_event = up_on_event;
	u->w = w;
	u->key = key;
	u->link.data = u;
	u->pool_link.data = u;
	am_http_head_init (&u->head, w->e->cfg.max_header_bytes + 64, AM_HTTP_MAX_HEADERS);
	http_parser_init (&u->parser, HTTP_RESPONSE);
	u->parser.data = u;
	w->upconns = g_list_insert_before_link (w->upconns, w->upconns, &u->link);
	return u;
}

static void
up_free (AmHttpUpConn *u)
{
	AmHttpWorker *w = u->w;

	g_assert (u->req == NULL);
	if (u->pool_q != NULL)
		g_queue_unlink (u->pool_q, &u->pool_link);
	if (u->resolving != NULL) {
		g_cancellable_cancel (u->resolving);
		g_object_unref (u->resolving);
	}
	am_http_io_close (&u->io);
	w->upconns = g_list_remove_link (w->upconns, &u->link);
	am_http_buf_clear (&u->in);
	am_http_buf_clear (&u->out);
	am_http_head_free (&u->head);
	g_free (u->key);
	am_http_worker_defer_free (w, u);
}

void
am_http_up_close (AmHttpUpConn *u)
{
	if (u->req != NULL) {
		AmHttpRequest *req = u->req;

		u->req = NULL;
		req->up = NULL;
		am_http_request_unref (req);
	}
	u->dead = TRUE;
	if (!u->running)
		up_free (u);
}

void
am_http_pool_free (gpointer data)
{
	GQueue *q = data;
	GList *l;

	/* The links are embedded in the connections: never g_queue_pop_head. */
	while ((l = g_queue_pop_head_link (q)) != NULL) {
		AmHttpUpConn *u = l->data;

		u->pool_q = NULL;
		am_http_up_close (u);
	}
	g_queue_free (q);
}

void
am_http_dns_free (gpointer entry)
{
	g_free (entry);
}

static void
up_detach (AmHttpUpConn *u)
{
	AmHttpRequest *req = u->req;

	if (req == NULL)
		return;
	u->req = NULL;
	req->up = NULL;
	am_http_request_unref (req);
}

static gboolean
method_idempotent (int m)
{
	return m == HTTP_GET || m == HTTP_HEAD || m == HTTP_PUT || m == HTTP_DELETE ||
	       m == HTTP_OPTIONS || m == HTTP_TRACE;
}

static void proxy_start (AmHttpRequest *req, gboolean fresh);

static void
up_fail (AmHttpUpConn *u, AmHttpFailure failure)
{
	AmHttpRequest *req = u->req;
	gboolean stale = u->reused && !u->got_bytes;

	if (req == NULL) {
		am_http_up_close (u);
		return;
	}
	am_http_request_ref (req);
	up_detach (u);
	am_http_up_close (u);
	if (failure == AM_HTTP_FAIL_RESET && stale && !req->retried &&
	    method_idempotent (req->method) && !req->has_body && req->conn != NULL) {
		/* The pool handed out a connection the upstream had closed. */
		g_debug ("upstream %s: stale pooled connection, retrying", req->up_host);
		req->retried = TRUE;
		proxy_start (req, TRUE);
	} else {
		g_debug ("upstream %s:%u failed: %s", req->up_host, req->up_port,
			 am_http_failure_to_string (failure));
		am_http_request_fail (req, failure);
	}
	am_http_request_unref (req);
}

/* The response is complete: back to the pool, or closed. */
static void
up_release (AmHttpUpConn *u)
{
	AmHttpWorker *w = u->w;
	AmHttpConn *c = u->req->conn;
	GQueue *q;

	u->done = FALSE;
	up_detach (u);
	if (!u->req_sent || !http_should_keep_alive (&u->parser) ||
	    am_http_buf_pending (&u->in) > 0 || w->stop_deadline != 0) {
		am_http_up_close (u);
	} else {
		q = g_hash_table_lookup (w->pool, u->key);
		if (q == NULL) {
			q = g_queue_new ();
			g_hash_table_insert (w->pool, g_strdup (u->key), q);
		}
		if (q->length >= up_cfg (u)->upstream_max_idle) {
			am_http_up_close (u);
		} else {
			u->state = UP_IDLE;
			u->paused = FALSE;
			u->pool_q = q;
			g_queue_push_tail_link (q, &u->pool_link);
			u->deadline = w->now + (gint64) up_cfg (u)->upstream_idle_timeout_ms * 1000;
		}
	}
	if (c != NULL)
		am_http_conn_kick (c);
}

static void
up_parse (AmHttpUpConn *u)
{
	gsize n = http_parser_execute (&u->parser, &up_settings, u->in.data + u->in.off,
				       am_http_buf_pending (&u->in));
	enum http_errno err = HTTP_PARSER_ERRNO (&u->parser);

	am_http_buf_consume (&u->in, n);
	if (err != HPE_OK && err != HPE_PAUSED) {
		g_debug ("upstream response: %s", http_errno_name (err));
		up_fail (u, AM_HTTP_FAIL_PROTOCOL);
		return;
	}
	if (u->done) {
		http_parser_pause (&u->parser, 0);
		up_release (u);
	}
}

/* Read and parse until blocked, paused or done. */
static void
up_read (AmHttpUpConn *u)
{
	while (!u->dead && u->req != NULL && !u->paused) {
		if (am_http_buf_pending (&u->in) == 0) {
			gssize r;

			if (!u->io.readable)
				return;
			am_http_buf_reserve (&u->in, AM_HTTP_READ_SIZE);
			r = am_http_io_read (&u->io, u->in.data + u->in.len, u->in.cap - u->in.len);
			if (r == -1)
				return;
			if (r == -2 || (r == 0 && !u->got_bytes)) {
				up_fail (u, u->io.ssl != NULL && !SSL_is_init_finished (u->io.ssl)
						    ? AM_HTTP_FAIL_TLS
						    : AM_HTTP_FAIL_RESET);
				return;
			}
			if (r == 0) {
				/* EOF ends a close-delimited body, and is an error anywhere else. */
				http_parser_execute (&u->parser, &up_settings, NULL, 0);
				if (u->done) {
					u->req_sent = FALSE;	/* never pool a closed connection */
					up_release (u);
				} else
					up_fail (u, AM_HTTP_FAIL_RESET);
				return;
			}
			u->got_bytes = TRUE;
			u->in.len += r;
			u->deadline = up_read_deadline (u);
		}
		up_parse (u);
	}
}

static void
up_idle_event (AmHttpUpConn *u)
{
	char b[1];

	/* Anything on a pooled connection (EOF, stray bytes) retires it. */
	if (u->io.readable && am_http_io_read (&u->io, b, sizeof b) != -1)
		am_http_up_close (u);
}

static void
up_step (AmHttpUpConn *u)
{
	AmHttpRequest *req = u->req;

	switch (u->state) {
	case UP_RESOLVING:
		return;
	case UP_IDLE:
		up_idle_event (u);
		return;
	case UP_CONNECTING: {
		int err = 0;
		socklen_t len = sizeof err;

		if (!u->io.writable)
			return;
		if (getsockopt (u->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err != 0) {
			g_debug ("connect to %s: %s", u->key, g_strerror (err));
			up_fail (u, err == ETIMEDOUT ? AM_HTTP_FAIL_CONNECT_TIMEOUT
						     : AM_HTTP_FAIL_CONNECT_REFUSED);
			return;
		}
		u->state = UP_ACTIVE;
		u->deadline = up_read_deadline (u);
		break;
	}
	case UP_ACTIVE:
		break;
	}
	if (req == NULL)
		return;
	if (am_http_buf_pending (&u->out) > 0) {
		gsize before = am_http_buf_pending (&u->out);

		if (am_http_io_flush (&u->io, &u->out) < 0) {
			up_fail (u, u->io.ssl != NULL && !SSL_is_init_finished (u->io.ssl)
					    ? AM_HTTP_FAIL_TLS
					    : AM_HTTP_FAIL_RESET);
			return;
		}
		if (am_http_buf_pending (&u->out) < before)
			u->deadline = up_read_deadline (u);
		if (am_http_buf_pending (&u->out) < AM_HTTP_HIGH_WATER / 2 && req->conn != NULL)
			am_http_conn_resume_body (req->conn);
		if (u->dead || u->req == NULL)
			return;
	}
	/* The client drained what we gave it: go on with the response. */
	if (u->paused && req->conn != NULL &&
	    am_http_buf_pending (&req->conn->out) < AM_HTTP_HIGH_WATER / 2) {
		u->paused = FALSE;
		http_parser_pause (&u->parser, 0);
		u->deadline = up_read_deadline (u);
	}
	up_read (u);
	if (!u->dead && u->req != NULL && u->req->conn != NULL &&
	    am_http_buf_pending (&u->req->conn->out) > 0)
		am_http_conn_kick (u->req->conn);
}

static void
up_run (AmHttpUpConn *u)
{
	if (u->running) {
		u->again = TRUE;
		return;
	}
	u->running = TRUE;
	do {
		u->again = FALSE;
		if (!u->dead)
			up_step (u);
	} while (u->again && !u->dead);
	u->running = FALSE;
	if (u->dead)
		up_free (u);
}

/* ---- connecting ---- */

static void
up_connect (AmHttpUpConn *u, const struct sockaddr *sa, socklen_t len)
{
	AmHttpRequest *req = u->req;
	struct sockaddr_storage ss;
	int one = 1, fd;

	memcpy (&ss, sa, len);
	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *) &ss)->sin6_port = htons (req->up_port);
	else
		((struct sockaddr_in *) &ss)->sin_port = htons (req->up_port);
	fd = socket (ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		g_warning ("socket: %s", g_strerror (errno));
		up_fail (u, AM_HTTP_FAIL_CONNECT_REFUSED);
		return;
	}
	setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	u->io.fd = fd;
	u->state = UP_CONNECTING;
	u->deadline = u->w->now + (gint64) (req->up_connect_ms != 0
						   ? req->up_connect_ms
						   : up_cfg (u)->upstream_connect_timeout_ms) *
					  1000;
	if (req->up_tls) {
		u->io.ssl = SSL_new (u->w->e->up_tls_ctx);
		SSL_set_fd (u->io.ssl, fd);
		SSL_set_connect_state (u->io.ssl);
		SSL_set_mode (u->io.ssl,
			      SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		if (!g_hostname_is_ip_address (req->up_host))
			SSL_set_tlsext_host_name (u->io.ssl, req->up_host);
		SSL_set1_host (u->io.ssl, req->up_host);
	}
	if (connect (fd, (struct sockaddr *) &ss, len) < 0 && errno != EINPROGRESS) {
		g_debug ("connect to %s: %s", u->key, g_strerror (errno));
		up_fail (u, AM_HTTP_FAIL_CONNECT_REFUSED);
		return;
	}
	am_http_worker_watch (u->w, &u->io);
}

static void
up_on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autolist (GInetAddress) addrs =
		g_resolver_lookup_by_name_finish (G_RESOLVER (source), res, &error);
	AmHttpUpConn *u = data;
	g_autoptr (GSocketAddress) sa = NULL;
	GInetAddress *pick;
	DnsEntry *d;

	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;	/* @u is gone */
	g_clear_object (&u->resolving);
	u->w->now = g_get_monotonic_time ();
	if (addrs == NULL || u->req == NULL) {
		g_debug ("resolving %s: %s", u->key, error != NULL ? error->message : "no request");
		up_fail (u, AM_HTTP_FAIL_RESOLVE);
		return;
	}
	/* IPv4 first: a service on "localhost" often listens on 127.0.0.1 only. */
	pick = addrs->data;
	for (GList *l = addrs; l != NULL; l = l->next)
		if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4) {
			pick = l->data;
			break;
		}
	d = g_new0 (DnsEntry, 1);
	sa = g_inet_socket_address_new (pick, 0);
	d->len = g_socket_address_get_native_size (sa);
	if (!g_socket_address_to_native (sa, &d->ss, sizeof d->ss, NULL)) {
		g_free (d);
		up_fail (u, AM_HTTP_FAIL_RESOLVE);
		return;
	}
	d->expires = u->w->now + DNS_TTL_US;
	g_hash_table_replace (u->w->dns, g_strdup (u->req->up_host), d);
	up_connect (u, (struct sockaddr *) &d->ss, d->len);
	if (!u->dead)
		up_run (u);
}

static void
up_resolve (AmHttpUpConn *u)
{
	AmHttpRequest *req = u->req;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	DnsEntry *d;
	g_autoptr (GResolver) resolver = NULL;

	if (inet_pton (AF_INET, req->up_host, &sin.sin_addr) == 1) {
		up_connect (u, (struct sockaddr *) &sin, sizeof sin);
		return;
	}
	if (inet_pton (AF_INET6, req->up_host, &sin6.sin6_addr) == 1) {
		up_connect (u, (struct sockaddr *) &sin6, sizeof sin6);
		return;
	}
	d = g_hash_table_lookup (u->w->dns, req->up_host);
	if (d != NULL && d->expires > u->w->now) {
		up_connect (u, (struct sockaddr *) &d->ss, d->len);
		return;
	}
	/* The callback runs on this worker's context (its thread default). */
	u->state = UP_RESOLVING;
	u->deadline = u->w->now + (gint64) (req->up_connect_ms != 0
						   ? req->up_connect_ms
						   : up_cfg (u)->upstream_connect_timeout_ms) *
					  1000;
	u->resolving = g_cancellable_new ();
	resolver = g_resolver_get_default ();
	g_resolver_lookup_by_name_async (resolver, req->up_host, u->resolving, up_on_resolved, u);
}

/* ---- forwarding ---- */

static void
up_write_head (AmHttpUpConn *u, AmHttpRequest *req)
{
	AmHttpBuf *out = &u->out;
	const AmHttpHead *hs = &req->head;

	am_http_buf_append_str (out, http_method_str (req->method));
	am_http_buf_append (out, " ", 1);
	if (req->up_target != NULL) {
		am_http_buf_append_str (out, req->up_target);
	} else {
		am_http_buf_append_str (out, hs->buf + req->path);
		if (req->query != 0) {
			am_http_buf_append (out, "?", 1);
			am_http_buf_append_str (out, hs->buf + req->query);
		}
	}
	am_http_buf_append_str (out, " HTTP/1.1\r\n");
	am_http_write_headers (out, hs, &req->edits, FALSE);
	if (am_http_head_get (hs, "Host") == NULL && !am_http_edits_cover (&req->edits, FALSE, "Host", 4))
		am_http_buf_printf (out, "Host: %s:%u\r\n", req->up_host, req->up_port);
	if (req->chunked)
		am_http_buf_append_str (out, "Transfer-Encoding: chunked\r\n");
	else if (req->has_body)
		am_http_buf_append_content_length (out, req->content_length);
	am_http_buf_append (out, "\r\n", 2);
}

static void
proxy_start (AmHttpRequest *req, gboolean fresh)
{
	AmHttpWorker *w = req->w;
	/* the pool key "<p|s>:<host>:<port>", on the stack for the lookup
	 * that nearly every request ends with */
	char buf[320];
	gsize hlen = strlen (req->up_host);
	g_autofree char *long_key = NULL;
	char *key = buf;
	GQueue *q;
	AmHttpUpConn *u = NULL;

	if (hlen + 16 <= sizeof buf) { /* "s:" host ":" up to 10 digits, NUL */
		char *p = buf;

		*p++ = req->up_tls ? 's' : 'p';
		*p++ = ':';
		memcpy (p, req->up_host, hlen);
		p += hlen;
		*p++ = ':';
		p += am_http_format_uint (p, req->up_port);
		*p = '\0';
	} else {
		key = long_key = g_strdup_printf ("%c:%s:%u", req->up_tls ? 's' : 'p',
						  req->up_host, req->up_port);
	}
	q = fresh ? NULL : g_hash_table_lookup (w->pool, key);

	if (q != NULL && q->tail != NULL) {
		/* The most recently used one: the least likely to be stale. */
		GList *l = q->tail;

		g_queue_unlink (q, l);
		u = l->data;
		u->pool_q = NULL;
		u->state = UP_ACTIVE;
		u->reused = TRUE;
	} else {
		u = up_new (w, g_strdup (key));
	}
	u->got_bytes = FALSE;
	u->req_sent = !req->has_body;
	u->req = am_http_request_ref (req);
	req->up = u;
	req->stats.upstream_reused = u->reused;
	req->up_sent_us = w->now;
	http_parser_init (&u->parser, HTTP_RESPONSE);
	u->parser.data = u;
	up_write_head (u, req);
	if (u->reused) {
		u->deadline = up_read_deadline (u);
		up_run (u);
		return;
	}
	u->running = TRUE;	/* up_fail inside must not free @u under us */
	up_resolve (u);
	u->running = FALSE;
	if (u->dead)
		up_free (u);
	else if (u->state == UP_CONNECTING)
		up_run (u);
}

void
am_http_proxy_start (AmHttpRequest *req)
{
	proxy_start (req, FALSE);
}

void
am_http_proxy_body (AmHttpRequest *req, const char *p, gsize n)
{
	AmHttpUpConn *u = req->up;

	if (u == NULL)
		return;
	if (n == 0) {
		if (req->chunked)
			am_http_buf_append_str (&u->out, "0\r\n\r\n");
		u->req_sent = TRUE;
	} else if (req->chunked) {
		am_http_buf_append_chunk (&u->out, p, n);
	} else {
		am_http_buf_append (&u->out, p, n);
	}
}

gboolean
am_http_proxy_output_full (AmHttpRequest *req)
{
	return req->up != NULL && am_http_buf_pending (&req->up->out) > AM_HTTP_HIGH_WATER;
}

void
am_http_proxy_resume (AmHttpRequest *req)
{
	AmHttpUpConn *u = req->up;

	/* Body bytes to send, or a response paused for the client. */
	if (u != NULL && (am_http_buf_pending (&u->out) > 0 || u->paused))
		up_run (u);
}

void
am_http_proxy_abort (AmHttpRequest *req)
{
	if (req->up != NULL)
		am_http_up_close (req->up);
}

gint64
am_http_up_deadline (AmHttpUpConn *u)
{
	/* Waiting for the client to drain is the client side's timeout. */
	return u->paused ? 0 : u->deadline;
}

void
am_http_up_timeout (AmHttpUpConn *u)
{
	switch (u->state) {
	case UP_IDLE:
		am_http_up_close (u);
		break;
	case UP_RESOLVING:
	case UP_CONNECTING:
		up_fail (u, AM_HTTP_FAIL_CONNECT_TIMEOUT);
		break;
	case UP_ACTIVE:
		up_fail (u, AM_HTTP_FAIL_READ_TIMEOUT);
		break;
	}
}
