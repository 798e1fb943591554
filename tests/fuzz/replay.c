/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replays a fuzz target's corpus without libFuzzer, so every `make check`
 * runs the inputs the fuzzers found (libxml2's testFuzzer idea).  The
 * corpus directories are compiled in (FUZZ_CORPORA, relative to
 * $G_TEST_SRCDIR); extra files or directories may be given as arguments.
 * Output is TAP, one test per input.
 */
#include "config.h"

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
replay_collect (const char *path, GPtrArray *files)
{
	g_autoptr (GDir) dir = NULL;
	const char *name;

	if (!g_file_test (path, G_FILE_TEST_IS_DIR)) {
		if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add (files, g_strdup (path));
		return;
	}
	dir = g_dir_open (path, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree char *child = NULL;

		if (name[0] == '.')
			continue;
		child = g_build_filename (path, name, NULL);
		replay_collect (child, files);
	}
}

static int
replay_compare (gconstpointer a, gconstpointer b)
{
	return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

int
main (int argc, char **argv)
{
	g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
	const char *srcdir = g_getenv ("G_TEST_SRCDIR");
	g_auto (GStrv) corpora = g_strsplit (FUZZ_CORPORA, ":", -1);

	for (guint i = 0; corpora[i] != NULL; i++) {
		g_autofree char *p = g_build_filename (srcdir ? srcdir : "tests", corpora[i], NULL);
		replay_collect (p, files);
	}
	for (int i = 1; i < argc; i++)
		replay_collect (argv[i], files);
	g_ptr_array_sort (files, replay_compare);
	if (files->len == 0) {
		printf ("1..0 # SKIP no corpus found\n");
		return 0;
	}
	printf ("1..%u\n", files->len);
	for (guint i = 0; i < files->len; i++) {
		g_autofree char *data = NULL;
		gsize len = 0;

		if (!g_file_get_contents (files->pdata[i], &data, &len, NULL)) {
			printf ("not ok %u %s (unreadable)\n", i + 1, (char *) files->pdata[i]);
			continue;
		}
		LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
		printf ("ok %u %s\n", i + 1, (char *) files->pdata[i]);
		fflush (stdout);
	}
	return 0;
}
