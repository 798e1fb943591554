/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hot deployment of a synapse-configs directory (.../synapse-configs/default
 * with api/, sequences/, endpoints/, local-entries/): an initial load, then
 * inotify (GFileMonitor) and periodic polling, because a shared NFS
 * directory delivers no inotify events for remote writes.  Every change
 * builds a new immutable snapshot (API table + router index) that replaces
 * the current one atomically; a request keeps the snapshot it started with.
 */
#pragma once

#include <glib.h>

#include "am-gw-api.h"
#include "am-gw-router.h"

#define AM_GW_DEPLOY_POLL_MS_DEFAULT 5000
#define AM_GW_DEPLOY_DEBOUNCE_MS 250

typedef struct _AmGwSnapshot AmGwSnapshot;

AmGwSnapshot *am_gw_snapshot_ref (AmGwSnapshot *snapshot);
void am_gw_snapshot_unref (AmGwSnapshot *snapshot);
const AmGwRouter *am_gw_snapshot_router (AmGwSnapshot *snapshot);
/* An API by its synapse name ("admin--PizzaShackAPI:v1.0.0"), borrowed. */
AmGwApi *am_gw_snapshot_lookup (AmGwSnapshot *snapshot, const char *qualified_name);
guint am_gw_snapshot_n_apis (AmGwSnapshot *snapshot);
/* 1 for the initial load, +1 per swap. */
guint64 am_gw_snapshot_generation (AmGwSnapshot *snapshot);

typedef struct _AmGwDeployment AmGwDeployment;

/* Called on the deployment's main context after each swap. */
typedef void (*AmGwDeploymentFunc) (AmGwDeployment *deployment, AmGwSnapshot *snapshot,
				    gpointer user_data);

typedef enum {
	AM_GW_DEPLOY_DEFAULT = 0,
	AM_GW_DEPLOY_NO_MONITOR = 1 << 0, /* poll only (no inotify watches) */
} AmGwDeployFlags;

/* Load @dir and start watching it from the thread-default main context:
 * file monitors plus a scan every @poll_ms (0: no polling).  A missing
 * directory is an error; missing subdirectories are simply empty. */
AmGwDeployment *am_gw_deployment_new (const char *dir, guint poll_ms, AmGwDeployFlags flags,
				      GError **error);
void am_gw_deployment_free (AmGwDeployment *deployment);

/* The current snapshot, a new reference; any thread. */
AmGwSnapshot *am_gw_deployment_snapshot (AmGwDeployment *deployment);
/* The generation of the current snapshot (or of one being swapped in): a
 * reader that kept a snapshot takes a new one when this moves (one atomic
 * read, where taking a reference each time would bounce the lock's and the
 * snapshot's cache lines between the cores). */
gint am_gw_deployment_generation (AmGwDeployment *deployment);
/* Scan now (what the poll timer and the monitors do); TRUE if a new
 * snapshot was swapped in. */
gboolean am_gw_deployment_rescan (AmGwDeployment *deployment);
/* The current problems, `file:line: element: problem`, one per entry
 * (files skipped, undefined references); NULL-terminated, free with
 * g_strfreev. */
char **am_gw_deployment_problems (AmGwDeployment *deployment);

guint am_gw_deployment_add_listener (AmGwDeployment *deployment, AmGwDeploymentFunc func,
				     gpointer user_data);
void am_gw_deployment_remove_listener (AmGwDeployment *deployment, guint id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmGwSnapshot, am_gw_snapshot_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmGwDeployment, am_gw_deployment_free)
