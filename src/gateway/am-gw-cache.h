/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway token cache (CacheConfigurations/EnableGatewayTokenCache):
 * key validation results by WSO2's cache key, for TokenCacheExpiry seconds
 * and never past the token's own expiry; tokens the Key Manager called
 * invalid (900901) are remembered too, as the 2.x gateway's invalid token
 * cache does.  Any thread; lookups take one shard lock.
 */
#pragma once

#include "am-apim-conf.h"
#include "am-km.h"

typedef struct _AmGwCache AmGwCache;

/* Carbon's default cache capacity (entries). */
#define AM_GW_CACHE_DEFAULT_CAPACITY 10000

/* A cache as api-manager.xml asks for: on when EnableGatewayTokenCache,
 * entries live TokenCacheExpiry seconds. */
AmGwCache *am_gw_cache_new (const AmApimConf *apim);
/* @ttl_s entry lifetime; @capacity the most results kept (0: default). */
AmGwCache *am_gw_cache_new_full (gboolean enabled, gint64 ttl_s, guint capacity);
void am_gw_cache_free (AmGwCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmGwCache, am_gw_cache_free)

gboolean am_gw_cache_enabled (AmGwCache *cache);
/* For tests: the clock (microseconds since the epoch), g_get_real_time by default. */
void am_gw_cache_set_clock (AmGwCache *cache, gint64 (*now) (void));

/* WSO2's key: token:context/version+resource:verb:authLevel. */
char *am_gw_cache_key (const AmKeyValidationRequest *req);

/* A validation result shared by the cache and the requests using it:
 * immutable once made, reference counted from any thread. */
typedef struct _AmGwResult AmGwResult;
/* Takes @info. */
AmGwResult *am_gw_result_new (AmKeyValidationInfo *info);
AmGwResult *am_gw_result_ref (AmGwResult *result);
void am_gw_result_unref (AmGwResult *result);
const AmKeyValidationInfo *am_gw_result_info (const AmGwResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmGwResult, am_gw_result_unref)

/* The cached result for @req (a reference: nothing is copied), or NULL;
 * the same rules as am_gw_cache_lookup(). */
AmGwResult *am_gw_cache_lookup_shared (AmGwCache *cache, const AmKeyValidationRequest *req);
/* Remember @result (a reference is taken) for @req. */
void am_gw_cache_store_shared (AmGwCache *cache, const AmKeyValidationRequest *req,
			       AmGwResult *result);

/* A copy of the cached result for @req, or NULL (a miss: ask the Key
 * Manager).  A cached token that has expired since is dropped and answered
 * as WSO2 does: not authorized, 900901; so is a token known invalid. */
AmKeyValidationInfo *am_gw_cache_lookup (AmGwCache *cache, const AmKeyValidationRequest *req);
/* Remember the Key Manager's answer @info for @req. */
void am_gw_cache_store (AmGwCache *cache, const AmKeyValidationRequest *req,
			const AmKeyValidationInfo *info);
/* Forget everything about @access_token; returns how many results went. */
guint am_gw_cache_invalidate_token (AmGwCache *cache, const char *access_token);
void am_gw_cache_clear (AmGwCache *cache);
/* Results held (invalid-token marks not counted). */
guint am_gw_cache_size (AmGwCache *cache);
