/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's client of the Key Manager's key validation, as
 * APIKeyValidator/KeyValidatorClientType picks it: ThriftClient (login at
 * /thriftAuthenticator, then TLS + TBinaryProtocol on the Thrift port) or
 * WSClient (SOAP APIKeyValidationService).  The blocking calls may run on
 * any thread; the async wrapper runs them on a small thread pool and
 * answers on the caller's main context.
 */
#pragma once

#include "am-apim-conf.h"
#include "am-core-conf.h"
#include "am-km.h"

#define AM_GW_KEYCLIENT_ERROR (am_gw_keyclient_error_quark ())
GQuark am_gw_keyclient_error_quark (void);

typedef enum {
	AM_GW_KEYCLIENT_ERROR_FAILED,	   /* bad configuration, unreadable answer */
	AM_GW_KEYCLIENT_ERROR_LOGIN,	   /* the Key Manager refused our credentials */
	AM_GW_KEYCLIENT_ERROR_UNAVAILABLE, /* cannot reach the Key Manager */
	AM_GW_KEYCLIENT_ERROR_REMOTE,	   /* the Key Manager answered with an exception */
} AmGwKeyClientError;

typedef struct _AmGwKeyClient AmGwKeyClient;

/* Default number of threads of the async pool. */
#define AM_GW_KEYCLIENT_DEFAULT_THREADS 8

/* A client for the Key Manager at APIKeyValidator/ServerURL (credentials
 * Username/Password, KeyValidatorClientType, ThriftClientConnectionTimeOut,
 * ThriftServerHost; Thrift port @ports->thrift_client).  Connects lazily. */
AmGwKeyClient *am_gw_keyclient_new (const AmApimConf *apim, const AmPorts *ports,
				    GError **error);
void am_gw_keyclient_free (AmGwKeyClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmGwKeyClient, am_gw_keyclient_free)

/* carbon.xml WebContextRoot ("/" by default): the login is at
 * <root>/thriftAuthenticator.  Before the first call. */
void am_gw_keyclient_set_web_context_root (AmGwKeyClient *client, const char *root);
/* Threads of the async pool (default 8).  Before the first async call. */
void am_gw_keyclient_set_max_threads (AmGwKeyClient *client, guint n);

/* APIKeyValidationService.validateKey.  A refusal is a result (authorized
 * FALSE, validation_status set); an error means the Key Manager could not
 * answer, after one re-login and retry (the gateway's 900900).  Blocks. */
AmKeyValidationInfo *am_gw_keyclient_validate (AmGwKeyClient *client,
					       const AmKeyValidationRequest *req, GError **error);
/* getAllURITemplates: a GPtrArray of AmUriTemplate.  Blocks. */
GPtrArray *am_gw_keyclient_get_uri_templates (AmGwKeyClient *client, const char *context,
					      const char *version, GError **error);

/* @info (transfer full) or @error; runs on the context given to
 * am_gw_keyclient_validate_async. */
typedef void (*AmGwKeyClientCallback) (AmKeyValidationInfo *info, const GError *error,
				       gpointer user_data);

/* am_gw_keyclient_validate on the client's thread pool; @callback is
 * invoked on @ctx (NULL: the global default context).  The strings of @req
 * are copied.  Never blocks.  The client must outlive the call. */
void am_gw_keyclient_validate_async (AmGwKeyClient *client, const AmKeyValidationRequest *req,
				     GMainContext *ctx, AmGwKeyClientCallback callback,
				     gpointer user_data);

/* @templates (a GPtrArray of AmUriTemplate, transfer full) or @error; runs
 * on the context given to am_gw_keyclient_get_uri_templates_async. */
typedef void (*AmGwKeyClientTemplatesCallback) (GPtrArray *templates, const GError *error,
						gpointer user_data);

/* am_gw_keyclient_get_uri_templates on the client's thread pool, answered
 * on @ctx like am_gw_keyclient_validate_async.  Never blocks. */
void am_gw_keyclient_get_uri_templates_async (AmGwKeyClient *client, const char *context,
					      const char *version, GMainContext *ctx,
					      AmGwKeyClientTemplatesCallback callback,
					      gpointer user_data);
