/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A module: one component of the server (the core services, the key
 * manager, the gateway, ...), with the api-manager.xml elements it owns and
 * its start/reload/stop hooks.  The registry in am-modules.c lists them in
 * start order; stop runs in reverse.  A WSO2 profile is the subset of
 * modules whose `profiles` list names it ("default" runs them all).
 */
#pragma once

#include "am-conf.h"

typedef struct _AmServer AmServer;

struct _AmModule {
	const char *name;
	/* Profiles this module runs in besides "default"; NULL = every profile. */
	const char *const *profiles;
	/* The configuration it owns (may be NULL/0). */
	const AmConfDirective *directives;
	gsize conf_size;
	/* Cross-field checks after loading; FALSE with @error explains. */
	gboolean (*conf_check) (AmConf *conf, gconstpointer mod_conf, GError **error);
	/* Start on the server's main context; the returned state is passed to
	 * the other hooks.  NULL with @error set aborts the start-up. */
	gpointer (*start) (AmServer *server, GError **error);
	/* Apply a new snapshot whose restart-only values are unchanged. */
	gboolean (*reload) (gpointer state, AmConf *conf, GError **error);
	/* Stop and free the state. */
	void (*stop) (gpointer state);
};

/* am-modules.c: every module, in start order, NULL-terminated. */
extern const AmModule *const am_modules[];
/* The profile names WSO2 2.x accepts (NULL-terminated). */
extern const char *const am_profile_names[];
gboolean am_profile_is_valid (const char *profile);
/* Whether @module runs in @profile. */
gboolean am_module_in_profile (const AmModule *module, const char *profile);
