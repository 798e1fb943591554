/* SPDX-License-Identifier: Apache-2.0 */
/* The Key Manager's state, shared by its files (not by other modules). */
#pragma once

#include "am-km.h"
#include "am-keystore.h"

struct _AmKm {
	AmServer *server;	/* NULL for am_km_new_for_db */
	AmConf *conf_ref;	/* keeps @apim alive; NULL for am_km_new_for_db */
	AmDb *db;		/* ref */
	const AmApimConf *apim; /* borrowed from conf_ref, or apim_own */
	AmApimConf *apim_own;	/* defaults for am_km_new_for_db (apim NULL) */
	AmKmConf conf;
	AmKmSchema schema;
	AmKeystore *keystore;	/* borrowed: signs the backend JWT; may be NULL */
	AmUserStore *userstore; /* borrowed: roles for scope checks; may be NULL */
	gint64 (*now) (void);

	/* validation cache (EnableKeyManagerTokenCache), key -> KmCacheEntry */
	GMutex cache_lock;
	GHashTable *cache;
	/* access token -> GPtrArray of cache keys, to drop them on revoke */
	GHashTable *cache_by_token;

	GMutex hook_lock;
	GArray *revoke_hooks; /* of KmRevokeHook, under hook_lock */

	/* Thrift login sessions (am-km-thrift-auth.c), NULL when that
	 * component is not running (sessions then live in the database only) */
	struct _KmThriftAuth *thrift_auth;

	/* the started components' states, in start order */
	GPtrArray *components;
};

typedef struct {
	AmKmRevokeHook hook;
	gpointer data;
} KmRevokeHook;

/* am-km-validate.c */
void am_km_cache_init (AmKm *km);
void am_km_cache_fini (AmKm *km);
/* For tests: replace the keystore used for JWT signing. */
void am_km_set_keystore (AmKm *km, AmKeystore *keystore);
void am_km_set_userstore (AmKm *km, AmUserStore *userstore);
