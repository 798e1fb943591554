/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request routing over a set of deployed APIs: method + request target ->
 * API, resource, URI variables, the sub-path after the context.  The index
 * is built once per snapshot and is immutable; lookups cost a few hash
 * probes per path segment, whatever the number of APIs.
 */
#pragma once

#include <glib.h>

#include "am-gw-api.h"

/* A resource's compiled uri-template or url-mapping (neither: the default
 * resource).  NULL with @error for a template synapse would refuse. */
typedef struct _AmGwMapping AmGwMapping;
AmGwMapping *am_gw_mapping_compile (const char *uri_template, const char *url_mapping,
				    GError **error);
void am_gw_mapping_free (gpointer mapping);
/* Match a uri-template mapping against @sub_path (with its query), filling
 * @vars (name -> decoded value) on success. */
gboolean am_gw_mapping_match_template (const AmGwMapping *mapping, const char *sub_path,
				       GHashTable *vars);

typedef enum {
	AM_GW_MATCH_OK,
	AM_GW_MATCH_NO_API,	       /* 404 from the main sequence */
	AM_GW_MATCH_NO_RESOURCE,       /* 404, "No matching resource found for given API Request" */
	AM_GW_MATCH_METHOD_NOT_ALLOWED, /* 405, "Method not allowed for given API resource" */
} AmGwMatchStatus;

typedef struct {
	AmGwApi *api;		/* borrowed from the router (set unless NO_API) */
	AmGwResource *resource; /* borrowed (set when OK) */
	char *sub_path;		/* after context (and version), with the query; "/" at least */
	const char *query;	/* inside sub_path, after '?'; NULL when none */
	GHashTable *vars;	/* uri-template variables (uri.var.<name>), or NULL */
} AmGwMatch;

typedef struct _AmGwRouter AmGwRouter;

/* Index @apis (AmGwApi*; the router takes its own references). */
AmGwRouter *am_gw_router_new (GPtrArray *apis);
void am_gw_router_free (AmGwRouter *router);

/* Route @method and @target (the request-target's path and query, as
 * received: no scheme or host). @match is filled for every status but
 * NO_API; clear it with am_gw_match_clear(). */
AmGwMatchStatus am_gw_router_match (const AmGwRouter *router, const char *method,
				    const char *target, AmGwMatch *match);
void am_gw_match_clear (AmGwMatch *match);
const char *am_gw_match_var (const AmGwMatch *match, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmGwRouter, am_gw_router_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AmGwMatch, am_gw_match_clear)
