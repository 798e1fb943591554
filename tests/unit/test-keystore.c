/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keystore tests: the fixtures under tests/data/keystores (made by Java 17's
 * keytool and by openssl, see the README there) load with the passwords and
 * aliases carbon.xml would give; wrong passwords, missing aliases, JCEKS and
 * damaged files fail with the documented error codes and never crash;
 * generated development keystores reload, serve a TLS handshake that a
 * client trusting the generated truststore accepts, and (when keytool is on
 * PATH) are accepted by Java's keytool.
 */
#include "config.h"

#include "am-test-util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "am-keystore.h"

static GPtrArray *fixture_paths; /* freed after the run */

static const char *
fixture (const char *name)
{
	char *path = g_build_filename (g_test_get_dir (G_TEST_DIST), "data", "keystores", name,
				       NULL);

	g_ptr_array_add (fixture_paths, path);
	return path;
}

static AmKeystore *
load_ok (const char *name,
	 AmKeystoreType type,
	 const char *store_password,
	 const char *alias,
	 const char *key_password)
{
	g_autoptr (GError) error = NULL;
	AmKeystore *ks = am_keystore_load (fixture (name), type, store_password, alias,
					   key_password, &error);

	g_assert_no_error (error);
	g_assert_nonnull (ks);
	g_assert_cmpuint (ERR_peek_error (), ==, 0);
	return ks;
}

static void
assert_load_fails (const char *path,
		   AmKeystoreType type,
		   const char *store_password,
		   const char *alias,
		   const char *key_password,
		   int code)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmKeystore) ks = am_keystore_load (path, type, store_password, alias,
						      key_password, &error);

	g_assert_null (ks);
	g_test_message ("%s", error ? error->message : "(none)");
	g_assert_error (error, AM_KEYSTORE_ERROR, code);
	/* OpenSSL's error queue is left empty for the caller. */
	g_assert_cmpuint (ERR_peek_error (), ==, 0);
	/* No password ever shows in a message (unless it is also the name of
	 * the file or the alias, as "wso2carbon" is). */
	for (gsize i = 0; i < 2; i++) {
		const char *pw = i == 0 ? store_password : key_password;

		if (pw != NULL && pw[0] != '\0' && strstr (path, pw) == NULL &&
		    g_strcmp0 (pw, alias) != 0)
			g_assert_null (strstr (error->message, pw));
	}
}

static X509 *
read_pem_cert (const char *name)
{
	BIO *bio = BIO_new_file (fixture (name), "r");
	X509 *x;

	g_assert_nonnull (bio);
	x = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
	BIO_free (bio);
	g_assert_nonnull (x);
	return x;
}

/* The key entry is consistent: a key, its certificate first in the chain. */
static void
assert_key_entry (AmKeystore *ks, const char *alias, int chain_len)
{
	X509 *cert = am_keystore_get_cert (ks);

	g_assert_nonnull (am_keystore_get_key (ks));
	g_assert_nonnull (cert);
	g_assert_cmpint (X509_check_private_key (cert, am_keystore_get_key (ks)), ==, 1);
	g_assert_cmpint (sk_X509_num (am_keystore_get_chain (ks)), ==, chain_len);
	g_assert_true (sk_X509_value (am_keystore_get_chain (ks), 0) == cert);
	g_assert_cmpstr (am_keystore_get_alias (ks), ==, alias);
	g_assert_cmpint (X509_check_host (cert, "localhost", 0, 0, NULL), ==, 1);
}

static void
test_type_from_string (void)
{
	AmKeystoreType t = AM_KEYSTORE_PEM;

	g_assert_true (am_keystore_type_from_string ("jks", &t));
	g_assert_cmpint (t, ==, AM_KEYSTORE_JKS);
	g_assert_true (am_keystore_type_from_string ("PKCS12", &t));
	g_assert_cmpint (t, ==, AM_KEYSTORE_PKCS12);
	t = AM_KEYSTORE_JKS;
	g_assert_true (am_keystore_type_from_string ("p12", &t));
	g_assert_cmpint (t, ==, AM_KEYSTORE_PKCS12);
	g_assert_true (am_keystore_type_from_string ("Pem", &t));
	g_assert_cmpint (t, ==, AM_KEYSTORE_PEM);
	g_assert_false (am_keystore_type_from_string ("JCEKS", &t));
	g_assert_false (am_keystore_type_from_string ("", &t));
}

static void
test_jks_wso2carbon (void)
{
	g_autoptr (AmKeystore) ks =
		load_ok ("wso2carbon.jks", AM_KEYSTORE_JKS, "wso2carbon", "wso2carbon",
			 "wso2carbon");
	g_autoptr (AmKeystore) first = NULL;
	g_autoptr (AmKeystore) upper = NULL;
	X509 *pem = read_pem_cert ("wso2carbon.crt.pem");

	assert_key_entry (ks, "wso2carbon", 1);
	g_assert_true (EVP_PKEY_is_a (am_keystore_get_key (ks), "RSA"));
	g_assert_cmpint (am_keystore_get_certificates (ks)->len, ==, 1);
	g_assert_cmpint (X509_cmp (am_keystore_get_cert (ks), pem), ==, 0);
	g_assert_cmpint (X509_check_ip_asc (am_keystore_get_cert (ks), "127.0.0.1", 0), ==, 1);
	X509_free (pem);

	/* No alias: the first key entry.  JKS aliases ignore case. */
	first = load_ok ("wso2carbon.jks", AM_KEYSTORE_JKS, "wso2carbon", NULL, NULL);
	assert_key_entry (first, "wso2carbon", 1);
	upper = load_ok ("wso2carbon.jks", AM_KEYSTORE_JKS, "wso2carbon", "WSO2Carbon", NULL);
	assert_key_entry (upper, "wso2carbon", 1);
}

static void
test_jks_truststore (void)
{
	g_autoptr (AmKeystore) ts =
		load_ok ("client-truststore.jks", AM_KEYSTORE_JKS, "wso2carbon", NULL, NULL);
	g_autoptr (AmKeystore) ks =
		load_ok ("wso2carbon.jks", AM_KEYSTORE_JKS, "wso2carbon", NULL, NULL);
	GPtrArray *certs = am_keystore_get_certificates (ts);

	g_assert_null (am_keystore_get_key (ts));
	g_assert_null (am_keystore_get_cert (ts));
	g_assert_null (am_keystore_get_alias (ts));
	g_assert_cmpint (sk_X509_num (am_keystore_get_chain (ts)), ==, 0);
	g_assert_cmpint (certs->len, ==, 1);
	g_assert_cmpint (X509_cmp (g_ptr_array_index (certs, 0), am_keystore_get_cert (ks)), ==, 0);

	/* The trusted-cert entry is not a key entry. */
	assert_load_fails (fixture ("client-truststore.jks"), AM_KEYSTORE_JKS, "wso2carbon",
			   "wso2carbon", NULL, AM_KEYSTORE_ERROR_NO_ALIAS);
}

static void
test_jks_passwords (void)
{
	const char *path = fixture ("keypass-differs.jks");
	g_autoptr (AmKeystore) ks =
		load_ok ("keypass-differs.jks", AM_KEYSTORE_JKS, "storepass1", "server",
			 "keypass22");
	g_autoptr (AmKeystore) unchecked = NULL;

	assert_key_entry (ks, "server", 1);
	assert_load_fails (path, AM_KEYSTORE_JKS, "Xyzzy-bad-pw", "server", "keypass22",
			   AM_KEYSTORE_ERROR_PASSWORD);
	assert_load_fails (path, AM_KEYSTORE_JKS, "storepass1", "server", "Xyzzy-bad-key",
			   AM_KEYSTORE_ERROR_PASSWORD);
	/* No key password: the store password is tried, and is wrong here. */
	assert_load_fails (path, AM_KEYSTORE_JKS, "storepass1", "server", NULL,
			   AM_KEYSTORE_ERROR_PASSWORD);
	assert_load_fails (fixture ("wso2carbon.jks"), AM_KEYSTORE_JKS, "", NULL, NULL,
			   AM_KEYSTORE_ERROR_PASSWORD);
	/* Like Java, no store password skips the integrity check only. */
	unchecked = load_ok ("keypass-differs.jks", AM_KEYSTORE_JKS, NULL, "server", "keypass22");
	assert_key_entry (unchecked, "server", 1);
}

static void
test_jks_no_alias (void)
{
	assert_load_fails (fixture ("wso2carbon.jks"), AM_KEYSTORE_JKS, "wso2carbon", "nosuch",
			   "wso2carbon", AM_KEYSTORE_ERROR_NO_ALIAS);
	assert_load_fails (fixture ("wso2carbon.p12"), AM_KEYSTORE_PKCS12, "wso2carbon", "nosuch",
			   NULL, AM_KEYSTORE_ERROR_NO_ALIAS);
	assert_load_fails (fixture ("nosuch.jks"), AM_KEYSTORE_JKS, "wso2carbon", NULL, NULL,
			   AM_KEYSTORE_ERROR_NOT_FOUND);
}

static void
test_jks_ec (void)
{
	g_autoptr (AmKeystore) ks = load_ok ("ec.jks", AM_KEYSTORE_JKS, "wso2carbon", "ec", NULL);

	assert_key_entry (ks, "ec", 1);
	g_assert_true (EVP_PKEY_is_a (am_keystore_get_key (ks), "EC"));
}

static void
test_jks_chain (void)
{
	g_autoptr (AmKeystore) server =
		load_ok ("chain.jks", AM_KEYSTORE_JKS, "wso2carbon", "server", NULL);
	g_autoptr (AmKeystore) ca =
		load_ok ("chain.jks", AM_KEYSTORE_JKS, "wso2carbon", "ca", NULL);
	X509 *ca_pem = read_pem_cert ("ca.crt.pem");

	assert_key_entry (server, "server", 2);
	g_assert_cmpint (X509_cmp (sk_X509_value (am_keystore_get_chain (server), 1), ca_pem), ==,
			 0);
	g_assert_cmpint (X509_check_issued (ca_pem, am_keystore_get_cert (server)), ==,
			 X509_V_OK);
	/* Every certificate once: server, CA (in both chains). */
	g_assert_cmpint (am_keystore_get_certificates (server)->len, ==, 2);
	g_assert_cmpint (sk_X509_num (am_keystore_get_chain (ca)), ==, 1);
	g_assert_cmpint (X509_cmp (am_keystore_get_cert (ca), ca_pem), ==, 0);
	X509_free (ca_pem);
}

static void
test_pkcs12 (void)
{
	g_autoptr (AmKeystore) p12 =
		load_ok ("wso2carbon.p12", AM_KEYSTORE_PKCS12, "wso2carbon", "wso2carbon", NULL);
	g_autoptr (AmKeystore) named = NULL;
	g_autoptr (AmKeystore) any = NULL;

	assert_key_entry (p12, "wso2carbon", 1);
	/* Java 9+ keytool's default: PKCS#12 in a file called .jks. */
	named = load_ok ("pkcs12-named.jks", AM_KEYSTORE_JKS, "wso2carbon", "wso2carbon",
			 "wso2carbon");
	assert_key_entry (named, "wso2carbon", 1);
	any = load_ok ("wso2carbon.p12", AM_KEYSTORE_PKCS12, "wso2carbon", NULL, NULL);
	assert_key_entry (any, "wso2carbon", 1);
	assert_load_fails (fixture ("wso2carbon.p12"), AM_KEYSTORE_PKCS12, "Xyzzy-bad-pw", NULL,
			   NULL, AM_KEYSTORE_ERROR_PASSWORD);
	assert_load_fails (fixture ("pkcs12-named.jks"), AM_KEYSTORE_JKS, "Xyzzy-bad-pw", NULL,
			   NULL, AM_KEYSTORE_ERROR_PASSWORD);
}

/* RC2-40 and 3DES: needs OpenSSL's legacy provider, loaded on demand. */
static void
test_pkcs12_legacy (void)
{
	g_autoptr (AmKeystore) ks =
		load_ok ("legacy.p12", AM_KEYSTORE_PKCS12, "wso2carbon", "legacy", NULL);

	assert_key_entry (ks, "legacy", 1);
	assert_load_fails (fixture ("legacy.p12"), AM_KEYSTORE_PKCS12, "Xyzzy-bad-pw", NULL, NULL,
			   AM_KEYSTORE_ERROR_PASSWORD);
}

static void
test_jceks (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmKeystore) ks = am_keystore_load (fixture ("jceks.jceks"), AM_KEYSTORE_JKS,
						      "wso2carbon", NULL, NULL, &error);

	g_assert_null (ks);
	g_assert_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_UNSUPPORTED);
	g_assert_nonnull (strstr (error->message, "JCEKS"));
	assert_load_fails (fixture ("jceks.jceks"), AM_KEYSTORE_PKCS12, "wso2carbon", NULL, NULL,
			   AM_KEYSTORE_ERROR_UNSUPPORTED);
}

static void
test_pem (void)
{
	g_autoptr (AmKeystore) plain = load_ok ("server.pem", AM_KEYSTORE_PEM, NULL, NULL, NULL);
	g_autoptr (AmKeystore) enc = NULL;
	g_autoptr (AmKeystore) trust = NULL;

	assert_key_entry (plain, NULL, 1);
	/* CA first, then the key, then the leaf: the leaf is found by key. */
	enc = load_ok ("server-enc.pem", AM_KEYSTORE_PEM, "wso2carbon", "tls", NULL);
	assert_key_entry (enc, "tls", 1);
	g_assert_cmpint (am_keystore_get_certificates (enc)->len, ==, 2);
	g_assert_true (EVP_PKEY_eq (am_keystore_get_key (enc), am_keystore_get_key (plain)) == 1);
	assert_load_fails (fixture ("server-enc.pem"), AM_KEYSTORE_PEM, "Xyzzy-bad-pw", NULL, NULL,
			   AM_KEYSTORE_ERROR_PASSWORD);
	assert_load_fails (fixture ("server-enc.pem"), AM_KEYSTORE_PEM, NULL, NULL, NULL,
			   AM_KEYSTORE_ERROR_PASSWORD);
	/* Certificates only: a truststore. */
	trust = load_ok ("wso2carbon.crt.pem", AM_KEYSTORE_PEM, NULL, NULL, NULL);
	g_assert_null (am_keystore_get_key (trust));
	g_assert_cmpint (am_keystore_get_certificates (trust)->len, ==, 1);
}

/* As in Java, the PKCS12 type reads a JKS file too. */
static void
test_jks_as_pkcs12 (void)
{
	g_autoptr (AmKeystore) ks =
		load_ok ("wso2carbon.jks", AM_KEYSTORE_PKCS12, "wso2carbon", NULL, NULL);

	assert_key_entry (ks, "wso2carbon", 1);
}

/* ---- damaged files ---------------------------------------------------------- */

typedef struct {
	char *dir;
	char *path;
} TmpDir;

static void
tmp_dir_setup (TmpDir *t, gconstpointer data)
{
	g_autoptr (GError) error = NULL;

	t->dir = g_dir_make_tmp ("test-keystore-XXXXXX", &error);
	g_assert_no_error (error);
	t->path = g_build_filename (t->dir, "ks", NULL);
}


static void
tmp_dir_teardown (TmpDir *t, gconstpointer data)
{
	am_test_rm_rf (t->dir);
	g_free (t->dir);
	g_free (t->path);
}

static GBytes *
read_fixture (const char *name)
{
	g_autoptr (GError) error = NULL;
	char *data = NULL;
	gsize len = 0;

	g_file_get_contents (fixture (name), &data, &len, &error);
	g_assert_no_error (error);
	return g_bytes_new_take (data, len);
}

static void
write_bytes (const char *path, const guint8 *data, gsize len)
{
	/* Plain stdio, no fsync: thousands of damaged variants are written.
	 * (GLib 2.74's G_FILE_SET_CONTENTS_NONE does not truncate.) */
	FILE *f = fopen (path, "wb");

	g_assert_nonnull (f);
	g_assert_cmpuint (fwrite (data, 1, len, f), ==, len);
	g_assert_cmpint (fclose (f), ==, 0);
}

/* Load @data; return the error code, or -1 on success. */
static int
load_code (const char *path,
	   const guint8 *data,
	   gsize len,
	   AmKeystoreType type,
	   const char *password,
	   const char *key_password)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmKeystore) ks = NULL;

	write_bytes (path, data, len);
	ks = am_keystore_load (path, type, password, NULL, key_password, &error);
	g_assert_true ((ks == NULL) == (error != NULL));
	if (ks != NULL && am_keystore_get_key (ks) != NULL)
		g_assert_cmpint (X509_check_private_key (am_keystore_get_cert (ks),
							 am_keystore_get_key (ks)),
				 ==, 1);
	return error != NULL && error->domain == AM_KEYSTORE_ERROR ? error->code
	       : error != NULL					   ? -2
								   : -1;
}

/* Every proper prefix of a JKS file is a FORMAT error. */
static void
test_corrupt_jks_truncated (TmpDir *t, gconstpointer data)
{
	const char *names[] = {"wso2carbon.jks", "client-truststore.jks", "chain.jks"};

	for (gsize n = 0; n < G_N_ELEMENTS (names); n++) {
		g_autoptr (GBytes) bytes = read_fixture (names[n]);
		gsize len = 0;
		const guint8 *p = g_bytes_get_data (bytes, &len);

		g_assert_cmpint (load_code (t->path, p, len, AM_KEYSTORE_JKS, "wso2carbon", NULL),
				 ==, -1);
		for (gsize i = 0; i < len; i++)
			g_assert_cmpint (load_code (t->path, p, i, AM_KEYSTORE_JKS, "wso2carbon",
						    NULL),
					 ==, AM_KEYSTORE_ERROR_FORMAT);
	}
}

/* A flipped byte anywhere fails the load (the digest covers everything);
 * without a store password the damaged DER reaches the parsers, which must
 * cope (small files there: each load decodes a key). */
static void
flip_each_byte (const char *path, const char *name, const char *store_password)
{
	g_autoptr (GBytes) bytes = read_fixture (name);
	gsize len = g_bytes_get_size (bytes);
	g_autofree guint8 *p = g_memdup2 (g_bytes_get_data (bytes, NULL), len);

	for (gsize i = 0; i < len; i++) {
		int code;

		p[i] ^= 0x5a;
		code = load_code (path, p, len, AM_KEYSTORE_JKS, store_password, "wso2carbon");
		if (store_password != NULL)
			g_assert_cmpint (code, >=, 0);
		else
			g_assert_cmpint (code, !=, -2);
		p[i] ^= 0x5a;
	}
}

static void
test_corrupt_jks_flipped (TmpDir *t, gconstpointer data)
{
	flip_each_byte (t->path, "chain.jks", "wso2carbon");
	flip_each_byte (t->path, "ec.jks", NULL);
	flip_each_byte (t->path, "client-truststore.jks", NULL);
}

static void
test_corrupt_jks_lengths (TmpDir *t, gconstpointer data)
{
	static const struct {
		const char *what;
		gsize len;
		guint8 bytes[40];
	} cases[] = {
		{"empty", 0, {0}},
		{"magic only", 4, {0xfe, 0xed, 0xfe, 0xed}},
		{"bad version", 12, {0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 3, 0, 0, 0, 0}},
		{"huge count", 12, {0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff}},
		{"unknown tag", 16, {0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3}},
		{"huge alias",
		 20,
		 {0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 'a',
		  'b'}},
		{"huge key",
		 31,
		 {0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 'a', 0, 0, 0, 0,
		  0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0}},
		{"huge chain",
		 36,
		 {0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 'a', 0, 0, 0, 0,
		  0, 0, 0, 0, 0, 0, 0, 1, 0x30, 0xff, 0xff, 0xff, 0xff}},
		{"NUL in alias",
		 20,
		 {0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 2, 0xc0, 0x80}},
		{"text", 11, {'n', 'o', 't', ' ', 'a', ' ', 's', 't', 'o', 'r', 'e'}},
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_test_message ("%s", cases[i].what);
		g_assert_cmpint (load_code (t->path, cases[i].bytes, cases[i].len, AM_KEYSTORE_JKS,
					    "wso2carbon", NULL),
				 ==, AM_KEYSTORE_ERROR_FORMAT);
		g_assert_cmpint (load_code (t->path, cases[i].bytes, cases[i].len,
					    AM_KEYSTORE_PKCS12, "wso2carbon", NULL),
				 ==, AM_KEYSTORE_ERROR_FORMAT);
	}
	g_assert_cmpint (load_code (t->path, (const guint8 *) "", 0, AM_KEYSTORE_PEM, NULL, NULL),
			 ==, AM_KEYSTORE_ERROR_FORMAT);
}

static void
test_corrupt_pkcs12 (TmpDir *t, gconstpointer data)
{
	g_autoptr (GBytes) bytes = read_fixture ("wso2carbon.p12");
	gsize len = g_bytes_get_size (bytes);
	g_autofree guint8 *p = g_memdup2 (g_bytes_get_data (bytes, NULL), len);

	/* Truncations are all caught by the DER decoder. */
	for (gsize i = 0; i < len; i++)
		g_assert_cmpint (load_code (t->path, p, i, AM_KEYSTORE_PKCS12, "wso2carbon", NULL),
				 ==, AM_KEYSTORE_ERROR_FORMAT);
	/* Flips (a sample: each load runs 10000 MAC iterations). */
	for (gsize i = 0; i < len; i += 37) {
		int code;

		p[i] ^= 0xa5;
		code = load_code (t->path, p, len, AM_KEYSTORE_PKCS12, "wso2carbon", NULL);
		g_assert_cmpint (code, >=, 0);
		p[i] ^= 0xa5;
	}
}

static void
test_corrupt_pem (TmpDir *t, gconstpointer data)
{
	g_autoptr (GBytes) bytes = read_fixture ("server-enc.pem");
	gsize len = 0;
	const guint8 *p = g_bytes_get_data (bytes, &len);

	/* A prefix either fails with FORMAT, or ends on a block boundary and
	 * loads what it holds: the CA certificate alone (a truststore), or
	 * everything when only the final newline is lost. */
	for (gsize i = 0; i < len; i++) {
		g_autoptr (GError) error = NULL;
		g_autoptr (AmKeystore) ks = NULL;

		write_bytes (t->path, p, i);
		ks = am_keystore_load (t->path, AM_KEYSTORE_PEM, "wso2carbon", NULL, NULL, &error);
		if (ks == NULL)
			g_assert_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT);
		else if (am_keystore_get_key (ks) == NULL)
			g_assert_cmpint (am_keystore_get_certificates (ks)->len, ==, 1);
		else
			g_assert_cmpint (i, >=, len - 1);
	}
}

/* ---- TLS -------------------------------------------------------------------- */

/* An in-memory TLS handshake; TRUE if it completed.  The client verifies
 * the server against @trust and checks @host. */
static gboolean
handshake (AmKeystore *server_ks, AmKeystore *trust, const char *host, long *verify_result)
{
	g_autoptr (GError) error = NULL;
	SSL_CTX *sctx = SSL_CTX_new (TLS_server_method ());
	SSL_CTX *cctx = SSL_CTX_new (TLS_client_method ());
	SSL *s, *c;
	BIO *sbio = NULL, *cbio = NULL;
	gboolean sdone = FALSE, cdone = FALSE, failed = FALSE;

	g_assert_true (am_keystore_use_in_ssl_ctx (server_ks, sctx, &error));
	g_assert_no_error (error);
	g_assert_true (am_keystore_add_trust_to_ssl_ctx (trust, cctx, &error));
	g_assert_no_error (error);
	SSL_CTX_set_verify (cctx, SSL_VERIFY_PEER, NULL);
	s = SSL_new (sctx);
	c = SSL_new (cctx);
	g_assert_cmpint (BIO_new_bio_pair (&sbio, 0, &cbio, 0), ==, 1);
	SSL_set_bio (s, sbio, sbio);
	SSL_set_bio (c, cbio, cbio);
	SSL_set_accept_state (s);
	SSL_set_connect_state (c);
	SSL_set1_host (c, host);
	for (int i = 0; i < 100 && !failed && !(sdone && cdone); i++) {
		SSL *ends[2] = {c, s};
		gboolean *done[2] = {&cdone, &sdone};

		for (int k = 0; k < 2; k++) {
			int r = *done[k] ? 1 : SSL_do_handshake (ends[k]);
			int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error (ends[k], r);

			*done[k] = r == 1;
			failed |= e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ &&
				  e != SSL_ERROR_WANT_WRITE;
		}
	}
	*verify_result = SSL_get_verify_result (c);
	SSL_free (s);
	SSL_free (c);
	SSL_CTX_free (sctx);
	SSL_CTX_free (cctx);
	ERR_clear_error ();
	return sdone && cdone && !failed;
}

static void
test_handshake_fixtures (void)
{
	g_autoptr (AmKeystore) ks = load_ok ("wso2carbon.jks", AM_KEYSTORE_JKS, "wso2carbon",
					     "wso2carbon", "wso2carbon");
	g_autoptr (AmKeystore) ts =
		load_ok ("client-truststore.jks", AM_KEYSTORE_JKS, "wso2carbon", NULL, NULL);
	g_autoptr (AmKeystore) chain =
		load_ok ("chain.jks", AM_KEYSTORE_JKS, "wso2carbon", "server", NULL);
	g_autoptr (AmKeystore) ca = load_ok ("ca.crt.pem", AM_KEYSTORE_PEM, NULL, NULL, NULL);
	g_autoptr (GError) error = NULL;
	SSL_CTX *ctx = SSL_CTX_new (TLS_server_method ());
	long vr = -1;

	g_assert_true (handshake (ks, ts, "localhost", &vr));
	g_assert_cmpint (vr, ==, X509_V_OK);
	/* The served chain lets a client that trusts only the CA verify. */
	g_assert_true (handshake (chain, ca, "localhost", &vr));
	g_assert_cmpint (vr, ==, X509_V_OK);
	/* And the check can fail: wrong anchor, wrong name. */
	g_assert_false (handshake (ks, ca, "localhost", &vr));
	g_assert_cmpint (vr, ==, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
	g_assert_false (handshake (ks, ts, "other.example", &vr));
	g_assert_cmpint (vr, ==, X509_V_ERR_HOSTNAME_MISMATCH);

	/* A truststore cannot serve. */
	g_assert_false (am_keystore_use_in_ssl_ctx (ts, ctx, &error));
	g_assert_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_NO_ALIAS);
	SSL_CTX_free (ctx);
}

static GTlsCertificate *
tls_anchor (AmKeystore *ts)
{
	g_autoptr (GError) error = NULL;
	BIO *bio = BIO_new (BIO_s_mem ());
	char *pem = NULL;
	long len;
	GTlsCertificate *anchor;

	g_assert_cmpint (PEM_write_bio_X509 (bio, g_ptr_array_index (
							  am_keystore_get_certificates (ts), 0)),
			 ==, 1);
	len = BIO_get_mem_data (bio, &pem);
	anchor = g_tls_certificate_new_from_pem (pem, len, &error);
	g_assert_no_error (error);
	BIO_free (bio);
	return anchor;
}

/* GIO (GnuTLS underneath) accepts the key and chain, and verifies them. */
static void
assert_tls_certificate (AmKeystore *ks, AmKeystore *trust, gboolean has_issuer)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GTlsCertificate) cert = am_keystore_to_tls_certificate (ks, &error);
	g_autoptr (GTlsCertificate) anchor = tls_anchor (trust);
	g_autoptr (GSocketConnectable) id = g_network_address_new ("localhost", 443);
	g_autoptr (GSocketConnectable) other = g_network_address_new ("other.example", 443);
	g_autofree char *key_pem = NULL;

	g_assert_no_error (error);
	g_assert_nonnull (cert);
	g_object_get (cert, "private-key-pem", &key_pem, NULL);
	g_assert_nonnull (key_pem);
	g_assert_true ((g_tls_certificate_get_issuer (cert) != NULL) == has_issuer);
	g_assert_cmpint (g_tls_certificate_verify (cert, id, anchor), ==, 0);
	g_assert_cmpint (g_tls_certificate_verify (cert, other, anchor) &
				 G_TLS_CERTIFICATE_BAD_IDENTITY,
			 !=, 0);
}

static void
test_tls_certificate (void)
{
	g_autoptr (AmKeystore) ks =
		load_ok ("wso2carbon.jks", AM_KEYSTORE_JKS, "wso2carbon", NULL, NULL);
	g_autoptr (AmKeystore) ts =
		load_ok ("client-truststore.jks", AM_KEYSTORE_JKS, "wso2carbon", NULL, NULL);
	g_autoptr (AmKeystore) chain =
		load_ok ("chain.jks", AM_KEYSTORE_JKS, "wso2carbon", "server", NULL);
	g_autoptr (AmKeystore) ca = load_ok ("ca.crt.pem", AM_KEYSTORE_PEM, NULL, NULL, NULL);
	g_autoptr (AmKeystore) ec = load_ok ("ec.jks", AM_KEYSTORE_JKS, "wso2carbon", NULL, NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (GTlsCertificate) none = NULL;
	g_autoptr (GTlsCertificate) ec_cert = NULL;

	if (!g_tls_backend_supports_tls (g_tls_backend_get_default ())) {
		g_test_skip ("no GIO TLS backend (glib-networking)");
		return;
	}
	assert_tls_certificate (ks, ts, FALSE);
	assert_tls_certificate (chain, ca, TRUE);
	ec_cert = am_keystore_to_tls_certificate (ec, &error);
	g_assert_no_error (error);
	g_assert_nonnull (ec_cert);
	none = am_keystore_to_tls_certificate (ts, &error);
	g_assert_null (none);
	g_assert_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_NO_ALIAS);
}

/* ---- generated development keystores ----------------------------------------- */

typedef struct {
	AmKeystoreType type;
	AmKeystoreType ts_type;
	const char *ext;
	const char *ts_ext;
	const char *keytool_type; /* NULL: keytool cannot read it */
} GenCase;

static const GenCase gen_jks = {AM_KEYSTORE_JKS, AM_KEYSTORE_JKS, "jks", "jks", "JKS"};
static const GenCase gen_p12 = {AM_KEYSTORE_PKCS12, AM_KEYSTORE_PKCS12, "p12", "p12", "PKCS12"};
static const GenCase gen_pem = {AM_KEYSTORE_PEM, AM_KEYSTORE_PEM, "pem", "crt", NULL};

#define GEN_STORE_PW "st0re-pw"
#define GEN_KEY_PW "k3y-pw"
#define GEN_ALIAS "apimd"
#define GEN_CN "apimd.example.com"

static void
assert_no_temp_files (const char *dir)
{
	g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
	const char *name;

	g_assert_nonnull (d);
	while ((name = g_dir_read_name (d)) != NULL)
		g_assert_null (strstr (name, ".tmp."));
}

static void
assert_mode_0600 (const char *path)
{
	GStatBuf st;

	g_assert_cmpint (g_stat (path, &st), ==, 0);
	g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
assert_generated_cert (X509 *cert)
{
	g_assert_cmpint (X509_check_host (cert, "localhost", 0, 0, NULL), ==, 1);
	g_assert_cmpint (X509_check_host (cert, GEN_CN, 0, 0, NULL), ==, 1);
	g_assert_cmpint (X509_check_ip_asc (cert, "127.0.0.1", 0), ==, 1);
	g_assert_cmpint (X509_check_host (cert, "other.example", 0, 0, NULL), ==, 0);
	g_assert_cmpint (X509_get_version (cert), ==, X509_VERSION_3);
	g_assert_cmpint (X509_check_ca (cert), ==, 0);
	g_assert_cmpint (X509_get_signature_nid (cert), ==, NID_sha256WithRSAEncryption);
	g_assert_cmpint (EVP_PKEY_get_bits (X509_get0_pubkey (cert)), ==, 2048);
	/* ~10 years */
	g_assert_cmpint (X509_cmp_time (X509_get0_notAfter (cert),
					&(time_t){time (NULL) + 9 * 365 * 86400}),
			 >, 0);
}

static void
test_generate (TmpDir *t, gconstpointer data)
{
	const GenCase *gc = data;
	g_autofree char *sub = g_build_filename (t->dir, "a", "b", NULL);
	g_autofree char *ks_name = g_strdup_printf ("keystore.%s", gc->ext);
	g_autofree char *ts_name = g_strdup_printf ("truststore.%s", gc->ts_ext);
	g_autofree char *ks_path = g_build_filename (sub, ks_name, NULL);
	g_autofree char *ts_path = g_build_filename (sub, ts_name, NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (AmKeystore) ks = NULL;
	g_autoptr (AmKeystore) ts = NULL;
	long vr = -1;

	g_assert_true (am_keystore_generate_dev (ks_path, gc->type, GEN_STORE_PW, GEN_ALIAS,
						 GEN_KEY_PW, GEN_CN, ts_path, gc->ts_type,
						 GEN_STORE_PW, &error));
	g_assert_no_error (error);
	assert_mode_0600 (ks_path);
	assert_mode_0600 (ts_path);
	assert_no_temp_files (sub);

	ks = am_keystore_load (ks_path, gc->type, GEN_STORE_PW, GEN_ALIAS, GEN_KEY_PW, &error);
	g_assert_no_error (error);
	assert_key_entry (ks, GEN_ALIAS, 1);
	assert_generated_cert (am_keystore_get_cert (ks));
	ts = am_keystore_load (ts_path, gc->ts_type, GEN_STORE_PW, NULL, NULL, &error);
	g_assert_no_error (error);
	g_assert_null (am_keystore_get_key (ts));
	g_assert_cmpint (am_keystore_get_certificates (ts)->len, ==, 1);
	g_assert_cmpint (X509_cmp (g_ptr_array_index (am_keystore_get_certificates (ts), 0),
				   am_keystore_get_cert (ks)),
			 ==, 0);
	assert_load_fails (ks_path, gc->type, "Xyzzy-bad-pw", GEN_ALIAS, GEN_KEY_PW,
			   AM_KEYSTORE_ERROR_PASSWORD);
	if (gc->type == AM_KEYSTORE_JKS)
		assert_load_fails (ks_path, gc->type, GEN_STORE_PW, GEN_ALIAS, "Xyzzy-bad-pw",
				   AM_KEYSTORE_ERROR_PASSWORD);

	g_assert_true (handshake (ks, ts, "localhost", &vr));
	g_assert_cmpint (vr, ==, X509_V_OK);
	g_assert_true (handshake (ks, ts, GEN_CN, &vr));
	if (g_tls_backend_supports_tls (g_tls_backend_get_default ()))
		assert_tls_certificate (ks, ts, FALSE);

	/* Generating again replaces the files with a new key. */
	g_assert_true (am_keystore_generate_dev (ks_path, gc->type, GEN_STORE_PW, GEN_ALIAS,
						 GEN_KEY_PW, GEN_CN, NULL, gc->ts_type, NULL,
						 &error));
	g_assert_no_error (error);
	g_clear_pointer (&ts, am_keystore_free);
	ts = am_keystore_load (ks_path, gc->type, GEN_STORE_PW, GEN_ALIAS, GEN_KEY_PW, &error);
	g_assert_no_error (error);
	g_assert_cmpint (X509_cmp (am_keystore_get_cert (ts), am_keystore_get_cert (ks)), !=, 0);
	assert_no_temp_files (sub);
}

static void
test_generate_errors (TmpDir *t, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *blocker = g_build_filename (t->dir, "file", NULL);
	g_autofree char *under = g_build_filename (blocker, "ks.jks", NULL);

	/* A parent that is a file: an error, not a crash, nothing written. */
	write_bytes (blocker, (const guint8 *) "x", 1);
	g_assert_false (am_keystore_generate_dev (under, AM_KEYSTORE_JKS, "pw", "a", NULL,
						  "localhost", NULL, AM_KEYSTORE_JKS, NULL,
						  &error));
	g_assert_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FAILED);
	g_assert_false (g_file_test (under, G_FILE_TEST_EXISTS));
}

/* ---- Java's keytool ------------------------------------------------------------ */

static gboolean
keytool (char **output, const char *const *args)
{
	g_autoptr (GPtrArray) argv = g_ptr_array_new ();
	g_autoptr (GError) error = NULL;
	g_autofree char *err = NULL;
	int status = -1;

	g_ptr_array_add (argv, (gpointer) "keytool");
	for (gsize i = 0; args[i] != NULL; i++)
		g_ptr_array_add (argv, (gpointer) args[i]);
	g_ptr_array_add (argv, NULL);
	g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, output,
		      &err, &status, &error);
	g_assert_no_error (error);
	g_test_message ("keytool %s: %s%s", args[0], *output, err);
	return g_spawn_check_wait_status (status, NULL);
}

/* keytool reads what we write: the store (integrity digest, entries) with
 * -list, and the protected key with -certreq, which must sign with it. */
static void
test_keytool (TmpDir *t, gconstpointer data)
{
	const GenCase *gc = data;
	g_autofree char *ks_path = g_build_filename (t->dir, "k", NULL);
	g_autofree char *ts_path = g_build_filename (t->dir, "t", NULL);
	g_autoptr (GError) error = NULL;
	const char *key_pw = gc->type == AM_KEYSTORE_JKS ? GEN_KEY_PW : GEN_STORE_PW;
	const char *type = gc->keytool_type;
	g_autofree char *out = NULL;
	g_autofree char *keytool_path = g_find_program_in_path ("keytool");

	if (keytool_path == NULL) {
		g_test_skip ("keytool is not on PATH");
		return;
	}
	g_assert_true (am_keystore_generate_dev (ks_path, gc->type, GEN_STORE_PW, GEN_ALIAS, key_pw,
						 GEN_CN, ts_path, gc->ts_type, GEN_STORE_PW,
						 &error));
	g_assert_no_error (error);

	g_assert_true (keytool (&out, (const char *[]){"-list", "-storetype", type, "-keystore",
						      ks_path, "-storepass", GEN_STORE_PW, NULL}));
	g_assert_nonnull (strstr (out, GEN_ALIAS));
	g_assert_nonnull (strstr (out, "PrivateKeyEntry"));
	g_clear_pointer (&out, g_free);
	g_assert_false (keytool (&out, (const char *[]){"-list", "-storetype", type, "-keystore",
						       ks_path, "-storepass", "wrong-pw", NULL}));
	g_clear_pointer (&out, g_free);
	g_assert_true (keytool (&out, (const char *[]){"-list", "-storetype", type, "-keystore",
						      ts_path, "-storepass", GEN_STORE_PW, NULL}));
	g_assert_nonnull (strstr (out, "trustedCertEntry"));
	g_clear_pointer (&out, g_free);
	g_assert_true (keytool (&out, (const char *[]){"-certreq", "-storetype", type, "-keystore",
						      ks_path, "-storepass", GEN_STORE_PW, "-alias",
						      GEN_ALIAS, "-keypass", key_pw, NULL}));
	g_assert_nonnull (strstr (out, "BEGIN NEW CERTIFICATE REQUEST"));
	g_clear_pointer (&out, g_free);
	if (gc->type == AM_KEYSTORE_JKS)
		g_assert_false (keytool (&out, (const char *[]){"-certreq", "-storetype", type,
							       "-keystore", ks_path, "-storepass",
							       GEN_STORE_PW, "-alias", GEN_ALIAS,
							       "-keypass", "wrong-pw", NULL}));
}

int
main (int argc, char **argv)
{
	int ret;

	g_test_init (&argc, &argv, NULL);
	fixture_paths = g_ptr_array_new_with_free_func (g_free);

	g_test_add_func ("/keystore/type-from-string", test_type_from_string);
	g_test_add_func ("/keystore/jks/wso2carbon", test_jks_wso2carbon);
	g_test_add_func ("/keystore/jks/truststore", test_jks_truststore);
	g_test_add_func ("/keystore/jks/passwords", test_jks_passwords);
	g_test_add_func ("/keystore/jks/no-alias", test_jks_no_alias);
	g_test_add_func ("/keystore/jks/ec", test_jks_ec);
	g_test_add_func ("/keystore/jks/chain", test_jks_chain);
	g_test_add_func ("/keystore/jks/as-pkcs12", test_jks_as_pkcs12);
	g_test_add_func ("/keystore/jceks", test_jceks);
	g_test_add_func ("/keystore/pkcs12/default", test_pkcs12);
	g_test_add_func ("/keystore/pkcs12/legacy", test_pkcs12_legacy);
	g_test_add_func ("/keystore/pem", test_pem);
	g_test_add ("/keystore/corrupt/jks-truncated", TmpDir, NULL, tmp_dir_setup,
		    test_corrupt_jks_truncated, tmp_dir_teardown);
	g_test_add ("/keystore/corrupt/jks-flipped", TmpDir, NULL, tmp_dir_setup,
		    test_corrupt_jks_flipped, tmp_dir_teardown);
	g_test_add ("/keystore/corrupt/jks-lengths", TmpDir, NULL, tmp_dir_setup,
		    test_corrupt_jks_lengths, tmp_dir_teardown);
	g_test_add ("/keystore/corrupt/pkcs12", TmpDir, NULL, tmp_dir_setup, test_corrupt_pkcs12,
		    tmp_dir_teardown);
	g_test_add ("/keystore/corrupt/pem", TmpDir, NULL, tmp_dir_setup, test_corrupt_pem,
		    tmp_dir_teardown);
	g_test_add_func ("/keystore/tls/handshake", test_handshake_fixtures);
	g_test_add_func ("/keystore/tls/gio-certificate", test_tls_certificate);
	g_test_add ("/keystore/generate/jks", TmpDir, &gen_jks, tmp_dir_setup, test_generate,
		    tmp_dir_teardown);
	g_test_add ("/keystore/generate/pkcs12", TmpDir, &gen_p12, tmp_dir_setup, test_generate,
		    tmp_dir_teardown);
	g_test_add ("/keystore/generate/pem", TmpDir, &gen_pem, tmp_dir_setup, test_generate,
		    tmp_dir_teardown);
	g_test_add ("/keystore/generate/errors", TmpDir, NULL, tmp_dir_setup,
		    test_generate_errors, tmp_dir_teardown);
	g_test_add ("/keystore/keytool/jks", TmpDir, &gen_jks, tmp_dir_setup, test_keytool,
		    tmp_dir_teardown);
	g_test_add ("/keystore/keytool/pkcs12", TmpDir, &gen_p12, tmp_dir_setup, test_keytool,
		    tmp_dir_teardown);
	ret = g_test_run ();
	g_ptr_array_unref (fixture_paths);
	return ret;
}
