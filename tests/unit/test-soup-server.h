/* SPDX-License-Identifier: Apache-2.0 */
/* A real libsoup SoupServer on a loopback port, running in its own thread
 * (with its own main context) so that a test can talk to it with the
 * blocking client of test-http-util.h. */
#pragma once

#include <libsoup/soup.h>

typedef struct _TestSoupServer TestSoupServer;

/* @setup runs in the server thread, on the new SoupServer, before it
 * listens (add handlers there). */
TestSoupServer *test_soup_server_new (void (*setup) (SoupServer *soup, gpointer data),
				      gpointer data);
/* The same over https with @tls (its key and certificate). */
TestSoupServer *test_soup_server_new_tls (void (*setup) (SoupServer *soup, gpointer data),
					  gpointer data, GTlsCertificate *tls);
guint16 test_soup_server_port (TestSoupServer *s);
void test_soup_server_free (TestSoupServer *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestSoupServer, test_soup_server_free)
