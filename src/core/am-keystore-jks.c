/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Java "JKS" keystore format (sun.security.provider.JavaKeyStore), read
 * and written, so that apimd can use the wso2carbon.jks and
 * client-truststore.jks that carbon.xml Security/KeyStore and
 * Security/TrustStore point at, and write development keystores that Java's
 * keytool accepts.
 *
 * Layout, all integers big-endian:
 *
 *   u32 magic 0xFEEDFEED, u32 version (2; 1 has no certificate type
 *   strings), u32 entry count, then per entry a u32 tag:
 *     1 private key:  alias (UTF), u64 date (ms), u32 len + DER
 *                     EncryptedPrivateKeyInfo, u32 chain length, per
 *                     certificate: type (UTF, "X.509") + u32 len + DER
 *     2 trusted cert: alias (UTF), u64 date, type (UTF) + u32 len + DER
 *   and finally SHA-1 (password as UTF-16BE || "Mighty Aphrodite" || every
 *   preceding byte).
 *
 * "UTF" is Java's DataOutput.writeUTF: u16 byte count + modified UTF-8.
 * Keys are protected by Sun's KeyProtector (OID 1.3.6.1.4.1.42.2.17.1.1):
 * salt (20) || key XOR keystream || SHA-1 (password || key), where the
 * keystream is SHA-1 (password || salt), SHA-1 (password || previous), ...
 *
 * The reader never trusts a length: every field is checked against the
 * bytes left, nothing is allocated from a declared count, and the integrity
 * digest is checked before any DER is decoded.  Aliases are compared
 * case-insensitively, as JKS does.
 */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "am-keystore-private.h"

#define JKS_DIGEST_LEN 20
#define JKS_SALT_LEN 20
#define JKS_TAG_PRIVATE_KEY 1
#define JKS_TAG_TRUSTED_CERT 2
#define JKS_KEY_PROTECTOR_OID "1.3.6.1.4.1.42.2.17.1.1"
#define JCEKS_KEY_PROTECTOR_OID "1.3.6.1.4.1.42.2.19.1"
#define JKS_WHITENER "Mighty Aphrodite"

/* A buffer holding a secret (a password's bytes, a decrypted key):
 * cleansed before it is freed. */
typedef struct {
	guint8 *data;
	gsize len;
} JksSecret;

static void
jks_secret_free (JksSecret *s)
{
	if (s == NULL)
		return;
	if (s->data != NULL)
		OPENSSL_cleanse (s->data, s->len);
	g_free (s->data);
	g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JksSecret, jks_secret_free)

static JksSecret *
jks_secret_new (gsize len)
{
	JksSecret *s = g_new0 (JksSecret, 1);

	s->data = g_malloc0 (MAX (len, 1));
	s->len = len;
	return s;
}

/* Java hashes a char[] password as two bytes per UTF-16 code unit. */
static JksSecret *
jks_password_bytes (const char *password, GError **error)
{
	glong n_units = 0;
	g_autofree gunichar2 *units = NULL;
	JksSecret *s;

	units = g_utf8_to_utf16 (password, -1, NULL, &n_units, NULL);
	if (units == NULL) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_PASSWORD,
				     "password is not valid UTF-8");
		return NULL;
	}
	s = jks_secret_new ((gsize) n_units * 2);
	for (glong i = 0; i < n_units; i++) {
		s->data[2 * i] = (guint8) (units[i] >> 8);
		s->data[2 * i + 1] = (guint8) (units[i] & 0xff);
	}
	OPENSSL_cleanse (units, (gsize) n_units * sizeof (gunichar2));
	return s;
}

/* SHA-1 over up to three concatenated parts (NULL parts are skipped). */
static gboolean
jks_sha1 (const void *a,
	  gsize alen,
	  const void *b,
	  gsize blen,
	  const void *c,
	  gsize clen,
	  guint8 out[JKS_DIGEST_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
	unsigned int outlen = 0;
	gboolean ok;

	ok = ctx != NULL && EVP_DigestInit_ex (ctx, EVP_sha1 (), NULL) == 1 &&
	     (a == NULL || EVP_DigestUpdate (ctx, a, alen) == 1) &&
	     (b == NULL || EVP_DigestUpdate (ctx, b, blen) == 1) &&
	     (c == NULL || EVP_DigestUpdate (ctx, c, clen) == 1) &&
	     EVP_DigestFinal_ex (ctx, out, &outlen) == 1 && outlen == JKS_DIGEST_LEN;
	EVP_MD_CTX_free (ctx);
	return ok;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct {
	const guint8 *p;
	gsize left;
} JksReader;

typedef struct {
	const guint8 *der;
	gsize len;
} JksBlob;

typedef struct {
	char *alias;
	guint32 tag;
	JksBlob key;	/* tag 1 only */
	GArray *certs; /* of JksBlob */
} JksEntry;

static void
jks_entry_clear (gpointer data)
{
	JksEntry *e = data;

	g_free (e->alias);
	g_clear_pointer (&e->certs, g_array_unref);
}

static gboolean
jks_truncated (GError **error)
{
	g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
			     "JKS keystore is truncated or corrupt");
	return FALSE;
}

static gboolean
jks_read_bytes (JksReader *r, gsize n, const guint8 **out, GError **error)
{
	if (n > r->left)
		return jks_truncated (error);
	*out = r->p;
	r->p += n;
	r->left -= n;
	return TRUE;
}

static gboolean
jks_read_u32 (JksReader *r, guint32 *out, GError **error)
{
	const guint8 *p;

	if (!jks_read_bytes (r, 4, &p, error))
		return FALSE;
	*out = ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
	return TRUE;
}

static gboolean
jks_read_u16 (JksReader *r, guint16 *out, GError **error)
{
	const guint8 *p;

	if (!jks_read_bytes (r, 2, &p, error))
		return FALSE;
	*out = (guint16) (((guint) p[0] << 8) | p[1]);
	return TRUE;
}

/* Decode Java's modified UTF-8 (NUL as C0 80, supplementary characters as
 * two 3-byte surrogates) into UTF-8.  NUL is refused: it cannot be an alias
 * in C. */
static char *
jks_decode_modified_utf8 (const guint8 *p, gsize n, GError **error)
{
	g_autoptr (GArray) units = g_array_sized_new (FALSE, FALSE, sizeof (gunichar2), n);
	char *utf8;
	gsize i = 0;

	while (i < n) {
		guint c = p[i];
		gunichar2 u;

		if (c > 0 && c < 0x80) {
			u = (gunichar2) c;
			i += 1;
		} else if ((c & 0xe0) == 0xc0 && i + 1 < n && (p[i + 1] & 0xc0) == 0x80) {
			u = (gunichar2) (((c & 0x1f) << 6) | (p[i + 1] & 0x3f));
			i += 2;
		} else if ((c & 0xf0) == 0xe0 && i + 2 < n && (p[i + 1] & 0xc0) == 0x80 &&
			   (p[i + 2] & 0xc0) == 0x80) {
			u = (gunichar2) (((c & 0x0f) << 12) | ((p[i + 1] & 0x3f) << 6) |
					 (p[i + 2] & 0x3f));
			i += 3;
		} else {
			u = 0;
		}
		if (u == 0) {
			g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
					     "JKS alias is not valid modified UTF-8");
			return NULL;
		}
		g_array_append_val (units, u);
	}
	if (units->len == 0)
		return g_strdup ("");
	utf8 = g_utf16_to_utf8 ((gunichar2 *) units->data, (glong) units->len, NULL, NULL, NULL);
	if (utf8 == NULL)
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
				     "JKS alias is not valid UTF-16");
	return utf8;
}

static gboolean
jks_read_utf (JksReader *r, char **out, GError **error)
{
	guint16 n;
	const guint8 *p;

	if (!jks_read_u16 (r, &n, error) || !jks_read_bytes (r, n, &p, error))
		return FALSE;
	*out = jks_decode_modified_utf8 (p, n, error);
	return *out != NULL;
}

/* u32 length + that many bytes, for DER blobs. */
static gboolean
jks_read_blob (JksReader *r, JksBlob *out, GError **error)
{
	guint32 n;

	if (!jks_read_u32 (r, &n, error) || !jks_read_bytes (r, n, &out->der, error))
		return FALSE;
	out->len = n;
	return TRUE;
}

/* A certificate: its type string (version 2 only), then the DER blob. */
static gboolean
jks_read_cert (JksReader *r, guint32 version, GArray *certs, GError **error)
{
	JksBlob blob;

	if (version == 2) {
		g_autofree char *type = NULL;

		if (!jks_read_utf (r, &type, error))
			return FALSE;
		if (g_strcmp0 (type, "X.509") != 0) {
			g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_UNSUPPORTED,
				     "JKS certificate type \"%s\" is not supported (only X.509)",
				     type);
			return FALSE;
		}
	}
	if (!jks_read_blob (r, &blob, error))
		return FALSE;
	g_array_append_val (certs, blob);
	return TRUE;
}

static gboolean
jks_read_entry (JksReader *r, guint32 version, JksEntry *e, GError **error)
{
	const guint8 *date;
	guint32 n_certs = 1;

	if (!jks_read_u32 (r, &e->tag, error))
		return FALSE;
	if (e->tag != JKS_TAG_PRIVATE_KEY && e->tag != JKS_TAG_TRUSTED_CERT) {
		g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
			     "unknown JKS entry tag %u", e->tag);
		return FALSE;
	}
	if (!jks_read_utf (r, &e->alias, error) || !jks_read_bytes (r, 8, &date, error))
		return FALSE;
	if (e->tag == JKS_TAG_PRIVATE_KEY &&
	    (!jks_read_blob (r, &e->key, error) || !jks_read_u32 (r, &n_certs, error)))
		return FALSE;
	/* Never size anything from n_certs: each certificate read below
	 * consumes bytes, so a lying count runs out of input. */
	e->certs = g_array_new (FALSE, FALSE, sizeof (JksBlob));
	for (guint32 i = 0; i < n_certs; i++) {
		if (!jks_read_cert (r, version, e->certs, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
jks_read_header (JksReader *r, guint32 *version, guint32 *count, GError **error)
{
	guint32 magic;

	if (!jks_read_u32 (r, &magic, error))
		return FALSE;
	if (magic == AM_KEYSTORE_JCEKS_MAGIC) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_UNSUPPORTED,
				     "JCEKS keystores are not supported: convert it with "
				     "keytool -importkeystore -deststoretype PKCS12");
		return FALSE;
	}
	if (magic != AM_KEYSTORE_JKS_MAGIC) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
				     "not a JKS keystore (bad magic number)");
		return FALSE;
	}
	if (!jks_read_u32 (r, version, error) || !jks_read_u32 (r, count, error))
		return FALSE;
	if (*version != 1 && *version != 2) {
		g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
			     "unsupported JKS version %u", *version);
		return FALSE;
	}
	return TRUE;
}

static gboolean
jks_check_integrity (const guint8 *body,
		     gsize body_len,
		     const guint8 *digest,
		     const char *store_password,
		     GError **error)
{
	g_autoptr (JksSecret) pw = jks_password_bytes (store_password, error);
	guint8 md[JKS_DIGEST_LEN];

	if (pw == NULL)
		return FALSE;
	if (!jks_sha1 (pw->data, pw->len, JKS_WHITENER, strlen (JKS_WHITENER), body, body_len,
		       md)) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FAILED,
				     "SHA-1 is not available");
		return FALSE;
	}
	if (CRYPTO_memcmp (md, digest, JKS_DIGEST_LEN) != 0) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_PASSWORD,
				     "JKS integrity check failed: wrong keystore password, "
				     "or the file was modified");
		return FALSE;
	}
	return TRUE;
}

/* XOR @in with Sun's SHA-1 keystream seeded by @salt into @out. */
static gboolean
jks_keystream_xor (const JksSecret *pw,
		   const guint8 *salt,
		   const guint8 *in,
		   guint8 *out,
		   gsize len)
{
	guint8 d[JKS_DIGEST_LEN];

	memcpy (d, salt, JKS_DIGEST_LEN);
	for (gsize off = 0; off < len; off += JKS_DIGEST_LEN) {
		gsize n = MIN ((gsize) JKS_DIGEST_LEN, len - off);

		if (!jks_sha1 (pw->data, pw->len, d, JKS_DIGEST_LEN, NULL, 0, d))
			return FALSE;
		for (gsize i = 0; i < n; i++)
			out[off + i] = in[off + i] ^ d[i];
	}
	OPENSSL_cleanse (d, sizeof d);
	return TRUE;
}

/* The protected bytes of an EncryptedPrivateKeyInfo, if it uses Sun's
 * KeyProtector. */
static gboolean
jks_unwrap_epki (X509_SIG *sig, const guint8 **data, gsize *len, GError **error)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OCTET_STRING *oct = NULL;
	const ASN1_OBJECT *oid = NULL;
	char oid_text[80] = "";

	X509_SIG_get0 (sig, &alg, &oct);
	X509_ALGOR_get0 (&oid, NULL, NULL, alg);
	OBJ_obj2txt (oid_text, sizeof oid_text, oid, 1);
	if (g_strcmp0 (oid_text, JKS_KEY_PROTECTOR_OID) != 0) {
		g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_UNSUPPORTED,
			     "unsupported key protection algorithm %s%s", oid_text,
			     g_strcmp0 (oid_text, JCEKS_KEY_PROTECTOR_OID) == 0 ? " (JCEKS)"
										: "");
		return FALSE;
	}
	*data = ASN1_STRING_get0_data (oct);
	*len = (gsize) ASN1_STRING_length (oct);
	if (*len <= JKS_SALT_LEN + JKS_DIGEST_LEN) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
				     "protected JKS key is too short");
		return FALSE;
	}
	return TRUE;
}

/* Sun's KeyProtector.recover(): decrypt, check, decode the PKCS#8. */
static EVP_PKEY *
jks_recover_key (const JksBlob *blob, const char *key_password, GError **error)
{
	const guint8 *p = blob->der, *data, *q;
	g_autoptr (X509_SIG) sig = NULL;
	g_autoptr (JksSecret) pw = NULL;
	g_autoptr (JksSecret) plain = NULL;
	g_autoptr (PKCS8_PRIV_KEY_INFO) p8 = NULL;
	guint8 check[JKS_DIGEST_LEN];
	gsize len, key_len;
	EVP_PKEY *pkey;

	if (blob->len <= G_MAXLONG)
		sig = d2i_X509_SIG (NULL, &p, (long) blob->len);
	if (sig == NULL || p != blob->der + blob->len) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
				     "JKS key entry is not an EncryptedPrivateKeyInfo");
		return NULL;
	}
	if (!jks_unwrap_epki (sig, &data, &len, error))
		return NULL;
	pw = jks_password_bytes (key_password, error);
	if (pw == NULL)
		return NULL;
	key_len = len - JKS_SALT_LEN - JKS_DIGEST_LEN;
	plain = jks_secret_new (key_len);
	if (!jks_keystream_xor (pw, data, data + JKS_SALT_LEN, plain->data, key_len) ||
	    !jks_sha1 (pw->data, pw->len, plain->data, key_len, NULL, 0, check)) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FAILED,
				     "SHA-1 is not available");
		return NULL;
	}
	if (CRYPTO_memcmp (check, data + JKS_SALT_LEN + key_len, JKS_DIGEST_LEN) != 0) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_PASSWORD,
				     "cannot recover the private key: wrong key password");
		return NULL;
	}
	q = plain->data;
	p8 = d2i_PKCS8_PRIV_KEY_INFO (NULL, &q, (long) key_len);
	pkey = p8 != NULL && q == plain->data + key_len ? EVP_PKCS82PKEY (p8) : NULL;
	if (pkey == NULL)
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
				     "JKS private key is not a valid PKCS#8 key");
	return pkey;
}

static X509 *
jks_decode_cert (const JksBlob *blob, GError **error)
{
	const guint8 *p = blob->der;
	X509 *x = blob->len <= G_MAXLONG ? d2i_X509 (NULL, &p, (long) blob->len) : NULL;

	if (x != NULL && p == blob->der + blob->len)
		return x;
	X509_free (x);
	g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
			     "JKS entry holds an invalid X.509 certificate");
	return NULL;
}

/* Decode every certificate; remember the chain of @selected. */
static gboolean
jks_collect_certs (AmKeystore *ks, GArray *entries, const JksEntry *selected, GError **error)
{
	for (guint i = 0; i < entries->len; i++) {
		const JksEntry *e = &g_array_index (entries, JksEntry, i);

		for (guint j = 0; j < e->certs->len; j++) {
			X509 *x = jks_decode_cert (&g_array_index (e->certs, JksBlob, j), error);

			if (x == NULL) {
				g_prefix_error (error, "entry \"%s\": ", e->alias);
				return FALSE;
			}
			am_keystore_add_certificate (ks, x);
			if (e == selected)
				sk_X509_push (ks->chain, x);
			else
				X509_free (x);
		}
	}
	return TRUE;
}

static const JksEntry *
jks_select_key_entry (GArray *entries, const char *key_alias, GError **error)
{
	for (guint i = 0; i < entries->len; i++) {
		const JksEntry *e = &g_array_index (entries, JksEntry, i);

		gboolean named = key_alias != NULL && am_keystore_alias_equal (e->alias, key_alias);

		if (e->tag == JKS_TAG_PRIVATE_KEY && (key_alias == NULL || named))
			return e;
		if (!named)
			continue;
		g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_NO_ALIAS,
			     "entry \"%s\" is a trusted certificate, not a private key", e->alias);
		return NULL;
	}
	if (key_alias != NULL)
		g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_NO_ALIAS,
			     "no private key entry with alias \"%s\"", key_alias);
	return NULL;
}

static GArray *
jks_read_entries (JksReader *r, guint32 version, guint32 count, GError **error)
{
	g_autoptr (GArray) entries = g_array_new (FALSE, TRUE, sizeof (JksEntry));

	g_array_set_clear_func (entries, jks_entry_clear);
	for (guint32 i = 0; i < count; i++) {
		JksEntry e = {0};
		gboolean ok = jks_read_entry (r, version, &e, error);

		g_array_append_val (entries, e);
		if (!ok)
			return NULL;
	}
	return g_steal_pointer (&entries);
}

AmKeystore *
am_keystore_jks_parse (const guint8 *data,
		       gsize len,
		       const char *store_password,
		       const char *key_alias,
		       const char *key_password,
		       GError **error)
{
	JksReader r = {data, len};
	guint32 version, count;
	g_autoptr (GArray) entries = NULL;
	g_autoptr (AmKeystore) ks = NULL;
	const guint8 *digest;
	const JksEntry *selected;

	if (!jks_read_header (&r, &version, &count, error))
		return NULL;
	entries = jks_read_entries (&r, version, count, error);
	if (entries == NULL)
		return NULL;
	/* Like Java, bytes after the digest are ignored. */
	if (!jks_read_bytes (&r, JKS_DIGEST_LEN, &digest, error))
		return NULL;
	if (store_password != NULL &&
	    !jks_check_integrity (data, (gsize) (digest - data), digest, store_password, error))
		return NULL;

	selected = jks_select_key_entry (entries, key_alias, error);
	if (selected == NULL && key_alias != NULL)
		return NULL;
	ks = am_keystore_new_empty (AM_KEYSTORE_JKS);
	if (!jks_collect_certs (ks, entries, selected, error))
		return NULL;
	if (selected == NULL)
		return g_steal_pointer (&ks);
	if (sk_X509_num (ks->chain) == 0) {
		g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FORMAT,
			     "entry \"%s\" has no certificate", selected->alias);
		return NULL;
	}
	if (key_password == NULL)
		key_password = store_password;
	if (key_password == NULL) {
		g_set_error (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_PASSWORD,
			     "entry \"%s\": no password to recover the private key",
			     selected->alias);
		return NULL;
	}
	ks->key = jks_recover_key (&selected->key, key_password, error);
	if (ks->key == NULL) {
		g_prefix_error (error, "entry \"%s\": ", selected->alias);
		return NULL;
	}
	ks->alias = g_strdup (selected->alias);
	return g_steal_pointer (&ks);
}

/* ---- writing ------------------------------------------------------------ */

static void
jks_put_u32 (GByteArray *out, guint32 v)
{
	guint8 b[4] = {(guint8) (v >> 24), (guint8) (v >> 16), (guint8) (v >> 8), (guint8) v};

	g_byte_array_append (out, b, 4);
}

static void
jks_put_u64 (GByteArray *out, guint64 v)
{
	jks_put_u32 (out, (guint32) (v >> 32));
	jks_put_u32 (out, (guint32) v);
}

static gboolean
jks_put_utf (GByteArray *out, const char *s, GError **error)
{
	glong n_units = 0;
	g_autofree gunichar2 *units = g_utf8_to_utf16 (s, -1, NULL, &n_units, NULL);
	g_autoptr (GByteArray) enc = g_byte_array_new ();

	for (glong i = 0; units != NULL && i < n_units; i++) {
		guint u = units[i];
		guint8 b[3];

		if (u >= 1 && u < 0x80) {
			b[0] = (guint8) u;
			g_byte_array_append (enc, b, 1);
		} else if (u < 0x800) {
			b[0] = (guint8) (0xc0 | (u >> 6));
			b[1] = (guint8) (0x80 | (u & 0x3f));
			g_byte_array_append (enc, b, 2);
		} else {
			b[0] = (guint8) (0xe0 | (u >> 12));
			b[1] = (guint8) (0x80 | ((u >> 6) & 0x3f));
			b[2] = (guint8) (0x80 | (u & 0x3f));
			g_byte_array_append (enc, b, 3);
		}
	}
	if (units == NULL || enc->len > G_MAXUINT16) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FAILED,
				     "alias is not valid UTF-8 or too long for JKS");
		return FALSE;
	}
	g_byte_array_append (out, (guint8[]){(guint8) (enc->len >> 8), (guint8) enc->len}, 2);
	g_byte_array_append (out, enc->data, enc->len);
	return TRUE;
}

static void
jks_put_blob (GByteArray *out, const guint8 *der, gsize len)
{
	jks_put_u32 (out, (guint32) len);
	g_byte_array_append (out, der, (guint) len);
}

static gboolean
jks_put_cert (GByteArray *out, X509 *x, GError **error)
{
	guint8 *der = NULL;
	int len = i2d_X509 (x, &der);

	if (len <= 0) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FAILED,
				     "cannot encode certificate");
		return FALSE;
	}
	if (!jks_put_utf (out, "X.509", error))
		return FALSE;
	jks_put_blob (out, der, (gsize) len);
	OPENSSL_free (der);
	return TRUE;
}

static JksSecret *
jks_encode_pkcs8 (EVP_PKEY *key)
{
	g_autoptr (PKCS8_PRIV_KEY_INFO) p8 = EVP_PKEY2PKCS8 (key);
	guint8 *der = NULL;
	int len = p8 != NULL ? i2d_PKCS8_PRIV_KEY_INFO (p8, &der) : -1;
	JksSecret *s;

	if (len <= 0)
		return NULL;
	s = jks_secret_new ((gsize) len);
	memcpy (s->data, der, (gsize) len);
	OPENSSL_clear_free (der, (gsize) len);
	return s;
}

/* salt || key XOR keystream || SHA-1 (password || key), as an
 * EncryptedPrivateKeyInfo under the KeyProtector OID. */
static gboolean
jks_put_protected_key (GByteArray *out, EVP_PKEY *key, const char *key_password, GError **error)
{
	g_autoptr (JksSecret) pw = jks_password_bytes (key_password, error);
	g_autoptr (JksSecret) plain = NULL;
	g_autofree guint8 *prot = NULL;
	g_autoptr (X509_SIG) sig = X509_SIG_new ();
	X509_ALGOR *alg = NULL;
	ASN1_OCTET_STRING *oct = NULL;
	guint8 *der = NULL;
	gsize prot_len;
	int der_len = -1;

	if (pw == NULL)
		return FALSE;
	plain = jks_encode_pkcs8 (key);
	if (plain != NULL && sig != NULL) {
		prot_len = JKS_SALT_LEN + plain->len + JKS_DIGEST_LEN;
		prot = g_malloc (prot_len);
		X509_SIG_getm (sig, &alg, &oct);
		if (RAND_bytes (prot, JKS_SALT_LEN) == 1 &&
		    jks_keystream_xor (pw, prot, plain->data, prot + JKS_SALT_LEN, plain->len) &&
		    jks_sha1 (pw->data, pw->len, plain->data, plain->len, NULL, 0,
			      prot + JKS_SALT_LEN + plain->len) &&
		    X509_ALGOR_set0 (alg, OBJ_txt2obj (JKS_KEY_PROTECTOR_OID, 1), V_ASN1_NULL,
				     NULL) == 1 &&
		    ASN1_OCTET_STRING_set (oct, prot, (int) prot_len) == 1)
			der_len = i2d_X509_SIG (sig, &der);
	}
	if (der_len <= 0) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FAILED,
				     "cannot protect the private key for JKS");
		return FALSE;
	}
	jks_put_blob (out, der, (gsize) der_len);
	OPENSSL_free (der);
	return TRUE;
}

static gboolean
jks_put_entry (GByteArray *out,
	       const char *alias,
	       EVP_PKEY *key,
	       const char *key_password,
	       STACK_OF (X509) *chain,
	       GError **error)
{
	/* JKS aliases are case-insensitive; keytool stores them lower-cased. */
	g_autofree char *lower = g_utf8_strdown (alias, -1);
	int n = sk_X509_num (chain);

	jks_put_u32 (out, key != NULL ? JKS_TAG_PRIVATE_KEY : JKS_TAG_TRUSTED_CERT);
	if (!jks_put_utf (out, lower, error))
		return FALSE;
	jks_put_u64 (out, (guint64) (g_get_real_time () / 1000));
	if (key == NULL)
		return jks_put_cert (out, sk_X509_value (chain, 0), error);
	if (!jks_put_protected_key (out, key, key_password, error))
		return FALSE;
	jks_put_u32 (out, (guint32) n);
	for (int i = 0; i < n; i++) {
		if (!jks_put_cert (out, sk_X509_value (chain, i), error))
			return FALSE;
	}
	return TRUE;
}

GBytes *
am_keystore_jks_write (const char *store_password,
		       const char *alias,
		       EVP_PKEY *key,
		       const char *key_password,
		       STACK_OF (X509) *chain,
		       GError **error)
{
	g_autoptr (GByteArray) out = g_byte_array_new ();
	g_autoptr (JksSecret) pw = NULL;
	guint8 md[JKS_DIGEST_LEN];

	g_return_val_if_fail (store_password != NULL && alias != NULL, NULL);
	g_return_val_if_fail (sk_X509_num (chain) > 0, NULL);

	pw = jks_password_bytes (store_password, error);
	if (pw == NULL)
		return NULL;
	jks_put_u32 (out, AM_KEYSTORE_JKS_MAGIC);
	jks_put_u32 (out, 2);
	jks_put_u32 (out, 1);
	if (!jks_put_entry (out, alias, key, key_password != NULL ? key_password : store_password,
			    chain, error))
		return NULL;
	if (!jks_sha1 (pw->data, pw->len, JKS_WHITENER, strlen (JKS_WHITENER), out->data,
		       out->len, md)) {
		g_set_error_literal (error, AM_KEYSTORE_ERROR, AM_KEYSTORE_ERROR_FAILED,
				     "SHA-1 is not available");
		return NULL;
	}
	g_byte_array_append (out, md, JKS_DIGEST_LEN);
	return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
