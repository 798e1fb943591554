/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pieces of the SOAP APIKeyValidationService (am-km-soap.c) and of the
 * gateway notification (am-km-notify.c) that have a contract of their own:
 * the envelope parser, the response and fault writers and the "is this
 * environment ourselves" rule.  The component entry points are in am-km.h.
 */
#pragma once

#include "am-km.h"
#include "am-soap.h"

/* the XSD namespaces of APIKeyValidationInfoDTO and URITemplate */
#define AM_KM_DTO_NS "http://dto.impl.apimgt.carbon.wso2.org/xsd"
#define AM_KM_MODEL_NS "http://model.api.apimgt.carbon.wso2.org/xsd"

typedef enum {
	AM_KM_SOAP_VALIDATE_KEY,
	AM_KM_SOAP_GET_URI_TEMPLATES,
	AM_KM_SOAP_VALIDATE_KEY_FOR_HANDSHAKE,
} AmKmSoapOp;

/* A parsed request.  Absent or xsi:nil children are NULL. */
typedef struct {
	AmSoapVersion soap;
	AmKmSoapOp op;
	char *context;
	char *version;
	char *access_token;
	char *required_auth_level;
	char *client_domain;
	char *matching_resource;
	char *http_verb;
} AmKmSoapRequest;

void am_km_soap_request_free (AmKmSoapRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmKmSoapRequest, am_km_soap_request_free)

/* Parse a request body.  @content_type is the HTTP Content-Type (may be
 * NULL).  On failure returns NULL and a SOAP fault in @fault (in the
 * envelope's version when it could be told). */
AmKmSoapRequest *am_km_soap_parse (const char *content_type, const char *body, gsize len,
				   AmSoapReply **fault);

/* A fault envelope with @reason; @key_mgt_exception adds the detail of the
 * service's declared APIKeyMgtException
 * (APIKeyValidationServiceAPIKeyMgtException). */
AmSoapReply *am_km_soap_fault (AmSoapVersion soap, guint status, AmSoapFaultCode code,
				 const char *reason, gboolean key_mgt_exception);
/* The XSD children of APIKeyValidationInfoDTO / URITemplate in their
 * order, with the struct member each maps to (the gateway's WSClient reads
 * the same tables). */
typedef enum {
	AM_KM_DTO_TEXT,	   /* char *, nillable */
	AM_KM_DTO_LIST,	   /* char **, unbounded and nillable */
	AM_KM_DTO_BOOL,	   /* gboolean */
	AM_KM_DTO_INT,	   /* int */
	AM_KM_DTO_LONG,	   /* gint64 */
	AM_KM_DTO_PRESENT, /* boolean: whether the char * is set (written only) */
} AmKmDtoKind;

typedef struct {
	const char *name;
	AmKmDtoKind kind;
	goffset offset;
} AmKmDtoField;

/* NULL-name terminated; offsets into AmKeyValidationInfo / AmUriTemplate. */
extern const AmKmDtoField am_km_soap_info_fields[];
extern const AmKmDtoField am_km_soap_template_fields[];

/* The response envelopes as Axis2 writes them for the POJO service. */
AmSoapReply *am_km_soap_info_reply (AmSoapVersion soap, const char *response_element,
				      const AmKeyValidationInfo *info);
AmSoapReply *am_km_soap_templates_reply (AmSoapVersion soap, GPtrArray *templates);
/* Run @req against the Key Manager and write the response (or the
 * APIKeyMgtException fault on a database failure).  Blocks. */
AmSoapReply *am_km_soap_execute (AmKm *km, const AmKmSoapRequest *req);

/* am-km-notify.c: whether an environment's ServerURL points at this very
 * server: a loopback or local address (or this host's name) and one of our
 * management ports (@https_port, @http_port; <= 0 for none). */
gboolean am_km_notify_url_is_self (const char *server_url, const char *own_host, int https_port,
				   int http_port);
