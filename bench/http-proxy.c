/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark driver for the data-plane HTTP engine: a plain reverse proxy
 * (every request forwarded to one loopback backend, nothing else) so that
 * bench/http-proxy.sh can put it next to nginx's proxy_pass.
 *
 *   bench/http-proxy LISTEN_PORT BACKEND_HOST BACKEND_PORT [WORKERS]
 *
 * Runs until SIGINT or SIGTERM.
 */
#include "config.h"

#include <glib-unix.h>
#include <stdlib.h>

#include "am-http.h"

static AmHttpUpstream upstream;

static void
on_request (AmHttpRequest *req, gpointer data)
{
	am_http_request_proxy (req, &upstream);
}

static gboolean
on_signal (gpointer loop)
{
	g_main_loop_quit (loop);
	return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
	g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
	g_autoptr (GError) error = NULL;
	g_autoptr (AmHttpEngine) engine = NULL;
	AmHttpListen listen = { "127.0.0.1", 0, FALSE };
	AmHttpConfig cfg;

	if (argc < 4) {
		g_printerr ("usage: %s LISTEN_PORT BACKEND_HOST BACKEND_PORT [WORKERS]\n", argv[0]);
		return 2;
	}
	listen.port = atoi (argv[1]);
	upstream.host = argv[2];
	upstream.port = atoi (argv[3]);
	am_http_config_init (&cfg);
	cfg.listen = &listen;
	cfg.n_listen = 1;
	cfg.workers = argc > 4 ? atoi (argv[4]) : 0;
	engine = am_http_engine_new (&cfg, on_request, NULL);
	if (!am_http_engine_start (engine, &error)) {
		g_printerr ("%s\n", error->message);
		return 1;
	}
	g_unix_signal_add (SIGINT, on_signal, loop);
	g_unix_signal_add (SIGTERM, on_signal, loop);
	g_main_loop_run (loop);
	return 0;
}
