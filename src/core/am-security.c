/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "security" core module: loads carbon.xml Security/KeyStore (the key
 * behind 9443, 8243, 10397 and JWT signing) and Security/TrustStore.  On a
 * first start without a keystore file it creates a self-signed development
 * keystore (and a truststore holding its certificate) in the configured
 * format, as no private key is ever shipped with apimd.
 */
#define G_LOG_DOMAIN "am.core.security"
#include "config.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "am-server.h"

typedef struct {
	AmServer *server;
	AmKeystore *keystore;
	AmKeystore *truststore;
} AmSecurity;

static char *
security_fingerprint (X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	GString *s = g_string_new (NULL);

	if (cert != NULL && X509_digest (cert, EVP_sha256 (), md, &len) == 1) {
		for (unsigned int i = 0; i < len; i++)
			g_string_append_printf (s, "%s%02X", i ? ":" : "", md[i]);
	}
	return g_string_free (s, FALSE);
}

static gboolean
security_generate (const AmCoreConf *core, const char *cn, GError **error)
{
	const char *trust = NULL;

	/* a missing truststore is created next to it, holding the new cert */
	if (!g_file_test (core->truststore_location, G_FILE_TEST_EXISTS))
		trust = core->truststore_location;
	g_message ("No keystore at %s: creating a self-signed development keystore for '%s'",
		   core->keystore_location, cn);
	return am_keystore_generate_dev (core->keystore_location, core->keystore_type,
					 core->keystore_password, core->keystore_key_alias,
					 core->keystore_key_password, cn, trust,
					 core->truststore_type, core->truststore_password, error);
}

static void security_stop (gpointer state);

static gpointer
security_start (AmServer *server, GError **error)
{
	AmConf *conf = am_server_get_conf (server);
	const AmCoreConf *core = am_conf_core (conf);
	AmSecurity *self = g_new0 (AmSecurity, 1);
	g_autofree char *fp = NULL;
	g_autofree char *subject = NULL;

	self->server = server;
	if (!g_file_test (core->keystore_location, G_FILE_TEST_EXISTS) &&
	    !security_generate (core, core->host_name ? core->host_name : "localhost", error)) {
		security_stop (self);
		return NULL;
	}
	self->keystore = am_keystore_load (core->keystore_location, core->keystore_type,
					   core->keystore_password, core->keystore_key_alias,
					   core->keystore_key_password, error);
	if (self->keystore == NULL || am_keystore_get_key (self->keystore) == NULL) {
		if (self->keystore != NULL)
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				     "%s holds no private key", core->keystore_location);
		g_prefix_error (error, "carbon.xml Security/KeyStore: ");
		security_stop (self);
		return NULL;
	}
	if (g_file_test (core->truststore_location, G_FILE_TEST_EXISTS)) {
		self->truststore = am_keystore_load (core->truststore_location,
						     core->truststore_type,
						     core->truststore_password, NULL, NULL, error);
		if (self->truststore == NULL) {
			g_prefix_error (error, "carbon.xml Security/TrustStore: ");
			security_stop (self);
			return NULL;
		}
	} else {
		g_warning ("No truststore at %s: outgoing TLS will trust nothing extra",
			   core->truststore_location);
	}
	fp = security_fingerprint (am_keystore_get_cert (self->keystore));
	subject = X509_NAME_oneline (X509_get_subject_name (am_keystore_get_cert (self->keystore)),
				     NULL, 0);
	g_message ("Keystore %s: alias %s, %s, SHA-256 %s", core->keystore_location,
		   am_keystore_get_alias (self->keystore), subject, fp);
	am_server_set_keystores (server, self->keystore, self->truststore);
	return self;
}

static void
security_stop (gpointer state)
{
	AmSecurity *self = state;

	if (am_server_get_keystore (self->server) == self->keystore)
		am_server_set_keystores (self->server, NULL, NULL);
	g_clear_pointer (&self->keystore, am_keystore_free);
	g_clear_pointer (&self->truststore, am_keystore_free);
	g_free (self);
}

const AmModule am_security_module = {
	.name = "security",
	.start = security_start,
	.stop = security_stop,
};
