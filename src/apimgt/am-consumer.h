/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Store's data layer (WSO2 API-M 2.x APIConsumerImpl + ApiMgtDAO on
 * the AM_* tables): subscribers, applications, application keys,
 * subscriptions and self sign-up.  Rows are written as 2.x writes them,
 * on 2.6 schemas (AM_APPLICATION.TOKEN_TYPE, UPDATED_TIME in the inserts)
 * and on 2.1 schemas alike.
 *
 * Ownership: a user (AmSubscriber) only sees and changes the applications
 * of its own AM_SUBSCRIBER row; another user's application is
 * AM_CONSUMER_ERROR_FORBIDDEN (WSO2's REST answer is 403 "You don't have
 * permission to access the application with Id ...").
 *
 * Every function blocks on the database (and the key functions on the Key
 * Manager's tables): call them from a worker thread.  Functions that change
 * several rows run them in one transaction on @conn and leave no
 * transaction open; the pure reads (get, list, keys) leave the implicit
 * transaction of a defaultAutoCommit=false connection to the caller: use a
 * reader connection (am_db_acquire_reader) or release it soon.
 */
#pragma once

#include <glib.h>

#include "am-db.h"
#include "am-km.h"
#include "am-userstore.h"

#define AM_CONSUMER_ERROR (am_consumer_error_quark ())
GQuark am_consumer_error_quark (void);

typedef enum {
	AM_CONSUMER_ERROR_FAILED,      /* database / internal failure (500) */
	AM_CONSUMER_ERROR_INVALID,     /* bad input: empty name, bad key type... (400) */
	AM_CONSUMER_ERROR_NOT_FOUND,   /* no such application / subscription (404) */
	AM_CONSUMER_ERROR_FORBIDDEN,   /* another user's application (403) */
	AM_CONSUMER_ERROR_APP_EXISTS,  /* application name taken for this user (409) */
	AM_CONSUMER_ERROR_BAD_TIER,    /* tier is not an existing policy / not allowed (400) */
	AM_CONSUMER_ERROR_SUB_EXISTS,  /* already subscribed (409) */
	AM_CONSUMER_ERROR_SUB_BLOCKED, /* re-subscribing to a blocked subscription (409/400) */
	AM_CONSUMER_ERROR_KEYS_EXIST,  /* keys of that type already generated (409) */
	AM_CONSUMER_ERROR_USER_EXISTS, /* sign-up: user name taken (409) */
} AmConsumerErrorCode;

/* ---- subscribers (AM_SUBSCRIBER) ---- */

typedef struct {
	gint64 id;	     /* SUBSCRIBER_ID */
	char *user_id;	     /* USER_ID: "admin", "bob@example.com" for tenant users */
	int tenant_id;
	char *email;
	char *date_subscribed; /* as stored */
} AmSubscriber;

void am_subscriber_free (AmSubscriber *s);

/* The subscriber row of @username in @tenant_id; NULL without @error when
 * there is none.  "user@carbon.super" is "user". */
AmSubscriber *am_consumer_subscriber_get (AmDbConn *conn, const char *username, int tenant_id,
					  GError **error);
/* Get or create (APIConsumerImpl.addSubscriber): a new row is inserted
 * with EMAIL_ADDRESS '' and DATE_SUBSCRIBED/CREATED_TIME now, and its
 * "DefaultApplication" created in the same transaction (tier Unlimited when
 * the tenant has that application policy, else the first application
 * policy by name; GROUP_ID ''; TOKEN_TYPE 'DEFAULT' on 2.6). */
AmSubscriber *am_consumer_subscriber_ensure (AmDbConn *conn, const char *username, int tenant_id,
					     GError **error);

/* ---- applications (AM_APPLICATION) ---- */

typedef struct {
	gint64 id;	    /* APPLICATION_ID */
	char *uuid;	    /* REST applicationId */
	char *name;
	gint64 subscriber_id;
	char *subscriber;   /* owner's USER_ID */
	char *tier;	    /* APPLICATION_TIER */
	char *callback_url;
	char *description;
	char *status;	    /* APPLICATION_STATUS: APPROVED ... */
	char *group_id;
	char *token_type;   /* DEFAULT / JWT; NULL on 2.1 schemas or migrated rows */
	char *created_by;
	char *created_time;
	char *updated_by;
	char *updated_time;
} AmApplication;

void am_application_free (AmApplication *app);

typedef struct {
	const char *name;	  /* required; at most 100 characters, no outer spaces */
	const char *tier;	  /* required: an application policy of the tenant */
	const char *description;  /* may be NULL */
	const char *callback_url; /* may be NULL */
	const char *group_id;	  /* NULL: '' */
	const char *token_type;	  /* NULL / "OAUTH" / "DEFAULT": DEFAULT; "JWT" */
} AmApplicationSpec;

/* A new APPROVED application of @owner with a random UUID.
 * AM_CONSUMER_ERROR_APP_EXISTS when @owner already has one of that name
 * (case-insensitive, as ApiMgtDAO.isApplicationExist), BAD_TIER when the
 * tier is not an application policy of the owner's tenant. */
AmApplication *am_consumer_app_create (AmDbConn *conn, const AmSubscriber *owner,
				       const AmApplicationSpec *spec, GError **error);
/* By UUID: NOT_FOUND, or FORBIDDEN when @owner is not its subscriber. */
AmApplication *am_consumer_app_get (AmDbConn *conn, const AmSubscriber *owner, const char *uuid,
				    GError **error);
/* @owner's applications whose name contains @query (case-insensitive;
 * NULL or "" = all), sorted by name, @offset/@limit applied (@limit 0 = no
 * limit); the number before paging goes to @total (may be NULL).  A
 * GPtrArray of AmApplication. */
GPtrArray *am_consumer_app_list (AmDbConn *conn, const AmSubscriber *owner, const char *query,
				 guint offset, guint limit, guint *total, GError **error);
/* Change name, tier, description and callback URL (and token type on 2.6,
 * when @spec->token_type is set) of @owner's application @uuid; the same
 * checks as create.  Returns the updated row. */
AmApplication *am_consumer_app_update (AmDbConn *conn, const AmSubscriber *owner,
				       const char *uuid, const AmApplicationSpec *spec,
				       GError **error);
/* Delete @owner's application @uuid: its keys through the Key Manager
 * (am_km_app_delete_keys: the OAuth clients go and their tokens are
 * reported revoked), then in one transaction its subscriptions and
 * remaining key mappings / registrations and the row itself. */
gboolean am_consumer_app_delete (AmKm *km, AmDbConn *conn, const AmSubscriber *owner,
				 const char *uuid, GError **error);

/* ---- application keys ---- */

/* One key type of an application: AM_APPLICATION_KEY_MAPPING joined with
 * its OAuth client, plus the application token when just generated. */
typedef struct {
	char *key_type;		/* PRODUCTION / SANDBOX */
	char *consumer_key;	/* NULL while the mapping has none */
	char *consumer_secret;
	char **supported_grant_types; /* GRANT_TYPES split on spaces */
	char *callback_url;
	char *key_state;	/* mapping STATE (COMPLETED...), or "APPROVED" from generate */
	char *create_mode;	/* CREATED / MAPPED */
	char *access_token;	/* generate only: "" when the client has no client_credentials */
	gint64 validity_time;	/* s; AM_KM_NEVER_EXPIRES_IN for never */
	char **token_scopes;	/* generate only; {"N/A"} without a token */
} AmAppKey;

void am_app_key_free (AmAppKey *key);

/* The key mappings of @app (sorted by key type), a GPtrArray of AmAppKey. */
GPtrArray *am_consumer_app_keys (AmDbConn *conn, const AmApplication *app, GError **error);

typedef struct {
	const char *key_type;		  /* PRODUCTION / SANDBOX */
	gint64 validity_time;		  /* s; -1 never expires; 0: the server default */
	const char *callback_url;	  /* may be NULL */
	const char *const *scopes;	  /* NULL: {"default"} */
	const char *const *allowed_domains; /* NULL: {"ALL"} */
	const char *const *grant_types;	  /* NULL: the Key Manager's default list */
} AmKeyRequest;

/* POST /applications/generate-keys: the AM_APPLICATION_REGISTRATION row
 * with the request (ALLOWED_DOMAINS, VALIDITY_PERIOD, TOKEN_SCOPE, INPUTS)
 * and the OAuth client (am_km_app_create_keys) in one transaction, then
 * the application access token (client_credentials, ApplicationTokenScope
 * added) when the client may use that grant.  KEYS_EXIST when @app already
 * has keys of that type; FORBIDDEN when @owner does not own @app. */
AmAppKey *am_consumer_app_generate_keys (AmKm *km, AmDbConn *conn, const AmSubscriber *owner,
					 const AmApplication *app, const AmKeyRequest *req,
					 GError **error);

/* ---- subscriptions (AM_SUBSCRIPTION) ---- */

typedef struct {
	gint64 id;		/* SUBSCRIPTION_ID */
	char *uuid;		/* REST subscriptionId */
	char *tier;		/* TIER_ID */
	gint64 api_id;		/* AM_API.API_ID */
	char *api_provider;	/* as stored (real "@") */
	char *api_name;
	char *api_version;
	char *api_identifier;	/* provider-name-version, "@" written "-AT-" (APIIdentifier) */
	gint64 application_id;
	char *application_uuid;
	char *application_name;
	gint64 subscriber_id;	/* the application's owner */
	char *status;		/* SUB_STATUS */
	char *create_state;	/* SUBS_CREATE_STATE */
	char *created_by;
	char *created_time;
	char *updated_by;
	char *updated_time;
} AmSubscription;

void am_subscription_free (AmSubscription *sub);

/* Subscribe @app (owned by @owner) to the API whose AM_API.API_ID is
 * @api_id on @tier.  @api_tiers (NULL-terminated, the API's available
 * tiers, from its storage) must contain @tier and it must be a subscription
 * policy of the owner's tenant (else BAD_TIER).  An existing subscription
 * of @app to that API is SUB_EXISTS, or SUB_BLOCKED when blocked; one left
 * in UN_SUBSCRIBE state is replaced (ApiMgtDAO.addSubscription).  The row:
 * UUID, SUB_STATUS UNBLOCKED, SUBS_CREATE_STATE SUBSCRIBE, CREATED_BY the
 * owner.  NOT_FOUND when there is no such API. */
AmSubscription *am_consumer_sub_create (AmDbConn *conn, const AmSubscriber *owner,
					const AmApplication *app, gint64 api_id,
					const char *tier, const char *const *api_tiers,
					GError **error);
/* By UUID; with @owner non-NULL, FORBIDDEN unless the subscription's
 * application is the owner's. */
AmSubscription *am_consumer_sub_get (AmDbConn *conn, const AmSubscriber *owner, const char *uuid,
				     GError **error);
/* The subscriptions of application @application_id (by API name, version)
 * or of API @api_id (by application name), paged like app_list.  A
 * GPtrArray of AmSubscription. */
GPtrArray *am_consumer_sub_list_by_app (AmDbConn *conn, gint64 application_id, guint offset,
					guint limit, guint *total, GError **error);
GPtrArray *am_consumer_sub_list_by_api (AmDbConn *conn, gint64 api_id, guint offset,
					guint limit, guint *total, GError **error);
/* Unsubscribe: the subscription (and its legacy AM_SUBSCRIPTION_KEY_MAPPING
 * rows) removed; with @owner non-NULL only the owner's. */
gboolean am_consumer_sub_delete (AmDbConn *conn, const AmSubscriber *owner, const char *uuid,
				 GError **error);
/* Publisher's block / unblock: SUB_STATUS BLOCKED or PROD_ONLY_BLOCKED
 * (@production_only), or UNBLOCKED, with UPDATED_BY @user and UPDATED_TIME
 * now.  Callers drop cached validations (am_km_cache_clear, gateway
 * invalidation) afterwards. */
gboolean am_consumer_sub_block (AmDbConn *conn, const char *uuid, gboolean production_only,
				const char *user, GError **error);
gboolean am_consumer_sub_unblock (AmDbConn *conn, const char *uuid, const char *user,
				  GError **error);

/* ---- self sign-up ---- */

/* The Store's self sign-up: a new user of the primary user store with the
 * role Internal/subscriber (SignUpRole of the default sign-up config).
 * USER_EXISTS for a taken name (case-insensitive), INVALID for a name or
 * password that breaks the user store's patterns (UsernameJavaRegEx,
 * PasswordJavaRegEx) or an empty password. */
gboolean am_consumer_sign_up (AmUserStore *us, const char *username, const char *password,
			      GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmSubscriber, am_subscriber_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmApplication, am_application_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmAppKey, am_app_key_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmSubscription, am_subscription_free)
