/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of hot deployment on a scratch synapse-configs directory holding
 * the shipped default artifacts and the WSO2-form fixtures: the initial
 * load; add, modify, delete picked up by a scan; a corrupt file next to
 * good ones, and a good file going bad (its previous version keeps
 * serving); a rename into place; a named endpoint disappearing; snapshots
 * held across swaps (and past the deployment itself); listeners; and the
 * poll timer and the file monitors driving scans on their own.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "am-gw-deploy.h"
#include "am-test-util.h"

#define SHIPPED "..", "repository", "deployment", "server", "synapse-configs", "default"

/* Warnings and messages of the am.gw domain, for assertions. */
static GPtrArray *logged;

static void
on_log (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
	if (level & G_LOG_LEVEL_WARNING)
		g_ptr_array_add (logged, g_strdup (message));
}

static gboolean
logged_match (const char *pattern)
{
	for (guint i = 0; i < logged->len; i++)
		if (g_pattern_match_simple (pattern, g_ptr_array_index (logged, i)))
			return TRUE;
	return FALSE;
}

typedef struct {
	char *dir;
	AmGwDeployment *dep;
	guint swaps;
} Fixture;

static void
copy_dir (const char *from, const char *to)
{
	g_autoptr (GPtrArray) files = am_test_xml_files (from);

	g_assert_cmpint (g_mkdir_with_parents (to, 0755), ==, 0);
	for (guint i = 0; i < files->len; i++) {
		const char *src = g_ptr_array_index (files, i);
		g_autofree char *base = g_path_get_basename (src);
		g_autofree char *dst = g_build_filename (to, base, NULL);
		g_autofree char *text = NULL;
		gsize len;

		g_assert_true (g_file_get_contents (src, &text, &len, NULL));
		g_assert_true (g_file_set_contents (dst, text, (gssize) len, NULL));
	}
}

static void
on_swap (AmGwDeployment *dep, AmGwSnapshot *snapshot, gpointer data)
{
	Fixture *f = data;

	f->swaps++;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	const char *subs[] = { "api", "sequences", "endpoints" };
	g_autoptr (GError) error = NULL;

	f->dir = g_dir_make_tmp ("gw-deploy-XXXXXX", &error);
	g_assert_no_error (error);
	for (guint i = 0; i < G_N_ELEMENTS (subs); i++) {
		g_autofree char *to = g_build_filename (f->dir, subs[i], NULL);
		g_autofree char *own = g_test_build_filename (G_TEST_DIST, "data", "synapse", subs[i], NULL);
		g_autofree char *shipped = g_test_build_filename (G_TEST_DIST, SHIPPED, subs[i], NULL);

		copy_dir (own, to);
		if (i < 2)
			copy_dir (shipped, to);
	}
	g_ptr_array_set_size (logged, 0);
	/* the tests drive scans themselves unless they say otherwise */
	f->dep = am_gw_deployment_new (f->dir, GPOINTER_TO_UINT (data) & ~1u,
				       GPOINTER_TO_UINT (data) & 1u ? AM_GW_DEPLOY_NO_MONITOR : 0,
				       &error);
	g_assert_no_error (error);
	am_gw_deployment_add_listener (f->dep, on_swap, f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	am_gw_deployment_free (f->dep);
	am_test_rm_rf (f->dir);
	g_free (f->dir);
}

static void
write_file (Fixture *f, const char *rel, const char *text)
{
	g_autofree char *path = g_build_filename (f->dir, rel, NULL);
	g_autoptr (GError) error = NULL;

	g_file_set_contents (path, text, -1, &error);
	g_assert_no_error (error);
}

static AmGwMatchStatus
route (AmGwSnapshot *s, const char *method, const char *target, const char **api_name)
{
	g_auto (AmGwMatch) m = { 0 };
	AmGwMatchStatus st = am_gw_router_match (am_gw_snapshot_router (s), method, target, &m);

	if (api_name != NULL)
		*api_name = m.api != NULL ? m.api->name : NULL;
	return st;
}

#define NEW_API(name, context)                                                                     \
	"<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"" name "\" context=\"" context      \
	"\" version=\"1.0\" version-type=\"context\"><resource methods=\"GET\" url-mapping=\"/*\" " \
	"faultSequence=\"fault\"><inSequence><send><endpoint key=\"PizzaBackend\"/></send>"         \
	"</inSequence></resource></api>"

static void
test_initial_load (Fixture *f, gconstpointer data)
{
	g_autoptr (AmGwSnapshot) s = am_gw_deployment_snapshot (f->dep);
	g_auto (GStrv) problems = am_gw_deployment_problems (f->dep);

	g_assert_cmpuint (g_strv_length (problems), ==, 0);
	g_assert_cmpuint (am_gw_snapshot_generation (s), ==, 1);
	/* five fixtures and four shipped APIs */
	g_assert_cmpuint (am_gw_snapshot_n_apis (s), ==, 9);
	g_assert_nonnull (am_gw_snapshot_lookup (s, "admin--PizzaShackAPI:v1.0.0"));
	g_assert_nonnull (am_gw_snapshot_lookup (s, "admin--PizzaShackAPI"));
	g_assert_nonnull (am_gw_snapshot_lookup (s, "_WSO2AMTokenAPI_"));
	g_assert_cmpint (route (s, "POST", "/token", NULL), ==, AM_GW_MATCH_OK);
	g_assert_cmpint (route (s, "GET", "/keyed/1.0/a", NULL), ==, AM_GW_MATCH_OK);
	/* nothing changed: no new snapshot */
	g_assert_false (am_gw_deployment_rescan (f->dep));
	g_assert_cmpuint (f->swaps, ==, 0);
	g_assert_cmpuint (logged->len, ==, 0);
}

static void
test_add_modify_delete (Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename (f->dir, "api", "admin--NewAPI_v1.0.xml", NULL);
	AmGwSnapshot *s;
	const char *name = NULL;

	write_file (f, "api/admin--NewAPI_v1.0.xml", NEW_API ("admin--NewAPI", "/new/{version}"));
	g_assert_true (am_gw_deployment_rescan (f->dep));
	g_assert_cmpuint (f->swaps, ==, 1);
	s = am_gw_deployment_snapshot (f->dep);
	g_assert_cmpuint (am_gw_snapshot_generation (s), ==, 2);
	g_assert_cmpint (route (s, "GET", "/new/1.0/x", &name), ==, AM_GW_MATCH_OK);
	g_assert_cmpstr (name, ==, "admin--NewAPI");
	am_gw_snapshot_unref (s);

	write_file (f, "api/admin--NewAPI_v1.0.xml", NEW_API ("admin--NewAPI", "/renamed/{version}"));
	g_assert_true (am_gw_deployment_rescan (f->dep));
	s = am_gw_deployment_snapshot (f->dep);
	g_assert_cmpint (route (s, "GET", "/new/1.0/x", NULL), ==, AM_GW_MATCH_NO_API);
	g_assert_cmpint (route (s, "GET", "/renamed/1.0/x", NULL), ==, AM_GW_MATCH_OK);
	am_gw_snapshot_unref (s);

	g_assert_cmpint (g_remove (path), ==, 0);
	g_assert_true (am_gw_deployment_rescan (f->dep));
	s = am_gw_deployment_snapshot (f->dep);
	g_assert_null (am_gw_snapshot_lookup (s, "admin--NewAPI:v1.0"));
	g_assert_cmpint (route (s, "GET", "/renamed/1.0/x", NULL), ==, AM_GW_MATCH_NO_API);
	g_assert_cmpuint (am_gw_snapshot_n_apis (s), ==, 9);
	am_gw_snapshot_unref (s);
	g_assert_cmpuint (f->swaps, ==, 3);
}

static void
test_corrupt_files (Fixture *f, gconstpointer data)
{
	g_autoptr (AmGwSnapshot) s = NULL;
	g_auto (GStrv) problems = NULL;
	g_autofree char *good = NULL;
	g_autofree char *path = g_build_filename (f->dir, "api", "admin--PizzaShackAPI_v1.0.0.xml",
						  NULL);
	gsize len;

	/* a new, half-written file: skipped, the rest deploys */
	write_file (f, "api/broken.xml", "<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"b\"");
	am_gw_deployment_rescan (f->dep);
	g_assert_true (logged_match ("api/broken.xml:1: XML: *(not deployed)"));
	problems = am_gw_deployment_problems (f->dep);
	g_assert_cmpuint (g_strv_length (problems), >=, 1);
	g_assert_true (g_str_has_prefix (problems[0], "api/broken.xml:1: XML: "));

	/* a deployed API's file goes bad: its previous version keeps serving */
	g_assert_true (g_file_get_contents (path, &good, &len, NULL));
	write_file (f, "api/admin--PizzaShackAPI_v1.0.0.xml",
		    "<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"admin--PizzaShackAPI\" "
		    "context=\"/pizzashack/{version}\" version=\"1.0.0\" version-type=\"context\">"
		    "<resource methods=\"GET\" uri-template=\"/x/{\"/></api>");
	am_gw_deployment_rescan (f->dep);
	g_assert_true (logged_match ("api/admin--PizzaShackAPI_v1.0.0.xml:1: resource: uri-template "
				     "'/x/{': * (the previous version stays deployed)"));
	s = am_gw_deployment_snapshot (f->dep);
	g_assert_cmpint (route (s, "GET", "/pizzashack/1.0.0/menu", NULL), ==, AM_GW_MATCH_OK);
	g_clear_pointer (&s, am_gw_snapshot_unref);

	/* fixed: the new version replaces it, the problem goes away */
	g_strfreev (problems);
	write_file (f, "api/broken.xml", NEW_API ("admin--Fixed", "/fixed/{version}"));
	g_assert_true (am_gw_deployment_rescan (f->dep));
	problems = am_gw_deployment_problems (f->dep);
	g_assert_cmpuint (g_strv_length (problems), ==, 1);
	g_assert_true (g_str_has_prefix (problems[0], "api/admin--PizzaShackAPI_v1.0.0.xml:1:"));
	s = am_gw_deployment_snapshot (f->dep);
	g_assert_cmpint (route (s, "GET", "/fixed/1.0/a", NULL), ==, AM_GW_MATCH_OK);
	g_assert_cmpint (route (s, "GET", "/pizzashack/1.0.0/menu", NULL), ==, AM_GW_MATCH_OK);
}

static void
test_rename_into_place (Fixture *f, gconstpointer data)
{
	g_autofree char *tmp = g_build_filename (f->dir, "api", ".admin--Atomic_v1.0.xml.tmp", NULL);
	g_autofree char *final = g_build_filename (f->dir, "api", "admin--Atomic_v1.0.xml", NULL);
	g_autoptr (AmGwSnapshot) s = NULL;

	/* the writer's temporary is not an artifact */
	write_file (f, "api/.admin--Atomic_v1.0.xml.tmp", "<api");
	g_assert_false (am_gw_deployment_rescan (f->dep));
	write_file (f, "api/.admin--Atomic_v1.0.xml.tmp", NEW_API ("admin--Atomic", "/atomic/{version}"));
	g_assert_cmpint (g_rename (tmp, final), ==, 0);
	g_assert_true (am_gw_deployment_rescan (f->dep));
	s = am_gw_deployment_snapshot (f->dep);
	g_assert_nonnull (am_gw_snapshot_lookup (s, "admin--Atomic:v1.0"));
	g_assert_cmpuint (logged->len, ==, 0);
}

static void
test_references (Fixture *f, gconstpointer data)
{
	g_autofree char *ep = g_build_filename (f->dir, "endpoints", "PizzaBackend.xml", NULL);
	g_autoptr (AmGwSnapshot) s = NULL;

	/* a new API naming an undefined sequence fails alone */
	write_file (f, "api/admin--Orphan_v1.0.xml",
		    "<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"admin--Orphan\" "
		    "context=\"/orphan/{version}\" version=\"1.0\" version-type=\"context\">"
		    "<resource methods=\"GET\" url-mapping=\"/*\" inSequence=\"nowhere\"/></api>");
	am_gw_deployment_rescan (f->dep);
	g_assert_true (logged_match ("api/admin--Orphan_v1.0.xml:1: resource: sequence 'nowhere' is "
				     "not defined in sequences/ (not deployed)"));
	/* the named endpoint goes away: the API using it is re-read, fails,
	 * and keeps its previous version */
	g_assert_cmpint (g_remove (ep), ==, 0);
	am_gw_deployment_rescan (f->dep);
	g_assert_true (logged_match ("api/admin--KeyedAPI_v1.0.xml:*: endpoint: endpoint "
				     "'PizzaBackend' is not defined in endpoints/ (the previous "
				     "version stays deployed)"));
	/* a new sequence file makes the orphan deployable */
	write_file (f, "sequences/nowhere.xml",
		    "<sequence xmlns=\"http://ws.apache.org/ns/synapse\" name=\"nowhere\"/>");
	g_assert_true (am_gw_deployment_rescan (f->dep));
	s = am_gw_deployment_snapshot (f->dep);
	g_assert_nonnull (am_gw_snapshot_lookup (s, "admin--Orphan:v1.0"));
	g_assert_nonnull (am_gw_snapshot_lookup (s, "admin--KeyedAPI:v1.0"));
}

static void
test_snapshot_outlives_swaps (Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename (f->dir, "api", "admin--ClusterAPI_v2.0.xml", NULL);
	AmGwSnapshot *held = am_gw_deployment_snapshot (f->dep);
	g_autoptr (AmGwSnapshot) now = NULL;
	AmGwApi *api = am_gw_snapshot_lookup (held, "admin--ClusterAPI:v2.0");
	const char *name = NULL;

	g_assert_nonnull (api);
	g_assert_cmpint (g_remove (path), ==, 0);
	g_assert_true (am_gw_deployment_rescan (f->dep));
	now = am_gw_deployment_snapshot (f->dep);
	g_assert_true (now != held);
	g_assert_cmpint (route (now, "GET", "/cluster/2.0/a", NULL), ==, AM_GW_MATCH_NO_API);
	/* the request that started on the old snapshot still sees its API,
	 * even once the deployment is gone */
	am_gw_deployment_free (f->dep);
	f->dep = NULL;
	g_assert_cmpint (route (held, "GET", "/cluster/2.0/a", &name), ==, AM_GW_MATCH_OK);
	g_assert_cmpstr (name, ==, "admin--ClusterAPI");
	g_assert_cmpstr (((AmGwResource *) g_ptr_array_index (api->resources, 0))->production.endpoint->algorithm,
			 ==, "org.apache.synapse.endpoints.algorithms.RoundRobin");
	am_gw_snapshot_unref (held);
}

static gboolean
on_timeout (gpointer data)
{
	*(gboolean *) data = TRUE;
	return G_SOURCE_REMOVE;
}

/* Wait (on the default context) until a swap happens or 5 s pass. */
static void
wait_for_swap (Fixture *f)
{
	gboolean expired = FALSE;
	guint before = f->swaps;
	GSource *timer = g_timeout_source_new (5000);

	g_source_set_callback (timer, on_timeout, &expired, NULL);
	g_source_attach (timer, NULL);
	while (f->swaps == before && !expired)
		g_main_context_iteration (NULL, TRUE);
	g_source_destroy (timer);
	g_source_unref (timer);
	g_assert_false (expired);
}

/* A new file is found without a manual scan: by polling alone (as on
 * NFS), or by the file monitors alone. */
static void
test_watched (Fixture *f, gconstpointer data)
{
	g_autoptr (AmGwSnapshot) s = NULL;

	write_file (f, "api/admin--Polled_v1.0.xml", NEW_API ("admin--Polled", "/polled/{version}"));
	wait_for_swap (f);
	s = am_gw_deployment_snapshot (f->dep);
	g_assert_nonnull (am_gw_snapshot_lookup (s, "admin--Polled:v1.0"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	logged = g_ptr_array_new_with_free_func (g_free);
	/* skipped files are warnings by design: collect them for the
	 * assertions instead of aborting on them */
	g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_log_set_handler ("am.gw", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, on_log, NULL);
#define ADD(path, fn, poll) \
	g_test_add (path, Fixture, GUINT_TO_POINTER (poll), fixture_setup, fn, fixture_teardown)
	ADD ("/gw/deploy/initial-load", test_initial_load, 0);
	ADD ("/gw/deploy/add-modify-delete", test_add_modify_delete, 0);
	ADD ("/gw/deploy/corrupt-files", test_corrupt_files, 0);
	ADD ("/gw/deploy/rename-into-place", test_rename_into_place, 0);
	ADD ("/gw/deploy/references", test_references, 0);
	ADD ("/gw/deploy/snapshot-outlives-swaps", test_snapshot_outlives_swaps, 0);
	/* data: poll interval in ms, low bit set for no file monitors */
	ADD ("/gw/deploy/poll-only", test_watched, 50 | 1);
	ADD ("/gw/deploy/monitor-only", test_watched, 0);
#undef ADD
	return g_test_run ();
}
