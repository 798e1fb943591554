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
#include <openssl/rand.h>
#include <string.h>

#define SOAP_SERVICE_PATH "/services/APIKeyValidationService"
#define SOAP_PERMISSION "/permission/admin/manage"
/* A validateKey envelope is well under 2 KiB; this leaves room for any
 * client's headers and whitespace without buffering junk. */
#define SOAP_MAX_BODY (64 * 1024)
#define SOAP_SESSION_TIMEOUT (30 * 60 * G_USEC_PER_SEC)
#define SOAP_MAX_SESSIONS 10000

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
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

void
am_km_soap_reply_free (AmKmSoapReply *reply)
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

/* Wrap @inner (the Body's content) in an envelope. */
static AmKmSoapReply *
soap_envelope (AmSoapVersion soap, guint status, const char *inner)
{
	AmKmSoapReply *reply = g_new0 (AmKmSoapReply, 1);

	reply->status = status;
	reply->content_type = g_strdup (soap == AM_SOAP_12 ? "application/soap+xml; charset=UTF-8"
							   : "text/xml; charset=UTF-8");
	reply->body = g_strdup_printf ("<?xml version='1.0' encoding='UTF-8'?>"
				       "<soapenv:Envelope xmlns:soapenv=\"%s\"><soapenv:Body>%s"
				       "</soapenv:Body></soapenv:Envelope>",
				       soap_ns (soap), inner);
	return reply;
}

AmKmSoapReply *
am_km_soap_fault (AmSoapVersion soap, guint status, AmSoapFaultCode code, const char *reason,
		  gboolean key_mgt_exception)
{
	static const char *const codes11[] = { "Server", "Client", "VersionMismatch" };
	static const char *const codes12[] = { "Receiver", "Sender", "VersionMismatch" };
	g_autofree char *text = g_markup_escape_text (reason, -1);
	g_autofree char *detail = NULL;
	g_autofree char *inner = NULL;

	if (key_mgt_exception)
		detail = g_strdup (
			"<ns:APIKeyValidationServiceAPIKeyMgtException xmlns:ns=\"" AM_AXIS2_XSD_NS "\">"
			"<ns:APIKeyMgtException xmlns:ax2129=\"" KEYMGT_NS "\" xmlns:xsi=\"" XSI_NS "\" "
			"xsi:type=\"ax2129:APIKeyMgtException\"/>"
			"</ns:APIKeyValidationServiceAPIKeyMgtException>");
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
	return soap_envelope (soap, status, inner);
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
				"<ns:return xmlns:%s=\"%s\" xmlns:xsi=\"" XSI_NS "\" "
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

AmKmSoapReply *
am_km_soap_info_reply (AmSoapVersion soap, const char *response_element,
		       const AmKeyValidationInfo *info)
{
	g_autoptr (GString) out = g_string_new (NULL);

	g_string_append_printf (out, "<ns:%s xmlns:ns=\"" AM_AXIS2_XSD_NS "\">", response_element);
	put_return (out, AM_KM_DTO_NS, "APIKeyValidationInfoDTO", am_km_soap_info_fields, info);
	g_string_append_printf (out, "</ns:%s>", response_element);
	return soap_envelope (soap, SOUP_STATUS_OK, out->str);
}

AmKmSoapReply *
am_km_soap_templates_reply (AmSoapVersion soap, GPtrArray *templates)
{
	g_autoptr (GString) out = g_string_new (NULL);

	g_string_append (out, "<ns:getAllURITemplatesResponse xmlns:ns=\"" AM_AXIS2_XSD_NS "\">");
	for (guint i = 0; templates != NULL && i < templates->len; i++)
		put_return (out, AM_KM_MODEL_NS, "URITemplate", am_km_soap_template_fields,
			    templates->pdata[i]);
	g_string_append (out, "</ns:getAllURITemplatesResponse>");
	return soap_envelope (soap, SOUP_STATUS_OK, out->str);
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

static gboolean
node_is (xmlNode *node, const char *ns, const char *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE &&
	       strcmp ((const char *) node->name, name) == 0 &&
	       (ns == NULL ? node->ns == NULL
			   : node->ns != NULL && strcmp ((const char *) node->ns->href, ns) == 0);
}

static xmlNode *
first_element (xmlNode *node)
{
	for (; node != NULL; node = node->next)
		if (node->type == XML_ELEMENT_NODE)
			return node;
	return NULL;
}

/* Content type -> SOAP version; FALSE when it is neither SOAP media type. */
static gboolean
soap_version_of_type (const char *content_type, AmSoapVersion *soap)
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

static char *
element_value (xmlNode *node)
{
	xmlChar *nil = xmlGetNsProp (node, (const xmlChar *) "nil", (const xmlChar *) XSI_NS);
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

/* The operation element's children into @req; a fault when a required one
 * is missing. */
static AmKmSoapReply *
read_fields (xmlNode *op_node, int n_required, AmKmSoapRequest *req)
{
	for (xmlNode *c = first_element (op_node->children); c != NULL;
	     c = first_element (c->next)) {
		/* elementFormDefault is qualified, but an unqualified child is
		 * accepted as Axis2's RPC receiver does */
		if (c->ns != NULL && strcmp ((const char *) c->ns->href, AM_AXIS2_XSD_NS) != 0)
			continue;
		for (guint i = 0; validate_key_fields[i].name != NULL; i++) {
			char **slot = G_STRUCT_MEMBER_P (req, validate_key_fields[i].offset);

			if (strcmp ((const char *) c->name, validate_key_fields[i].name) != 0)
				continue;
			g_free (*slot);
			*slot = element_value (c);
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

/* The Envelope's Body's first element, or a fault. */
static xmlNode *
soap_body_element (xmlDoc *doc, AmSoapVersion *soap, gboolean have_type, AmSoapVersion type_soap,
		   AmKmSoapReply **fault)
{
	xmlNode *env = xmlDocGetRootElement (doc);
	xmlNode *node;
	const char *ns;

	if (env == NULL || strcmp ((const char *) env->name, "Envelope") != 0 || env->ns == NULL) {
		*fault = am_km_soap_fault (AM_SOAP_11, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					   AM_SOAP_FAULT_CLIENT,
					   "First Element must contain the local name, Envelope",
					   FALSE);
		return NULL;
	}
	ns = (const char *) env->ns->href;
	if (strcmp (ns, AM_SOAP11_NS) == 0) {
		*soap = AM_SOAP_11;
	} else if (strcmp (ns, AM_SOAP12_NS) == 0) {
		*soap = AM_SOAP_12;
	} else {
		*fault = am_km_soap_fault (AM_SOAP_11, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					   AM_SOAP_FAULT_VERSION_MISMATCH,
					   "Only SOAP 1.1 and SOAP 1.2 envelopes are accepted", FALSE);
		return NULL;
	}
	if (have_type && type_soap != *soap) {
		*fault = am_km_soap_fault (*soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					   AM_SOAP_FAULT_CLIENT,
					   "Transport level information does not match with SOAP "
					   "Message namespace URI",
					   FALSE);
		return NULL;
	}
	node = first_element (env->children);
	if (node_is (node, ns, "Header"))
		node = first_element (node->next);
	if (!node_is (node, ns, "Body")) {
		*fault = am_km_soap_fault (*soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					   AM_SOAP_FAULT_CLIENT, "SOAP Envelope has no Body", FALSE);
		return NULL;
	}
	return first_element (node->children);
}

static AmKmSoapRequest *
soap_parse_doc (xmlDoc *doc, gboolean have_type, AmSoapVersion type_soap, AmKmSoapReply **fault)
{
	g_autoptr (AmKmSoapRequest) req = g_new0 (AmKmSoapRequest, 1);
	xmlNode *op_node = soap_body_element (doc, &req->soap, have_type, type_soap, fault);

	if (*fault != NULL)
		return NULL;
	for (guint i = 0; op_node != NULL && i < G_N_ELEMENTS (soap_ops); i++) {
		if (!node_is (op_node, AM_AXIS2_XSD_NS, soap_ops[i].element))
			continue;
		req->op = soap_ops[i].op;
		*fault = read_fields (op_node, soap_ops[i].n_required, req);
		return *fault != NULL ? NULL : g_steal_pointer (&req);
	}
	/* Axis2's DispatchPhase message when no operation matches */
	*fault = am_km_soap_fault (req->soap, SOUP_STATUS_INTERNAL_SERVER_ERROR, AM_SOAP_FAULT_CLIENT,
				   "The endpoint reference (EPR) for the Operation not found is "
				   SOAP_SERVICE_PATH " and the WSA Action = null",
				   FALSE);
	return NULL;
}

AmKmSoapRequest *
am_km_soap_parse (const char *content_type, const char *body, gsize len, AmKmSoapReply **fault)
{
	/* NONET: never fetch anything; no NOENT/DTDLOAD: entities stay
	 * unexpanded; a DOCTYPE is refused below, as Axiom refuses it */
	const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			    XML_PARSE_NOCDATA;
	AmSoapVersion type_soap = AM_SOAP_11;
	gboolean have_type = soap_version_of_type (content_type, &type_soap);
	xmlParserCtxt *ctxt;
	xmlDoc *doc;
	AmKmSoapRequest *req;

	*fault = NULL;
	if (!have_type) {
		*fault = am_km_soap_fault (AM_SOAP_11, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
					   AM_SOAP_FAULT_CLIENT,
					   "Content-Type must be text/xml (SOAP 1.1) or "
					   "application/soap+xml (SOAP 1.2)",
					   FALSE);
		return NULL;
	}
	if (len > SOAP_MAX_BODY) {
		*fault = am_km_soap_fault (type_soap, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
					   AM_SOAP_FAULT_CLIENT, "Request too large", FALSE);
		return NULL;
	}
	ctxt = xmlNewParserCtxt ();
	if (ctxt == NULL) {
		*fault = am_km_soap_fault (type_soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					   AM_SOAP_FAULT_SERVER, "Out of memory", FALSE);
		return NULL;
	}
	doc = xmlCtxtReadMemory (ctxt, body, (int) len, SOAP_SERVICE_PATH, NULL, options);
	xmlFreeParserCtxt (ctxt);
	if (doc == NULL) {
		*fault = am_km_soap_fault (type_soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					   AM_SOAP_FAULT_CLIENT, "Malformed SOAP envelope: not XML",
					   FALSE);
		return NULL;
	}
	if (doc->intSubset != NULL) {
		*fault = am_km_soap_fault (type_soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					   AM_SOAP_FAULT_CLIENT,
					   "SOAP message MUST NOT contain a Document Type "
					   "Declaration(DTD)",
					   FALSE);
		xmlFreeDoc (doc);
		return NULL;
	}
	req = soap_parse_doc (doc, have_type, type_soap, fault);
	xmlFreeDoc (doc);
	return req;
}

/* ---- running a call ---- */

AmKmSoapReply *
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

/* ---- HTTP: sessions, authentication, the handler ---- */

typedef struct {
	AmKm *km;		/* NULL once stopped */
	AmMgmt *mgmt;
	AmUserStore *userstore;
	GMutex lock;		/* sessions, in_flight */
	GCond idle;
	GHashTable *sessions;	/* JSESSIONID -> SoapSession */
	guint in_flight;	/* calls on worker threads */
} SoapService;

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
	AmKmSoapReply *reply;
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
	am_km_soap_reply_free (call->reply);
	g_free (call->new_session);
	g_free (call);
}

static AmKmSoapReply *
soap_unauthorized (void)
{
	return am_km_soap_fault (AM_SOAP_11, SOUP_STATUS_UNAUTHORIZED, AM_SOAP_FAULT_CLIENT,
				 "Access Denied. Authentication failed - Invalid credentials "
				 "provided.",
				 FALSE);
}

/* Basic credentials against the user store and the service's permission;
 * a session on success.  Blocks. */
static AmKmSoapReply *
soap_call_login (SoapCall *call)
{
	SoapService *svc = call->svc;
	g_autoptr (GError) error = NULL;

	if (!am_userstore_authenticate (svc->userstore, call->user, call->password, &error)) {
		if (g_error_matches (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_AUTH))
			return soap_unauthorized ();
		g_warning ("SOAP APIKeyValidationService: user store: %s", error->message);
		return am_km_soap_fault (AM_SOAP_11, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					 AM_SOAP_FAULT_SERVER, "Authentication failed", FALSE);
	}
	if (!am_userstore_is_authorized (svc->userstore, call->user, SOAP_PERMISSION, &error)) {
		if (error != NULL)
			g_warning ("SOAP APIKeyValidationService: user store: %s", error->message);
		else
			g_message ("SOAP APIKeyValidationService: user '%s' lacks %s", call->user,
				   SOAP_PERMISSION);
		return am_km_soap_fault (AM_SOAP_11,
					 error != NULL ? SOUP_STATUS_INTERNAL_SERVER_ERROR
						       : SOUP_STATUS_FORBIDDEN,
					 AM_SOAP_FAULT_CLIENT,
					 "Access Denied. Authorization failed - the user is not "
					 "authorized to perform this action",
					 FALSE);
	}
	call->new_session = session_new (svc, call->user);
	return NULL;
}

static void
soap_call_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	SoapCall *call = data;
	SoapService *svc = call->svc;
	g_autoptr (AmKmSoapRequest) req = NULL;
	gsize len = 0;
	const char *body = g_bytes_get_data (call->body, &len);

	if (call->password != NULL)
		call->reply = soap_call_login (call);
	if (call->reply == NULL)
		req = am_km_soap_parse (call->content_type, body, len, &call->reply);
	if (req != NULL)
		call->reply = am_km_soap_execute (svc->km, req);

	g_mutex_lock (&svc->lock);
	svc->in_flight--;
	g_cond_broadcast (&svc->idle);
	g_mutex_unlock (&svc->lock);
	g_task_return_boolean (task, TRUE);
}

static void
soap_respond (SoupServerMessage *msg, const AmKmSoapReply *reply)
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

static gboolean
soap_path_known (const char *path)
{
	return g_strv_contains (soap_paths, path);
}

static void
on_soap_request (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
		 gpointer user_data)
{
	SoapService *svc = user_data;
	GUri *uri = soup_server_message_get_uri (msg);
	SoupMessageBody *body = soup_server_message_get_request_body (msg);
	g_autoptr (GBytes) bytes = NULL;
	g_autoptr (AmKmSoapReply) early = NULL;
	g_autofree char *session_id = NULL;
	g_autoptr (GTask) task = NULL;
	SoapCall *call;

	if (!soap_path_known (path)) {
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

		early = am_km_soap_fault (AM_SOAP_11, SOUP_STATUS_INTERNAL_SERVER_ERROR,
					  AM_SOAP_FAULT_SERVER, msg_text, FALSE);
		soap_respond (msg, early);
		return;
	}
	if (body->length > SOAP_MAX_BODY) {
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
	if (call->user == NULL && !request_basic_auth (msg, &call->user, &call->password)) {
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
	SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);

	if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_CONTENT_LENGTH &&
	    soup_message_headers_get_content_length (h) > SOAP_MAX_BODY)
		soup_server_message_set_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
}

/* ---- the component ---- */

static gpointer
soap_start (AmKm *km, GError **error)
{
	AmServer *server = am_km_get_server (km);
	AmMgmt *mgmt = server != NULL ? am_server_get_mgmt (server) : NULL;
	AmUserStore *us = server != NULL ? am_server_get_userstore (server) : NULL;
	SoapService *svc;

	if (mgmt == NULL || us == NULL) {
		g_message ("SOAP APIKeyValidationService not started: no management server or "
			   "user store in this profile");
		return GINT_TO_POINTER (1);
	}
	svc = g_new0 (SoapService, 1);
	svc->km = km;
	svc->mgmt = mgmt;
	svc->userstore = us;
	g_mutex_init (&svc->lock);
	g_cond_init (&svc->idle);
	svc->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, soap_session_free);
	for (guint i = 0; soap_paths[i] != NULL; i++) {
		am_mgmt_add_handler (mgmt, soap_paths[i], on_soap_request, svc, NULL);
		soup_server_add_early_handler (am_mgmt_get_soup_server (mgmt), soap_paths[i],
					       on_soap_headers, svc, NULL);
	}
	g_debug ("SOAP APIKeyValidationService at %s (https)", SOAP_SERVICE_PATH);
	return svc;
}

static void
soap_stop (gpointer state)
{
	SoapService *svc = state;

	if (state == GINT_TO_POINTER (1))
		return;
	/* removes the early handlers too */
	for (guint i = 0; soap_paths[i] != NULL; i++)
		am_mgmt_remove_handler (svc->mgmt, soap_paths[i]);
	/* calls on worker threads use the Key Manager: let them finish */
	g_mutex_lock (&svc->lock);
	while (svc->in_flight > 0)
		g_cond_wait (&svc->idle, &svc->lock);
	g_mutex_unlock (&svc->lock);
	/* their completions may still run on the main loop: they only touch
	 * the message, never @svc, so it can go */
	g_hash_table_unref (svc->sessions);
	g_cond_clear (&svc->idle);
	g_mutex_clear (&svc->lock);
	g_free (svc);
}

const AmKmComponent am_km_soap_component = {
	.name = "soap",
	.start = soap_start,
	.stop = soap_stop,
};
