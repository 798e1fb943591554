/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Carbon admin services over SOAP (see am-soap.h).  Parsing follows Axis2:
 * the Content-Type picks the SOAP version and must match the envelope's
 * namespace, a DOCTYPE is refused (as Axiom refuses it), the Body's first
 * element names the operation; the faults carry Axis2's messages.
 *
 * The HTTP side is what Carbon does for an admin service (services.xml
 * DoAuthentication + AuthorizationAction, transport https): every call
 * carries HTTP Basic credentials, checked against the user store and the
 * permission; the call then gets a JSESSIONID cookie, which clients replay,
 * and later calls with a live session skip the user store.  Sessions live
 * in memory with Tomcat's default 30 minute sliding timeout.  The work of a
 * call (user store, the service itself) runs on a GTask worker thread while
 * the message is paused.  Credentials never reach the log.
 */
#define G_LOG_DOMAIN "am.core.soap"
#include "config.h"

#include "am-soap.h"
#include "am-mgmt.h"
#include "am-userstore.h"

#include <libxml/parser.h>
#include <openssl/rand.h>
#include <string.h>

#define SOAP_SESSION_TIMEOUT (30 * 60 * G_USEC_PER_SEC)
#define SOAP_MAX_SESSIONS 10000

/* ---- replies ---- */

void
am_soap_reply_free (AmSoapReply *reply)
{
	if (reply == NULL)
		return;
	g_free (reply->content_type);
	g_free (reply->body);
	g_free (reply);
}

static const char *
soap_ns (AmSoapVersion soap)
{
	return soap == AM_SOAP_12 ? AM_SOAP12_NS : AM_SOAP11_NS;
}

AmSoapReply *
am_soap_envelope (AmSoapVersion soap, guint status, const char *inner)
{
	AmSoapReply *reply = g_new0 (AmSoapReply, 1);

	reply->status = status;
	reply->content_type = g_strdup (soap == AM_SOAP_12 ? "application/soap+xml; charset=UTF-8"
							   : "text/xml; charset=UTF-8");
	reply->body = g_strdup_printf ("<?xml version='1.0' encoding='UTF-8'?>"
				       "<soapenv:Envelope xmlns:soapenv=\"%s\"><soapenv:Body>%s"
				       "</soapenv:Body></soapenv:Envelope>",
				       soap_ns (soap), inner);
	return reply;
}

AmSoapReply *
am_soap_fault (AmSoapVersion soap, guint status, AmSoapFaultCode code, const char *reason,
	       const char *detail)
{
	static const char *const codes11[] = { "Server", "Client", "VersionMismatch" };
	static const char *const codes12[] = { "Receiver", "Sender", "VersionMismatch" };
	g_autofree char *text = g_markup_escape_text (reason, -1);
	g_autofree char *inner = NULL;

	if (soap == AM_SOAP_12)
		inner = g_strdup_printf (
			"<soapenv:Fault><soapenv:Code><soapenv:Value>soapenv:%s</soapenv:Value>"
			"</soapenv:Code><soapenv:Reason><soapenv:Text xml:lang=\"en-US\">%s"
			"</soapenv:Text></soapenv:Reason>%s%s%s</soapenv:Fault>",
			codes12[code], text, detail ? "<soapenv:Detail>" : "", detail ? detail : "",
			detail ? "</soapenv:Detail>" : "");
	else
		inner = g_strdup_printf ("<soapenv:Fault><faultcode>soapenv:%s</faultcode>"
					 "<faultstring>%s</faultstring>%s%s%s</soapenv:Fault>",
					 codes11[code], text, detail ? "<detail>" : "",
					 detail ? detail : "", detail ? "</detail>" : "");
	return am_soap_envelope (soap, status, inner);
}

/* ---- parsing ---- */

gboolean
am_soap_node_is (xmlNode *node, const char *ns, const char *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE &&
	       strcmp ((const char *) node->name, name) == 0 &&
	       (ns == NULL ? node->ns == NULL
			   : node->ns != NULL && strcmp ((const char *) node->ns->href, ns) == 0);
}

xmlNode *
am_soap_first_element (xmlNode *node)
{
	for (; node != NULL; node = node->next)
		if (node->type == XML_ELEMENT_NODE)
			return node;
	return NULL;
}

gboolean
am_soap_version_of_type (const char *content_type, AmSoapVersion *soap)
{
	g_autofree char *type = NULL;
	const char *semi;

	if (content_type == NULL)
		return FALSE;
	semi = strchr (content_type, ';');
	type = g_ascii_strdown (content_type, semi ? semi - content_type : -1);
	g_strstrip (type);
	if (strcmp (type, "text/xml") == 0)
		*soap = AM_SOAP_11;
	else if (strcmp (type, "application/soap+xml") == 0)
		*soap = AM_SOAP_12;
	else
		return FALSE;
	return TRUE;
}

char *
am_soap_element_value (xmlNode *node)
{
	xmlChar *nil = xmlGetNsProp (node, (const xmlChar *) "nil", (const xmlChar *) AM_XSI_NS);
	gboolean is_nil = nil != NULL && (strcmp ((const char *) nil, "true") == 0 ||
					  strcmp ((const char *) nil, "1") == 0);
	xmlChar *text;
	char *value;

	xmlFree (nil);
	if (is_nil)
		return NULL;
	text = xmlNodeGetContent (node);
	value = g_strdup (text != NULL ? (const char *) text : "");
	xmlFree (text);
	return value;
}

/* The Envelope's Body's first element, or a fault. */
static xmlNode *
soap_body_element (xmlDoc *doc, AmSoapVersion *soap, gboolean have_type, AmSoapVersion type_soap,
		   AmSoapReply **fault)
{
	xmlNode *env = xmlDocGetRootElement (doc);
	xmlNode *node;
	const char *ns;

	if (env == NULL || strcmp ((const char *) env->name, "Envelope") != 0 || env->ns == NULL) {
		*fault = am_soap_fault (AM_SOAP_11, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					   AM_SOAP_FAULT_CLIENT,
					   "First Element must contain the local name, Envelope", NULL);
		return NULL;
	}
	ns = (const char *) env->ns->href;
	if (strcmp (ns, AM_SOAP11_NS) == 0) {
		*soap = AM_SOAP_11;
	} else if (strcmp (ns, AM_SOAP12_NS) == 0) {
		*soap = AM_SOAP_12;
	} else {
		*fault = am_soap_fault (AM_SOAP_11, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					   AM_SOAP_FAULT_VERSION_MISMATCH,
					   "Only SOAP 1.1 and SOAP 1.2 envelopes are accepted", NULL);
		return NULL;
	}
	if (have_type && type_soap != *soap) {
		*fault = am_soap_fault (*soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					   AM_SOAP_FAULT_CLIENT,
					   "Transport level information does not match with SOAP "
					   "Message namespace URI", NULL);
		return NULL;
	}
	node = am_soap_first_element (env->children);
	if (am_soap_node_is (node, ns, "Header"))
		node = am_soap_first_element (node->next);
	if (!am_soap_node_is (node, ns, "Body")) {
		*fault = am_soap_fault (*soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					   AM_SOAP_FAULT_CLIENT, "SOAP Envelope has no Body", NULL);
		return NULL;
	}
	return am_soap_first_element (node->children);
}

xmlDoc *
am_soap_parse (const char *content_type, const char *body, gsize len, gsize max_len,
	       const char *service_path, AmSoapVersion *soap, xmlNode **op, AmSoapReply **fault)
{
	/* NONET: never fetch anything; no NOENT/DTDLOAD: entities stay
	 * unexpanded; a DOCTYPE is refused below, as Axiom refuses it */
	const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			    XML_PARSE_NOCDATA;
	AmSoapVersion type_soap = AM_SOAP_11;
	gboolean have_type = am_soap_version_of_type (content_type, &type_soap);
	xmlParserCtxt *ctxt;
	xmlDoc *doc;

	*fault = NULL;
	*op = NULL;
	*soap = type_soap;
	if (!have_type) {
		*fault = am_soap_fault (AM_SOAP_11, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
					AM_SOAP_FAULT_CLIENT,
					"Content-Type must be text/xml (SOAP 1.1) or "
					"application/soap+xml (SOAP 1.2)",
					NULL);
		return NULL;
	}
	if (len > max_len) {
		*fault = am_soap_fault (type_soap, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
					AM_SOAP_FAULT_CLIENT, "Request too large", NULL);
		return NULL;
	}
	ctxt = xmlNewParserCtxt ();
	if (ctxt == NULL) {
		*fault = am_soap_fault (type_soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					AM_SOAP_FAULT_SERVER, "Out of memory", NULL);
		return NULL;
	}
	doc = xmlCtxtReadMemory (ctxt, body, (int) len, service_path, NULL, options);
	xmlFreeParserCtxt (ctxt);
	if (doc == NULL) {
		*fault = am_soap_fault (type_soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					AM_SOAP_FAULT_CLIENT, "Malformed SOAP envelope: not XML",
					NULL);
		return NULL;
	}
	if (doc->intSubset != NULL) {
		*fault = am_soap_fault (type_soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					AM_SOAP_FAULT_CLIENT,
					"SOAP message MUST NOT contain a Document Type "
					"Declaration(DTD)",
					NULL);
		xmlFreeDoc (doc);
		return NULL;
	}
	*op = soap_body_element (doc, soap, have_type, type_soap, fault);
	if (*fault != NULL) {
		xmlFreeDoc (doc);
		return NULL;
	}
	return doc;
}

/* ---- HTTP: sessions, authentication, the handler ---- */

struct _AmSoapAdmin {
	AmMgmt *mgmt;
	AmUserStore *userstore;
	char **paths;		/* paths[0] names the service */
	char *permission;
	gsize max_body;
	AmSoapAdminFunc fn;
	gpointer data;
	GMutex lock;		/* sessions, in_flight */
	GCond idle;
	GHashTable *sessions;	/* JSESSIONID -> SoapSession */
	guint in_flight;	/* calls on worker threads */
};
typedef struct _AmSoapAdmin SoapService;

typedef struct {
	char *user;
	gint64 last_used; /* monotonic */
} SoapSession;

static void
soap_session_free (gpointer p)
{
	SoapSession *s = p;

	g_free (s->user);
	g_free (s);
}

/* The user of a live session @id (its timeout restarts), or NULL. */
static char *
session_user (SoapService *svc, const char *id)
{
	gint64 now = g_get_monotonic_time ();
	SoapSession *s;
	char *user = NULL;

	if (id == NULL)
		return NULL;
	g_mutex_lock (&svc->lock);
	s = g_hash_table_lookup (svc->sessions, id);
	if (s != NULL && now - s->last_used > SOAP_SESSION_TIMEOUT) {
		g_hash_table_remove (svc->sessions, id);
	} else if (s != NULL) {
		s->last_used = now;
		user = g_strdup (s->user);
	}
	g_mutex_unlock (&svc->lock);
	return user;
}

static gboolean
session_expired (gpointer key, gpointer value, gpointer now)
{
	return *(gint64 *) now - ((SoapSession *) value)->last_used > SOAP_SESSION_TIMEOUT;
}

/* A new session for @user: its id (32 hex digits, like Tomcat's), or NULL
 * when the table is full of live sessions. */
static char *
session_new (SoapService *svc, const char *user)
{
	gint64 now = g_get_monotonic_time ();
	guint8 raw[16];
	SoapSession *s;
	char *id;

	if (RAND_bytes (raw, sizeof raw) != 1)
		return NULL;
	id = g_malloc (sizeof raw * 2 + 1);
	for (guint i = 0; i < sizeof raw; i++)
		g_snprintf (id + 2 * i, 3, "%02X", raw[i]);
	s = g_new0 (SoapSession, 1);
	s->user = g_strdup (user);
	s->last_used = now;
	g_mutex_lock (&svc->lock);
	if (g_hash_table_size (svc->sessions) >= SOAP_MAX_SESSIONS)
		g_hash_table_foreach_remove (svc->sessions, session_expired, &now);
	if (g_hash_table_size (svc->sessions) >= SOAP_MAX_SESSIONS) {
		soap_session_free (s);
		g_clear_pointer (&id, g_free);
	} else {
		g_hash_table_insert (svc->sessions, g_strdup (id), s);
	}
	g_mutex_unlock (&svc->lock);
	return id;
}

typedef struct {
	SoapService *svc;
	SoupServerMessage *msg;
	GBytes *body;
	char *content_type;
	char *user;		/* authenticated by session, or the Basic user */
	char *password;		/* Basic password when the session did not do */
	AmSoapReply *reply;
	char *new_session;	/* a JSESSIONID to set */
} SoapCall;

static void
soap_call_free (gpointer p)
{
	SoapCall *call = p;

	g_object_unref (call->msg);
	g_bytes_unref (call->body);
	g_free (call->content_type);
	g_free (call->user);
	if (call->password != NULL)
		memset (call->password, 0, strlen (call->password));
	g_free (call->password);
	am_soap_reply_free (call->reply);
	g_free (call->new_session);
	g_free (call);
}

static AmSoapReply *
soap_unauthorized (void)
{
	return am_soap_fault (AM_SOAP_11, SOUP_STATUS_UNAUTHORIZED, AM_SOAP_FAULT_CLIENT,
			      "Access Denied. Authentication failed - Invalid credentials provided.",
			      NULL);
}

/* Basic credentials against the user store and the service's permission;
 * a session on success.  Blocks. */
static AmSoapReply *
soap_call_login (SoapCall *call)
{
	SoapService *svc = call->svc;
	g_autoptr (GError) error = NULL;

	if (!am_userstore_authenticate (svc->userstore, call->user, call->password, &error)) {
		if (g_error_matches (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_AUTH))
			return soap_unauthorized ();
		g_warning ("SOAP %s: user store: %s", svc->paths[0], error->message);
		return am_soap_fault (AM_SOAP_11, SOUP_STATUS_INTERNAL_SERVER_ERROR,
				      AM_SOAP_FAULT_SERVER, "Authentication failed", NULL);
	}
	if (!am_userstore_is_authorized (svc->userstore, call->user, svc->permission, &error)) {
		if (error != NULL)
			g_warning ("SOAP %s: user store: %s", svc->paths[0], error->message);
		else
			g_message ("SOAP %s: user '%s' lacks %s", svc->paths[0], call->user,
				   svc->permission);
		return am_soap_fault (AM_SOAP_11,
					 error != NULL ? SOUP_STATUS_INTERNAL_SERVER_ERROR
						       : SOUP_STATUS_FORBIDDEN,
					 AM_SOAP_FAULT_CLIENT,
					 "Access Denied. Authorization failed - the user is not "
					 "authorized to perform this action",
					 NULL);
	}
	call->new_session = session_new (svc, call->user);
	return NULL;
}

static void
soap_call_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	SoapCall *call = data;
	SoapService *svc = call->svc;
	gsize len = 0;
	const char *body = g_bytes_get_data (call->body, &len);

	if (call->password != NULL)
		call->reply = soap_call_login (call);
	if (call->reply == NULL)
		call->reply = svc->fn (svc->data, call->content_type, body, len);

	g_mutex_lock (&svc->lock);
	svc->in_flight--;
	g_cond_broadcast (&svc->idle);
	g_mutex_unlock (&svc->lock);
	g_task_return_boolean (task, TRUE);
}

static void
soap_respond (SoupServerMessage *msg, const AmSoapReply *reply)
{
	am_mgmt_respond (msg, reply->status, reply->content_type, reply->body);
	if (reply->status == SOUP_STATUS_UNAUTHORIZED)
		soup_message_headers_replace (soup_server_message_get_response_headers (msg),
					      "WWW-Authenticate", "Basic realm=\"WSO2 Carbon\"");
}

static void
on_soap_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
	SoapCall *call = g_task_get_task_data (G_TASK (result));

	soap_respond (call->msg, call->reply);
	if (call->new_session != NULL) {
		g_autofree char *cookie = g_strdup_printf (
			"JSESSIONID=%s; Path=/; Secure; HttpOnly", call->new_session);

		soup_message_headers_append (soup_server_message_get_response_headers (call->msg),
					     "Set-Cookie", cookie);
	}
	soup_server_message_unpause (call->msg);
}

/* JSESSIONID from the Cookie header, or NULL. */
static char *
request_session_id (SoupServerMessage *msg)
{
	const char *h = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
						       "Cookie");
	g_autoptr (GHashTable) cookies = NULL;

	if (h == NULL)
		return NULL;
	cookies = soup_header_parse_semi_param_list (h);
	return g_strdup (g_hash_table_lookup (cookies, "JSESSIONID"));
}

/* "Authorization: Basic ..." -> user and password. */
static gboolean
request_basic_auth (SoupServerMessage *msg, char **user, char **password)
{
	const char *h = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
						      "Authorization");
	g_autofree guchar *raw = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;
	char *colon;

	if (h == NULL || g_ascii_strncasecmp (h, "Basic ", 6) != 0)
		return FALSE;
	raw = g_base64_decode (h + 6, &len);
	text = g_strndup ((const char *) raw, len);
	if (raw != NULL)
		memset (raw, 0, len);
	colon = strchr (text, ':');
	if (colon == NULL || colon == text || strlen (text) != len) {
		memset (text, 0, strlen (text));
		return FALSE;
	}
	*user = g_strndup (text, colon - text);
	*password = g_strdup (colon + 1);
	memset (text, 0, len);
	return TRUE;
}


static void
on_soap_request (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
		 gpointer user_data)
{
	SoapService *svc = user_data;
	GUri *uri = soup_server_message_get_uri (msg);
	SoupMessageBody *body = soup_server_message_get_request_body (msg);
	g_autoptr (GBytes) bytes = NULL;
	g_autoptr (AmSoapReply) early = NULL;
	g_autofree char *session_id = NULL;
	g_autoptr (GTask) task = NULL;
	SoapCall *call;

	if (!g_strv_contains ((const char *const *) svc->paths, path)) {
		soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
		return;
	}
	if (strcmp (soup_server_message_get_method (msg), "POST") != 0) {
		soup_message_headers_replace (soup_server_message_get_response_headers (msg),
					      "Allow", "POST");
		soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	/* services.xml exposes the admin service on https only; Axis2's
	 * DispatchPhase.validateTransport answers a call over another
	 * transport with this fault (before any authentication), so plain
	 * HTTP gets the same, not a 403. */
	if (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0) {
		g_autofree char *msg_text = g_strdup_printf (
			"The service cannot be found for the endpoint reference (EPR) %s", path);

		early = am_soap_fault (AM_SOAP_11, SOUP_STATUS_INTERNAL_SERVER_ERROR,
				       AM_SOAP_FAULT_SERVER, msg_text, NULL);
		soap_respond (msg, early);
		return;
	}
	if ((gsize) body->length > svc->max_body) {
		soup_server_message_set_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
		return;
	}

	call = g_new0 (SoapCall, 1);
	call->svc = svc;
	call->msg = g_object_ref (msg);
	call->content_type = g_strdup (soup_message_headers_get_one (
		soup_server_message_get_request_headers (msg), "Content-Type"));
	bytes = soup_message_body_flatten (body);
	call->body = g_bytes_ref (bytes);
	session_id = request_session_id (msg);
	call->user = session_user (svc, session_id);
	/* an anonymous service (no permission) takes no credentials at all */
	if (svc->permission != NULL && call->user == NULL &&
	    !request_basic_auth (msg, &call->user, &call->password)) {
		early = soap_unauthorized ();
		soap_respond (msg, early);
		soap_call_free (call);
		return;
	}
	g_mutex_lock (&svc->lock);
	svc->in_flight++;
	g_mutex_unlock (&svc->lock);
	task = g_task_new (NULL, NULL, on_soap_call_done, NULL);
	g_task_set_task_data (task, call, soap_call_free);
	soup_server_message_pause (msg);
	g_task_run_in_thread (task, soap_call_thread);
}

/* Refuse an oversized body from its Content-Length, before it is read. */
static void
on_soap_headers (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
		 gpointer user_data)
{
	SoapService *svc = user_data;
	SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);

	if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_CONTENT_LENGTH &&
	    soup_message_headers_get_content_length (h) > (goffset) svc->max_body)
		soup_server_message_set_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
}

/* ---- the service ---- */

AmSoapAdmin *
am_soap_admin_new (AmMgmt *mgmt, AmUserStore *us, const char *const *paths,
		   const char *permission, gsize max_body, AmSoapAdminFunc fn, gpointer data)
{
	SoapService *svc = g_new0 (SoapService, 1);

	svc->mgmt = mgmt;
	svc->userstore = us;
	svc->paths = g_strdupv ((char **) paths);
	svc->permission = g_strdup (permission);
	svc->max_body = max_body;
	svc->fn = fn;
	svc->data = data;
	g_mutex_init (&svc->lock);
	g_cond_init (&svc->idle);
	svc->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, soap_session_free);
	for (guint i = 0; svc->paths[i] != NULL; i++) {
		am_mgmt_add_handler (mgmt, svc->paths[i], on_soap_request, svc, NULL);
		soup_server_add_early_handler (am_mgmt_get_soup_server (mgmt), svc->paths[i],
					       on_soap_headers, svc, NULL);
	}
	g_debug ("SOAP admin service at %s (https)", svc->paths[0]);
	return svc;
}

void
am_soap_admin_free (AmSoapAdmin *svc)
{
	if (svc == NULL)
		return;
	/* removes the early handlers too */
	for (guint i = 0; svc->paths[i] != NULL; i++)
		am_mgmt_remove_handler (svc->mgmt, svc->paths[i]);
	/* calls on worker threads use the service: let them finish */
	g_mutex_lock (&svc->lock);
	while (svc->in_flight > 0)
		g_cond_wait (&svc->idle, &svc->lock);
	g_mutex_unlock (&svc->lock);
	/* their completions may still run on the main loop: they only touch
	 * the message, never @svc, so it can go */
	g_hash_table_unref (svc->sessions);
	g_cond_clear (&svc->idle);
	g_mutex_clear (&svc->lock);
	g_strfreev (svc->paths);
	g_free (svc->permission);
	g_free (svc);
}
