/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the configuration layer: every directive kind of the generic
 * loader, defaults, placeholders, errors with file and line (all of them at
 * once), the shipped legacy files, port offsets and the Thrift port rule,
 * secret masking in -T, and the restart-only check of a reload.
 */
#include "config.h"

#include "am-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

#include "am-conf.h"
#include "am-module.h"

/* ---- a table with every kind ---- */

typedef struct {
	char *name;
	int weight;
} Item;

typedef struct {
	char *str;
	char *with_default;
	gboolean flag;
	int count;
	gint64 big;
	int port;
	int color;
	char **list;
	char *url;
	char *secret;
	char *attr;
	char *pred;
	char *placeholder;
	GPtrArray *items;
	char *required;
} Kinds;

static const AmConfEnum colors[] = { { "red", 1 }, { "green", 2 }, { NULL, 0 } };

static const AmConfDirective item_table[] = {
	{ 0, "@name", AM_CONF_STR, G_STRUCT_OFFSET (Item, name), NULL, AM_CONF_REQUIRED },
	{ 0, "Weight", AM_CONF_INT, G_STRUCT_OFFSET (Item, weight), "1", 0, 0, 100 },
	{ 0 },
};
static const AmConfListSpec item_list = { sizeof (Item), item_table, "@name" };

#define F AM_CONF_FILE_API_MANAGER
#define K(path, type, field, def, flags) \
	{ F, path, type, G_STRUCT_OFFSET (Kinds, field), def, flags, 0, 0, NULL }
static const AmConfDirective kinds_table[] = {
	K ("A/Str", AM_CONF_STR, str, NULL, 0),
	K ("A/Missing", AM_CONF_STR, with_default, "fallback", 0),
	K ("A/Flag", AM_CONF_BOOL, flag, "false", 0),
	{ F, "A/Count", AM_CONF_INT, G_STRUCT_OFFSET (Kinds, count), "0", 0, 0, 10 },
	K ("A/Big", AM_CONF_INT64, big, NULL, 0),
	K ("A/Port", AM_CONF_PORT, port, NULL, 0),
	{ F, "A/Color", AM_CONF_ENUM, G_STRUCT_OFFSET (Kinds, color), "red", 0, 0, 0, colors },
	K ("A/List", AM_CONF_STRV, list, NULL, 0),
	K ("A/Url", AM_CONF_URL, url, NULL, 0),
	K ("A/Secret", AM_CONF_STR, secret, NULL, AM_CONF_SECRET),
	K ("B/@kind", AM_CONF_STR, attr, NULL, 0),
	K ("C/P[@name='two']", AM_CONF_STR, pred, NULL, 0),
	K ("A/Placeholder", AM_CONF_STR, placeholder, NULL, 0),
	{ F, "Items/Item", AM_CONF_LIST, G_STRUCT_OFFSET (Kinds, items), NULL, 0, 0, 0, &item_list },
	K ("A/Required", AM_CONF_STR, required, NULL, AM_CONF_REQUIRED),
	{ 0 },
};

static GPtrArray *
apply_xml (const char *xml, Kinds *k, AmConfProps *props)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (AmConfDoc) doc = am_conf_doc_load_memory (xml, strlen (xml), "t.xml", errors);
	AmConfDoc *docs[AM_CONF_N_FILES] = { NULL };

	if (doc == NULL)
		return errors;
	docs[F] = doc;
	am_conf_apply (docs, kinds_table, k, props, errors);
	return errors;
}

static gboolean
errors_have (GPtrArray *errors, const char *needle)
{
	for (guint i = 0; i < errors->len; i++) {
		if (strstr (errors->pdata[i], needle) != NULL)
			return TRUE;
	}
	g_test_message ("no error containing '%s' among %u:", needle, errors->len);
	for (guint i = 0; i < errors->len; i++)
		g_test_message ("  %s", (char *) errors->pdata[i]);
	return FALSE;
}

static void
test_kinds (void)
{
	const char *xml = "<Root xmlns=\"http://example.org/ns\">\n"
			  "  <A>\n"
			  "    <Str>  hello world  </Str>\n"
			  "    <Flag>TRUE</Flag>\n"
			  "    <Count>7</Count>\n"
			  "    <Big>9000000000</Big>\n"
			  "    <Port>8443</Port>\n"
			  "    <Color>Green</Color>\n"
			  "    <List> a, b ,,c </List>\n"
			  "    <Url>https://localhost:${p}/services/</Url>\n"
			  "    <Secret>s3cret</Secret>\n"
			  "    <Placeholder>${carbon.home}/x</Placeholder>\n"
			  "    <Required>yes</Required>\n"
			  "  </A>\n"
			  "  <B kind=\"attr-value\"/>\n"
			  "  <C><P name=\"one\">1</P><P name=\"two\">2</P></C>\n"
			  "  <Items><Item name=\"x\"><Weight>5</Weight></Item><Item name=\"y\"/></Items>\n"
			  "</Root>\n";
	g_autoptr (GHashTable) props = g_hash_table_new (g_str_hash, g_str_equal);
	g_autoptr (GPtrArray) errors = NULL;
	Kinds k = { 0 };

	g_hash_table_insert (props, "p", "9443");
	g_hash_table_insert (props, "carbon.home", "/opt/am");
	errors = apply_xml (xml, &k, props);
	g_assert_cmpuint (errors->len, ==, 0);
	g_assert_cmpstr (k.str, ==, "hello world");
	g_assert_cmpstr (k.with_default, ==, "fallback");
	g_assert_true (k.flag);
	g_assert_cmpint (k.count, ==, 7);
	g_assert_cmpint (k.big, ==, G_GINT64_CONSTANT (9000000000));
	g_assert_cmpint (k.port, ==, 8443);
	g_assert_cmpint (k.color, ==, 2);
	g_assert_cmpuint (g_strv_length (k.list), ==, 3);
	g_assert_cmpstr (k.list[2], ==, "c");
	g_assert_cmpstr (k.url, ==, "https://localhost:9443/services/");
	g_assert_cmpstr (k.secret, ==, "s3cret");
	g_assert_cmpstr (k.attr, ==, "attr-value");
	g_assert_cmpstr (k.pred, ==, "2");
	g_assert_cmpstr (k.placeholder, ==, "/opt/am/x");
	g_assert_cmpuint (k.items->len, ==, 2);
	g_assert_cmpstr (((Item *) k.items->pdata[0])->name, ==, "x");
	g_assert_cmpint (((Item *) k.items->pdata[0])->weight, ==, 5);
	g_assert_cmpint (((Item *) k.items->pdata[1])->weight, ==, 1);
	am_conf_clear (kinds_table, &k);
	g_assert_null (k.str);
	g_assert_null (k.items);
}

static void
test_errors_all_at_once (void)
{
	const char *xml = "<Root>\n"			     /* 1 */
			  "  <A>\n"			     /* 2 */
			  "    <Flag>yes</Flag>\n"	     /* 3 */
			  "    <Count>11</Count>\n"	     /* 4 */
			  "    <Big>12x</Big>\n"	     /* 5 */
			  "    <Port>70000</Port>\n"	     /* 6 */
			  "    <Color>blue</Color>\n"	     /* 7 */
			  "    <Url>not a url</Url>\n"	     /* 8 */
			  "    <Placeholder>${nope}</Placeholder>\n" /* 9 */
			  "  </A>\n"			     /* 10 */
			  "  <Items><Item><Weight>500</Weight></Item></Items>\n" /* 11 */
			  "</Root>\n";
	g_autoptr (GPtrArray) errors = NULL;
	Kinds k = { 0 };

	errors = apply_xml (xml, &k, NULL);
	g_assert_true (errors_have (errors, "t.xml:3: A/Flag: 'yes' is not true or false"));
	g_assert_true (errors_have (errors, "t.xml:4: A/Count: '11' is out of range [0, 10]"));
	g_assert_true (errors_have (errors, "t.xml:5: A/Big: '12x' is not a whole number"));
	g_assert_true (errors_have (errors, "t.xml:6: A/Port: '70000' is out of range"));
	g_assert_true (errors_have (errors, "t.xml:7: A/Color: 'blue' is not one of: red, green"));
	g_assert_true (errors_have (errors, "t.xml:8: A/Url: 'not a url' is not"));
	g_assert_true (errors_have (errors, "t.xml:9: A/Placeholder: unknown property ${nope}"));
	g_assert_true (errors_have (errors, "t.xml:11: Items/Item[1]/@name: required but missing"));
	g_assert_true (errors_have (errors, "Items/Item[1]/Weight: '500' is out of range"));
	g_assert_true (errors_have (errors, "t.xml:2: A/Required: required but missing"));
	g_assert_cmpuint (errors->len, ==, 10);
	am_conf_clear (kinds_table, &k);
}

static void
test_malformed_xml (void)
{
	const char *xml = "<Root>\n  <A>\n    <Str>x</Strr>\n  </A>\n</Root>\n";
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (AmConfDoc) doc = am_conf_doc_load_memory (xml, strlen (xml), "bad.xml", errors);

	g_assert_null (doc);
	g_assert_true (errors_have (errors, "bad.xml:3: XML: "));
}

static void
test_doctype_rejected (void)
{
	const char *xml = "<?xml version=\"1.0\"?>\n"
			  "<!DOCTYPE Root [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\n"
			  "<Root><A><Str>&b;</Str></A></Root>\n";
	const char *ext = "<?xml version=\"1.0\"?>\n"
			  "<!DOCTYPE Root SYSTEM \"http://127.0.0.1:1/evil.dtd\">\n<Root/>\n";
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (AmConfDoc) doc = am_conf_doc_load_memory (xml, strlen (xml), "e.xml", errors);
	g_autoptr (AmConfDoc) doc2 = am_conf_doc_load_memory (ext, strlen (ext), "x.xml", errors);

	g_assert_null (doc);
	g_assert_null (doc2);
	g_assert_true (errors_have (errors, "e.xml:2: XML: DOCTYPE declarations are not accepted"));
	g_assert_true (errors_have (errors, "x.xml:2: XML: DOCTYPE"));
}

static void
test_expand (void)
{
	g_autoptr (GHashTable) props = g_hash_table_new (g_str_hash, g_str_equal);
	g_autofree char *a = NULL;
	g_autofree char *b = NULL;
	g_autofree char *unknown = NULL;

	g_hash_table_insert (props, "x", "1");
	g_hash_table_insert (props, "carbon.context", "/");
	a = am_conf_expand ("https://h:${x}${carbon.context}services/ $5 ${", props, NULL);
	g_assert_cmpstr (a, ==, "https://h:1/services/ $5 ${");
	b = am_conf_expand ("a${y}b", props, &unknown);
	g_assert_null (b);
	g_assert_cmpstr (unknown, ==, "y");
}

/* ---- the shipped files in a temporary carbon home ---- */

static const char *const conf_files[] = {
	"carbon.xml",	     "tomcat/catalina-server.xml",	    "axis2/axis2.xml",
	"user-mgt.xml",	     "datasources/master-datasources.xml", "registry.xml",
	"api-manager.xml",   NULL,
};

static char *
make_home (void)
{
	g_autoptr (GError) error = NULL;
	char *home = g_dir_make_tmp ("apimd-conf-XXXXXX", &error);

	g_assert_no_error (error);
	for (guint i = 0; conf_files[i] != NULL; i++) {
		g_autofree char *src = g_test_build_filename (G_TEST_DIST, "..", "repository", "conf",
							      conf_files[i], NULL);
		g_autofree char *dst = g_build_filename (home, "repository", "conf", conf_files[i],
							 NULL);
		g_autofree char *dir = g_path_get_dirname (dst);
		g_autofree char *text = NULL;

		g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
		g_assert_true (g_file_get_contents (src, &text, NULL, &error));
		g_assert_true (g_file_set_contents (dst, text, -1, &error));
	}
	return home;
}


static void
edit (const char *home, const char *file, const char *old, const char *new_text)
{
	g_autofree char *path = g_build_filename (home, "repository", "conf", file, NULL);
	g_autofree char *text = NULL;
	g_autoptr (GString) s = NULL;
	char *at;

	g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
	at = strstr (text, old);
	g_assert_nonnull (at);
	s = g_string_new_len (text, at - text);
	g_string_append (s, new_text);
	g_string_append (s, at + strlen (old));
	g_assert_true (g_file_set_contents (path, s->str, -1, NULL));
}

static const AmModule *const no_modules[] = { NULL };

static AmConf *
load (const char *home, GHashTable *sysprops, GError **error)
{
	return am_conf_load (home, sysprops, no_modules, error);
}

static void
test_shipped_defaults (void)
{
	g_autofree char *home = make_home ();
	g_autoptr (GError) error = NULL;
	g_autoptr (AmConf) conf = load (home, NULL, &error);
	const AmCoreConf *core;
	const AmApimConf *apim;
	const AmPorts *p;
	const AmEnvironmentConf *env;
	g_autofree char *http_ep = NULL;

	g_assert_no_error (error);
	core = am_conf_core (conf);
	apim = am_conf_apim (conf);
	p = am_conf_ports (conf);
	g_assert_cmpint (p->offset, ==, 0);
	g_assert_cmpint (p->mgt_https, ==, 9443);
	g_assert_cmpint (p->mgt_http, ==, 9763);
	g_assert_cmpint (p->nio_http, ==, 8280);
	g_assert_cmpint (p->nio_https, ==, 8243);
	g_assert_cmpint (p->thrift_server, ==, 10397);
	g_assert_cmpint (p->thrift_client, ==, 10397);
	g_assert_cmpint (p->tm_receiver, ==, 9611);
	g_assert_cmpint (p->jms, ==, 5672);
	g_assert_cmpstr (core->server_name, ==, "WSO2 API Manager");
	g_assert_cmpstr (core->admin_user, ==, "admin");
	g_assert_cmpstr (core->password_digest, ==, "SHA-256");
	g_assert_true (core->case_insensitive_username);
	g_assert_cmpuint (core->datasources->len, ==, 2);
	g_assert_nonnull (am_core_conf_find_datasource (core, "jdbc/WSO2AM_DB"));
	g_assert_cmpint (((AmDatasourceConf *) core->datasources->pdata[0])->max_active, ==, 50);
	g_assert_false (((AmDatasourceConf *) core->datasources->pdata[0])->default_auto_commit);
	g_assert_cmpstr (am_core_conf_registry_datasource (core, "/_system/governance"), ==,
			 "jdbc/WSO2CarbonDB");
	g_assert_true (g_str_has_suffix (core->keystore_location,
					 "/repository/resources/security/wso2carbon.jks"));
	g_assert_true (g_str_has_prefix (core->keystore_location, home));
	/* api-manager.xml placeholders resolved */
	g_assert_cmpstr (apim->kv_server_url, ==, "https://localhost:9443/services/");
	g_assert_cmpstr (apim->kv_username, ==, "admin");
	g_assert_cmpint (apim->kv_client_type, ==, AM_KV_CLIENT_THRIFT);
	g_assert_true (apim->thrift_server_enabled);
	g_assert_cmpint (apim->token_cache_expiry, ==, 900);
	g_assert_cmpuint (apim->environments->len, ==, 1);
	env = apim->environments->pdata[0];
	g_assert_cmpint (env->type, ==, AM_ENV_HYBRID);
	g_assert_true (env->api_console);
	g_assert_cmpstr (env->name, ==, "Production and Sandbox");
	http_ep = g_strdup_printf ("http://%s:8280", am_conf_property (conf, "carbon.local.ip"));
	g_assert_cmpstr (env->gateway_endpoints[0], ==, http_ep);
	g_assert_true (g_str_has_suffix (env->gateway_endpoints[1], ":8243"));
	g_assert_true (apim->cors_enabled);
	g_assert_cmpuint (g_strv_length (apim->cors_methods), ==, 6);
	am_test_rm_rf (home);
}

static void
test_offsets (void)
{
	g_autofree char *home = make_home ();
	g_autoptr (GError) error = NULL;
	g_autoptr (GHashTable) sysprops = g_hash_table_new (g_str_hash, g_str_equal);
	g_autoptr (AmConf) a = NULL;
	g_autoptr (AmConf) b = NULL;
	g_autoptr (AmConf) c = NULL;
	const AmPorts *p;

	/* carbon.xml Ports/Offset */
	edit (home, "carbon.xml", "<Offset>0</Offset>", "<Offset>3</Offset>");
	a = load (home, NULL, &error);
	g_assert_no_error (error);
	p = am_conf_ports (a);
	g_assert_cmpint (p->mgt_https, ==, 9446);
	g_assert_cmpint (p->mgt_http, ==, 9766);
	g_assert_cmpint (p->nio_http, ==, 8283);
	g_assert_cmpint (p->nio_https, ==, 8246);
	g_assert_cmpint (p->thrift_server, ==, 10400);
	g_assert_cmpstr (am_conf_apim (a)->kv_server_url, ==, "https://localhost:9446/services/");

	/* -DportOffset wins over the file */
	g_hash_table_insert (sysprops, "portOffset", "2");
	b = load (home, sysprops, &error);
	g_assert_no_error (error);
	p = am_conf_ports (b);
	g_assert_cmpint (p->offset, ==, 2);
	g_assert_cmpint (p->mgt_https, ==, 9445);
	g_assert_cmpint (p->nio_https, ==, 8245);
	g_assert_cmpint (p->thrift_client, ==, 10399);

	/* an explicit ThriftServerPort is used literally (2.x rule), proxyPort advertised */
	edit (home, "api-manager.xml", "<!--ThriftServerPort>10397</ThriftServerPort-->",
	      "<ThriftServerPort>10500</ThriftServerPort>");
	edit (home, "tomcat/catalina-server.xml", "port=\"9443\"", "port=\"9443\" proxyPort=\"443\"");
	c = load (home, sysprops, &error);
	g_assert_no_error (error);
	p = am_conf_ports (c);
	g_assert_cmpint (p->thrift_server, ==, 10500);
	g_assert_cmpint (p->thrift_client, ==, 10399);
	g_assert_cmpint (p->mgt_https, ==, 9445);
	g_assert_cmpint (p->mgt_https_proxy, ==, 443);

	g_hash_table_insert (sysprops, "portOffset", "x");
	g_clear_pointer (&a, am_conf_unref);
	a = load (home, sysprops, &error);
	g_assert_error (error, AM_CONF_ERROR, AM_CONF_ERROR_INVALID);
	g_assert_nonnull (strstr (error->message, "-DportOffset=x"));
	am_test_rm_rf (home);
}

static void
test_sysprops_and_secrets (void)
{
	g_autofree char *home = make_home ();
	g_autoptr (GError) error = NULL;
	g_autoptr (GHashTable) sysprops = g_hash_table_new (g_str_hash, g_str_equal);
	g_autoptr (AmConf) conf = NULL;
	g_autofree char *dump = NULL;

	edit (home, "carbon.xml", "<!--HostName>www.wso2.org</HostName-->",
	      "<HostName>${gw.host}</HostName>");
	edit (home, "user-mgt.xml", "<Password>admin</Password>",
	      "<Password>Very-Secret-Pw1</Password>");
	g_hash_table_insert (sysprops, "gw.host", "gw1.example.org");
	conf = load (home, sysprops, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (am_conf_core (conf)->host_name, ==, "gw1.example.org");
	g_assert_cmpstr (am_conf_property (conf, "carbon.local.ip"), ==, "gw1.example.org");
	/* ${admin.password} flows into api-manager.xml, and -T masks it */
	g_assert_cmpstr (am_conf_apim (conf)->kv_password, ==, "Very-Secret-Pw1");
	dump = am_conf_dump (conf);
	g_assert_null (strstr (dump, "Very-Secret-Pw1"));
	/* the key alias and DB user are not secret, the passwords are */
	g_assert_null (strstr (dump, "Password = wso2carbon"));
	g_assert_null (strstr (dump, "password = wso2carbon"));
	g_assert_nonnull (strstr (dump, "Security/KeyStore/Password = ********"));
	g_assert_nonnull (strstr (dump, "Security/KeyStore/KeyAlias = wso2carbon"));
	g_assert_nonnull (strstr (dump, "Realm/Configuration/AdminUser/Password = ********"));
	g_assert_nonnull (strstr (dump, "APIKeyValidator/Password = ********"));
	g_assert_nonnull (strstr (dump, "datasources/datasource[1]/definition/configuration/"
					"password = ********"));
	g_assert_nonnull (strstr (dump, "HostName = gw1.example.org"));
	am_test_rm_rf (home);
}

static void
test_broken_files (void)
{
	g_autofree char *home = make_home ();
	g_autoptr (GError) error = NULL;
	g_autoptr (AmConf) conf = NULL;

	/* bad values in two files and a dangling reference, all reported */
	edit (home, "api-manager.xml", "<EnableThriftServer>true</EnableThriftServer>",
	      "<EnableThriftServer>maybe</EnableThriftServer>");
	edit (home, "api-manager.xml", "<ThriftClientConnectionTimeOut>10000<",
	      "<ThriftClientConnectionTimeOut>ten<");
	edit (home, "datasources/master-datasources.xml", "<maxActive>50</maxActive>",
	      "<maxActive>-5</maxActive>");
	edit (home, "user-mgt.xml", "jdbc/WSO2CarbonDB</Property>", "jdbc/Nope</Property>");
	conf = load (home, NULL, &error);
	g_assert_null (conf);
	g_assert_error (error, AM_CONF_ERROR, AM_CONF_ERROR_INVALID);
	g_test_message ("%s", error->message);
	g_assert_true (g_regex_match_simple (
		"repository/conf/api-manager.xml:[0-9]+: APIKeyValidator/EnableThriftServer: "
		"'maybe' is not true or false",
		error->message, G_REGEX_MULTILINE, 0));
	g_assert_true (g_regex_match_simple (
		"repository/conf/api-manager.xml:[0-9]+: "
		"APIKeyValidator/ThriftClientConnectionTimeOut: 'ten' is not a whole number",
		error->message, G_REGEX_MULTILINE, 0));
	g_assert_true (g_regex_match_simple (
		"master-datasources.xml:[0-9]+: datasources/datasource\\[1\\]/definition/"
		"configuration/maxActive: '-5' is out of range",
		error->message, G_REGEX_MULTILINE, 0));
	g_assert_nonnull (strstr (error->message, "no datasource named 'jdbc/Nope'"));
	g_clear_error (&error);

	/* malformed XML names the file and line */
	edit (home, "api-manager.xml", "</APIKeyValidator>", "</APIKeyValidatorr>");
	conf = load (home, NULL, &error);
	g_assert_null (conf);
	g_assert_true (g_regex_match_simple ("^repository/conf/api-manager.xml:[0-9]+: XML: ",
					     error->message, G_REGEX_MULTILINE, 0));
	g_clear_error (&error);

	/* a missing file */
	{
		g_autofree char *p = g_build_filename (home, "repository/conf/registry.xml", NULL);
		g_unlink (p);
	}
	conf = load (home, NULL, &error);
	g_assert_null (conf);
	g_assert_nonnull (strstr (error->message, "repository/conf/registry.xml: cannot read"));
	am_test_rm_rf (home);
}

/* A module's own table: loaded with the rest, freed on every path. */
typedef struct {
	int timeout;
	char *header;
} ModConf;

static const AmConfDirective mod_table[] = {
	{ F, "APIKeyValidator/ThriftClientConnectionTimeOut", AM_CONF_INT,
	  G_STRUCT_OFFSET (ModConf, timeout), "10000", AM_CONF_RELOADABLE, 1, 100000 },
	{ F, "JWTConfiguration/JWTHeader", AM_CONF_STR, G_STRUCT_OFFSET (ModConf, header),
	  "X-JWT-Assertion", 0 },
	{ 0 },
};

static gboolean
mod_check (AmConf *conf, gconstpointer mod_conf, GError **error)
{
	const ModConf *m = mod_conf;

	if (g_strcmp0 (m->header, "Authorization") == 0) {
		g_set_error (error, AM_CONF_ERROR, AM_CONF_ERROR_INVALID,
			     "repository/conf/api-manager.xml: JWTConfiguration/JWTHeader: "
			     "must not be Authorization");
		return FALSE;
	}
	return TRUE;
}

static const AmModule test_module = {
	.name = "testmod",
	.directives = mod_table,
	.conf_size = sizeof (ModConf),
	.conf_check = mod_check,
};

static void
test_module_tables (void)
{
	g_autofree char *home = make_home ();
	g_autoptr (GError) error = NULL;
	const AmModule *const mods[] = { &test_module, NULL };
	g_autoptr (AmConf) conf = am_conf_load (home, NULL, mods, &error);
	const ModConf *m;
	g_autofree char *dump = NULL;

	g_assert_no_error (error);
	m = am_conf_module (conf, &test_module);
	g_assert_nonnull (m);
	g_assert_cmpint (m->timeout, ==, 10000);
	g_assert_cmpstr (m->header, ==, "X-JWT-Assertion");
	dump = am_conf_dump (conf);
	g_assert_nonnull (strstr (dump, "JWTConfiguration/JWTHeader = X-JWT-Assertion"));
	g_clear_pointer (&conf, am_conf_unref);

	/* the module's check runs and its message is reported */
	edit (home, "api-manager.xml", "<JWTHeader>X-JWT-Assertion</JWTHeader>",
	      "<JWTHeader>Authorization</JWTHeader>");
	conf = am_conf_load (home, NULL, mods, &error);
	g_assert_null (conf);
	g_assert_nonnull (strstr (error->message, "must not be Authorization"));
	g_clear_error (&error);

	/* unreadable XML with module tables registered fails cleanly */
	edit (home, "api-manager.xml", "</APIManager>", "</APIManagr>");
	conf = am_conf_load (home, NULL, mods, &error);
	g_assert_null (conf);
	g_assert_nonnull (strstr (error->message, "api-manager.xml:"));
	am_test_rm_rf (home);
}

static void
test_duplicate_environment (void)
{
	g_autofree char *home = make_home ();
	g_autoptr (GError) error = NULL;
	g_autoptr (AmConf) conf = NULL;

	edit (home, "api-manager.xml", "</Environments>",
	      "<Environment type=\"sandbox\"><Name>Production and Sandbox</Name></Environment>"
	      "<Environment type=\"staging\"><Name>S</Name></Environment></Environments>");
	conf = load (home, NULL, &error);
	g_assert_null (conf);
	g_assert_nonnull (strstr (error->message, "duplicate environment name"));
	g_assert_nonnull (strstr (error->message, "Environment[3]/@type: 'staging' is not one of: "
						  "hybrid, production, sandbox"));
	am_test_rm_rf (home);
}

static void
test_restart_changes (void)
{
	g_autofree char *home = make_home ();
	g_autoptr (GError) error = NULL;
	g_autoptr (AmConf) a = load (home, NULL, &error);
	g_autoptr (AmConf) b = NULL;
	g_autoptr (AmConf) c = NULL;
	g_autoptr (GPtrArray) none = NULL;
	g_autoptr (GPtrArray) some = NULL;

	g_assert_no_error (error);
	/* CORS is reloadable */
	edit (home, "api-manager.xml", "<Access-Control-Allow-Origin>*<",
	      "<Access-Control-Allow-Origin>https://a.example<");
	b = load (home, NULL, &error);
	g_assert_no_error (error);
	none = am_conf_restart_changes (a, b);
	g_assert_cmpuint (none->len, ==, 0);
	/* the key validator client type and the port offset are not */
	edit (home, "api-manager.xml", "<KeyValidatorClientType>ThriftClient<",
	      "<KeyValidatorClientType>WSClient<");
	edit (home, "carbon.xml", "<Offset>0</Offset>", "<Offset>1</Offset>");
	c = load (home, NULL, &error);
	g_assert_no_error (error);
	some = am_conf_restart_changes (b, c);
	g_assert_true (errors_have (some, "APIKeyValidator/KeyValidatorClientType"));
	g_assert_true (errors_have (some, "Ports/Offset"));
	g_assert_true (errors_have (some, "ports"));
	am_test_rm_rf (home);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/conf/kinds", test_kinds);
	g_test_add_func ("/conf/errors-all-at-once", test_errors_all_at_once);
	g_test_add_func ("/conf/malformed-xml", test_malformed_xml);
	g_test_add_func ("/conf/doctype-rejected", test_doctype_rejected);
	g_test_add_func ("/conf/expand", test_expand);
	g_test_add_func ("/conf/shipped-defaults", test_shipped_defaults);
	g_test_add_func ("/conf/offsets", test_offsets);
	g_test_add_func ("/conf/sysprops-and-secrets", test_sysprops_and_secrets);
	g_test_add_func ("/conf/broken-files", test_broken_files);
	g_test_add_func ("/conf/duplicate-environment", test_duplicate_environment);
	g_test_add_func ("/conf/module-tables", test_module_tables);
	g_test_add_func ("/conf/restart-changes", test_restart_changes);
	return g_test_run ();
}
