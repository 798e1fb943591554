/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the gateway fault bodies: every 9009xx code with its message,
 * status, description sentence and WWW-Authenticate; XML or JSON by the
 * Accept header exactly as WSO2's supported list decides; the runtime
 * am:fault of the fault/main sequences (resource mismatch, endpoint errors,
 * suspension) and its message type rule (POST/PUT/PATCH keep the request's).
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "am-gw-fault.h"

typedef struct {
	int code;
	guint status;
	const char *message;
	const char *extra;
} AuthCase;

static const AuthCase auth_cases[] = {
	{ 900900, 500, "Unclassified Authentication Failure", NULL },
	{ 900901, 401, "Invalid Credentials", "Make sure you have given the correct access token" },
	{ 900902, 401, "Missing Credentials",
	  "Make sure your API invocation call has a header: \"Authorization: Bearer "
	  "ACCESS_TOKEN\"" },
	{ 900903, 401, "Access Token Expired", "Renew the access token and try again" },
	{ 900904, 401, "Access Token Inactive", "Generate a new access token and try again" },
	{ 900905, 401, "Incorrect Access Token Type is provided", NULL },
	{ 900906, 403, "No matching resource found in the API for the given request",
	  "Check the API documentation and add a proper REST resource path to the invocation "
	  "URL" },
	{ 900907, 401, "The requested API is temporarily blocked", NULL },
	{ 900908, 403, "Resource forbidden ", NULL },
	{ 900909, 401, "The subscription to the API is inactive", NULL },
	{ 900910, 403, "The access token does not allow you to access the requested resource",
	  NULL },
};

/* The text of the child @name (namespace @ns) of @parent. */
static char *
child_text (xmlNode *parent, const char *ns, const char *name)
{
	for (xmlNode *c = parent->children; c != NULL; c = c->next) {
		xmlChar *t;
		char *s;

		if (c->type != XML_ELEMENT_NODE || strcmp ((const char *) c->name, name) != 0)
			continue;
		g_assert_nonnull (c->ns);
		g_assert_cmpstr ((const char *) c->ns->href, ==, ns);
		t = xmlNodeGetContent (c);
		s = g_strdup ((const char *) t);
		xmlFree (t);
		return s;
	}
	return NULL;
}

static void
check_xml (const AmGwFault *f, const char *ns, const char *prefix, int code, const char *message,
	   const char *description)
{
	xmlDoc *doc = xmlReadMemory (f->body, (int) strlen (f->body), "f", NULL, XML_PARSE_NONET);
	xmlNode *root;
	g_autofree char *c = NULL, *m = NULL, *d = NULL, *want_code = NULL;

	g_assert_nonnull (doc);
	root = xmlDocGetRootElement (doc);
	g_assert_cmpstr ((const char *) root->name, ==, "fault");
	g_assert_cmpstr ((const char *) root->ns->href, ==, ns);
	g_assert_cmpstr ((const char *) root->ns->prefix, ==, prefix);
	c = child_text (root, ns, "code");
	m = child_text (root, ns, "message");
	d = child_text (root, ns, "description");
	want_code = g_strdup_printf ("%d", code);
	g_assert_cmpstr (c, ==, want_code);
	g_assert_cmpstr (m, ==, message);
	g_assert_cmpstr (d, ==, description);
	xmlFreeDoc (doc);
}

static JsonObject *
json_fault (const AmGwFault *f, JsonParser *parser)
{
	g_autoptr (GError) error = NULL;
	JsonObject *root;

	g_assert_true (json_parser_load_from_data (parser, f->body, -1, &error));
	g_assert_no_error (error);
	root = json_node_get_object (json_parser_get_root (parser));
	g_assert_cmpuint (json_object_get_size (root), ==, 1);
	return json_object_get_object_member (root, "fault");
}

static void
test_auth_every_code (void)
{
	for (guint i = 0; i < G_N_ELEMENTS (auth_cases); i++) {
		const AuthCase *c = &auth_cases[i];
		g_autoptr (AmGwFault) f =
			am_gw_fault_auth_refused (c->code, "/pizzashack/1.0.0", "1.0.0", NULL);
		g_autofree char *exc = g_strdup_printf (
			"Access failure for API: /pizzashack/1.0.0, version: 1.0.0 status: (%d) - %s",
			c->code, c->message);
		g_autofree char *want = c->extra ? g_strdup_printf ("%s. %s", exc, c->extra)
						 : g_strdup (exc);

		g_test_message ("code %d", c->code);
		g_assert_cmpstr (am_gw_fault_auth_message (c->code), ==, c->message);
		g_assert_cmpuint (f->status, ==, c->status);
		g_assert_cmpstr (f->content_type, ==, "application/xml");
		check_xml (f, AM_GW_FAULT_AUTH_NS, "ams", c->code, c->message, want);
		if (c->status == 401)
			g_assert_cmpstr (f->www_authenticate, ==,
					 "OAuth2 realm=\"WSO2 API Manager\", error=\"invalid "
					 "token\", error_description=\"The access token expired\"");
		else
			g_assert_null (f->www_authenticate);
	}
	g_assert_null (am_gw_fault_auth_message (900911));
}

/* The documented 900901 body, byte for byte. */
static void
test_auth_exact_body (void)
{
	g_autoptr (AmGwFault) f = am_gw_fault_auth_refused (900901, "/pizzashack/1.0.0", "1.0.0",
							     "text/html; q=1");

	g_assert_cmpstr (f->body, ==,
			 "<ams:fault xmlns:ams=\"http://wso2.org/apimanager/security\">"
			 "<ams:code>900901</ams:code><ams:message>Invalid Credentials</ams:message>"
			 "<ams:description>Access failure for API: /pizzashack/1.0.0, version: "
			 "1.0.0 status: (900901) - Invalid Credentials. Make sure you have given "
			 "the correct access token</ams:description></ams:fault>");
}

static void
test_auth_missing_and_unavailable (void)
{
	g_autoptr (AmGwFault) m = am_gw_fault_auth_missing (NULL);
	g_autoptr (AmGwFault) u = am_gw_fault_auth_unavailable (NULL);

	g_assert_cmpuint (m->status, ==, 401);
	check_xml (m, AM_GW_FAULT_AUTH_NS, "ams", 900902, "Missing Credentials",
		   "Required OAuth credentials not provided. Make sure your API invocation call "
		   "has a header: \"Authorization: Bearer ACCESS_TOKEN\"");
	g_assert_cmpuint (u->status, ==, 500);
	g_assert_null (u->www_authenticate);
	check_xml (u, AM_GW_FAULT_AUTH_NS, "ams", 900900, "Unclassified Authentication Failure",
		   "Error while accessing backend services for API key validation");
}

/* JSON only when Accept is exactly a JSON type of WSO2's list. */
static void
test_auth_accept (void)
{
	static const struct {
		const char *accept;
		gboolean json;
		const char *content_type;
	} cases[] = {
		{ NULL, FALSE, "application/xml" },
		{ "application/json", TRUE, "application/json" },
		{ "text/javascript", TRUE, "text/javascript" },
		{ "text/xml", FALSE, "text/xml" },
		{ "application/soap+xml", FALSE, "application/soap+xml" },
		{ "application/json, text/plain", FALSE, "application/xml" },
		{ "application/json;charset=UTF-8", FALSE, "application/xml" },
		{ "*/*", FALSE, "application/xml" },
		{ "text/plain", FALSE, "application/xml" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (AmGwFault) f = am_gw_fault_auth_refused (900908, "/a/1", "1",
								     cases[i].accept);

		g_test_message ("Accept %s", cases[i].accept);
		g_assert_cmpstr (f->content_type, ==, cases[i].content_type);
		if (cases[i].json) {
			g_autoptr (JsonParser) p = json_parser_new ();
			JsonObject *o = json_fault (f, p);

			g_assert_cmpint (json_node_get_value_type (json_object_get_member (o, "code")),
					 ==, G_TYPE_INT64);
			g_assert_cmpint (json_object_get_int_member (o, "code"), ==, 900908);
			g_assert_cmpstr (json_object_get_string_member (o, "message"), ==,
					 "Resource forbidden ");
			g_assert_cmpstr (json_object_get_string_member (o, "description"), ==,
					 "Access failure for API: /a/1, version: 1 status: (900908) "
					 "- Resource forbidden ");
			g_assert_cmpuint (json_object_get_size (o), ==, 3);
		} else {
			check_xml (f, AM_GW_FAULT_AUTH_NS, "ams", 900908, "Resource forbidden ",
				   "Access failure for API: /a/1, version: 1 status: (900908) - "
				   "Resource forbidden ");
		}
	}
}

static void
test_escaping (void)
{
	g_autoptr (AmGwFault) x = am_gw_fault_auth_refused (900901, "/a<b>&\"c", "1", NULL);
	g_autoptr (AmGwFault) j = am_gw_fault_auth_refused (900901, "/a\"\\b", "1",
							     "application/json");
	g_autoptr (JsonParser) p = json_parser_new ();

	g_assert_null (strstr (x->body, "<b>"));
	check_xml (x, AM_GW_FAULT_AUTH_NS, "ams", 900901, "Invalid Credentials",
		   "Access failure for API: /a<b>&\"c, version: 1 status: (900901) - Invalid "
		   "Credentials. Make sure you have given the correct access token");
	g_assert_nonnull (strstr (json_object_get_string_member (json_fault (j, p), "description"),
				  "/a\"\\b,"));
}

static void
test_runtime (void)
{
	g_autoptr (AmGwFault) nf = am_gw_fault_resource_not_found ("GET", "application/json");
	g_autoptr (AmGwFault) na = am_gw_fault_method_not_allowed ("DELETE", NULL);
	g_autoptr (AmGwFault) e3 = am_gw_fault_endpoint (101503, "GET", NULL);
	g_autoptr (AmGwFault) e4 = am_gw_fault_endpoint (101504, "GET", NULL);
	g_autoptr (AmGwFault) sus = am_gw_fault_endpoint_suspended (
		"admin--PizzaShackAPI_APIproductionEndpoint_0", "GET", NULL);
	g_autoptr (AmGwFault) main_f = am_gw_fault_no_api ();

	g_assert_cmpuint (nf->status, ==, 404);
	g_assert_cmpstr (nf->content_type, ==, "application/xml"); /* GET: always XML */
	check_xml (nf, AM_GW_FAULT_RUNTIME_NS, "am", 404, "Runtime Error",
		   "No matching resource found for given API Request");
	g_assert_nonnull (strstr (nf->body, "<am:type>Status report</am:type>"));
	g_assert_cmpuint (na->status, ==, 405);
	check_xml (na, AM_GW_FAULT_RUNTIME_NS, "am", 405, "Runtime Error",
		   "Method not allowed for given API resource");
	g_assert_cmpuint (e3->status, ==, 500);
	g_assert_cmpstr (e3->body, ==,
			 "<am:fault xmlns:am=\"http://wso2.org/apimanager\"><am:code>101503"
			 "</am:code><am:type>Status report</am:type><am:message>Runtime Error"
			 "</am:message><am:description>Error connecting to the back end"
			 "</am:description></am:fault>");
	check_xml (e4, AM_GW_FAULT_RUNTIME_NS, "am", 101504, "Runtime Error", "Send timeout");
	g_assert_cmpuint (sus->status, ==, 500);
	check_xml (sus, AM_GW_FAULT_RUNTIME_NS, "am", 303001, "Runtime Error",
		   "Currently , Address endpoint : [ Name : "
		   "admin--PizzaShackAPI_APIproductionEndpoint_0 ] [ State : SUSPENDED ]");
	g_assert_cmpuint (main_f->status, ==, 404);
	check_xml (main_f, AM_GW_FAULT_RUNTIME_NS, "am", 404, "Not Found",
		   "The requested resource is not available.");
	g_assert_null (nf->www_authenticate);
}

/* POST/PUT/PATCH keep the request's message type: a JSON body gets JSON. */
static void
test_runtime_message_type (void)
{
	static const struct {
		const char *method, *content_type;
		gboolean json;
	} cases[] = {
		{ "POST", "application/json; charset=UTF-8", TRUE },
		{ "PUT", "application/json", TRUE },
		{ "PATCH", "Application/JSON", TRUE },
		{ "GET", "application/json", FALSE },
		{ "DELETE", "application/json", FALSE },
		{ "POST", "text/xml", FALSE },
		{ "POST", NULL, FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (AmGwFault) f =
			am_gw_fault_endpoint (101503, cases[i].method, cases[i].content_type);

		g_test_message ("%s %s", cases[i].method, cases[i].content_type);
		if (cases[i].json) {
			g_autoptr (JsonParser) p = json_parser_new ();
			JsonObject *o = json_fault (f, p);

			g_assert_cmpstr (f->content_type, ==, "application/json");
			g_assert_cmpint (json_object_get_int_member (o, "code"), ==, 101503);
			g_assert_cmpstr (json_object_get_string_member (o, "type"), ==,
					 "Status report");
			g_assert_cmpstr (json_object_get_string_member (o, "message"), ==,
					 "Runtime Error");
			g_assert_cmpstr (json_object_get_string_member (o, "description"), ==,
					 "Error connecting to the back end");
		} else {
			g_assert_cmpstr (f->content_type, !=, "application/json");
			check_xml (f, AM_GW_FAULT_RUNTIME_NS, "am", 101503, "Runtime Error",
				   "Error connecting to the back end");
		}
	}
}

/* A SOAP request gets the fault as a SOAP fault of its version. */
static void
test_soap_faults (void)
{
	static const char *const soap11 =
		"http://schemas.xmlsoap.org/soap/envelope/";
	g_autoptr (AmGwFault) auth = am_gw_fault_auth_refused (900901, "/ctx/1.0", "1.0", NULL);
	g_autoptr (AmGwFault) auth12 = am_gw_fault_auth_missing (NULL);
	g_autoptr (AmGwFault) runtime = am_gw_fault_endpoint (101503, "POST", "text/xml");
	g_autoptr (AmGwFault) rest = am_gw_fault_auth_missing (NULL);
	g_autoptr (AmGwFault) get = am_gw_fault_auth_missing (NULL);
	g_autoptr (AmGwFault) main_seq = am_gw_fault_no_api ();
	g_autofree char *main_body = g_strdup (main_seq->body);

	/* SOAP 1.1: faultcode Client, "Authentication Failure", the exception
	 * message as detail; the status stays */
	am_gw_fault_for_request (auth, "POST", "text/xml; charset=UTF-8");
	g_assert_cmpuint (auth->status, ==, 401);
	g_assert_true (g_str_has_prefix (auth->content_type, "text/xml"));
	g_assert_nonnull (strstr (auth->body, soap11));
	g_assert_nonnull (strstr (auth->body, "<faultcode>soapenv:Client</faultcode>"));
	g_assert_nonnull (strstr (auth->body, "<faultstring>Authentication Failure</faultstring>"));
	g_assert_nonnull (strstr (auth->body, "<detail>Access failure for API: /ctx/1.0, version: "
					      "1.0 status: (900901) - Invalid Credentials</detail>"));
	g_assert_nonnull (auth->www_authenticate);

	/* SOAP 1.2 */
	am_gw_fault_for_request (auth12, "POST", "application/soap+xml;action=urn:x");
	g_assert_true (g_str_has_prefix (auth12->content_type, "application/soap+xml"));
	g_assert_nonnull (strstr (auth12->body, "http://www.w3.org/2003/05/soap-envelope"));
	g_assert_nonnull (strstr (auth12->body, "<soapenv:Value>soapenv:Sender</soapenv:Value>"));
	g_assert_nonnull (strstr (auth12->body, "Required OAuth credentials not provided"));

	/* the fault sequence: Server, ERROR_MESSAGE as the reason */
	am_gw_fault_for_request (runtime, "POST", "text/xml");
	g_assert_cmpuint (runtime->status, ==, 500);
	g_assert_nonnull (strstr (runtime->body, "<faultcode>soapenv:Server</faultcode>"));
	g_assert_nonnull (strstr (runtime->body,
				  "<faultstring>Error connecting to the back end</faultstring>"));

	/* REST content and body-less methods keep the am/ams fault */
	am_gw_fault_for_request (rest, "POST", "application/xml");
	g_assert_nonnull (strstr (rest->body, "<ams:fault"));
	am_gw_fault_for_request (get, "GET", "text/xml");
	g_assert_nonnull (strstr (get->body, "<ams:fault"));
	/* main's payloadFactory has no SOAP form */
	am_gw_fault_for_request (main_seq, "POST", "text/xml");
	g_assert_cmpstr (main_seq->body, ==, main_body);
}

static void
test_hard_limit (void)
{
	g_autoptr (AmGwFault) f = am_gw_fault_hard_limit (NULL);
	g_autoptr (AmGwFault) j = am_gw_fault_hard_limit ("application/json");

	g_assert_cmpuint (f->status, ==, 503);
	check_xml (f, AM_GW_FAULT_THROTTLE_NS, "amt", 900801, "API Limit Reached",
		   "API not accepting requests");
	g_assert_cmpstr (j->content_type, ==, "application/json");
	g_assert_nonnull (strstr (j->body, "\"code\":900801"));
}

static void
test_transport_denied (void)
{
	g_autoptr (AmGwFault) f = am_gw_fault_transport_denied ("http", "secure/1.0/menu?a=1&b=2");

	g_assert_cmpuint (f->status, ==, 403);
	g_assert_cmpstr (f->content_type, ==, "application/xml");
	check_xml (f, AM_GW_FAULT_RUNTIME_NS, "am", 403, "Forbidden",
		   "Unsupported Transport [ http ]. The requested resource "
		   "(/secure/1.0/menu?a=1&b=2) is not available.");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/gw-fault/auth/every-code", test_auth_every_code);
	g_test_add_func ("/gw-fault/auth/exact-body", test_auth_exact_body);
	g_test_add_func ("/gw-fault/auth/missing-unavailable", test_auth_missing_and_unavailable);
	g_test_add_func ("/gw-fault/auth/accept", test_auth_accept);
	g_test_add_func ("/gw-fault/auth/escaping", test_escaping);
	g_test_add_func ("/gw-fault/runtime/bodies", test_runtime);
	g_test_add_func ("/gw-fault/runtime/message-type", test_runtime_message_type);
	g_test_add_func ("/gw-fault/soap", test_soap_faults);
	g_test_add_func ("/gw-fault/transport-denied", test_transport_denied);
	g_test_add_func ("/gw-fault/hard-limit", test_hard_limit);
	return g_test_run ();
}
