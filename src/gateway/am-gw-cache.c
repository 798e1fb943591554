/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway token cache, as the 2.x gateway's APIKeyValidator keeps it
 * (carbon-apimgt gateway handlers/security/APIKeyValidator.java,
 * impl utils/APIUtil.java, 2.x):
 *
 * - The key is APIUtil.getAccessTokenCacheKey: token + ':' + context + '/' +
 *   version + matchingResource + ':' + verb + ':' + authLevel, the version
 *   being "_default_<v>" for default-version calls.
 * - WSO2 keeps two levels: GatewayTokenCache (token -> tenant) and
 *   GatewayKeyCache (key -> APIKeyValidationInfoDTO); a key hit counts only
 *   while the token is in the first level, so dropping a token drops all of
 *   its results.  Here each token has one slot holding its results, and the
 *   slots are spread over shards by the token's hash: a lookup or an
 *   invalidation takes one shard lock.
 * - Every answer but 900901 is cached as is, refusals included; a 900901
 *   answer puts the token into GatewayInvalidTokenCache instead, and a
 *   token found there is refused (900901) without asking the Key Manager.
 * - A cached result whose token has expired since (issuedTime +
 *   validityPeriod, APIUtil.isAccessTokenExpired) is removed, the token is
 *   marked invalid and the call is refused with 900901.
 * - All three caches live CacheConfigurations/TokenCacheExpiry seconds
 *   (default 900) and only when EnableGatewayTokenCache is on.  A result is
 *   also never kept past its token's expiry.
 * - The capacity is Carbon's default cache size (10000 entries); when a
 *   shard is full its expired entries go first, then whole tokens.
 */
#define G_LOG_DOMAIN "am.gw"
#include "config.h"

#include "am-gw-cache.h"

#include <string.h>

#define CACHE_SHARDS 16
#define DEFAULT_TTL_S 900

typedef struct {
	AmGwResult *result;
	gint64 expires;	      /* usec since the epoch */
	gboolean token_bound; /* @expires is the token's own expiry */
} CacheResult;

typedef struct {
	GHashTable *results;   /* rest of the key -> CacheResult */
	gint64 invalid_until;  /* 0, or usec: the token is known invalid until then */
} CacheToken;

typedef struct {
	GMutex lock;
	GHashTable *tokens; /* access token -> CacheToken */
	guint n_results;
} CacheShard;

struct _AmGwCache {
	gboolean enabled;
	gint64 ttl;	      /* usec */
	guint shard_capacity; /* results per shard */
	gint64 (*now) (void);
	AmGwResult *invalid;  /* the answer for a token known invalid */
	CacheShard shards[CACHE_SHARDS];
};

static AmKeyValidationInfo *invalid_credentials (void);

struct _AmGwResult {
	AmKeyValidationInfo *info;
};

static void
result_clear (gpointer p)
{
	AmGwResult *result = p;

	am_key_validation_info_free (result->info);
}

AmGwResult *
am_gw_result_new (AmKeyValidationInfo *info)
{
	AmGwResult *result = g_atomic_rc_box_new0 (AmGwResult);

	result->info = info;
	return result;
}

AmGwResult *
am_gw_result_ref (AmGwResult *result)
{
	return g_atomic_rc_box_acquire (result);
}

void
am_gw_result_unref (AmGwResult *result)
{
	if (result != NULL)
		g_atomic_rc_box_release_full (result, result_clear);
}

const AmKeyValidationInfo *
am_gw_result_info (const AmGwResult *result)
{
	return result->info;
}

static void
cache_result_free (gpointer p)
{
	CacheResult *r = p;

	am_gw_result_unref (r->result);
	g_free (r);
}

static void
cache_token_free (gpointer p)
{
	CacheToken *t = p;

	g_hash_table_unref (t->results);
	g_free (t);
}

AmGwCache *
am_gw_cache_new_full (gboolean enabled, gint64 ttl_s, guint capacity)
{
	AmGwCache *cache = g_new0 (AmGwCache, 1);

	cache->enabled = enabled && ttl_s > 0;
	cache->ttl = ttl_s * G_USEC_PER_SEC;
	if (capacity == 0)
		capacity = AM_GW_CACHE_DEFAULT_CAPACITY;
	cache->shard_capacity = MAX (1, capacity / CACHE_SHARDS);
	cache->now = g_get_real_time;
	cache->invalid = am_gw_result_new (invalid_credentials ());
	for (guint i = 0; i < CACHE_SHARDS; i++) {
		g_mutex_init (&cache->shards[i].lock);
		cache->shards[i].tokens =
			g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cache_token_free);
	}
	return cache;
}

AmGwCache *
am_gw_cache_new (const AmApimConf *apim)
{
	return am_gw_cache_new_full (apim->gw_token_cache,
				     apim->token_cache_expiry > 0 ? apim->token_cache_expiry
								  : DEFAULT_TTL_S,
				     0);
}

void
am_gw_cache_free (AmGwCache *cache)
{
	if (cache == NULL)
		return;
	for (guint i = 0; i < CACHE_SHARDS; i++) {
		g_hash_table_unref (cache->shards[i].tokens);
		g_mutex_clear (&cache->shards[i].lock);
	}
	am_gw_result_unref (cache->invalid);
	g_free (cache);
}

gboolean
am_gw_cache_enabled (AmGwCache *cache)
{
	return cache->enabled;
}

void
am_gw_cache_set_clock (AmGwCache *cache, gint64 (*now) (void))
{
	cache->now = now != NULL ? now : g_get_real_time;
}

/* context/version+resource:verb:authLevel: the key after "token:". */
/* The key after "token:" into @buf when it fits (lookups allocate
 * nothing), else a new string in *@heap. */
static const char *
key_rest_in (const AmKeyValidationRequest *req, char *buf, gsize size, char **heap)
{
	const char *parts[] = { req->context ? req->context : "null",
				"/",
				req->version ? req->version : "null",
				req->matching_resource ? req->matching_resource : "null",
				":",
				req->http_verb ? req->http_verb : "null",
				":",
				req->required_auth_level ? req->required_auth_level : "null" };
	gsize n = 0;

	*heap = NULL;
	for (guint i = 0; i < G_N_ELEMENTS (parts); i++) {
		gsize len = strlen (parts[i]);

		if (n + len >= size) {
			*heap = g_strjoinv ("", (char **) (const char *const[]){
							parts[0], parts[1], parts[2], parts[3],
							parts[4], parts[5], parts[6], parts[7], NULL });
			return *heap;
		}
		memcpy (buf + n, parts[i], len);
		n += len;
	}
	buf[n] = '\0';
	return buf;
}

static char *
key_rest (const AmKeyValidationRequest *req)
{
	char buf[256];
	char *heap;
	const char *k = key_rest_in (req, buf, sizeof buf, &heap);

	return heap != NULL ? heap : g_strdup (k);
}

char *
am_gw_cache_key (const AmKeyValidationRequest *req)
{
	g_autofree char *rest = key_rest (req);

	return g_strconcat (req->access_token ? req->access_token : "null", ":", rest, NULL);
}

static CacheShard *
shard_of (AmGwCache *cache, const char *token)
{
	return &cache->shards[g_str_hash (token) % CACHE_SHARDS];
}

/* The token's expiry in usec since the epoch, G_MAXINT64 for never. */
static gint64
token_expiry (const AmKeyValidationInfo *info)
{
	if (info->validity_period == AM_KM_NEVER_EXPIRES || info->validity_period < 0 ||
	    info->issued_time <= 0 || info->validity_period > (G_MAXINT64 / 1000) - info->issued_time)
		return G_MAXINT64;
	return (info->issued_time + info->validity_period) * 1000;
}

static AmKeyValidationInfo *
invalid_credentials (void)
{
	AmKeyValidationInfo *info = g_new0 (AmKeyValidationInfo, 1);

	info->authorized = FALSE;
	info->validation_status = AM_KV_INVALID_CREDENTIALS;
	return info;
}

/* Drop @t's results and remember the token as invalid until @until. */
static void
token_mark_invalid (CacheShard *shard, CacheToken *t, gint64 until)
{
	shard->n_results -= g_hash_table_size (t->results);
	g_hash_table_remove_all (t->results);
	t->invalid_until = until;
}

AmGwResult *
am_gw_cache_lookup_shared (AmGwCache *cache, const AmKeyValidationRequest *req)
{
	char buf[512];
	g_autofree char *heap = NULL;
	const char *rest;
	AmGwResult *found = NULL;
	CacheShard *shard;
	CacheToken *t;
	CacheResult *r;
	gint64 now;

	if (!cache->enabled || req->access_token == NULL)
		return NULL;
	rest = key_rest_in (req, buf, sizeof buf, &heap);
	now = cache->now ();
	shard = shard_of (cache, req->access_token);
	g_mutex_lock (&shard->lock);
	t = g_hash_table_lookup (shard->tokens, req->access_token);
	r = t != NULL ? g_hash_table_lookup (t->results, rest) : NULL;
	if (t != NULL && t->invalid_until > now) {
		found = am_gw_result_ref (cache->invalid);
	} else if (r != NULL && now < r->expires) {
		found = am_gw_result_ref (r->result);
	} else if (r != NULL && r->token_bound) {
		/* the token expired while cached */
		token_mark_invalid (shard, t, now + cache->ttl);
		found = am_gw_result_ref (cache->invalid);
	} else if (r != NULL) {
		g_hash_table_remove (t->results, rest);
		shard->n_results--;
	}
	g_mutex_unlock (&shard->lock);
	return found;
}

AmKeyValidationInfo *
am_gw_cache_lookup (AmGwCache *cache, const AmKeyValidationRequest *req)
{
	g_autoptr (AmGwResult) r = am_gw_cache_lookup_shared (cache, req);

	return r != NULL ? am_key_validation_info_copy (r->info) : NULL;
}

static gboolean
token_sweep (gpointer key, gpointer value, gpointer user_data)
{
	CacheToken *t = value;
	gint64 now = *(gint64 *) user_data;
	GHashTableIter iter;
	gpointer r;

	g_hash_table_iter_init (&iter, t->results);
	while (g_hash_table_iter_next (&iter, NULL, &r))
		if (((CacheResult *) r)->expires <= now)
			g_hash_table_iter_remove (&iter);
	return g_hash_table_size (t->results) == 0 && t->invalid_until <= now;
}

static guint
shard_count (CacheShard *shard)
{
	GHashTableIter iter;
	gpointer t;
	guint n = 0;

	g_hash_table_iter_init (&iter, shard->tokens);
	while (g_hash_table_iter_next (&iter, NULL, &t))
		n += g_hash_table_size (((CacheToken *) t)->results);
	return n;
}

/* Room for one more result in @shard, keeping @keep's slot. */
static void
shard_make_room (AmGwCache *cache, CacheShard *shard, const char *keep, gint64 now)
{
	GHashTableIter iter;
	gpointer token, t;

	if (shard->n_results < cache->shard_capacity)
		return;
	g_hash_table_foreach_remove (shard->tokens, token_sweep, &now);
	shard->n_results = shard_count (shard);
	g_hash_table_iter_init (&iter, shard->tokens);
	while (shard->n_results >= cache->shard_capacity &&
	       g_hash_table_iter_next (&iter, &token, &t)) {
		if (strcmp (token, keep) == 0)
			continue;
		shard->n_results -= g_hash_table_size (((CacheToken *) t)->results);
		g_hash_table_iter_remove (&iter);
	}
}

void
am_gw_cache_store (AmGwCache *cache, const AmKeyValidationRequest *req,
		   const AmKeyValidationInfo *info)
{
	g_autoptr (AmGwResult) r = NULL;

	if (!cache->enabled || req->access_token == NULL)
		return;
	r = am_gw_result_new (am_key_validation_info_copy (info));
	am_gw_cache_store_shared (cache, req, r);
}

void
am_gw_cache_store_shared (AmGwCache *cache, const AmKeyValidationRequest *req,
			  AmGwResult *result)
{
	const AmKeyValidationInfo *info = result->info;
	gboolean invalid = !info->authorized &&
			   info->validation_status == AM_KV_INVALID_CREDENTIALS;
	gint64 now, expiry;
	CacheShard *shard;
	CacheToken *t;
	CacheResult *r;

	if (!cache->enabled || req->access_token == NULL)
		return;
	now = cache->now ();
	expiry = token_expiry (info);
	if (!invalid && expiry <= now)
		return; /* expired already: nothing worth keeping */
	shard = shard_of (cache, req->access_token);
	g_mutex_lock (&shard->lock);
	/* before the token's slot is looked up: the sweep may free empty slots */
	if (!invalid)
		shard_make_room (cache, shard, req->access_token, now);
	t = g_hash_table_lookup (shard->tokens, req->access_token);
	if (t == NULL) {
		t = g_new0 (CacheToken, 1);
		t->results = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
						    cache_result_free);
		g_hash_table_insert (shard->tokens, g_strdup (req->access_token), t);
	}
	if (invalid) {
		token_mark_invalid (shard, t, now + cache->ttl);
	} else {
		r = g_new0 (CacheResult, 1);
		r->result = am_gw_result_ref (result);
		r->expires = now + cache->ttl;
		if (expiry <= r->expires) {
			r->expires = expiry;
			r->token_bound = TRUE;
		}
		t->invalid_until = 0;
		if (!g_hash_table_replace (t->results, key_rest (req), r))
			shard->n_results--;
		shard->n_results++;
	}
	g_mutex_unlock (&shard->lock);
}

guint
am_gw_cache_invalidate_token (AmGwCache *cache, const char *access_token)
{
	CacheShard *shard = shard_of (cache, access_token);
	CacheToken *t;
	guint n = 0;

	g_mutex_lock (&shard->lock);
	t = g_hash_table_lookup (shard->tokens, access_token);
	if (t != NULL) {
		n = g_hash_table_size (t->results);
		shard->n_results -= n;
		g_hash_table_remove (shard->tokens, access_token);
	}
	g_mutex_unlock (&shard->lock);
	return n;
}

void
am_gw_cache_clear (AmGwCache *cache)
{
	for (guint i = 0; i < CACHE_SHARDS; i++) {
		g_mutex_lock (&cache->shards[i].lock);
		g_hash_table_remove_all (cache->shards[i].tokens);
		cache->shards[i].n_results = 0;
		g_mutex_unlock (&cache->shards[i].lock);
	}
}

guint
am_gw_cache_size (AmGwCache *cache)
{
	guint n = 0;

	for (guint i = 0; i < CACHE_SHARDS; i++) {
		g_mutex_lock (&cache->shards[i].lock);
		n += cache->shards[i].n_results;
		g_mutex_unlock (&cache->shards[i].lock);
	}
	return n;
}
