/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway admin service APIAuthenticationService, which Key Managers
 * call to drop revoked tokens from the gateway token cache:
 * invalidateCachedTokens(String[] accessTokens) and
 * invalidateKey(String accessToken), SOAP 1.1/1.2 at
 * /services/APIAuthenticationService on the management server.
 */
#pragma once

#include "am-gw-cache.h"
#include "am-soap.h"

#define AM_GW_AUTHSVC_PATH "/services/APIAuthenticationService"
/* services.xml of the gateway's admin services */
/* services.xml AuthorizationAction of the gateway's admin services */
#define AM_GW_AUTHSVC_PERMISSION "/permission/admin/login"

typedef struct _AmGwAuthSvc AmGwAuthSvc;

/* Mount the service on @mgmt (https only, Basic credentials of a user of
 * @us with the permission), dropping tokens from @cache (borrowed: it
 * must outlive the service). */
AmGwAuthSvc *am_gw_authsvc_new (AmMgmt *mgmt, AmUserStore *us, AmGwCache *cache);
/* Unmount; waits for calls in progress. */
void am_gw_authsvc_free (AmGwAuthSvc *svc);

/* One call without the HTTP side: parse @body (with its HTTP
 * @content_type), drop the tokens it names from @cache and return the
 * reply (202 and no body for these one-way operations, or a fault). */
AmSoapReply *am_gw_authsvc_process (AmGwCache *cache, const char *content_type,
				    const char *body, gsize len);
