/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Swagger 2.0 (the API's apiDefinition / registry swagger.json) to and from
 * the API model: operations (paths x verbs with x-auth-type,
 * x-throttling-tier, x-scope) and scopes (x-wso2-security.apim.
 * x-wso2-scopes).  Pure: no I/O.
 */
#pragma once

#include <glib.h>

#include "am-api.h"
#include "am-pub-error.h"

/* Read @json: on success *operations (AmApiOperation*) and *scopes
 * (AmApiScope*) are new arrays in document order.  FALSE with
 * AM_PUB_ERROR_INVALID naming the problem and its JSON path
 * ("$.paths['/menu'].get['x-auth-type']: ..."). */
gboolean am_pub_swagger_parse (const char *json, GPtrArray **operations, GPtrArray **scopes,
			       GError **error);

/* Replace @api's operations and scopes with those of @json (api->swagger is
 * set to @json too); @api is untouched on failure. */
gboolean am_pub_swagger_apply (AmApi *api, const char *json, GError **error);

/* The swagger 2.0 document WSO2 2.x generates for an API without one
 * (APIDefinitionFromSwagger20.generateAPIDefinition): info (title,
 * description, contact from the business owner, version), one path item
 * per URL pattern, each operation with x-auth-type, x-throttling-tier,
 * x-scope, a 200 "OK" response and its path parameters, and
 * x-wso2-security; object members in java.util.HashMap order as WSO2's
 * json-simple writes them.  Pretty-printed when @pretty. */
char *am_pub_swagger_generate (const AmApi *api, gboolean pretty);
