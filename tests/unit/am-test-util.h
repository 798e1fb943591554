/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the unit tests. */
#pragma once

#include <glib.h>

/* Remove @path and, for a directory, everything below it (symlinks are
 * removed, not followed). */
void am_test_rm_rf (const char *path);
