/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration snapshot.  am_conf_load() reads the legacy files of a
 * carbon home (repository/conf/...) through the directive tables of the core
 * and of every module, and returns one immutable, reference-counted AmConf.
 * Runtime code reads typed structs from it and never touches XML.
 */
#pragma once

#include "am-conf-t.h"
#include "am-apim-conf.h"
#include "am-core-conf.h"

#define AM_CONF_ERROR (am_conf_error_quark ())
GQuark am_conf_error_quark (void);

typedef enum {
	AM_CONF_ERROR_INVALID, /* one or more errors; the message lists them, one per line */
} AmConfErrorCode;

typedef struct _AmModule AmModule;
typedef struct _AmConf AmConf;

/* A parsed file of the carbon home, with the name used in messages. */
typedef struct _AmConfDoc AmConfDoc;

/* Placeholder values: ${name} -> value. */
typedef GHashTable AmConfProps;

/* am_conf_load: read every file of @carbon_home with the tables of the core
 * and of @modules (NULL-terminated).  @sysprops (-Dname=value, borrowed) win
 * over derived properties.  On failure the GError message holds every problem
 * found, one `file:line: element: problem` per line. */
AmConf *am_conf_load (const char *carbon_home,
		      GHashTable *sysprops,
		      const AmModule *const *modules,
		      GError **error);
AmConf *am_conf_ref (AmConf *conf);
void am_conf_unref (AmConf *conf);

const AmCoreConf *am_conf_core (AmConf *conf);
const AmApimConf *am_conf_apim (AmConf *conf); /* shared api-manager.xml settings */
const AmPorts *am_conf_ports (AmConf *conf);
/* A module's typed struct, or NULL if @module was not part of the load. */
gconstpointer am_conf_module (AmConf *conf, const AmModule *module);
/* A placeholder value (derived or -D); NULL if unknown. */
const char *am_conf_property (AmConf *conf, const char *name);
const char *am_conf_carbon_home (AmConf *conf);

/* -T: the effective configuration, one `file: path = value` per line,
 * secrets masked. */
char *am_conf_dump (AmConf *conf);

/* Names (`file: path`) of restart-only settings that differ between two
 * snapshots; empty when @new_conf can be applied by a reload. */
GPtrArray *am_conf_restart_changes (AmConf *old_conf, AmConf *new_conf);

/* --- the generic machinery, exposed for modules and tests --- */

const char *am_conf_file_name (AmConfFile file); /* "repository/conf/api-manager.xml" */

/* Parse one XML file (no network, no DTD, no entities).  NULL on failure
 * with a `file:line: problem` appended to @errors.  @display_name is used in
 * messages. */
AmConfDoc *am_conf_doc_load (const char *path, const char *display_name, GPtrArray *errors);
AmConfDoc *am_conf_doc_load_memory (const char *xml, gsize len, const char *display_name,
				    GPtrArray *errors);
void am_conf_doc_free (AmConfDoc *doc);
/* The libxml2 document, for readers of other XML files (synapse artifacts)
 * that want this loader's safe parsing and error messages. */
struct _xmlDoc *am_conf_doc_xml (AmConfDoc *doc);

/* Fill @base from @table.  @docs is indexed by AmConfFile; a NULL doc means
 * the file is absent (defaults apply, REQUIRED directives fail).  Every
 * problem is appended to @errors; returns FALSE if any. */
gboolean am_conf_apply (AmConfDoc *const *docs,
			const AmConfDirective *table,
			gpointer base,
			AmConfProps *props,
			GPtrArray *errors);
/* Free what am_conf_apply allocated in @base (not @base itself). */
void am_conf_clear (const AmConfDirective *table, gpointer base);
/* Substitute ${name} in @text.  NULL and *@unknown set to the first unknown
 * name when a placeholder cannot be resolved. */
char *am_conf_expand (const char *text, AmConfProps *props, char **unknown);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmConf, am_conf_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmConfDoc, am_conf_doc_free)
