/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keystores as Carbon configures them: carbon.xml Security/KeyStore
 * (Location, Type, Password, KeyAlias, KeyPassword; WSO2 ships
 * repository/resources/security/wso2carbon.jks) and Security/TrustStore
 * (client-truststore.jks).  This file dispatches on the format, reads
 * PKCS#12 and PEM with OpenSSL (JKS lives in am-keystore-jks.c), hands the
 * result to OpenSSL server contexts and to GIO, and writes the self-signed
 * development keystore a fresh carbon home starts with.
 *
 * As in Java (keystore.type.compat), the JKS and PKCS12 types each accept
 * the other format: keytool has written PKCS#12 by default since Java 9,
 * so a file named wso2carbon.jks may well be PKCS#12.  PKCS#12 files made
 * by keytool before JDK 11.0.12 use RC2 and 3DES, which OpenSSL 3 keeps in
 * its "legacy" provider: it is loaded on the first file that needs it.
 *
 * Passwords never appear in an error message or a log line.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "am-keystore-private.h"

#define KEYSTORE_MAX_CHAIN 10
#define KEYSTORE_P12_ITER 10000 /* what Java 17's keytool uses */
/* Oracle's "trusted key usage" bag attribute: without it Java ignores a
 * certificate in a PKCS#12 truststore. */
#define KEYSTORE_ORACLE_TRUSTED_KEY_USAGE "2.16.840.1.113894.746875.1.1"
#define KEYSTORE_ANY_EXTENDED_KEY_USAGE "2.5.29.37.0"

G_DEFINE_QUARK (am-keystore-error-quark, am_keystore_error)

gboolean
am_keystore_type_from_string (const char *s, AmKeystoreType *out)
{
	static const struct {
		const char *name;
		AmKeystoreType type;
	} names[] = {
		{"JKS", AM_KEYSTORE_JKS},
		{"PKCS12", AM_KEYSTORE_PKCS12},
		{"P12", AM_KEYSTORE_PKCS12},
		{"PEM", AM_KEYSTORE_PEM},
	};

	for (gsize i = 0; s != NULL && i < G_N_ELEMENTS (names); i++) {
		if (g_ascii_strcasecmp (s, names[i].name) == 0) {
			*out = names[i].type;
			return TRUE;
		}
	}
	return FALSE;
}

/* ---- the keystore object ------------------------------------------------ */

AmKeystore *
am_keystore_new_empty (AmKeystoreType type)
{
	AmKeystore *ks = g_new0 (AmKeystore, 1);

	ks->type = type;
	ks->chain = sk_X509_new_null ();
	ks->certs = g_ptr_array_new_with_free_func ((GDestroyNotify) X509_free);
	return ks;
}

void
am_keystore_free (AmKeystore *ks)
{
	if (ks == NULL)
		return;
	g_free (ks->alias);
	EVP_PKEY_free (ks->key);
	sk_X509_pop_free (ks->chain, X509_free);
	g_ptr_array_unref (ks->certs);
	g_free (ks);
}

void
am_keystore_add_certificate (AmKeystore *ks, X509 *cert)
{
	for (guint i = 0; i < ks->certs->len; i++) {
		if (X509_cmp (g_ptr_array_index (ks->certs, i), cert) == 0)
			return;
	}
	X509_up_ref (cert);
	g_ptr_array_add (ks->certs, cert);
}

EVP_PKEY *
am_keystore_get_key (AmKeystore *ks)
{
	return ks->key;
}

X509 *
am_keystore_get_cert (AmKeystore *ks)
{
	return sk_X509_num (ks->chain) > 0 ? sk_X509_value (ks->chain, 0) : NULL;
}

STACK_OF (X509) *
am_keystore_get_chain (AmKeystore *ks)
{
	return ks->chain;
}

GPtrArray *
am_keystore_get_certificates (AmKeystore *ks)
{
	return ks->certs;
}

const char *
am_keystore_get_alias (AmKeystore *ks)
{
	return ks->alias;
}

/* ---- helpers -------------------------------------------------------------- */

/* An OpenSSL error that means "no loaded provider implements this
 * algorithm" (RC2 or 3DES without the legacy provider). */
static gboolean
keystore_error_is_unsupported (unsigned long e)
{
	int reason = ERR_GET_REASON (e);

	return reason == ERR_R_UNSUPPORTED ||
	       (ERR_GET_LIB (e) == ERR_LIB_EVP &&
		(reason == EVP_R_UNSUPPORTED_ALGORITHM || reason == EVP_R_UNSUPPORTED_CIPHER ||
		 reason == EVP_R_UNKNOWN_CIPHER));
}

/* Empty this thread's OpenSSL error queue; @buf (if not NULL) receives the
 * oldest message, the root cause.  TRUE if an algorithm was unavailable. */
static gboolean
keystore_drain_openssl_errors (char *buf, gsize size)
{
	unsigned long e;
	gboolean unsupported = FALSE;

	while ((e = ERR_get_error ()) != 0) {
		unsupported |= keystore_error_is_unsupported (e);
		if (buf != NULL && buf[0] == '\0')
			ERR_error_string_n (e, buf, size);
	}
	return unsupported;
}

/* Set @error to @what and OpenSSL's reason, emptying the queue.  OpenSSL's
 * messages never contain a password.  Returns whether the failure was an
 * unavailable algorithm. */
static gboolean
keystore_set_openssl_error (GError **error, AmKeystoreErrorCode code, const char *what)
{
	char buf[256] = "";
	gboolean unsupported = keystore_drain_openssl_errors (buf, sizeof buf);

	g_set_error (error, AM_KEYSTORE_ERROR, code, "%s%s%s", what, buf[0] ? ": " : "", buf);
	return unsupported;
}

static gboolean
keystore_key_matches (X509 *cert, EVP_PKEY *key)
{
	EVP_PKEY *pub = X509_get0_pubkey (cert);
	gboolean match = pub != NULL && EVP_PKEY_eq (pub, key) == 1;

	ERR_clear_error ();
	return match;
}

static X509 *
keystore_find_leaf (AmKeystore *ks, EVP_PKEY *key)
{
	for (guint i = 0; i < ks->certs->len; i++) {
		X509 *x = g_ptr_array_index (ks->certs, i);

		if (keystore_key_matches (x, key))
			return x;
	}
	return NULL;
}

static gboolean
keystore_chain_contains (AmKeystore *ks, X509 *x)
{
	for (int i = 0; i < sk_X509_num (ks->chain); i++) {
		if (sk_X509_value (ks->chain, i) == x)
			return TRUE;
	}
	return FALSE;
}

/* For formats that store a bag of certificates (PKCS#12, PEM): the chain
 * is the leaf and then, as far as the store has them, its issuers. */
static void
keystore_build_chain (AmKeystore *ks, X509 *leaf)
{
	X509 *cur = leaf;

	X509_up_ref (leaf);
	sk_X509_push (ks->chain, leaf);
	while (sk_X509_num (ks->chain) < KEYSTORE_MAX_CHAIN &&
	       X509_check_issued (cur, cur) != X509_V_OK) {
		X509 *issuer = NULL;

		for (guint i = 0; i < ks->certs->len && issuer == NULL; i++) {
			X509 *c = g_ptr_array_index (ks->certs, i);

			if (!keystore_chain_contains (ks, c) &&
			    X509_check_issued (c, cur) == X509_V_OK)
				issuer = c;
		}
		if (issuer == NULL)
			break;
		X509_up_ref (issuer);
		sk_X509_push (ks->chain, issuer);
		cur = issuer;
	}
	ERR_clear_error ();
}

gboolean
am_keystore_alias_equal (const char *a, const char *b)
{
	g_autofree char *fa = NULL;
	g_autofree char *fb = NULL;

	if (a == NULL || b == NULL)
		return FALSE;
	if (!g_utf8_validate (a, -1, NULL) || !g_utf8_validate (b, -1, NULL))
		return strcmp (a, b) == 0;
	fa = g_utf8_casefold (a, -1);
	fb = g_utf8_casefold (b, -1);
	return strcmp (fa, fb) == 0;
}

/* ---- PKCS#12 -------------------------------------------------------------- */

typedef struct {
	const char *pass;      /* store password; NULL for OpenSSL's "no password" */
	const char *key_pass;  /* key bag password */
	const char *key_alias; /* wanted friendlyName, NULL for the first key */
	gboolean mac_checked;
	gboolean unsupported; /* failed for want of the legacy provider */
	EVP_PKEY *key;
	char *alias;
	GBytes *key_id; /* localKeyID of the key bag */
	GPtrArray *certs;
} P12Load;

static void
p12_load_clear (P12Load *ld)
{
	EVP_PKEY_free (ld->key);
	g_free (ld->alias);
	g_clear_pointer (&ld->key_id, g_bytes_unref);
	g_clear_pointer (&ld->certs, g_ptr_array_unref);
}

static GBytes *
p12_local_key_id (const PKCS12_SAFEBAG *bag)
{
	const ASN1_TYPE *id = PKCS12_SAFEBAG_get0_attr (bag, NID_localKeyID);

	if (id == NULL || id->type != V_ASN1_OCTET_STRING)
		return NULL;
	return g_bytes_new (ASN1_STRING_get0_data (id->value.octet_string),
			    (gsize) ASN1_STRING_length (id->value.octet_string));
}

static PKCS8_PRIV_KEY_INFO *
p12_decrypt_key (P12Load *ld, const PKCS12_SAFEBAG *bag)
{
	PKCS8_PRIV_KEY_INFO *p8 = PKCS12_decrypt_skey_ex (bag, ld->key_pass, -1, NULL, NULL);
	/* keytool refuses a PKCS#12 key password other than the store
	 * password; try the store password before giving up. */
	if (p8 == NULL && g_strcmp0 (ld->key_pass, ld->pass) != 0) {
		ld->unsupported |= keystore_drain_openssl_errors (NULL, 0);
		p8 = PKCS12_decrypt_skey_ex (bag, ld->pass, -1, NULL, NULL);
	}
	return p8;
}

static gboolean
p12_take_key (P12Load *ld, PKCS12_SAFEBAG *bag, GError **error)
{
	g_autofree char *name = NULL;
	g_autoptr (PKCS8_PRIV_KEY_INFO) p8 = NULL;
	const PKCS8_PRIV_KEY_INFO *plain = NULL;
	char *fn = PKCS12_get_friendlyname (bag);

	name = g_strdup (fn);
	OPENSSL_free (fn);
	if (ld->key != NULL ||
	    (ld->key_alias != NULL && !am_keystore_alias_equal (name, ld->key_alias)))
		return TRUE;
	if (PKCS12_SAFEBAG_get_nid (bag) == NID_keyBag)
		plain = PKCS12_SAFEBAG_get0_p8inf (bag);
	else
		plain = p8 = p12_decrypt_key (ld, bag);
	if (plain == NULL) {
		ld->unsupported |= keystore_set_openssl_error (
			error, AM_KEYSTORE_ERROR_PASSWORD,
			"cannot decrypt the private key: wrong key password");
		return FALSE;
	}
	ld->key = EVP_PKCS82PKEY (plain);
	if (ld->key == NULL) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FORMAT,
					    "invalid private key in PKCS#12 key bag");
		return FALSE;
	}
	ld->alias = g_steal_pointer (&name);
	ld->key_id = p12_local_key_id (bag);
	return TRUE;
}

static gboolean
p12_take_cert (P12Load *ld, PKCS12_SAFEBAG *bag, GError **error)
{
	X509 *x;
	char *name;
	g_autoptr (GBytes) id = NULL;

	if (PKCS12_SAFEBAG_get_bag_nid (bag) != NID_x509Certificate)
		return TRUE;
	x = PKCS12_SAFEBAG_get1_cert (bag);
	if (x == NULL) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FORMAT,
					    "invalid certificate in PKCS#12 file");
		return FALSE;
	}
	/* Keep the bag's attributes on the certificate: the localKeyID ties
	 * it to its key. */
	name = PKCS12_get_friendlyname (bag);
	if (name != NULL)
		X509_alias_set1 (x, (const unsigned char *) name, -1);
	OPENSSL_free (name);
	id = p12_local_key_id (bag);
	if (id != NULL)
		X509_keyid_set1 (x, g_bytes_get_data (id, NULL), (int) g_bytes_get_size (id));
	g_ptr_array_add (ld->certs, x);
	return TRUE;
}

static gboolean
p12_walk_bags (P12Load *ld, const STACK_OF (PKCS12_SAFEBAG) *bags, int depth, GError **error)
{
	for (int i = 0; i < sk_PKCS12_SAFEBAG_num (bags); i++) {
		PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value (bags, i);
		gboolean ok = TRUE;

		switch (PKCS12_SAFEBAG_get_nid (bag)) {
		case NID_keyBag:
		case NID_pkcs8ShroudedKeyBag:
			ok = p12_take_key (ld, bag, error);
			break;
		case NID_certBag:
			ok = p12_take_cert (ld, bag, error);
			break;
		case NID_safeContentsBag:
			if (depth < 4)
				ok = p12_walk_bags (ld, PKCS12_SAFEBAG_get0_safes (bag), depth + 1,
						    error);
			break;
		default:
			break; /* CRLs, secrets: nothing for TLS */
		}
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static STACK_OF (PKCS12_SAFEBAG) *
p12_unpack (P12Load *ld, PKCS7 *p7, GError **error)
{
	STACK_OF (PKCS12_SAFEBAG) *bags;
	int nid = OBJ_obj2nid (p7->type);

	if (nid == NID_pkcs7_data)
		bags = PKCS12_unpack_p7data (p7);
	else if (nid == NID_pkcs7_encrypted)
		bags = PKCS12_unpack_p7encdata (p7, ld->pass, -1);
	else
		return sk_PKCS12_SAFEBAG_new_null (); /* envelopedData: not for us */
	if (bags == NULL) {
		/* With a verified MAC the password is right: the file is bad. */
		ld->unsupported |= keystore_set_openssl_error (error,
					    nid == NID_pkcs7_encrypted && !ld->mac_checked
						    ? AM_KEYSTORE_ERROR_PASSWORD
						    : AM_KEYSTORE_ERROR_FORMAT,
					    "cannot read PKCS#12 contents");
	}
	return bags;
}

static gboolean
p12_walk (P12Load *ld, PKCS12 *p12, GError **error)
{
	STACK_OF (PKCS7) *asafes = PKCS12_unpack_authsafes (p12);
	gboolean ok = TRUE;

	if (asafes == NULL) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FORMAT,
					    "invalid PKCS#12 authenticated safe");
		return FALSE;
	}
	for (int i = 0; ok && i < sk_PKCS7_num (asafes); i++) {
		STACK_OF (PKCS12_SAFEBAG) *bags = NULL;

		bags = p12_unpack (ld, sk_PKCS7_value (asafes, i), error);
		ok = bags != NULL && p12_walk_bags (ld, bags, 0, error);
		sk_PKCS12_SAFEBAG_pop_free (bags, PKCS12_SAFEBAG_free);
	}
	sk_PKCS7_pop_free (asafes, PKCS7_free);
	return ok;
}

static gboolean
p12_check_mac (P12Load *ld, PKCS12 *p12, GError **error)
{
	if (!PKCS12_mac_present (p12))
		return TRUE;
	if (PKCS12_verify_mac (p12, ld->pass, -1) == 1) {
		ld->mac_checked = TRUE;
		return TRUE;
	}
	/* OpenSSL tells an empty password from none; Java does not. */
	if (ld->pass != NULL && ld->pass[0] == '\0' && PKCS12_verify_mac (p12, NULL, 0) == 1) {
		ld->pass = NULL;
		ld->mac_checked = TRUE;
		return TRUE;
	}
	ld->unsupported |= keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_PASSWORD,
				    "PKCS#12 integrity check failed: wrong keystore password, "
				    "or the file was modified");
	return FALSE;
}

static X509 *
p12_find_leaf (AmKeystore *ks, P12Load *ld)
{
	for (guint i = 0; ld->key_id != NULL && i < ks->certs->len; i++) {
		X509 *x = g_ptr_array_index (ks->certs, i);
		int len = 0;
		const unsigned char *id = X509_keyid_get0 (x, &len);

		if (id != NULL && (gsize) len == g_bytes_get_size (ld->key_id) &&
		    memcmp (id, g_bytes_get_data (ld->key_id, NULL), (gsize) len) == 0 &&
		    keystore_key_matches (x, ld->key))
			return x;
	}
	return keystore_find_leaf (ks, ld->key);
}

static AmKeystore *
p12_finish (P12Load *ld, GError **error)
{
	g_autoptr (AmKeystore) ks = am_keystore_new_empty (AM_KEYSTORE_PKCS12);
	X509 *leaf;

	for (guint i = 0; i < ld->certs->len; i++)
		am_keystore_add_certificate (ks, g_ptr_array_index (ld->certs, i));
	if (ld->key == NULL && ld->key_alias != NULL) {
		g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_NO_ALIAS,
			     "no private key entry with alias \"%s\"", ld->key_alias);
		return NULL;
	}
	if (ld->key == NULL)
		return g_steal_pointer (&ks);
	leaf = p12_find_leaf (ks, ld);
	if (leaf == NULL) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
				     "no certificate in the PKCS#12 file matches its private key");
		return NULL;
	}
	keystore_build_chain (ks, leaf);
	ks->key = g_steal_pointer (&ld->key);
	ks->alias = g_steal_pointer (&ld->alias);
	return g_steal_pointer (&ks);
}

static AmKeystore *
p12_load_once (const guint8 *data,
	       gsize len,
	       const char *store_password,
	       const char *key_alias,
	       const char *key_password,
	       gboolean *unsupported,
	       GError **error)
{
	const guint8 *p = data;
	g_autoptr (PKCS12) p12 = len <= G_MAXLONG ? d2i_PKCS12 (NULL, &p, (long) len) : NULL;
	P12Load ld = {0};
	AmKeystore *ks = NULL;

	if (p12 == NULL) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FORMAT,
					    "not a PKCS#12 keystore");
		return NULL;
	}
	ld.pass = store_password != NULL ? store_password : "";
	ld.key_pass = key_password != NULL ? key_password : ld.pass;
	ld.key_alias = key_alias;
	ld.certs = g_ptr_array_new_with_free_func ((GDestroyNotify) X509_free);
	if (p12_check_mac (&ld, p12, error) && p12_walk (&ld, p12, error))
		ks = p12_finish (&ld, error);
	*unsupported = ld.unsupported;
	p12_load_clear (&ld);
	ERR_clear_error ();
	return ks;
}

/* Both stay loaded for the life of the process. */
static OSSL_PROVIDER *keystore_default_provider;
static OSSL_PROVIDER *keystore_legacy_provider;

static gpointer
keystore_load_legacy_provider_once (gpointer data)
{
	/* Loading any provider explicitly turns off the implicit loading of
	 * "default": load it too. */
	keystore_default_provider = OSSL_PROVIDER_load (NULL, "default");
	keystore_legacy_provider = OSSL_PROVIDER_load (NULL, "legacy");
	if (keystore_legacy_provider == NULL)
		g_warning ("keystore: cannot load OpenSSL's legacy provider: RC2/3DES "
			   "PKCS#12 files cannot be read");
	ERR_clear_error ();
	return GINT_TO_POINTER (keystore_default_provider != NULL &&
				keystore_legacy_provider != NULL);
}

static gboolean
keystore_load_legacy_provider (void)
{
	static GOnce once = G_ONCE_INIT;

	return GPOINTER_TO_INT (g_once (&once, keystore_load_legacy_provider_once, NULL));
}

static AmKeystore *
keystore_load_pkcs12 (const guint8 *data,
		      gsize len,
		      const char *store_password,
		      const char *key_alias,
		      const char *key_password,
		      GError **error)
{
	gboolean unsupported = FALSE;
	g_autoptr (GError) first = NULL;
	AmKeystore *ks;

	ks = p12_load_once (data, len, store_password, key_alias, key_password, &unsupported,
			    &first);
	if (ks != NULL)
		return ks;
	if (unsupported && keystore_load_legacy_provider ())
		return p12_load_once (data, len, store_password, key_alias, key_password,
				      &unsupported, error);
	g_propagate_error (error, g_steal_pointer (&first));
	return NULL;
}

/* ---- PEM ------------------------------------------------------------------ */

static int
pem_on_password (char *buf, int size, int rwflag, void *user_data)
{
	const char *pass = user_data;
	size_t n = pass != NULL ? strlen (pass) : 0;

	if (pass == NULL || n > (size_t) size)
		return -1;
	memcpy (buf, pass, n);
	return (int) n;
}

/* Re-wrap one PEM block so that OpenSSL's key decoder (which handles
 * PKCS#8, traditional and encrypted forms) sees only that block. */
static EVP_PKEY *
pem_decode_key (const char *name,
		const char *header,
		const guint8 *body,
		long len,
		const char *password,
		GError **error)
{
	g_autoptr (BIO) mem = BIO_new (BIO_s_secmem ());
	gboolean encrypted = strcmp (name, PEM_STRING_PKCS8) == 0 ||
			     (header != NULL && strstr (header, "ENCRYPTED") != NULL);
	EVP_PKEY *key = NULL;

	if (mem != NULL && PEM_write_bio (mem, name, header, body, len) > 0)
		key = PEM_read_bio_PrivateKey (mem, NULL, pem_on_password, (void *) password);
	if (key != NULL)
		return key;
	if (encrypted && password == NULL)
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_PASSWORD,
				     "the PEM private key is encrypted and no password is set");
	else
		keystore_set_openssl_error (error,
					    encrypted ? AM_KEYSTORE_ERROR_PASSWORD
						      : AM_KEYSTORE_ERROR_FORMAT,
					    encrypted ? "cannot decrypt the PEM private key: "
							"wrong password"
						      : "invalid PEM private key");
	ERR_clear_error ();
	return NULL;
}

static gboolean
pem_take_cert (AmKeystore *ks, const char *name, const guint8 *body, long len, GError **error)
{
	const guint8 *p = body;
	g_autoptr (X509) x = strcmp (name, PEM_STRING_X509_TRUSTED) == 0
				     ? d2i_X509_AUX (NULL, &p, len)
				     : d2i_X509 (NULL, &p, len);

	if (x == NULL || p != body + len) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FORMAT,
					    "invalid PEM certificate");
		return FALSE;
	}
	am_keystore_add_certificate (ks, x);
	return TRUE;
}

static gboolean
pem_take_block (AmKeystore *ks,
		EVP_PKEY **key,
		const char *name,
		const char *header,
		const guint8 *body,
		long len,
		const char *password,
		GError **error)
{
	if (strcmp (name, PEM_STRING_X509) == 0 || strcmp (name, PEM_STRING_X509_OLD) == 0 ||
	    strcmp (name, PEM_STRING_X509_TRUSTED) == 0)
		return pem_take_cert (ks, name, body, len, error);
	if (!g_str_has_suffix (name, "PRIVATE KEY"))
		return TRUE; /* parameters, CSRs, public keys: not ours */
	if (*key != NULL) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
				     "the PEM file holds more than one private key");
		return FALSE;
	}
	*key = pem_decode_key (name, header, body, len, password, error);
	return *key != NULL;
}

/* Read every PEM block; FALSE on a malformed one. */
static gboolean
pem_read_blocks (AmKeystore *ks,
		 EVP_PKEY **key,
		 const guint8 *data,
		 gsize len,
		 const char *password,
		 GError **error)
{
	g_autoptr (BIO) bio = BIO_new_mem_buf (data, (int) len);

	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *body = NULL;
		long blen = 0;
		gboolean ok;

		if (PEM_read_bio (bio, &name, &header, &body, &blen) != 1) {
			unsigned long e = ERR_peek_last_error ();

			if (ERR_GET_LIB (e) == ERR_LIB_PEM &&
			    ERR_GET_REASON (e) == PEM_R_NO_START_LINE) {
				ERR_clear_error ();
				return TRUE; /* no more blocks */
			}
			keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FORMAT,
						    "malformed PEM block");
			return FALSE;
		}
		ok = pem_take_block (ks, key, name, header, body, blen, password, error);
		OPENSSL_free (name);
		OPENSSL_free (header);
		OPENSSL_clear_free (body, (size_t) blen);
		if (!ok)
			return FALSE;
	}
}

static AmKeystore *
keystore_load_pem (const guint8 *data,
		   gsize len,
		   const char *password,
		   const char *key_alias,
		   GError **error)
{
	g_autoptr (AmKeystore) ks = am_keystore_new_empty (AM_KEYSTORE_PEM);
	g_autoptr (EVP_PKEY) key = NULL;
	X509 *leaf;

	if (len > G_MAXINT) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
				     "PEM file is too large");
		return NULL;
	}
	if (!pem_read_blocks (ks, &key, data, len, password, error))
		return NULL;
	if (key == NULL && ks->certs->len == 0) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
				     "no PEM certificate or private key found");
		return NULL;
	}
	if (key == NULL)
		return g_steal_pointer (&ks);
	leaf = keystore_find_leaf (ks, key);
	if (leaf == NULL) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
				     "no certificate in the PEM file matches its private key");
		return NULL;
	}
	keystore_build_chain (ks, leaf);
	ks->key = g_steal_pointer (&key);
	ks->alias = g_strdup (key_alias);
	return g_steal_pointer (&ks);
}

/* ---- loading ---------------------------------------------------------------- */

/* Java writes EC keys without the optional public key, and OpenSSL keeps
 * that form when it re-encodes them; GnuTLS refuses such a key. */
static void
keystore_normalize_key (EVP_PKEY *key)
{
	if (EVP_PKEY_is_a (key, "EC"))
		EVP_PKEY_set_int_param (key, OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, 1);
	ERR_clear_error ();
}

static AmKeystore *
keystore_load_data (const guint8 *data,
		    gsize len,
		    AmKeystoreType type,
		    const char *store_password,
		    const char *key_alias,
		    const char *key_password,
		    GError **error)
{
	guint32 magic = 0;

	if (len >= 4)
		magic = ((guint32) data[0] << 24) | ((guint32) data[1] << 16) |
			((guint32) data[2] << 8) | data[3];
	if (magic == AM_KEYSTORE_JKS_MAGIC || magic == AM_KEYSTORE_JCEKS_MAGIC ||
	    (type == AM_KEYSTORE_JKS && (len == 0 || data[0] != 0x30)))
		return am_keystore_jks_parse (data, len, store_password, key_alias, key_password,
					      error);
	if (type == AM_KEYSTORE_PEM)
		return keystore_load_pem (data, len, store_password != NULL ? store_password
									 : key_password,
					  key_alias, error);
	/* PKCS12 configured, or JKS configured but a DER SEQUENCE found. */
	return keystore_load_pkcs12 (data, len, store_password, key_alias, key_password, error);
}

AmKeystore *
am_keystore_load (const char *path,
		  AmKeystoreType type,
		  const char *store_password,
		  const char *key_alias,
		  const char *key_password,
		  GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autoptr (AmKeystore) ks = NULL;
	char *data = NULL;
	gsize len = 0;

	g_return_val_if_fail (path != NULL, NULL);

	if (!g_file_get_contents (path, &data, &len, &local)) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR,
				     g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
					     ? AM_KEYSTORE_ERROR_NOT_FOUND
					     : AM_KEYSTORE_ERROR_FAILED,
				     local->message);
		return NULL;
	}
	ks = keystore_load_data ((const guint8 *) data, len, type, store_password, key_alias,
				 key_password, error);
	/* A PEM file may hold an unencrypted key. */
	OPENSSL_cleanse (data, len);
	g_free (data);
	/* Leave nothing behind for the caller's next SSL_get_error(). */
	ERR_clear_error ();
	if (ks != NULL && ks->key != NULL && !keystore_key_matches (am_keystore_get_cert (ks),
								     ks->key)) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
				     "the certificate does not match the private key");
		g_clear_pointer (&ks, am_keystore_free);
	}
	if (ks == NULL)
		g_prefix_error (error, "%s: ", path);
	else if (ks->key != NULL)
		keystore_normalize_key (ks->key);
	return g_steal_pointer (&ks);
}

/* ---- TLS ------------------------------------------------------------------ */

static gboolean
keystore_require_key (AmKeystore *ks, GError **error)
{
	if (ks->key != NULL)
		return TRUE;
	g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_NO_ALIAS,
			     "the keystore has no private key entry");
	return FALSE;
}

GTlsCertificate *
am_keystore_to_tls_certificate (AmKeystore *ks, GError **error)
{
	/* secmem: the PEM text holds the key in clear; it is wiped on free. */
	g_autoptr (BIO) bio = BIO_new (BIO_s_secmem ());
	char *pem = NULL;
	long len;

	if (!keystore_require_key (ks, error))
		return NULL;
	if (bio == NULL ||
	    PEM_write_bio_PrivateKey (bio, ks->key, NULL, NULL, 0, NULL, NULL) != 1) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
					    "cannot encode the private key");
		return NULL;
	}
	for (int i = 0; i < sk_X509_num (ks->chain); i++) {
		if (PEM_write_bio_X509 (bio, sk_X509_value (ks->chain, i)) != 1) {
			keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
						    "cannot encode the certificate chain");
			return NULL;
		}
	}
	len = BIO_get_mem_data (bio, &pem);
	return g_tls_certificate_new_from_pem (pem, len, error);
}

gboolean
am_keystore_use_in_ssl_ctx (AmKeystore *ks, SSL_CTX *ctx, GError **error)
{
	if (!keystore_require_key (ks, error))
		return FALSE;
	if (SSL_CTX_use_certificate (ctx, am_keystore_get_cert (ks)) != 1 ||
	    SSL_CTX_use_PrivateKey (ctx, ks->key) != 1 || SSL_CTX_check_private_key (ctx) != 1 ||
	    SSL_CTX_clear_chain_certs (ctx) != 1) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
					    "cannot install the key and certificate");
		return FALSE;
	}
	for (int i = 1; i < sk_X509_num (ks->chain); i++) {
		if (SSL_CTX_add1_chain_cert (ctx, sk_X509_value (ks->chain, i)) != 1) {
			keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
						    "cannot install the certificate chain");
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
am_keystore_add_trust_to_ssl_ctx (AmKeystore *ks, SSL_CTX *ctx, GError **error)
{
	X509_STORE *store = SSL_CTX_get_cert_store (ctx);

	for (guint i = 0; i < ks->certs->len; i++) {
		if (X509_STORE_add_cert (store, g_ptr_array_index (ks->certs, i)) != 1) {
			keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
						    "cannot add a trusted certificate");
			return FALSE;
		}
	}
	return TRUE;
}

/* ---- development keystore ------------------------------------------------- */

static gboolean
gen_add_ext (X509 *x, int nid, const char *value, GError **error)
{
	X509V3_CTX v3;
	g_autoptr (X509_EXTENSION) ext = NULL;

	X509V3_set_ctx_nodb (&v3);
	X509V3_set_ctx (&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid (NULL, &v3, nid, value);
	if (ext == NULL || X509_add_ext (x, ext, -1) != 1) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
					    "cannot add a certificate extension");
		return FALSE;
	}
	return TRUE;
}

static gboolean
gen_push_name (GENERAL_NAMES *names, int type, const char *value)
{
	GENERAL_NAME *gn = GENERAL_NAME_new ();
	ASN1_STRING *s = NULL;

	if (type == GEN_IPADD) {
		s = a2i_IPADDRESS (value);
	} else {
		s = ASN1_IA5STRING_new ();
		if (s != NULL && ASN1_STRING_set (s, value, -1) != 1)
			g_clear_pointer (&s, ASN1_STRING_free);
	}
	if (gn == NULL || s == NULL) {
		GENERAL_NAME_free (gn);
		ASN1_STRING_free (s);
		return FALSE;
	}
	GENERAL_NAME_set0_value (gn, type, s);
	sk_GENERAL_NAME_push (names, gn);
	return TRUE;
}

/* Is @name usable as a dNSName (after IDNA)? */
static gboolean
gen_is_dns_name (const char *name)
{
	if (name[0] == '\0' || strlen (name) > 253)
		return FALSE;
	for (const char *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_' && *p != '*')
			return FALSE;
	}
	return TRUE;
}

/* DNS:localhost, IP:127.0.0.1 and the common name (as an IP address or a
 * DNS name, when it is one; a free-text CN goes in the subject only).  The
 * names are built as structures, never as a config string, so a CN cannot
 * inject more names. */
static gboolean
gen_add_san (X509 *x, const char *cn, GError **error)
{
	g_autoptr (GENERAL_NAMES) names = sk_GENERAL_NAME_new_null ();
	g_autofree char *ascii = g_hostname_is_ip_address (cn) ? NULL : g_hostname_to_ascii (cn);
	gboolean ok = names != NULL && gen_push_name (names, GEN_DNS, "localhost") &&
		      gen_push_name (names, GEN_IPADD, "127.0.0.1");

	if (ok && g_hostname_is_ip_address (cn) && strcmp (cn, "127.0.0.1") != 0)
		ok = gen_push_name (names, GEN_IPADD, cn);
	else if (ok && ascii != NULL && gen_is_dns_name (ascii) &&
		 g_ascii_strcasecmp (ascii, "localhost") != 0)
		ok = gen_push_name (names, GEN_DNS, ascii);
	if (!ok || X509_add1_ext_i2d (x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
					    "cannot add the subjectAltName");
		return FALSE;
	}
	return TRUE;
}

/* Version, random positive 159-bit serial, validity, CN as subject and
 * issuer, public key. */
static gboolean
gen_fill_cert (X509 *x, EVP_PKEY *key, const char *cn)
{
	g_autoptr (BIGNUM) serial = BN_new ();
	X509_NAME *name = X509_get_subject_name (x);

	return serial != NULL && X509_set_version (x, X509_VERSION_3) == 1 &&
	       BN_rand (serial, 159, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1 &&
	       BN_to_ASN1_INTEGER (serial, X509_get_serialNumber (x)) != NULL &&
	       /* an hour of slack for clients whose clock is behind */
	       X509_gmtime_adj (X509_getm_notBefore (x), -3600) != NULL &&
	       X509_time_adj_ex (X509_getm_notAfter (x), 3650, 0, NULL) != NULL &&
	       X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) cn,
					   -1, -1, 0) == 1 &&
	       X509_set_issuer_name (x, name) == 1 && X509_set_pubkey (x, key) == 1;
}

/* A self-signed end-entity certificate.  basicConstraints is CA:FALSE:
 * OpenSSL, GnuTLS (GIO), Java and curl all accept a self-signed leaf found
 * in their trust store as its own anchor, while Firefox
 * (CA_CERT_USED_AS_END_ENTITY) and rustls/webpki refuse a CA:TRUE
 * certificate presented by a server; the test suite checks the first two. */
static X509 *
gen_cert (EVP_PKEY *key, const char *cn, GError **error)
{
	g_autoptr (X509) x = X509_new ();

	if (x == NULL || !gen_fill_cert (x, key, cn)) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
					    "cannot build the certificate");
		return NULL;
	}
	if (!gen_add_ext (x, NID_basic_constraints, "critical,CA:FALSE", error) ||
	    !gen_add_ext (x, NID_key_usage, "critical,digitalSignature,keyEncipherment", error) ||
	    !gen_add_ext (x, NID_ext_key_usage, "serverAuth,clientAuth", error) ||
	    !gen_add_ext (x, NID_subject_key_identifier, "hash", error) ||
	    !gen_add_ext (x, NID_authority_key_identifier, "keyid:always", error) ||
	    !gen_add_san (x, cn, error))
		return NULL;
	if (X509_sign (x, key, EVP_sha256 ()) <= 0) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
					    "cannot sign the certificate");
		return NULL;
	}
	return g_steal_pointer (&x);
}

static GBytes *
keystore_bio_to_bytes (BIO *bio)
{
	char *data = NULL;
	long len = BIO_get_mem_data (bio, &data);

	return g_bytes_new (data, (gsize) len);
}

static GBytes *
keystore_der_to_bytes (guint8 *der, int len)
{
	GBytes *bytes = len > 0 ? g_bytes_new (der, (gsize) len) : NULL;

	OPENSSL_free (der);
	return bytes;
}

static GBytes *
p12_write_truststore (const char *pass, const char *alias, X509 *cert)
{
	STACK_OF (PKCS12_SAFEBAG) *bags = NULL;
	STACK_OF (PKCS7) *safes = NULL;
	g_autoptr (PKCS12) p12 = NULL;
	ASN1_OBJECT *any_eku = OBJ_txt2obj (KEYSTORE_ANY_EXTENDED_KEY_USAGE, 1);
	PKCS12_SAFEBAG *bag = PKCS12_add_cert (&bags, cert);
	guint8 *der = NULL;
	int len = -1;

	/* len -1: the attribute value is the ASN1_OBJECT itself. */
	if (bag != NULL && any_eku != NULL && PKCS12_add_friendlyname_utf8 (bag, alias, -1) == 1 &&
	    PKCS12_add1_attr_by_txt (bag, KEYSTORE_ORACLE_TRUSTED_KEY_USAGE, V_ASN1_OBJECT,
				     (const unsigned char *) any_eku, -1) == 1 &&
	    PKCS12_add_safe (&safes, bags, NID_aes_256_cbc, KEYSTORE_P12_ITER, pass) == 1)
		p12 = PKCS12_add_safes (safes, 0);
	if (p12 != NULL &&
	    PKCS12_set_mac (p12, pass, -1, NULL, 0, KEYSTORE_P12_ITER, EVP_sha256 ()) == 1)
		len = i2d_PKCS12 (p12, &der);
	ASN1_OBJECT_free (any_eku);
	sk_PKCS12_SAFEBAG_pop_free (bags, PKCS12_SAFEBAG_free);
	sk_PKCS7_pop_free (safes, PKCS7_free);
	return keystore_der_to_bytes (der, len);
}

static GBytes *
p12_write (const char *pass, const char *alias, EVP_PKEY *key, X509 *cert, GError **error)
{
	g_autoptr (PKCS12) p12 = NULL;
	guint8 *der = NULL;
	int len;
	GBytes *bytes;

	if (key == NULL) {
		bytes = p12_write_truststore (pass, alias, cert);
		if (bytes == NULL)
			keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
						    "cannot build the PKCS#12 truststore");
		return bytes;
	}
	/* OpenSSL 3 defaults: AES-256-CBC/PBKDF2 bags, readable by Java since
	 * 8u301 / 11.0.12. */
	p12 = PKCS12_create (pass, alias, key, cert, NULL, 0, 0, KEYSTORE_P12_ITER,
			     KEYSTORE_P12_ITER, 0);
	len = p12 != NULL ? i2d_PKCS12 (p12, &der) : -1;
	if (len <= 0) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
					    "cannot build the PKCS#12 keystore");
		return NULL;
	}
	return keystore_der_to_bytes (der, len);
}

/* The key (encrypted under @pass when there is one, as am_keystore_load
 * expects) followed by the certificate. */
static GBytes *
pem_write (const char *pass, EVP_PKEY *key, X509 *cert, GError **error)
{
	g_autoptr (BIO) bio = BIO_new (BIO_s_secmem ());
	gboolean ok = bio != NULL;

	if (ok && key != NULL && pass != NULL && pass[0] != '\0')
		ok = PEM_write_bio_PKCS8PrivateKey (bio, key, EVP_aes_256_cbc (), pass,
						    (int) strlen (pass), NULL, NULL) == 1;
	else if (ok && key != NULL)
		ok = PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL) == 1;
	if (!ok || PEM_write_bio_X509 (bio, cert) != 1) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
					    "cannot encode the PEM keystore");
		return NULL;
	}
	return keystore_bio_to_bytes (bio);
}

static GBytes *
keystore_serialize (AmKeystoreType type,
		    const char *store_password,
		    const char *alias,
		    EVP_PKEY *key,
		    const char *key_password,
		    X509 *cert,
		    GError **error)
{
	const char *pass = store_password != NULL ? store_password : "";
	STACK_OF (X509) *chain = NULL;
	GBytes *bytes = NULL;

	switch (type) {
	case AM_KEYSTORE_JKS:
		chain = sk_X509_new_null ();
		sk_X509_push (chain, cert);
		bytes = am_keystore_jks_write (pass, alias, key, key_password, chain, error);
		sk_X509_free (chain); /* borrowed entries */
		return bytes;
	case AM_KEYSTORE_PKCS12:
		return p12_write (pass, alias, key, cert, error);
	case AM_KEYSTORE_PEM:
		return pem_write (pass, key, cert, error);
	}
	g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_UNSUPPORTED,
		     "unknown keystore type %d", (int) type);
	return NULL;
}

static gboolean
keystore_write_all (int fd, const guint8 *data, gsize len)
{
	while (len > 0) {
		ssize_t n = write (fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		data += n;
		len -= (gsize) n;
	}
	return TRUE;
}

/* <path>.tmp.XXXXXX, mode 0600, fsync, rename: a reader never sees half a
 * keystore and nobody else ever can read the key. */
static gboolean
keystore_write_file (const char *path, GBytes *bytes, GError **error)
{
	g_autofree char *dir = g_path_get_dirname (path);
	g_autofree char *tmp = g_strconcat (path, ".tmp.XXXXXX", NULL);
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (bytes, &len);
	int fd, saved;
	gboolean ok;

	if (g_mkdir_with_parents (dir, 0700) != 0) {
		saved = errno;
		g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FAILED,
			     "cannot create directory %s: %s", dir, g_strerror (saved));
		return FALSE;
	}
	fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		saved = errno;
		g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FAILED,
			     "cannot create %s: %s", tmp, g_strerror (saved));
		return FALSE;
	}
	ok = keystore_write_all (fd, data, len) && fsync (fd) == 0;
	saved = errno;
	if (close (fd) != 0 && ok) {
		ok = FALSE;
		saved = errno;
	}
	if (ok && g_rename (tmp, path) != 0) {
		ok = FALSE;
		saved = errno;
	}
	if (!ok) {
		g_unlink (tmp);
		g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FAILED,
			     "cannot write %s: %s", path, g_strerror (saved));
	}
	return ok;
}

gboolean
am_keystore_generate_dev (const char *path,
			  AmKeystoreType type,
			  const char *store_password,
			  const char *alias,
			  const char *key_password,
			  const char *common_name,
			  const char *truststore_path,
			  AmKeystoreType truststore_type,
			  const char *truststore_password,
			  GError **error)
{
	g_autoptr (EVP_PKEY) key = EVP_RSA_gen (2048);
	g_autoptr (X509) cert = NULL;
	g_autoptr (GBytes) ks_bytes = NULL;
	g_autoptr (GBytes) ts_bytes = NULL;
	const char *cn = common_name != NULL ? common_name : "localhost";

	g_return_val_if_fail (path != NULL, FALSE);
	if (alias == NULL)
		alias = "wso2carbon";
	if (key == NULL) {
		keystore_set_openssl_error (error, AM_KEYSTORE_ERROR_FAILED,
					    "cannot generate an RSA key");
		return FALSE;
	}
	cert = gen_cert (key, cn, error);
	if (cert == NULL)
		return FALSE;
	/* Encode both before writing either, so that a failure leaves no
	 * keystore without its truststore. */
	ks_bytes = keystore_serialize (type, store_password, alias, key, key_password, cert, error);
	if (ks_bytes == NULL)
		return FALSE;
	if (truststore_path != NULL) {
		ts_bytes = keystore_serialize (truststore_type, truststore_password, alias, NULL,
					       NULL, cert, error);
		if (ts_bytes == NULL)
			return FALSE;
	}
	ERR_clear_error ();
	if (!keystore_write_file (path, ks_bytes, error))
		return FALSE;
	return ts_bytes == NULL || keystore_write_file (truststore_path, ts_bytes, error);
}
