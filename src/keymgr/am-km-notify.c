/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Gateway cache invalidation on token revoke.  When tokens are revoked the
 * Key Manager tells every gateway environment of api-manager.xml
 * (APIGateway/Environments/Environment with a ServerURL) to drop them from
 * its token cache, as WSO2's RevocationRequestPublisher /
 * APIAuthenticationAdminClient do: the gateway admin service operation
 * APIAuthenticationService.invalidateCachedTokens(String[] accessTokens),
 * SOAP 1.1 to <ServerURL>APIAuthenticationService with SOAPAction
 * urn:invalidateCachedTokens and HTTP Basic credentials of the
 * environment's Username/Password.
 *
 * The body element is invalidateCachedTokens with one accessTokens child per
 * token, both in AM_GW_AUTH_SERVICE_NS: the gateway's services.xml gives
 * APIAuthenticationService no schemaNamespace, so Axis2 derives it from the
 * Java package of the service class, as carbon-apimgt's stub WSDL shows.  TLS toward the gateway is not verified:
 * WSO2 gateways serve the self-signed wso2carbon certificate, and WSO2's own
 * admin client trusts it the same way.
 *
 * The revoke hook may run on any thread and never waits: the calls are
 * queued to a thread of their own with its main context and SoupSession.
 * A transport failure is retried a few times with a doubling backoff;
 * failures are logged with the environment's name, never with tokens or
 * credentials.  An environment whose ServerURL is this server (loopback or
 * local address and our management port, the all-in-one default) is
 * skipped: that gateway runs in this process.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"
#include "am-km-soap.h"

#include <ifaddrs.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <string.h>

#define NOTIFY_SERVICE "APIAuthenticationService"
#define NOTIFY_RETRIES 4
#define NOTIFY_BACKOFF_MS 500
/* how long stop waits for calls already on the wire */
#define NOTIFY_DRAIN_MS 2000

typedef struct {
	char *name;
	char *url;  /* <ServerURL>APIAuthenticationService */
	char *auth; /* Authorization header value (secret) */
} NotifyTarget;

typedef struct {
	AmKm *km;
	GPtrArray *targets; /* of NotifyTarget */
	GMainContext *ctx;
	GMainLoop *loop;
	GThread *thread;
	GMutex lock;
	gboolean stopping; /* under lock; no new calls once set */
	/* notify thread only: */
	SoupSession *session;
	GCancellable *cancel;
	GHashTable *jobs; /* NotifyJob set: on the wire or waiting to retry */
	GSource *drain;
} Notify;

typedef struct {
	Notify *n;
	const NotifyTarget *target;
	GBytes *body;
	guint n_tokens;
	guint attempt;
	GSource *retry;
	SoupMessage *msg;
} NotifyJob;

static void
notify_target_free (gpointer p)
{
	NotifyTarget *t = p;

	g_free (t->name);
	g_free (t->url);
	if (t->auth != NULL)
		memset (t->auth, 0, strlen (t->auth));
	g_free (t->auth);
	g_free (t);
}

static void
notify_job_free (gpointer p)
{
	NotifyJob *job = p;

	if (job->retry != NULL) {
		g_source_destroy (job->retry);
		g_source_unref (job->retry);
	}
	g_clear_object (&job->msg);
	g_bytes_unref (job->body);
	g_free (job);
}

/* ---- is this environment ourselves? ---- */

static gboolean
address_is_local (GInetAddress *addr)
{
	struct ifaddrs *ifs = NULL;
	gboolean found = FALSE;

	if (g_inet_address_get_is_loopback (addr) || g_inet_address_get_is_any (addr))
		return TRUE;
	if (getifaddrs (&ifs) != 0)
		return FALSE;
	for (struct ifaddrs *i = ifs; i != NULL && !found; i = i->ifa_next) {
		g_autoptr (GSocketAddress) sa = NULL;

		if (i->ifa_addr == NULL || (i->ifa_addr->sa_family != AF_INET &&
					    i->ifa_addr->sa_family != AF_INET6))
			continue;
		sa = g_socket_address_new_from_native (i->ifa_addr,
						       i->ifa_addr->sa_family == AF_INET
							       ? sizeof (struct sockaddr_in)
							       : sizeof (struct sockaddr_in6));
		found = sa != NULL &&
			g_inet_address_equal (addr, g_inet_socket_address_get_address (
							    G_INET_SOCKET_ADDRESS (sa)));
	}
	freeifaddrs (ifs);
	return found;
}

gboolean
am_km_notify_url_is_self (const char *server_url, const char *own_host, int https_port,
			  int http_port)
{
	g_autoptr (GUri) uri = g_uri_parse (server_url, G_URI_FLAGS_NONE, NULL);
	g_autoptr (GInetAddress) addr = NULL;
	const char *host;
	int port;

	if (uri == NULL || g_uri_get_host (uri) == NULL)
		return FALSE;
	host = g_uri_get_host (uri);
	port = g_uri_get_port (uri);
	if (port < 0)
		port = g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
	if (port <= 0 || (port != https_port && port != http_port))
		return FALSE;
	/* names are not resolved: only the ones that are certainly us */
	if (g_ascii_strcasecmp (host, "localhost") == 0 ||
	    g_ascii_strcasecmp (host, g_get_host_name ()) == 0 ||
	    (own_host != NULL && g_ascii_strcasecmp (host, own_host) == 0))
		return TRUE;
	addr = g_inet_address_new_from_string (host);
	return addr != NULL && address_is_local (addr);
}

/* ---- the calls, on the notify thread ---- */

static void job_send (NotifyJob *job);

static void
notify_job_done (NotifyJob *job)
{
	Notify *n = job->n;

	g_hash_table_remove (n->jobs, job);
	if (n->drain != NULL && g_hash_table_size (n->jobs) == 0)
		g_main_loop_quit (n->loop);
}

static gboolean
on_retry (gpointer data)
{
	NotifyJob *job = data;

	g_clear_pointer (&job->retry, g_source_unref);
	job_send (job);
	return G_SOURCE_REMOVE;
}

static void
on_job_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
	NotifyJob *job = user_data;
	Notify *n = job->n;
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) reply = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
								      &error);
	const NotifyTarget *t = job->target;
	guint status = soup_message_get_status (job->msg);

	g_clear_object (&job->msg);
	if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_warning ("Gateway environment '%s': cache invalidation of %u token(s) cancelled "
			   "at shutdown",
			   t->name, job->n_tokens);
	} else if (error != NULL && job->attempt < NOTIFY_RETRIES && n->drain == NULL) {
		guint delay = NOTIFY_BACKOFF_MS << job->attempt;

		g_message ("Gateway environment '%s' (%s): %s; retrying in %u ms", t->name, t->url,
			   error->message, delay);
		job->attempt++;
		job->retry = g_timeout_source_new (delay);
		g_source_set_callback (job->retry, on_retry, job, NULL);
		g_source_attach (job->retry, n->ctx);
		return;
	} else if (error != NULL) {
		g_warning ("Gateway environment '%s' (%s): could not invalidate %u cached token(s): "
			   "%s",
			   t->name, t->url, job->n_tokens, error->message);
	} else if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
		g_warning ("Gateway environment '%s' (%s): invalidateCachedTokens answered HTTP %u; "
			   "%u cached token(s) may stay valid there until they expire",
			   t->name, t->url, status, job->n_tokens);
	} else {
		g_debug ("Gateway environment '%s': invalidated %u cached token(s)", t->name,
			 job->n_tokens);
	}
	notify_job_done (job);
}

/* WSO2 gateways serve the self-signed wso2carbon certificate. */
static gboolean
on_accept_certificate (SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors,
		       gpointer user_data)
{
	return TRUE;
}

static void
job_send (NotifyJob *job)
{
	Notify *n = job->n;
	SoupMessageHeaders *h;

	job->msg = soup_message_new (SOUP_METHOD_POST, job->target->url);
	h = soup_message_get_request_headers (job->msg);
	soup_message_headers_replace (h, "SOAPAction", "\"urn:invalidateCachedTokens\"");
	soup_message_headers_replace (h, "Authorization", job->target->auth);
	soup_message_set_request_body_from_bytes (job->msg, "text/xml; charset=UTF-8", job->body);
	g_signal_connect (job->msg, "accept-certificate", G_CALLBACK (on_accept_certificate), NULL);
	soup_session_send_and_read_async (n->session, job->msg, G_PRIORITY_DEFAULT, n->cancel,
					  on_job_sent, job);
}

static gboolean
on_job_queued (gpointer data)
{
	NotifyJob *job = data;
	Notify *n = job->n;

	if (n->drain != NULL) {
		g_warning ("Gateway environment '%s': cache invalidation of %u token(s) dropped at "
			   "shutdown",
			   job->target->name, job->n_tokens);
		notify_job_free (job);
		return G_SOURCE_REMOVE;
	}
	g_hash_table_add (n->jobs, job);
	job_send (job);
	return G_SOURCE_REMOVE;
}

static gpointer
notify_thread (gpointer data)
{
	Notify *n = data;

	g_main_context_push_thread_default (n->ctx);
	n->session = soup_session_new_with_options ("timeout", 30, "idle-timeout", 60,
						    "user-agent", "apimd", NULL);
	g_main_loop_run (n->loop);
	/* whatever was queued behind the shutdown */
	while (g_main_context_iteration (n->ctx, FALSE))
		;
	g_hash_table_remove_all (n->jobs);
	g_clear_object (&n->session);
	g_main_context_pop_thread_default (n->ctx);
	return NULL;
}

/* ---- the hook, any thread ---- */

static GBytes *
invalidate_body (const char *const *tokens, guint *n_tokens)
{
	GString *out = g_string_new (
		"<?xml version='1.0' encoding='UTF-8'?>"
		"<soapenv:Envelope xmlns:soapenv=\"" AM_SOAP11_NS "\"><soapenv:Body>"
		"<ser:invalidateCachedTokens xmlns:ser=\"" AM_GW_AUTH_SERVICE_NS "\">");

	*n_tokens = 0;
	for (; tokens[*n_tokens] != NULL; (*n_tokens)++) {
		g_autofree char *text = g_markup_escape_text (tokens[*n_tokens], -1);

		g_string_append_printf (out, "<ser:accessTokens>%s</ser:accessTokens>", text);
	}
	g_string_append (out, "</ser:invalidateCachedTokens></soapenv:Body></soapenv:Envelope>");
	return g_string_free_to_bytes (out);
}

static void
on_tokens_revoked (gpointer data, const char *const *tokens)
{
	Notify *n = data;
	g_autoptr (GBytes) body = NULL;
	guint n_tokens = 0;

	g_mutex_lock (&n->lock);
	if (n->stopping) {
		g_mutex_unlock (&n->lock);
		return;
	}
	body = invalidate_body (tokens, &n_tokens);
	for (guint i = 0; i < n->targets->len; i++) {
		NotifyJob *job = g_new0 (NotifyJob, 1);

		job->n = n;
		job->target = n->targets->pdata[i];
		job->body = g_bytes_ref (body);
		job->n_tokens = n_tokens;
		g_main_context_invoke_full (n->ctx, G_PRIORITY_DEFAULT, on_job_queued, job, NULL);
	}
	g_mutex_unlock (&n->lock);
}

/* ---- the component ---- */

static char *
basic_auth (const char *user, const char *password)
{
	g_autofree char *pair = g_strdup_printf ("%s:%s", user != NULL ? user : "",
						 password != NULL ? password : "");
	g_autofree char *b64 = g_base64_encode ((const guchar *) pair, strlen (pair));

	memset (pair, 0, strlen (pair));
	return g_strdup_printf ("Basic %s", b64);
}

static GPtrArray *
notify_targets (AmKm *km)
{
	const AmApimConf *apim = am_km_get_apim (km);
	AmServer *server = am_km_get_server (km);
	GPtrArray *targets = g_ptr_array_new_with_free_func (notify_target_free);
	const char *own_host = NULL;
	int https_port = -1, http_port = -1;

	if (server != NULL) {
		AmConf *conf = am_server_get_conf (server);
		const AmPorts *ports = am_conf_ports (conf);

		https_port = ports->mgt_https;
		http_port = ports->mgt_http;
		own_host = am_conf_core (conf)->mgt_host_name;
		if (own_host == NULL)
			own_host = am_conf_property (conf, "carbon.local.ip");
	}
	for (guint i = 0; apim->environments != NULL && i < apim->environments->len; i++) {
		const AmEnvironmentConf *env = apim->environments->pdata[i];
		NotifyTarget *t;

		if (env->server_url == NULL || *env->server_url == '\0')
			continue;
		if (am_km_notify_url_is_self (env->server_url, own_host, https_port, http_port)) {
			g_message ("Gateway environment '%s' is this server: its token cache is "
				   "not notified over SOAP",
				   env->name);
			continue;
		}
		t = g_new0 (NotifyTarget, 1);
		t->name = g_strdup (env->name);
		t->url = g_strconcat (env->server_url,
				      g_str_has_suffix (env->server_url, "/") ? "" : "/",
				      NOTIFY_SERVICE, NULL);
		t->auth = basic_auth (env->username, env->password);
		g_ptr_array_add (targets, t);
	}
	return targets;
}

static gpointer
notify_start (AmKm *km, GError **error)
{
	g_autoptr (GPtrArray) targets = notify_targets (km);
	Notify *n;

	if (targets->len == 0) {
		g_debug ("No remote gateway environment: revoked tokens are not sent anywhere");
		return GINT_TO_POINTER (1);
	}
	n = g_new0 (Notify, 1);
	n->km = km;
	n->targets = g_steal_pointer (&targets);
	n->ctx = g_main_context_new ();
	n->loop = g_main_loop_new (n->ctx, FALSE);
	n->cancel = g_cancellable_new ();
	n->jobs = g_hash_table_new_full (g_direct_hash, g_direct_equal, notify_job_free, NULL);
	g_mutex_init (&n->lock);
	n->thread = g_thread_new ("am-km-notify", notify_thread, n);
	am_km_add_revoke_hook (km, on_tokens_revoked, n);
	return n;
}

static gboolean
on_drain_timeout (gpointer data)
{
	Notify *n = data;

	g_cancellable_cancel (n->cancel);
	return G_SOURCE_REMOVE;
}

/* On the notify thread: drop the retries, give the calls on the wire
 * NOTIFY_DRAIN_MS, then cancel them. */
static gboolean
on_shutdown (gpointer data)
{
	Notify *n = data;
	GHashTableIter iter;
	gpointer job_p;

	n->drain = g_timeout_source_new (NOTIFY_DRAIN_MS);
	g_source_set_callback (n->drain, on_drain_timeout, n, NULL);
	g_source_attach (n->drain, n->ctx);
	g_hash_table_iter_init (&iter, n->jobs);
	while (g_hash_table_iter_next (&iter, &job_p, NULL)) {
		NotifyJob *job = job_p;

		if (job->retry == NULL)
			continue;
		g_warning ("Gateway environment '%s': cache invalidation of %u token(s) dropped at "
			   "shutdown",
			   job->target->name, job->n_tokens);
		g_hash_table_iter_remove (&iter);
	}
	if (g_hash_table_size (n->jobs) == 0)
		g_main_loop_quit (n->loop);
	return G_SOURCE_REMOVE;
}

static void
notify_stop (gpointer state)
{
	Notify *n = state;

	if (state == GINT_TO_POINTER (1))
		return;
	am_km_remove_revoke_hook (n->km, on_tokens_revoked, n);
	g_mutex_lock (&n->lock);
	n->stopping = TRUE;
	g_mutex_unlock (&n->lock);
	g_main_context_invoke (n->ctx, on_shutdown, n);
	g_thread_join (n->thread);

	g_source_destroy (n->drain);
	g_source_unref (n->drain);
	g_hash_table_unref (n->jobs);
	g_object_unref (n->cancel);
	g_main_loop_unref (n->loop);
	g_main_context_unref (n->ctx);
	g_ptr_array_unref (n->targets);
	g_mutex_clear (&n->lock);
	g_free (n);
}

const AmKmComponent am_km_notify_component = {
	.name = "notify",
	.start = notify_start,
	.stop = notify_stop,
};
