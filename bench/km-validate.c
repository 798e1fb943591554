/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Load generator for the Key Manager's Thrift key validation: N threads,
 * each a gateway connection as WSO2 makes it (one login at
 * /thriftAuthenticator over HTTPS + TCompactProtocol, then one persistent
 * TLS connection speaking TBinaryProtocol), calling validateKey back to
 * back for a fixed time.  Prints calls per second and latency percentiles;
 * exits 1 if any call failed or was not authorized.
 *
 *   bench/km-validate --host 127.0.0.1 --port 10397 --mgt-port 9443 \
 *       --context /pizzashack/1.0.0 --version 1.0.0 --token <token> \
 *       [--resource /menu] [--verb GET] [--threads 8] [--seconds 10]
 *
 * bench/km-validate.py sets up a server with seeded rows and runs it.
 */
#include "config.h"

#include <libsoup/soup.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <thrift/c_glib/protocol/thrift_binary_protocol.h>
#include <thrift/c_glib/protocol/thrift_compact_protocol.h>
#include <thrift/c_glib/transport/thrift_buffered_transport.h>
#include <thrift/c_glib/transport/thrift_memory_buffer.h>
#include <thrift/c_glib/transport/thrift_ssl_socket.h>

#include "am_thrift_a_p_i_key_validation_service.h"
#include "am_thrift_authenticator_service.h"

static char *opt_host = "127.0.0.1";
static int opt_port = 10397;
static int opt_mgt_port = 9443;
static char *opt_context = "/pizzashack/1.0.0";
static char *opt_version = "1.0.0";
static char *opt_token;
static char *opt_resource = "/menu";
static char *opt_verb = "GET";
static char *opt_user = "admin";
static char *opt_password = "admin";
static int opt_threads = 8;
static int opt_seconds = 10;

static const GOptionEntry entries[] = {
	{ "host", 0, 0, G_OPTION_ARG_STRING, &opt_host, "Key Manager host", NULL },
	{ "port", 0, 0, G_OPTION_ARG_INT, &opt_port, "Thrift port", NULL },
	{ "mgt-port", 0, 0, G_OPTION_ARG_INT, &opt_mgt_port, "management HTTPS port", NULL },
	{ "context", 0, 0, G_OPTION_ARG_STRING, &opt_context, "API context", NULL },
	{ "version", 0, 0, G_OPTION_ARG_STRING, &opt_version, "API version", NULL },
	{ "token", 0, 0, G_OPTION_ARG_STRING, &opt_token, "access token", NULL },
	{ "resource", 0, 0, G_OPTION_ARG_STRING, &opt_resource, "matching resource", NULL },
	{ "verb", 0, 0, G_OPTION_ARG_STRING, &opt_verb, "HTTP verb", NULL },
	{ "user", 0, 0, G_OPTION_ARG_STRING, &opt_user, "login user", NULL },
	{ "password", 0, 0, G_OPTION_ARG_STRING, &opt_password, "login password", NULL },
	{ "threads", 0, 0, G_OPTION_ARG_INT, &opt_threads, "concurrent connections", NULL },
	{ "seconds", 0, 0, G_OPTION_ARG_INT, &opt_seconds, "duration", NULL },
	{ NULL },
};

typedef struct {
	GThread *thread;
	gint64 deadline;
	guint64 calls;
	guint64 failures;
	GArray *latency_us; /* gint64 */
} Worker;

static gboolean
on_accept_certificate (SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors,
		       gpointer data)
{
	return TRUE; /* the development keystore is self-signed, as a gateway accepts */
}

/* AuthenticatorService.authenticate: the compact CALL built in memory,
 * posted, and the REPLY read back. */
static char *
login (GError **error)
{
	g_autoptr (SoupSession) session = soup_session_new ();
	g_autofree char *url = g_strdup_printf ("https://%s:%d/thriftAuthenticator", opt_host,
						opt_mgt_port);
	g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, url);
	ThriftMemoryBuffer *out = g_object_new (THRIFT_TYPE_MEMORY_BUFFER, "buf_size", 65536, NULL);
	ThriftMemoryBuffer *in = g_object_new (THRIFT_TYPE_MEMORY_BUFFER, "buf_size", 65536, NULL);
	ThriftProtocol *oprot = g_object_new (THRIFT_TYPE_COMPACT_PROTOCOL, "transport", out, NULL);
	ThriftProtocol *iprot = g_object_new (THRIFT_TYPE_COMPACT_PROTOCOL, "transport", in, NULL);
	AmThriftAuthenticatorServiceIf *client =
		g_object_new (AM_THRIFT_TYPE_AUTHENTICATOR_SERVICE_CLIENT, "input_protocol", iprot,
			      "output_protocol", oprot, NULL);
	AmThriftAuthenticationException *ae = NULL;
	g_autoptr (GBytes) reply = NULL;
	char *sid = NULL;

	if (am_thrift_authenticator_service_client_send_authenticate (client, opt_user,
								      opt_password, error)) {
		g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate),
				  NULL);
		soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
					      "application/x-thrift");
		soup_message_set_request_body_from_bytes (
			msg, "application/x-thrift",
			g_bytes_new (out->buf->data, out->buf->len));
		reply = soup_session_send_and_read (session, msg, NULL, error);
	}
	if (reply != NULL && soup_message_get_status (msg) != SOUP_STATUS_OK)
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "login: HTTP %u",
			     soup_message_get_status (msg));
	else if (reply != NULL) {
		g_byte_array_append (in->buf, g_bytes_get_data (reply, NULL),
				     g_bytes_get_size (reply));
		if (!am_thrift_authenticator_service_client_recv_authenticate (client, &sid, &ae,
									       error) &&
		    ae != NULL) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "login refused: %s",
				     ae->message);
			g_object_unref (ae);
		}
	}
	g_object_unref (client);
	g_object_unref (iprot);
	g_object_unref (oprot);
	g_object_unref (in);
	g_object_unref (out);
	return sid;
}

static gboolean
authorize_any (ThriftTransport *t, X509 *cert, struct sockaddr_storage *addr, GError **error)
{
	return TRUE;
}

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

	return (x > y) - (x < y);
}

static gpointer
worker_run (gpointer data)
{
	Worker *w = data;
	g_autoptr (GError) error = NULL;
	g_autofree char *sid = login (&error);
	ThriftSSLSocket *sock;
	ThriftTransport *buffered;
	ThriftProtocol *proto;
	AmThriftAPIKeyValidationServiceIf *client;

	if (sid == NULL) {
		g_printerr ("login failed: %s\n", error ? error->message : "?");
		w->failures++;
		return NULL;
	}
	sock = thrift_ssl_socket_new_with_host (SSLTLS, opt_host, opt_port, &error);
	if (sock == NULL) {
		g_printerr ("TLS socket: %s\n", error->message);
		w->failures++;
		return NULL;
	}
	SSL_CTX_set_verify (sock->ctx, SSL_VERIFY_NONE, NULL);
	sock->allow_selfsigned = TRUE;
	thrift_ssl_socket_set_manager (sock, authorize_any);
	buffered = g_object_new (THRIFT_TYPE_BUFFERED_TRANSPORT, "transport", sock,
				 "r_buf_size", 16384, "w_buf_size", 16384, NULL);
	proto = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL, "transport", buffered, NULL);
	client = g_object_new (AM_THRIFT_TYPE_A_P_I_KEY_VALIDATION_SERVICE_CLIENT, "input_protocol",
			       proto, "output_protocol", proto, NULL);
	if (!thrift_transport_open (buffered, &error)) {
		g_printerr ("connect: %s\n", error->message);
		w->failures++;
	}
	while (error == NULL && g_get_monotonic_time () < w->deadline) {
		AmThriftAPIKeyValidationInfoDTO *info =
			g_object_new (AM_THRIFT_TYPE_A_P_I_KEY_VALIDATION_INFO_D_T_O, NULL);
		AmThriftAPIKeyMgtException *e1 = NULL;
		AmThriftAPIManagementException *e2 = NULL;
		gint64 t0 = g_get_monotonic_time (), dt;

		if (!am_thrift_a_p_i_key_validation_service_if_validate_key (
			    client, &info, opt_context, opt_version, opt_token, sid, "Any", NULL,
			    opt_resource, opt_verb, &e1, &e2, &error) ||
		    !info->authorized) {
			w->failures++;
			if (error == NULL)
				g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
					     "not authorized (%d) or exception",
					     info->validationStatus);
			g_printerr ("validateKey: %s\n", error->message);
		}
		dt = g_get_monotonic_time () - t0;
		g_array_append_val (w->latency_us, dt);
		w->calls++;
		g_clear_object (&e1);
		g_clear_object (&e2);
		g_object_unref (info);
	}
	thrift_transport_close (buffered, NULL);
	g_object_unref (client);
	g_object_unref (proto);
	g_object_unref (buffered);
	g_object_unref (sock);
	return NULL;
}

int
main (int argc, char **argv)
{
	g_autoptr (GOptionContext) ctx = g_option_context_new ("- Thrift validateKey load");
	g_autoptr (GError) error = NULL;
	g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));
	Worker *workers;
	guint64 calls = 0, failures = 0;
	gint64 start, elapsed;

	g_option_context_add_main_entries (ctx, entries, NULL);
	if (!g_option_context_parse (ctx, &argc, &argv, &error) || opt_token == NULL ||
	    opt_threads < 1) {
		g_printerr ("%s\n", error ? error->message : "--token is required");
		return 2;
	}
	thrift_ssl_socket_initialize_openssl ();
	workers = g_new0 (Worker, opt_threads);
	start = g_get_monotonic_time ();
	for (int i = 0; i < opt_threads; i++) {
		workers[i].deadline = start + (gint64) opt_seconds * G_USEC_PER_SEC;
		workers[i].latency_us = g_array_new (FALSE, FALSE, sizeof (gint64));
		workers[i].thread = g_thread_new ("client", worker_run, &workers[i]);
	}
	for (int i = 0; i < opt_threads; i++) {
		g_thread_join (workers[i].thread);
		calls += workers[i].calls;
		failures += workers[i].failures;
		g_array_append_vals (all, workers[i].latency_us->data, workers[i].latency_us->len);
		g_array_unref (workers[i].latency_us);
	}
	elapsed = g_get_monotonic_time () - start;
	g_array_sort (all, cmp_i64);
	if (all->len > 0)
		g_print ("threads=%d calls=%" G_GUINT64_FORMAT " failures=%" G_GUINT64_FORMAT
			 " seconds=%.2f rate=%.0f/s p50=%.2fms p99=%.2fms\n",
			 opt_threads, calls, failures, elapsed / 1e6, calls / (elapsed / 1e6),
			 g_array_index (all, gint64, all->len / 2) / 1e3,
			 g_array_index (all, gint64, all->len * 99 / 100) / 1e3);
	g_free (workers);
	return failures == 0 && calls > 0 ? 0 : 1;
}
