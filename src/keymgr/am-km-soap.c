/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SOAP APIKeyValidationService a gateway uses with
 * APIKeyValidator/KeyValidatorClientType = WSClient: POST
 * /services/APIKeyValidationService on the management HTTPS port (and the
 * ...HttpsSoap11Endpoint / ...HttpsSoap12Endpoint / ...HttpsEndpoint names
 * Axis2 also answers to), SOAP 1.1 or 1.2 document/literal, operations
 * validateKey, getAllURITemplates and validateKeyforHandshake chosen by the
 * body element in http://org.apache.axis2/xsd (the SOAPAction header or
 * action parameter is not needed and not checked against it).
 *
 * It is a Carbon admin service (keymgt services.xml: DoAuthentication,
 * AuthorizationAction /permission/admin/manage, transport https): every
 * call carries HTTP Basic credentials, checked against the user store and
 * the permission; the call then gets a JSESSIONID cookie, which the
 * gateway replays, and later calls with a live session skip the user store.
 * Sessions live in memory with Tomcat's default 30 minute sliding timeout.
 *
 * Responses are written the way Axis2's POJO receiver writes them: the DTO
 * children in alphabetical order in the DTO's namespace, null strings as
 * xsi:nil="true", xsi:type on <return>.  A database failure is the service's
 * declared APIKeyMgtException fault.  Credentials and tokens never reach
 * the log.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"
#include "am-km-soap.h"
#include "am-mgmt.h"
#include "am-userstore.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#define SOAP_SERVICE_PATH "/services/APIKeyValidationService"
#define SOAP_PERMISSION "/permission/admin/manage"
/* A validateKey envelope is well under 2 KiB; this leaves room for any
 * client's headers and whitespace without buffering junk. */
#define SOAP_MAX_BODY (64 * 1024)

#define KEYMGT_NS "http://keymgt.apimgt.carbon.wso2.org/xsd"

static const char *const soap_paths[] = {
	SOAP_SERVICE_PATH,
	SOAP_SERVICE_PATH ".APIKeyValidationServiceHttpsSoap11Endpoint",
	SOAP_SERVICE_PATH ".APIKeyValidationServiceHttpsSoap12Endpoint",
	SOAP_SERVICE_PATH ".APIKeyValidationServiceHttpsEndpoint",
	NULL,
};

/* ---- requests and replies ---- */

void
am_km_soap_request_free (AmKmSoapRequest *req)
{
	if (req == NULL)
		return;
	g_free (req->context);
	g_free (req->version);
	g_free (req->access_token);
	g_free (req->required_auth_level);
	g_free (req->client_domain);
	g_free (req->matching_resource);
	g_free (req->http_verb);
	g_free (req);
}

AmSoapReply *
am_km_soap_fault (AmSoapVersion soap, guint status, AmSoapFaultCode code, const char *reason,
		  gboolean key_mgt_exception)
{
	return am_soap_fault (
		soap, status, code, reason,
		key_mgt_exception
			? "<ns:APIKeyValidationServiceAPIKeyMgtException xmlns:ns=\"" AM_AXIS2_XSD_NS
			  "\"><ns:APIKeyMgtException xmlns:ax2129=\"" KEYMGT_NS "\" xmlns:xsi=\"" AM_XSI_NS
			  "\" xsi:type=\"ax2129:APIKeyMgtException\"/>"
			  "</ns:APIKeyValidationServiceAPIKeyMgtException>"
			: NULL);
}

/* ---- writing the DTOs ---- */

/* <p:name>value</p:name>, or <p:name xsi:nil="true"/> for NULL. */
static void
put_text (GString *out, const char *p, const char *name, const char *value)
{
	g_autofree char *text = NULL;

	if (value == NULL) {
		g_string_append_printf (out, "<%s:%s xsi:nil=\"true\"/>", p, name);
		return;
	}
	text = g_markup_escape_text (value, -1);
	g_string_append_printf (out, "<%s:%s>%s</%s:%s>", p, name, text, p, name);
}

/* An unbounded nillable list: one element per item, one nil element for
 * NULL (Axis2 writes a null array that way), nothing for an empty one. */
static void
put_list (GString *out, const char *p, const char *name, char *const *values)
{
	if (values == NULL) {
		put_text (out, p, name, NULL);
		return;
	}
	for (guint i = 0; values[i] != NULL; i++)
		put_text (out, p, name, values[i]);
}

static void
put_bool (GString *out, const char *p, const char *name, gboolean value)
{
	g_string_append_printf (out, "<%s:%s>%s</%s:%s>", p, name, value ? "true" : "false", p,
				name);
}

#define INFO(n, k, f) { n, AM_KM_DTO_##k, G_STRUCT_OFFSET (AmKeyValidationInfo, f) }
#define TMPL(n, k, f) { n, AM_KM_DTO_##k, G_STRUCT_OFFSET (AmUriTemplate, f) }

/* APIKeyValidationInfoDTO: the 2.x XSD sequence, alphabetical. */
const AmKmDtoField am_km_soap_info_fields[] = {
	INFO ("apiName", TEXT, api_name),
	INFO ("apiPublisher", TEXT, api_publisher),
	INFO ("apiTier", TEXT, api_tier),
	INFO ("applicationId", TEXT, application_id),
	INFO ("applicationName", TEXT, application_name),
	INFO ("applicationTier", TEXT, application_tier),
	INFO ("authorized", BOOL, authorized),
	INFO ("authorizedDomains", LIST, authorized_domains),
	INFO ("consumerKey", TEXT, consumer_key),
	INFO ("contentAware", BOOL, content_aware),
	INFO ("endUserName", TEXT, end_user_name),
	INFO ("endUserToken", TEXT, end_user_token),
	INFO ("issuedTime", LONG, issued_time),
	INFO ("scopes", LIST, scopes),
	INFO ("spikeArrestLimit", INT, spike_arrest_limit),
	INFO ("spikeArrestUnit", TEXT, spike_arrest_unit),
	INFO ("stopOnQuotaReach", BOOL, stop_on_quota_reach),
	INFO ("subscriber", TEXT, subscriber),
	INFO ("subscriberTenantDomain", TEXT, subscriber_tenant_domain),
	INFO ("throttlingDataList", LIST, throttling_data_list),
	INFO ("tier", TEXT, tier),
	INFO ("type", TEXT, type),
	INFO ("userType", TEXT, user_type),
	INFO ("validationStatus", INT, validation_status),
	INFO ("validityPeriod", LONG, validity_period),
	{ NULL, 0, 0 },
};

/* URITemplate (api model): the XSD names we have values for, in the XSD's
 * order (Java property order: "HTTPVerb" sorts before the lowercase ones). */
const AmKmDtoField am_km_soap_template_fields[] = {
	TMPL ("HTTPVerb", TEXT, http_verb),
	TMPL ("applicableLevel", TEXT, applicable_level),
	TMPL ("authType", TEXT, auth_type),
	TMPL ("resourceSandboxURI", TEXT, resource_sandbox_uri),
	TMPL ("resourceSandboxURIExist", PRESENT, resource_sandbox_uri),
	TMPL ("resourceURI", TEXT, resource_uri),
	TMPL ("resourceURIExist", PRESENT, resource_uri),
	TMPL ("throttlingConditions", LIST, throttling_conditions),
	TMPL ("throttlingTier", TEXT, throttling_tier),
	TMPL ("uriTemplate", TEXT, uri_template),
	{ NULL, 0, 0 },
};

/* The <return> element: @value of XSD type @type in @type_ns, its children
 * from @fields. */
static void
put_return (GString *out, const char *type_ns, const char *type, const AmKmDtoField *fields,
	    gconstpointer value)
{
	const char *p = "ax21";

	g_string_append_printf (out,
				"<ns:return xmlns:%s=\"%s\" xmlns:xsi=\"" AM_XSI_NS "\" "
				"xsi:type=\"%s:%s\">",
				p, type_ns, p, type);
	for (const AmKmDtoField *f = fields; f->name != NULL; f++) {
		gconstpointer slot = G_STRUCT_MEMBER_P (value, f->offset);
		gint64 number = 0;

		switch (f->kind) {
		case AM_KM_DTO_TEXT:
			put_text (out, p, f->name, *(char *const *) slot);
			continue;
		case AM_KM_DTO_LIST:
			put_list (out, p, f->name, *(char *const *const *) slot);
			continue;
		case AM_KM_DTO_BOOL:
			put_bool (out, p, f->name, *(const gboolean *) slot);
			continue;
		case AM_KM_DTO_PRESENT:
			put_bool (out, p, f->name, *(char *const *) slot != NULL);
			continue;
		case AM_KM_DTO_INT:
			number = *(const int *) slot;
			break;
		case AM_KM_DTO_LONG:
			number = *(const gint64 *) slot;
			break;
		}
		g_string_append_printf (out, "<%s:%s>%" G_GINT64_FORMAT "</%s:%s>", p, f->name,
					number, p, f->name);
	}
	g_string_append (out, "</ns:return>");
}

AmSoapReply *
am_km_soap_info_reply (AmSoapVersion soap, const char *response_element,
		       const AmKeyValidationInfo *info)
{
	g_autoptr (GString) out = g_string_new (NULL);

	g_string_append_printf (out, "<ns:%s xmlns:ns=\"" AM_AXIS2_XSD_NS "\">", response_element);
	put_return (out, AM_KM_DTO_NS, "APIKeyValidationInfoDTO", am_km_soap_info_fields, info);
	g_string_append_printf (out, "</ns:%s>", response_element);
	return am_soap_envelope (soap, SOUP_STATUS_OK, out->str);
}

AmSoapReply *
am_km_soap_templates_reply (AmSoapVersion soap, GPtrArray *templates)
{
	g_autoptr (GString) out = g_string_new (NULL);

	g_string_append (out, "<ns:getAllURITemplatesResponse xmlns:ns=\"" AM_AXIS2_XSD_NS "\">");
	for (guint i = 0; templates != NULL && i < templates->len; i++)
		put_return (out, AM_KM_MODEL_NS, "URITemplate", am_km_soap_template_fields,
			    templates->pdata[i]);
	g_string_append (out, "</ns:getAllURITemplatesResponse>");
	return am_soap_envelope (soap, SOUP_STATUS_OK, out->str);
}

/* ---- parsing ---- */

typedef struct {
	const char *name;
	goffset offset; /* of a char * in AmKmSoapRequest */
} SoapField;

#define FIELD(n, f) { n, G_STRUCT_OFFSET (AmKmSoapRequest, f) }

static const SoapField validate_key_fields[] = {
	FIELD ("context", context),
	FIELD ("version", version),
	FIELD ("accessToken", access_token),
	FIELD ("requiredAuthenticationLevel", required_auth_level),
	FIELD ("clientDomain", client_domain),
	FIELD ("matchingResource", matching_resource),
	FIELD ("httpVerb", http_verb),
	{ NULL, 0 },
};

static const struct {
	const char *element;
	AmKmSoapOp op;
	int n_required; /* the first n fields must be present */
} soap_ops[] = {
	{ "validateKey", AM_KM_SOAP_VALIDATE_KEY, 3 },
	{ "getAllURITemplates", AM_KM_SOAP_GET_URI_TEMPLATES, 2 },
	{ "validateKeyforHandshake", AM_KM_SOAP_VALIDATE_KEY_FOR_HANDSHAKE, 3 },
};

/* The operation element's children into @req; a fault when a required one
 * is missing. */
static AmSoapReply *
read_fields (xmlNode *op_node, int n_required, AmKmSoapRequest *req)
{
	for (xmlNode *c = am_soap_first_element (op_node->children); c != NULL;
	     c = am_soap_first_element (c->next)) {
		/* elementFormDefault is qualified, but an unqualified child is
		 * accepted as Axis2's RPC receiver does */
		if (c->ns != NULL && strcmp ((const char *) c->ns->href, AM_AXIS2_XSD_NS) != 0)
			continue;
		for (guint i = 0; validate_key_fields[i].name != NULL; i++) {
			char **slot = G_STRUCT_MEMBER_P (req, validate_key_fields[i].offset);

			if (strcmp ((const char *) c->name, validate_key_fields[i].name) != 0)
				continue;
			g_free (*slot);
			*slot = am_soap_element_value (c);
		}
	}
	for (int i = 0; i < n_required; i++) {
		/* getAllURITemplates names its second child "version" too */
		char **slot = G_STRUCT_MEMBER_P (req, validate_key_fields[i].offset);

		if (*slot == NULL) {
			g_autofree char *msg = g_strdup_printf (
				"%s: required element %s is missing or nil",
				(const char *) op_node->name, validate_key_fields[i].name);

			return am_km_soap_fault (req->soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
						 AM_SOAP_FAULT_CLIENT, msg, FALSE);
		}
	}
	return NULL;
}

AmKmSoapRequest *
am_km_soap_parse (const char *content_type, const char *body, gsize len, AmSoapReply **fault)
{
	g_autoptr (AmKmSoapRequest) req = g_new0 (AmKmSoapRequest, 1);
	xmlNode *op_node = NULL;
	xmlDoc *doc = am_soap_parse (content_type, body, len, SOAP_MAX_BODY, SOAP_SERVICE_PATH,
				     &req->soap, &op_node, fault);

	if (doc == NULL)
		return NULL;
	for (guint i = 0; op_node != NULL && i < G_N_ELEMENTS (soap_ops); i++) {
		if (!am_soap_node_is (op_node, AM_AXIS2_XSD_NS, soap_ops[i].element))
			continue;
		req->op = soap_ops[i].op;
		*fault = read_fields (op_node, soap_ops[i].n_required, req);
		xmlFreeDoc (doc);
		return *fault != NULL ? NULL : g_steal_pointer (&req);
	}
	xmlFreeDoc (doc);
	/* Axis2's DispatchPhase message when no operation matches */
	*fault = am_km_soap_fault (req->soap, SOUP_STATUS_INTERNAL_SERVER_ERROR, AM_SOAP_FAULT_CLIENT,
				   "The endpoint reference (EPR) for the Operation not found is "
				   SOAP_SERVICE_PATH " and the WSA Action = null",
				   FALSE);
	return NULL;
}

/* ---- running a call ---- */

AmSoapReply *
am_km_soap_execute (AmKm *km, const AmKmSoapRequest *req)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmKeyValidationInfo) info = NULL;
	g_autoptr (GPtrArray) templates = NULL;
	AmKeyValidationRequest vr = {
		.context = req->context,
		.version = req->version,
		.access_token = req->access_token,
		.required_auth_level = req->required_auth_level,
		.client_domain = req->client_domain,
		.matching_resource = req->matching_resource,
		.http_verb = req->http_verb,
	};

	switch (req->op) {
	case AM_KM_SOAP_VALIDATE_KEY:
		info = am_km_validate_key (km, &vr, &error);
		if (info != NULL)
			return am_km_soap_info_reply (req->soap, "validateKeyResponse", info);
		break;
	case AM_KM_SOAP_VALIDATE_KEY_FOR_HANDSHAKE:
		info = am_km_validate_key_for_handshake (km, req->context, req->version,
							 req->access_token, &error);
		if (info != NULL)
			return am_km_soap_info_reply (req->soap, "validateKeyforHandshakeResponse",
						      info);
		break;
	case AM_KM_SOAP_GET_URI_TEMPLATES:
		templates = am_km_get_uri_templates (km, req->context, req->version, &error);
		if (templates != NULL)
			return am_km_soap_templates_reply (req->soap, templates);
		break;
	}
	g_warning ("SOAP APIKeyValidationService: %s %s: %s", req->context, req->version,
		   error != NULL ? error->message : "failed");
	return am_km_soap_fault (req->soap, SOUP_STATUS_INTERNAL_SERVER_ERROR, AM_SOAP_FAULT_SERVER,
				 req->op == AM_KM_SOAP_GET_URI_TEMPLATES
					 ? "Error while retrieving the URI templates"
					 : "Error while validating the access token",
				 TRUE);
}

/* ---- the component ---- */

/* A call that passed authentication, on a worker thread. */
static AmSoapReply *
soap_call (gpointer data, const char *content_type, const char *body, gsize len)
{
	g_autoptr (AmKmSoapRequest) req = NULL;
	AmSoapReply *reply = NULL;

	req = am_km_soap_parse (content_type, body, len, &reply);
	return req != NULL ? am_km_soap_execute (data, req) : reply;
}

static gpointer
soap_start (AmKm *km, GError **error)
{
	AmServer *server = am_km_get_server (km);
	AmMgmt *mgmt = server != NULL ? am_server_get_mgmt (server) : NULL;
	AmUserStore *us = server != NULL ? am_server_get_userstore (server) : NULL;

	if (mgmt == NULL || us == NULL) {
		g_message ("SOAP APIKeyValidationService not started: no management server or "
			   "user store in this profile");
		return GINT_TO_POINTER (1);
	}
	return am_soap_admin_new (mgmt, us, soap_paths, SOAP_PERMISSION, SOAP_MAX_BODY, soap_call,
				  km);
}

static void
soap_stop (gpointer state)
{
	if (state != GINT_TO_POINTER (1))
		am_soap_admin_free (state);
}

const AmKmComponent am_km_soap_component = {
	.name = "soap",
	.start = soap_start,
	.stop = soap_stop,
};
