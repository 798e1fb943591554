/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Publisher's client of the gateway admin service APIGatewayAdmin, as
 * a WSO2 API-M 2.x Publisher uses it (APIGatewayManager driving one
 * APIGatewayAdminClient per api-manager.xml Environment): for each
 * environment the API is published to, getApi tells whether the API is
 * there, then updateApi or addApi sends the synapse configuration rendered
 * for the environment's type; getDefaultApi then decides between
 * updateDefaultApi and addDefaultAPI for the default version.  Removal is
 * getApi + deleteApi and getDefaultApi + deleteDefaultApi.  An environment
 * of a type the API has no endpoint for is skipped, as APIGatewayManager
 * skips it.
 *
 * The calls are what the Axis2 stub of a 2.x Publisher sends: SOAP 1.1,
 * text/xml, SOAPAction "urn:<operation>", the operation element and its
 * parameters qualified in the service's namespace, HTTP Basic with the
 * environment's Username/Password on every call (Carbon's
 * setBasicAccessSecurityHeaders), posted to <ServerURL>APIGatewayAdmin.
 *
 * TLS: a server certificate is accepted when its chain verifies against
 * carbon.xml's TrustStore (any certificate in it is a trust anchor, as in
 * a Java truststore) or the system CAs; the host name is not checked when
 * the chain is trusted (Carbon's admin clients do not check it), an
 * untrusted chain is always refused.
 *
 * Beyond WSO2: a default-version API of another version is left alone
 * when this one is published without being the default or removed
 * (WSO2 knows from its database which version the gateway's default API
 * forwards to; here the deployed default API is asked: getDefaultApi's
 * resources hold the forwarding endpoint).  Each environment gets its own
 * result; one failing does not stop the others.  Passwords never reach a
 * result or the log.
 */
#define G_LOG_DOMAIN "am.publisher"
#include "config.h"

#include "am-pub-gateway.h"
#include "am-gw-admin.h"
#include "am-soap.h"

#include <libsoup/soup.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <string.h>

#define GW_SERVICE "APIGatewayAdmin"
/* seconds for connecting and for each read or write */
#define GW_TIMEOUT 30
/* a getApi answer of an API with many resources stays well below */
#define GW_MAX_REPLY (16 * 1024 * 1024)

struct _AmPubGateways {
	const AmApimConf *apim;
	AmPubSynapseOptions options;
	X509_STORE *trust; /* the truststore's certificates + the system CAs */
};

/* One environment during a publish or remove. */
typedef struct {
	AmPubGateways *gws;
	SoupSession *session;
	const AmEnvironmentConf *env;
	char *url;	/* <ServerURL>APIGatewayAdmin */
	char *shown;	/* the same without user info, for messages */
	char *basic;	/* "Basic ..." or NULL; wiped when done */
	char *tls_why;	/* why our own chain check refused the certificate */
} GwCall;

static void
gw_call_clear (GwCall *c)
{
	if (c->basic != NULL)
		OPENSSL_cleanse (c->basic, strlen (c->basic));
	g_free (c->basic);
	g_free (c->url);
	g_free (c->shown);
	g_free (c->tls_why);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GwCall, gw_call_clear)

void
am_pub_gateway_result_free (AmPubGatewayResult *result)
{
	if (result == NULL)
		return;
	g_free (result->environment);
	g_free (result->error);
	g_free (result);
}

gboolean
am_pub_gateway_results_ok (const GPtrArray *results)
{
	for (guint i = 0; results != NULL && i < results->len; i++)
		if (((const AmPubGatewayResult *) results->pdata[i])->error != NULL)
			return FALSE;
	return TRUE;
}

/* ---- the gateways ---- */

AmPubGateways *
am_pub_gateways_new (const AmApimConf *apim, AmKeystore *truststore,
		     const AmPubSynapseOptions *options)
{
	AmPubGateways *gws;

	g_return_val_if_fail (apim != NULL, NULL);
	gws = g_new0 (AmPubGateways, 1);
	gws->apim = apim;
	if (options != NULL)
		gws->options = *options;
	else
		am_pub_synapse_options_init (&gws->options);
	gws->trust = X509_STORE_new ();
	g_assert (gws->trust != NULL);
	/* a Java truststore entry is an anchor even when it is not a root */
	X509_STORE_set_flags (gws->trust, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_STORE_set_default_paths (gws->trust) != 1)
		g_debug ("the system CA certificates could not be loaded");
	if (truststore != NULL) {
		GPtrArray *certs = am_keystore_get_certificates (truststore);

		for (guint i = 0; certs != NULL && i < certs->len; i++)
			X509_STORE_add_cert (gws->trust, certs->pdata[i]);
	}
	return gws;
}

void
am_pub_gateways_free (AmPubGateways *gws)
{
	if (gws == NULL)
		return;
	X509_STORE_free (gws->trust);
	g_free (gws);
}

/* ---- TLS ---- */

static X509 *
gw_x509 (GTlsCertificate *cert)
{
	g_autoptr (GByteArray) der = NULL;
	const unsigned char *p;

	g_object_get (cert, "certificate", &der, NULL);
	if (der == NULL)
		return NULL;
	p = der->data;
	return d2i_X509 (NULL, &p, (long) der->len);
}

/* libsoup asks when the system's validation failed (unknown CA, host name,
 * ...): accept when the chain the server sent verifies against our trust
 * anchors, whatever the host name. */
static gboolean
gw_accept_certificate (SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors,
		       gpointer data)
{
	GwCall *c = data;
	STACK_OF (X509) *chain = sk_X509_new_null ();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new ();
	X509 *leaf = gw_x509 (cert);
	gboolean ok = FALSE;

	for (GTlsCertificate *i = g_tls_certificate_get_issuer (cert); i != NULL;
	     i = g_tls_certificate_get_issuer (i)) {
		X509 *x = gw_x509 (i);

		if (x != NULL && !sk_X509_push (chain, x))
			X509_free (x);
	}
	g_clear_pointer (&c->tls_why, g_free);
	if (leaf == NULL || chain == NULL || ctx == NULL) {
		c->tls_why = g_strdup ("the server's certificate cannot be read");
	} else if (X509_STORE_CTX_init (ctx, c->gws->trust, leaf, chain) != 1) {
		c->tls_why = g_strdup ("the certificate check could not start");
	} else {
		X509_STORE_CTX_set_purpose (ctx, X509_PURPOSE_SSL_SERVER);
		ok = X509_verify_cert (ctx) == 1;
		if (!ok)
			c->tls_why = g_strdup (
				X509_verify_cert_error_string (X509_STORE_CTX_get_error (ctx)));
	}
	if (ok && (errors & G_TLS_CERTIFICATE_BAD_IDENTITY))
		g_debug ("%s: trusted certificate for another host name, accepted", c->shown);
	X509_STORE_CTX_free (ctx);
	X509_free (leaf);
	sk_X509_pop_free (chain, X509_free);
	return ok;
}

/* ---- SOAP ---- */

static gboolean gw_fail (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
gw_fail (GError **error, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start (ap, fmt);
	msg = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	g_set_error_literal (error, AM_PUB_ERROR, AM_PUB_ERROR_GATEWAY, msg);
	return FALSE;
}

static xmlNode *
gw_element (xmlNode *n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

static gboolean
gw_is_nil (xmlNode *n)
{
	xmlChar *nil = xmlGetNsProp (n, (const xmlChar *) "nil", (const xmlChar *) AM_XSI_NS);
	gboolean yes = nil != NULL && (strcmp ((const char *) nil, "true") == 0 ||
				       strcmp ((const char *) nil, "1") == 0);

	xmlFree (nil);
	return yes;
}

/* The text of a fault: SOAP 1.1 faultstring, SOAP 1.2 Reason/Text. */
static char *
gw_fault_reason (xmlNode *fault)
{
	for (xmlNode *n = gw_element (fault->children); n != NULL; n = gw_element (n->next)) {
		xmlNode *text = n;
		xmlChar *s;
		char *reason;

		if (strcmp ((const char *) n->name, "Reason") == 0)
			text = gw_element (n->children);
		else if (strcmp ((const char *) n->name, "faultstring") != 0)
			continue;
		if (text == NULL)
			continue;
		s = xmlNodeGetContent (text);
		reason = g_strstrip (g_strdup (s != NULL ? (const char *) s : ""));
		xmlFree (s);
		return reason;
	}
	return g_strdup ("(no reason given)");
}

/* The body of the answer, at most GW_MAX_REPLY bytes. */
static GBytes *
gw_read (GInputStream *in, GError **error)
{
	g_autoptr (GByteArray) buf = g_byte_array_new ();
	guint8 chunk[16384];

	for (;;) {
		gssize n = g_input_stream_read (in, chunk, sizeof chunk, NULL, error);

		if (n < 0)
			return NULL;
		if (n == 0)
			break;
		if (buf->len + (gsize) n > GW_MAX_REPLY) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
				     "the answer exceeds %d bytes", GW_MAX_REPLY);
			return NULL;
		}
		g_byte_array_append (buf, chunk, (guint) n);
	}
	return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

/* Call @op with @args (name, value pairs; a NULL value is sent xsi:nil).
 * On success @present tells whether the response has a non-nil <return>
 * and @text (optional) gets its text content. */
static gboolean
gw_soap (GwCall *c, const char *op, const char *const *args, gboolean *present, char **text,
	 GError **error)
{
	g_autoptr (GString) env = g_string_new (
		"<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"" AM_SOAP11_NS
		"\"><soapenv:Body>");
	g_autofree char *action = g_strdup_printf ("\"urn:%s\"", op);
	g_autofree char *response = g_strconcat (op, "Response", NULL);
	g_autoptr (SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, c->url);
	g_autoptr (GInputStream) in = NULL;
	g_autoptr (GBytes) reply = NULL;
	g_autoptr (GError) local = NULL;
	SoupMessageHeaders *h;
	xmlNode *root, *body, *node;
	xmlDoc *doc;
	guint status;
	gsize len;
	const char *data;

	if (msg == NULL)
		return gw_fail (error, "ServerURL %s is not a usable URL", c->shown);
	g_string_append_printf (env, "<ns:%s xmlns:ns=\"" AM_GW_ADMIN_NS "\">", op);
	for (guint i = 0; args[i] != NULL; i += 2) {
		if (args[i + 1] == NULL) {
			g_string_append_printf (env,
						"<ns:%s xmlns:xsi=\"" AM_XSI_NS
						"\" xsi:nil=\"true\"/>",
						args[i]);
		} else {
			g_autofree char *v = g_markup_escape_text (args[i + 1], -1);

			g_string_append_printf (env, "<ns:%s>%s</ns:%s>", args[i], v, args[i]);
		}
	}
	g_string_append_printf (env, "</ns:%s></soapenv:Body></soapenv:Envelope>", op);

	/* a redirect would turn the POST into a GET and take the credentials
	 * elsewhere: reported instead */
	soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
	g_signal_connect (msg, "accept-certificate", G_CALLBACK (gw_accept_certificate), c);
	h = soup_message_get_request_headers (msg);
	soup_message_headers_replace (h, "SOAPAction", action);
	if (c->basic != NULL)
		soup_message_headers_replace (h, "Authorization", c->basic);
	len = env->len;
	soup_message_set_request_body_from_bytes (
		msg, "text/xml; charset=UTF-8",
		g_bytes_new_take (g_string_free (g_steal_pointer (&env), FALSE), len));
	g_clear_pointer (&c->tls_why, g_free);
	in = soup_session_send (c->session, msg, NULL, &local);
	if (in != NULL)
		reply = gw_read (in, &local);
	if (reply == NULL) {
		if (c->tls_why != NULL)
			return gw_fail (error,
					"TLS failure with %s: the gateway's certificate is not "
					"trusted (%s); add it or its CA to carbon.xml's TrustStore",
					c->shown, c->tls_why);
		if (local->domain == G_TLS_ERROR)
			return gw_fail (error, "TLS failure with %s: %s", c->shown,
					local->message);
		return gw_fail (error, "cannot reach the gateway at %s: %s", c->shown,
				local->message);
	}
	status = soup_message_get_status (msg);
	if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
		return gw_fail (error,
				"the gateway at %s refused the credentials of '%s' (HTTP %u %s: "
				"authentication failed; check the environment's Username and "
				"Password)",
				c->shown, c->env->username != NULL ? c->env->username : "",
				status, soup_status_get_phrase (status));
	if (SOUP_STATUS_IS_REDIRECTION (status)) {
		const char *to = soup_message_headers_get_one (
			soup_message_get_response_headers (msg), "Location");

		return gw_fail (error, "%s redirects (HTTP %u) to %s: correct the ServerURL",
				c->shown, status, to != NULL ? to : "nowhere");
	}
	data = g_bytes_get_data (reply, &len);
	doc = len > 0 && len <= G_MAXINT
		      ? xmlReadMemory (data, (int) len, "reply", NULL,
				       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
		      : NULL;
	root = doc != NULL && doc->intSubset == NULL ? xmlDocGetRootElement (doc) : NULL;
	body = root != NULL && root->ns != NULL &&
			       (strcmp ((const char *) root->ns->href, AM_SOAP11_NS) == 0 ||
				strcmp ((const char *) root->ns->href, AM_SOAP12_NS) == 0) &&
			       strcmp ((const char *) root->name, "Envelope") == 0
		       ? gw_element (root->children)
		       : NULL;
	if (body != NULL && strcmp ((const char *) body->name, "Header") == 0)
		body = gw_element (body->next);
	if (body == NULL || strcmp ((const char *) body->name, "Body") != 0) {
		xmlFreeDoc (doc);
		return gw_fail (error, "%s answered %s: HTTP %u %s, not a SOAP envelope", c->shown,
				op, status, soup_status_get_phrase (status));
	}
	node = gw_element (body->children);
	if (node != NULL && strcmp ((const char *) node->name, "Fault") == 0) {
		g_autofree char *reason = gw_fault_reason (node);

		xmlFreeDoc (doc);
		return gw_fail (error, "%s failed on the gateway: %s", op, reason);
	}
	if (status != SOUP_STATUS_OK || node == NULL ||
	    strcmp ((const char *) node->name, response) != 0) {
		xmlFreeDoc (doc);
		return gw_fail (error, "%s answered %s with HTTP %u %s and no %s", c->shown, op,
				status, soup_status_get_phrase (status), response);
	}
	node = gw_element (node->children);
	while (node != NULL && strcmp ((const char *) node->name, "return") != 0)
		node = gw_element (node->next);
	*present = node != NULL && !gw_is_nil (node);
	if (text != NULL) {
		xmlChar *s = *present ? xmlNodeGetContent (node) : NULL;

		*text = s != NULL ? g_strdup ((const char *) s) : NULL;
		xmlFree (s);
	}
	xmlFreeDoc (doc);
	return TRUE;
}

/* An operation answering a boolean (add, update, delete): true. */
static gboolean
gw_do (GwCall *c, const char *op, const char *const *args, GError **error)
{
	g_autofree char *text = NULL;
	gboolean present = FALSE;

	if (!gw_soap (c, op, args, &present, &text, error))
		return FALSE;
	if (!present || g_strcmp0 (g_strstrip (text), "true") != 0)
		return gw_fail (error, "%s failed on the gateway: it answered %s", op,
				present ? text : "nothing");
	return TRUE;
}

/* ---- one environment ---- */

static gboolean
gw_call_init (GwCall *c, AmPubGateways *gws, SoupSession *session, const char *name,
	      GError **error)
{
	g_autoptr (GUri) uri = NULL;
	const char *base;

	c->gws = gws;
	c->session = session;
	c->env = am_apim_conf_find_environment (gws->apim, name);
	if (c->env == NULL)
		return gw_fail (error,
				"no gateway environment named '%s' in api-manager.xml "
				"(APIGateway/Environments)",
				name);
	base = c->env->server_url;
	if (base == NULL || base[0] == '\0')
		return gw_fail (error, "the environment has no ServerURL");
	/* WSO2 appends the service name to ServerURL as is */
	c->url = g_strconcat (base, g_str_has_suffix (base, "/") ? "" : "/", GW_SERVICE, NULL);
	uri = g_uri_parse (c->url, SOUP_HTTP_URI_FLAGS, NULL);
	if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
			    g_strcmp0 (g_uri_get_scheme (uri), "https") != 0) ||
	    g_uri_get_host (uri) == NULL) {
		c->shown = g_strdup ("the environment's ServerURL");
		return gw_fail (error, "ServerURL is not an http(s) URL");
	}
	c->shown = g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);
	if (c->env->username != NULL && c->env->username[0] != '\0') {
		g_autofree char *pair = g_strconcat (c->env->username, ":",
						     c->env->password != NULL ? c->env->password : "",
						     NULL);
		g_autofree char *b64 = g_base64_encode ((const guchar *) pair, strlen (pair));

		c->basic = g_strconcat ("Basic ", b64, NULL);
		OPENSSL_cleanse (pair, strlen (pair));
		OPENSSL_cleanse (b64, strlen (b64));
	}
	return TRUE;
}

/* Whether the deployed default-version API's text (getDefaultApi's return)
 * forwards to @api's version: its endpoint holds the versioned context. */
static gboolean
gw_default_is_ours (const AmApi *api, const char *text)
{
	g_autofree char *fwd = NULL;
	const char *p;

	if (text == NULL)
		return FALSE;
	if (api->context != NULL && api->context[0] != '\0') {
		fwd = g_strdup (api->context);
	} else if (api->context_template != NULL) {
		g_autoptr (GString) t = g_string_new (api->context_template);

		g_string_replace (t, "{version}", api->version, 0);
		fwd = g_string_free (g_steal_pointer (&t), FALSE);
	} else {
		return FALSE;
	}
	if (fwd[0] != '/') {
		char *slashed = g_strconcat ("/", fwd, NULL);

		g_free (fwd);
		fwd = slashed;
	}
	for (p = strstr (text, fwd); p != NULL; p = strstr (p + 1, fwd)) {
		char next = p[strlen (fwd)];

		/* not a longer context or version ("/x/1.0.0" in "/x/1.0.01") */
		if (next == '\0' || (!g_ascii_isalnum (next) && strchr ("._~-", next) == NULL))
			return TRUE;
	}
	return FALSE;
}

static AmPubEnvType
gw_env_type (const AmEnvironmentConf *env)
{
	switch ((AmEnvironmentType) env->type) {
	case AM_ENV_PRODUCTION:
		return AM_PUB_ENV_PRODUCTION;
	case AM_ENV_SANDBOX:
		return AM_PUB_ENV_SANDBOX;
	case AM_ENV_HYBRID:
		break;
	}
	return AM_PUB_ENV_HYBRID;
}

/* The default-version API after the versioned one is in place. */
static gboolean
gw_publish_default (GwCall *c, const AmApi *api, const char *provider, GError **error)
{
	const char *const get_args[] = { "apiProviderName", provider, "apiName", api->name,
					 "version", api->version, NULL };
	g_autofree char *deployed = NULL;
	gboolean present = FALSE;

	if (!gw_soap (c, "getDefaultApi", get_args, &present, &deployed, error))
		return FALSE;
	if (api->is_default_version) {
		g_autofree char *xml = am_pub_synapse_generate_default (api, error);
		const char *args[] = { "apiProviderName", provider, "apiName", api->name,
				       "version", api->version, "apiConfig", xml, NULL };

		if (xml == NULL) {
			g_prefix_error (error, "cannot generate the default-version API: ");
			return FALSE;
		}
		return gw_do (c, present ? "updateDefaultApi" : "addDefaultAPI", args, error);
	}
	if (present && gw_default_is_ours (api, deployed))
		return gw_do (c, "deleteDefaultApi", get_args, error);
	return TRUE;
}

/* NULL: deployed or skipped; else the reason it is not. */
static char *
gw_publish_one (AmPubGateways *gws, SoupSession *session, const AmApi *api, const char *name,
		const char *qualified)
{
	g_auto (GwCall) c = { 0 };
	g_autoptr (GError) error = NULL;
	g_autofree char *provider = am_api_provider_to_registry (api->provider);
	g_autofree char *xml = NULL;
	AmPubSynapseOptions options;
	const char *op;
	gboolean present = FALSE;

	if (!gw_call_init (&c, gws, session, name, &error))
		return g_strdup (error->message);
	options = gws->options;
	options.environment_type = gw_env_type (c.env);
	if (!am_pub_synapse_deployable (api, options.environment_type, &error)) {
		if (g_error_matches (error, AM_PUB_ERROR, AM_PUB_ERROR_NO_ENDPOINT) &&
		    options.environment_type != AM_PUB_ENV_HYBRID) {
			g_message ("API %s not deployed to gateway environment '%s': %s",
				   qualified, name, error->message);
			return NULL;
		}
		return g_strdup_printf ("cannot generate the synapse API: %s", error->message);
	}
	xml = am_pub_synapse_generate (api, &options, &error);
	if (xml == NULL)
		return g_strdup_printf ("cannot generate the synapse API: %s", error->message);
	{
		const char *get_args[] = { "apiProviderName", provider, "apiName", api->name,
					   "version", api->version, NULL };
		const char *args[] = { "apiProviderName", provider, "apiName", api->name,
				       "version", api->version, "apiConfig", xml, NULL };

		if (!gw_soap (&c, "getApi", get_args, &present, NULL, &error))
			return g_strdup (error->message);
		op = present ? "updateApi" : "addApi";
		if (!gw_do (&c, op, args, &error))
			return g_strdup (error->message);
	}
	if (!gw_publish_default (&c, api, provider, &error))
		return g_strdup (error->message);
	g_message ("API %s %s on gateway environment '%s'%s", qualified,
		   present ? "updated" : "deployed", name,
		   api->is_default_version ? " (and as the default version)" : "");
	return NULL;
}

static char *
gw_remove_one (AmPubGateways *gws, SoupSession *session, const AmApi *api, const char *name,
	       const char *qualified)
{
	g_auto (GwCall) c = { 0 };
	g_autoptr (GError) error = NULL;
	g_autofree char *provider = am_api_provider_to_registry (api->provider);
	g_autofree char *deployed = NULL;
	const char *args[] = { "apiProviderName", provider, "apiName", api->name,
			       "version", api->version, NULL };
	gboolean present = FALSE, removed = FALSE;

	if (!gw_call_init (&c, gws, session, name, &error))
		return g_strdup (error->message);
	if (!gw_soap (&c, "getApi", args, &present, NULL, &error))
		return g_strdup (error->message);
	if (present) {
		if (!gw_do (&c, "deleteApi", args, &error))
			return g_strdup (error->message);
		removed = TRUE;
	}
	if (!gw_soap (&c, "getDefaultApi", args, &present, &deployed, &error))
		return g_strdup (error->message);
	if (present && (api->is_default_version || gw_default_is_ours (api, deployed))) {
		if (!gw_do (&c, "deleteDefaultApi", args, &error))
			return g_strdup (error->message);
		removed = TRUE;
	}
	if (removed)
		g_message ("API %s removed from gateway environment '%s'", qualified, name);
	else
		g_message ("API %s was not on gateway environment '%s'", qualified, name);
	return NULL;
}

typedef char *(*GwOneFunc) (AmPubGateways *gws, SoupSession *session, const AmApi *api,
			    const char *name, const char *qualified);

static GPtrArray *
gw_each (AmPubGateways *gws, const AmApi *api, const char *const *environments, GwOneFunc fn,
	 const char *what)
{
	GPtrArray *results = g_ptr_array_new_with_free_func ((GDestroyNotify) am_pub_gateway_result_free);
	g_autoptr (SoupSession) session = NULL;
	g_autofree char *qualified = NULL;

	g_return_val_if_fail (gws != NULL && api != NULL, results);
	if (environments == NULL)
		environments = (const char *const *) api->gateway_environments;
	if (environments == NULL || environments[0] == NULL)
		return results;
	qualified = am_pub_synapse_qualified_name (api);
	/* no proxy from the environment: Carbon's admin clients use none */
	session = soup_session_new_with_options ("timeout", GW_TIMEOUT, "idle-timeout", GW_TIMEOUT,
						 "user-agent", "apimd-publisher", "proxy-resolver",
						 NULL, NULL);
	for (guint i = 0; environments[i] != NULL; i++) {
		AmPubGatewayResult *r = g_new0 (AmPubGatewayResult, 1);

		r->environment = g_strdup (environments[i]);
		r->error = fn (gws, session, api, environments[i], qualified);
		if (r->error != NULL)
			g_warning ("API %s not %s gateway environment '%s': %s", qualified, what,
				   environments[i], r->error);
		g_ptr_array_add (results, r);
	}
	return results;
}

GPtrArray *
am_pub_gateways_publish (AmPubGateways *gws, const AmApi *api, const char *const *environments)
{
	return gw_each (gws, api, environments, gw_publish_one, "deployed to");
}

GPtrArray *
am_pub_gateways_remove (AmPubGateways *gws, const AmApi *api, const char *const *environments)
{
	return gw_each (gws, api, environments, gw_remove_one, "removed from");
}
