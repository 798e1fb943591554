/* SPDX-License-Identifier: Apache-2.0 */
/*
 * WSO2 2.x gateway fault bodies.
 *
 * Authentication failures (APIAuthenticationHandler.handleAuthFailure,
 * APISecurityConstants, gateway handlers/Utils.setFaultPayload):
 *   <ams:fault xmlns:ams="http://wso2.org/apimanager/security">
 *     <ams:code>900901</ams:code><ams:message>Invalid Credentials</ams:message>
 *     <ams:description>EXCEPTION MESSAGE. EXTRA SENTENCE</ams:description></ams:fault>
 * The message type is the request's Accept header when it is exactly one of
 * the types Utils.setFaultPayload supports, else the _auth_failure_handler_
 * sequence's error_message_type (application/xml).  Of those types we write
 * JSON for application/json and text/javascript ({"fault":{"code":900901,
 * "message":...,"description":...}}, numeric code, as public captures of
 * 2.x show) and XML for the rest (for form, multipart, html, plain text and
 * badgerfish WSO2 runs other Axis2 formatters; we answer those with the XML
 * document as application/xml).  Statuses: 900900 -> 500; 900906, 900908,
 * 900910 -> 403; the others -> 401 with WWW-Authenticate
 * `OAuth2 realm="WSO2 API Manager", error="invalid token",
 * error_description="The access token expired"` whatever the cause, as
 * 2.1/2.6 send it.
 *
 * Runtime faults (product-apim synapse-configs/default/sequences/fault.xml,
 * main.xml; CORSRequestHandler 2.x):
 *   <am:fault xmlns:am="http://wso2.org/apimanager"><am:code>101503</am:code>
 *     <am:type>Status report</am:type><am:message>Runtime Error</am:message>
 *     <am:description>Error connecting to the back end</am:description></am:fault>
 * HTTP_SC is CUSTOM_HTTP_SC when set (404/405 for resource mismatch), else
 * 500; the sequence forces application/xml unless the method is POST, PUT
 * (2.6: PATCH), where the request's message type stays, so a JSON POST
 * gets the same fault as JSON.  Descriptions: 101503 "Error connecting to
 * the back end" (PassThrough TargetErrorHandler), 101504 "Send timeout"
 * (Synapse TimeoutHandler, endpoint timeout), 303001 "Currently , Address
 * endpoint : [ Name : <name> ] [ State : SUSPENDED ]" (Synapse
 * AddressEndpoint), 404 "No matching resource found for given API Request",
 * 405 "Method not allowed for given API resource"; `main` answers an
 * unknown API with code 404, message "Not Found", "The requested resource
 * is not available.".
 */
#define G_LOG_DOMAIN "am.gw"
#include "config.h"

#include "am-gw-fault.h"
#include "am-soap.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define CHALLENGE                                                                          \
	"OAuth2 realm=\"WSO2 API Manager\", error=\"invalid token\", "                     \
	"error_description=\"The access token expired\""

static const struct {
	int code;
	const char *message;
	guint status;
	const char *extra; /* appended after ". " */
} auth_codes[] = {
	{ 900900, "Unclassified Authentication Failure", 500, NULL },
	{ 900901, "Invalid Credentials", 401, "Make sure you have given the correct access token" },
	{ 900902, "Missing Credentials", 401,
	  "Make sure your API invocation call has a header: \"Authorization: Bearer "
	  "ACCESS_TOKEN\"" },
	{ 900903, "Access Token Expired", 401, "Renew the access token and try again" },
	{ 900904, "Access Token Inactive", 401, "Generate a new access token and try again" },
	{ 900905, "Incorrect Access Token Type is provided", 401, NULL },
	{ 900906, "No matching resource found in the API for the given request", 403,
	  "Check the API documentation and add a proper REST resource path to the invocation "
	  "URL" },
	{ 900907, "The requested API is temporarily blocked", 401, NULL },
	/* the trailing space is WSO2's */
	{ 900908, "Resource forbidden ", 403, NULL },
	{ 900909, "The subscription to the API is inactive", 401, NULL },
	{ 900910, "The access token does not allow you to access the requested resource", 403,
	  NULL },
};

/* Utils.setFaultPayload: an Accept header is used only when it is exactly
 * one of these. */
static const char *const accept_types[] = {
	"application/x-www-form-urlencoded",
	"multipart/form-data",
	"text/html",
	"application/xml",
	"text/xml",
	"application/soap+xml",
	"text/plain",
	"application/json",
	"application/json/badgerfish",
	"text/javascript",
	NULL,
};

void
am_gw_fault_free (AmGwFault *fault)
{
	if (fault == NULL)
		return;
	g_free (fault->content_type);
	g_free (fault->body);
	g_free (fault->www_authenticate);
	g_free (fault->soap_reason);
	g_free (fault->soap_detail);
	g_free (fault);
}

static int
auth_index (int code)
{
	for (guint i = 0; i < G_N_ELEMENTS (auth_codes); i++)
		if (auth_codes[i].code == code)
			return (int) i;
	return -1;
}

const char *
am_gw_fault_auth_message (int code)
{
	int i = auth_index (code);

	return i < 0 ? NULL : auth_codes[i].message;
}

guint
am_gw_fault_auth_status (int code)
{
	int i = auth_index (code);

	return i < 0 ? 500 : auth_codes[i].status;
}

/* {"fault":{"code":N,[ "type":...,] "message":...,"description":...}} */
static char *
fault_json (int code, const char *type, const char *message, const char *description)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	g_autoptr (JsonGenerator) gen = json_generator_new ();
	g_autoptr (JsonNode) root = NULL;

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "fault");
	json_builder_begin_object (b);
	json_builder_set_member_name (b, "code");
	json_builder_add_int_value (b, code);
	if (type != NULL) {
		json_builder_set_member_name (b, "type");
		json_builder_add_string_value (b, type);
	}
	json_builder_set_member_name (b, "message");
	json_builder_add_string_value (b, message);
	json_builder_set_member_name (b, "description");
	json_builder_add_string_value (b, description);
	json_builder_end_object (b);
	json_builder_end_object (b);
	root = json_builder_get_root (b);
	json_generator_set_root (gen, root);
	return json_generator_to_data (gen, NULL);
}

/* <p:fault xmlns:p="ns"><p:code/>[<p:type/>]<p:message/><p:description/></p:fault> */
static char *
fault_xml (const char *p, const char *ns, int code, const char *type, const char *message,
	   const char *description)
{
	g_autofree char *m = g_markup_escape_text (message, -1);
	g_autofree char *d = g_markup_escape_text (description, -1);
	g_autofree char *t = type != NULL ? g_markup_printf_escaped ("<%s:type>%s</%s:type>", p,
								     type, p)
					  : g_strdup ("");

	return g_strdup_printf ("<%s:fault xmlns:%s=\"%s\"><%s:code>%d</%s:code>%s"
				"<%s:message>%s</%s:message><%s:description>%s</%s:description>"
				"</%s:fault>",
				p, p, ns, p, code, p, t, p, m, p, p, d, p, p);
}

static gboolean
type_is_json (const char *type)
{
	return g_strcmp0 (type, "application/json") == 0 ||
	       g_strcmp0 (type, "text/javascript") == 0;
}

static gboolean
type_is_xml (const char *type)
{
	return g_strcmp0 (type, "application/xml") == 0 || g_strcmp0 (type, "text/xml") == 0 ||
	       g_strcmp0 (type, "application/soap+xml") == 0;
}

static AmGwFault *
fault_new (guint status, const char *message_type, const char *p, const char *ns, int code,
	   const char *type, const char *message, const char *description)
{
	AmGwFault *f = g_new0 (AmGwFault, 1);

	f->status = status;
	if (type_is_json (message_type)) {
		f->content_type = g_strdup (message_type);
		f->body = fault_json (code, type, message, description);
	} else {
		f->content_type = g_strdup (type_is_xml (message_type) ? message_type
								       : "application/xml");
		f->body = fault_xml (p, ns, code, type, message, description);
	}
	return f;
}

AmGwFault *
am_gw_fault_auth (int code, const char *exception_message, const char *accept)
{
	int i = auth_index (code);
	const char *message = i < 0 ? auth_codes[0].message : auth_codes[i].message;
	const char *extra = i < 0 ? NULL : auth_codes[i].extra;
	guint status = am_gw_fault_auth_status (code);
	const char *type = "application/xml"; /* _auth_failure_handler_ error_message_type */
	g_autofree char *description = NULL;
	AmGwFault *f;

	if (accept != NULL && g_strv_contains (accept_types, accept))
		type = accept;
	if (exception_message == NULL)
		exception_message = message;
	description = extra != NULL ? g_strdup_printf ("%s. %s", exception_message, extra)
				    : g_strdup (exception_message);
	f = fault_new (status, type, "ams", AM_GW_FAULT_AUTH_NS, code, NULL, message,
		       description);
	if (status == 401)
		f->www_authenticate = g_strdup (CHALLENGE);
	f->soap_code = AM_SOAP_FAULT_CLIENT;
	f->soap_reason = g_strdup ("Authentication Failure");
	f->soap_detail = g_strdup (exception_message);
	return f;
}

AmGwFault *
am_gw_fault_auth_refused (int code, const char *context, const char *version,
			  const char *accept)
{
	g_autofree char *msg = g_strdup_printf ("Access failure for API: %s, version: %s status: "
						"(%d) - %s",
						context, version, code,
						am_gw_fault_auth_message (code) != NULL
							? am_gw_fault_auth_message (code)
							: auth_codes[0].message);

	return am_gw_fault_auth (code, msg, accept);
}

AmGwFault *
am_gw_fault_auth_missing (const char *accept)
{
	return am_gw_fault_auth (900902, "Required OAuth credentials not provided", accept);
}

AmGwFault *
am_gw_fault_auth_unavailable (const char *accept)
{
	/* the APISecurityException message of the gateway's key data stores */
	return am_gw_fault_auth (900900,
				 "Error while accessing backend services for API key validation",
				 accept);
}

AmGwFault *
am_gw_fault_runtime (int code, guint status, const char *description, const char *method,
		     const char *content_type)
{
	g_autofree char *type = NULL;
	gboolean keeps_type = g_strcmp0 (method, "POST") == 0 || g_strcmp0 (method, "PUT") == 0 ||
			      g_strcmp0 (method, "PATCH") == 0;

	if (keeps_type && content_type != NULL) {
		const char *semi = strchr (content_type, ';');

		type = g_ascii_strdown (content_type, semi ? semi - content_type : -1);
		g_strstrip (type);
	}
	AmGwFault *f = fault_new (status, type != NULL ? type : "application/xml", "am",
				  AM_GW_FAULT_RUNTIME_NS, code, "Status report", "Runtime Error",
				  description);

	f->soap_code = AM_SOAP_FAULT_SERVER;
	f->soap_reason = g_strdup (description);
	return f;
}

AmGwFault *
am_gw_fault_resource_not_found (const char *method, const char *content_type)
{
	return am_gw_fault_runtime (404, 404, "No matching resource found for given API Request",
				    method, content_type);
}

AmGwFault *
am_gw_fault_method_not_allowed (const char *method, const char *content_type)
{
	return am_gw_fault_runtime (405, 405, "Method not allowed for given API resource", method,
				    content_type);
}

AmGwFault *
am_gw_fault_endpoint (int code, const char *method, const char *content_type)
{
	return am_gw_fault_runtime (code, 500,
				    code == 101504 ? "Send timeout"
						   : "Error connecting to the back end",
				    method, content_type);
}

AmGwFault *
am_gw_fault_endpoint_suspended (const char *endpoint_name, const char *method,
				const char *content_type)
{
	g_autofree char *d = g_strdup_printf (
		"Currently , Address endpoint : [ Name : %s ] [ State : SUSPENDED ]", endpoint_name);

	return am_gw_fault_runtime (303001, 500, d, method, content_type);
}

AmGwFault *
am_gw_fault_no_api (void)
{
	AmGwFault *f = g_new0 (AmGwFault, 1);

	f->status = 404;
	f->content_type = g_strdup ("application/xml");
	f->body = fault_xml ("am", AM_GW_FAULT_RUNTIME_NS, 404, "Status report", "Not Found",
			     "The requested resource is not available.");
	return f;
}

AmGwFault *
am_gw_fault_hard_limit (const char *accept)
{
	const char *type = "application/xml";
	AmGwFault *f;

	if (accept != NULL && g_strv_contains (accept_types, accept))
		type = accept;
	f = fault_new (503, type, "amt", AM_GW_FAULT_THROTTLE_NS, 900801, NULL,
		       "API Limit Reached", "API not accepting requests");
	f->soap_code = AM_SOAP_FAULT_SERVER;
	f->soap_reason = g_strdup ("API Limit Reached");
	f->soap_detail = g_strdup ("API not accepting requests");
	return f;
}

AmGwFault *
am_gw_fault_transport_denied (const char *transport, const char *path)
{
	AmGwFault *f = g_new0 (AmGwFault, 1);
	g_autofree char *d = g_strdup_printf ("Unsupported Transport [ %s ]. The requested "
					      "resource (/%s) is not available.",
					      transport, path);

	f->status = 403;
	f->content_type = g_strdup ("application/xml");
	f->body = fault_xml ("am", AM_GW_FAULT_RUNTIME_NS, 403, "Status report", "Forbidden", d);
	return f;
}

void
am_gw_fault_for_request (AmGwFault *fault, const char *method, const char *content_type)
{
	g_autoptr (AmSoapReply) reply = NULL;
	g_autofree char *detail = NULL;
	AmSoapVersion soap;

	/* Axis2 builds GET/DELETE/HEAD/OPTIONS as REST whatever the type */
	if (fault->soap_reason == NULL || method == NULL || strcmp (method, "GET") == 0 ||
	    strcmp (method, "DELETE") == 0 || strcmp (method, "HEAD") == 0 ||
	    strcmp (method, "OPTIONS") == 0 || !am_soap_version_of_type (content_type, &soap))
		return;
	if (fault->soap_detail != NULL)
		detail = g_markup_escape_text (fault->soap_detail, -1);
	reply = am_soap_fault (soap, fault->status, (AmSoapFaultCode) fault->soap_code,
			       fault->soap_reason, detail);
	g_free (fault->content_type);
	g_free (fault->body);
	fault->content_type = g_steal_pointer (&reply->content_type);
	fault->body = g_steal_pointer (&reply->body);
}
