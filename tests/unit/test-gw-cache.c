/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the gateway token cache with an injected clock: WSO2's key
 * format, TokenCacheExpiry, the token's own expiry as a bound (and the
 * 900901 answer when a cached token expires), negative caching of 900901
 * only, invalidation of every entry of a token, the switch, the capacity,
 * and many threads reading, writing and invalidating at once.
 */
#include "config.h"

#include <string.h>

#include "am-gw-cache.h"

static gint64 fake_now;

static gint64
fake_clock (void)
{
	return fake_now;
}

#define SEC G_USEC_PER_SEC
#define T0 ((gint64) 1700000000 * SEC)

static AmKeyValidationRequest
req_for (const char *token, const char *resource)
{
	AmKeyValidationRequest r = {
		.context = "/pizzashack/1.0.0",
		.version = "1.0.0",
		.access_token = token,
		.required_auth_level = "Any",
		.matching_resource = resource,
		.http_verb = "GET",
	};
	return r;
}

/* An authorized result for a token issued at @issued_s valid @validity_s. */
static AmKeyValidationInfo *
ok_info (gint64 issued_s, gint64 validity_s)
{
	AmKeyValidationInfo *info = g_new0 (AmKeyValidationInfo, 1);

	info->authorized = TRUE;
	info->subscriber = g_strdup ("admin");
	info->tier = g_strdup ("Gold");
	info->type = g_strdup ("PRODUCTION");
	info->issued_time = issued_s * 1000;
	info->validity_period = validity_s < 0 ? AM_KM_NEVER_EXPIRES : validity_s * 1000;
	return info;
}

static AmKeyValidationInfo *
refused (int status)
{
	AmKeyValidationInfo *info = g_new0 (AmKeyValidationInfo, 1);

	info->validation_status = status;
	return info;
}

static AmGwCache *
new_cache (gint64 ttl_s)
{
	AmGwCache *c = am_gw_cache_new_full (TRUE, ttl_s, 0);

	fake_now = T0;
	am_gw_cache_set_clock (c, fake_clock);
	return c;
}

static void
test_key_format (void)
{
	AmKeyValidationRequest r = req_for ("tok", "/order/{id}");
	g_autofree char *key = NULL;

	r.version = "_default_1.0.0";
	r.http_verb = "POST";
	r.required_auth_level = "Application_User";
	key = am_gw_cache_key (&r);
	g_assert_cmpstr (key, ==,
			 "tok:/pizzashack/1.0.0/_default_1.0.0/order/{id}:POST:Application_User");
}

static void
test_ttl (void)
{
	g_autoptr (AmGwCache) c = new_cache (900);
	AmKeyValidationRequest r = req_for ("t1", "/menu");
	AmKeyValidationRequest other = req_for ("t1", "/order");
	g_autoptr (AmKeyValidationInfo) info = ok_info (T0 / SEC, -1);
	g_autoptr (AmKeyValidationInfo) hit = NULL;
	g_autoptr (AmKeyValidationInfo) later = NULL;

	g_assert_null (am_gw_cache_lookup (c, &r));
	am_gw_cache_store (c, &r, info);
	g_assert_cmpuint (am_gw_cache_size (c), ==, 1);
	hit = am_gw_cache_lookup (c, &r);
	g_assert_nonnull (hit);
	g_assert_true (hit->authorized);
	g_assert_cmpstr (hit->tier, ==, "Gold");
	g_assert_true (hit->tier != info->tier); /* a copy */
	/* another resource of the same token is another key */
	g_assert_null (am_gw_cache_lookup (c, &other));
	fake_now = T0 + 899 * SEC;
	later = am_gw_cache_lookup (c, &r);
	g_assert_nonnull (later);
	fake_now = T0 + 900 * SEC;
	g_assert_null (am_gw_cache_lookup (c, &r));
	g_assert_cmpuint (am_gw_cache_size (c), ==, 0);
}

/* A token expiring before the TTL: the entry ends with it, and a lookup
 * after that is refused 900901 without asking the Key Manager. */
static void
test_token_expiry_bound (void)
{
	g_autoptr (AmGwCache) c = new_cache (900);
	AmKeyValidationRequest r = req_for ("t2", "/menu");
	AmKeyValidationRequest r2 = req_for ("t2", "/order");
	g_autoptr (AmKeyValidationInfo) info = ok_info (T0 / SEC - 3000, 3060); /* 60 s left */
	g_autoptr (AmKeyValidationInfo) hit = NULL;
	g_autoptr (AmKeyValidationInfo) expired = NULL;
	g_autoptr (AmKeyValidationInfo) still = NULL;
	g_autoptr (AmKeyValidationInfo) gone = ok_info (T0 / SEC - 4000, 3600);

	am_gw_cache_store (c, &r, info);
	am_gw_cache_store (c, &r2, info);
	fake_now = T0 + 59 * SEC;
	hit = am_gw_cache_lookup (c, &r);
	g_assert_nonnull (hit);
	g_assert_true (hit->authorized);
	fake_now = T0 + 60 * SEC;
	expired = am_gw_cache_lookup (c, &r);
	g_assert_nonnull (expired);
	g_assert_false (expired->authorized);
	g_assert_cmpint (expired->validation_status, ==, 900901);
	/* the whole token is invalid now, its other entries too */
	g_assert_cmpuint (am_gw_cache_size (c), ==, 0);
	still = am_gw_cache_lookup (c, &r2);
	g_assert_nonnull (still);
	g_assert_cmpint (still->validation_status, ==, 900901);
	/* an already expired token is not stored */
	am_gw_cache_store (c, &r, gone);
	g_assert_cmpuint (am_gw_cache_size (c), ==, 0);
}

/* 900901 is remembered per token (any resource); other refusals per key. */
static void
test_negative (void)
{
	g_autoptr (AmGwCache) c = new_cache (900);
	AmKeyValidationRequest bad = req_for ("bad", "/menu");
	AmKeyValidationRequest bad2 = req_for ("bad", "/anything");
	AmKeyValidationRequest unsub = req_for ("unsub", "/menu");
	AmKeyValidationRequest unsub2 = req_for ("unsub", "/order");
	g_autoptr (AmKeyValidationInfo) r901 = refused (900901);
	g_autoptr (AmKeyValidationInfo) r908 = refused (900908);
	g_autoptr (AmKeyValidationInfo) a = NULL, b = NULL, d = NULL;

	am_gw_cache_store (c, &bad, r901);
	a = am_gw_cache_lookup (c, &bad2);
	g_assert_nonnull (a);
	g_assert_false (a->authorized);
	g_assert_cmpint (a->validation_status, ==, 900901);
	g_assert_cmpuint (am_gw_cache_size (c), ==, 0);

	am_gw_cache_store (c, &unsub, r908);
	b = am_gw_cache_lookup (c, &unsub);
	g_assert_nonnull (b);
	g_assert_cmpint (b->validation_status, ==, 900908);
	g_assert_null (am_gw_cache_lookup (c, &unsub2));

	/* the invalid mark ends with TokenCacheExpiry */
	fake_now = T0 + 900 * SEC;
	g_assert_null (am_gw_cache_lookup (c, &bad));
	d = am_gw_cache_lookup (c, &unsub);
	g_assert_null (d);
}

static void
test_invalidate (void)
{
	g_autoptr (AmGwCache) c = new_cache (900);
	const char *resources[] = { "/a", "/b", "/c" };
	g_autoptr (AmKeyValidationInfo) info = ok_info (T0 / SEC, 3600);
	AmKeyValidationRequest keep = req_for ("other", "/a");
	g_autoptr (AmKeyValidationInfo) kept = NULL;

	for (guint i = 0; i < G_N_ELEMENTS (resources); i++) {
		AmKeyValidationRequest r = req_for ("victim", resources[i]);

		am_gw_cache_store (c, &r, info);
	}
	am_gw_cache_store (c, &keep, info);
	g_assert_cmpuint (am_gw_cache_size (c), ==, 4);
	g_assert_cmpuint (am_gw_cache_invalidate_token (c, "victim"), ==, 3);
	g_assert_cmpuint (am_gw_cache_invalidate_token (c, "victim"), ==, 0);
	g_assert_cmpuint (am_gw_cache_invalidate_token (c, "never-seen"), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS (resources); i++) {
		AmKeyValidationRequest r = req_for ("victim", resources[i]);

		g_assert_null (am_gw_cache_lookup (c, &r));
	}
	kept = am_gw_cache_lookup (c, &keep);
	g_assert_nonnull (kept);
	am_gw_cache_clear (c);
	g_assert_cmpuint (am_gw_cache_size (c), ==, 0);
}

static void
test_disabled (void)
{
	g_autoptr (AmGwCache) c = am_gw_cache_new_full (FALSE, 900, 0);
	AmKeyValidationRequest r = req_for ("t", "/menu");
	g_autoptr (AmKeyValidationInfo) info = ok_info (g_get_real_time () / SEC, -1);
	g_autoptr (AmKeyValidationInfo) r901 = refused (900901);
	AmApimConf apim = { .gw_token_cache = TRUE, .token_cache_expiry = 0 };
	g_autoptr (AmGwCache) from_conf = am_gw_cache_new (&apim);

	g_assert_false (am_gw_cache_enabled (c));
	am_gw_cache_store (c, &r, info);
	am_gw_cache_store (c, &r, r901);
	g_assert_null (am_gw_cache_lookup (c, &r));
	g_assert_cmpuint (am_gw_cache_size (c), ==, 0);
	/* TokenCacheExpiry absent: 900 s */
	g_assert_true (am_gw_cache_enabled (from_conf));
	am_gw_cache_set_clock (from_conf, fake_clock);
	fake_now = T0;
	{
		g_autoptr (AmKeyValidationInfo) long_lived = ok_info (T0 / SEC, -1);
		am_gw_cache_store (from_conf, &r, long_lived);
	}
	fake_now = T0 + 899 * SEC;
	{
		g_autoptr (AmKeyValidationInfo) hit = am_gw_cache_lookup (from_conf, &r);
		g_assert_nonnull (hit);
	}
	fake_now = T0 + 900 * SEC;
	g_assert_null (am_gw_cache_lookup (from_conf, &r));
}

static void
test_capacity (void)
{
	g_autoptr (AmGwCache) c = am_gw_cache_new_full (TRUE, 900, 160);
	g_autoptr (AmKeyValidationInfo) info = ok_info (g_get_real_time () / SEC, -1);

	for (guint i = 0; i < 5000; i++) {
		g_autofree char *tok = g_strdup_printf ("tok-%u", i);
		AmKeyValidationRequest r = req_for (tok, "/menu");

		am_gw_cache_store (c, &r, info);
	}
	g_assert_cmpuint (am_gw_cache_size (c), <=, 160);
	g_assert_cmpuint (am_gw_cache_size (c), >, 0);
}

/* Many workers at once: every lookup sees either nothing or a complete
 * result of the right token; invalidations in between never crash or
 * leave the count wrong. */
#define N_THREADS 8
#define N_TOKENS 64
#define N_ROUNDS 20000

static gpointer
worker (gpointer data)
{
	AmGwCache *c = data;
	GRand *rand = g_rand_new ();
	guint hits = 0;

	for (guint i = 0; i < N_ROUNDS; i++) {
		guint n = g_rand_int_range (rand, 0, N_TOKENS);
		g_autofree char *tok = g_strdup_printf ("tok-%u", n);
		g_autofree char *sub = g_strdup_printf ("user-%u", n);
		AmKeyValidationRequest r = req_for (tok, (i & 1) ? "/a" : "/b");
		g_autoptr (AmKeyValidationInfo) hit = am_gw_cache_lookup (c, &r);

		if (hit != NULL) {
			g_assert_cmpstr (hit->subscriber, ==, sub);
			hits++;
		} else if (g_rand_int_range (rand, 0, 50) == 0) {
			am_gw_cache_invalidate_token (c, tok);
		} else {
			g_autoptr (AmKeyValidationInfo) info = ok_info (g_get_real_time () / SEC, -1);

			g_free (info->subscriber);
			info->subscriber = g_strdup (sub);
			am_gw_cache_store (c, &r, info);
		}
	}
	g_rand_free (rand);
	return GUINT_TO_POINTER (hits);
}

static void
test_concurrency (void)
{
	g_autoptr (AmGwCache) c = am_gw_cache_new_full (TRUE, 900, 0);
	GThread *threads[N_THREADS];
	guint hits = 0;

	for (guint i = 0; i < N_THREADS; i++)
		threads[i] = g_thread_new ("gw-cache", worker, c);
	for (guint i = 0; i < N_THREADS; i++)
		hits += GPOINTER_TO_UINT (g_thread_join (threads[i]));
	g_assert_cmpuint (hits, >, N_THREADS * N_ROUNDS / 2);
	g_assert_cmpuint (am_gw_cache_size (c), <=, N_TOKENS * 2);
	for (guint i = 0; i < N_TOKENS; i++) {
		g_autofree char *tok = g_strdup_printf ("tok-%u", i);

		am_gw_cache_invalidate_token (c, tok);
	}
	g_assert_cmpuint (am_gw_cache_size (c), ==, 0);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/gw-cache/key-format", test_key_format);
	g_test_add_func ("/gw-cache/ttl", test_ttl);
	g_test_add_func ("/gw-cache/token-expiry", test_token_expiry_bound);
	g_test_add_func ("/gw-cache/negative", test_negative);
	g_test_add_func ("/gw-cache/invalidate", test_invalidate);
	g_test_add_func ("/gw-cache/disabled", test_disabled);
	g_test_add_func ("/gw-cache/capacity", test_capacity);
	g_test_add_func ("/gw-cache/concurrency", test_concurrency);
	return g_test_run ();
}
