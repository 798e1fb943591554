/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the Publisher and the Store keep APIs, exactly where WSO2 API-M 2.x
 * keeps them, so that an existing regdb + apimgtdb is read as it is:
 *
 *   registry  /_system/governance/apimgt/applicationdata/provider/
 *             <provider with "-AT->/<name>/<version>/api
 *             (application/vnd.wso2-api+xml, governance <metadata> XML, the
 *             lifecycle properties, tags) and swagger.json next to it; the
 *             api resource's REG_UUID is AmApi.id
 *   apimgtdb  AM_API, AM_API_URL_MAPPING, AM_API_LC_EVENT,
 *             AM_API_DEFAULT_VERSION, API scopes (IDN_OAUTH2_SCOPE with the
 *             2.6 IDN_OAUTH2_SCOPE_BINDING or the 2.1 ROLES column,
 *             IDN_OAUTH2_RESOURCE_SCOPE, AM_API_SCOPES)
 *
 * Every function blocks (run it on a worker thread) and takes two
 * connections: @reg on the registry's datasource (see am-registry.h) and
 * @am on WSO2AM_DB; they may be the same connection.  Writes run in a
 * transaction on each and are committed (registry first) or rolled back.
 * @user is the acting user (CREATED_BY, REG_CREATOR, LC event USER_ID).
 */
#pragma once

#include "am-api.h"
#include "am-registry.h"

#define AM_API_STORE_ERROR (am_api_store_error_quark ())
GQuark am_api_store_error_quark (void);

typedef enum {
	AM_API_STORE_ERROR_FAILED,
	AM_API_STORE_ERROR_NOT_FOUND,	      /* no such API */
	AM_API_STORE_ERROR_INVALID,	      /* a missing or malformed field */
	AM_API_STORE_ERROR_DUPLICATE,	      /* provider/name/version exists */
	AM_API_STORE_ERROR_CONTEXT_EXISTS,    /* context used by another API */
	AM_API_STORE_ERROR_SCOPE_EXISTS,      /* scope key owned by another API */
	AM_API_STORE_ERROR_HAS_SUBSCRIPTIONS, /* delete refused */
	AM_API_STORE_ERROR_BAD_STATE,	      /* unknown status or same-state change */
	AM_API_STORE_ERROR_BAD_QUERY,	      /* unknown search attribute */
	AM_API_STORE_ERROR_CORRUPT,	      /* stored artifact unreadable */
} AmApiStoreErrorCode;

#define AM_API_MEDIA_TYPE "application/vnd.wso2-api+xml"
#define AM_API_LIFECYCLE "APILifeCycle"

typedef struct _AmApiStore AmApiStore;

/* @registry is borrowed and must outlive the store; its tenant id is the
 * TENANT_ID written to the apimgtdb rows. */
AmApiStore *am_api_store_new (const AmRegistry *registry);
void am_api_store_free (AmApiStore *store);

/* The registry path of the api artifact (and of its collection). */
char *am_api_store_artifact_path (const char *provider, const char *name, const char *version);

/* Create @api: a new UUID (api->id, also api->db_id and the times are
 * filled in), status CREATED whatever api->status says (the first
 * lifecycle event is NULL -> CREATED, as WSO2 records it; use
 * am_api_store_change_status next).  Refused with DUPLICATE for an existing
 * provider/name/version, CONTEXT_EXISTS when another API has this context
 * (or this context template under another name), SCOPE_EXISTS when a scope
 * key belongs to another API. */
gboolean am_api_store_create (AmApiStore *store, AmDbConn *reg, AmDbConn *am, AmApi *api,
			      const char *user, GError **error);
/* Rewrite the API with api->id from @api.  Provider, name and version
 * cannot change (INVALID); the status is kept (change it with
 * am_api_store_change_status). */
gboolean am_api_store_update (AmApiStore *store, AmDbConn *reg, AmDbConn *am, const AmApi *api,
			      const char *user, GError **error);
/* Remove everything the API has; HAS_SUBSCRIPTIONS while AM_SUBSCRIPTION
 * rows point at it. */
gboolean am_api_store_delete (AmApiStore *store, AmDbConn *reg, AmDbConn *am, const char *id,
			      GError **error);
AmApi *am_api_store_get (AmApiStore *store, AmDbConn *reg, AmDbConn *am, const char *id,
			 GError **error);
/* @provider with "@" (or "-AT-"). */
AmApi *am_api_store_get_by_identifier (AmApiStore *store, AmDbConn *reg, AmDbConn *am,
				       const char *provider, const char *name,
				       const char *version, GError **error);
/* APIs matching @query, sorted by name, version, provider (GPtrArray of
 * AmApi*).  @query: NULL or "" = all; space-separated terms, all must
 * match; "attr:value" with attr one of name, provider, version, context,
 * status (case-insensitive), a bare term is "name:"; values compare
 * case-insensitively, '*' is a wildcard; name matches a substring when it
 * has no '*', the others match whole values. */
GPtrArray *am_api_store_search (AmApiStore *store, AmDbConn *reg, AmDbConn *am, const char *query,
				GError **error);
/* Move the API to @status (CREATED, PROTOTYPED, PUBLISHED, BLOCKED,
 * DEPRECATED, RETIRED): overview_status and the lifecycle state property,
 * an AM_API_LC_EVENT row, the published default version.  BAD_STATE for
 * an unknown status or the current one. */
gboolean am_api_store_change_status (AmApiStore *store, AmDbConn *reg, AmDbConn *am,
				     const char *id, const char *status, const char *user,
				     GError **error);

/* The governance XML of @api as WSO2 2.x writes it, and back (the fields
 * the artifact holds; operations come from URITemplate). */
char *am_api_store_artifact_xml (const AmApi *api);
AmApi *am_api_store_parse_artifact (const char *xml, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmApiStore, am_api_store_free)
