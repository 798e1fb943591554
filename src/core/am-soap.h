/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Carbon admin services over SOAP, shared by every component that serves
 * one (the Key Manager's APIKeyValidationService, the gateway's
 * APIAuthenticationService): envelope parsing with Axis2's faults, reply
 * and fault writers, and the HTTP side of an admin service (https only,
 * HTTP Basic against the user store and a permission, JSESSIONID sessions,
 * the work on a worker thread).
 */
#pragma once

#include <libsoup/soup.h>
#include <libxml/tree.h>

#include "am-server.h"

#define AM_SOAP11_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define AM_SOAP12_NS "http://www.w3.org/2003/05/soap-envelope"
#define AM_XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
/* schema namespace of WSO2's POJO admin services (services.xml) */
#define AM_AXIS2_XSD_NS "http://org.apache.axis2/xsd"
/* The gateway's APIAuthenticationService (no schemaNamespace in its
 * services.xml: Axis2 derives it from the service class's Java package;
 * as in carbon-apimgt's APIAuthenticationService.wsdl stub). */
#define AM_GW_AUTH_SERVICE_NS "http://service.security.handlers.gateway.apimgt.carbon.wso2.org"

typedef enum {
	AM_SOAP_11,
	AM_SOAP_12,
} AmSoapVersion;

typedef enum {
	AM_SOAP_FAULT_SERVER,		/* soapenv:Server / soap:Receiver */
	AM_SOAP_FAULT_CLIENT,		/* soapenv:Client / soap:Sender */
	AM_SOAP_FAULT_VERSION_MISMATCH, /* not a SOAP 1.1 or 1.2 envelope */
} AmSoapFaultCode;

/* A response ready to send: HTTP status, content type and body. */
typedef struct {
	guint status;
	char *content_type;
	char *body;
} AmSoapReply;

void am_soap_reply_free (AmSoapReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmSoapReply, am_soap_reply_free)

/* An envelope of @soap around @inner (the Body's content). */
AmSoapReply *am_soap_envelope (AmSoapVersion soap, guint status, const char *inner);
/* A fault envelope with @reason; @detail (XML, may be NULL) goes into the
 * fault's detail element. */
AmSoapReply *am_soap_fault (AmSoapVersion soap, guint status, AmSoapFaultCode code,
			    const char *reason, const char *detail);

/* Content type -> SOAP version (text/xml: 1.1, application/soap+xml: 1.2,
 * parameters ignored); FALSE for any other type. */
gboolean am_soap_version_of_type (const char *content_type, AmSoapVersion *soap);

/* Parse a request: @content_type must be a SOAP media type matching the
 * envelope, at most @max_len bytes, XML without a DTD, an Envelope with a
 * Body.  Returns the document (free with xmlFreeDoc) with the Body's first
 * element in @op (NULL for an empty Body) and the version in @soap; or NULL
 * and Axis2's fault in @fault.  @service_path names the document. */
xmlDoc *am_soap_parse (const char *content_type, const char *body, gsize len, gsize max_len,
		       const char *service_path, AmSoapVersion *soap, xmlNode **op,
		       AmSoapReply **fault);

gboolean am_soap_node_is (xmlNode *node, const char *ns, const char *name);
xmlNode *am_soap_first_element (xmlNode *node);
/* The text of @node, NULL when xsi:nil. */
char *am_soap_element_value (xmlNode *node);

/* ---- an admin service on the management server ---- */

/* Runs on a worker thread for an authenticated, authorized call; returns
 * the reply to send. */
typedef AmSoapReply *(*AmSoapAdminFunc) (gpointer data, const char *content_type,
					 const char *body, gsize len);

typedef struct _AmSoapAdmin AmSoapAdmin;

/* Mount @fn at each of @paths (NULL-terminated; the first is the service's
 * name in messages) on @mgmt: POST over https only, at most @max_body
 * bytes, HTTP Basic credentials checked against @us and @permission (or a
 * live JSESSIONID from an earlier call).  @permission NULL: an anonymous
 * service (Carbon's UserRegistrationAdminService), no credentials read. */
AmSoapAdmin *am_soap_admin_new (AmMgmt *mgmt, AmUserStore *us, const char *const *paths,
				const char *permission, gsize max_body, AmSoapAdminFunc fn,
				gpointer data);
/* Unmount and wait for the calls on worker threads. */
void am_soap_admin_free (AmSoapAdmin *admin);
