/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The data-plane HTTP engine's skeleton (ARCHITECTURE.md §2): worker
 * threads, each with its own GMainContext, its own SO_REUSEPORT listening
 * sockets and one edge-triggered epoll set holding every socket of the
 * worker.  Each worker runs its context's iterations itself and sleeps in
 * epoll_wait, where the context's wakeup fd is registered too; a batch of
 * ready events is handled between GLib's poll and dispatch phases, so the
 * per-event cost is an epoll entry, not a GSource.
 * A 100 ms tick enforces the timeouts (connection deadlines are absolute
 * monotonic times, scanned, which is cheap next to a timer per request)
 * and refreshes the cached Date header.
 *
 * Stopping is cooperative: each worker closes its listeners, lets busy
 * connections finish their current exchange for shutdown_timeout_ms, then
 * closes everything and leaves its loop; the caller joins the threads.
 */
#define _GNU_SOURCE 1 /* accept4 */
#include "config.h"

#define G_LOG_DOMAIN "am.http"

#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <openssl/err.h>

#include "am-http-private.h"

G_DEFINE_QUARK (am-http-error-quark, am_http_error)

#define TICK_MS 100
#define EVENTS_PER_WAIT 256

const char *
am_http_failure_to_string (AmHttpFailure f)
{
	static const char *const names[] = {
		"none", "connect-refused", "connect-timeout", "read-timeout", "reset",
		"protocol", "resolve", "tls", "client-abort", "shutdown",
	};

	return (guint) f < G_N_ELEMENTS (names) ? names[f] : "unknown";
}

void
am_http_config_init (AmHttpConfig *cfg)
{
	memset (cfg, 0, sizeof *cfg);
	cfg->max_header_bytes = 16 * 1024;
	cfg->max_headers = 100;
	cfg->max_body_bytes = 64 * 1024 * 1024;
	cfg->idle_timeout_ms = 60000;
	cfg->header_timeout_ms = 60000;
	cfg->max_connections = 16384;
	cfg->upstream_connect_timeout_ms = 20000;
	cfg->upstream_read_timeout_ms = 60000;
	cfg->upstream_idle_timeout_ms = 30000;
	cfg->upstream_max_idle = 64;
	cfg->shutdown_timeout_ms = 5000;
}

/* ---- the worker's loop ---- */

/* Handle one batch of ready epoll events; TRUE if the context's wakeup fd
 * (registered with a NULL pointer) was among them. */
static gboolean
worker_handle_events (AmHttpWorker *w, struct epoll_event *ev, int n)
{
	gboolean woken = FALSE;

	w->now = g_get_monotonic_time ();
	for (int i = 0; i < n; i++) {
		AmHttpIo *io = ev[i].data.ptr;

		if (io == NULL) {
			woken = TRUE;
			continue;
		}
		/* closed by an earlier event of this batch (its memory is in
		 * the graveyard until the batch is done) */
		if (io->fd < 0)
			continue;
		io->on_event (io, ev[i].events);
	}
	g_ptr_array_set_size (w->graveyard, 0);
	return woken;
}

/* Wait up to @timeout ms for the worker's sockets and run what is ready,
 * then a few more batches while they come full (each loop iteration costs
 * more than an epoll_wait).  TRUE if the wakeup fd was ready. */
static gboolean
worker_wait (AmHttpWorker *w, int timeout)
{
	struct epoll_event ev[EVENTS_PER_WAIT];
	gboolean woken = FALSE;

	for (int round = 0; round < 4; round++) {
		int n = epoll_wait (w->epfd, ev, EVENTS_PER_WAIT, round == 0 ? timeout : 0);

		if (n <= 0) {
			if (n < 0 && errno != EINTR)
				g_warning ("epoll_wait: %s", g_strerror (errno));
			break;
		}
		woken |= worker_handle_events (w, ev, n);
		if (n < EVENTS_PER_WAIT)
			break;
	}
	return woken;
}

/* One main loop iteration, the way g_main_context_iteration() does it,
 * except for the wait.  When the only fds GLib wants are its wakeup fd
 * (which is in the epoll set too), the worker sleeps in epoll_wait itself:
 * GLib polling the epoll fd would cost a poll() set-up and tear-down per
 * sleep, an extra epoll_wait per wakeup, and wakeups without the sync
 * hint a socket's reader gets, so more context switches per request.
 * Sources with other fds make it fall back to polling them all. */
static void
worker_iterate (AmHttpWorker *w, GPollFD **fds, gint *n_alloc)
{
	gint max_priority, timeout, nfds;
	gboolean only_wakeup = w->wake_fd >= 0;

	g_main_context_prepare (w->ctx, &max_priority);
	/* one slot more for the epoll fd of the fallback */
	while ((nfds = g_main_context_query (w->ctx, max_priority, &timeout, *fds, *n_alloc - 1)) >
	       *n_alloc - 1) {
		*n_alloc = nfds + 8;
		*fds = g_renew (GPollFD, *fds, *n_alloc);
	}
	for (gint i = 0; i < nfds; i++) {
		(*fds)[i].revents = 0;
		if ((*fds)[i].fd != w->wake_fd)
			only_wakeup = FALSE;
	}
	if (only_wakeup) {
		if (worker_wait (w, timeout))
			for (gint i = 0; i < nfds; i++)
				(*fds)[i].revents = (*fds)[i].events & G_IO_IN;
	} else {
		GPollFD *ep = &(*fds)[nfds];

		ep->fd = w->epfd;
		ep->events = G_IO_IN;
		ep->revents = 0;
		if (g_poll (*fds, (guint) nfds + 1, timeout) > 0 && ep->revents != 0)
			worker_wait (w, 0);
	}
	g_main_context_check (w->ctx, max_priority, *fds, nfds);
	g_main_context_dispatch (w->ctx);
}

void
am_http_worker_defer_free (AmHttpWorker *w, gpointer mem)
{
	g_ptr_array_add (w->graveyard, mem);
}

void
am_http_worker_watch (AmHttpWorker *w, AmHttpIo *io)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = io,
	};

	if (epoll_ctl (w->epfd, EPOLL_CTL_ADD, io->fd, &ev) < 0)
		g_warning ("epoll_ctl: %s", g_strerror (errno));
}

/* ---- Date ---- */

void
am_http_worker_update_date (AmHttpWorker *w)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = time (NULL);
	struct tm tm;

	if (t == w->date_sec)
		return;
	w->date_sec = t;
	gmtime_r (&t, &tm);
	g_snprintf (w->date, sizeof w->date, "Date: %s, %02d %s %d %02d:%02d:%02d GMT\r\n",
		    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- accept ---- */

static void
listener_on_event (AmHttpIo *io, guint32 events)
{
	AmHttpListener *l = (AmHttpListener *) io;
	AmHttpWorker *w = l->w;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4 (io->fd, (struct sockaddr *) &ss, &sl,
				  SOCK_NONBLOCK | SOCK_CLOEXEC);
		int one = 1;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				g_warning ("accept: %s", g_strerror (errno));
			return;
		}
		if (w->n_conns >= w->e->cfg.max_connections || w->stop_deadline != 0) {
			close (fd);
			continue;
		}
		setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		am_http_conn_accept (w, fd, l->tls, (struct sockaddr *) &ss, sl);
	}
}

/* ---- worker ---- */

static void
worker_close_listeners (AmHttpWorker *w)
{
	for (guint i = 0; i < w->n_listeners; i++)
		am_http_io_close (&w->listeners[i].io);
}

static void
worker_close_all (AmHttpWorker *w)
{
	while (w->conns != NULL)
		am_http_conn_stop (w->conns->data, TRUE);
	/* Idle pooled connections, then any left without a request. */
	g_hash_table_remove_all (w->pool);
	while (w->upconns != NULL)
		am_http_up_close (w->upconns->data);
}

static gboolean
worker_on_tick (gpointer data)
{
	AmHttpWorker *w = data;
	GList *l, *next;

	w->now = g_get_monotonic_time ();
	am_http_worker_update_date (w);
	for (l = w->conns; l != NULL; l = next) {
		AmHttpConn *c = l->data;

		next = l->next;
		if (c->deadline != 0 && w->now >= c->deadline)
			am_http_conn_timeout (c);
	}
	for (l = w->upconns; l != NULL; l = next) {
		AmHttpUpConn *u = l->data;
		gint64 d = am_http_up_deadline (u);

		next = l->next;
		if (d != 0 && w->now >= d)
			am_http_up_timeout (u);
	}
	if (w->stop_deadline != 0 && (w->conns == NULL || w->now >= w->stop_deadline)) {
		worker_close_all (w);
		w->quit = TRUE;
	}
	g_ptr_array_set_size (w->graveyard, 0);
	return G_SOURCE_CONTINUE;
}

static gboolean
worker_on_stop (gpointer data)
{
	AmHttpWorker *w = data;
	GList *l, *next;

	w->now = g_get_monotonic_time ();
	w->stop_deadline = w->now + (gint64) w->e->cfg.shutdown_timeout_ms * 1000 + 1;
	worker_close_listeners (w);
	g_hash_table_remove_all (w->pool);
	for (l = w->conns; l != NULL; l = next) {
		next = l->next;
		am_http_conn_stop (l->data, FALSE);
	}
	worker_on_tick (w);
	return G_SOURCE_REMOVE;
}

static gpointer
worker_main (gpointer data)
{
	AmHttpWorker *w = data;
	g_autofree GPollFD *fds = NULL;
	gint n_alloc = 0;

	g_main_context_push_thread_default (w->ctx);
	if (!g_main_context_acquire (w->ctx))
		g_error ("a worker's main context is owned by another thread");
	while (!w->quit)
		worker_iterate (w, &fds, &n_alloc);
	worker_close_all (w);
	g_main_context_release (w->ctx);
	g_main_context_pop_thread_default (w->ctx);
	return NULL;
}

/* A new context polls one fd, its GWakeup's: put it in the epoll set
 * (level-triggered, GLib reads it) so that worker_iterate can sleep in
 * epoll_wait alone. */
static void
worker_watch_wakeup (AmHttpWorker *w)
{
	GPollFD fds[4];
	gint timeout, n;

	w->wake_fd = -1;
	if (!g_main_context_acquire (w->ctx))
		return;
	n = g_main_context_query (w->ctx, G_MAXINT, &timeout, fds, G_N_ELEMENTS (fds));
	g_main_context_release (w->ctx);
	if (n == 1) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		if (epoll_ctl (w->epfd, EPOLL_CTL_ADD, fds[0].fd, &ev) == 0)
			w->wake_fd = fds[0].fd;
		else
			g_warning ("epoll_ctl (wakeup fd): %s", g_strerror (errno));
	}
}

static AmHttpWorker *
worker_new (AmHttpEngine *e, guint index)
{
	AmHttpWorker *w = g_new0 (AmHttpWorker, 1);

	w->e = e;
	w->index = index;
	w->ctx = g_main_context_new ();
	w->epfd = epoll_create1 (EPOLL_CLOEXEC);
	worker_watch_wakeup (w);
	w->pool = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, am_http_pool_free);
	w->dns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, am_http_dns_free);
	w->now = g_get_monotonic_time ();
	am_http_worker_update_date (w);
	w->graveyard = g_ptr_array_new_with_free_func (g_free);

	w->tick = g_timeout_source_new (TICK_MS);
	g_source_set_callback (w->tick, worker_on_tick, w, NULL);
	g_source_attach (w->tick, w->ctx);

	w->n_listeners = e->listen->len;
	w->listeners = g_new0 (AmHttpListener, w->n_listeners);
	for (guint i = 0; i < w->n_listeners; i++) {
		AmHttpListener *l = &w->listeners[i];

		l->w = w;
		l->tls = g_array_index (e->listen, AmHttpListen, i).tls;
		l->io.on_event = listener_on_event;
		l->io.fd = g_array_index (e->listen_fds, int, index * w->n_listeners + i);
		g_array_index (e->listen_fds, int, index * w->n_listeners + i) = -1;
		am_http_worker_watch (w, &l->io);
	}
	return w;
}

static void
worker_free (AmHttpWorker *w)
{
	worker_close_listeners (w);
	g_source_destroy (w->tick);
	g_source_unref (w->tick);
	g_hash_table_destroy (w->pool);
	g_hash_table_destroy (w->dns);
	g_ptr_array_unref (w->graveyard);
	close (w->epfd);
	g_main_context_unref (w->ctx);
	g_free (w->listeners);
	g_free (w);
}

/* ---- engine ---- */

AmHttpEngine *
am_http_engine_new (const AmHttpConfig *cfg, AmHttpHandler handler, gpointer data)
{
	AmHttpEngine *e = g_new0 (AmHttpEngine, 1);

	e->cfg = *cfg;
	e->cfg.listen = NULL;
	e->cfg.keystore = NULL;
	e->cfg.tls_ctx = NULL;
	e->cfg.upstream_tls_ctx = NULL;
	e->cfg.max_headers = CLAMP (cfg->max_headers, 1, AM_HTTP_MAX_HEADERS);
	e->cfg.max_header_bytes = MAX (cfg->max_header_bytes, 256);
	e->cfg.max_connections = MAX (cfg->max_connections, 1);
	e->handler = handler;
	e->data = data;
	e->listen = g_array_new (FALSE, TRUE, sizeof (AmHttpListen));
	for (guint i = 0; i < cfg->n_listen; i++) {
		AmHttpListen l = cfg->listen[i];

		l.address = g_strdup (l.address != NULL ? l.address : "0.0.0.0");
		g_array_append_val (e->listen, l);
	}
	e->ports = g_new0 (guint16, MAX (cfg->n_listen, 1));
	e->n_workers = cfg->workers != 0 ? cfg->workers : g_get_num_processors ();
	e->listen_fds = g_array_new (FALSE, TRUE, sizeof (int));
	if (cfg->tls_ctx != NULL) {
		SSL_CTX_up_ref (cfg->tls_ctx);
		e->tls_ctx = cfg->tls_ctx;
	}
	if (cfg->upstream_tls_ctx != NULL) {
		SSL_CTX_up_ref (cfg->upstream_tls_ctx);
		e->up_tls_ctx = cfg->upstream_tls_ctx;
	}
	/* The keystore is only borrowed until start: build its context now. */
	e->cfg.keystore = cfg->keystore;
	return e;
}

static int
engine_bind (const char *address, guint16 port, GError **error)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char service[8];
	int fd, one = 1, rc;

	g_snprintf (service, sizeof service, "%u", port);
	rc = getaddrinfo (address, service, &hints, &ai);
	if (rc != 0) {
		g_set_error (error, AM_HTTP_ERROR, AM_HTTP_ERROR_LISTEN, "bad listen address %s: %s",
			     address, gai_strerror (rc));
		return -1;
	}
	fd = socket (ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
	    bind (fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen (fd, 511) < 0) {
		int saved = errno;

		g_set_error (error, AM_HTTP_ERROR, AM_HTTP_ERROR_LISTEN, "cannot listen on %s:%u: %s",
			     address, port, g_strerror (saved));
		if (fd >= 0)
			close (fd);
		freeaddrinfo (ai);
		return -1;
	}
	freeaddrinfo (ai);
	return fd;
}

static guint16
engine_local_port (int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	if (getsockname (fd, (struct sockaddr *) &ss, &sl) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs (((struct sockaddr_in6 *) &ss)->sin6_port);
	return ntohs (((struct sockaddr_in *) &ss)->sin_port);
}

static gboolean
engine_setup_tls (AmHttpEngine *e, GError **error)
{
	gboolean need = FALSE;

	for (guint i = 0; i < e->listen->len; i++)
		need |= g_array_index (e->listen, AmHttpListen, i).tls;
	if (need && e->tls_ctx == NULL) {
		if (e->cfg.keystore == NULL) {
			g_set_error_literal (error, AM_HTTP_ERROR, AM_HTTP_ERROR_TLS,
					     "a TLS listener needs an SSL_CTX or a keystore");
			return FALSE;
		}
		e->tls_ctx = SSL_CTX_new (TLS_server_method ());
		SSL_CTX_set_min_proto_version (e->tls_ctx, TLS1_2_VERSION);
		SSL_CTX_set_options (e->tls_ctx, SSL_OP_NO_RENEGOTIATION);
		if (!am_keystore_use_in_ssl_ctx (e->cfg.keystore, e->tls_ctx, error)) {
			g_prefix_error (error, "TLS listener: ");
			return FALSE;
		}
	}
	e->cfg.keystore = NULL;
	if (e->up_tls_ctx == NULL) {
		e->up_tls_ctx = SSL_CTX_new (TLS_client_method ());
		SSL_CTX_set_min_proto_version (e->up_tls_ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify (e->up_tls_ctx, SSL_VERIFY_PEER, NULL);
		if (SSL_CTX_set_default_verify_paths (e->up_tls_ctx) != 1)
			g_warning ("no default CA store for https upstreams");
		ERR_clear_error ();
	}
	return TRUE;
}

gboolean
am_http_engine_start (AmHttpEngine *e, GError **error)
{
	g_return_val_if_fail (!e->started, FALSE);

	if (!engine_setup_tls (e, error))
		return FALSE;
	g_array_set_size (e->listen_fds, e->n_workers * e->listen->len);
	for (guint k = 0; k < e->listen_fds->len; k++)
		g_array_index (e->listen_fds, int, k) = -1;
	for (guint i = 0; i < e->listen->len; i++) {
		AmHttpListen *l = &g_array_index (e->listen, AmHttpListen, i);
		guint16 port = l->port;

		for (guint wi = 0; wi < e->n_workers; wi++) {
			int fd = engine_bind (l->address, port, error);

			if (fd < 0) {
				for (guint k = 0; k < e->listen_fds->len; k++)
					if (g_array_index (e->listen_fds, int, k) >= 0)
						close (g_array_index (e->listen_fds, int, k));
				return FALSE;
			}
			/* Port 0: the first worker's port is everybody's. */
			if (port == 0)
				port = engine_local_port (fd);
			g_array_index (e->listen_fds, int, wi * e->listen->len + i) = fd;
		}
		e->ports[i] = port;
	}
	e->workers = g_new0 (AmHttpWorker *, e->n_workers);
	for (guint wi = 0; wi < e->n_workers; wi++) {
		g_autofree char *name = g_strdup_printf ("am-http-%u", wi);

		e->workers[wi] = worker_new (e, wi);
		e->workers[wi]->thread = g_thread_new (name, worker_main, e->workers[wi]);
	}
	e->started = TRUE;
	return TRUE;
}

guint16
am_http_engine_get_port (AmHttpEngine *e, guint index)
{
	g_return_val_if_fail (index < e->listen->len, 0);
	return e->ports[index];
}

void
am_http_engine_stop (AmHttpEngine *e)
{
	if (!e->started || e->stopped)
		return;
	e->stopped = TRUE;
	for (guint i = 0; i < e->n_workers; i++)
		g_main_context_invoke (e->workers[i]->ctx, worker_on_stop, e->workers[i]);
	for (guint i = 0; i < e->n_workers; i++) {
		g_thread_join (e->workers[i]->thread);
		worker_free (e->workers[i]);
	}
	g_clear_pointer (&e->workers, g_free);
}

void
am_http_engine_free (AmHttpEngine *e)
{
	if (e == NULL)
		return;
	am_http_engine_stop (e);
	for (guint i = 0; i < e->listen->len; i++)
		g_free ((char *) g_array_index (e->listen, AmHttpListen, i).address);
	g_array_unref (e->listen);
	g_array_unref (e->listen_fds);
	g_free (e->ports);
	g_clear_pointer (&e->tls_ctx, SSL_CTX_free);
	g_clear_pointer (&e->up_tls_ctx, SSL_CTX_free);
	g_free (e);
}
