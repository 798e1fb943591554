/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the configuration loader.  The input is one XML file; it is
 * parsed the way a repository/conf file is (no network, no DTD) and offered
 * to every directive table of the core -- carbon.xml, catalina, axis2,
 * user-mgt, datasources, registry and the shared api-manager.xml settings --
 * so paths, predicates, lists, placeholders and every value parser see it.
 */
#include "config.h"

#include <stdint.h>

#include "am-conf.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GHashTable) props = g_hash_table_new (g_str_hash, g_str_equal);
	g_autoptr (AmConfDoc) doc = NULL;
	AmConfDoc *docs[AM_CONF_N_FILES];
	AmCoreConf core = { 0 };
	AmApimConf apim = { 0 };

	g_hash_table_insert (props, "carbon.home", "/opt/am");
	g_hash_table_insert (props, "carbon.local.ip", "127.0.0.1");
	g_hash_table_insert (props, "mgt.transport.https.port", "9443");
	doc = am_conf_doc_load_memory ((const char *) data, size, "fuzz.xml", errors);
	if (doc == NULL)
		return 0;
	for (int f = 0; f < AM_CONF_N_FILES; f++)
		docs[f] = doc;
	am_conf_apply (docs, am_core_directives, &core, props, errors);
	am_conf_apply (docs, am_apim_directives, &apim, props, errors);
	am_core_conf_check (&core, errors);
	am_apim_conf_check (&apim, errors);
	am_conf_clear (am_core_directives, &core);
	am_conf_clear (am_apim_directives, &apim);
	return 0;
}
