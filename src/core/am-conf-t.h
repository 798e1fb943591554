/* SPDX-License-Identifier: Apache-2.0 */
/* Types of the configuration layer: directive tables, files, flags. */
#pragma once

#include <glib.h>

/* The legacy files we read, all under repository/conf/. */
typedef enum {
	AM_CONF_FILE_CARBON,	  /* carbon.xml */
	AM_CONF_FILE_CATALINA,	  /* tomcat/catalina-server.xml */
	AM_CONF_FILE_AXIS2,	  /* axis2/axis2.xml */
	AM_CONF_FILE_USER_MGT,	  /* user-mgt.xml */
	AM_CONF_FILE_DATASOURCES, /* datasources/master-datasources.xml */
	AM_CONF_FILE_REGISTRY,	  /* registry.xml */
	AM_CONF_FILE_API_MANAGER, /* api-manager.xml */
	AM_CONF_FILE_IDENTITY,	  /* identity/identity.xml (optional: defaults when absent) */
	AM_CONF_N_FILES
} AmConfFile;

typedef enum {
	AM_CONF_STR,   /* char *: text, placeholders substituted, trimmed */
	AM_CONF_BOOL,  /* gboolean: true/false (case-insensitive) */
	AM_CONF_INT,   /* int: decimal, within [min, max] when max > min */
	AM_CONF_INT64, /* gint64: decimal, within [min, max] when max > min */
	AM_CONF_PORT,  /* int: 1..65535 */
	AM_CONF_ENUM,  /* int: one of the names in extra (AmConfEnum[]) */
	AM_CONF_STRV,  /* char **: comma separated list, items trimmed, empty items dropped */
	AM_CONF_URL,   /* char *: absolute http(s)/tcp/ssl URL */
	AM_CONF_LIST,  /* GPtrArray *: one item per repeated element (extra: AmConfListSpec) */
} AmConfType;

typedef enum {
	AM_CONF_RESTART = 0,	   /* default: a change needs a restart */
	AM_CONF_RELOADABLE = 1 << 0, /* SIGHUP may change it */
	AM_CONF_SECRET = 1 << 1,   /* never logged, masked by -T */
	AM_CONF_REQUIRED = 1 << 2, /* absence is an error */
} AmConfFlags;

typedef struct {
	const char *name;
	int value;
} AmConfEnum;

typedef struct _AmConfDirective AmConfDirective;

/* A repeated element (Environments/Environment, datasources/datasource):
 * each occurrence becomes one struct of @size bytes, filled from @directives
 * whose paths are relative to the repeated element. */
typedef struct {
	gsize size;
	const AmConfDirective *directives;
	const char *key; /* path of the field that names an item, for messages and -T */
} AmConfListSpec;

/*
 * One configuration element.  @path is relative to the file's root element:
 * "Ports/Offset", "APIKeyValidator/ThriftServerPort", an attribute
 * "Service/Connector[@scheme='https']/@port", or a predicate on an attribute
 * "Realm/Configuration/Property[@name='dataSource']".  Namespaces are
 * ignored (carbon.xml and others use a default namespace).
 * @def is the default as text and goes through the same parser as file
 * values; NULL leaves the field zero/NULL, which callers may read as
 * "not set".
 */
struct _AmConfDirective {
	AmConfFile file; /* ignored inside an AmConfListSpec */
	const char *path;
	AmConfType type;
	gsize offset;
	const char *def;
	guint flags;
	gint64 min;
	gint64 max;
	gconstpointer extra; /* AmConfEnum[] for ENUM, AmConfListSpec for LIST */
};
