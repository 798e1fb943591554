/* SPDX-License-Identifier: Apache-2.0 */
/* Loopback helpers for the HTTP engine tests: a small threaded backend and
 * a blocking client that parses responses with libhttp-parser. */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

/* The backend answers by path:
 *   /echo        the request body back (Content-Length), X-Backend-Conn: n
 *   /headers     the request head it received, as the body
 *   /chunked?n=N N bytes in chunks of 1000
 *   /big?n=N     N bytes with Content-Length
 *   /slow        like /echo after 1.5 s
 *   /hop         a response with hop-by-hop headers and X-Resp-Hop listed
 *   /close       like /echo, then closes without saying so
 *   anything else: 200 "backend:<path>" */
typedef struct _TestBackend TestBackend;
TestBackend *test_backend_new (void);
guint16 test_backend_port (TestBackend *b);
/* Connections accepted so far. */
guint test_backend_connections (TestBackend *b);
void test_backend_free (TestBackend *b);

/* A connected client socket with a 10 s receive timeout; TLS if @ctx. */
typedef struct {
	int fd;
	SSL *ssl;
	GByteArray *in;	/* read but not yet parsed */
} TestClient;
TestClient *test_client_new (guint16 port, SSL_CTX *ctx);
void test_client_send (TestClient *c, const void *data, gsize len);
void test_client_send_str (TestClient *c, const char *s);
void test_client_free (TestClient *c);

typedef struct {
	guint status;
	GPtrArray *names, *values;	/* response headers */
	GByteArray *body;
	gboolean keep_alive;
	gboolean chunked;
} TestResponse;
/* Read one response (@head: it answers a HEAD); NULL if the connection
 * closed or timed out before a whole response. */
TestResponse *test_client_read (TestClient *c, gboolean head);
/* TRUE if the peer closes (EOF or reset) within 5 s with nothing more. */
gboolean test_client_closed (TestClient *c);
const char *test_response_header (TestResponse *r, const char *name);
void test_response_free (TestResponse *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestResponse, test_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestClient, test_client_free)
