/* SPDX-License-Identifier: Apache-2.0 */
/*
 * APIGatewayAdmin on the gateway (carbon-apimgt gateway
 * service/APIGatewayAdmin.java, a Carbon admin service: DoAuthentication,
 * AuthorizationAction /permission/admin/login, https only, as the gateway's
 * services.xml says).  WSO2 hands each call to Carbon's RestApiAdmin or
 * SequenceAdmin (carbon-mediation), which change the live synapse
 * configuration and persist it under synapse-configs/default; here the
 * call writes that directory and the gateway's hot deployment does the
 * rest.
 *
 * Operations (the WSDL of carbon-apimgt's gateway stub), each also as
 * <op>ForTenant with a trailing tenantDomain child:
 * - addApi / addPrototypeApiScriptImpl / addDefaultAPI (apiProviderName,
 *   apiName, version, apiConfig): apiConfig must parse as a synapse API
 *   whose name is the call's, "<provider>--<name>:v<version>" (the default
 *   API: "<provider>--<name>", no version); RestApiAdmin.addApiFromString
 *   then refuses a name already deployed ("Duplicate resource definition by
 *   the name") and another API on the same context and version ("URL
 *   context: ... is already registered"), as SynapseConfiguration.addAPI
 *   does; the text goes, as sent, to api/<generateFileName(name)>.
 * - updateApi / updateApiForInlineScript / updateDefaultApi: the same
 *   checks, but the API must exist (SynapseConfiguration.removeAPI: "No API
 *   exists by the name"); the new text replaces the file the API came
 *   from, which keeps its name (RestApiAdmin keeps oldAPI.getFileName()).
 * - deleteApi / deleteDefaultApi: removes the API's file; a missing API is
 *   a fault (WSO2 fails with a NullPointerException there; the Publisher
 *   asks getApi first).
 * - getApi / getDefaultApi: APIData (context, fileName, host, name, port,
 *   resources) as RestApiAdmin.convertApiToAPIData fills it, xsi:nil when
 *   the API is not deployed.
 * - addSequence(sequence) / deleteSequence / getSequence /
 *   isExistingSequence(sequenceName): sequences/<generateFileName(name)>;
 *   SequenceAdmin refuses a name in use and faults on a missing sequence
 *   for delete and get.
 * - deployPolicy / undeployPolicy: false, as in APIGatewayAdmin (which does
 *   nothing there).
 * APIs and sequences are found by the name in their files (every *.xml not
 * hidden, as the deployer reads them), not by file name.  Files are written
 * atomically: a hidden temporary in the same directory (the deployer skips
 * hidden files), fsync, rename, fsync of the directory.  Only the super
 * tenant is served: a ForTenant call naming another tenant is refused.
 * Calls are serialized, as RestApiAdmin serializes them on its lock.  API
 * configurations may carry backend credentials: they never reach the log.
 */
#define G_LOG_DOMAIN "am.gw"
#include "config.h"

#include "am-gw-admin.h"
#include "am-conf.h"
#include "am-gw-api.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libxml/tree.h>
#include <string.h>
#include <unistd.h>

/* a Publisher's API with many resources and inline mediation is well below */
#define ADMIN_MAX_BODY (16 * 1024 * 1024)
#define ADMIN_API_DIR "api"
#define ADMIN_SEQUENCE_DIR "sequences"

static const char *const admin_paths[] = {
	AM_GW_ADMIN_PATH,
	AM_GW_ADMIN_PATH ".APIGatewayAdminHttpsSoap11Endpoint",
	AM_GW_ADMIN_PATH ".APIGatewayAdminHttpsSoap12Endpoint",
	AM_GW_ADMIN_PATH ".APIGatewayAdminHttpsEndpoint",
	NULL,
};

/* RestApiAdmin and SequenceAdmin take one lock per call */
static GMutex admin_lock;

typedef enum {
	ADMIN_API_ADD,
	ADMIN_API_UPDATE,
	ADMIN_API_DELETE,
	ADMIN_API_GET,
	ADMIN_SEQ_ADD,
	ADMIN_SEQ_DELETE,
	ADMIN_SEQ_GET,
	ADMIN_SEQ_EXISTS,
	ADMIN_NOTHING,
} AdminKind;

typedef struct {
	const char *name;
	AdminKind kind;
	gboolean default_api;
	const char *what; /* WSO2's fault prefix (RESTAPIAdminClient) */
} AdminOp;

static const AdminOp admin_ops[] = {
	{ "addApi", ADMIN_API_ADD, FALSE, "Error while publishing API to the Gateway." },
	{ "addPrototypeApiScriptImpl", ADMIN_API_ADD, FALSE,
	  "Error while publishing API to the Gateway." },
	{ "addDefaultAPI", ADMIN_API_ADD, TRUE, "Error while publishing API to the Gateway." },
	{ "updateApi", ADMIN_API_UPDATE, FALSE, "Error while updating API in the gateway." },
	{ "updateApiForInlineScript", ADMIN_API_UPDATE, FALSE,
	  "Error while updating API in the gateway." },
	{ "updateDefaultApi", ADMIN_API_UPDATE, TRUE, "Error while updating API in the gateway." },
	{ "deleteApi", ADMIN_API_DELETE, FALSE, "Error while deleting API from the gateway." },
	{ "deleteDefaultApi", ADMIN_API_DELETE, TRUE, "Error while deleting API from the gateway." },
	{ "getApi", ADMIN_API_GET, FALSE, "Error while obtaining API information from gateway." },
	{ "getDefaultApi", ADMIN_API_GET, TRUE,
	  "Error while obtaining API information from gateway." },
	{ "addSequence", ADMIN_SEQ_ADD, FALSE, "Error adding sequence :" },
	{ "deleteSequence", ADMIN_SEQ_DELETE, FALSE,
	  "Couldn't get the Synapse Configuration to delete the sequence:" },
	{ "getSequence", ADMIN_SEQ_GET, FALSE, "Error while retrieving the sequence:" },
	{ "isExistingSequence", ADMIN_SEQ_EXISTS, FALSE, NULL },
	{ "deployPolicy", ADMIN_NOTHING, FALSE, NULL },
	{ "undeployPolicy", ADMIN_NOTHING, FALSE, NULL },
};

/* One call: the operation and its arguments (NULL when absent or nil). */
typedef struct {
	const char *dir;
	AmSoapVersion soap;
	const AdminOp *op;
	char *op_name; /* as called: "addApiForTenant" */
	char *provider;
	char *api_name;
	char *version;
	char *config;
	char *tenant;
	char *sequence;
	char *sequence_name;
} AdminCall;

static void
admin_call_clear (AdminCall *c)
{
	g_free (c->op_name);
	g_free (c->provider);
	g_free (c->api_name);
	g_free (c->version);
	g_free (c->config);
	g_free (c->tenant);
	g_free (c->sequence);
	g_free (c->sequence_name);
}

/* ---- names ---- */

char *
am_gw_admin_api_name (const char *provider, const char *name, const char *version)
{
	g_autoptr (GString) s = g_string_new (provider);

	g_string_replace (s, "@", "-AT-", 0);
	g_string_append_printf (s, "--%s", name);
	if (version != NULL)
		g_string_append_printf (s, ":v%s", version);
	return g_string_free (g_steal_pointer (&s), FALSE);
}

char *
am_gw_admin_file_name (const char *name)
{
	GString *s = g_string_new (name);

	for (gsize i = 0; i < s->len; i++)
		if (strchr ("\\/?*|:<> ", s->str[i]) != NULL)
			s->str[i] = '_';
	g_string_append (s, ".xml");
	return g_string_free (s, FALSE);
}

/* ---- replies ---- */

static AmSoapReply *admin_fault (const AdminCall *c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* An AxisFault thrown by the service: soapenv:Server, HTTP 500, the reason
 * after WSO2's prefix for the operation. */
static AmSoapReply *
admin_fault (const AdminCall *c, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	g_autofree char *reason = NULL;
	va_list ap;

	va_start (ap, fmt);
	msg = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	reason = c->op->what != NULL ? g_strdup_printf ("%s %s", c->op->what, msg)
				     : g_steal_pointer (&msg);
	g_message ("APIGatewayAdmin.%s refused: %s", c->op_name, reason);
	return am_soap_fault (c->soap, SOUP_STATUS_INTERNAL_SERVER_ERROR, AM_SOAP_FAULT_SERVER,
			      reason, NULL);
}

/* <ns:<op>Response> around @inner, as Axis2's RPC receiver writes it. */
static AmSoapReply *
admin_response (const AdminCall *c, const char *inner)
{
	g_autofree char *body = g_strdup_printf ("<ns:%sResponse xmlns:ns=\"" AM_GW_ADMIN_NS
						 "\">%s</ns:%sResponse>",
						 c->op_name, inner, c->op_name);

	return am_soap_envelope (c->soap, SOUP_STATUS_OK, body);
}

static AmSoapReply *
admin_bool (const AdminCall *c, gboolean value)
{
	return admin_response (c, value ? "<ns:return>true</ns:return>"
					: "<ns:return>false</ns:return>");
}

/* The parser's problems, one line: "a; b". */
static char *
admin_join (GPtrArray *errors)
{
	g_ptr_array_add (errors, NULL);
	return g_strjoinv ("; ", (char **) errors->pdata);
}

/* @node serialized with the namespaces it uses declared on it (a copy in a
 * document of its own, as Axiom's toString writes an element). */
static char *
admin_dump (xmlNode *node)
{
	xmlDoc *doc = xmlNewDoc ((const xmlChar *) "1.0");
	xmlNode *copy = xmlDocCopyNode (node, doc, 1);
	xmlBuffer *buf = xmlBufferCreate ();
	char *xml;

	xmlDocSetRootElement (doc, copy);
	xmlNodeDump (buf, doc, copy, 0, 0);
	xml = g_strdup ((const char *) xmlBufferContent (buf));
	xmlBufferFree (buf);
	xmlFreeDoc (doc);
	return xml;
}

/* ---- files ---- */

static int
admin_compare (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The non-hidden *.xml regular files of @dir, sorted (what the deployer
 * reads); empty when @dir is missing. */
static GPtrArray *
admin_list (const char *dir)
{
	GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
		char *path;

		if (name[0] == '.' || !g_str_has_suffix (name, ".xml"))
			continue;
		path = g_build_filename (dir, name, NULL);
		if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add (paths, path);
		else
			g_free (path);
	}
	g_ptr_array_sort (paths, admin_compare);
	return paths;
}

static gboolean
admin_fsync_dir (const char *dir, GError **error)
{
	int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int saved;

	if (fd < 0 || fsync (fd) != 0) {
		saved = errno;
		if (fd >= 0)
			close (fd);
		g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
			     "cannot sync directory %s: %s", dir, g_strerror (saved));
		return FALSE;
	}
	close (fd);
	return TRUE;
}

/* Write @text to @dir/@file: a hidden temporary next to it, fsync, rename
 * over, fsync the directory; nothing is left behind on failure. */
static gboolean
admin_write (const char *dir, const char *file, const char *text, GError **error)
{
	g_autofree char *path = g_build_filename (dir, file, NULL);
	g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, file);
	gsize len = strlen (text);
	gsize done = 0;
	int saved = 0;
	int fd;

	if (g_mkdir_with_parents (dir, 0755) != 0) {
		saved = errno;
		g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
			     "cannot create %s: %s", dir, g_strerror (saved));
		return FALSE;
	}
	fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		saved = errno;
		g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
			     "cannot create a file in %s: %s", dir, g_strerror (saved));
		return FALSE;
	}
	while (done < len) {
		gssize n = write (fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			saved = n < 0 ? errno : EIO;
			break;
		}
		done += (gsize) n;
	}
	if (saved == 0 && fsync (fd) != 0)
		saved = errno;
	if (close (fd) != 0 && saved == 0)
		saved = errno;
	if (saved == 0 && rename (tmp, path) != 0)
		saved = errno;
	if (saved != 0) {
		g_unlink (tmp);
		g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
			     "cannot write %s: %s", path, g_strerror (saved));
		return FALSE;
	}
	return admin_fsync_dir (dir, error);
}

static gboolean
admin_remove (const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname (path);

	if (g_unlink (path) != 0) {
		int saved = errno;

		g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
			     "cannot remove %s: %s", path, g_strerror (saved));
		return FALSE;
	}
	return admin_fsync_dir (dir, error);
}

/* ---- APIs ---- */

typedef struct {
	char *path;
	AmGwApi *api;
} AdminApiFile;

static void
admin_api_file_free (AdminApiFile *f)
{
	g_free (f->path);
	am_gw_api_unref (f->api);
	g_free (f);
}

/* Every API deployed in api/ (files that do not parse are skipped, as the
 * deployer skips them). */
static GPtrArray *
admin_scan_apis (const char *api_dir)
{
	g_autoptr (GPtrArray) paths = admin_list (api_dir);
	GPtrArray *apis = g_ptr_array_new_with_free_func ((GDestroyNotify) admin_api_file_free);

	for (guint i = 0; i < paths->len; i++) {
		g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
		AmGwApi *api = am_gw_api_load (paths->pdata[i], paths->pdata[i], NULL, errors);
		AdminApiFile *f;

		if (api == NULL)
			continue;
		f = g_new0 (AdminApiFile, 1);
		f->path = g_strdup (paths->pdata[i]);
		f->api = api;
		g_ptr_array_add (apis, f);
	}
	return apis;
}

static AdminApiFile *
admin_find_api (GPtrArray *apis, const char *qualified)
{
	for (guint i = 0; i < apis->len; i++) {
		AdminApiFile *f = apis->pdata[i];

		if (strcmp (f->api->qname, qualified) == 0)
			return f;
	}
	return NULL;
}

/* The API of apiConfig when it parses and is the one the call names;
 * otherwise NULL and why in @why. */
static AmGwApi *
admin_parse_config (const AdminCall *c, const char *qualified, char **why)
{
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (AmGwApi) api = NULL;

	if (c->config == NULL || c->config[0] == '\0') {
		*why = g_strdup ("Invalid API definition: apiConfig is empty");
		return NULL;
	}
	api = am_gw_api_parse (c->config, strlen (c->config), "apiConfig", NULL, errors);
	if (api == NULL) {
		g_autofree char *problems = admin_join (errors);

		*why = g_strdup_printf ("Invalid API definition: %s", problems);
		return NULL;
	}
	if (strcmp (api->qname, qualified) != 0) {
		*why = g_strdup_printf ("apiConfig defines the API '%s', but the call is for '%s'",
					api->qname, qualified);
		return NULL;
	}
	return g_steal_pointer (&api);
}

/* Synapse's addAPI/updateAPI: no other API with the same version on the
 * same context. */
static const AdminApiFile *
admin_context_taken (GPtrArray *apis, const AmGwApi *api, const char *qualified)
{
	for (guint i = 0; i < apis->len; i++) {
		const AdminApiFile *f = apis->pdata[i];

		if (strcmp (f->api->qname, qualified) != 0 && g_strcmp0 (f->api->version, api->version) == 0 &&
		    g_strcmp0 (f->api->context, api->context) == 0)
			return f;
	}
	return NULL;
}

static AmSoapReply *
admin_api_write (const AdminCall *c, GPtrArray *apis, const char *qualified)
{
	g_autofree char *api_dir = g_build_filename (c->dir, ADMIN_API_DIR, NULL);
	g_autofree char *why = NULL;
	g_autofree char *file = NULL;
	g_autoptr (AmGwApi) api = admin_parse_config (c, qualified, &why);
	g_autoptr (GError) error = NULL;
	const AdminApiFile *existing = admin_find_api (apis, qualified);
	const AdminApiFile *clash;

	if (api == NULL)
		return admin_fault (c, "%s", why);
	if (c->op->kind == ADMIN_API_ADD && existing != NULL)
		return admin_fault (c, "Duplicate resource definition by the name: %s", qualified);
	if (c->op->kind == ADMIN_API_UPDATE && existing == NULL)
		return admin_fault (c, "No API exists by the name: %s", qualified);
	clash = admin_context_taken (apis, api, qualified);
	if (clash != NULL)
		return admin_fault (c, "URL context: %s is already registered with the API: %s",
				    api->context, clash->api->qname);
	file = existing != NULL ? g_path_get_basename (existing->path)
				: am_gw_admin_file_name (qualified);
	if (!admin_write (api_dir, file, c->config, &error))
		return admin_fault (c, "%s", error->message);
	g_message ("APIGatewayAdmin.%s: %s written to %s/%s", c->op_name, qualified,
		   ADMIN_API_DIR, file);
	return admin_bool (c, TRUE);
}

/* <ax21:name>text</ax21:name>, or xsi:nil for NULL. */
static void
admin_put (GString *out, const char *name, const char *value)
{
	g_autofree char *text = value != NULL ? g_markup_escape_text (value, -1) : NULL;

	if (text == NULL)
		g_string_append_printf (out, "<ax21:%s xsi:nil=\"true\"/>", name);
	else
		g_string_append_printf (out, "<ax21:%s>%s</ax21:%s>", name, text, name);
}

/* The inline <@name> sequence of the resource element @res, serialized. */
static char *
admin_inline_sequence (xmlNode *res, const char *name)
{
	for (xmlNode *n = res != NULL ? res->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0)
			return admin_dump (n);
	return NULL;
}

/* ResourceData's <@kind>SeqXml and <@kind>SequenceKey ("in", "out",
 * "fault"): the key when the resource names one, else the inline
 * <@kind>Sequence element. */
static void
admin_put_sequence (GString *out, const char *kind, const char *key, xmlNode *res)
{
	g_autofree char *element = g_strconcat (kind, "Sequence", NULL);
	g_autofree char *xml_field = g_strconcat (kind, "SeqXml", NULL);
	g_autofree char *key_field = g_strconcat (element, "Key", NULL);
	g_autofree char *xml = key == NULL ? admin_inline_sequence (res, element) : NULL;

	admin_put (out, xml_field, xml);
	admin_put (out, key_field, key);
}

static void
admin_put_resource (GString *out, const AmGwResource *r, xmlNode *res)
{
	g_string_append (out, "<ax21:resources xsi:type=\"ax21:ResourceData\">");
	admin_put (out, "contentType", NULL);
	admin_put_sequence (out, "fault", r->fault_sequence, res);
	admin_put_sequence (out, "in", r->in_sequence, res);
	for (guint m = 0; r->methods != NULL && r->methods[m] != NULL; m++)
		admin_put (out, "methods", r->methods[m]);
	admin_put_sequence (out, "out", r->out_sequence, res);
	/* RESTConstants.PROTOCOL_HTTP_AND_HTTPS: the Publisher writes no
	 * per-resource protocol */
	g_string_append (out, "<ax21:protocol>0</ax21:protocol>");
	admin_put (out, "uriTemplate", r->uri_template);
	admin_put (out, "urlMapping", r->url_mapping);
	admin_put (out, "userAgent", NULL);
	g_string_append (out, "</ax21:resources>");
}

/* APIData of the API in @f (RestApiAdmin.convertApiToAPIData). */
static char *
admin_api_data (const AdminApiFile *f)
{
	GString *out = g_string_new ("<ns:return xmlns:ax21=\"" AM_GW_ADMIN_DTO_NS
				     "\" xmlns:xsi=\"" AM_XSI_NS "\" xsi:type=\"ax21:APIData\">");
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (AmConfDoc) doc = am_conf_doc_load (f->path, f->path, errors);
	g_autofree char *file = g_path_get_basename (f->path);
	g_autofree char *context = g_strdup (f->api->context_template);
	xmlNode *res = NULL;

	/* API.setContext trims trailing slashes; {version} stays */
	for (gsize n = strlen (context); n > 1 && context[n - 1] == '/'; n--)
		context[n - 1] = '\0';
	if (doc != NULL)
		res = xmlDocGetRootElement (am_conf_doc_xml (doc))->children;
	admin_put (out, "context", context);
	admin_put (out, "fileName", file);
	admin_put (out, "host", f->api->host);
	admin_put (out, "name", f->api->qname);
	g_string_append_printf (out, "<ax21:port>%d</ax21:port>", f->api->port);
	for (guint i = 0; i < f->api->resources->len; i++) {
		while (res != NULL && (res->type != XML_ELEMENT_NODE ||
				       strcmp ((const char *) res->name, "resource") != 0))
			res = res->next;
		admin_put_resource (out, f->api->resources->pdata[i], res);
		if (res != NULL)
			res = res->next;
	}
	g_string_append (out, "</ns:return>");
	return g_string_free (out, FALSE);
}

static AmSoapReply *
admin_api (const AdminCall *c)
{
	g_autofree char *api_dir = g_build_filename (c->dir, ADMIN_API_DIR, NULL);
	g_autoptr (GPtrArray) apis = NULL;
	g_autofree char *qualified = NULL;
	g_autoptr (GError) error = NULL;
	AdminApiFile *f;

	if (c->provider == NULL || c->provider[0] == '\0' || c->api_name == NULL ||
	    c->api_name[0] == '\0')
		return admin_fault (c, "apiProviderName and apiName are required");
	if (!c->op->default_api && (c->version == NULL || c->version[0] == '\0'))
		return admin_fault (c, "version is required");
	qualified = am_gw_admin_api_name (c->provider, c->api_name,
					  c->op->default_api ? NULL : c->version);
	apis = admin_scan_apis (api_dir);
	if (c->op->kind == ADMIN_API_ADD || c->op->kind == ADMIN_API_UPDATE)
		return admin_api_write (c, apis, qualified);
	f = admin_find_api (apis, qualified);
	if (c->op->kind == ADMIN_API_GET) {
		g_autofree char *data = f != NULL ? admin_api_data (f) : NULL;

		return admin_response (c, data != NULL ? data
						       : "<ns:return xmlns:xsi=\"" AM_XSI_NS
							 "\" xsi:nil=\"true\"/>");
	}
	/* ADMIN_API_DELETE */
	if (f == NULL)
		return admin_fault (c, "No API exists by the name: %s", qualified);
	if (!admin_remove (f->path, &error))
		return admin_fault (c, "%s", error->message);
	g_message ("APIGatewayAdmin.%s: %s removed (%s/%s)", c->op_name, qualified, ADMIN_API_DIR,
		   strrchr (f->path, G_DIR_SEPARATOR) + 1);
	return admin_bool (c, TRUE);
}

/* ---- sequences ---- */

/* The file defining the sequence @name in sequences/, or NULL. */
static char *
admin_find_sequence (const char *seq_dir, const char *name)
{
	g_autoptr (GPtrArray) paths = admin_list (seq_dir);

	for (guint i = 0; i < paths->len; i++) {
		g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
		g_autofree char *text = NULL;
		g_autofree char *found = NULL;
		gsize len;

		if (!g_file_get_contents (paths->pdata[i], &text, &len, NULL))
			continue;
		found = am_gw_artifact_name (text, len, paths->pdata[i], "sequence", errors);
		if (g_strcmp0 (found, name) == 0)
			return g_strdup (paths->pdata[i]);
	}
	return NULL;
}

/* <ns:return> with the sequence element of @path (an OMElement return). */
static char *
admin_sequence_return (const char *path)
{
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (AmConfDoc) doc = am_conf_doc_load (path, path, errors);
	g_autofree char *xml = NULL;

	if (doc == NULL)
		return NULL;
	xml = admin_dump (xmlDocGetRootElement (am_conf_doc_xml (doc)));
	return g_strdup_printf ("<ns:return>%s</ns:return>", xml);
}

static AmSoapReply *
admin_sequence_add (const AdminCall *c, const char *seq_dir)
{
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	g_autofree char *name = NULL;
	g_autofree char *existing = NULL;
	g_autofree char *file = NULL;
	g_autofree char *path = NULL;
	g_autoptr (GError) error = NULL;

	if (c->sequence == NULL || c->sequence[0] == '\0')
		return admin_fault (c, "Invalid sequence definition: the sequence is empty");
	name = am_gw_artifact_name (c->sequence, strlen (c->sequence), "sequence", "sequence",
				    errors);
	if (name == NULL) {
		g_autofree char *problems = admin_join (errors);

		return admin_fault (c, "Invalid sequence definition: %s", problems);
	}
	existing = admin_find_sequence (seq_dir, name);
	file = am_gw_admin_file_name (name);
	path = g_build_filename (seq_dir, file, NULL);
	if (existing != NULL || g_file_test (path, G_FILE_TEST_EXISTS))
		return admin_fault (c,
				    "The name '%s' is already used within the configuration - a "
				    "sequence or local entry with this name already exists",
				    name);
	if (!admin_write (seq_dir, file, c->sequence, &error))
		return admin_fault (c, "%s", error->message);
	g_message ("APIGatewayAdmin.%s: sequence %s written to %s/%s", c->op_name, name,
		   ADMIN_SEQUENCE_DIR, file);
	return admin_bool (c, TRUE);
}

static AmSoapReply *
admin_sequence (const AdminCall *c)
{
	g_autofree char *seq_dir = g_build_filename (c->dir, ADMIN_SEQUENCE_DIR, NULL);
	g_autofree char *path = NULL;
	g_autofree char *ret = NULL;
	g_autoptr (GError) error = NULL;

	if (c->op->kind == ADMIN_SEQ_ADD)
		return admin_sequence_add (c, seq_dir);
	if (c->sequence_name == NULL || c->sequence_name[0] == '\0')
		return admin_fault (c, "sequenceName is required");
	path = admin_find_sequence (seq_dir, c->sequence_name);
	if (c->op->kind == ADMIN_SEQ_EXISTS)
		return admin_bool (c, path != NULL);
	if (path == NULL)
		return admin_fault (c, "No defined sequence with name %s found in the Synapse "
				       "configuration",
				    c->sequence_name);
	if (c->op->kind == ADMIN_SEQ_GET) {
		ret = admin_sequence_return (path);
		return ret != NULL ? admin_response (c, ret)
				   : admin_fault (c, "Unable to get the sequence : %s",
						  c->sequence_name);
	}
	/* ADMIN_SEQ_DELETE */
	if (!admin_remove (path, &error))
		return admin_fault (c, "%s", error->message);
	g_message ("APIGatewayAdmin.%s: sequence %s removed", c->op_name, c->sequence_name);
	return admin_bool (c, TRUE);
}

/* ---- dispatch ---- */

/* The operation the Body's element @op names, in the WSDL's namespace (or
 * Axis2's default); ForTenant variants set @tenant_variant. */
static const AdminOp *
admin_match (xmlNode *op, gboolean *tenant_variant)
{
	g_autofree char *base = NULL;

	if (op == NULL || op->ns == NULL ||
	    (strcmp ((const char *) op->ns->href, AM_GW_ADMIN_NS) != 0 &&
	     strcmp ((const char *) op->ns->href, AM_AXIS2_XSD_NS) != 0))
		return NULL;
	base = g_strdup ((const char *) op->name);
	*tenant_variant = g_str_has_suffix (base, "ForTenant");
	if (*tenant_variant)
		base[strlen (base) - strlen ("ForTenant")] = '\0';
	for (guint i = 0; i < G_N_ELEMENTS (admin_ops); i++)
		if (strcmp (admin_ops[i].name, base) == 0 &&
		    !(*tenant_variant && admin_ops[i].kind == ADMIN_NOTHING))
			return &admin_ops[i];
	return NULL;
}

/* The children of the operation element, by local name (qualified as the
 * WSDL says, or not). */
static void
admin_read_args (AdminCall *c, xmlNode *op)
{
	static const struct {
		const char *name;
		goffset offset;
	} args[] = {
		{ "apiProviderName", G_STRUCT_OFFSET (AdminCall, provider) },
		{ "apiName", G_STRUCT_OFFSET (AdminCall, api_name) },
		{ "version", G_STRUCT_OFFSET (AdminCall, version) },
		{ "apiConfig", G_STRUCT_OFFSET (AdminCall, config) },
		{ "tenantDomain", G_STRUCT_OFFSET (AdminCall, tenant) },
		{ "sequence", G_STRUCT_OFFSET (AdminCall, sequence) },
		{ "sequenceName", G_STRUCT_OFFSET (AdminCall, sequence_name) },
	};

	for (xmlNode *n = am_soap_first_element (op->children); n != NULL;
	     n = am_soap_first_element (n->next)) {
		for (guint i = 0; i < G_N_ELEMENTS (args); i++) {
			char **slot = G_STRUCT_MEMBER_P (c, args[i].offset);

			if (*slot == NULL && strcmp ((const char *) n->name, args[i].name) == 0)
				*slot = am_soap_element_value (n);
		}
	}
}

static AmSoapReply *
admin_dispatch (const AdminCall *c)
{
	switch (c->op->kind) {
	case ADMIN_API_ADD:
	case ADMIN_API_UPDATE:
	case ADMIN_API_DELETE:
	case ADMIN_API_GET:
		return admin_api (c);
	case ADMIN_SEQ_ADD:
	case ADMIN_SEQ_DELETE:
	case ADMIN_SEQ_GET:
	case ADMIN_SEQ_EXISTS:
		return admin_sequence (c);
	case ADMIN_NOTHING:
		break;
	}
	return admin_bool (c, FALSE);
}

AmSoapReply *
am_gw_admin_process (const char *synapse_dir, const char *content_type, const char *body,
		     gsize len)
{
	AdminCall c = { .dir = synapse_dir };
	AmSoapReply *fault = NULL;
	AmSoapReply *reply;
	gboolean tenant_variant = FALSE;
	xmlNode *op = NULL;
	xmlDoc *doc;

	doc = am_soap_parse (content_type, body, len, ADMIN_MAX_BODY, AM_GW_ADMIN_PATH, &c.soap,
			     &op, &fault);
	if (doc == NULL)
		return fault;
	c.op = admin_match (op, &tenant_variant);
	if (c.op == NULL) {
		xmlFreeDoc (doc);
		/* Axis2's DispatchPhase message when no operation matches */
		return am_soap_fault (c.soap, SOUP_STATUS_INTERNAL_SERVER_ERROR,
				      AM_SOAP_FAULT_CLIENT,
				      "The endpoint reference (EPR) for the Operation not found is "
				      AM_GW_ADMIN_PATH " and the WSA Action = null",
				      NULL);
	}
	c.op_name = g_strdup ((const char *) op->name);
	admin_read_args (&c, op);
	xmlFreeDoc (doc);
	if (tenant_variant && c.tenant != NULL && c.tenant[0] != '\0' &&
	    g_ascii_strcasecmp (c.tenant, AM_GW_ADMIN_SUPER_TENANT) != 0) {
		reply = admin_fault (&c,
				     "Tenant '%s' is not served by this gateway: only the super "
				     "tenant (" AM_GW_ADMIN_SUPER_TENANT ") is supported",
				     c.tenant);
	} else {
		g_mutex_lock (&admin_lock);
		reply = admin_dispatch (&c);
		g_mutex_unlock (&admin_lock);
	}
	admin_call_clear (&c);
	return reply;
}

/* ---- the service ---- */

struct _AmGwAdmin {
	AmSoapAdmin *admin;
	char *dir;
};

static AmSoapReply *
admin_call (gpointer data, const char *content_type, const char *body, gsize len)
{
	AmGwAdmin *self = data;

	return am_gw_admin_process (self->dir, content_type, body, len);
}

AmGwAdmin *
am_gw_admin_new (AmMgmt *mgmt, AmUserStore *us, const char *synapse_dir)
{
	AmGwAdmin *self = g_new0 (AmGwAdmin, 1);

	self->dir = g_strdup (synapse_dir);
	self->admin = am_soap_admin_new (mgmt, us, admin_paths, AM_GW_ADMIN_PERMISSION,
					 ADMIN_MAX_BODY, admin_call, self);
	return self;
}

void
am_gw_admin_free (AmGwAdmin *admin)
{
	if (admin == NULL)
		return;
	am_soap_admin_free (admin->admin);
	g_free (admin->dir);
	g_free (admin);
}
