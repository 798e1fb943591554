/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The module registry: every module in start order (stop runs in reverse),
 * and the WSO2 2.x profile names.  The core modules run in every profile;
 * a component module lists the profiles it belongs to besides "default".
 */
#include "config.h"

#include "am-module.h"

#include <string.h>

extern const AmModule am_security_module;
extern const AmModule am_datasources_module;
extern const AmModule am_userstore_module;
extern const AmModule am_mgmt_module;
extern const AmModule am_keymanager_module;
extern const AmModule am_dcr_module;
extern const AmModule am_gateway_module;
extern const AmModule am_gw_admin_module;
extern const AmModule am_publisher_webapp_module;
extern const AmModule am_store_webapp_module;
extern const AmModule am_store_module;
extern const AmModule am_publisher_module;
extern const AmModule am_pizzashack_sample_module;

const AmModule *const am_modules[] = {
	&am_security_module,    /* keystore + truststore */
	&am_datasources_module, /* pools, schema on first start */
	&am_userstore_module,   /* UM_* user store, admin user */
	&am_mgmt_module,	/* 9443/9763: /services/Version, health */
	&am_keymanager_module,	/* OAuth2, key validation (Thrift 10397, SOAP) */
	&am_dcr_module,		/* /client-registration/v0.11|v0.14/register */
	&am_gateway_module,	/* 8280/8243: the API data plane */
	&am_gw_admin_module,	/* APIGatewayAdmin: the Publisher deploys APIs */
	&am_publisher_webapp_module, /* /publisher/ web UI */
	&am_store_webapp_module,     /* /store/ web UI */
	&am_store_module,	     /* /api/am/store/v0.11, self sign-up */
	&am_publisher_module,	     /* /api/am/publisher/v0.11 */
	&am_pizzashack_sample_module, /* /am/sample/pizzashack/v1/api/ */
	NULL,
};

const char *const am_profile_names[] = {
	"default",	   "api-key-manager", "api-publisher",	 "api-store",
	"api-devportal",   "gateway-manager", "gateway-worker", "traffic-manager",
	NULL,
};

gboolean
am_profile_is_valid (const char *profile)
{
	return profile != NULL && g_strv_contains (am_profile_names, profile);
}

gboolean
am_module_in_profile (const AmModule *module, const char *profile)
{
	if (module->profiles == NULL || g_strcmp0 (profile, "default") == 0)
		return TRUE;
	/* api-devportal is the 2.5+ name of api-store */
	if (g_strcmp0 (profile, "api-devportal") == 0)
		profile = "api-store";
	return g_strv_contains (module->profiles, profile);
}
