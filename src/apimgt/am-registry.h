/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A Carbon 4.4 registry on the REG_* tables of a WSO2 regdb: the rows
 * carbon-kernel's JDBC registry (JDBCPathCache, JDBCResourceDAO and the
 * properties/tags DAOs) reads and writes, so that an existing WSO2 2.x
 * registry is used as it is.
 *
 *   REG_PATH      one row per collection path (full path, parent id; the
 *                 root "/" has parent -1)
 *   REG_RESOURCE  a collection is (REG_PATH_ID = its own path, REG_NAME
 *                 NULL); a resource is (REG_PATH_ID = its parent
 *                 collection, REG_NAME = last path segment); REG_VERSION is
 *                 the row's key, REG_UUID its stable id
 *   REG_CONTENT   the bytes of a resource (REG_RESOURCE.REG_CONTENT_ID)
 *   REG_PROPERTY + REG_RESOURCE_PROPERTY, REG_TAG + REG_RESOURCE_TAG
 *                 metadata, one REG_PROPERTY row per value
 *   REG_ASSOCIATION  links between paths ("provides", "document")
 *
 * Versioning.  API-M 2.6's registry.xml sets versioningProperties/Tags/
 * Comments/Ratings = true: metadata rows are then linked by REG_VERSION
 * (REG_PATH_ID/REG_RESOURCE_NAME NULL); with false they are linked by
 * REG_PATH_ID + REG_RESOURCE_NAME.  Reads accept both links, so either kind
 * of database reads the same; writes use the link given at
 * am_registry_new().  We never create history (REG_RESOURCE_HISTORY,
 * REG_CONTENT_HISTORY): Carbon only writes it on explicit checkpoints and
 * with versionResourcesOnChange, false in every API-M 2.x registry.xml.
 * An update keeps the resource's REG_VERSION and UUID and replaces its
 * content and metadata in place; a delete removes the REG_RESOURCE,
 * REG_CONTENT and metadata rows and keeps REG_PATH rows (Carbon's path
 * cache ids stay valid, as in Carbon).
 *
 * Which database: the subtree's registry.xml datasource --
 * am_core_conf_registry_datasource (core, "/_system/governance") follows a
 * <mount> to its remoteInstance (its targetPath is taken to equal the
 * mount path, as in every shipped configuration), otherwise currentDBConfig
 * (WSO2_CARBON_DB).  This may be another database than WSO2AM_DB.
 *
 * Content is text (governance XML, JSON): the database layer binds text.
 * Every call blocks and works inside the connection's current transaction
 * (am_db_begin is called; the caller commits or rolls back).  The
 * AmRegistry itself is immutable and may be shared between threads.
 */
#pragma once

#include "am-db.h"

#define AM_REGISTRY_ERROR (am_registry_error_quark ())
GQuark am_registry_error_quark (void);

typedef enum {
	AM_REGISTRY_ERROR_FAILED,
	AM_REGISTRY_ERROR_NOT_FOUND,	  /* nothing at that path / uuid */
	AM_REGISTRY_ERROR_INVALID_PATH,	  /* not absolute, "//", "." or ".." */
	AM_REGISTRY_ERROR_NOT_COLLECTION, /* a parent is a resource */
	AM_REGISTRY_ERROR_EXISTS,	  /* resource vs collection clash */
} AmRegistryErrorCode;

/* MultitenantConstants.SUPER_TENANT_ID: REG_TENANT_ID of carbon.super rows. */
#define AM_REGISTRY_SUPER_TENANT_ID (-1234)
#define AM_REGISTRY_GOVERNANCE_ROOT "/_system/governance"

typedef struct {
	char *path;
	gboolean is_collection;
	char *media_type;   /* NULL for plain collections */
	char *content;	    /* NULL when there is none (always for collections) */
	char *uuid;	    /* REG_UUID */
	char *description;
	char *creator;	    /* REG_CREATOR */
	char *last_updater; /* REG_LAST_UPDATOR */
	gint64 created_ms;  /* epoch ms */
	gint64 updated_ms;
	gint64 version;	    /* REG_VERSION, 0 before the first put */
	/* name -> GPtrArray of char* values, in stored order */
	GHashTable *properties;
} AmRegResource;

AmRegResource *am_reg_resource_new (void);
void am_reg_resource_free (AmRegResource *res);
/* The first value of @name, or NULL. */
const char *am_reg_resource_get_property (const AmRegResource *res, const char *name);
/* Replace every value of @name by @value (NULL removes the property). */
void am_reg_resource_set_property (AmRegResource *res, const char *name, const char *value);
void am_reg_resource_add_property_value (AmRegResource *res, const char *name, const char *value);

typedef struct _AmRegistry AmRegistry;

/* @tenant_id: REG_TENANT_ID (AM_REGISTRY_SUPER_TENANT_ID for carbon.super);
 * @versioned_metadata: registry.xml staticConfiguration versioningProperties
 * (and Tags), TRUE in API-M 2.x. */
AmRegistry *am_registry_new (int tenant_id, gboolean versioned_metadata);
void am_registry_free (AmRegistry *reg);
int am_registry_get_tenant_id (const AmRegistry *reg);

/* The resource or collection at @path with its content and properties. */
AmRegResource *am_registry_get (const AmRegistry *reg, AmDbConn *conn, const char *path,
				GError **error);
AmRegResource *am_registry_get_by_uuid (const AmRegistry *reg, AmDbConn *conn, const char *uuid,
					GError **error);
/* The path of the resource or collection with @uuid. */
char *am_registry_path_for_uuid (const AmRegistry *reg, AmDbConn *conn, const char *uuid,
				 GError **error);
/* *exists = whether anything is at @path; FALSE only on error. */
gboolean am_registry_exists (const AmRegistry *reg, AmDbConn *conn, const char *path,
			     gboolean *exists, GError **error);

/* Create or update @path from @res (its path and version are ignored).
 * Missing parent collections are created (owned by @user).  A new
 * resource keeps res->uuid when set, else gets a random one; an update
 * keeps the stored UUID and creator.  res->is_collection creates a
 * collection (content ignored).  On success @res is filled with what was
 * stored (path, uuid, version, creator, times). */
gboolean am_registry_put (const AmRegistry *reg, AmDbConn *conn, const char *path,
			  AmRegResource *res, const char *user, GError **error);
/* Create @path and its parents as collections (like mkdir -p). */
gboolean am_registry_create_collection (const AmRegistry *reg, AmDbConn *conn, const char *path,
					const char *user, GError **error);
/* Delete a resource, or a collection with everything below it. */
gboolean am_registry_delete (const AmRegistry *reg, AmDbConn *conn, const char *path,
			     GError **error);
/* Child paths of a collection as Carbon lists them: resources first, then
 * collections, each sorted.  GPtrArray of char*. */
GPtrArray *am_registry_get_children (const AmRegistry *reg, AmDbConn *conn, const char *path,
				     GError **error);
/* The properties of @path (name -> GPtrArray of values). */
GHashTable *am_registry_get_properties (const AmRegistry *reg, AmDbConn *conn, const char *path,
					GError **error);
/* Set @name to @values (NULL-terminated; NULL or empty removes it), the
 * other properties unchanged. */
gboolean am_registry_set_property (const AmRegistry *reg, AmDbConn *conn, const char *path,
				   const char *name, const char *const *values, GError **error);
/* Paths of every resource with @media_type whose path starts with
 * @path_prefix (NULL = anywhere), sorted. */
GPtrArray *am_registry_find_by_media_type (const AmRegistry *reg, AmDbConn *conn,
					   const char *media_type, const char *path_prefix,
					   GError **error);

/* Tags (REG_TAG), sorted; NULL-terminated, never NULL on success. */
char **am_registry_get_tags (const AmRegistry *reg, AmDbConn *conn, const char *path,
			     GError **error);
/* Replace the tags of @path by @tags (NULL = none), tagged by @user. */
gboolean am_registry_set_tags (const AmRegistry *reg, AmDbConn *conn, const char *path,
			       const char *const *tags, const char *user, GError **error);

/* REG_ASSOCIATION rows. */
gboolean am_registry_add_association (const AmRegistry *reg, AmDbConn *conn, const char *source,
				      const char *target, const char *type, GError **error);
/* Remove every association that has @path as source or target. */
gboolean am_registry_remove_associations (const AmRegistry *reg, AmDbConn *conn,
					  const char *path, GError **error);

/* 'YYYY-MM-DD HH:MM:SS[.fff...]' (UTC) as epoch ms; 0 when unparsable. */
gint64 am_registry_parse_time (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmRegResource, am_reg_resource_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmRegistry, am_registry_free)
