/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of APIAuthenticationService's SOAP side: invalidateCachedTokens
 * exactly as the Key Manager's am-km-notify.c sends it and invalidateKey,
 * SOAP 1.1 and 1.2, qualified and unqualified children, several tokens;
 * each drops every cached result of its tokens and nothing else, and is
 * answered 202 with no body; unknown operations, wrong namespaces and bad
 * envelopes get Axis2's faults and drop nothing.
 */
#include "config.h"

#include <string.h>

#include "am-gw-authsvc.h"

#define T_NOW ((gint64) 1700000000 * G_USEC_PER_SEC)

static gint64
fixed_clock (void)
{
	return T_NOW;
}

static AmGwCache *
filled_cache (const char *const *tokens)
{
	AmGwCache *c = am_gw_cache_new_full (TRUE, 900, 0);
	AmKeyValidationInfo info = {
		.authorized = TRUE,
		.issued_time = T_NOW / 1000,
		.validity_period = AM_KM_NEVER_EXPIRES,
	};

	am_gw_cache_set_clock (c, fixed_clock);
	for (guint i = 0; tokens[i] != NULL; i++)
		for (guint r = 0; r < 2; r++) {
			AmKeyValidationRequest req = {
				.context = "/pizzashack/1.0.0",
				.version = "1.0.0",
				.access_token = tokens[i],
				.required_auth_level = "Any",
				.matching_resource = r ? "/menu" : "/order",
				.http_verb = "GET",
			};
			am_gw_cache_store (c, &req, &info);
		}
	return c;
}

static gboolean
cached (AmGwCache *c, const char *token)
{
	AmKeyValidationRequest req = {
		.context = "/pizzashack/1.0.0",
		.version = "1.0.0",
		.access_token = token,
		.required_auth_level = "Any",
		.matching_resource = "/menu",
		.http_verb = "GET",
	};
	g_autoptr (AmKeyValidationInfo) info = am_gw_cache_lookup (c, &req);

	return info != NULL;
}

static const char *const all_tokens[] = { "tok-a", "tok-b", "tok-c", NULL };

typedef struct {
	const char *name;
	const char *content_type;
	const char *body;
	const char *dropped[3]; /* tokens gone afterwards */
} OkCase;

#define ENV11_OPEN "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"" \
	AM_SOAP11_NS "\"><soapenv:Body>"
#define ENV11_CLOSE "</soapenv:Body></soapenv:Envelope>"

static const OkCase ok_cases[] = {
	/* byte for byte what am-km-notify.c sends */
	{ "notify", "text/xml; charset=UTF-8",
	  ENV11_OPEN "<ser:invalidateCachedTokens xmlns:ser=\"" AM_GW_AUTH_SERVICE_NS "\">"
		     "<ser:accessTokens>tok-a</ser:accessTokens>"
		     "<ser:accessTokens>tok-c</ser:accessTokens>"
		     "</ser:invalidateCachedTokens>" ENV11_CLOSE,
	  { "tok-a", "tok-c" } },
	{ "soap12-unqualified-children", "application/soap+xml",
	  "<s:Envelope xmlns:s=\"" AM_SOAP12_NS "\"><s:Header/><s:Body>"
	  "<x:invalidateCachedTokens xmlns:x=\"" AM_GW_AUTH_SERVICE_NS "\">"
	  "<accessTokens> tok-b </accessTokens><accessTokens/></x:invalidateCachedTokens>"
	  "</s:Body></s:Envelope>",
	  { "tok-b" } },
	{ "children-other-namespace", "text/xml",
	  ENV11_OPEN "<x:invalidateCachedTokens xmlns:x=\"" AM_GW_AUTH_SERVICE_NS "\" xmlns:o=\"urn:o\">"
		     "<o:accessTokens>tok-a</o:accessTokens></x:invalidateCachedTokens>" ENV11_CLOSE,
	  { "tok-a" } },
	{ "invalidateKey", "text/xml",
	  ENV11_OPEN "<x:invalidateKey xmlns:x=\"" AM_GW_AUTH_SERVICE_NS "\">"
		     "<x:accessToken>tok-b</x:accessToken></x:invalidateKey>" ENV11_CLOSE,
	  { "tok-b" } },
	{ "unknown-token", "text/xml",
	  ENV11_OPEN "<x:invalidateKey xmlns:x=\"" AM_GW_AUTH_SERVICE_NS "\">"
		     "<x:accessToken>never-cached</x:accessToken></x:invalidateKey>" ENV11_CLOSE,
	  { NULL } },
	{ "axis2-default-namespace", "text/xml",
	  ENV11_OPEN "<x:invalidateCachedTokens xmlns:x=\"" AM_AXIS2_XSD_NS "\">"
		     "<x:accessTokens>tok-c</x:accessTokens></x:invalidateCachedTokens>" ENV11_CLOSE,
	  { "tok-c" } },
	{ "no-tokens", "text/xml",
	  ENV11_OPEN "<x:invalidateCachedTokens xmlns:x=\"" AM_GW_AUTH_SERVICE_NS "\"/>" ENV11_CLOSE,
	  { NULL } },
};

static void
test_ok (gconstpointer data)
{
	const OkCase *oc = data;
	g_autoptr (AmGwCache) c = filled_cache (all_tokens);
	g_autoptr (AmSoapReply) r =
		am_gw_authsvc_process (c, oc->content_type, oc->body, strlen (oc->body));
	guint n_dropped = 0;

	g_assert_cmpuint (r->status, ==, 202);
	g_assert_null (r->body);
	for (guint i = 0; all_tokens[i] != NULL; i++) {
		gboolean gone = FALSE;

		for (guint j = 0; j < G_N_ELEMENTS (oc->dropped) && oc->dropped[j]; j++)
			gone |= strcmp (oc->dropped[j], all_tokens[i]) == 0;
		g_assert_cmpint (cached (c, all_tokens[i]), ==, !gone);
		n_dropped += gone;
	}
	/* both resources of each named token went */
	g_assert_cmpuint (am_gw_cache_size (c), ==, 2 * (3 - n_dropped));
}

typedef struct {
	const char *name;
	const char *content_type;
	const char *body;
	guint status;
	const char *reason_part;
} FaultCase;

static const FaultCase fault_cases[] = {
	{ "unknown-operation", "text/xml",
	  ENV11_OPEN "<x:clearAll xmlns:x=\"" AM_GW_AUTH_SERVICE_NS "\"/>" ENV11_CLOSE, 500,
	  "Operation not found is /services/APIAuthenticationService" },
	{ "operation-namespace", "text/xml",
	  ENV11_OPEN "<invalidateKey xmlns=\"urn:other\"><accessToken>tok-a</accessToken>"
		     "</invalidateKey>" ENV11_CLOSE,
	  500, "Operation not found" },
	{ "empty-body", "text/xml", ENV11_OPEN ENV11_CLOSE, 500, "Operation not found" },
	{ "content-type", "application/json", "{}", 415, "Content-Type" },
	{ "not-xml", "text/xml", "<soapenv:Envelope", 500, "not XML" },
	{ "doctype", "text/xml",
	  "<?xml version='1.0'?><!DOCTYPE l [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
	  "<s:Envelope xmlns:s='" AM_SOAP11_NS "'><s:Body>&e;</s:Body></s:Envelope>",
	  500, "Document Type Declaration" },
	{ "type-mismatch", "application/soap+xml",
	  ENV11_OPEN "<x:invalidateKey xmlns:x=\"" AM_GW_AUTH_SERVICE_NS "\"/>" ENV11_CLOSE, 500,
	  "does not match" },
};

static void
test_fault (gconstpointer data)
{
	const FaultCase *fc = data;
	g_autoptr (AmGwCache) c = filled_cache (all_tokens);
	g_autoptr (AmSoapReply) r =
		am_gw_authsvc_process (c, fc->content_type, fc->body, strlen (fc->body));

	g_assert_cmpuint (r->status, ==, fc->status);
	g_assert_nonnull (r->body);
	g_assert_nonnull (strstr (r->body, "Fault"));
	g_assert_nonnull (strstr (r->body, fc->reason_part));
	g_assert_cmpuint (am_gw_cache_size (c), ==, 6);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS (ok_cases); i++) {
		g_autofree char *path = g_strdup_printf ("/gw-authsvc/ok/%s", ok_cases[i].name);
		g_test_add_data_func (path, &ok_cases[i], test_ok);
	}
	for (guint i = 0; i < G_N_ELEMENTS (fault_cases); i++) {
		g_autofree char *path = g_strdup_printf ("/gw-authsvc/fault/%s",
							 fault_cases[i].name);
		g_test_add_data_func (path, &fault_cases[i], test_fault);
	}
	return g_test_run ();
}
