/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The error responses a WSO2 2.x gateway sends instead of the backend's:
 * authentication failures (900900 - 900910, APIAuthenticationHandler and
 * the _auth_failure_handler_ sequence) and the runtime faults of the
 * shipped `fault` and `main` sequences (404/405 resource mismatch, endpoint
 * errors 101503/101504, suspended endpoint 303001, no such API).  Each is a
 * status, a content type, a body and, for 401s, WWW-Authenticate.
 */
#pragma once

#include <glib.h>

#define AM_GW_FAULT_AUTH_NS "http://wso2.org/apimanager/security"
#define AM_GW_FAULT_RUNTIME_NS "http://wso2.org/apimanager"

typedef struct {
	guint status;
	char *content_type;
	char *body;
	char *www_authenticate; /* NULL unless 401 */
	/* What a SOAP request gets instead (NULL: the same body): faultcode
	 * Client/Server, reason and optional detail text. */
	int soap_code;		/* AmSoapFaultCode */
	char *soap_reason;
	char *soap_detail;
} AmGwFault;

void am_gw_fault_free (AmGwFault *fault);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmGwFault, am_gw_fault_free)

/* ams:message of @code (900900 - 900910), NULL for any other code. */
const char *am_gw_fault_auth_message (int code);
/* The HTTP status WSO2 answers @code with (500 / 401 / 403). */
guint am_gw_fault_auth_status (int code);

/* An authentication failure with @code and the exception message
 * @exception_message (the description is that message plus, for some
 * codes, WSO2's extra sentence).  @accept is the request's Accept header
 * (may be NULL): JSON when it asks for it, else XML. */
AmGwFault *am_gw_fault_auth (int code, const char *exception_message, const char *accept);
/* The Key Manager refused (validationStatus @code) a call of
 * @context/@version: "Access failure for API: ..., version: ... status: ...". */
AmGwFault *am_gw_fault_auth_refused (int code, const char *context, const char *version,
				     const char *accept);
/* No bearer token in the request (900902). */
AmGwFault *am_gw_fault_auth_missing (const char *accept);
/* The Key Manager could not be asked (900900). */
AmGwFault *am_gw_fault_auth_unavailable (const char *accept);

/* The `fault` sequence's am:fault: code, "Status report", "Runtime Error",
 * @description; JSON only when @method is POST/PUT/PATCH and the request
 * @content_type is JSON (the sequence keeps the request's message type
 * then), else application/xml. */
AmGwFault *am_gw_fault_runtime (int code, guint status, const char *description,
				const char *method, const char *content_type);
/* CORSRequestHandler: no resource matches the path (404) / the verb (405). */
AmGwFault *am_gw_fault_resource_not_found (const char *method, const char *content_type);
AmGwFault *am_gw_fault_method_not_allowed (const char *method, const char *content_type);
/* The endpoint failed: 101503 (connect), 101504 (timeout). */
AmGwFault *am_gw_fault_endpoint (int code, const char *method, const char *content_type);
/* The endpoint @endpoint_name is suspended (303001). */
AmGwFault *am_gw_fault_endpoint_suspended (const char *endpoint_name, const char *method,
					   const char *content_type);
#define AM_GW_FAULT_THROTTLE_NS "http://wso2.org/apimanager/throttling"
/* ThrottleHandler's hard limit (productionMaxCount / sandboxMaxCount):
 * amt:fault 900801 "API Limit Reached", 503; format by @accept as for
 * authentication failures. */
AmGwFault *am_gw_fault_hard_limit (const char *accept);

/* The `main` sequence: no API matches the request (404). */
AmGwFault *am_gw_fault_no_api (void);
/* The `main` sequence: the API exists but not on this transport (403):
 * @transport "http"/"https", @path the request path without its '/'. */
AmGwFault *am_gw_fault_transport_denied (const char *transport, const char *path);

/* A SOAP request (@content_type text/xml or application/soap+xml) gets its
 * fault as a SOAP fault of its version, as APIAuthenticationHandler
 * (Client, "Authentication Failure", the exception message) and the
 * `fault` sequence (Server, ERROR_MESSAGE) send them; any other request,
 * or a fault without a SOAP form, is left as it is. */
void am_gw_fault_for_request (AmGwFault *fault, const char *method, const char *content_type);
