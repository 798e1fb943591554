/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plumbing of API-M 2.x's REST APIs (Publisher /api/am/publisher/v0.11,
 * Store /api/am/store/v0.11, and the later versions): one AmRest per base
 * path, mounted on the management server (or any SoupServer), with a
 * route table, OAuth2 Bearer authentication with x-scope checks against
 * the IDN_OAUTH2_* tables, JSON bodies, query and pagination helpers, and
 * WSO2's ErrorDTO for every failure.
 *
 * A handler runs on a worker thread with a borrowed database connection
 * (a reader connection for GET/HEAD, whose statements autocommit; a
 * writer connection otherwise, on which the handler opens and commits its
 * own transaction; whatever it leaves open is rolled back).  It returns
 * the response body as a JsonNode (NULL with no error: an empty body), or
 * NULL with a GError: an AM_REST_ERROR code picks the ErrorDTO and status,
 * any other error is logged and answered as WSO2's 500.  The framework
 * pauses the libsoup message while the handler runs and answers it on the
 * main context.
 *
 * Typical use (a resource file of the Store):
 *
 *   static JsonNode *
 *   get_application (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
 *   {
 *           const char *id = am_rest_call_param (call, "applicationId");
 *           ...
 *           if (not found)
 *                   return am_rest_not_found (error, "application", id), NULL;
 *           return node;
 *   }
 *   static const AmRestRoute routes[] = {
 *           { "GET", "/applications/{applicationId}", "apim:subscribe", get_application },
 *           { NULL },
 *   };
 *   rest = am_rest_new ("/api/am/store/v0.11", km, routes, store, error);
 *   am_rest_mount (rest, am_mgmt_get_soup_server (mgmt));
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "am-db.h"
#include "am-server.h"

#define AM_REST_ERROR (am_rest_error_quark ())
GQuark am_rest_error_quark (void);

/* Each code is one ErrorDTO shape (wso2-db-rest.md §4); the GError message
 * is the ErrorDTO description. */
typedef enum {
	AM_REST_ERROR_BAD_REQUEST,   /* 400 "Bad Request" */
	AM_REST_ERROR_UNAUTHORIZED,  /* 401 "" */
	AM_REST_ERROR_FORBIDDEN,     /* 403 "Forbidden" */
	AM_REST_ERROR_NOT_FOUND,     /* 404 "Not Found" */
	AM_REST_ERROR_CONFLICT,	     /* 409 "Conflict" */
	AM_REST_ERROR_EXISTS,	     /* 409 "Resource Already Exists" */
	AM_REST_ERROR_INTERNAL,	     /* 500, the fixed WSO2 text (the message is logged) */
	AM_REST_ERROR_UNSUPPORTED_TYPE, /* 415 "Unsupported Media Type" */
} AmRestErrorCode;

/* WSO2's texts. */
#define AM_REST_MALFORMED_BODY "Malformed request body."
#define AM_REST_EMPTY_BODY "Request payload cannot be empty."
#define AM_REST_UNAUTHENTICATED "Unauthenticated request"

typedef struct _AmRest AmRest;
typedef struct _AmRestCall AmRestCall;

/* Runs on a worker thread.  @conn is borrowed for the call. */
typedef JsonNode *(*AmRestHandler) (AmRestCall *call, AmDbConn *conn, gpointer user_data,
				    GError **error);

enum {
	/* The request must carry a JSON body (an object or an array):
	 * missing -> 400 AM_REST_EMPTY_BODY, not JSON -> 400
	 * AM_REST_MALFORMED_BODY, another Content-Type -> 415. */
	AM_REST_BODY_JSON = 1 << 0,
	/* The body is passed through as is (form uploads); the handler reads
	 * it with am_rest_call_body. */
	AM_REST_BODY_RAW = 1 << 1,
};

typedef struct {
	const char *method;  /* "GET", "POST", "PUT", "DELETE" */
	const char *pattern; /* below the base path: "/apis/{apiId}/documents"; a
			      * {param} matches one non-empty segment */
	const char *scope;   /* x-scope the token must carry; NULL: anonymous
			      * access allowed (a token, when sent, must be valid) */
	AmRestHandler handler;
	guint flags;	     /* AM_REST_BODY_* */
} AmRestRoute;

/* The API at @base_path ("/api/am/store/v0.11") serving @routes (a
 * { NULL }-terminated table, borrowed: keep it static).  @km is the Key
 * Manager whose tokens authenticate the calls (borrowed; see
 * am_km_new_for_server).  @user_data goes to every handler.  Fails on a
 * malformed route table. */
AmRest *am_rest_new (const char *base_path, AmKm *km, const AmRestRoute *routes,
		     gpointer user_data, GError **error);
/* How long a validated token is remembered (usec), never past its
 * expiry; revocations reported by @km (am_km_add_revoke_hook) drop it at
 * once.  A Key Manager in another process cannot report them: a module
 * running without an in-process Key Manager should pass 0 (no cache). */
#define AM_REST_TOKEN_CACHE_TTL (60 * G_USEC_PER_SEC)
void am_rest_set_cache_ttl (AmRest *rest, gint64 ttl_usec);
/* Unmounts, waits for the running handlers, frees. */
void am_rest_free (AmRest *rest);
/* Serve on @soup (the management server's, or a test's); one server at a time. */
void am_rest_mount (AmRest *rest, SoupServer *soup);
void am_rest_unmount (AmRest *rest);
const char *am_rest_get_base_path (AmRest *rest);

/* ---- routing (exposed for tests) ---- */

typedef enum {
	AM_REST_MATCH_NONE,	/* no pattern matches the path: 404 */
	AM_REST_MATCH_METHOD,	/* a pattern matches but not for this method: 405 */
	AM_REST_MATCH_OK,
} AmRestMatch;

/* Find the route of @method @path (below the base path).  On
 * AM_REST_MATCH_OK @route and @params (name -> decoded value; a new table)
 * are set; on AM_REST_MATCH_METHOD @allow is the "GET, PUT" list. */
AmRestMatch am_rest_route_match (AmRest *rest, const char *method, const char *path,
				 const AmRestRoute **route, GHashTable **params, char **allow);

/* ---- the call (worker thread) ---- */

/* Path parameter of the route pattern; NULL if the pattern has none of that name. */
const char *am_rest_call_param (AmRestCall *call, const char *name);
/* A query parameter (decoded); NULL when absent. */
const char *am_rest_call_query (AmRestCall *call, const char *name);
/* An integer query parameter in [@min, @max]; @def when absent; 400 when
 * it is not a number in range. */
gboolean am_rest_call_query_int (AmRestCall *call, const char *name, gint64 def, gint64 min,
				 gint64 max, gint64 *value, GError **error);
/* A boolean query parameter ("true"/"false"); @def when absent. */
gboolean am_rest_call_query_bool (AmRestCall *call, const char *name, gboolean def,
				  gboolean *value, GError **error);
/* limit (default 25) and offset (default 0), both >= 0. */
gboolean am_rest_call_pagination (AmRestCall *call, gint64 *limit, gint64 *offset,
				  GError **error);
/* The parsed JSON body (AM_REST_BODY_JSON routes), borrowed. */
JsonNode *am_rest_call_json (AmRestCall *call);
/* The raw body and its Content-Type (may be NULL). */
GBytes *am_rest_call_body (AmRestCall *call, const char **content_type);
/* A request header (e.g. "If-None-Match", "X-WSO2-Tenant"); NULL when absent. */
const char *am_rest_call_header (AmRestCall *call, const char *name);
const char *am_rest_call_method (AmRestCall *call);

/* The authenticated user: the tenant-aware name as the token has it
 * ("admin"), NULL for an anonymous call. */
const char *am_rest_call_user (AmRestCall *call);
/* The user with its tenant domain ("admin@carbon.super"), NULL when anonymous. */
const char *am_rest_call_user_full (AmRestCall *call);
int am_rest_call_tenant_id (AmRestCall *call);
/* The tenant: the token's, or X-WSO2-Tenant for an anonymous call
 * (default carbon.super). */
const char *am_rest_call_tenant_domain (AmRestCall *call);
/* The token's scopes (sorted), NULL-terminated; empty when anonymous. */
const char *const *am_rest_call_scopes (AmRestCall *call);
gboolean am_rest_call_has_scope (AmRestCall *call, const char *scope);

/* Response status for a successful call: 200 unless set (201 for created). */
void am_rest_call_set_status (AmRestCall *call, guint status);
/* 201 Created with Location: <scheme>://<host>/<base path>@path, e.g.
 * am_rest_call_set_created (call, "/apis/<uuid>"). */
void am_rest_call_set_created (AmRestCall *call, const char *path);
void am_rest_call_set_header (AmRestCall *call, const char *name, const char *value);
/* A response that is not JSON (swagger as stored, thumbnails): the body
 * wins over the handler's JsonNode. */
void am_rest_call_set_raw (AmRestCall *call, const char *content_type, GBytes *body);
/* A validation failure item of the ErrorDTO's "error" list, for a 400
 * ("400_<property>", "<property>: <message>" as WSO2 builds them). */
void am_rest_call_add_error_item (AmRestCall *call, const char *code, const char *message);
/* The item of @property: "400_<property>", "<property>: <why>". */
void am_rest_call_add_invalid (AmRestCall *call, const char *property, const char *why);
/* 400 "Validation Error" with a "<name>: may not be null" item for each
 * query parameter of @names (NULL-terminated) that is absent or empty;
 * FALSE when any is. */
gboolean am_rest_call_require_query (AmRestCall *call, const char *const *names,
				     GError **error);

/* ---- errors (any thread) ---- */

/* 404: "Requested <resource> with Id '<id>' not found". */
void am_rest_not_found (GError **error, const char *resource, const char *id);
/* 403: "You don't have permission to access the <resource> with Id <id>". */
void am_rest_forbidden (GError **error, const char *resource, const char *id);
/* 400 with the description. */
void am_rest_bad_request (GError **error, const char *description);
/* 400 "Validation Error": the description of WSO2's Bean Validation
 * failures, whose items the handler adds (am_rest_call_add_invalid). */
#define AM_REST_VALIDATION_ERROR "Validation Error"
void am_rest_validation_error (GError **error);

/* The ErrorDTO of @status (message per §4) with @description and @items
 * (pairs code, message; may be NULL). */
JsonNode *am_rest_error_dto (guint status, const char *description, GPtrArray *items);
/* The HTTP status of @error (500 for anything not AM_REST_ERROR). */
guint am_rest_error_status (const GError *error);

/* ---- lists and pagination ---- */

/* WSO2's RestApiUtil.getPaginationParams: the next and previous offsets
 * of a page (@offset, @limit) of @total items; -1 where there is none. */
void am_rest_pagination (gint64 offset, gint64 limit, gint64 total, gint64 *next_offset,
			 gint64 *previous_offset);
/* A paginated URL as WSO2's RestApiUtil builds them: @template with
 * "%limit" and "%offset" replaced, e.g. "/apis?limit=%limit&offset=%offset&query=". */
char *am_rest_paginated_url (const char *template_, gint64 offset, gint64 limit);
/* The list envelope {"count", "next", "previous", "list"}: @items (taken)
 * is the page; count is its length; next/previous are built from
 * @url_template for the page (@offset, @limit) of @total, "" when there
 * is none. */
JsonNode *am_rest_list (JsonArray *items, const char *url_template, gint64 offset, gint64 limit,
			gint64 total);
/* One item of a list as JSON; @data is am_rest_list_slice's. */
typedef JsonNode *(*AmRestItemJson) (gconstpointer item, gconstpointer data);
/* am_rest_list of the page (@offset, @limit) of @all, each item written
 * by @to_json; the total is @all's length. */
JsonNode *am_rest_list_slice (const GPtrArray *all, gint64 offset, gint64 limit,
			      AmRestItemJson to_json, gconstpointer data, const char *url_template);

/* ---- JSON helpers ---- */

/* The text of @node (compact). */
char *am_rest_json_text (JsonNode *node);

/* ---- authentication (exposed for tests; blocks) ---- */

typedef struct {
	char *user;	  /* tenant-aware */
	int tenant_id;
	char *tenant_domain;
	char **scopes;	  /* sorted */
	gint64 expires_at; /* usec since the epoch, G_MAXINT64: never */
} AmRestAuth;

void am_rest_auth_free (AmRestAuth *auth);
/* The token's owner and scopes when @access_token is ACTIVE and not
 * expired (TimestampSkew allowed); NULL without @error when it is not
 * (unknown, revoked, expired).  Uses the cache when @rest has one. */
AmRestAuth *am_rest_authenticate (AmRest *rest, AmDbConn *conn, const char *access_token,
				  GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmRest, am_rest_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmRestAuth, am_rest_auth_free)
