/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway admin service APIGatewayAdmin, which a WSO2 2.x Publisher
 * calls to deploy APIs and sequences onto a gateway environment
 * (<Environment ServerURL>APIGatewayAdmin): add/update/delete/get of
 * versioned and default-version APIs, add/delete/get/isExisting of
 * sequences, written into a synapse-configs directory that the gateway's
 * hot deployment picks up.  SOAP 1.1/1.2 at /services/APIGatewayAdmin on
 * the management server.
 */
#pragma once

#include "am-soap.h"

#define AM_GW_ADMIN_PATH "/services/APIGatewayAdmin"
/* the WSDL's target namespace (operation elements, elementFormDefault
 * qualified) and the DTOs' (APIData, ResourceData) */
#define AM_GW_ADMIN_NS "http://service.gateway.apimgt.carbon.wso2.org"
#define AM_GW_ADMIN_DTO_NS "http://dto.gateway.apimgt.carbon.wso2.org/xsd"
/* services.xml AuthorizationAction of the gateway's admin services */
#define AM_GW_ADMIN_PERMISSION "/permission/admin/login"
/* the only tenant this gateway serves */
#define AM_GW_ADMIN_SUPER_TENANT "carbon.super"

typedef struct _AmGwAdmin AmGwAdmin;

/* Mount the service on @mgmt (https only, Basic credentials of a user of
 * @us with the permission), deploying into @synapse_dir (the
 * .../synapse-configs/default directory: api/ and sequences/ below it are
 * created when missing). */
AmGwAdmin *am_gw_admin_new (AmMgmt *mgmt, AmUserStore *us, const char *synapse_dir);
/* Unmount; waits for calls in progress. */
void am_gw_admin_free (AmGwAdmin *admin);

/* One call without the HTTP side: parse @body (with its HTTP
 * @content_type), do the operation on @synapse_dir and return the reply
 * (the operation's response, or a fault).  Calls are serialized. */
AmSoapReply *am_gw_admin_process (const char *synapse_dir, const char *content_type,
				  const char *body, gsize len);

/* The synapse name of an API: "<provider>--<name>:v<version>", or
 * "<provider>--<name>" for the default-version API (@version NULL); '@' in
 * the provider is written "-AT-". */
char *am_gw_admin_api_name (const char *provider, const char *name, const char *version);
/* The file Carbon's persistence gives an artifact named @name
 * (ServiceBusUtils.generateFileName): each of \ / ? * | : < > and space
 * becomes '_', then ".xml". */
char *am_gw_admin_file_name (const char *name);
