/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the synapse artifact readers and the router.  The input is
 * offered as an API file (with a named endpoint and a sequence to resolve
 * against), an endpoint file and a sequence file; a parsed API is then
 * routed with a few methods and request targets, which exercises its
 * compiled uri-templates and url-mappings.  The first line of the input,
 * when it starts with '/', is also used as a request target.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "am-gw-router.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
fuzz_route (AmGwApi *api, const char *first_line)
{
	g_autoptr (GPtrArray) apis = g_ptr_array_new ();
	g_autoptr (AmGwRouter) router = NULL;
	g_autofree char *own = g_strdup_printf ("%s/a/b?c=d", api->context);
	const char *targets[] = { own, api->context, "/", "/t/x/y", first_line };
	const char *methods[] = { "GET", "POST", "OPTIONS" };

	g_ptr_array_add (apis, api);
	router = am_gw_router_new (apis);
	for (guint t = 0; t < G_N_ELEMENTS (targets); t++) {
		for (guint m = 0; m < G_N_ELEMENTS (methods) && targets[t] != NULL; m++) {
			g_auto (AmGwMatch) match = { 0 };

			am_gw_router_match (router, methods[m], targets[t], &match);
		}
	}
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GHashTable) endpoints = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
								  (GDestroyNotify) am_gw_endpoint_unref);
	g_autoptr (GHashTable) sequences = g_hash_table_new (g_str_hash, g_str_equal);
	const char *ep_xml = "<endpoint xmlns=\"http://ws.apache.org/ns/synapse\" name=\"EP\">"
			     "<address uri=\"http://backend/\"/></endpoint>";
	AmGwArtifacts artifacts = { endpoints, sequences };
	g_autofree char *text = g_strndup ((const char *) data, size);
	g_autofree char *first_line = text[0] == '/' ? g_strndup (text, strcspn (text, "\n")) : NULL;
	g_autoptr (AmGwApi) api = NULL;
	g_autoptr (AmGwEndpoint) ep = NULL;
	g_autofree char *name = NULL;
	AmGwEndpoint *backend;

	backend = am_gw_endpoint_parse (ep_xml, strlen (ep_xml), "EP.xml", errors);
	g_hash_table_insert (endpoints, backend->name, backend);
	g_hash_table_add (sequences, (gpointer) "fault");
	api = am_gw_api_parse ((const char *) data, size, "fuzz.xml", &artifacts, errors);
	if (api != NULL)
		fuzz_route (api, first_line);
	ep = am_gw_endpoint_parse ((const char *) data, size, "fuzz.xml", errors);
	name = am_gw_artifact_name ((const char *) data, size, "fuzz.xml", "sequence", errors);
	return 0;
}
