/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The management plane's HTTP server (libsoup 3 SoupServer on the main
 * context).  It listens where Carbon's Tomcat connectors did: the HTTPS
 * connector of catalina-server.xml (9443 + offset) with the carbon.xml
 * keystore's key and the HTTP connector (9763 + offset), on the connector's
 * `address` when set, else on every interface.  TLS is 1.2 or newer (the
 * GnuTLS priority is pinned in main()).
 *
 * Built-in handlers:
 *   /services/Version  what WSO2 load balancers probe: the Axis2 Version
 *                      service's getVersionResponse ("WSO2 API Manager-2.6.0")
 *   /health/live       200 while the process serves requests
 *   /health/ready      200 once every module started and the databases
 *                      this profile works on answer, 503 otherwise (and while stopping), with
 *                      details in application/health+json
 */
#define G_LOG_DOMAIN "am.core.mgmt"
#include "config.h"

#include "am-mgmt.h"

#include <json-glib/json-glib.h>
#include <string.h>

struct _AmMgmt {
	AmServer *server;
	SoupServer *soup;
	char *version;
};

void
am_mgmt_respond (SoupServerMessage *msg, guint status, const char *content_type,
		 const char *body)
{
	soup_server_message_set_status (msg, status, NULL);
	if (body != NULL)
		soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, body,
						  strlen (body));
}

SoupServer *
am_mgmt_get_soup_server (AmMgmt *mgmt)
{
	return mgmt->soup;
}

void
am_mgmt_add_handler (AmMgmt *mgmt, const char *path, SoupServerCallback callback,
		     gpointer user_data, GDestroyNotify destroy)
{
	soup_server_add_handler (mgmt->soup, path, callback, user_data, destroy);
}

void
am_mgmt_remove_handler (AmMgmt *mgmt, const char *path)
{
	soup_server_remove_handler (mgmt->soup, path);
}

char *
am_mgmt_base_url (AmMgmt *mgmt, gboolean https)
{
	AmConf *conf = am_server_get_conf (mgmt->server);
	const AmPorts *p = am_conf_ports (conf);
	const AmCoreConf *core = am_conf_core (conf);
	const char *host = core->mgt_host_name ? core->mgt_host_name
					       : am_conf_property (conf, "carbon.local.ip");

	return g_strdup_printf ("%s://%s:%d", https ? "https" : "http", host,
				https ? p->mgt_https_proxy : p->mgt_http_proxy);
}

/* ---- /services/Version ---- */

static void
on_version (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
	    gpointer user_data)
{
	AmMgmt *self = user_data;
	const char *method = soup_server_message_get_method (msg);
	g_autofree char *body = NULL;
	g_autofree char *escaped = g_markup_escape_text (self->version, -1);

	if (strcmp (method, "GET") != 0 && strcmp (method, "POST") != 0 &&
	    strcmp (method, "HEAD") != 0) {
		soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	if (strcmp (method, "POST") == 0) {
		/* a SOAP call of getVersion gets a SOAP envelope back */
		body = g_strdup_printf (
			"<?xml version='1.0' encoding='UTF-8'?>"
			"<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
			"<soapenv:Body><ns:getVersionResponse "
			"xmlns:ns=\"http://version.services.core.carbon.wso2.org\">"
			"<return>%s</return></ns:getVersionResponse></soapenv:Body>"
			"</soapenv:Envelope>",
			escaped);
		am_mgmt_respond (msg, SOUP_STATUS_OK, "text/xml; charset=UTF-8", body);
		return;
	}
	body = g_strdup_printf ("<ns:getVersionResponse "
				"xmlns:ns=\"http://version.services.core.carbon.wso2.org\">"
				"<return>%s</return></ns:getVersionResponse>",
				escaped);
	am_mgmt_respond (msg, SOUP_STATUS_OK, "application/xml; charset=UTF-8", body);
}

/* ---- health ---- */

static void
on_live (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
	 gpointer user_data)
{
	am_mgmt_respond (msg, SOUP_STATUS_OK, "application/health+json", "{\"status\":\"pass\"}");
}

typedef struct {
	AmMgmt *mgmt;
	SoupServerMessage *msg;
	GPtrArray *dbs; /* of AmDb*, refs */
	gboolean ready;
} ReadyCheck;

static void
ready_check_free (gpointer data)
{
	ReadyCheck *rc = data;

	g_object_unref (rc->msg);
	g_ptr_array_unref (rc->dbs);
	g_free (rc);
}

/* Worker thread: ping every database, build the health document. */
static void
ready_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	ReadyCheck *rc = data;
	g_autoptr (JsonBuilder) b = json_builder_new ();
	g_autoptr (JsonGenerator) gen = json_generator_new ();
	g_autoptr (JsonNode) root = NULL;
	gboolean pass = rc->ready;

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "details");
	json_builder_begin_object (b);
	json_builder_set_member_name (b, "server:started");
	json_builder_begin_object (b);
	json_builder_set_member_name (b, "status");
	json_builder_add_string_value (b, rc->ready ? "pass" : "fail");
	json_builder_end_object (b);
	for (guint i = 0; i < rc->dbs->len; i++) {
		g_autoptr (GError) error = NULL;
		g_autofree char *key = g_strdup_printf ("%s:responseTime",
							am_db_get_name (rc->dbs->pdata[i]));
		gint64 t0 = g_get_monotonic_time ();
		gboolean ok = am_db_ping (rc->dbs->pdata[i], &error);

		pass = pass && ok;
		json_builder_set_member_name (b, key);
		json_builder_begin_object (b);
		json_builder_set_member_name (b, "componentType");
		json_builder_add_string_value (b, "datastore");
		json_builder_set_member_name (b, "observedValue");
		json_builder_add_double_value (b, (g_get_monotonic_time () - t0) / 1000.0);
		json_builder_set_member_name (b, "observedUnit");
		json_builder_add_string_value (b, "ms");
		json_builder_set_member_name (b, "status");
		json_builder_add_string_value (b, ok ? "pass" : "fail");
		if (!ok) {
			json_builder_set_member_name (b, "output");
			json_builder_add_string_value (b, error->message);
		}
		json_builder_end_object (b);
	}
	json_builder_end_object (b);
	json_builder_set_member_name (b, "status");
	json_builder_add_string_value (b, pass ? "pass" : "fail");
	json_builder_end_object (b);
	root = json_builder_get_root (b);
	json_generator_set_root (gen, root);
	rc->ready = pass;
	g_task_return_pointer (task, json_generator_to_data (gen, NULL), g_free);
}

static void
on_ready_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
	ReadyCheck *rc = g_task_get_task_data (G_TASK (result));
	g_autofree char *body = g_task_propagate_pointer (G_TASK (result), NULL);

	am_mgmt_respond (rc->msg, rc->ready ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE,
			 "application/health+json", body);
	soup_server_message_unpause (rc->msg);
}

static void
on_ready (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
	  gpointer user_data)
{
	AmMgmt *self = user_data;
	GPtrArray *dbs = am_server_get_dbs_in_use (self->server);
	ReadyCheck *rc = g_new0 (ReadyCheck, 1);
	g_autoptr (GTask) task = NULL;

	rc->mgmt = self;
	rc->msg = g_object_ref (msg);
	rc->ready = am_server_is_ready (self->server);
	rc->dbs = g_ptr_array_new_with_free_func ((GDestroyNotify) am_db_unref);
	/* while starting or stopping, say so without touching the databases */
	for (guint i = 0; rc->ready && dbs != NULL && i < dbs->len; i++)
		g_ptr_array_add (rc->dbs, am_db_ref (dbs->pdata[i]));
	task = g_task_new (NULL, NULL, on_ready_done, NULL);
	g_task_set_task_data (task, rc, ready_check_free);
	soup_server_message_pause (msg);
	g_task_run_in_thread (task, ready_thread);
}

/* ---- listening ---- */

static const AmConnectorConf *
mgmt_connector (const AmCoreConf *core, gboolean ssl)
{
	for (guint i = 0; core->connectors != NULL && i < core->connectors->len; i++) {
		const AmConnectorConf *c = core->connectors->pdata[i];
		if ((c->ssl || g_strcmp0 (c->scheme, "https") == 0) == ssl)
			return c;
	}
	return NULL;
}

static gboolean
mgmt_listen (AmMgmt *self, const AmConnectorConf *conn, int port, gboolean https,
	     GError **error)
{
	SoupServerListenOptions opts = https ? SOUP_SERVER_LISTEN_HTTPS : 0;
	g_autoptr (GSocketAddress) addr = NULL;

	if (conn == NULL || conn->address == NULL || *conn->address == '\0' ||
	    strcmp (conn->address, "0.0.0.0") == 0)
		return soup_server_listen_all (self->soup, port, opts, error);
	addr = g_inet_socket_address_new_from_string (conn->address, port);
	if (addr == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			     "catalina-server.xml: Connector address '%s' is not an IP address",
			     conn->address);
		return FALSE;
	}
	return soup_server_listen (self->soup, addr, opts, error);
}

static void mgmt_stop (gpointer state);

static gpointer
mgmt_start (AmServer *server, GError **error)
{
	AmConf *conf = am_server_get_conf (server);
	const AmCoreConf *core = am_conf_core (conf);
	const AmPorts *ports = am_conf_ports (conf);
	AmMgmt *self = g_new0 (AmMgmt, 1);
	g_autoptr (GTlsCertificate) cert = NULL;
	g_autofree char *https_url = NULL;

	self->server = server;
	self->version = g_strdup_printf ("%s-%s", core->server_name, core->server_version);
	cert = am_keystore_to_tls_certificate (am_server_get_keystore (server), error);
	if (cert == NULL) {
		g_prefix_error (error, "keystore: ");
		mgmt_stop (self);
		return NULL;
	}
	self->soup = soup_server_new ("server-header", "WSO2 Carbon Server", "tls-certificate",
				      cert, NULL);
	soup_server_add_handler (self->soup, "/services/Version", on_version, self, NULL);
	soup_server_add_handler (self->soup, "/health/live", on_live, self, NULL);
	soup_server_add_handler (self->soup, "/health/ready", on_ready, self, NULL);

	if (!mgmt_listen (self, mgmt_connector (core, TRUE), ports->mgt_https, TRUE, error)) {
		g_prefix_error (error, "HTTPS port %d: ", ports->mgt_https);
		mgmt_stop (self);
		return NULL;
	}
	if (!mgmt_listen (self, mgmt_connector (core, FALSE), ports->mgt_http, FALSE, error)) {
		g_prefix_error (error, "HTTP port %d: ", ports->mgt_http);
		mgmt_stop (self);
		return NULL;
	}
	am_server_set_mgmt (server, self);
	https_url = am_mgmt_base_url (self, TRUE);
	g_message ("Management HTTPS on port %d, HTTP on port %d (%s/services/Version)",
		   ports->mgt_https, ports->mgt_http, https_url);
	return self;
}

static void
mgmt_stop (gpointer state)
{
	AmMgmt *self = state;

	if (self->soup != NULL) {
		soup_server_disconnect (self->soup);
		g_object_unref (self->soup);
	}
	if (am_server_get_mgmt (self->server) == self)
		am_server_set_mgmt (self->server, NULL);
	g_free (self->version);
	g_free (self);
}

const AmModule am_mgmt_module = {
	.name = "mgmt",
	.start = mgmt_start,
	.stop = mgmt_stop,
};
