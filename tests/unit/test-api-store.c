/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API storage (am-api-store): round trips through the registry and the
 * AM_* rows on SQLite and MariaDB; a WSO2 2.6 PizzaShackAPI (artifact +
 * swagger + REG_* + AM_* rows in the shape 2.6 writes them, from
 * tests/data/apimgt/) read back; a 2.1-shaped scope schema; the error
 * codes (duplicates, context, scopes, subscriptions, states, queries).
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "am-api-store.h"
#include "am-test-util.h"

typedef struct {
	char *dir;
	char *mysql_db;
	AmDb *db;
	AmDbConn *conn;
	AmRegistry *reg;
	AmApiStore *store;
	gboolean skip;
} Fixture;

enum { V_SQLITE = 0, V_MYSQL = 1, V_SQLITE_21 = 2 };

static void
sql (Fixture *f, const char *text)
{
	g_autoptr (GError) error = NULL;

	g_assert_true (am_db_exec_script (f->conn, text, &error));
	g_assert_no_error (error);
	g_assert_true (am_db_commit (f->conn, &error));
}

static gboolean
fixture_mysql (Fixture *f)
{
	const char *url = g_getenv ("AM_TEST_MYSQL_URL");
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDb) admin = NULL;
	g_autoptr (AmDbConn) conn = NULL;
	g_autofree char *create = NULL;
	g_autofree char *new_url = NULL;
	AmDatasourceConf ds = { 0 };
	const char *slash, *q;
	static int serial;

	if (url == NULL || *url == '\0')
		return FALSE;
	ds.name = "WSO2AM_DB";
	ds.url = (char *) url;
	ds.username = (char *) g_getenv ("AM_TEST_MYSQL_USER");
	ds.password = (char *) g_getenv ("AM_TEST_MYSQL_PASSWORD");
	ds.max_active = 4;
	ds.max_wait_ms = 5000;
	ds.validation_query = "SELECT 1";
	admin = am_db_new (&ds, "/", &error);
	g_assert_no_error (error);
	conn = am_db_acquire (admin, &error);
	g_assert_no_error (error);
	f->mysql_db = g_strdup_printf ("amtest_api_%d_%d", (int) getpid (), serial++);
	create = g_strdup_printf ("DROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s;\n", f->mysql_db,
				  f->mysql_db);
	g_assert_true (am_db_exec_script (conn, create, &error));
	g_assert_no_error (error);
	am_db_commit (conn, NULL);
	slash = strstr (url + strlen ("jdbc:mysql://"), "/");
	q = strchr (slash, '?');
	new_url = g_strdup_printf ("%.*s/%s%s", (int) (slash - url), url, f->mysql_db, q ? q : "");
	ds.url = new_url;
	f->db = am_db_new (&ds, "/", &error);
	g_assert_no_error (error);
	return TRUE;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	int v = GPOINTER_TO_INT (data);
	g_autoptr (GError) error = NULL;

	f->dir = g_dir_make_tmp ("apimd-api-XXXXXX", &error);
	g_assert_no_error (error);
	if (v == V_MYSQL) {
		g_autofree char *s1 = am_test_schema_text ("mysql.sql");
		g_autofree char *s2 = am_test_schema_text ("apimgt/mysql.sql");

		if (!fixture_mysql (f)) {
			f->skip = TRUE;
			g_test_skip ("MySQL tests need AM_TEST_MYSQL_URL, AM_TEST_MYSQL_USER and "
				     "AM_TEST_MYSQL_PASSWORD (see tests/lib/mariadb.sh)");
			return;
		}
		f->conn = am_db_acquire (f->db, &error);
		g_assert_no_error (error);
		sql (f, s1);
		sql (f, s2);
	} else {
		/* regdb and apimgtdb in one file, as many installs have them */
		const char *const schemas[] = { "apimgt/sqlite.sql", "sqlite.sql", NULL };

		f->db = am_test_sqlite_db (f->dir, schemas);
		f->conn = am_db_acquire (f->db, &error);
		g_assert_no_error (error);
	}
	if (v == V_SQLITE_21)
		/* the API-M 2.1 (carbon-apimgt 6.1.66) scope tables */
		sql (f, "DROP TABLE IDN_OAUTH2_SCOPE_BINDING;\n"
			"DROP TABLE IDN_OAUTH2_RESOURCE_SCOPE;\n"
			"DROP TABLE AM_API_SCOPES;\n"
			"DROP TABLE IDN_OAUTH2_SCOPE;\n"
			"CREATE TABLE IDN_OAUTH2_SCOPE (SCOPE_ID INTEGER PRIMARY KEY AUTOINCREMENT, "
			"SCOPE_KEY VARCHAR(100) NOT NULL, NAME VARCHAR(255) NULL, DESCRIPTION "
			"VARCHAR(512) NULL, TENANT_ID INTEGER NOT NULL DEFAULT 0, ROLES "
			"VARCHAR(500) NULL);\n"
			"CREATE TABLE IDN_OAUTH2_RESOURCE_SCOPE (RESOURCE_PATH VARCHAR(255) NOT NULL, "
			"SCOPE_ID INTEGER NOT NULL, TENANT_ID INTEGER DEFAULT -1, PRIMARY KEY "
			"(RESOURCE_PATH), FOREIGN KEY (SCOPE_ID) REFERENCES IDN_OAUTH2_SCOPE "
			"(SCOPE_ID));\n"
			"CREATE TABLE AM_API_SCOPES (API_ID INTEGER NOT NULL, SCOPE_ID INTEGER NOT "
			"NULL, FOREIGN KEY (API_ID) REFERENCES AM_API (API_ID) ON DELETE CASCADE, "
			"FOREIGN KEY (SCOPE_ID) REFERENCES IDN_OAUTH2_SCOPE (SCOPE_ID) ON DELETE "
			"CASCADE);\n");
	f->reg = am_registry_new (AM_REGISTRY_SUPER_TENANT_ID, TRUE);
	f->store = am_api_store_new (f->reg);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	if (f->conn != NULL)
		am_db_rollback (f->conn, NULL);
	if (f->mysql_db != NULL && f->conn != NULL) {
		g_autofree char *drop = g_strdup_printf ("DROP DATABASE %s;\n", f->mysql_db);
		am_db_exec_script (f->conn, drop, NULL);
	}
	g_clear_pointer (&f->conn, am_db_release);
	g_clear_pointer (&f->store, am_api_store_free);
	g_clear_pointer (&f->reg, am_registry_free);
	g_clear_pointer (&f->db, am_db_unref);
	am_test_rm_rf (f->dir);
	g_free (f->dir);
	g_free (f->mysql_db);
}

static gint64
count (Fixture *f, const char *q, const char *arg)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbStmt) st = am_db_prepare (f->conn, q, &error);
	gint64 n;

	g_assert_no_error (error);
	if (arg != NULL)
		am_db_bind_text (st, 1, arg);
	g_assert_cmpint (am_db_step (st, &error), ==, AM_DB_STEP_ROW);
	n = am_db_column_int64 (st, 0);
	g_clear_pointer (&st, am_db_stmt_free);
	am_db_commit (f->conn, NULL);
	return n;
}

static char *
text1 (Fixture *f, const char *q, const char *arg)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmDbStmt) st = am_db_prepare (f->conn, q, &error);
	char *s;

	g_assert_no_error (error);
	if (arg != NULL)
		am_db_bind_text (st, 1, arg);
	g_assert_cmpint (am_db_step (st, &error), ==, AM_DB_STEP_ROW);
	s = g_strdup (am_db_column_text (st, 0));
	g_clear_pointer (&st, am_db_stmt_free);
	am_db_commit (f->conn, NULL);
	return s;
}

/* An API as the Publisher would send it. */
static AmApi *
sample (const char *provider, const char *name, const char *version, const char *context)
{
	AmApi *api = am_api_new ();
	const char *const roles[] = { "Internal/subscriber", "admin", NULL };
	const char *const tiers[] = { "Gold", "Unlimited", NULL };
	const char *const tags[] = { "food", "pizza", NULL };
	const char *const envs[] = { "Production and Sandbox", NULL };
	const char *const origins[] = { "*", NULL };

	api->provider = g_strdup (provider);
	api->name = g_strdup (name);
	api->version = g_strdup (version);
	api->context = g_strdup (context);
	api->description = g_strdup ("Pizza & <more>");
	api->tiers = g_strdupv ((char **) tiers);
	api->tags = g_strdupv ((char **) tags);
	api->gateway_environments = g_strdupv ((char **) envs);
	api->endpoint_config = g_strdup ("{\"production_endpoints\":{\"url\":\"http://127.0.0.1:9\"},"
					 "\"endpoint_type\":\"http\"}");
	api->endpoint_security_type = g_strdup ("digest");
	api->endpoint_username = g_strdup ("be");
	api->endpoint_password = g_strdup ("secret");
	api->max_tps_production = 100;
	api->business_owner = g_strdup ("Jane");
	api->cors.enabled = TRUE;
	api->cors.allow_origins = g_strdupv ((char **) origins);
	api->swagger = g_strdup ("{\"swagger\":\"2.0\",\"paths\":{}}");
	g_ptr_array_add (api->operations, am_api_operation_new ("/menu", "GET", AM_API_AUTH_NONE,
								"Unlimited", NULL));
	g_ptr_array_add (api->operations,
			 am_api_operation_new ("/order", "POST", AM_API_AUTH_APPLICATION_USER, "Gold",
					       "order_food"));
	g_ptr_array_add (api->scopes, am_api_scope_new ("order_food", "Order food", "Place orders",
							roles));
	return api;
}

static void
create_ok (Fixture *f, AmApi *api)
{
	g_autoptr (GError) error = NULL;

	gboolean ok = am_api_store_create (f->store, f->conn, f->conn, api, "admin", &error);

	g_assert_no_error (error);
	g_assert_true (ok);
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmApi) api = NULL;
	g_autoptr (AmApi) got = NULL;
	g_autoptr (AmApi) again = NULL;
	g_autofree char *xml = NULL;
	const AmApiOperation *op;

	if (f->skip)
		return;
	api = sample ("alice@example.com", "Pizza", "1.0.0", "/pizza");
	create_ok (f, api);
	g_assert_nonnull (api->id);
	g_assert_cmpint (api->db_id, >, 0);
	g_assert_cmpstr (api->context, ==, "/pizza/1.0.0");
	g_assert_cmpstr (api->context_template, ==, "/pizza/{version}");

	/* the rows ApiMgtDAO writes */
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM AM_API WHERE API_PROVIDER = ? AND "
				"CONTEXT = '/pizza/1.0.0' AND CONTEXT_TEMPLATE = '/pizza' AND "
				"CREATED_BY = 'admin' AND CREATED_TIME IS NOT NULL",
				"alice@example.com"),
			 ==, 1);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM AM_API_URL_MAPPING WHERE HTTP_METHOD = 'POST' "
				"AND AUTH_SCHEME = 'Application_User' AND URL_PATTERN = ? AND "
				"THROTTLING_TIER = 'Gold'",
				"/order"),
			 ==, 1);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM AM_API_LC_EVENT WHERE PREVIOUS_STATE IS NULL "
				"AND NEW_STATE = 'CREATED' AND USER_ID = ? AND TENANT_ID = -1234",
				"admin"),
			 ==, 1);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM IDN_OAUTH2_RESOURCE_SCOPE WHERE RESOURCE_PATH "
				"= ? AND TENANT_ID = -1234",
				"/pizza/1.0.0/1.0.0/order:POST"),
			 ==, 1);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM AM_API_SCOPES", NULL), ==, 1);
	/* registry: the artifact where WSO2 keeps it, "-AT-" in the path */
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM REG_RESOURCE R, REG_PATH P WHERE R.REG_UUID = "
				"? AND R.REG_NAME = 'api' AND P.REG_PATH_ID = R.REG_PATH_ID AND "
				"P.REG_PATH_VALUE = '/_system/governance/apimgt/applicationdata/"
				"provider/alice-AT-example.com/Pizza/1.0.0' AND R.REG_MEDIA_TYPE = "
				"'application/vnd.wso2-api+xml' AND R.REG_TENANT_ID = -1234",
				api->id),
			 ==, 1);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM REG_PROPERTY WHERE REG_NAME = "
				"'registry.lifecycle.APILifeCycle.state' AND REG_VALUE = ?",
				"Created"),
			 ==, 1);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM REG_ASSOCIATION WHERE REG_SOURCEPATH = ? AND "
				"REG_ASSOCIATION_TYPE = 'provides'",
				"/_system/governance/apimgt/applicationdata/provider/"
				"alice-AT-example.com"),
			 ==, 1);
	xml = text1 (f,
		     "SELECT C.REG_CONTENT_DATA FROM REG_CONTENT C, REG_RESOURCE R WHERE "
		     "R.REG_UUID = ? AND C.REG_CONTENT_ID = R.REG_CONTENT_ID",
		     api->id);
	g_assert_true (g_str_has_prefix (xml, "<metadata xmlns=\"http://www.wso2.org/governance/"
					      "metadata\"><overview>"));
	g_assert_nonnull (strstr (xml, "<provider>alice-AT-example.com</provider>"));
	g_assert_nonnull (strstr (xml, "<tier>Gold||Unlimited</tier>"));
	g_assert_nonnull (strstr (xml, "<transports>http,https</transports>"));
	g_assert_nonnull (strstr (xml, "<description>Pizza &amp; &lt;more&gt;</description>"));
	g_assert_nonnull (strstr (xml, "<urlPattern1>/order</urlPattern1>"));
	g_assert_nonnull (strstr (xml, "<endpointPpassword>secret</endpointPpassword>"));

	got = am_api_store_get (f->store, f->conn, f->conn, api->id, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (got->provider, ==, "alice@example.com");
	g_assert_cmpstr (got->name, ==, "Pizza");
	g_assert_cmpstr (got->context, ==, "/pizza/1.0.0");
	g_assert_cmpstr (got->context_template, ==, "/pizza/{version}");
	g_assert_cmpstr (got->description, ==, "Pizza & <more>");
	g_assert_cmpstr (got->status, ==, "CREATED");
	g_assert_cmpint (got->db_id, ==, api->db_id);
	g_assert_cmpstr (got->tiers[1], ==, "Unlimited");
	g_assert_cmpstr (got->tags[0], ==, "food");
	g_assert_cmpstr (got->gateway_environments[0], ==, "Production and Sandbox");
	g_assert_cmpstr (got->endpoint_config, ==, api->endpoint_config);
	g_assert_cmpstr (got->endpoint_security_type, ==, "digest");
	g_assert_cmpstr (got->endpoint_password, ==, "secret");
	g_assert_cmpint (got->max_tps_production, ==, 100);
	g_assert_cmpint (got->max_tps_sandbox, ==, -1);
	g_assert_true (got->cors.enabled);
	g_assert_cmpstr (got->cors.allow_origins[0], ==, "*");
	g_assert_cmpstr (got->swagger, ==, api->swagger);
	g_assert_cmpuint (got->operations->len, ==, 2);
	op = got->operations->pdata[1];
	g_assert_cmpstr (op->url_pattern, ==, "/order");
	g_assert_cmpint (op->auth_type, ==, AM_API_AUTH_APPLICATION_USER);
	g_assert_cmpstr (op->throttling_tier, ==, "Gold");
	g_assert_cmpstr (op->scope, ==, "order_food");
	g_assert_null (((AmApiOperation *) got->operations->pdata[0])->scope);
	g_assert_cmpuint (got->scopes->len, ==, 1);
	g_assert_cmpstr (((AmApiScope *) got->scopes->pdata[0])->name, ==, "Order food");
	g_assert_cmpstr (((AmApiScope *) got->scopes->pdata[0])->roles[1], ==, "admin");

	again = am_api_store_get_by_identifier (f->store, f->conn, f->conn, "alice-AT-example.com",
						"Pizza", "1.0.0", &error);
	g_assert_no_error (error);
	g_assert_cmpstr (again->id, ==, api->id);

	/* update: new resources, no scope, default version; status stays */
	g_free (got->description);
	got->description = g_strdup ("v2");
	got->is_default_version = TRUE;
	g_free (got->status);
	got->status = g_strdup ("PUBLISHED");
	g_ptr_array_set_size (got->scopes, 0);
	g_ptr_array_set_size (got->operations, 0);
	g_ptr_array_add (got->operations, am_api_operation_new ("/*", "GET", AM_API_AUTH_ANY, NULL,
								NULL));
	g_assert_true (am_api_store_update (f->store, f->conn, f->conn, got, "bob", &error));
	g_assert_no_error (error);
	g_clear_pointer (&again, am_api_free);
	again = am_api_store_get (f->store, f->conn, f->conn, api->id, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (again->description, ==, "v2");
	g_assert_cmpstr (again->status, ==, "CREATED");
	g_assert_true (again->is_default_version);
	g_assert_cmpuint (again->operations->len, ==, 1);
	g_assert_cmpuint (again->scopes->len, ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM IDN_OAUTH2_SCOPE WHERE TENANT_ID = -1234",
				NULL),
			 ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM IDN_OAUTH2_RESOURCE_SCOPE", NULL), ==, 0);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM AM_API_DEFAULT_VERSION WHERE API_NAME = ? AND "
				"DEFAULT_API_VERSION = '1.0.0' AND PUBLISHED_DEFAULT_API_VERSION IS "
				"NULL",
				"Pizza"),
			 ==, 1);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM AM_API WHERE UPDATED_BY = ?", "bob"), ==,
			 1);

	/* status changes: LC event, property, published default version */
	g_assert_true (am_api_store_change_status (f->store, f->conn, f->conn, api->id, "published",
						   "admin", &error));
	g_assert_no_error (error);
	g_clear_pointer (&again, am_api_free);
	again = am_api_store_get (f->store, f->conn, f->conn, api->id, &error);
	g_assert_cmpstr (again->status, ==, "PUBLISHED");
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM AM_API_LC_EVENT WHERE PREVIOUS_STATE = "
				"'CREATED' AND NEW_STATE = ?",
				"PUBLISHED"),
			 ==, 1);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM REG_PROPERTY WHERE REG_NAME = "
				"'registry.lifecycle.APILifeCycle.state' AND REG_VALUE = ?",
				"Published"),
			 ==, 1);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM AM_API_DEFAULT_VERSION WHERE "
				"PUBLISHED_DEFAULT_API_VERSION = ?",
				"1.0.0"),
			 ==, 1);

	/* delete: nothing left behind */
	g_assert_true (am_api_store_delete (f->store, f->conn, f->conn, api->id, &error));
	g_assert_no_error (error);
	g_clear_pointer (&again, am_api_free);
	again = am_api_store_get (f->store, f->conn, f->conn, api->id, &error);
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_NOT_FOUND);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM AM_API", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM AM_API_URL_MAPPING", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM AM_API_LC_EVENT", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM AM_API_DEFAULT_VERSION", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_CONTENT", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_PROPERTY", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_ASSOCIATION", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_RESOURCE WHERE REG_NAME IS NOT NULL",
				NULL),
			 ==, 0);
}

static void
load_fixture (Fixture *f)
{
	g_autoptr (GError) error = NULL;
	const char *files[] = { "pizzashack-api.xml", "pizzashack-swagger.json" };
	g_autofree char *rows = NULL;
	g_autofree char *rows_path =
		g_test_build_filename (G_TEST_DIST, "data", "apimgt", "pizzashack-rows.sql", NULL);

	for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
		g_autofree char *path =
			g_test_build_filename (G_TEST_DIST, "data", "apimgt", files[i], NULL);
		g_autofree char *content = NULL;
		g_autoptr (AmDbStmt) st = NULL;

		g_assert_true (g_file_get_contents (path, &content, NULL, &error));
		g_strchomp (content);
		st = am_db_prepare (f->conn,
				    "INSERT INTO REG_CONTENT (REG_CONTENT_ID, REG_CONTENT_DATA, "
				    "REG_TENANT_ID) VALUES (?, ?, -1234)",
				    &error);
		g_assert_no_error (error);
		am_db_bind_int64 (st, 1, i + 1);
		am_db_bind_text (st, 2, content);
		g_assert_cmpint (am_db_step (st, &error), ==, AM_DB_STEP_DONE);
	}
	g_assert_true (g_file_get_contents (rows_path, &rows, NULL, &error));
	sql (f, rows);
}

#define PIZZA_ID "7a2c3f5e-1b4d-4c8e-9f60-2d1e5b7a9c31"

static void
test_wso2_fixture (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmApi) api = NULL;
	g_autoptr (GPtrArray) list = NULL;
	g_autoptr (AmApi) other = NULL;
	const AmApiOperation *op;
	const AmApiScope *sc;

	if (f->skip)
		return;
	load_fixture (f);
	api = am_api_store_get (f->store, f->conn, f->conn, PIZZA_ID, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (api->id, ==, PIZZA_ID);
	g_assert_cmpint (api->db_id, ==, 1);
	g_assert_cmpstr (api->provider, ==, "admin");
	g_assert_cmpstr (api->name, ==, "PizzaShackAPI");
	g_assert_cmpstr (api->version, ==, "1.0.0");
	g_assert_cmpstr (api->context, ==, "/pizzashack/1.0.0");
	g_assert_cmpstr (api->context_template, ==, "/pizzashack/{version}");
	g_assert_cmpstr (api->status, ==, "PUBLISHED");
	g_assert_cmpstr (api->type, ==, "HTTP");
	g_assert_cmpstr (api->visibility, ==, "public");
	g_assert_true (api->is_default_version);
	g_assert_false (api->response_caching);
	g_assert_cmpint (api->cache_timeout, ==, 300);
	g_assert_cmpint (api->max_tps_production, ==, 1000);
	g_assert_cmpint (api->max_tps_sandbox, ==, -1);
	g_assert_null (api->endpoint_security_type);
	g_assert_null (api->endpoint_username);
	g_assert_null (api->in_sequence);
	g_assert_null (api->api_level_policy);
	g_assert_cmpuint (g_strv_length (api->transports), ==, 2);
	g_assert_cmpuint (g_strv_length (api->tiers), ==, 2);
	g_assert_cmpstr (api->tiers[0], ==, "Gold");
	g_assert_cmpstr (api->gateway_environments[0], ==, "Production and Sandbox");
	g_assert_cmpuint (g_strv_length (api->visible_roles), ==, 0);
	g_assert_cmpstr (api->technical_owner, ==, "John Doe");
	g_assert_cmpstr (api->business_owner_email, ==, "marketing@pizzashack.com");
	g_assert_cmpstr (api->authorization_header, ==, "Authorization");
	g_assert_cmpstr (api->subscription_availability, ==, "current_tenant");
	g_assert_false (api->cors.enabled);
	g_assert_cmpuint (g_strv_length (api->cors.allow_methods), ==, 6);
	g_assert_nonnull (strstr (api->endpoint_config, "pizzashack/v1/api/"));
	g_assert_true (g_str_has_prefix (api->swagger, "{\"paths\":{\"/order\""));
	g_assert_cmpstr (api->tags[0], ==, "food");
	g_assert_cmpstr (api->tags[1], ==, "pizza");
	g_assert_cmpint (api->created_ms, ==, (gint64) 1551434400 * 1000);
	g_assert_cmpint (api->updated_ms, ==, (gint64) 1551434700 * 1000);
	/* resources in AM_API_URL_MAPPING order, scope from the resource key */
	g_assert_cmpuint (api->operations->len, ==, 5);
	op = api->operations->pdata[0];
	g_assert_cmpstr (op->http_method, ==, "POST");
	g_assert_cmpstr (op->url_pattern, ==, "/order");
	g_assert_cmpint (op->auth_type, ==, AM_API_AUTH_APPLICATION_USER);
	g_assert_cmpstr (op->scope, ==, "order_food");
	op = api->operations->pdata[4];
	g_assert_cmpstr (op->url_pattern, ==, "/menu");
	g_assert_cmpint (op->auth_type, ==, AM_API_AUTH_NONE);
	g_assert_null (op->scope);
	g_assert_cmpuint (api->scopes->len, ==, 1);
	sc = api->scopes->pdata[0];
	g_assert_cmpstr (sc->key, ==, "order_food");
	g_assert_cmpstr (sc->name, ==, "Order food");
	g_assert_cmpstr (sc->roles[0], ==, "Internal/subscriber");

	/* it is found by identifier and by WSO2's query forms */
	other = am_api_store_get_by_identifier (f->store, f->conn, f->conn, "admin",
						"PizzaShackAPI", "1.0.0", &error);
	g_assert_no_error (error);
	g_assert_cmpstr (other->id, ==, PIZZA_ID);
	list = am_api_store_search (f->store, f->conn, f->conn, "status:published context:/pizza*",
				    &error);
	g_assert_no_error (error);
	g_assert_cmpuint (list->len, ==, 1);

	/* a status change keeps the other lifecycle properties WSO2 left */
	g_assert_true (am_api_store_change_status (f->store, f->conn, f->conn, PIZZA_ID,
						   "DEPRECATED", "admin", &error));
	g_assert_no_error (error);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM REG_PROPERTY WHERE REG_NAME = ?",
				"registry.custom_lifecycle.checklist.option.APILifeCycle.0.item"),
			 ==, 3);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM AM_API_LC_EVENT WHERE API_ID = 1 AND "
				"PREVIOUS_STATE = 'PUBLISHED' AND NEW_STATE = ?",
				"DEPRECATED"),
			 ==, 1);
	/* a subscription blocks the delete, with its own code */
	sql (f, "INSERT INTO AM_SUBSCRIBER (SUBSCRIBER_ID, USER_ID, TENANT_ID, EMAIL_ADDRESS, "
		"DATE_SUBSCRIBED) VALUES (1, 'bob', -1234, '', '2019-03-02 10:00:00');\n"
		"INSERT INTO AM_APPLICATION (APPLICATION_ID, NAME, SUBSCRIBER_ID, UUID) VALUES (1, "
		"'DefaultApplication', 1, 'app-1');\n"
		"INSERT INTO AM_SUBSCRIPTION (TIER_ID, API_ID, APPLICATION_ID, SUB_STATUS, UUID) "
		"VALUES ('Gold', 1, 1, 'UNBLOCKED', 'sub-1');\n");
	g_assert_false (am_api_store_delete (f->store, f->conn, f->conn, PIZZA_ID, &error));
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_HAS_SUBSCRIPTIONS);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM AM_API", NULL), ==, 1);
	g_clear_error (&error);
	sql (f, "DELETE FROM AM_SUBSCRIPTION;\n");
	g_assert_true (am_api_store_delete (f->store, f->conn, f->conn, PIZZA_ID, &error));
	g_assert_no_error (error);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM IDN_OAUTH2_SCOPE_BINDING", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_TAG", NULL), ==, 0);
}

static void
test_errors_search (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmApi) a = sample ("admin", "Pizza", "1.0.0", "/pizza");
	g_autoptr (AmApi) b = sample ("admin", "Pizza", "2.0.0", "/pizza");
	g_autoptr (AmApi) dup = sample ("admin", "Pizza", "1.0.0", "/other");
	g_autoptr (AmApi) ctx = sample ("bob", "Burger", "1.0.0", "/pizza/1.0.0");
	g_autoptr (AmApi) tmpl = sample ("bob", "Burger", "1.0.0", "/pizza");
	g_autoptr (AmApi) scope = sample ("bob", "Burger", "1.0.0", "/burger");
	g_autoptr (AmApi) noname = sample ("bob", "", "1.0.0", "/x");
	g_autoptr (AmApi) badctx = sample ("bob", "Bad", "1.0.0", "no-slash");
	g_autoptr (AmApi) nope = NULL;
	g_autoptr (GPtrArray) list = NULL;

	if (f->skip)
		return;
	create_ok (f, a);
	create_ok (f, b); /* another version shares the context template and the scope */
	g_assert_false (am_api_store_create (f->store, f->conn, f->conn, dup, "admin", &error));
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_DUPLICATE);
	g_clear_error (&error);
	g_assert_false (am_api_store_create (f->store, f->conn, f->conn, ctx, "bob", &error));
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_CONTEXT_EXISTS);
	g_clear_error (&error);
	g_assert_false (am_api_store_create (f->store, f->conn, f->conn, tmpl, "bob", &error));
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_CONTEXT_EXISTS);
	g_clear_error (&error);
	g_assert_false (am_api_store_create (f->store, f->conn, f->conn, scope, "bob", &error));
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_SCOPE_EXISTS);
	g_clear_error (&error);
	g_assert_false (am_api_store_create (f->store, f->conn, f->conn, noname, "bob", &error));
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_INVALID);
	g_clear_error (&error);
	g_assert_false (am_api_store_create (f->store, f->conn, f->conn, badctx, "bob", &error));
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_INVALID);
	g_clear_error (&error);
	/* the refused creates left nothing */
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM AM_API", NULL), ==, 2);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM REG_RESOURCE WHERE REG_NAME = 'api'",
				NULL),
			 ==, 2);

	g_assert_false (am_api_store_change_status (f->store, f->conn, f->conn, a->id, "CREATED",
						    "admin", &error));
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_BAD_STATE);
	g_clear_error (&error);
	g_assert_false (am_api_store_change_status (f->store, f->conn, f->conn, a->id, "LIVE",
						    "admin", &error));
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_BAD_STATE);
	g_clear_error (&error);
	nope = am_api_store_get (f->store, f->conn, f->conn, "00000000-0000-0000-0000-000000000000",
				 &error);
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_NOT_FOUND);
	g_clear_error (&error);
	g_free (b->name);
	b->name = g_strdup ("Renamed");
	g_assert_false (am_api_store_update (f->store, f->conn, f->conn, b, "admin", &error));
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_INVALID);
	g_clear_error (&error);

	g_assert_true (am_api_store_change_status (f->store, f->conn, f->conn, b->id, "PUBLISHED",
						   "admin", &error));
	g_assert_no_error (error);
	g_free (tmpl->context);
	tmpl->context = g_strdup ("/burger");
	g_clear_pointer (&tmpl->context_template, g_free);
	g_ptr_array_set_size (tmpl->scopes, 0);
	g_ptr_array_set_size (tmpl->operations, 0);
	create_ok (f, tmpl);

	list = am_api_store_search (f->store, f->conn, f->conn, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (list->len, ==, 3);
	g_assert_cmpstr (((AmApi *) list->pdata[0])->name, ==, "Burger");
	g_assert_cmpstr (((AmApi *) list->pdata[2])->version, ==, "2.0.0");
	g_clear_pointer (&list, g_ptr_array_unref);
	list = am_api_store_search (f->store, f->conn, f->conn, "izz", &error);
	g_assert_cmpuint (list->len, ==, 2);
	g_clear_pointer (&list, g_ptr_array_unref);
	list = am_api_store_search (f->store, f->conn, f->conn, "provider:BOB", &error);
	g_assert_cmpuint (list->len, ==, 1);
	g_clear_pointer (&list, g_ptr_array_unref);
	list = am_api_store_search (f->store, f->conn, f->conn, "name:P*a version:2.*", &error);
	g_assert_cmpuint (list->len, ==, 1);
	g_clear_pointer (&list, g_ptr_array_unref);
	list = am_api_store_search (f->store, f->conn, f->conn, "status:PUBLISHED", &error);
	g_assert_cmpuint (list->len, ==, 1);
	g_clear_pointer (&list, g_ptr_array_unref);
	list = am_api_store_search (f->store, f->conn, f->conn, "context:/burger/1.0.0", &error);
	g_assert_cmpuint (list->len, ==, 1);
	g_clear_pointer (&list, g_ptr_array_unref);
	list = am_api_store_search (f->store, f->conn, f->conn, "version:1.0", &error);
	g_assert_cmpuint (list->len, ==, 0);
	g_clear_pointer (&list, g_ptr_array_unref);
	g_assert_no_error (error);
	list = am_api_store_search (f->store, f->conn, f->conn, "owner:x", &error);
	g_assert_null (list);
	g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_BAD_QUERY);
}

/* API-M 2.1 scope rows: SCOPE_KEY, NAME, ROLES in IDN_OAUTH2_SCOPE. */
static void
test_scopes_21 (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmApi) api = sample ("admin", "Pizza", "1.0.0", "/pizza");
	g_autoptr (AmApi) got = NULL;
	const AmApiScope *sc;

	if (f->skip)
		return;
	create_ok (f, api);
	g_assert_cmpint (count (f,
				"SELECT COUNT(*) FROM IDN_OAUTH2_SCOPE WHERE SCOPE_KEY = 'order_food' "
				"AND NAME = 'Order food' AND TENANT_ID = -1234 AND ROLES = ?",
				"Internal/subscriber,admin"),
			 ==, 1);
	got = am_api_store_get (f->store, f->conn, f->conn, api->id, &error);
	g_assert_no_error (error);
	sc = got->scopes->pdata[0];
	g_assert_cmpstr (sc->key, ==, "order_food");
	g_assert_cmpuint (g_strv_length (sc->roles), ==, 2);
	g_assert_cmpstr (sc->roles[1], ==, "admin");
	g_assert_cmpstr (((AmApiOperation *) got->operations->pdata[1])->scope, ==, "order_food");
	g_assert_true (am_api_store_delete (f->store, f->conn, f->conn, api->id, &error));
	g_assert_no_error (error);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM IDN_OAUTH2_SCOPE", NULL), ==, 0);
	g_assert_cmpint (count (f, "SELECT COUNT(*) FROM IDN_OAUTH2_RESOURCE_SCOPE", NULL), ==, 0);
}

static void
test_artifact_parse (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmApi) api = NULL;
	static const char *const bad[] = {
		"not xml",
		"<metadata><overview><name>x</name></overview></metadata>", /* no namespace */
		"<!DOCTYPE metadata [<!ENTITY e \"boom\">]><metadata "
		"xmlns=\"http://www.wso2.org/governance/metadata\"><overview><name>&e;</name>"
		"<version>1</version><provider>p</provider></overview></metadata>",
		"<metadata xmlns=\"http://www.wso2.org/governance/metadata\"><overview><name>x</name>"
		"</overview></metadata>",
		NULL,
	};

	for (guint i = 0; bad[i] != NULL; i++) {
		api = am_api_store_parse_artifact (bad[i], &error);
		g_assert_null (api);
		g_assert_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_CORRUPT);
		g_clear_error (&error);
	}
	/* a multi-valued attribute repeats the table element */
	api = am_api_store_parse_artifact (
		"<metadata xmlns=\"http://www.wso2.org/governance/metadata\"><overview><name>n</name>"
		"<version>1</version><provider>a-AT-b.com</provider><transports>https</transports>"
		"</overview><overview><tier>Gold</tier></overview></metadata>",
		&error);
	g_assert_no_error (error);
	g_assert_cmpstr (api->provider, ==, "a@b.com");
	g_assert_cmpstr (api->transports[0], ==, "https");
	g_assert_null (api->transports[1]);
	g_assert_cmpstr (api->tiers[0], ==, "Gold");
}

int
main (int argc, char **argv)
{
	static const char *const variants[] = { "sqlite", "mysql" };

	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/api-store/artifact-parse", test_artifact_parse);
	for (guint v = 0; v < G_N_ELEMENTS (variants); v++) {
		g_autofree char *p1 = g_strdup_printf ("/api-store/%s/round-trip", variants[v]);
		g_autofree char *p2 = g_strdup_printf ("/api-store/%s/wso2-26-fixture", variants[v]);
		g_autofree char *p3 = g_strdup_printf ("/api-store/%s/errors-search", variants[v]);

		g_test_add (p1, Fixture, GINT_TO_POINTER (v), fixture_setup, test_round_trip,
			    fixture_teardown);
		g_test_add (p2, Fixture, GINT_TO_POINTER (v), fixture_setup, test_wso2_fixture,
			    fixture_teardown);
		g_test_add (p3, Fixture, GINT_TO_POINTER (v), fixture_setup, test_errors_search,
			    fixture_teardown);
	}
	g_test_add ("/api-store/sqlite-21/scopes", Fixture, GINT_TO_POINTER (V_SQLITE_21),
		    fixture_setup, test_scopes_21, fixture_teardown);
	return g_test_run ();
}
