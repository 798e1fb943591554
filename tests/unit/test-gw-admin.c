/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of APIGatewayAdmin without HTTP: each operation on a scratch
 * synapse-configs directory with the API files WSO2 2.x writes
 * (tests/data/synapse): add writes the text as sent under the synapse file
 * name and leaves no temporary, a second add and an update of a missing API
 * fault, update replaces, get answers APIData (nil when absent), delete
 * removes; default-version APIs; sequences; an apiConfig that does not
 * parse or names another API, or a clashing context, faults and writes
 * nothing; ForTenant calls for another tenant are refused.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "am-gw-admin.h"
#include "am-test-util.h"

#define PIZZA "admin--PizzaShackAPI_v1.0.0.xml"

typedef struct {
	char *dir;     /* synapse-configs/default */
	char *api_dir; /* its api/ */
	char *seq_dir; /* its sequences/ */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autofree char *tmp = g_dir_make_tmp ("gw-admin-XXXXXX", NULL);

	g_assert_nonnull (tmp);
	f->dir = g_build_filename (tmp, "default", NULL);
	f->api_dir = g_build_filename (f->dir, "api", NULL);
	f->seq_dir = g_build_filename (f->dir, "sequences", NULL);
	g_assert_cmpint (g_mkdir (f->dir, 0755), ==, 0);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_autofree char *tmp = g_path_get_dirname (f->dir);

	am_test_rm_rf (tmp);
	g_free (f->dir);
	g_free (f->api_dir);
	g_free (f->seq_dir);
}

static char *
fixture_text (const char *sub, const char *file)
{
	g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "synapse", sub, file,
						       NULL);
	char *text = NULL;

	g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
	return text;
}

/* Call @op with @args (name, value pairs, NULL-terminated) in SOAP 1.1,
 * qualified as the WSDL says. */
static AmSoapReply *
call_v (Fixture *f, const char *op, va_list ap)
{
	g_autoptr (GString) body = g_string_new (
		"<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"" AM_SOAP11_NS
		"\"><soapenv:Body>");
	const char *name;

	g_string_append_printf (body, "<ser:%s xmlns:ser=\"" AM_GW_ADMIN_NS "\">", op);
	while ((name = va_arg (ap, const char *)) != NULL) {
		g_autofree char *value = g_markup_escape_text (va_arg (ap, const char *), -1);

		g_string_append_printf (body, "<ser:%s>%s</ser:%s>", name, value, name);
	}
	g_string_append_printf (body, "</ser:%s></soapenv:Body></soapenv:Envelope>", op);
	return am_gw_admin_process (f->dir, "text/xml; charset=UTF-8", body->str, body->len);
}

static AmSoapReply *
call (Fixture *f, const char *op, ...)
{
	AmSoapReply *reply;
	va_list ap;

	va_start (ap, op);
	reply = call_v (f, op, ap);
	va_end (ap);
	return reply;
}

/* The call answers 200 with <return>@expected</return>. */
static void
assert_bool (AmSoapReply *reply, const char *op, gboolean expected)
{
	g_autofree char *want = g_strdup_printf (
		"<ns:%sResponse xmlns:ns=\"" AM_GW_ADMIN_NS "\"><ns:return>%s</ns:return>", op,
		expected ? "true" : "false");

	g_assert_nonnull (reply);
	g_assert_cmpuint (reply->status, ==, 200);
	g_assert_nonnull (strstr (reply->body, want));
	am_soap_reply_free (reply);
}

/* The call faults (soapenv:Server, 500) with a reason containing @what. */
static void
assert_fault (AmSoapReply *reply, const char *what)
{
	g_autofree char *escaped = g_markup_escape_text (what, -1);

	g_assert_nonnull (reply);
	g_assert_cmpuint (reply->status, ==, 500);
	g_assert_nonnull (strstr (reply->body, "<faultcode>soapenv:Server</faultcode>"));
	if (strstr (reply->body, escaped) == NULL)
		g_error ("fault without '%s': %s", what, reply->body);
	am_soap_reply_free (reply);
}

static int
names_compare (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names in @dir, hidden ones too, sorted and joined with ' '. */
static char *
dir_names (const char *dir)
{
	g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
	g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	const char *name;

	while (d != NULL && (name = g_dir_read_name (d)) != NULL)
		g_ptr_array_add (names, g_strdup (name));
	g_ptr_array_sort (names, names_compare);
	g_ptr_array_add (names, NULL);
	return g_strjoinv (" ", (char **) names->pdata);
}

/* @dir holds exactly @expected (dir_names' form). */
static void
assert_names (const char *dir, const char *expected)
{
	g_autofree char *names = dir_names (dir);

	g_assert_cmpstr (names, ==, expected);
}

static char *
file_text (const char *dir, const char *file)
{
	g_autofree char *path = g_build_filename (dir, file, NULL);
	char *text = NULL;

	g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
	return text;
}

/* get/delete of admin--PizzaShackAPI(:v1.0.0) */
static AmSoapReply *
pizza (Fixture *f, const char *op)
{
	return call (f, op, "apiProviderName", "admin", "apiName", "PizzaShackAPI", "version",
		     "1.0.0", NULL);
}

static AmSoapReply *
add_pizza (Fixture *f, const char *op, const char *config)
{
	return call (f, op, "apiProviderName", "admin", "apiName", "PizzaShackAPI", "version",
		     "1.0.0", "apiConfig", config, "tenantDomain", "carbon.super", NULL);
}

static void
test_names (void)
{
	static const struct {
		const char *provider, *name, *version, *api, *file;
	} cases[] = {
		{ "admin", "PizzaShackAPI", "1.0.0", "admin--PizzaShackAPI:v1.0.0",
		  "admin--PizzaShackAPI_v1.0.0.xml" },
		{ "admin", "PizzaShackAPI", NULL, "admin--PizzaShackAPI", "admin--PizzaShackAPI.xml" },
		{ "user@wso2.com", "TenantAPI", "1.0", "user-AT-wso2.com--TenantAPI:v1.0",
		  "user-AT-wso2.com--TenantAPI_v1.0.xml" },
		{ "a", "x/../y z", "1*?<>|\\", "a--x/../y z:v1*?<>|\\", "a--x_.._y_z_v1______.xml" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *api = am_gw_admin_api_name (cases[i].provider, cases[i].name,
							     cases[i].version);
		g_autofree char *file = am_gw_admin_file_name (api);

		g_assert_cmpstr (api, ==, cases[i].api);
		g_assert_cmpstr (file, ==, cases[i].file);
	}
}

static void
test_add_get_update_delete (Fixture *f, gconstpointer data)
{
	g_autofree char *config = fixture_text ("api", PIZZA);
	g_autoptr (GString) changed = g_string_new (config);
	g_autofree char *text = NULL;
	g_autoptr (AmSoapReply) got = NULL;
	g_autoptr (AmSoapReply) gone = NULL;

	/* api/ does not exist yet: add creates it */
	assert_bool (add_pizza (f, "addApi", config), "addApi", TRUE);
	assert_names (f->api_dir, PIZZA); /* and no temporary is left */
	text = file_text (f->api_dir, PIZZA);
	g_assert_cmpstr (text, ==, config);

	assert_fault (add_pizza (f, "addApi", config),
		      "Error while publishing API to the Gateway. Duplicate resource definition "
		      "by the name: admin--PizzaShackAPI:v1.0.0");

	got = pizza (f, "getApi");
	g_assert_cmpuint (got->status, ==, 200);
	for (const char *const *want = (const char *const[]) {
		     "<ns:getApiResponse xmlns:ns=\"" AM_GW_ADMIN_NS "\"><ns:return xmlns:ax21=\""
		     AM_GW_ADMIN_DTO_NS "\"",
		     "xsi:type=\"ax21:APIData\"><ax21:context>/pizzashack/1.0.0</ax21:context>"
		     "<ax21:fileName>" PIZZA "</ax21:fileName><ax21:host xsi:nil=\"true\"/>"
		     "<ax21:name>admin--PizzaShackAPI:v1.0.0</ax21:name><ax21:port>-1</ax21:port>"
		     "<ax21:resources xsi:type=\"ax21:ResourceData\">"
		     "<ax21:contentType xsi:nil=\"true\"/><ax21:faultSeqXml xsi:nil=\"true\"/>"
		     "<ax21:faultSequenceKey>fault</ax21:faultSequenceKey>"
		     "<ax21:inSeqXml>&lt;inSequence xmlns=&quot;http://ws.apache.org/ns/synapse&quot;&gt;",
		     "<ax21:inSequenceKey xsi:nil=\"true\"/><ax21:methods>GET</ax21:methods>",
		     "<ax21:urlMapping>/menu</ax21:urlMapping>",
		     "<ax21:methods>GET</ax21:methods><ax21:methods>PUT</ax21:methods>"
		     "<ax21:methods>DELETE</ax21:methods>",
		     "<ax21:uriTemplate>/order/{orderId}</ax21:uriTemplate>",
		     "<ax21:uriTemplate>/items?q={q}&amp;limit={limit}</ax21:uriTemplate>",
		     NULL };
	     *want != NULL; want++)
		if (strstr (got->body, *want) == NULL)
			g_error ("getApi answer without %s: %s", *want, got->body);

	g_string_replace (changed, "url-mapping=\"/menu\"", "url-mapping=\"/carte\"", 1);
	assert_bool (add_pizza (f, "updateApi", changed->str), "updateApi", TRUE);
	g_clear_pointer (&text, g_free);
	text = file_text (f->api_dir, PIZZA);
	g_assert_cmpstr (text, ==, changed->str);
	assert_names (f->api_dir, PIZZA);

	assert_bool (pizza (f, "deleteApi"), "deleteApi", TRUE);
	assert_names (f->api_dir, "");
	assert_fault (pizza (f, "deleteApi"),
		      "Error while deleting API from the gateway. No API exists by the name: "
		      "admin--PizzaShackAPI:v1.0.0");
	gone = pizza (f, "getApi");
	g_assert_nonnull (strstr (gone->body, "<ns:getApiResponse xmlns:ns=\"" AM_GW_ADMIN_NS
					      "\"><ns:return xmlns:xsi=\"" AM_XSI_NS
					      "\" xsi:nil=\"true\"/></ns:getApiResponse>"));
}

static void
test_update_missing (Fixture *f, gconstpointer data)
{
	g_autofree char *config = fixture_text ("api", PIZZA);

	assert_fault (add_pizza (f, "updateApi", config),
		      "Error while updating API in the gateway. No API exists by the name: "
		      "admin--PizzaShackAPI:v1.0.0");
	assert_names (f->api_dir, "");
}

/* An API found under another file name is updated and deleted there. */
static void
test_found_by_name (Fixture *f, gconstpointer data)
{
	g_autofree char *config = fixture_text ("api", PIZZA);
	g_autofree char *path = g_build_filename (f->api_dir, "hand-made.xml", NULL);

	g_assert_cmpint (g_mkdir (f->api_dir, 0755), ==, 0);
	g_assert_true (g_file_set_contents (path, config, -1, NULL));
	assert_fault (add_pizza (f, "addApi", config), "Duplicate resource definition");
	assert_bool (add_pizza (f, "updateApi", config), "updateApi", TRUE);
	assert_names (f->api_dir, "hand-made.xml");
	assert_bool (pizza (f, "deleteApi"), "deleteApi", TRUE);
	g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

typedef struct {
	const char *name;
	const char *api_name; /* in the call */
	const char *version;
	const char *from, *to; /* edit of the PizzaShack file */
	const char *fault;
} BadCase;

static const BadCase bad_cases[] = {
	{ "truncated", "PizzaShackAPI", "1.0.0", "</api>", "", "Invalid API definition: apiConfig:" },
	{ "no-context", "PizzaShackAPI", "1.0.0", " context=\"/pizzashack/1.0.0\"", "",
	  "Invalid API definition: apiConfig:2: api: missing context" },
	{ "other-namespace", "PizzaShackAPI", "1.0.0", "xmlns=\"http://ws.apache.org/ns/synapse\"",
	  "xmlns=\"urn:other\"", "not in the synapse namespace" },
	{ "other-name", "Pizza", "1.0.0", NULL, NULL,
	  "apiConfig defines the API 'admin--PizzaShackAPI:v1.0.0', but the call is for "
	  "'admin--Pizza:v1.0.0'" },
	{ "other-version", "PizzaShackAPI", "2.0.0", NULL, NULL,
	  "but the call is for 'admin--PizzaShackAPI:v2.0.0'" },
	{ "empty", "PizzaShackAPI", "1.0.0", NULL, "", "apiConfig is empty" },
};

static void
test_bad_config (Fixture *f, gconstpointer data)
{
	const BadCase *bc = data;
	g_autofree char *config = fixture_text ("api", PIZZA);
	g_autoptr (GString) text = g_string_new (config);

	if (bc->from != NULL)
		g_assert_cmpuint (g_string_replace (text, bc->from, bc->to, 1), ==, 1);
	else if (bc->to != NULL)
		g_string_truncate (text, 0);
	for (guint i = 0; i < 2; i++)
		assert_fault (call (f, i == 0 ? "addApi" : "addApiForTenant", "apiProviderName",
				    "admin", "apiName", bc->api_name, "version", bc->version,
				    "apiConfig", text->str, "tenantDomain", "carbon.super", NULL),
			      bc->fault);
	assert_names (f->api_dir, "");
}

static void
test_default_api (Fixture *f, gconstpointer data)
{
	g_autofree char *config = fixture_text ("api", "admin--PizzaShackAPI.xml");
	g_autofree char *versioned = fixture_text ("api", PIZZA);
	g_autoptr (AmSoapReply) got = NULL;

	assert_fault (add_pizza (f, "addDefaultAPI", versioned),
		      "apiConfig defines the API 'admin--PizzaShackAPI:v1.0.0', but the call is "
		      "for 'admin--PizzaShackAPI'");
	assert_bool (add_pizza (f, "addApi", versioned), "addApi", TRUE);
	assert_bool (add_pizza (f, "addDefaultAPI", config), "addDefaultAPI", TRUE);
	assert_names (f->api_dir, "admin--PizzaShackAPI.xml " PIZZA);
	got = pizza (f, "getDefaultApi");
	g_assert_nonnull (strstr (got->body, "<ax21:context>/pizzashack</ax21:context>"
					     "<ax21:fileName>admin--PizzaShackAPI.xml</ax21:fileName>"));
	g_assert_nonnull (strstr (got->body, "<ax21:name>admin--PizzaShackAPI</ax21:name>"));
	assert_bool (add_pizza (f, "updateDefaultApi", config), "updateDefaultApi", TRUE);
	assert_bool (pizza (f, "deleteDefaultApi"), "deleteDefaultApi", TRUE);
	assert_names (f->api_dir, PIZZA);
}

/* SynapseConfiguration.addAPI: another API with this version on the
 * context is refused. */
static void
test_context_clash (Fixture *f, gconstpointer data)
{
	g_autofree char *config = fixture_text ("api", PIZZA);
	g_autoptr (GString) other = g_string_new (config);

	g_string_replace (other, "name=\"admin--PizzaShackAPI\"", "name=\"bob--Pizza\"", 1);
	assert_bool (add_pizza (f, "addApi", config), "addApi", TRUE);
	assert_fault (call (f, "addApi", "apiProviderName", "bob", "apiName", "Pizza", "version",
			    "1.0.0", "apiConfig", other->str, NULL),
		      "URL context: /pizzashack/1.0.0 is already registered with the API: "
		      "admin--PizzaShackAPI:v1.0.0");
	assert_names (f->api_dir, PIZZA);
}

static void
test_provider_at (Fixture *f, gconstpointer data)
{
	g_autofree char *config = fixture_text ("api", "user-AT-wso2.com--TenantAPI_v1.0.xml");

	assert_bool (call (f, "addApiForTenant", "apiProviderName", "user@wso2.com", "apiName",
			   "TenantAPI", "version", "1.0", "apiConfig", config, "tenantDomain",
			   "carbon.super", NULL),
		     "addApiForTenant", TRUE);
	assert_names (f->api_dir, "user-AT-wso2.com--TenantAPI_v1.0.xml");
}

static void
test_tenant_refused (Fixture *f, gconstpointer data)
{
	g_autofree char *config = fixture_text ("api", PIZZA);
	static const char *const ops[] = { "addApiForTenant", "updateApiForTenant",
					   "deleteApiForTenant", "getApiForTenant",
					   "isExistingSequenceForTenant" };

	for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
		assert_fault (call (f, ops[i], "apiProviderName", "admin", "apiName",
				    "PizzaShackAPI", "version", "1.0.0", "apiConfig", config,
				    "sequenceName", "fault", "tenantDomain", "wso2.com", NULL),
			      "Tenant 'wso2.com' is not served by this gateway: only the super "
			      "tenant (carbon.super) is supported");
	assert_names (f->api_dir, "");
}

/* A file where api/ should be: the write fails, the call faults, nothing
 * is left. */
static void
test_write_failure (Fixture *f, gconstpointer data)
{
	g_autofree char *config = fixture_text ("api", PIZZA);

	g_assert_true (g_file_set_contents (f->api_dir, "", 0, NULL));
	assert_fault (add_pizza (f, "addApi", config), "cannot create");
	assert_names (f->dir, "api");
}

static void
test_sequences (Fixture *f, gconstpointer data)
{
	g_autofree char *seq = fixture_text ("sequences", "custom_in.xml");
	g_autofree char *text = NULL;
	g_autoptr (AmSoapReply) got = NULL;

	assert_bool (call (f, "isExistingSequence", "sequenceName", "custom_in", NULL),
		     "isExistingSequence", FALSE);
	assert_bool (call (f, "addSequence", "sequence", seq, NULL), "addSequence", TRUE);
	assert_names (f->seq_dir, "custom_in.xml");
	text = file_text (f->seq_dir, "custom_in.xml");
	g_assert_cmpstr (text, ==, seq);
	assert_fault (call (f, "addSequence", "sequence", seq, NULL),
		      "Error adding sequence : The name 'custom_in' is already used");
	assert_bool (call (f, "isExistingSequenceForTenant", "sequenceName", "custom_in",
			   "tenantDomain", "carbon.super", NULL),
		     "isExistingSequenceForTenant", TRUE);
	got = call (f, "getSequence", "sequenceName", "custom_in", NULL);
	g_assert_nonnull (strstr (got->body, "<ns:return><sequence xmlns=\"http://ws.apache.org/"
					     "ns/synapse\" name=\"custom_in\">"));
	assert_fault (call (f, "addSequence", "sequence", "<sequence/>", NULL),
		      "Invalid sequence definition: sequence:1: sequence: missing name");
	assert_bool (call (f, "deleteSequence", "sequenceName", "custom_in", NULL), "deleteSequence",
		     TRUE);
	assert_names (f->seq_dir, "");
	assert_fault (call (f, "deleteSequence", "sequenceName", "custom_in", NULL),
		      "No defined sequence with name custom_in");
	assert_fault (call (f, "getSequence", "sequenceName", "custom_in", NULL),
		      "No defined sequence with name custom_in");
}

static void
test_other_operations (Fixture *f, gconstpointer data)
{
	g_autoptr (AmSoapReply) unknown = call (f, "addEndpoint", "endpointData", "<endpoint/>",
						NULL);
	g_autoptr (AmSoapReply) soap12 = NULL;
	const char *env12 = "<soap:Envelope xmlns:soap=\"" AM_SOAP12_NS "\"><soap:Body>"
			    "<ser:isExistingSequence xmlns:ser=\"" AM_GW_ADMIN_NS "\">"
			    "<ser:sequenceName>main</ser:sequenceName></ser:isExistingSequence>"
			    "</soap:Body></soap:Envelope>";

	g_assert_cmpuint (unknown->status, ==, 500);
	g_assert_nonnull (strstr (unknown->body, "<faultcode>soapenv:Client</faultcode>"));
	g_assert_nonnull (strstr (unknown->body, "The endpoint reference (EPR) for the Operation "
						 "not found is /services/APIGatewayAdmin"));
	assert_bool (call (f, "deployPolicy", "content", "x", "fileName", "y", NULL),
		     "deployPolicy", FALSE);
	soap12 = am_gw_admin_process (f->dir, "application/soap+xml; charset=UTF-8", env12,
				      strlen (env12));
	g_assert_cmpuint (soap12->status, ==, 200);
	g_assert_cmpstr (soap12->content_type, ==, "application/soap+xml; charset=UTF-8");
	g_assert_nonnull (strstr (soap12->body, "<ns:return>false</ns:return>"));
}

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/gw-admin/names", test_names);
	ADD ("/gw-admin/add-get-update-delete", test_add_get_update_delete);
	ADD ("/gw-admin/update-missing", test_update_missing);
	ADD ("/gw-admin/found-by-name", test_found_by_name);
	ADD ("/gw-admin/default-api", test_default_api);
	ADD ("/gw-admin/context-clash", test_context_clash);
	ADD ("/gw-admin/provider-at", test_provider_at);
	ADD ("/gw-admin/tenant-refused", test_tenant_refused);
	ADD ("/gw-admin/write-failure", test_write_failure);
	ADD ("/gw-admin/sequences", test_sequences);
	ADD ("/gw-admin/other-operations", test_other_operations);
	for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
		g_autofree char *path = g_strdup_printf ("/gw-admin/bad-config/%s",
							 bad_cases[i].name);

		g_test_add (path, Fixture, &bad_cases[i], fixture_setup, test_bad_config,
			    fixture_teardown);
	}
	return g_test_run ();
}
