/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the Key Manager's SOAP side: the APIKeyValidationService
 * envelope parser (both SOAP versions, nil and unqualified children, every
 * fault), the response writers (namespaces, the XSD's alphabetical order,
 * xsi:nil, escaping), the APIKeyMgtException fault on a database failure;
 * and the gateway notification: a fake gateway admin service (HTTPS with a
 * self-signed certificate) receives invalidateCachedTokens with the
 * environment's credentials when tokens are revoked, also after a retry,
 * the "is this environment ourselves" rule, and a clean stop.
 */
#include "config.h"

#include "am-test-util.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "am-km-soap.h"

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define DTO_NS "http://dto.impl.apimgt.carbon.wso2.org/xsd"
#define MODEL_NS "http://model.api.apimgt.carbon.wso2.org/xsd"

/* ---- helpers ---- */

static char *
envelope (const char *soap_ns, const char *inner)
{
	return g_strdup_printf ("<s:Envelope xmlns:s=\"%s\" xmlns:x=\"" AM_AXIS2_XSD_NS "\" "
				"xmlns:xsi=\"" XSI_NS "\"><s:Header/><s:Body>%s</s:Body></s:Envelope>",
				soap_ns, inner);
}

static xmlDoc *
parse_xml (const char *text)
{
	xmlDoc *doc = xmlReadMemory (text, (int) strlen (text), "reply", NULL, XML_PARSE_NONET);

	g_assert_nonnull (doc);
	return doc;
}

static xmlNode *
next_element (xmlNode *n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

/* The first element of the Body of @doc. */
static xmlNode *
body_child (xmlDoc *doc, const char *soap_ns)
{
	xmlNode *env = xmlDocGetRootElement (doc);
	xmlNode *body = next_element (env->children);

	g_assert_cmpstr ((const char *) env->ns->href, ==, soap_ns);
	g_assert_cmpstr ((const char *) body->name, ==, "Body");
	return next_element (body->children);
}

static gboolean
is_nil (xmlNode *n)
{
	xmlChar *v = xmlGetNsProp (n, (const xmlChar *) "nil", (const xmlChar *) XSI_NS);
	gboolean nil = v != NULL && strcmp ((const char *) v, "true") == 0;

	xmlFree (v);
	return nil;
}

/* "name=value" (or "name=(nil)") of every child of @parent, in order,
 * joined by ' '; every child must be in @ns. */
static char *
children_text (xmlNode *parent, const char *ns)
{
	g_autoptr (GString) out = g_string_new (NULL);

	for (xmlNode *c = next_element (parent->children); c != NULL;
	     c = next_element (c->next)) {
		xmlChar *text = xmlNodeGetContent (c);

		g_assert_cmpstr (c->ns != NULL ? (const char *) c->ns->href : NULL, ==, ns);
		g_string_append_printf (out, "%s%s=%s", out->len ? " " : "", c->name,
					is_nil (c) ? "(nil)" : (const char *) text);
		xmlFree (text);
	}
	return g_strdup (out->str);
}

/* ---- parsing ---- */

static void
test_parse_validate_key (void)
{
	g_autofree char *body = envelope (
		AM_SOAP11_NS,
		"<x:validateKey><x:context>/pizzashack/1.0.0</x:context><x:version>1.0.0</x:version>"
		"<x:accessToken>tok&amp;1</x:accessToken>"
		"<x:requiredAuthenticationLevel>Any</x:requiredAuthenticationLevel>"
		"<x:clientDomain xsi:nil=\"true\"/><x:matchingResource>/menu</x:matchingResource>"
		"<x:httpVerb>GET</x:httpVerb><other:ignored xmlns:other=\"urn:o\">x</other:ignored>"
		"</x:validateKey>");
	g_autoptr (AmSoapReply) fault = NULL;
	g_autoptr (AmKmSoapRequest) req =
		am_km_soap_parse ("text/xml; charset=UTF-8", body, strlen (body), &fault);

	g_assert_null (fault);
	g_assert_nonnull (req);
	g_assert_cmpint (req->soap, ==, AM_SOAP_11);
	g_assert_cmpint (req->op, ==, AM_KM_SOAP_VALIDATE_KEY);
	g_assert_cmpstr (req->context, ==, "/pizzashack/1.0.0");
	g_assert_cmpstr (req->version, ==, "1.0.0");
	g_assert_cmpstr (req->access_token, ==, "tok&1");
	g_assert_cmpstr (req->required_auth_level, ==, "Any");
	g_assert_null (req->client_domain);
	g_assert_cmpstr (req->matching_resource, ==, "/menu");
	g_assert_cmpstr (req->http_verb, ==, "GET");
}

static void
test_parse_soap12 (void)
{
	/* unqualified children are read too; an empty element is "" */
	g_autofree char *body = envelope (AM_SOAP12_NS,
					  "<x:getAllURITemplates><context>/a/1</context>"
					  "<version></version></x:getAllURITemplates>");
	g_autoptr (AmSoapReply) fault = NULL;
	g_autoptr (AmKmSoapRequest) req = am_km_soap_parse (
		"application/soap+xml; charset=UTF-8; action=\"urn:getAllURITemplates\"", body,
		strlen (body), &fault);

	g_assert_null (fault);
	g_assert_cmpint (req->soap, ==, AM_SOAP_12);
	g_assert_cmpint (req->op, ==, AM_KM_SOAP_GET_URI_TEMPLATES);
	g_assert_cmpstr (req->context, ==, "/a/1");
	g_assert_cmpstr (req->version, ==, "");
	g_assert_null (req->access_token);
}

typedef struct {
	const char *name;
	const char *content_type;
	const char *soap_ns; /* of the request envelope; NULL: body is taken as is */
	const char *body;
	guint status;
	const char *fault_ns;
	const char *code;
	const char *reason_part;
} FaultCase;

static const FaultCase fault_cases[] = {
	{ "content-type", "application/json", AM_SOAP11_NS, "<x:getAllURITemplates/>", 415,
	  AM_SOAP11_NS, "soapenv:Client", "Content-Type" },
	{ "not-xml", "text/xml", NULL, "<s:Envelope xmlns:s='" AM_SOAP11_NS "'><s:Body>", 500,
	  AM_SOAP11_NS, "soapenv:Client", "not XML" },
	{ "doctype", "text/xml", NULL,
	  "<?xml version='1.0'?><!DOCTYPE l [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
	  "<s:Envelope xmlns:s='" AM_SOAP11_NS "'><s:Body>&b;</s:Body></s:Envelope>",
	  500, AM_SOAP11_NS, "soapenv:Client", "Document Type Declaration" },
	{ "external-entity", "text/xml", NULL,
	  "<?xml version='1.0'?><!DOCTYPE l [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
	  "<s:Envelope xmlns:s='" AM_SOAP11_NS "'><s:Body>&e;</s:Body></s:Envelope>",
	  500, AM_SOAP11_NS, "soapenv:Client", "Document Type Declaration" },
	{ "not-envelope", "text/xml", NULL, "<validateKey/>", 500, AM_SOAP11_NS, "soapenv:Client",
	  "Envelope" },
	{ "version-mismatch", "text/xml", "urn:soap-0.9", "<x:validateKey/>", 500, AM_SOAP11_NS,
	  "soapenv:VersionMismatch", "SOAP 1.1 and SOAP 1.2" },
	{ "type-mismatch", "application/soap+xml", AM_SOAP11_NS, "<x:validateKey/>", 500,
	  AM_SOAP11_NS, "soapenv:Client", "does not match" },
	{ "no-body", "text/xml", NULL,
	  "<s:Envelope xmlns:s='" AM_SOAP11_NS "'><s:Header/></s:Envelope>", 500, AM_SOAP11_NS,
	  "soapenv:Client", "no Body" },
	{ "empty-body", "application/soap+xml", AM_SOAP12_NS, "", 500, AM_SOAP12_NS,
	  "soapenv:Sender", "Operation not found" },
	{ "unknown-operation", "text/xml", AM_SOAP11_NS, "<x:revokeAll/>", 500, AM_SOAP11_NS,
	  "soapenv:Client", "Operation not found" },
	{ "operation-namespace", "text/xml", AM_SOAP11_NS,
	  "<validateKey xmlns='urn:other'><context>/a</context></validateKey>", 500, AM_SOAP11_NS,
	  "soapenv:Client", "Operation not found" },
	{ "missing-token", "text/xml", AM_SOAP11_NS,
	  "<x:validateKeyforHandshake><x:context>/a/1</x:context><x:version>1</x:version>"
	  "</x:validateKeyforHandshake>",
	  500, AM_SOAP11_NS, "soapenv:Client", "accessToken is missing" },
	{ "nil-context", "application/soap+xml", AM_SOAP12_NS,
	  "<x:getAllURITemplates><x:context xsi:nil='1'/><x:version>1</x:version>"
	  "</x:getAllURITemplates>",
	  500, AM_SOAP12_NS, "soapenv:Sender", "context is missing" },
};

static void
test_parse_fault (gconstpointer data)
{
	const FaultCase *fc = data;
	g_autofree char *body = fc->soap_ns ? envelope (fc->soap_ns, fc->body) : g_strdup (fc->body);
	g_autoptr (AmSoapReply) fault = NULL;
	g_autoptr (AmKmSoapRequest) req =
		am_km_soap_parse (fc->content_type, body, strlen (body), &fault);
	xmlDoc *doc;
	xmlNode *f;
	g_autofree char *text = NULL;
	gboolean soap12 = strcmp (fc->fault_ns, AM_SOAP12_NS) == 0;

	g_assert_null (req);
	g_assert_nonnull (fault);
	g_assert_cmpuint (fault->status, ==, fc->status);
	g_assert_true (g_str_has_prefix (fault->content_type,
					 soap12 ? "application/soap+xml" : "text/xml"));
	doc = parse_xml (fault->body);
	f = body_child (doc, fc->fault_ns);
	g_assert_cmpstr ((const char *) f->name, ==, "Fault");
	text = children_text (f, soap12 ? fc->fault_ns : NULL);
	g_assert_true (g_str_has_prefix (text, soap12 ? "Code=" : "faultcode="));
	g_assert_nonnull (strstr (text, fc->code));
	g_assert_nonnull (strstr (text, fc->reason_part));
	/* no entity was expanded, no file read */
	g_assert_null (strstr (fault->body, "root:"));
	g_assert_null (strstr (fault->body, "aaaa"));
	xmlFreeDoc (doc);
}

static void
test_parse_too_large (void)
{
	gsize len = 65 * 1024;
	g_autofree char *body = g_malloc (len);
	g_autoptr (AmSoapReply) fault = NULL;

	memset (body, ' ', len);
	g_assert_null (am_km_soap_parse ("text/xml", body, len, &fault));
	g_assert_cmpuint (fault->status, ==, 413);
}

/* ---- writing ---- */

static void
test_info_reply (void)
{
	char *scopes[] = { "am_application_scope", "default", NULL };
	char *throttling[] = { "api_level_throttling_key", NULL };
	char *domains[] = { NULL };
	AmKeyValidationInfo info = {
		.authorized = TRUE,
		.subscriber = "admin",
		.tier = "Gold",
		.type = "PRODUCTION",
		.end_user_name = "admin@carbon.super",
		.application_name = "App <&> \"1\"",
		.application_id = "7",
		.application_tier = "Unlimited",
		.api_name = "PizzaShackAPI",
		.consumer_key = "ck",
		.api_publisher = "admin",
		.authorized_domains = domains,
		.scopes = scopes,
		.validity_period = G_MAXINT64,
		.issued_time = 1546300800000,
		.throttling_data_list = throttling,
		.spike_arrest_limit = 5,
		.subscriber_tenant_domain = "carbon.super",
		.spike_arrest_unit = "min",
		.stop_on_quota_reach = TRUE,
		.user_type = "APPLICATION",
	};
	g_autoptr (AmSoapReply) r = am_km_soap_info_reply (AM_SOAP_12, "validateKeyResponse", &info);
	xmlDoc *doc = parse_xml (r->body);
	xmlNode *resp = body_child (doc, AM_SOAP12_NS);
	xmlNode *ret = next_element (resp->children);
	xmlChar *type = xmlGetNsProp (ret, (const xmlChar *) "type", (const xmlChar *) XSI_NS);
	g_autofree char *text = children_text (ret, DTO_NS);

	g_assert_cmpuint (r->status, ==, 200);
	g_assert_cmpstr (r->content_type, ==, "application/soap+xml; charset=UTF-8");
	g_assert_cmpstr ((const char *) resp->name, ==, "validateKeyResponse");
	g_assert_cmpstr ((const char *) resp->ns->href, ==, AM_AXIS2_XSD_NS);
	g_assert_cmpstr ((const char *) ret->name, ==, "return");
	g_assert_true (g_str_has_suffix ((const char *) type, ":APIKeyValidationInfoDTO"));
	/* alphabetical as the XSD; nil for NULL strings, nothing for an empty list */
	g_assert_cmpstr (text, ==,
			 "apiName=PizzaShackAPI apiPublisher=admin apiTier=(nil) applicationId=7 "
			 "applicationName=App <&> \"1\" applicationTier=Unlimited authorized=true "
			 "consumerKey=ck contentAware=false endUserName=admin@carbon.super "
			 "endUserToken=(nil) issuedTime=1546300800000 scopes=am_application_scope "
			 "scopes=default spikeArrestLimit=5 spikeArrestUnit=min "
			 "stopOnQuotaReach=true subscriber=admin subscriberTenantDomain=carbon.super "
			 "throttlingDataList=api_level_throttling_key tier=Gold type=PRODUCTION "
			 "userType=APPLICATION validationStatus=0 "
			 "validityPeriod=9223372036854775807");
	xmlFree (type);
	xmlFreeDoc (doc);
}

static void
test_refusal_reply (void)
{
	AmKeyValidationInfo info = { .authorized = FALSE, .validation_status = 900901 };
	g_autoptr (AmSoapReply) r = am_km_soap_info_reply (AM_SOAP_11, "validateKeyResponse", &info);
	xmlDoc *doc = parse_xml (r->body);
	xmlNode *ret = next_element (body_child (doc, AM_SOAP11_NS)->children);
	g_autofree char *text = children_text (ret, DTO_NS);

	g_assert_cmpstr (r->content_type, ==, "text/xml; charset=UTF-8");
	/* a null list is one nil element, as Axis2 writes a null array */
	g_assert_true (g_str_has_prefix (text, "apiName=(nil) apiPublisher=(nil) apiTier=(nil) "
					       "applicationId=(nil) applicationName=(nil) "
					       "applicationTier=(nil) authorized=false "
					       "authorizedDomains=(nil) "));
	g_assert_true (g_str_has_suffix (text, "validationStatus=900901 validityPeriod=0"));
	xmlFreeDoc (doc);
}

static void
test_templates_reply (void)
{
	char *conds[] = { "_condition_1", "_default", NULL };
	AmUriTemplate a = { .uri_template = "/menu", .http_verb = "GET", .auth_type = "Any",
			    .throttling_tier = "Unlimited", .throttling_conditions = conds,
			    .applicable_level = "apiLevel" };
	AmUriTemplate b = { .uri_template = "/order/{id}", .http_verb = "POST",
			    .auth_type = "Application_User", .throttling_tier = "Gold" };
	g_autoptr (GPtrArray) list = g_ptr_array_new ();
	g_autoptr (GPtrArray) none = g_ptr_array_new ();
	g_autoptr (AmSoapReply) r = NULL;
	g_autoptr (AmSoapReply) empty = am_km_soap_templates_reply (AM_SOAP_11, none);
	xmlDoc *doc;
	xmlNode *resp, *ret;
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;

	g_ptr_array_add (list, &a);
	g_ptr_array_add (list, &b);
	r = am_km_soap_templates_reply (AM_SOAP_11, list);
	doc = parse_xml (r->body);
	resp = body_child (doc, AM_SOAP11_NS);
	g_assert_cmpstr ((const char *) resp->name, ==, "getAllURITemplatesResponse");
	ret = next_element (resp->children);
	first = children_text (ret, MODEL_NS);
	second = children_text (next_element (ret->next), MODEL_NS);
	g_assert_null (next_element (next_element (ret->next)->next));
	g_assert_cmpstr (first, ==,
			 "HTTPVerb=GET applicableLevel=apiLevel authType=Any "
			 "resourceSandboxURI=(nil) resourceSandboxURIExist=false resourceURI=(nil) "
			 "resourceURIExist=false throttlingConditions=_condition_1 "
			 "throttlingConditions=_default throttlingTier=Unlimited uriTemplate=/menu");
	g_assert_true (g_str_has_suffix (second, "throttlingConditions=(nil) throttlingTier=Gold "
						 "uriTemplate=/order/{id}"));
	g_assert_nonnull (strstr (empty->body, "<ns:getAllURITemplatesResponse xmlns:ns=\"" AM_AXIS2_XSD_NS
					       "\"></ns:getAllURITemplatesResponse>"));
	xmlFreeDoc (doc);
}

/* ---- a Key Manager on SQLite ---- */

typedef struct {
	char *dir;
	AmDb *db;
	AmKm *km;
	AmApimConf apim;
	/* the fake gateway */
	SoupServer *gateway;
	int port;
	GPtrArray *requests; /* of GHashTable: path, action, auth, type, body */
	guint reply_status;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	const char *const schemas[] = { "apimgt/sqlite.sql", NULL };

	f->dir = g_dir_make_tmp ("apimd-km-soap-XXXXXX", &error);
	g_assert_no_error (error);
	f->db = am_test_sqlite_db (f->dir, schemas);
	f->apim.environments = g_ptr_array_new ();
	f->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
	f->reply_status = SOUP_STATUS_ACCEPTED;
}

static void
fixture_km (Fixture *f)
{
	g_autoptr (GError) error = NULL;

	f->km = am_km_new_for_db (f->db, &f->apim, NULL, &error);
	g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_clear_pointer (&f->km, am_km_free);
	if (f->gateway != NULL) {
		soup_server_disconnect (f->gateway);
		g_object_unref (f->gateway);
	}
	g_ptr_array_unref (f->requests);
	for (guint i = 0; i < f->apim.environments->len; i++) {
		AmEnvironmentConf *env = f->apim.environments->pdata[i];

		g_free (env->server_url);
		g_free (env);
	}
	g_ptr_array_unref (f->apim.environments);
	g_clear_pointer (&f->db, am_db_unref);
	am_test_rm_rf (f->dir);
	g_free (f->dir);
}

static void
test_execute (Fixture *f, gconstpointer data)
{
	AmKmSoapRequest req = { .soap = AM_SOAP_11, .op = AM_KM_SOAP_GET_URI_TEMPLATES,
				.context = "/none/1.0.0", .version = "1.0.0",
				.access_token = "t", .required_auth_level = "Any",
				.matching_resource = "/x", .http_verb = "GET" };
	g_autoptr (AmSoapReply) empty = NULL;
	g_autoptr (AmSoapReply) refused = NULL;
	g_autoptr (AmSoapReply) broken = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	xmlDoc *doc;
	xmlNode *fault, *detail;
	g_autofree char *text = NULL;

	fixture_km (f);
	empty = am_km_soap_execute (f->km, &req);
	g_assert_cmpuint (empty->status, ==, 200);
	g_assert_null (strstr (empty->body, "return"));
	req.op = AM_KM_SOAP_VALIDATE_KEY;
	refused = am_km_soap_execute (f->km, &req);
	g_assert_cmpuint (refused->status, ==, 200);
	g_assert_nonnull (strstr (refused->body, "<ax21:validationStatus>900901<"));

	/* the database breaks: the declared APIKeyMgtException, no token in it */
	conn = am_db_acquire (f->db, NULL);
	g_assert_true (am_db_exec_script (conn, "DROP TABLE IDN_OAUTH2_ACCESS_TOKEN_SCOPE;\n",
					  NULL));
	g_assert_true (am_db_commit (conn, NULL));
	g_clear_pointer (&conn, am_db_release);
	req.access_token = "secret-token-value";
	g_test_expect_message ("am.km", G_LOG_LEVEL_WARNING, "*APIKeyValidationService*");
	broken = am_km_soap_execute (f->km, &req);
	g_test_assert_expected_messages ();
	g_assert_cmpuint (broken->status, ==, 500);
	g_assert_null (strstr (broken->body, "secret-token-value"));
	doc = parse_xml (broken->body);
	fault = body_child (doc, AM_SOAP11_NS);
	text = children_text (fault, NULL);
	g_assert_true (g_str_has_prefix (text, "faultcode=soapenv:Server faultstring="));
	detail = next_element (fault->children);	/* faultcode */
	detail = next_element (detail->next);		/* faultstring */
	detail = next_element (detail->next);
	g_assert_cmpstr ((const char *) detail->name, ==, "detail");
	g_assert_cmpstr ((const char *) next_element (detail->children)->name, ==,
			 "APIKeyValidationServiceAPIKeyMgtException");
	xmlFreeDoc (doc);
}

/* ---- the gateway notification ---- */

static void
on_gateway (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
	    gpointer user_data)
{
	Fixture *f = user_data;
	SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
	SoupMessageBody *body = soup_server_message_get_request_body (msg);
	GHashTable *req = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

	g_hash_table_insert (req, "method", g_strdup (soup_server_message_get_method (msg)));
	g_hash_table_insert (req, "path", g_strdup (path));
	g_hash_table_insert (req, "action", g_strdup (soup_message_headers_get_one (h, "SOAPAction")));
	g_hash_table_insert (req, "auth", g_strdup (soup_message_headers_get_one (h, "Authorization")));
	g_hash_table_insert (req, "type", g_strdup (soup_message_headers_get_one (h, "Content-Type")));
	g_hash_table_insert (req, "body", g_strndup (body->data, body->length));
	g_ptr_array_add (f->requests, req);
	soup_server_message_set_status (msg, f->reply_status, NULL);
}

/* A fake gateway admin service: HTTPS with a self-signed certificate, on
 * @port (0: any). */
static void
gateway_start (Fixture *f, int port)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *pem = g_test_build_filename (G_TEST_DIST, "data", "keystores", "server.pem",
						      NULL);
	g_autoptr (GTlsCertificate) cert = g_tls_certificate_new_from_file (pem, &error);
	g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
	g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, port);
	GSList *uris;

	g_assert_no_error (error);
	f->gateway = soup_server_new ("tls-certificate", cert, NULL);
	soup_server_add_handler (f->gateway, NULL, on_gateway, f, NULL);
	g_assert_true (soup_server_listen (f->gateway, addr, SOUP_SERVER_LISTEN_HTTPS, &error));
	g_assert_no_error (error);
	uris = soup_server_get_uris (f->gateway);
	f->port = g_uri_get_port (uris->data);
	g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
add_environment (Fixture *f, const char *name, int port)
{
	AmEnvironmentConf *env = g_new0 (AmEnvironmentConf, 1);

	env->name = (char *) name;
	if (port > 0)
		env->server_url = g_strdup_printf ("https://127.0.0.1:%d/services/", port);
	env->username = "gwadmin";
	env->password = "gw:pass";
	g_ptr_array_add (f->apim.environments, env);
}

static void
wait_requests (Fixture *f, guint n)
{
	gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

	while (f->requests->len < n && g_get_monotonic_time () < deadline) {
		if (!g_main_context_iteration (NULL, FALSE))
			g_usleep (1000);
	}
	g_assert_cmpuint (f->requests->len, ==, n);
}

static void
check_invalidation (GHashTable *req, const char *const *tokens)
{
	g_autofree char *expect_auth = NULL;
	g_autofree char *b64 = g_base64_encode ((const guchar *) "gwadmin:gw:pass", 15);
	xmlDoc *doc = parse_xml (g_hash_table_lookup (req, "body"));
	xmlNode *op = body_child (doc, AM_SOAP11_NS);
	guint i = 0;

	expect_auth = g_strdup_printf ("Basic %s", b64);
	g_assert_cmpstr (g_hash_table_lookup (req, "method"), ==, "POST");
	g_assert_cmpstr (g_hash_table_lookup (req, "path"), ==, "/services/APIAuthenticationService");
	g_assert_cmpstr (g_hash_table_lookup (req, "action"), ==, "\"urn:invalidateCachedTokens\"");
	g_assert_cmpstr (g_hash_table_lookup (req, "auth"), ==, expect_auth);
	g_assert_true (g_str_has_prefix (g_hash_table_lookup (req, "type"), "text/xml"));
	g_assert_cmpstr ((const char *) op->name, ==, "invalidateCachedTokens");
	g_assert_cmpstr ((const char *) op->ns->href, ==, AM_GW_AUTH_SERVICE_NS);
	for (xmlNode *c = next_element (op->children); c != NULL; c = next_element (c->next), i++) {
		xmlChar *text = xmlNodeGetContent (c);

		g_assert_cmpstr ((const char *) c->name, ==, "accessTokens");
		g_assert_cmpstr ((const char *) c->ns->href, ==, AM_GW_AUTH_SERVICE_NS);
		g_assert_cmpstr ((const char *) text, ==, tokens[i]);
		xmlFree (text);
	}
	g_assert_cmpuint (i, ==, g_strv_length ((char **) tokens));
	xmlFreeDoc (doc);
}

static void
test_notify_delivers (Fixture *f, gconstpointer data)
{
	const char *const tokens[] = { "0f3c-aa", "b<&>\"'", NULL };
	const char *const more[] = { "third", NULL };
	g_autoptr (GError) error = NULL;
	gpointer state;
	gint64 t0;

	gateway_start (f, 0);
	add_environment (f, "Production and Sandbox", f->port);
	add_environment (f, "No admin URL", 0);
	fixture_km (f);
	state = am_km_notify_component.start (f->km, &error);
	g_assert_no_error (error);

	t0 = g_get_monotonic_time ();
	am_km_tokens_revoked (f->km, tokens);
	/* the hook queues; it never waits for the gateway */
	g_assert_cmpint (g_get_monotonic_time () - t0, <, G_USEC_PER_SEC / 2);
	wait_requests (f, 1);
	check_invalidation (f->requests->pdata[0], tokens);

	/* a refusal by the gateway is logged, not retried */
	f->reply_status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
	g_test_expect_message ("am.km", G_LOG_LEVEL_WARNING, "*'Production and Sandbox'*HTTP 500*");
	am_km_tokens_revoked (f->km, more);
	wait_requests (f, 2);
	check_invalidation (f->requests->pdata[1], more);
	am_km_notify_component.stop (state);
	g_test_assert_expected_messages ();
	g_assert_cmpuint (f->requests->len, ==, 2);
}

static int
free_port (void)
{
	g_autoptr (GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
					      G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
	g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
	g_autoptr (GSocketAddress) bound = NULL;

	g_assert_true (g_socket_bind (s, any, FALSE, NULL));
	bound = g_socket_get_local_address (s, NULL);
	return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_notify_retries (Fixture *f, gconstpointer data)
{
	const char *const tokens[] = { "retried-token", NULL };
	int port = free_port ();
	g_autoptr (GError) error = NULL;
	gpointer state;

	add_environment (f, "Late gateway", port);
	fixture_km (f);
	state = am_km_notify_component.start (f->km, &error);
	g_assert_no_error (error);
	g_test_expect_message ("am.km", G_LOG_LEVEL_MESSAGE, "*'Late gateway'*retrying in 500 ms*");
	am_km_tokens_revoked (f->km, tokens);
	/* the first attempt is refused (nothing listens); the gateway comes up
	 * before the first retry */
	g_usleep (G_USEC_PER_SEC / 5);
	g_assert_cmpuint (f->requests->len, ==, 0);
	gateway_start (f, port);
	wait_requests (f, 1);
	g_test_assert_expected_messages ();
	check_invalidation (f->requests->pdata[0], tokens);
	am_km_notify_component.stop (state);
}

static void
test_notify_stop_drops_pending (Fixture *f, gconstpointer data)
{
	const char *const tokens[] = { "never-delivered", NULL };
	g_autoptr (GError) error = NULL;
	gpointer state;
	gint64 t0;

	add_environment (f, "Gone", free_port ());
	fixture_km (f);
	state = am_km_notify_component.start (f->km, &error);
	am_km_tokens_revoked (f->km, tokens);
	g_usleep (G_USEC_PER_SEC / 5); /* first attempt failed, a retry waits */
	/* "dropped at shutdown", or "could not invalidate" on a slow machine
	 * where the first attempt was still on its way */
	g_test_expect_message ("am.km", G_LOG_LEVEL_WARNING, "*'Gone'*");
	t0 = g_get_monotonic_time ();
	am_km_notify_component.stop (state);
	g_test_assert_expected_messages ();
	g_assert_cmpint (g_get_monotonic_time () - t0, <, G_USEC_PER_SEC);
	/* after stop the hook is gone: revoking does not reach a freed state */
	am_km_tokens_revoked (f->km, tokens);
}

static void
test_notify_without_remote_gateway (Fixture *f, gconstpointer data)
{
	const char *const tokens[] = { "x", NULL };
	g_autoptr (GError) error = NULL;
	gpointer state;

	add_environment (f, "No admin URL", 0);
	fixture_km (f);
	state = am_km_notify_component.start (f->km, &error);
	g_assert_no_error (error);
	g_assert_true (state == GINT_TO_POINTER (1));
	am_km_tokens_revoked (f->km, tokens);
	am_km_notify_component.stop (state);
}

static void
test_url_is_self (void)
{
	const char *me = g_get_host_name ();
	g_autofree char *by_name = g_strdup_printf ("https://%s:9443/services/", me);

	g_assert_true (am_km_notify_url_is_self ("https://localhost:9443/services/", NULL, 9443, 9763));
	g_assert_true (am_km_notify_url_is_self ("https://LOCALHOST:9443/services/", NULL, 9443, -1));
	g_assert_true (am_km_notify_url_is_self ("http://127.0.0.1:9763/services/", NULL, 9443, 9763));
	g_assert_true (am_km_notify_url_is_self ("https://127.0.1.1:9443/services/", NULL, 9443, 9763));
	g_assert_true (am_km_notify_url_is_self ("https://[::1]:9443/services/", NULL, 9443, 9763));
	g_assert_true (am_km_notify_url_is_self ("https://km.example.com:9443/services/",
						 "km.example.com", 9443, 9763));
	g_assert_true (am_km_notify_url_is_self (by_name, NULL, 9443, 9763));
	/* another port on this host is another server (an offset gateway) */
	g_assert_false (am_km_notify_url_is_self ("https://localhost:9444/services/", NULL, 9443, 9763));
	g_assert_false (am_km_notify_url_is_self ("https://localhost/services/", NULL, 9443, 9763));
	g_assert_true (am_km_notify_url_is_self ("https://localhost/services/", NULL, 443, -1));
	g_assert_false (am_km_notify_url_is_self ("https://gw.example.com:9443/services/", NULL, 9443,
						  9763));
	g_assert_false (am_km_notify_url_is_self ("https://192.0.2.7:9443/services/", NULL, 9443, 9763));
	g_assert_false (am_km_notify_url_is_self ("not a url", NULL, 9443, 9763));
	/* without ports (no management server) nothing is ourselves */
	g_assert_false (am_km_notify_url_is_self ("https://localhost:9443/services/", NULL, -1, -1));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/km-soap/parse/validate-key", test_parse_validate_key);
	g_test_add_func ("/km-soap/parse/soap12", test_parse_soap12);
	g_test_add_func ("/km-soap/parse/too-large", test_parse_too_large);
	for (guint i = 0; i < G_N_ELEMENTS (fault_cases); i++) {
		g_autofree char *name = g_strdup_printf ("/km-soap/parse/fault/%s", fault_cases[i].name);

		g_test_add_data_func (name, &fault_cases[i], test_parse_fault);
	}
	g_test_add_func ("/km-soap/reply/info", test_info_reply);
	g_test_add_func ("/km-soap/reply/refusal", test_refusal_reply);
	g_test_add_func ("/km-soap/reply/templates", test_templates_reply);
	g_test_add ("/km-soap/execute", Fixture, NULL, fixture_setup, test_execute, fixture_teardown);
	g_test_add_func ("/km-notify/url-is-self", test_url_is_self);
	g_test_add ("/km-notify/delivers", Fixture, NULL, fixture_setup, test_notify_delivers,
		    fixture_teardown);
	g_test_add ("/km-notify/retries", Fixture, NULL, fixture_setup, test_notify_retries,
		    fixture_teardown);
	g_test_add ("/km-notify/stop-drops-pending", Fixture, NULL, fixture_setup,
		    test_notify_stop_drops_pending, fixture_teardown);
	g_test_add ("/km-notify/no-remote-gateway", Fixture, NULL, fixture_setup,
		    test_notify_without_remote_gateway, fixture_teardown);
	return g_test_run ();
}
