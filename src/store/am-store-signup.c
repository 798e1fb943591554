/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Store's self sign-up: Carbon's UserRegistrationAdminService
 * (carbon-identity-framework, UserRegistrationAdminService.wsdl) at
 * https://<host>:9443/services/UserRegistrationAdminService, which the API-M
 * 2.x Store's sign-up page calls without credentials.  Operations:
 *
 *   addUser {user: UserDTO {openID, password, userFields*, userName}}
 *       robust in-only: 202 Accepted with no body, or a SOAP fault
 *   isUserExist {username}      -> isUserExistResponse {return: boolean}
 *   isAddUserEnabled {}         -> isAddUserEnabledResponse {return: boolean}
 *
 * The wrapper elements are in the schema namespace the WSDL gives them
 * (http://org.apache.axis2/xsd), the UserDTO members in
 * http://dto.registration.user.identity.carbon.wso2.org/xsd; as Axis2's
 * RPC receivers do, they are matched by local name (the operation also by
 * SOAPAction-free body dispatch).  The user is added to the primary user
 * store with the role Internal/subscriber (am_consumer_sign_up: the
 * SignUpRole of 2.x's default-sign-up-config.xml) only while sign-up is
 * enabled: EnableSignup of the tenant registry's
 * /_system/governance/apimgt/applicationdata/sign-up-config.xml, true when
 * the registry has none (the file 2.x copies there on first start says
 * true).  Bad input (no user name, no password, a name or password the
 * user store's patterns refuse, a taken name) is a SOAP Client fault with
 * Carbon's reason; userFields (claims such as the e-mail address) are
 * accepted and not stored: the JDBC user store's claim tables are not
 * written by this server.
 */
#define G_LOG_DOMAIN "am.store"
#include "config.h"

#include "am-store.h"

#include <string.h>

#include "am-registry.h"

#define SIGNUP_PATH "/services/UserRegistrationAdminService"
#define SIGNUP_CONFIG_PATH AM_REGISTRY_GOVERNANCE_ROOT "/apimgt/applicationdata/sign-up-config.xml"
#define SIGNUP_MAX_BODY (64 * 1024)

struct _AmStoreSignup {
	AmSoapAdmin *admin;
};

gboolean
am_store_signup_enabled (AmStoreCtx *ctx, GError **error)
{
	g_autoptr (AmRegistry) reg = am_registry_new (AM_REGISTRY_SUPER_TENANT_ID, TRUE);
	g_autoptr (AmDbConn) conn = NULL;
	g_autoptr (AmRegResource) res = NULL;
	g_autoptr (GError) local = NULL;
	xmlDoc *doc;
	gboolean enabled = TRUE;

	conn = am_db_acquire_reader (ctx->reg_db != NULL ? ctx->reg_db : ctx->am_db, error);
	if (conn == NULL)
		return FALSE;
	res = am_registry_get (reg, conn, SIGNUP_CONFIG_PATH, &local);
	if (res == NULL) {
		if (g_error_matches (local, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	if (res->content == NULL)
		return TRUE;
	doc = xmlReadMemory (res->content, strlen (res->content), SIGNUP_CONFIG_PATH, NULL,
			     XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	if (doc == NULL) {
		g_warning ("%s: not XML; self sign-up stays off", SIGNUP_CONFIG_PATH);
		return FALSE;
	}
	for (xmlNode *n = xmlDocGetRootElement (doc) ? xmlDocGetRootElement (doc)->children : NULL;
	     n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && xmlStrcmp (n->name, BAD_CAST "EnableSignup") == 0) {
			g_autofree char *v = (char *) xmlNodeGetContent (n);

			enabled = g_ascii_strcasecmp (g_strstrip (v), "true") == 0;
		}
	}
	xmlFreeDoc (doc);
	return enabled;
}

/* The first child element of @parent named @name (any namespace). */
static xmlNode *
signup_child (xmlNode *parent, const char *name)
{
	for (xmlNode *n = parent != NULL ? parent->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && xmlStrcmp (n->name, BAD_CAST name) == 0)
			return n;
	return NULL;
}

static AmSoapReply *
signup_client_fault (AmSoapVersion soap, const char *reason)
{
	return am_soap_fault (soap, SOUP_STATUS_INTERNAL_SERVER_ERROR, AM_SOAP_FAULT_CLIENT, reason,
			      NULL);
}

static AmSoapReply *
signup_server_fault (AmSoapVersion soap, GError *error)
{
	g_warning ("UserRegistrationAdminService: %s", error->message);
	return am_soap_fault (soap, SOUP_STATUS_INTERNAL_SERVER_ERROR, AM_SOAP_FAULT_SERVER,
			      "Error occurred while processing the request", NULL);
}

static AmSoapReply *
signup_boolean (AmSoapVersion soap, const char *op, gboolean value)
{
	g_autofree char *inner = g_strdup_printf (
		"<ns:%sResponse xmlns:ns=\"" AM_AXIS2_XSD_NS "\"><ns:return>%s</ns:return>"
		"</ns:%sResponse>",
		op, value ? "true" : "false", op);

	return am_soap_envelope (soap, SOUP_STATUS_OK, inner);
}

static AmSoapReply *
signup_add_user (AmStoreCtx *ctx, AmSoapVersion soap, xmlNode *op)
{
	xmlNode *user = signup_child (op, "user");
	g_autofree char *name = NULL;
	g_autofree char *password = NULL;
	g_autoptr (GError) error = NULL;
	AmSoapReply *reply;
	gboolean enabled;

	if (user != NULL) {
		xmlNode *n = signup_child (user, "userName");
		xmlNode *p = signup_child (user, "password");

		name = n != NULL ? am_soap_element_value (n) : NULL;
		password = p != NULL ? am_soap_element_value (p) : NULL;
	}
	if (name != NULL)
		g_strstrip (name);
	if (name == NULL || *name == '\0')
		return signup_client_fault (soap, "Username cannot be empty");
	if (password == NULL || *password == '\0')
		return signup_client_fault (soap, "Password cannot be empty");
	enabled = am_store_signup_enabled (ctx, &error);
	if (error != NULL)
		return signup_server_fault (soap, error);
	if (!enabled)
		return signup_client_fault (soap, "Self sign-up is disabled for this tenant");
	if (!am_consumer_sign_up (ctx->us, name, password, &error)) {
		if (g_error_matches (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_USER_EXISTS)) {
			g_autofree char *r = g_strdup_printf ("User %s already exists", name);

			reply = signup_client_fault (soap, r);
		} else if (g_error_matches (error, AM_CONSUMER_ERROR,
					    AM_CONSUMER_ERROR_INVALID)) {
			reply = signup_client_fault (soap, error->message);
		} else {
			reply = signup_server_fault (soap, error);
		}
	} else {
		g_message ("self sign-up: user '%s' added with Internal/subscriber", name);
		/* robust in-only: Axis2 acknowledges with 202 and no envelope */
		reply = g_new0 (AmSoapReply, 1);
		reply->status = SOUP_STATUS_ACCEPTED;
		reply->content_type = g_strdup (soap == AM_SOAP_12 ? "application/soap+xml"
								   : "text/xml");
		reply->body = g_strdup ("");
	}
	memset (password, 0, strlen (password));
	return reply;
}

AmSoapReply *
am_store_signup_handle (AmStoreCtx *ctx, const char *content_type, const char *body, gsize len)
{
	AmSoapVersion soap = AM_SOAP_11;
	xmlNode *op = NULL;
	AmSoapReply *fault = NULL;
	g_autoptr (GError) error = NULL;
	xmlDoc *doc = am_soap_parse (content_type, body, len, SIGNUP_MAX_BODY, SIGNUP_PATH, &soap,
				     &op, &fault);
	AmSoapReply *reply;

	if (doc == NULL)
		return fault;
	if (op == NULL) {
		reply = signup_client_fault (soap, "The endpoint reference (EPR) for the Operation "
						   "not found is " SIGNUP_PATH);
	} else if (xmlStrcmp (op->name, BAD_CAST "addUser") == 0) {
		reply = signup_add_user (ctx, soap, op);
	} else if (xmlStrcmp (op->name, BAD_CAST "isAddUserEnabled") == 0) {
		gboolean on = am_store_signup_enabled (ctx, &error);

		reply = error != NULL ? signup_server_fault (soap, error)
				      : signup_boolean (soap, "isAddUserEnabled", on);
	} else if (xmlStrcmp (op->name, BAD_CAST "isUserExist") == 0) {
		xmlNode *u = signup_child (op, "username");
		g_autofree char *name = u != NULL ? am_soap_element_value (u) : NULL;
		gboolean exists = FALSE;

		if (name == NULL || *name == '\0')
			reply = signup_client_fault (soap, "Username cannot be empty");
		else {
			exists = am_userstore_user_exists (ctx->us, name, &error);
			reply = error != NULL ? signup_server_fault (soap, error)
					      : signup_boolean (soap, "isUserExist", exists);
		}
	} else {
		g_autofree char *r = g_strdup_printf (
			"The endpoint reference (EPR) for the Operation not found is %s and the "
			"WSA Action = null. If this EPR was previously reachable, please contact "
			"the server administrator.",
			SIGNUP_PATH);

		reply = signup_client_fault (soap, r);
	}
	xmlFreeDoc (doc);
	return reply;
}

static AmSoapReply *
signup_call (gpointer data, const char *content_type, const char *body, gsize len)
{
	return am_store_signup_handle (data, content_type, body, len);
}

AmStoreSignup *
am_store_signup_new (AmMgmt *mgmt, AmStoreCtx *ctx)
{
	static const char *const paths[] = {
		SIGNUP_PATH,
		SIGNUP_PATH ".UserRegistrationAdminServiceHttpsSoap11Endpoint",
		SIGNUP_PATH ".UserRegistrationAdminServiceHttpsSoap12Endpoint",
		NULL,
	};
	AmStoreSignup *s = g_new0 (AmStoreSignup, 1);

	s->admin = am_soap_admin_new (mgmt, ctx->us, paths, NULL, SIGNUP_MAX_BODY, signup_call,
				      ctx);
	return s;
}

void
am_store_signup_free (AmStoreSignup *s)
{
	if (s == NULL)
		return;
	am_soap_admin_free (s->admin);
	g_free (s);
}
