/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Data-plane HTTP engine tests, over real loopback sockets: an engine on a
 * free port in front of a threaded backend (test-http-util.c).  Direct
 * responses, proxying with Content-Length and chunked bodies both ways,
 * large streamed bodies, HEAD, 100-continue, keep-alive on both sides,
 * pipelining, hop-by-hop headers, every request smuggling shape the engine
 * must refuse, the size and time limits, upstream failures as the
 * completion callback sees them, fail-over, TLS with a keystore, a request
 * suspended and resumed from another thread, and stopping with open
 * connections.
 */
#include "config.h"

#include "test-http-util.h"

#include <string.h>
#include <unistd.h>

#include "am-http.h"
#include "am-http-private.h"
#include "am-keystore.h"

typedef struct {
	AmHttpEngine *engine;
	TestBackend *backend;
	guint16 port;
	guint16 dead_port;	/* nothing listens there */
	GAsyncQueue *done;	/* of AmHttpStats* */
	gint handled;
	gboolean failover;
} Fixture;

static AmHttpStats *
fixture_pop_done (Fixture *f)
{
	AmHttpStats *s = g_async_queue_timeout_pop (f->done, 5 * G_USEC_PER_SEC);

	g_assert_nonnull (s);
	return s;
}

static void
on_done (AmHttpRequest *req, const AmHttpStats *stats, gpointer data)
{
	Fixture *f = data;

	g_async_queue_push (f->done, g_memdup2 (stats, sizeof *stats));
}

static gboolean
resume_on_worker (gpointer data)
{
	AmHttpRequest *req = data;

	/* Back on the worker: the context is owned by this thread. */
	g_assert_true (g_main_context_is_owner (am_http_request_get_context (req)));
	am_http_request_respond (req, 200, "text/plain", "resumed", 7);
	am_http_request_unref (req);
	return G_SOURCE_REMOVE;
}

static gpointer
suspend_thread (gpointer data)
{
	AmHttpRequest *req = data;

	g_usleep (50 * 1000);
	g_main_context_invoke (am_http_request_get_context (req), resume_on_worker, req);
	return NULL;
}

static void
proxy_to (Fixture *f, AmHttpRequest *req, guint16 port, guint read_ms)
{
	AmHttpUpstream up = { .host = "127.0.0.1", .port = port, .read_timeout_ms = read_ms };

	g_assert_true (am_http_request_proxy (req, &up));
}

static void
on_upstream_error (AmHttpRequest *req, AmHttpFailure failure, gpointer data)
{
	Fixture *f = data;

	if (f->failover && am_http_request_can_retry (req))
		proxy_to (f, req, test_backend_port (f->backend), 0);
}

static void
handler (AmHttpRequest *req, gpointer data)
{
	Fixture *f = data;
	const char *path = am_http_request_get_path (req);

	g_atomic_int_inc (&f->handled);
	if (g_str_equal (path, "/direct")) {
		am_http_request_set_response_header (req, "X-Direct", "1");
		am_http_request_respond (req, 200, "text/plain", "hello", 5);
	} else if (g_str_equal (path, "/suspend")) {
		am_http_request_suspend (req);
		g_thread_unref (g_thread_new ("km", suspend_thread, am_http_request_ref (req)));
	} else if (g_str_equal (path, "/refused")) {
		proxy_to (f, req, f->dead_port, 0);
	} else if (g_str_equal (path, "/timeout")) {
		AmHttpUpstream up = { .host = "127.0.0.1", .port = test_backend_port (f->backend),
				      .target = "/slow", .read_timeout_ms = 300 };

		am_http_request_proxy (req, &up);
	} else if (g_str_equal (path, "/byname")) {
		AmHttpUpstream up = { .host = "localhost", .port = test_backend_port (f->backend),
				      .target = "/echo" };

		am_http_request_proxy (req, &up);
	} else {
		am_http_request_add_forwarded_headers (req);
		am_http_request_set_header (req, "X-JWT-Assertion", "test-jwt");
		am_http_request_remove_header (req, "X-Remove-Me");
		am_http_request_set_response_header (req, "X-Gateway", "apimd");
		proxy_to (f, req, test_backend_port (f->backend), 0);
	}
}

static guint16
free_port (void)
{
	TestBackend *b = test_backend_new ();
	guint16 port = test_backend_port (b);

	test_backend_free (b);
	return port;
}

static void
fixture_start (Fixture *f, void (*tweak) (AmHttpConfig *cfg))
{
	AmHttpListen listen = { .address = "127.0.0.1", .port = 0 };
	AmHttpConfig cfg;
	g_autoptr (GError) error = NULL;

	am_http_config_init (&cfg);
	cfg.listen = &listen;
	cfg.n_listen = 1;
	cfg.workers = 2;
	cfg.on_done = on_done;
	cfg.on_upstream_error = on_upstream_error;
	cfg.shutdown_timeout_ms = 3000;
	if (tweak != NULL)
		tweak (&cfg);
	f->done = g_async_queue_new_full (g_free);
	f->backend = test_backend_new ();
	f->dead_port = free_port ();
	f->engine = am_http_engine_new (&cfg, handler, f);
	g_assert_true (am_http_engine_start (f->engine, &error));
	g_assert_no_error (error);
	f->port = am_http_engine_get_port (f->engine, 0);
	g_assert_cmpuint (f->port, !=, 0);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	fixture_start (f, data);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	am_http_engine_free (f->engine);
	test_backend_free (f->backend);
	g_async_queue_unref (f->done);
}

static TestResponse *
roundtrip (TestClient *c, const char *request)
{
	TestResponse *r;

	test_client_send_str (c, request);
	r = test_client_read (c, g_str_has_prefix (request, "HEAD "));
	g_assert_nonnull (r);
	return r;
}

static char *
body_str (TestResponse *r)
{
	return g_strndup ((const char *) r->body->data, r->body->len);
}

/* ---- tests ---- */

static void
test_direct (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);

	for (int i = 0; i < 3; i++) {
		g_autoptr (TestResponse) r =
			roundtrip (c, "GET /direct HTTP/1.1\r\nHost: x\r\n\r\n");
		g_autofree char *body = body_str (r);
		g_autofree AmHttpStats *s = fixture_pop_done (f);

		g_assert_cmpuint (r->status, ==, 200);
		g_assert_cmpstr (body, ==, "hello");
		g_assert_cmpstr (test_response_header (r, "Content-Type"), ==, "text/plain");
		g_assert_cmpstr (test_response_header (r, "X-Direct"), ==, "1");
		g_assert_nonnull (test_response_header (r, "Date"));
		g_assert_true (r->keep_alive);
		g_assert_cmpuint (s->status, ==, 200);
		g_assert_cmpint (s->upstream_latency_us, ==, -1);
		/* Status line, Date, Content-Type, Content-Length, X-Direct, body. */
		g_assert_cmpuint (s->response_bytes, >, 100);
		g_assert_cmpuint (s->response_bytes, <, 200);
		g_assert_cmpint (s->error, ==, AM_HTTP_FAIL_NONE);
	}
	/* HTTP/1.0 without keep-alive: answered, then closed. */
	{
		g_autoptr (TestClient) c10 = test_client_new (f->port, NULL);
		g_autoptr (TestResponse) r = roundtrip (c10, "GET /direct HTTP/1.0\r\n\r\n");

		g_assert_cmpuint (r->status, ==, 200);
		g_assert_true (test_client_closed (c10));
	}
}

static void
test_proxy_headers (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);
	g_autoptr (TestResponse) r = roundtrip (
		c, "GET /headers?a=1 HTTP/1.1\r\nHost: api.example.com\r\n"
		   "Connection: keep-alive, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: 5\r\nTE: trailers\r\n"
		   "Proxy-Authorization: Basic eA==\r\nX-Remove-Me: 1\r\nX-Forwarded-For: 192.0.2.7\r\n"
		   "X-Custom: kept\r\n\r\n");
	g_autofree char *head = body_str (r);
	g_autoptr (TestResponse) r2 = roundtrip (c, "GET /hop HTTP/1.1\r\nHost: x\r\n\r\n");
	g_autofree AmHttpStats *s = fixture_pop_done (f);

	g_assert_cmpuint (r->status, ==, 200);
	g_test_message ("backend saw:\n%s", head);
	g_assert_nonnull (strstr (head, "Host: api.example.com"));
	g_assert_nonnull (strstr (head, "X-Custom: kept"));
	g_assert_nonnull (strstr (head, "X-JWT-Assertion: test-jwt"));
	g_assert_nonnull (strstr (head, "X-Forwarded-For: 192.0.2.7, 127.0.0.1"));
	g_assert_nonnull (strstr (head, "X-Forwarded-Proto: http"));
	g_assert_nonnull (strstr (head, "X-Forwarded-Host: api.example.com"));
	g_assert_null (strstr (head, "X-Hop"));
	g_assert_null (strstr (head, "Keep-Alive"));
	g_assert_null (strstr (head, "TE:"));
	g_assert_null (strstr (head, "Proxy-"));
	g_assert_null (strstr (head, "X-Remove-Me"));
	g_assert_null (strstr (head, "Connection"));
	g_assert_cmpstr (test_response_header (r, "X-Gateway"), ==, "apimd");
	g_assert_cmpuint (s->status, ==, 200);
	g_assert_cmpuint (s->response_bytes, >, r->body->len);
	g_assert_cmpint (s->upstream_latency_us, >=, 0);
	g_assert_cmpint (s->total_us, >=, s->upstream_latency_us);

	g_assert_cmpuint (r2->status, ==, 200);
	g_assert_null (test_response_header (r2, "X-Resp-Hop"));
	g_assert_null (test_response_header (r2, "Keep-Alive"));
	g_assert_cmpstr (test_response_header (r2, "X-Kept"), ==, "yes");
}

static void
test_proxy_bodies (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);

	/* Content-Length up, Content-Length down. */
	{
		g_autoptr (TestResponse) r = roundtrip (
			c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
		g_autofree char *body = body_str (r);

		g_autofree AmHttpStats *s = fixture_pop_done (f);

		g_assert_cmpstr (body, ==, "hello world");
		g_assert_cmpstr (test_response_header (r, "Content-Length"), ==, "11");
		g_assert_cmpuint (s->request_body_bytes, ==, 11);
	}
	/* Chunked up (the backend gets it re-framed as chunks and decodes it). */
	{
		g_autoptr (TestResponse) r = roundtrip (
			c, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
		g_autofree char *body = body_str (r);

		g_assert_cmpstr (body, ==, "hello world");
	}
	/* Chunked down. */
	{
		g_autoptr (TestResponse) r =
			roundtrip (c, "GET /chunked?n=2500 HTTP/1.1\r\nHost: x\r\n\r\n");

		g_assert_true (r->chunked);
		g_assert_cmpuint (r->body->len, ==, 2500);
		g_assert_cmpint (r->body->data[2499], ==, 'a' + 2499 % 26);
	}
	/* Chunked down to an HTTP/1.0 client: close-delimited instead. */
	{
		g_autoptr (TestClient) c10 = test_client_new (f->port, NULL);
		g_autoptr (TestResponse) r =
			roundtrip (c10, "GET /chunked?n=3000 HTTP/1.0\r\n\r\n");

		g_assert_false (r->chunked);
		g_assert_cmpuint (r->body->len, ==, 3000);
	}
	/* By host name (resolved off the worker, then cached). */
	for (int i = 0; i < 2; i++) {
		g_autoptr (TestResponse) r = roundtrip (
			c, "POST /byname HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
		g_autofree char *body = body_str (r);

		g_assert_cmpuint (r->status, ==, 200);
		g_assert_cmpstr (body, ==, "hi");
	}
}

static void
test_proxy_large (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);
	const gsize n = 1024 * 1024;
	g_autofree char *payload = g_malloc (n);
	g_autoptr (GString) req = g_string_new (NULL);

	for (gsize i = 0; i < n; i++)
		payload[i] = 'A' + (i * 7) % 26;
	/* 1 MiB up in chunks of 64 KiB, echoed back with Content-Length. */
	g_string_append (req, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (gsize off = 0; off < n; off += 65536) {
		g_string_append_printf (req, "%x\r\n", 65536);
		g_string_append_len (req, payload + off, 65536);
		g_string_append (req, "\r\n");
	}
	g_string_append (req, "0\r\n\r\n");
	test_client_send (c, req->str, req->len);
	{
		g_autoptr (TestResponse) r = test_client_read (c, FALSE);

		g_assert_nonnull (r);
		g_assert_cmpuint (r->body->len, ==, n);
		g_assert_true (memcmp (r->body->data, payload, n) == 0);
	}
	/* 1 MiB down with Content-Length, then 1 MiB with Content-Length up. */
	{
		g_autoptr (TestResponse) r = roundtrip (c, "GET /big?n=1048576 HTTP/1.1\r\nHost: x\r\n\r\n");

		g_assert_cmpuint (r->body->len, ==, n);
	}
	{
		g_autofree char *head = g_strdup_printf (
			"PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", n);
		g_autoptr (TestResponse) r = NULL;

		test_client_send_str (c, head);
		test_client_send (c, payload, n);
		r = test_client_read (c, FALSE);
		g_assert_nonnull (r);
		g_assert_cmpuint (r->body->len, ==, n);
		g_assert_true (memcmp (r->body->data, payload, n) == 0);
	}
}

static void
test_head (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);
	g_autoptr (TestResponse) r = roundtrip (c, "HEAD /big?n=5000 HTTP/1.1\r\nHost: x\r\n\r\n");
	g_autoptr (TestResponse) d = roundtrip (c, "HEAD /direct HTTP/1.1\r\nHost: x\r\n\r\n");
	g_autoptr (TestResponse) g = roundtrip (c, "GET /direct HTTP/1.1\r\nHost: x\r\n\r\n");

	g_assert_cmpuint (r->status, ==, 200);
	g_assert_cmpstr (test_response_header (r, "Content-Length"), ==, "5000");
	g_assert_cmpuint (r->body->len, ==, 0);
	g_assert_cmpstr (test_response_header (d, "Content-Length"), ==, "5");
	g_assert_cmpuint (d->body->len, ==, 0);
	/* No stray body bytes: the next response parses. */
	g_assert_cmpuint (g->status, ==, 200);
	g_assert_cmpuint (g->body->len, ==, 5);
}

static void
test_continue (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);
	g_autoptr (TestResponse) interim = NULL;
	g_autoptr (TestResponse) r = NULL;
	g_autofree char *body = NULL;

	test_client_send_str (c, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
				 "Content-Length: 5\r\n\r\n");
	interim = test_client_read (c, FALSE);
	g_assert_nonnull (interim);
	g_assert_cmpuint (interim->status, ==, 100);
	test_client_send_str (c, "hello");
	r = test_client_read (c, FALSE);
	g_assert_nonnull (r);
	g_assert_cmpuint (r->status, ==, 200);
	body = body_str (r);
	g_assert_cmpstr (body, ==, "hello");

	/* Answered directly without a 100: no body follows, the connection closes. */
	{
		g_autoptr (TestClient) c2 = test_client_new (f->port, NULL);
		g_autoptr (TestResponse) r2 = roundtrip (
			c2, "POST /direct HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
			    "Content-Length: 5\r\n\r\n");

		g_assert_cmpuint (r2->status, ==, 200);
		g_assert_false (r2->keep_alive);
		g_assert_true (test_client_closed (c2));
	}
}

static void
test_keepalive_reuse (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);
	g_autofree char *first = NULL;

	for (int i = 0; i < 4; i++) {
		g_autoptr (TestResponse) r = roundtrip (c, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
		g_autofree AmHttpStats *s = fixture_pop_done (f);

		if (first == NULL)
			first = g_strdup (test_response_header (r, "X-Backend-Conn"));
		g_assert_cmpstr (test_response_header (r, "X-Backend-Conn"), ==, first);
		g_assert_cmpint (s->upstream_reused, ==, i > 0);
	}
	g_assert_cmpuint (test_backend_connections (f->backend), ==, 1);
}

static void
test_pipelining (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);
	const char *expect[] = { "backend:/one", "hello", "backend:/three?x=1", "hello world" };

	test_client_send_str (c, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
				 "GET /direct HTTP/1.1\r\nHost: x\r\n\r\n"
				 "GET /three?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"
				 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
	for (guint i = 0; i < G_N_ELEMENTS (expect); i++) {
		g_autoptr (TestResponse) r = test_client_read (c, FALSE);
		g_autofree char *body = NULL;

		g_assert_nonnull (r);
		body = body_str (r);
		g_assert_cmpstr (body, ==, expect[i]);
	}
}

static void
test_smuggling (Fixture *f, gconstpointer data)
{
	const char *bad[] = {
		/* CL + TE */
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
		"0\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
		"0\r\n\r\n",
		/* two Content-Lengths, differing and equal */
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 5\r\n\r\nabcde",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
		/* codings other than chunked, repeated TE */
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabcd",
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
		"\r\n0\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
		/* bad chunk sizes */
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabcde\r\n0\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"fffffffffffffffff\r\nabc\r\n0\r\n\r\n",
		/* obs-fold */
		"GET /echo HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: x\r\nX-A: one\r\n\ttwo\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n Transfer-Encoding: chunked\r\n\r\n",
		/* invalid header bytes */
		"GET /echo HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\001b\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: x\r\nX(A): 1\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n",
		/* Host: missing or repeated */
		"GET /echo HTTP/1.1\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		/* not HTTP */
		"GET /echo HTTP/2.0\r\nHost: x\r\n\r\n",
		"GET\r\n\r\n",
		"\001\002\003\r\n\r\n",
	};

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr (TestClient) c = test_client_new (f->port, NULL);
		g_autoptr (TestResponse) r = NULL;

		gint before = g_atomic_int_get (&f->handled);

		g_test_message ("case %u", i);
		test_client_send_str (c, bad[i]);
		r = test_client_read (c, FALSE);
		g_assert_nonnull (r);
		g_assert_cmpuint (r->status, >=, 400);
		g_assert_cmpuint (r->status, <, 506);
		g_assert_cmpuint (r->status, !=, 413);
		g_assert_false (r->keep_alive);
		g_assert_true (test_client_closed (c));
		/* Only a bad chunk (cases 9 to 11) comes after a good head. */
		if (i < 9 || i > 11)
			g_assert_cmpint (g_atomic_int_get (&f->handled), ==, before);
	}
	/* The one request after them all is fine. */
	{
		g_autoptr (TestClient) c = test_client_new (f->port, NULL);
		g_autoptr (TestResponse) r = roundtrip (c, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");

		g_assert_cmpuint (r->status, ==, 200);
	}
}

static void
small_limits (AmHttpConfig *cfg)
{
	cfg->max_header_bytes = 1024;
	cfg->max_headers = 10;
	cfg->max_body_bytes = 1000;
	cfg->header_timeout_ms = 300;
}

static void
assert_status_and_close (Fixture *f, const char *request, guint status)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);
	g_autoptr (TestResponse) r = NULL;

	test_client_send_str (c, request);
	r = test_client_read (c, FALSE);
	g_assert_nonnull (r);
	g_assert_cmpuint (r->status, ==, status);
	g_assert_true (test_client_closed (c));
}

static void
test_limits (Fixture *f, gconstpointer data)
{
	g_autofree char *pad = g_strnfill (1100, 'a');
	g_autofree char *big_head = g_strdup_printf ("GET /direct HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\n\r\n", pad);
	g_autofree char *big_url = g_strdup_printf ("GET /%s HTTP/1.1\r\nHost: x\r\n\r\n", pad);
	g_autoptr (GString) many = g_string_new ("GET /direct HTTP/1.1\r\nHost: x\r\n");
	g_autoptr (GString) chunks = g_string_new (
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");

	for (int i = 0; i < 12; i++)
		g_string_append_printf (many, "X-H%d: v\r\n", i);
	g_string_append (many, "\r\n");
	for (int i = 0; i < 3; i++)
		g_string_append_printf (chunks, "190\r\n%s\r\n", pad + 700);
	g_string_append (chunks, "0\r\n\r\n");

	assert_status_and_close (f, big_head, 431);
	assert_status_and_close (f, big_url, 431);
	assert_status_and_close (f, many->str, 431);
	assert_status_and_close (f, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n", 413);
	assert_status_and_close (f, chunks->str, 413);
	/* Within the limits all is well. */
	{
		g_autoptr (TestClient) c = test_client_new (f->port, NULL);
		g_autoptr (TestResponse) r = roundtrip (
			c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");

		g_assert_cmpuint (r->status, ==, 200);
	}
	/* Half a head, then silence: 408. */
	assert_status_and_close (f, "GET /direct HTTP/1.1\r\nHost: x\r\n", 408);
	/* Nothing at all: closed without a word. */
	{
		g_autoptr (TestClient) c = test_client_new (f->port, NULL);

		g_assert_true (test_client_closed (c));
	}
}

static void
test_upstream_errors (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);

	{
		g_autoptr (TestResponse) r = roundtrip (c, "GET /refused HTTP/1.1\r\nHost: x\r\n\r\n");
		g_autofree AmHttpStats *s = fixture_pop_done (f);

		g_assert_cmpuint (r->status, ==, 502);
		g_assert_cmpint (s->error, ==, AM_HTTP_FAIL_CONNECT_REFUSED);
		g_assert_cmpuint (s->status, ==, 502);
	}
	{
		g_autoptr (TestResponse) r = roundtrip (c, "GET /timeout HTTP/1.1\r\nHost: x\r\n\r\n");
		g_autofree AmHttpStats *s = fixture_pop_done (f);

		g_assert_cmpuint (r->status, ==, 504);
		g_assert_cmpint (s->error, ==, AM_HTTP_FAIL_READ_TIMEOUT);
	}
	/* The client connection survived both. */
	{
		g_autoptr (TestResponse) r = roundtrip (c, "GET /direct HTTP/1.1\r\nHost: x\r\n\r\n");

		g_assert_cmpuint (r->status, ==, 200);
	}
	/* Fail-over: on_upstream_error proxies elsewhere. */
	f->failover = TRUE;
	{
		g_autoptr (TestResponse) r = roundtrip (c, "GET /refused HTTP/1.1\r\nHost: x\r\n\r\n");
		g_autofree char *body = body_str (r);

		g_assert_cmpuint (r->status, ==, 200);
		g_assert_cmpstr (body, ==, "backend:/refused");
	}
}

static void
test_stale_pooled (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);

	/* The backend closes after each /close answer without saying so; the
	 * next request finds the pooled connection dead and still succeeds. */
	for (int i = 0; i < 3; i++) {
		g_autoptr (TestResponse) r = roundtrip (c, "GET /close HTTP/1.1\r\nHost: x\r\n\r\n");

		g_assert_cmpuint (r->status, ==, 200);
	}
	g_assert_cmpuint (test_backend_connections (f->backend), ==, 3);
}

static void
test_client_abort (Fixture *f, gconstpointer data)
{
	{
		g_autoptr (TestClient) c = test_client_new (f->port, NULL);
		char buf[1000];

		test_client_send_str (c, "GET /big?n=33554432 HTTP/1.1\r\nHost: x\r\n\r\n");
		g_assert_cmpint (read (c->fd, buf, sizeof buf), >, 0);
	}
	{
		g_autofree AmHttpStats *s = fixture_pop_done (f);

		g_assert_cmpint (s->error, ==, AM_HTTP_FAIL_CLIENT_ABORT);
		g_assert_cmpuint (s->status, ==, 200);
		g_assert_cmpuint (s->response_bytes, >, 0);
		g_assert_cmpuint (s->response_bytes, <, 33554432);
	}
	{
		g_autoptr (TestClient) c = test_client_new (f->port, NULL);
		g_autoptr (TestResponse) r = roundtrip (c, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");

		g_assert_cmpuint (r->status, ==, 200);
	}
}

static void
test_suspend (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) c = test_client_new (f->port, NULL);

	for (int i = 0; i < 3; i++) {
		g_autoptr (TestResponse) r = roundtrip (c, "GET /suspend HTTP/1.1\r\nHost: x\r\n\r\n");
		g_autofree char *body = body_str (r);

		g_assert_cmpuint (r->status, ==, 200);
		g_assert_cmpstr (body, ==, "resumed");
	}
}

static void
test_stop (Fixture *f, gconstpointer data)
{
	g_autoptr (TestClient) idle = test_client_new (f->port, NULL);
	g_autoptr (TestClient) busy = test_client_new (f->port, NULL);
	g_autoptr (TestResponse) first = roundtrip (idle, "GET /direct HTTP/1.1\r\nHost: x\r\n\r\n");
	g_autoptr (TestResponse) r = NULL;
	gint64 t0;

	test_client_send_str (busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
	g_usleep (200 * 1000);
	t0 = g_get_monotonic_time ();
	am_http_engine_stop (f->engine);
	g_assert_cmpint (g_get_monotonic_time () - t0, <, 3 * G_USEC_PER_SEC);
	/* The busy request finished, with Connection: close; the idle one closed. */
	r = test_client_read (busy, FALSE);
	g_assert_nonnull (r);
	g_assert_cmpuint (r->status, ==, 200);
	g_assert_false (r->keep_alive);
	g_assert_true (test_client_closed (idle));
	g_assert_true (test_client_closed (busy));
}

/* ---- TLS ---- */

static void
tls_listener (AmHttpConfig *cfg)
{
	static AmHttpListen listen[2] = { { "127.0.0.1", 0, TRUE }, { "127.0.0.1", 0, FALSE } };
	static AmKeystore *ks;
	g_autoptr (GError) error = NULL;
	g_autofree char *path =
		g_test_build_filename (G_TEST_DIST, "data", "keystores", "server.pem", NULL);

	if (ks == NULL)
		ks = am_keystore_load (path, AM_KEYSTORE_PEM, NULL, NULL, NULL, &error);
	g_assert_no_error (error);
	cfg->listen = listen;
	cfg->n_listen = 2;
	cfg->keystore = ks;
}

static void
test_tls (Fixture *f, gconstpointer data)
{
	SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());
	guint16 plain = am_http_engine_get_port (f->engine, 1);

	g_assert_cmpuint (plain, !=, 0);
	g_assert_cmpuint (plain, !=, f->port);
	{
		g_autoptr (TestClient) c = test_client_new (f->port, ctx);
		g_autoptr (TestResponse) r = roundtrip (c, "GET /direct HTTP/1.1\r\nHost: x\r\n\r\n");
		g_autoptr (TestResponse) h = roundtrip (c, "GET /headers HTTP/1.1\r\nHost: x\r\n\r\n");
		g_autofree char *head = body_str (h);
		g_autoptr (TestResponse) big =
			roundtrip (c, "GET /big?n=300000 HTTP/1.1\r\nHost: x\r\n\r\n");

		g_assert_cmpuint (r->status, ==, 200);
		g_assert_nonnull (strstr (head, "X-Forwarded-Proto: https"));
		g_assert_cmpuint (big->body->len, ==, 300000);
	}
	{
		g_autoptr (TestClient) c = test_client_new (plain, NULL);
		g_autoptr (TestResponse) h = roundtrip (c, "GET /headers HTTP/1.1\r\nHost: x\r\n\r\n");
		g_autofree char *head = body_str (h);

		g_assert_nonnull (strstr (head, "X-Forwarded-Proto: http\n"));
	}
	SSL_CTX_free (ctx);
}

static void
test_listen_errors (void)
{
	AmHttpListen bad = { "not-an-address", 0, FALSE };
	AmHttpListen tls = { "127.0.0.1", 0, TRUE };
	AmHttpConfig cfg;
	g_autoptr (GError) error = NULL;
	g_autoptr (AmHttpEngine) e = NULL;
	g_autoptr (AmHttpEngine) e2 = NULL;

	am_http_config_init (&cfg);
	cfg.listen = &bad;
	cfg.n_listen = 1;
	e = am_http_engine_new (&cfg, handler, NULL);
	g_assert_false (am_http_engine_start (e, &error));
	g_assert_error (error, AM_HTTP_ERROR, AM_HTTP_ERROR_LISTEN);
	g_clear_error (&error);
	cfg.listen = &tls;
	e2 = am_http_engine_new (&cfg, handler, NULL);
	g_assert_false (am_http_engine_start (e2, &error));
	g_assert_error (error, AM_HTTP_ERROR, AM_HTTP_ERROR_TLS);
}

/* Feed a head the way the parser callbacks do, names and values in
 * pieces. */
static void
head_feed (AmHttpHead *hs, const char *const *lines)
{
	for (guint i = 0; lines[i] != NULL; i += 2) {
		gsize n = strlen (lines[i]);

		g_assert_cmpint (am_http_head_on_field (hs, lines[i], n / 2), ==, 0);
		g_assert_cmpint (am_http_head_on_field (hs, lines[i] + n / 2, n - n / 2), ==, 0);
		n = strlen (lines[i + 1]);
		g_assert_cmpint (am_http_head_on_value (hs, lines[i + 1], n), ==, 0);
	}
	g_assert_cmpint (am_http_head_finish (hs), ==, 0);
}

static char *
headers_text (const AmHttpHead *hs, const AmHttpEdits *ed, gboolean response)
{
	AmHttpBuf out = { 0 };
	char *s;

	am_http_write_headers (&out, hs, ed, response);
	s = g_strndup (out.data + out.off, out.len - out.off);
	am_http_buf_clear (&out);
	return s;
}

/* The header store's lookups and the edit rules without sockets: set
 * replaces, a later edit replaces an earlier one, a fallback only fills a
 * gap, remove drops, bad names and values are refused, and a reset store
 * (a recycled request) starts empty with its buffers grown past their
 * first size. */
static void
test_edits (void)
{
	static const char *const lines[] = {
		"Host", "a.example", "Connection", "close, X-Hop", "X-Hop", "1",
		"content-type", "text/plain", "X-Multi", "1", "x-multi", "2", "X-Empty", "", NULL,
	};
	AmHttpHead hs;
	AmHttpEdits ed = { 0 };
	g_autofree char *text = NULL, *resp = NULL, *big = g_strnfill (3000, 'v');

	am_http_head_init (&hs, 4096, 32);
	head_feed (&hs, lines);
	g_assert_cmpuint (hs.n, ==, 7);
	g_assert_true (hs.connection_names_headers);
	g_assert_cmpstr (am_http_head_get (&hs, "HOST"), ==, "a.example");
	g_assert_cmpstr (am_http_head_get (&hs, "Content-Type"), ==, "text/plain");
	g_assert_cmpstr (am_http_head_get (&hs, "x-empty"), ==, "");
	g_assert_null (am_http_head_get (&hs, "Hos"));
	g_assert_null (am_http_head_get (&hs, "Hostx"));
	g_assert_cmpuint (am_http_head_count (&hs, "X-MULTI"), ==, 2);
	g_assert_cmpuint (hs.h[3].name_len, ==, 12);
	g_assert_cmpuint (hs.h[3].value_len, ==, 10);

	g_assert_true (am_http_edits_add (&ed, FALSE, "Content-Type", "application/json", FALSE));
	g_assert_true (am_http_edits_add (&ed, FALSE, "X-New", "first", FALSE));
	g_assert_true (am_http_edits_add (&ed, FALSE, "x-new", "second", FALSE));
	g_assert_true (am_http_edits_add (&ed, FALSE, "X-Multi", NULL, FALSE));
	g_assert_true (am_http_edits_add (&ed, FALSE, "Host", "ignored", TRUE));
	g_assert_true (am_http_edits_add (&ed, FALSE, "X-Default", "filled", TRUE));
	g_assert_true (am_http_edits_add (&ed, TRUE, "X-Resp", "r", FALSE));
	g_assert_false (am_http_edits_add (&ed, FALSE, "Bad Name", "v", FALSE));
	g_assert_false (am_http_edits_add (&ed, FALSE, "", "v", FALSE));
	g_assert_false (am_http_edits_add (&ed, FALSE, "X-Inject", "a\r\nX-Evil: 1", FALSE));
	g_assert_true (am_http_edits_cover (&ed, FALSE, "CONTENT-TYPE", 12));
	g_assert_false (am_http_edits_cover (&ed, FALSE, "Host", 4));	/* a fallback */
	g_assert_false (am_http_edits_cover (&ed, TRUE, "X-New", 5));
	text = headers_text (&hs, &ed, FALSE);
	g_assert_cmpstr (text, ==,
			 "Host: a.example\r\nX-Empty: \r\nContent-Type: application/json\r\n"
			 "x-new: second\r\nX-Default: filled\r\n");

	/* a set after a fallback of the same name wins, and the reverse */
	g_assert_true (am_http_edits_add (&ed, FALSE, "Host", "set", FALSE));
	g_assert_true (am_http_edits_add (&ed, FALSE, "X-Empty", "kept-if-absent", TRUE));
	g_clear_pointer (&text, g_free);
	text = headers_text (&hs, &ed, FALSE);
	g_assert_cmpstr (text, ==,
			 "X-Empty: \r\nContent-Type: application/json\r\nx-new: second\r\n"
			 "X-Default: filled\r\nHost: set\r\n");
	resp = headers_text (&hs, &ed, TRUE);
	g_assert_true (g_str_has_suffix (resp, "X-Resp: r\r\n"));

	/* reset keeps nothing but the room; many and long edits grow it */
	am_http_edits_reset (&ed);
	g_assert_false (am_http_edits_cover (&ed, FALSE, "Content-Type", 12));
	for (guint i = 0; i < 40; i++) {
		g_autofree char *name = g_strdup_printf ("X-E%u", i);

		g_assert_true (am_http_edits_add (&ed, FALSE, name, big, FALSE));
	}
	g_assert_cmpuint (ed.n, ==, 40);
	for (guint i = 0; i < 40; i++) {
		g_assert_cmpuint (ed.v[i].value_len, ==, 3000);
		g_assert_cmpstr (ed.buf + ed.v[i].value, ==, big);
	}
	am_http_edits_free (&ed);

	/* field values: HTAB and obs-text pass, other controls and DEL fail
	 * wherever they sit in a word */
	{
		char v[40];

		memset (v, 'a', sizeof v);
		g_assert_true (am_http_is_field_value_len (v, sizeof v));
		for (guint i = 0; i < sizeof v; i++) {
			static const guchar bad[] = { 0x00, 0x01, '\r', '\n', 0x1f, 0x7f };
			static const guchar good[] = { '\t', ' ', '~', 0x80, 0xfe, 0xff };

			for (guint k = 0; k < G_N_ELEMENTS (bad); k++) {
				v[i] = (char) bad[k];
				g_assert_false (am_http_is_field_value_len (v, sizeof v));
				g_assert_true (am_http_is_field_value_len (v, i));
			}
			for (guint k = 0; k < G_N_ELEMENTS (good); k++) {
				v[i] = (char) good[k];
				g_assert_true (am_http_is_field_value_len (v, sizeof v));
			}
			v[i] = 'a';
		}
		g_assert_true (am_http_caseeq ("Content-Type", "cONTENT-tYPE", 12));
		g_assert_false (am_http_caseeq ("X-A^", "X-A~", 4));
		g_assert_false (am_http_caseeq ("X-A@", "X-A`", 4));
	}

	/* Connection with options only: nothing else becomes hop-by-hop */
	{
		static const char *const opts[] = {
			"Connection", " Keep-Alive , close", "Keep-Alive", "5", "X-Kept", "1", NULL,
		};

		am_http_head_reset (&hs);
		head_feed (&hs, opts);
		g_assert_false (hs.connection_names_headers);
		g_assert_true (am_http_head_is_hop (&hs, 0));
		g_assert_true (am_http_head_is_hop (&hs, 1));
		g_assert_false (am_http_head_is_hop (&hs, 2));
	}
	am_http_head_free (&hs);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	signal (SIGPIPE, SIG_IGN);
#define ADD(name, fn, tweak) \
	g_test_add ("/http/" name, Fixture, tweak, fixture_setup, fn, fixture_teardown)
	ADD ("direct", test_direct, NULL);
	ADD ("proxy-headers", test_proxy_headers, NULL);
	ADD ("proxy-bodies", test_proxy_bodies, NULL);
	ADD ("proxy-large", test_proxy_large, NULL);
	ADD ("head", test_head, NULL);
	ADD ("continue", test_continue, NULL);
	ADD ("keepalive-reuse", test_keepalive_reuse, NULL);
	ADD ("pipelining", test_pipelining, NULL);
	ADD ("smuggling", test_smuggling, NULL);
	ADD ("limits", test_limits, small_limits);
	ADD ("upstream-errors", test_upstream_errors, NULL);
	ADD ("stale-pooled", test_stale_pooled, NULL);
	ADD ("client-abort", test_client_abort, NULL);
	ADD ("suspend", test_suspend, NULL);
	ADD ("stop", test_stop, NULL);
	ADD ("tls", test_tls, tls_listener);
	g_test_add_func ("/http/listen-errors", test_listen_errors);
	g_test_add_func ("/http/edits", test_edits);
	return g_test_run ();
}
