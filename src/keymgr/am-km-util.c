/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The small formats the Key Manager shares with WSO2: token and client id
 * generators, the 2.6 hash column text, TOKEN_SCOPE_HASH, timestamps.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

G_DEFINE_QUARK (am - km - error - quark, am_km_error)

static void
km_random (guint8 *buf, gsize len)
{
	if (RAND_bytes (buf, (int) len) != 1)
		g_error ("RAND_bytes failed: no randomness available");
}

static char *
uuid_format (const guint8 b[16])
{
	return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
				"%02x%02x%02x%02x%02x%02x",
				b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
				b[11], b[12], b[13], b[14], b[15]);
}

char *
am_km_uuid4 (void)
{
	guint8 b[16];

	km_random (b, sizeof b);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	return uuid_format (b);
}

/* Java's UUID.nameUUIDFromBytes: MD5 of the bytes, version 3, IETF variant. */
char *
am_km_new_token (void)
{
	g_autofree char *seed = am_km_uuid4 ();
	guint8 md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest (seed, strlen (seed), md, &len, EVP_md5 (), NULL))
		g_error ("EVP_Digest(MD5) failed");
	md[6] = (md[6] & 0x0f) | 0x30;
	md[8] = (md[8] & 0x3f) | 0x80;
	return uuid_format (md);
}

char *
am_km_new_client_id (void)
{
	g_autofree char *key = am_km_uuid4 ();
	g_autofree char *data = am_km_uuid4 ();
	guint8 mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char *out;

	if (HMAC (EVP_sha1 (), key, (int) strlen (key), (const guint8 *) data, strlen (data), mac,
		  &len) == NULL)
		g_error ("HMAC(SHA-1) failed");
	out = g_base64_encode (mac, len);
	for (char *p = out; *p != '\0'; p++) {
		if (*p == '/')
			*p = '_';
		else if (*p == '=')
			*p = 'a';
		else if (*p == '+')
			*p = 'f';
	}
	return out;
}

static char *
digest_hex (const EVP_MD *type, const char *text)
{
	guint8 md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	GString *hex = g_string_sized_new (2 * EVP_MAX_MD_SIZE);

	if (!EVP_Digest (text, strlen (text), md, &len, type, NULL))
		g_error ("EVP_Digest failed");
	for (unsigned int i = 0; i < len; i++)
		g_string_append_printf (hex, "%02x", md[i]);
	return g_string_free (hex, FALSE);
}

char *
am_km_hash_json (const char *token)
{
	g_autofree char *hex = digest_hex (EVP_sha256 (), token);

	return g_strdup_printf ("{\"hash\":\"%s\",\"algorithm\":\"SHA-256\"}", hex);
}

static int
cmp_str (gconstpointer a, gconstpointer b)
{
	return strcmp (*(char *const *) a, *(char *const *) b);
}

char *
am_km_scope_hash (const char *const *scopes)
{
	g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
	g_autoptr (GString) joined = g_string_new (NULL);

	for (guint i = 0; scopes != NULL && scopes[i] != NULL; i++)
		g_ptr_array_add (sorted, (gpointer) scopes[i]);
	g_ptr_array_sort (sorted, cmp_str);
	for (guint i = 0; i < sorted->len; i++) {
		if (i > 0)
			g_string_append_c (joined, ' ');
		g_string_append (joined, g_ptr_array_index (sorted, i));
	}
	return digest_hex (EVP_md5 (), joined->str);
}

gint64
am_km_parse_timestamp (const char *text)
{
	struct tm tm = { 0 };
	const char *rest;
	gint64 usec = 0;
	time_t secs;

	if (text == NULL)
		return -1;
	int n = 0;

	if (sscanf (text, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n == 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	rest = text + n;
	if (*rest == '.') {
		int digits = 0;

		for (rest++; g_ascii_isdigit (*rest); rest++) {
			if (digits++ < 6)
				usec = usec * 10 + (*rest - '0');
		}
		for (; digits < 6; digits++)
			usec *= 10;
	}
	if (*rest != '\0')
		return -1;
	secs = timegm (&tm);
	if (secs == (time_t) -1)
		return -1;
	return (gint64) secs * G_USEC_PER_SEC + usec;
}

gboolean
am_km_secret_equal (const char *a, const char *b)
{
	gsize la, lb;

	if (a == NULL || b == NULL)
		return FALSE;
	la = strlen (a);
	lb = strlen (b);
	/* compare over the presented length so timing does not reveal the
	 * stored secret's length beyond equality */
	return (CRYPTO_memcmp (a, b, MIN (la, lb)) == 0) & (la == lb);
}
