/* SPDX-License-Identifier: Apache-2.0 */
/* A SoupServer in a thread of its own, for tests with a blocking client. */
#include "config.h"

#include "test-soup-server.h"

struct _TestSoupServer {
	GThread *thread;
	GMainContext *context;
	GMainLoop *loop;
	SoupServer *soup;
	guint16 port;
	void (*setup) (SoupServer *soup, gpointer data);
	gpointer data;
	GTlsCertificate *tls;
	GMutex lock;
	GCond cond;
	gboolean ready;
};

static gpointer
server_thread (gpointer user_data)
{
	TestSoupServer *s = user_data;
	g_autoptr (GError) error = NULL;
	GSList *uris;

	g_main_context_push_thread_default (s->context);
	s->soup = soup_server_new ("server-header", "test", "tls-certificate", s->tls, NULL);
	s->setup (s->soup, s->data);
	g_assert_true (soup_server_listen_local (s->soup, 0,
						 SOUP_SERVER_LISTEN_IPV4_ONLY |
							 (s->tls != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0),
						 &error));
	g_assert_no_error (error);
	uris = soup_server_get_uris (s->soup);
	s->port = g_uri_get_port (uris->data);
	g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

	g_mutex_lock (&s->lock);
	s->ready = TRUE;
	g_cond_signal (&s->cond);
	g_mutex_unlock (&s->lock);

	g_main_loop_run (s->loop);
	soup_server_disconnect (s->soup);
	g_clear_object (&s->soup);
	/* let the disconnect's idle work finish */
	while (g_main_context_iteration (s->context, FALSE))
		;
	g_main_context_pop_thread_default (s->context);
	return NULL;
}

TestSoupServer *
test_soup_server_new (void (*setup) (SoupServer *soup, gpointer data), gpointer data)
{
	return test_soup_server_new_tls (setup, data, NULL);
}

TestSoupServer *
test_soup_server_new_tls (void (*setup) (SoupServer *soup, gpointer data), gpointer data,
			  GTlsCertificate *tls)
{
	TestSoupServer *s = g_new0 (TestSoupServer, 1);

	s->tls = tls != NULL ? g_object_ref (tls) : NULL;
	s->context = g_main_context_new ();
	s->loop = g_main_loop_new (s->context, FALSE);
	s->setup = setup;
	s->data = data;
	g_mutex_init (&s->lock);
	g_cond_init (&s->cond);
	s->thread = g_thread_new ("soup-server", server_thread, s);
	g_mutex_lock (&s->lock);
	while (!s->ready)
		g_cond_wait (&s->cond, &s->lock);
	g_mutex_unlock (&s->lock);
	return s;
}

guint16
test_soup_server_port (TestSoupServer *s)
{
	return s->port;
}

static gboolean
quit_cb (gpointer user_data)
{
	g_main_loop_quit (user_data);
	return G_SOURCE_REMOVE;
}

void
test_soup_server_free (TestSoupServer *s)
{
	if (s == NULL)
		return;
	g_main_context_invoke (s->context, quit_cb, s->loop);
	g_thread_join (s->thread);
	g_main_loop_unref (s->loop);
	g_main_context_unref (s->context);
	g_mutex_clear (&s->lock);
	g_cond_clear (&s->cond);
	g_clear_object (&s->tls);
	g_free (s);
}
