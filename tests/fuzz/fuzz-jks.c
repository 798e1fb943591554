/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the JKS parser.  No store password, so the integrity digest
 * is skipped (as Java does) and the entry decoder -- aliases, lengths,
 * certificate chains, Sun's key protection -- sees every input.
 */
#include "config.h"

#include <stdint.h>

#include "am-keystore-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmKeystore) ks = am_keystore_jks_parse (data, size, NULL, NULL, "wso2carbon",
							   &error);

	g_assert ((ks == NULL) == (error != NULL));
	return 0;
}
