/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loopback helpers for the HTTP engine tests: a blocking backend, one
 * thread per connection, that parses requests with libhttp-parser and
 * answers by path (see test-http-util.h), and a blocking client, plain or
 * TLS, that reads responses with libhttp-parser as well.
 */
#include "config.h"

#include "test-http-util.h"

#include <errno.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct _TestBackend {
	int lfd;
	guint16 port;
	GThread *thread;
	gint conns;
	gint stop;
	GMutex lock;
	GPtrArray *threads;
	GPtrArray *fds;
};

typedef struct {
	GString *url, *head, *field;
	GByteArray *body;
	gboolean done, in_value;
} BackendReq;

static int
be_on_url (http_parser *p, const char *at, size_t n)
{
	g_string_append_len (((BackendReq *) p->data)->url, at, n);
	return 0;
}

static int
be_on_field (http_parser *p, const char *at, size_t n)
{
	BackendReq *r = p->data;

	if (r->in_value)
		g_string_append_c (r->head, '\n');
	r->in_value = FALSE;
	g_string_append_len (r->head, at, n);
	return 0;
}

static int
be_on_value (http_parser *p, const char *at, size_t n)
{
	BackendReq *r = p->data;

	if (!r->in_value)
		g_string_append (r->head, ": ");
	r->in_value = TRUE;
	g_string_append_len (r->head, at, n);
	return 0;
}

static int
be_on_body (http_parser *p, const char *at, size_t n)
{
	g_byte_array_append (((BackendReq *) p->data)->body, (const guint8 *) at, n);
	return 0;
}

static int
be_on_complete (http_parser *p)
{
	((BackendReq *) p->data)->done = TRUE;
	http_parser_pause (p, 1);
	return 0;
}

static const http_parser_settings be_settings = {
	.on_url = be_on_url,
	.on_header_field = be_on_field,
	.on_header_value = be_on_value,
	.on_body = be_on_body,
	.on_message_complete = be_on_complete,
};

static void
write_all (int fd, const void *p, gsize n)
{
	while (n > 0) {
		gssize r = write (fd, p, n);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return;
		}
		p = (const char *) p + r;
		n -= r;
	}
}

static gsize
query_n (const char *url)
{
	const char *q = strstr (url, "n=");

	return q != NULL ? g_ascii_strtoull (q + 2, NULL, 10) : 1000;
}

static gboolean
backend_answer (int fd, guint conn_no, BackendReq *r, http_parser *p)
{
	const char *url = r->url->str;
	g_autoptr (GString) out = g_string_new (NULL);

	if (g_str_has_prefix (url, "/slow"))
		g_usleep (1500 * 1000);
	if (g_str_has_prefix (url, "/headers")) {
		g_string_printf (out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
				 r->head->len, r->head->str);
	} else if (g_str_has_prefix (url, "/chunked")) {
		gsize n = query_n (url);

		g_string_append (out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		for (gsize done = 0; done < n;) {
			gsize k = MIN (1000, n - done);

			g_string_append_printf (out, "%zx\r\n", k);
			for (gsize i = 0; i < k; i++)
				g_string_append_c (out, 'a' + (done + i) % 26);
			g_string_append (out, "\r\n");
			done += k;
		}
		g_string_append (out, "0\r\n\r\n");
	} else if (g_str_has_prefix (url, "/big")) {
		gsize n = query_n (url);
		g_autofree char *head =
			g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);
		char block[4096];

		write_all (fd, head, strlen (head));
		if (p->method == HTTP_HEAD)
			return TRUE;
		for (gsize i = 0; i < sizeof block; i++)
			block[i] = 'a' + i % 26;
		for (gsize done = 0; done < n;) {
			gsize k = MIN (sizeof block, n - done);

			write_all (fd, block, k);
			done += k;
		}
		return TRUE;
	} else if (g_str_has_prefix (url, "/hop")) {
		g_string_append (out, "HTTP/1.1 200 OK\r\nConnection: X-Resp-Hop\r\nX-Resp-Hop: 1\r\n"
				      "Keep-Alive: timeout=5\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok");
	} else if (g_str_has_prefix (url, "/echo") || g_str_has_prefix (url, "/slow") ||
		   g_str_has_prefix (url, "/close")) {
		g_string_printf (out, "HTTP/1.1 200 OK\r\nX-Backend-Conn: %u\r\nContent-Length: %u\r\n\r\n",
				 conn_no, r->body->len);
		g_string_append_len (out, (const char *) r->body->data, r->body->len);
	} else {
		g_string_printf (out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\nbackend:%s",
				 strlen ("backend:") + r->url->len, url);
	}
	if (p->method == HTTP_HEAD) {
		char *end = strstr (out->str, "\r\n\r\n");

		g_string_truncate (out, end - out->str + 4);
	}
	write_all (fd, out->str, out->len);
	return !g_str_has_prefix (url, "/close");
}

typedef struct {
	TestBackend *b;
	int fd;
	guint no;
} BackendConn;

static gpointer
backend_conn_main (gpointer data)
{
	BackendConn *bc = data;
	http_parser p;
	BackendReq r = { g_string_new (NULL), g_string_new (NULL), NULL, g_byte_array_new () };
	char buf[65536];
	gsize have = 0;

	http_parser_init (&p, HTTP_REQUEST);
	p.data = &r;
	for (;;) {
		gssize n;
		gsize used;

		if (have == 0) {
			n = read (bc->fd, buf, sizeof buf);
			if (n <= 0)
				break;
			have = n;
		}
		used = http_parser_execute (&p, &be_settings, buf, have);
		memmove (buf, buf + used, have - used);
		have -= used;
		if (HTTP_PARSER_ERRNO (&p) != HPE_OK && HTTP_PARSER_ERRNO (&p) != HPE_PAUSED)
			break;
		if (!r.done)
			continue;
		if (!backend_answer (bc->fd, bc->no, &r, &p))
			break;
		r.done = FALSE;
		r.in_value = FALSE;
		g_string_truncate (r.url, 0);
		g_string_truncate (r.head, 0);
		g_byte_array_set_size (r.body, 0);
		http_parser_pause (&p, 0);
	}
	shutdown (bc->fd, SHUT_RDWR);
	g_string_free (r.url, TRUE);
	g_string_free (r.head, TRUE);
	g_byte_array_unref (r.body);
	g_free (bc);
	return NULL;
}

static gpointer
backend_main (gpointer data)
{
	TestBackend *b = data;

	for (;;) {
		int fd = accept (b->lfd, NULL, NULL);
		BackendConn *bc;
		int one = 1;

		if (fd < 0 || g_atomic_int_get (&b->stop)) {
			if (fd >= 0)
				close (fd);
			break;
		}
		setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		bc = g_new0 (BackendConn, 1);
		bc->b = b;
		bc->fd = fd;
		bc->no = g_atomic_int_add (&b->conns, 1) + 1;
		g_mutex_lock (&b->lock);
		g_ptr_array_add (b->fds, GINT_TO_POINTER (fd));
		g_ptr_array_add (b->threads, g_thread_new ("backend-conn", backend_conn_main, bc));
		g_mutex_unlock (&b->lock);
	}
	return NULL;
}

TestBackend *
test_backend_new (void)
{
	TestBackend *b = g_new0 (TestBackend, 1);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
	socklen_t sl = sizeof sin;

	b->lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint (bind (b->lfd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
	g_assert_cmpint (listen (b->lfd, 128), ==, 0);
	getsockname (b->lfd, (struct sockaddr *) &sin, &sl);
	b->port = ntohs (sin.sin_port);
	g_mutex_init (&b->lock);
	b->threads = g_ptr_array_new ();
	b->fds = g_ptr_array_new ();
	b->thread = g_thread_new ("backend", backend_main, b);
	return b;
}

guint16
test_backend_port (TestBackend *b)
{
	return b->port;
}

guint
test_backend_connections (TestBackend *b)
{
	return g_atomic_int_get (&b->conns);
}

void
test_backend_free (TestBackend *b)
{
	g_atomic_int_set (&b->stop, 1);
	shutdown (b->lfd, SHUT_RDWR);
	g_thread_join (b->thread);
	close (b->lfd);
	g_mutex_lock (&b->lock);
	for (guint i = 0; i < b->fds->len; i++)
		shutdown (GPOINTER_TO_INT (b->fds->pdata[i]), SHUT_RDWR);
	g_mutex_unlock (&b->lock);
	for (guint i = 0; i < b->threads->len; i++)
		g_thread_join (b->threads->pdata[i]);
	for (guint i = 0; i < b->fds->len; i++)
		close (GPOINTER_TO_INT (b->fds->pdata[i]));
	g_ptr_array_unref (b->threads);
	g_ptr_array_unref (b->fds);
	g_mutex_clear (&b->lock);
	g_free (b);
}

/* ---- client ---- */

TestClient *
test_client_new (guint16 port, SSL_CTX *ctx)
{
	TestClient *c = g_new0 (TestClient, 1);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (port),
				   .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 10 };
	int one = 1;

	c->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint (connect (c->fd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
	setsockopt (c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->in = g_byte_array_new ();
	if (ctx != NULL) {
		c->ssl = SSL_new (ctx);
		SSL_set_fd (c->ssl, c->fd);
		g_assert_cmpint (SSL_connect (c->ssl), ==, 1);
	}
	return c;
}

void
test_client_send (TestClient *c, const void *data, gsize len)
{
	if (c->ssl != NULL) {
		g_assert_cmpint (SSL_write (c->ssl, data, len), ==, (int) len);
		return;
	}
	write_all (c->fd, data, len);
}

void
test_client_send_str (TestClient *c, const char *s)
{
	test_client_send (c, s, strlen (s));
}

static gssize
client_recv (TestClient *c, void *buf, gsize n)
{
	if (c->ssl != NULL) {
		int r = SSL_read (c->ssl, buf, n);

		return r > 0 ? r : 0;
	}
	return read (c->fd, buf, n);
}

void
test_client_free (TestClient *c)
{
	if (c->ssl != NULL)
		SSL_free (c->ssl);
	close (c->fd);
	g_byte_array_unref (c->in);
	g_free (c);
}

typedef struct {
	TestResponse *r;
	GString *field;
	gboolean in_value, done;
} ClientParse;

static int
cl_on_field (http_parser *p, const char *at, size_t n)
{
	ClientParse *cp = p->data;

	if (cp->in_value || cp->field == NULL) {
		cp->field = g_string_new (NULL);
		g_ptr_array_add (cp->r->names, cp->field);
		g_ptr_array_add (cp->r->values, g_string_new (NULL));
	}
	cp->in_value = FALSE;
	g_string_append_len (cp->field, at, n);
	return 0;
}

static int
cl_on_value (http_parser *p, const char *at, size_t n)
{
	ClientParse *cp = p->data;

	cp->in_value = TRUE;
	g_string_append_len (g_ptr_array_index (cp->r->values, cp->r->values->len - 1), at, n);
	return 0;
}

static int
cl_on_headers (http_parser *p)
{
	ClientParse *cp = p->data;

	cp->r->status = p->status_code;
	cp->r->chunked = (p->flags & F_CHUNKED) != 0;
	return 0;
}

static int
cl_on_head_headers (http_parser *p)
{
	cl_on_headers (p);
	return 1;
}

static int
cl_on_body (http_parser *p, const char *at, size_t n)
{
	g_byte_array_append (((ClientParse *) p->data)->r->body, (const guint8 *) at, n);
	return 0;
}

static int
cl_on_complete (http_parser *p)
{
	ClientParse *cp = p->data;

	/* Interim responses (100 Continue) are read and skipped by callers. */
	cp->done = TRUE;
	cp->r->keep_alive = http_should_keep_alive (p);
	http_parser_pause (p, 1);
	return 0;
}

static void
string_free (gpointer s)
{
	g_string_free (s, TRUE);
}

TestResponse *
test_client_read (TestClient *c, gboolean head)
{
	http_parser_settings s = {
		.on_header_field = cl_on_field,
		.on_header_value = cl_on_value,
		.on_headers_complete = head ? cl_on_head_headers : cl_on_headers,
		.on_body = cl_on_body,
		.on_message_complete = cl_on_complete,
	};
	TestResponse *r = g_new0 (TestResponse, 1);
	ClientParse cp = { r };
	http_parser p;

	r->names = g_ptr_array_new_with_free_func (string_free);
	r->values = g_ptr_array_new_with_free_func (string_free);
	r->body = g_byte_array_new ();
	http_parser_init (&p, HTTP_RESPONSE);
	p.data = &cp;
	for (;;) {
		gsize used;
		char buf[65536];
		gssize n;

		if (c->in->len > 0) {
			used = http_parser_execute (&p, &s, (const char *) c->in->data, c->in->len);
			g_byte_array_remove_range (c->in, 0, used);
			if (cp.done)
				return r;
			if (HTTP_PARSER_ERRNO (&p) != HPE_OK)
				break;
		}
		n = client_recv (c, buf, sizeof buf);
		if (n <= 0) {
			/* EOF may end a close-delimited body. */
			http_parser_execute (&p, &s, NULL, 0);
			if (cp.done)
				return r;
			break;
		}
		g_byte_array_append (c->in, (const guint8 *) buf, n);
	}
	test_response_free (r);
	return NULL;
}

gboolean
test_client_closed (TestClient *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	char b[256];

	if (c->in->len > 0)
		return FALSE;
	if (poll (&pfd, 1, 5000) != 1)
		return FALSE;
	return client_recv (c, b, sizeof b) <= 0;
}

const char *
test_response_header (TestResponse *r, const char *name)
{
	for (guint i = 0; i < r->names->len; i++)
		if (g_ascii_strcasecmp (((GString *) r->names->pdata[i])->str, name) == 0)
			return ((GString *) r->values->pdata[i])->str;
	return NULL;
}

void
test_response_free (TestResponse *r)
{
	g_ptr_array_unref (r->names);
	g_ptr_array_unref (r->values);
	g_byte_array_unref (r->body);
	g_free (r);
}
