/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hot deployment of synapse artifacts, as Synapse's deployers do for
 * repository/deployment/server/synapse-configs/default: api/ (REST APIs),
 * sequences/, endpoints/ and local-entries/ (every *.xml in them).
 *
 * Each scan compares every file's (inode, size, mtime) with what was last
 * read, so it catches NFS writes that inotify never reports as well as a
 * rename of a finished file into place.  A file that does not parse (still
 * being written, or wrong) is skipped with a warning naming file, line and
 * problem, and the last good version of what it defined keeps serving; a
 * deleted file undeploys.  APIs are parsed against the current named
 * endpoints and sequences, so a change there re-reads every API; an API
 * whose reference is missing fails alone.  Monitor events are debounced.
 *
 * Snapshots: immutable, reference-counted (API table + router index),
 * published under a GRWLock; readers take a reference and work lock-free
 * from then on, so a swap never disturbs a request in flight.
 */
#define G_LOG_DOMAIN "am.gw"
#include "config.h"

#include "am-gw-deploy.h"

#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>

/* ---- snapshots ---- */

struct _AmGwSnapshot {
	GHashTable *apis; /* qualified name -> AmGwApi* (a ref) */
	AmGwRouter *router;
	guint64 generation;
};

static void
snapshot_clear (AmGwSnapshot *s)
{
	am_gw_router_free (s->router);
	g_hash_table_unref (s->apis);
}

AmGwSnapshot *
am_gw_snapshot_ref (AmGwSnapshot *snapshot)
{
	return g_atomic_rc_box_acquire (snapshot);
}

void
am_gw_snapshot_unref (AmGwSnapshot *snapshot)
{
	if (snapshot != NULL)
		g_atomic_rc_box_release_full (snapshot, (GDestroyNotify) snapshot_clear);
}

const AmGwRouter *
am_gw_snapshot_router (AmGwSnapshot *snapshot)
{
	return snapshot->router;
}

AmGwApi *
am_gw_snapshot_lookup (AmGwSnapshot *snapshot, const char *qualified_name)
{
	return g_hash_table_lookup (snapshot->apis, qualified_name);
}

guint
am_gw_snapshot_n_apis (AmGwSnapshot *snapshot)
{
	return g_hash_table_size (snapshot->apis);
}

guint64
am_gw_snapshot_generation (AmGwSnapshot *snapshot)
{
	return snapshot->generation;
}

/* ---- watched files ---- */

typedef enum {
	KIND_SEQUENCE,
	KIND_ENDPOINT,
	KIND_LOCAL_ENTRY,
	KIND_API, /* last: APIs are read after what they refer to */
	N_KINDS,
} GwKind;

static const char *const kind_dirs[N_KINDS] = {
	[KIND_SEQUENCE] = "sequences",
	[KIND_ENDPOINT] = "endpoints",
	[KIND_LOCAL_ENTRY] = "local-entries",
	[KIND_API] = "api",
};

typedef struct {
	char *path;
	char *display; /* "api/foo.xml" */
	GwKind kind;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	gboolean present; /* seen by the current scan */
	/* the last good version: */
	AmGwApi *api;
	AmGwEndpoint *endpoint;
	char *name; /* sequence name / local entry key */
	GPtrArray *problems; /* of the last read; empty when it was good */
} GwFile;

static void
gw_file_free (GwFile *f)
{
	g_free (f->path);
	g_free (f->display);
	am_gw_api_unref (f->api);
	am_gw_endpoint_unref (f->endpoint);
	g_free (f->name);
	g_ptr_array_unref (f->problems);
	g_free (f);
}

typedef struct {
	guint id;
	AmGwDeploymentFunc func;
	gpointer user_data;
} GwListener;

struct _AmGwDeployment {
	char *dir;
	GHashTable *files; /* path -> GwFile* */
	GRWLock lock;	   /* guards current */
	AmGwSnapshot *current;
	gint generation;   /* atomic: snapshots built, current's number */
	GArray *listeners; /* GwListener */
	guint next_listener;
	GMainContext *context;
	GPtrArray *monitors; /* GFileMonitor* */
	GSource *poll_source;
	GSource *debounce_source;
};

/* Read one file into its GwFile; TRUE when what it defines changed. */
static gboolean
gw_file_read (GwFile *f, const AmGwArtifacts *artifacts)
{
	g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) error = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;
	gboolean changed = FALSE;

	if (!g_file_get_contents (f->path, &text, &len, &error)) {
		g_ptr_array_add (problems, g_strdup_printf ("%s: cannot read: %s", f->display,
							    error->message));
	} else if (f->kind == KIND_API) {
		AmGwApi *api = am_gw_api_parse (text, len, f->display, artifacts, problems);

		if (api != NULL) {
			am_gw_api_unref (f->api);
			f->api = api;
			changed = TRUE;
		}
	} else if (f->kind == KIND_ENDPOINT) {
		AmGwEndpoint *ep = am_gw_endpoint_parse (text, len, f->display, problems);

		if (ep != NULL) {
			am_gw_endpoint_unref (f->endpoint);
			f->endpoint = ep;
			changed = TRUE;
		}
	} else {
		char *name = am_gw_artifact_name (text, len, f->display,
						  f->kind == KIND_SEQUENCE ? "sequence" : "localEntry",
						  problems);

		if (name != NULL) {
			g_free (f->name);
			f->name = name;
			changed = TRUE;
		}
	}
	for (guint i = 0; i < problems->len; i++)
		g_warning ("%s%s", (const char *) g_ptr_array_index (problems, i),
			   (f->api != NULL || f->endpoint != NULL || f->name != NULL) ?
				   " (the previous version stays deployed)" :
				   " (not deployed)");
	g_ptr_array_unref (f->problems);
	f->problems = g_steal_pointer (&problems);
	return changed;
}

static gboolean
gw_file_stat_changed (GwFile *f, const struct stat *st)
{
	gboolean changed = f->dev != st->st_dev || f->ino != st->st_ino ||
			   f->size != st->st_size || f->mtime.tv_sec != st->st_mtim.tv_sec ||
			   f->mtime.tv_nsec != st->st_mtim.tv_nsec;

	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = st->st_size;
	f->mtime = st->st_mtim;
	return changed;
}

/* Mark what is on disk; returns the files to (re)read per kind and
 * whether anything went away. */
static gboolean
deploy_list (AmGwDeployment *self, GPtrArray *dirty[N_KINDS])
{
	GHashTableIter it;
	GwFile *f;
	gboolean removed = FALSE;

	g_hash_table_iter_init (&it, self->files);
	while (g_hash_table_iter_next (&it, NULL, (gpointer *) &f))
		f->present = FALSE;
	for (int k = 0; k < N_KINDS; k++) {
		g_autofree char *sub = g_build_filename (self->dir, kind_dirs[k], NULL);
		g_autoptr (GDir) dir = g_dir_open (sub, 0, NULL);
		const char *name;

		while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
			g_autofree char *path = NULL;
			struct stat st;

			/* editors' and atomic writers' temporaries are hidden or not .xml */
			if (name[0] == '.' || !g_str_has_suffix (name, ".xml"))
				continue;
			path = g_build_filename (sub, name, NULL);
			if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
				continue;
			f = g_hash_table_lookup (self->files, path);
			if (f == NULL) {
				f = g_new0 (GwFile, 1);
				f->path = g_steal_pointer (&path);
				f->display = g_strdup_printf ("%s/%s", kind_dirs[k], name);
				f->kind = (GwKind) k;
				f->problems = g_ptr_array_new_with_free_func (g_free);
				g_hash_table_insert (self->files, f->path, f);
				gw_file_stat_changed (f, &st);
				g_ptr_array_add (dirty[k], f);
			} else if (gw_file_stat_changed (f, &st)) {
				g_ptr_array_add (dirty[k], f);
			}
			f->present = TRUE;
		}
	}
	g_hash_table_iter_init (&it, self->files);
	while (g_hash_table_iter_next (&it, NULL, (gpointer *) &f)) {
		if (!f->present) {
			g_message ("%s: removed, undeploying", f->display);
			g_hash_table_iter_remove (&it);
			removed = TRUE;
		}
	}
	return removed;
}

static void
deploy_artifacts (AmGwDeployment *self, AmGwArtifacts *artifacts)
{
	GHashTableIter it;
	GwFile *f;

	g_hash_table_iter_init (&it, self->files);
	while (g_hash_table_iter_next (&it, NULL, (gpointer *) &f)) {
		if (f->endpoint != NULL && f->endpoint->name != NULL)
			g_hash_table_insert (artifacts->endpoints, f->endpoint->name, f->endpoint);
		if (f->kind == KIND_SEQUENCE && f->name != NULL)
			g_hash_table_insert (artifacts->sequences, f->name, f->name);
	}
}

static int
gw_file_compare (gconstpointer a, gconstpointer b)
{
	return strcmp ((*(GwFile *const *) a)->path, (*(GwFile *const *) b)->path);
}

/* Every file, in path order (so which of two same-named APIs wins, and the
 * order of problems, is stable). */
static GPtrArray *
deploy_sorted_files (AmGwDeployment *self)
{
	GPtrArray *files = g_ptr_array_new ();
	GHashTableIter it;
	gpointer f;

	g_hash_table_iter_init (&it, self->files);
	while (g_hash_table_iter_next (&it, NULL, &f))
		g_ptr_array_add (files, f);
	g_ptr_array_sort (files, gw_file_compare);
	return files;
}

static AmGwSnapshot *
deploy_build_snapshot (AmGwDeployment *self)
{
	AmGwSnapshot *s = g_atomic_rc_box_new0 (AmGwSnapshot);
	g_autoptr (GPtrArray) files = deploy_sorted_files (self);
	g_autoptr (GPtrArray) apis = g_ptr_array_new ();

	/* keyed by the API's own qname, which lives as long as the value */
	s->apis = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
					 (GDestroyNotify) am_gw_api_unref);
	for (guint i = 0; i < files->len; i++) {
		GwFile *f = g_ptr_array_index (files, i);

		if (f->api == NULL)
			continue;
		if (g_hash_table_contains (s->apis, f->api->qname)) {
			g_warning ("%s: API %s is already deployed from another file; ignored",
				   f->display, f->api->qname);
			continue;
		}
		g_hash_table_insert (s->apis, f->api->qname, am_gw_api_ref (f->api));
		g_ptr_array_add (apis, f->api);
	}
	s->router = am_gw_router_new (apis);
	s->generation = (guint64) g_atomic_int_add (&self->generation, 1) + 1;
	return s;
}

gboolean
am_gw_deployment_rescan (AmGwDeployment *self)
{
	g_autoptr (GHashTable) endpoints = g_hash_table_new (g_str_hash, g_str_equal);
	g_autoptr (GHashTable) sequences = g_hash_table_new (g_str_hash, g_str_equal);
	AmGwArtifacts artifacts = { endpoints, sequences };
	GPtrArray *dirty[N_KINDS];
	gboolean changed, refs_changed = FALSE;
	AmGwSnapshot *old;

	for (int k = 0; k < N_KINDS; k++)
		dirty[k] = g_ptr_array_new ();
	changed = deploy_list (self, dirty);
	/* anything an API may refer to changed: read every API again */
	refs_changed = changed;
	for (int k = 0; k < KIND_API; k++)
		for (guint i = 0; i < dirty[k]->len; i++)
			refs_changed |= gw_file_read (g_ptr_array_index (dirty[k], i), NULL);
	if (refs_changed) {
		GHashTableIter it;
		GwFile *f;

		g_ptr_array_set_size (dirty[KIND_API], 0);
		g_hash_table_iter_init (&it, self->files);
		while (g_hash_table_iter_next (&it, NULL, (gpointer *) &f))
			if (f->kind == KIND_API)
				g_ptr_array_add (dirty[KIND_API], f);
	}
	deploy_artifacts (self, &artifacts);
	for (guint i = 0; i < dirty[KIND_API]->len; i++)
		changed |= gw_file_read (g_ptr_array_index (dirty[KIND_API], i), &artifacts);
	changed |= refs_changed;
	for (int k = 0; k < N_KINDS; k++)
		g_ptr_array_unref (dirty[k]);
	if (!changed && self->current != NULL)
		return FALSE;

	g_rw_lock_writer_lock (&self->lock);
	old = self->current;
	self->current = deploy_build_snapshot (self);
	g_rw_lock_writer_unlock (&self->lock);
	am_gw_snapshot_unref (old);
	g_message ("Synapse configuration %s: %u API(s) deployed (generation %" G_GUINT64_FORMAT ")",
		   self->dir, am_gw_snapshot_n_apis (self->current), self->current->generation);
	for (guint i = 0; i < self->listeners->len; i++) {
		GwListener *l = &g_array_index (self->listeners, GwListener, i);

		l->func (self, self->current, l->user_data);
	}
	return TRUE;
}

/* ---- watching ---- */

static gboolean
on_poll (gpointer data)
{
	am_gw_deployment_rescan (data);
	return G_SOURCE_CONTINUE;
}

static gboolean
on_debounced (gpointer data)
{
	AmGwDeployment *self = data;

	g_clear_pointer (&self->debounce_source, g_source_unref);
	am_gw_deployment_rescan (self);
	return G_SOURCE_REMOVE;
}

static void
on_monitor_changed (GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
		    gpointer data)
{
	AmGwDeployment *self = data;

	/* a burst of events (write, close, rename) becomes one scan */
	if (self->debounce_source != NULL)
		return;
	self->debounce_source = g_timeout_source_new (AM_GW_DEPLOY_DEBOUNCE_MS);
	g_source_set_callback (self->debounce_source, on_debounced, self, NULL);
	g_source_attach (self->debounce_source, self->context);
}

static void
deploy_watch (AmGwDeployment *self, guint poll_ms, AmGwDeployFlags flags)
{
	for (int k = 0; k < N_KINDS && !(flags & AM_GW_DEPLOY_NO_MONITOR); k++) {
		g_autofree char *sub = g_build_filename (self->dir, kind_dirs[k], NULL);
		g_autoptr (GFile) file = g_file_new_for_path (sub);
		g_autoptr (GError) error = NULL;
		GFileMonitor *monitor;

		if (!g_file_test (sub, G_FILE_TEST_IS_DIR))
			continue;
		monitor = g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
		if (monitor == NULL) {
			g_message ("%s: not watched (%s); polling only", sub, error->message);
			continue;
		}
		g_signal_connect (monitor, "changed", G_CALLBACK (on_monitor_changed), self);
		g_ptr_array_add (self->monitors, monitor);
	}
	if (poll_ms > 0) {
		self->poll_source = g_timeout_source_new (poll_ms);
		g_source_set_callback (self->poll_source, on_poll, self, NULL);
		g_source_attach (self->poll_source, self->context);
	}
}

AmGwDeployment *
am_gw_deployment_new (const char *dir, guint poll_ms, AmGwDeployFlags flags, GError **error)
{
	AmGwDeployment *self;

	if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			     "%s: no such synapse-configs directory", dir);
		return NULL;
	}
	self = g_new0 (AmGwDeployment, 1);
	self->dir = g_strdup (dir);
	self->files = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
					     (GDestroyNotify) gw_file_free);
	g_rw_lock_init (&self->lock);
	self->listeners = g_array_new (FALSE, FALSE, sizeof (GwListener));
	self->context = g_main_context_ref_thread_default ();
	self->monitors = g_ptr_array_new_with_free_func (g_object_unref);
	am_gw_deployment_rescan (self);
	deploy_watch (self, poll_ms, flags);
	return self;
}

static void
deploy_source_destroy (GSource **source)
{
	if (*source == NULL)
		return;
	g_source_destroy (*source);
	g_clear_pointer (source, g_source_unref);
}

void
am_gw_deployment_free (AmGwDeployment *self)
{
	if (self == NULL)
		return;
	for (guint i = 0; i < self->monitors->len; i++)
		g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->monitors, i), self);
	g_ptr_array_unref (self->monitors);
	deploy_source_destroy (&self->poll_source);
	deploy_source_destroy (&self->debounce_source);
	g_main_context_unref (self->context);
	am_gw_snapshot_unref (self->current);
	g_rw_lock_clear (&self->lock);
	g_hash_table_unref (self->files);
	g_array_unref (self->listeners);
	g_free (self->dir);
	g_free (self);
}

AmGwSnapshot *
am_gw_deployment_snapshot (AmGwDeployment *self)
{
	AmGwSnapshot *s;

	g_rw_lock_reader_lock (&self->lock);
	s = am_gw_snapshot_ref (self->current);
	g_rw_lock_reader_unlock (&self->lock);
	return s;
}

gint
am_gw_deployment_generation (AmGwDeployment *self)
{
	return g_atomic_int_get (&self->generation);
}

char **
am_gw_deployment_problems (AmGwDeployment *self)
{
	g_autoptr (GPtrArray) files = deploy_sorted_files (self);
	GPtrArray *out = g_ptr_array_new ();

	for (guint i = 0; i < files->len; i++) {
		GwFile *f = g_ptr_array_index (files, i);

		for (guint j = 0; j < f->problems->len; j++)
			g_ptr_array_add (out, g_strdup (g_ptr_array_index (f->problems, j)));
	}
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_free (out, FALSE);
}

guint
am_gw_deployment_add_listener (AmGwDeployment *self, AmGwDeploymentFunc func, gpointer user_data)
{
	GwListener l = { ++self->next_listener, func, user_data };

	g_array_append_val (self->listeners, l);
	return l.id;
}

void
am_gw_deployment_remove_listener (AmGwDeployment *self, guint id)
{
	for (guint i = 0; i < self->listeners->len; i++) {
		if (g_array_index (self->listeners, GwListener, i).id == id) {
			g_array_remove_index (self->listeners, i);
			return;
		}
	}
}
