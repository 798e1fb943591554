/* SPDX-License-Identifier: Apache-2.0 */
/*
 * APIAuthenticationService on the gateway (carbon-apimgt gateway
 * handlers/security/service/APIAuthenticationService.java, a Carbon admin
 * service: DoAuthentication, AuthorizationAction /permission/admin/login as
 * in the gateway's services.xml, https only).
 *
 * Operations, chosen by the Body's element in AM_GW_AUTH_SERVICE_NS (the
 * namespace of carbon-apimgt's APIAuthenticationService.wsdl, which WSO2's
 * APIAuthenticationAdminClient and our am-km-notify.c send) or, from older
 * senders, http://org.apache.axis2/xsd:
 * - invalidateCachedTokens: one accessTokens child per token;
 * - invalidateKey: one accessToken child.
 * The children are matched by local name in any namespace (qualified as
 * Axis2 writes them, or not).  Both drop every cached result of each token
 * from the gateway token cache: WSO2 2.1 removes the token from
 * GatewayTokenCache, which makes every GatewayKeyCache entry of it
 * unreachable; the next call with the token asks the Key Manager again.
 * The methods return void, and Axis2's in-only receiver answers 202 with
 * no body.  A body that is not such a call gets Axis2's SOAP faults.
 * Tokens never reach the log, only how many there were.
 */
#define G_LOG_DOMAIN "am.gw"
#include "config.h"

#include "am-gw-authsvc.h"

#include <libxml/tree.h>
#include <string.h>

/* a few thousand tokens per call; WSO2 sends one call per revocation */
#define AUTHSVC_MAX_BODY (1024 * 1024)

static const char *const authsvc_paths[] = {
	AM_GW_AUTHSVC_PATH,
	AM_GW_AUTHSVC_PATH ".APIAuthenticationServiceHttpsSoap11Endpoint",
	AM_GW_AUTHSVC_PATH ".APIAuthenticationServiceHttpsSoap12Endpoint",
	AM_GW_AUTHSVC_PATH ".APIAuthenticationServiceHttpsEndpoint",
	NULL,
};

struct _AmGwAuthSvc {
	AmSoapAdmin *admin;
};

/* The tokens named by the operation element @op (children @child). */
static GPtrArray *
authsvc_tokens (xmlNode *op, const char *child)
{
	GPtrArray *tokens = g_ptr_array_new_with_free_func (g_free);

	for (xmlNode *c = am_soap_first_element (op->children); c != NULL;
	     c = am_soap_first_element (c->next)) {
		char *token;

		if (strcmp ((const char *) c->name, child) != 0)
			continue;
		token = am_soap_element_value (c);
		if (token != NULL)
			g_strstrip (token);
		if (token != NULL && token[0] != '\0')
			g_ptr_array_add (tokens, token);
		else
			g_free (token);
	}
	return tokens;
}

AmSoapReply *
am_gw_authsvc_process (AmGwCache *cache, const char *content_type, const char *body, gsize len)
{
	static const struct {
		const char *op;
		const char *child;
	} ops[] = {
		{ "invalidateCachedTokens", "accessTokens" },
		{ "invalidateKey", "accessToken" },
	};
	g_autoptr (GPtrArray) tokens = NULL;
	AmSoapReply *fault = NULL;
	AmSoapReply *reply;
	AmSoapVersion soap;
	xmlNode *op = NULL;
	xmlDoc *doc;
	guint dropped = 0;
	const char *name = NULL;

	doc = am_soap_parse (content_type, body, len, AUTHSVC_MAX_BODY, AM_GW_AUTHSVC_PATH, &soap,
			     &op, &fault);
	if (doc == NULL)
		return fault;
	for (guint i = 0; op != NULL && i < G_N_ELEMENTS (ops) && tokens == NULL; i++) {
		if (am_soap_node_is (op, AM_GW_AUTH_SERVICE_NS, ops[i].op) ||
		    am_soap_node_is (op, AM_AXIS2_XSD_NS, ops[i].op)) {
			tokens = authsvc_tokens (op, ops[i].child);
			name = ops[i].op;
		}
	}
	xmlFreeDoc (doc);
	if (tokens == NULL)
		/* Axis2's DispatchPhase message when no operation matches */
		return am_soap_fault (soap, SOUP_STATUS_INTERNAL_SERVER_ERROR, AM_SOAP_FAULT_CLIENT,
				      "The endpoint reference (EPR) for the Operation not found is "
				      AM_GW_AUTHSVC_PATH " and the WSA Action = null",
				      NULL);
	for (guint i = 0; i < tokens->len; i++)
		dropped += am_gw_cache_invalidate_token (cache, tokens->pdata[i]);
	g_message ("APIAuthenticationService.%s: %u token(s), %u cached result(s) dropped", name,
		   tokens->len, dropped);
	reply = g_new0 (AmSoapReply, 1);
	reply->status = SOUP_STATUS_ACCEPTED;
	return reply;
}

static AmSoapReply *
authsvc_call (gpointer data, const char *content_type, const char *body, gsize len)
{
	return am_gw_authsvc_process (data, content_type, body, len);
}

AmGwAuthSvc *
am_gw_authsvc_new (AmMgmt *mgmt, AmUserStore *us, AmGwCache *cache)
{
	AmGwAuthSvc *svc = g_new0 (AmGwAuthSvc, 1);

	svc->admin = am_soap_admin_new (mgmt, us, authsvc_paths, AM_GW_AUTHSVC_PERMISSION,
					AUTHSVC_MAX_BODY, authsvc_call, cache);
	return svc;
}

void
am_gw_authsvc_free (AmGwAuthSvc *svc)
{
	if (svc == NULL)
		return;
	am_soap_admin_free (svc->admin);
	g_free (svc);
}
