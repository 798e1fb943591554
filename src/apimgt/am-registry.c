/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Carbon 4.4 JDBC registry on REG_* (see am-registry.h for the row
 * model).  The SQL is the statements carbon-kernel's JDBCPathCache and
 * JDBCResourceDAO run: REG_PATH rows added per collection with the parent's
 * id, REG_RESOURCE rows with REG_NAME NULL for collections, child listing
 * by REG_PATH_PARENT_ID (collections) and REG_PATH_ID (resources), one
 * REG_PROPERTY row per property value linked through REG_RESOURCE_PROPERTY
 * by REG_VERSION (versioned metadata, API-M 2.x's setting) or by path id +
 * name.  Every statement names REG_TENANT_ID.
 */
#define G_LOG_DOMAIN "am.apimgt.registry"
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "am-registry.h"

G_DEFINE_QUARK (am-registry-error-quark, am_registry_error)

struct _AmRegistry {
	int tenant_id;
	gboolean versioned;
};

/* One resource row: where it is and how its metadata links to it. */
typedef struct {
	gint64 version;	   /* REG_VERSION */
	gint64 path_id;	   /* REG_PATH_ID of the row */
	char *name;	   /* REG_NAME, NULL for a collection */
	gint64 content_id; /* 0 = none */
} RegRow;

static void
reg_row_clear (RegRow *row)
{
	g_clear_pointer (&row->name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RegRow, reg_row_clear)

/* ---- resources in memory ------------------------------------------------ */

AmRegResource *
am_reg_resource_new (void)
{
	AmRegResource *res = g_new0 (AmRegResource, 1);

	res->properties = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
						 (GDestroyNotify) g_ptr_array_unref);
	return res;
}

void
am_reg_resource_free (AmRegResource *res)
{
	if (res == NULL)
		return;
	g_free (res->path);
	g_free (res->media_type);
	g_free (res->content);
	g_free (res->uuid);
	g_free (res->description);
	g_free (res->creator);
	g_free (res->last_updater);
	g_hash_table_unref (res->properties);
	g_free (res);
}

const char *
am_reg_resource_get_property (const AmRegResource *res, const char *name)
{
	GPtrArray *values = g_hash_table_lookup (res->properties, name);

	return values != NULL && values->len > 0 ? values->pdata[0] : NULL;
}

void
am_reg_resource_add_property_value (AmRegResource *res, const char *name, const char *value)
{
	GPtrArray *values = g_hash_table_lookup (res->properties, name);

	if (values == NULL) {
		values = g_ptr_array_new_with_free_func (g_free);
		g_hash_table_insert (res->properties, g_strdup (name), values);
	}
	g_ptr_array_add (values, g_strdup (value != NULL ? value : ""));
}

void
am_reg_resource_set_property (AmRegResource *res, const char *name, const char *value)
{
	g_hash_table_remove (res->properties, name);
	if (value != NULL)
		am_reg_resource_add_property_value (res, name, value);
}

/* ---- helpers ------------------------------------------------------------- */

AmRegistry *
am_registry_new (int tenant_id, gboolean versioned_metadata)
{
	AmRegistry *reg = g_new0 (AmRegistry, 1);

	reg->tenant_id = tenant_id;
	reg->versioned = versioned_metadata;
	return reg;
}

void
am_registry_free (AmRegistry *reg)
{
	g_free (reg);
}

int
am_registry_get_tenant_id (const AmRegistry *reg)
{
	return reg->tenant_id;
}

gint64
am_registry_parse_time (const char *text)
{
	int y, mo, d, h, mi;
	double s;
	g_autoptr (GTimeZone) utc = NULL;
	g_autoptr (GDateTime) dt = NULL;

	if (text == NULL || sscanf (text, "%d-%d-%d %d:%d:%lf", &y, &mo, &d, &h, &mi, &s) != 6)
		return 0;
	utc = g_time_zone_new_utc ();
	dt = g_date_time_new (utc, y, mo, d, h, mi, s);
	return dt != NULL ? g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000
			  : 0;
}

static gboolean
reg_check_path (const char *path, GError **error)
{
	if (path == NULL || path[0] != '/' || strstr (path, "//") != NULL ||
	    (path[1] != '\0' && g_str_has_suffix (path, "/")) || strstr (path, "/./") != NULL ||
	    strstr (path, "/../") != NULL || g_str_has_suffix (path, "/.") ||
	    g_str_has_suffix (path, "/..") || strlen (path) > 750) {
		g_set_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_INVALID_PATH,
			     "invalid registry path '%s'", path != NULL ? path : "(null)");
		return FALSE;
	}
	return TRUE;
}

/* "/a/b/c" -> parent "/a/b", name "c"; "/a" -> "/", "a". */
static void
reg_split (const char *path, char **parent, char **name)
{
	const char *slash = strrchr (path, '/');

	*parent = slash == path ? g_strdup ("/") : g_strndup (path, slash - path);
	*name = g_strdup (slash + 1);
}

static char *
reg_child_path (const char *parent, const char *name)
{
	return strcmp (parent, "/") == 0 ? g_strconcat ("/", name, NULL)
					 : g_strconcat (parent, "/", name, NULL);
}

/* Run a statement that returns no rows. */
static gboolean
reg_exec (AmDbStmt *stmt, GError **error)
{
	return am_db_step (stmt, error) != AM_DB_STEP_ERROR;
}

/* REG_PATH_ID of @path, 0 when there is no such row. */
static gboolean
reg_path_id (const AmRegistry *reg, AmDbConn *conn, const char *path, gint64 *id, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn, "SELECT REG_PATH_ID FROM REG_PATH WHERE REG_PATH_VALUE = ? AND REG_TENANT_ID = ?",
		error);
	AmDbStep step;

	*id = 0;
	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, path);
	am_db_bind_int64 (st, 2, reg->tenant_id);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ROW)
		*id = am_db_column_int64 (st, 0);
	return step != AM_DB_STEP_ERROR;
}

#define REG_ROW_COLS                                                                     \
	"REG_VERSION, REG_PATH_ID, REG_NAME, REG_CONTENT_ID, REG_MEDIA_TYPE, REG_CREATOR, " \
	"REG_CREATED_TIME, REG_LAST_UPDATOR, REG_LAST_UPDATED_TIME, REG_DESCRIPTION, REG_UUID"

static void
reg_read_row (AmDbStmt *st, RegRow *row, AmRegResource *res)
{
	row->version = am_db_column_int64 (st, 0);
	row->path_id = am_db_column_int64 (st, 1);
	row->name = g_strdup (am_db_column_text (st, 2));
	row->content_id = am_db_column_int64 (st, 3);
	if (res == NULL)
		return;
	res->version = row->version;
	res->is_collection = row->name == NULL;
	res->media_type = g_strdup (am_db_column_text (st, 4));
	res->creator = g_strdup (am_db_column_text (st, 5));
	res->created_ms = am_registry_parse_time (am_db_column_text (st, 6));
	res->last_updater = g_strdup (am_db_column_text (st, 7));
	res->updated_ms = am_registry_parse_time (am_db_column_text (st, 8));
	res->description = g_strdup (am_db_column_text (st, 9));
	res->uuid = g_strdup (am_db_column_text (st, 10));
}

/* Find the row at @path: the collection (path row + NULL name) first, as
 * Carbon's getResourceID does, then the resource in the parent.  *found is
 * FALSE when there is none. */
static gboolean
reg_find (const AmRegistry *reg, AmDbConn *conn, const char *path, RegRow *row,
	  AmRegResource *res, gboolean *found, GError **error)
{
	gint64 pid;
	g_autofree char *parent = NULL;
	g_autofree char *name = NULL;
	g_autoptr (AmDbStmt) st = NULL;
	AmDbStep step;

	*found = FALSE;
	if (!reg_path_id (reg, conn, path, &pid, error))
		return FALSE;
	if (pid > 0) {
		st = am_db_prepare (conn,
				    "SELECT " REG_ROW_COLS " FROM REG_RESOURCE WHERE REG_PATH_ID = ? "
				    "AND REG_NAME IS NULL AND REG_TENANT_ID = ?",
				    error);
		if (st == NULL)
			return FALSE;
		am_db_bind_int64 (st, 1, pid);
		am_db_bind_int64 (st, 2, reg->tenant_id);
		step = am_db_step (st, error);
		if (step == AM_DB_STEP_ERROR)
			return FALSE;
		if (step == AM_DB_STEP_ROW) {
			reg_read_row (st, row, res);
			*found = TRUE;
			return TRUE;
		}
		g_clear_pointer (&st, am_db_stmt_free);
	}
	if (strcmp (path, "/") == 0)
		return TRUE;
	reg_split (path, &parent, &name);
	if (!reg_path_id (reg, conn, parent, &pid, error))
		return FALSE;
	if (pid == 0)
		return TRUE;
	st = am_db_prepare (conn,
			    "SELECT " REG_ROW_COLS " FROM REG_RESOURCE WHERE REG_PATH_ID = ? "
			    "AND REG_NAME = ? AND REG_TENANT_ID = ?",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, pid);
	am_db_bind_text (st, 2, name);
	am_db_bind_int64 (st, 3, reg->tenant_id);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ROW) {
		reg_read_row (st, row, res);
		*found = TRUE;
	}
	return step != AM_DB_STEP_ERROR;
}

/* The WHERE clause matching the metadata link rows (REG_RESOURCE_PROPERTY,
 * REG_RESOURCE_TAG) of @row, by version or by path, and its binds. */
static void
reg_bind_link (const AmRegistry *reg, AmDbStmt *st, int first, const RegRow *row)
{
	am_db_bind_int64 (st, first, reg->tenant_id);
	am_db_bind_int64 (st, first + 1, row->version);
	am_db_bind_int64 (st, first + 2, row->path_id);
	if (row->name != NULL)
		am_db_bind_text (st, first + 3, row->name);
}

static const char *
reg_link_where (const RegRow *row)
{
	return row->name != NULL
		       ? " L.REG_TENANT_ID = ? AND (L.REG_VERSION = ? OR (L.REG_PATH_ID = ? AND "
			 "L.REG_RESOURCE_NAME = ?))"
		       : " L.REG_TENANT_ID = ? AND (L.REG_VERSION = ? OR (L.REG_PATH_ID = ? AND "
			 "L.REG_RESOURCE_NAME IS NULL))";
}

static gboolean
reg_load_properties (const AmRegistry *reg, AmDbConn *conn, const RegRow *row, GHashTable *props,
		     GError **error)
{
	g_autofree char *sql = g_strconcat (
		"SELECT P.REG_NAME, P.REG_VALUE FROM REG_RESOURCE_PROPERTY L, REG_PROPERTY P WHERE "
		"P.REG_ID = L.REG_PROPERTY_ID AND P.REG_TENANT_ID = L.REG_TENANT_ID AND",
		reg_link_where (row), " ORDER BY P.REG_ID", NULL);
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);
	AmDbStep step;

	if (st == NULL)
		return FALSE;
	reg_bind_link (reg, st, 1, row);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW) {
		const char *name = am_db_column_text (st, 0);
		GPtrArray *values;

		if (name == NULL)
			continue;
		values = g_hash_table_lookup (props, name);
		if (values == NULL) {
			values = g_ptr_array_new_with_free_func (g_free);
			g_hash_table_insert (props, g_strdup (name), values);
		}
		g_ptr_array_add (values, g_strdup (am_db_column_text (st, 1) ? am_db_column_text (st, 1)
									      : ""));
	}
	return step == AM_DB_STEP_DONE;
}

/* Delete the link rows of @row in @link_table and the @meta_table rows
 * they point to (REG_RESOURCE_PROPERTY -> REG_PROPERTY, REG_RESOURCE_TAG ->
 * REG_TAG).  Only names from this file reach the SQL text. */
static gboolean
reg_delete_meta (const AmRegistry *reg, AmDbConn *conn, const RegRow *row, const char *link_table,
		 const char *link_col, const char *meta_table, const char *name_filter,
		 GError **error)
{
	g_autofree char *sel = g_strdup_printf (
		"SELECT L.%s FROM %s L%s WHERE%s%s", link_col, link_table,
		name_filter != NULL ? ", REG_PROPERTY P" : "", reg_link_where (row),
		name_filter != NULL
			? " AND P.REG_ID = L.REG_PROPERTY_ID AND P.REG_TENANT_ID = L.REG_TENANT_ID "
			  "AND P.REG_NAME = ?"
			: "");
	g_autofree char *del_link = g_strdup_printf (
		"DELETE FROM %s WHERE %s = ? AND REG_TENANT_ID = ?", link_table, link_col);
	g_autofree char *del_meta =
		g_strdup_printf ("DELETE FROM %s WHERE REG_ID = ? AND REG_TENANT_ID = ?", meta_table);
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sel, error);
	g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
	AmDbStep step;

	if (st == NULL)
		return FALSE;
	reg_bind_link (reg, st, 1, row);
	if (name_filter != NULL)
		am_db_bind_text (st, row->name != NULL ? 5 : 4, name_filter);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW) {
		gint64 id = am_db_column_int64 (st, 0);
		g_array_append_val (ids, id);
	}
	if (step == AM_DB_STEP_ERROR)
		return FALSE;
	for (guint i = 0; i < ids->len; i++) {
		g_autoptr (AmDbStmt) dl = am_db_prepare (conn, del_link, error);
		g_autoptr (AmDbStmt) dm = NULL;

		if (dl == NULL)
			return FALSE;
		am_db_bind_int64 (dl, 1, g_array_index (ids, gint64, i));
		am_db_bind_int64 (dl, 2, reg->tenant_id);
		if (!reg_exec (dl, error))
			return FALSE;
		/* a tag row may be shared by other resources' links in old data */
		if (strcmp (meta_table, "REG_TAG") == 0) {
			g_autoptr (AmDbStmt) other = am_db_prepare (
				conn,
				"SELECT 1 FROM REG_RESOURCE_TAG WHERE REG_TAG_ID = ? AND REG_TENANT_ID = ?",
				error);
			if (other == NULL)
				return FALSE;
			am_db_bind_int64 (other, 1, g_array_index (ids, gint64, i));
			am_db_bind_int64 (other, 2, reg->tenant_id);
			step = am_db_step (other, error);
			if (step == AM_DB_STEP_ERROR)
				return FALSE;
			if (step == AM_DB_STEP_ROW)
				continue;
		}
		dm = am_db_prepare (conn, del_meta, error);
		if (dm == NULL)
			return FALSE;
		am_db_bind_int64 (dm, 1, g_array_index (ids, gint64, i));
		am_db_bind_int64 (dm, 2, reg->tenant_id);
		if (!reg_exec (dm, error))
			return FALSE;
	}
	return TRUE;
}

/* Insert one REG_PROPERTY/REG_TAG row's link to @row. */
static gboolean
reg_insert_link (const AmRegistry *reg, AmDbConn *conn, const RegRow *row, const char *link_table,
		 const char *link_col, gint64 meta_id, GError **error)
{
	g_autofree char *sql = NULL;
	g_autoptr (AmDbStmt) st = NULL;

	if (reg->versioned)
		sql = g_strdup_printf ("INSERT INTO %s (%s, REG_VERSION, REG_TENANT_ID) VALUES (?, ?, ?)",
				       link_table, link_col);
	else
		sql = g_strdup_printf ("INSERT INTO %s (%s, REG_PATH_ID, REG_RESOURCE_NAME, "
				       "REG_TENANT_ID) VALUES (?, ?, ?, ?)",
				       link_table, link_col);
	st = am_db_prepare (conn, sql, error);
	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, meta_id);
	if (reg->versioned) {
		am_db_bind_int64 (st, 2, row->version);
		am_db_bind_int64 (st, 3, reg->tenant_id);
	} else {
		am_db_bind_int64 (st, 2, row->path_id);
		am_db_bind_text (st, 3, row->name);
		am_db_bind_int64 (st, 4, reg->tenant_id);
	}
	return reg_exec (st, error);
}

static gboolean
reg_insert_property (const AmRegistry *reg, AmDbConn *conn, const RegRow *row, const char *name,
		     const char *value, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn, "INSERT INTO REG_PROPERTY (REG_NAME, REG_VALUE, REG_TENANT_ID) VALUES (?, ?, ?)",
		error);

	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, name);
	am_db_bind_text (st, 2, value);
	am_db_bind_int64 (st, 3, reg->tenant_id);
	if (!reg_exec (st, error))
		return FALSE;
	return reg_insert_link (reg, conn, row, "REG_RESOURCE_PROPERTY", "REG_PROPERTY_ID",
				am_db_last_insert_id (st), error);
}

static gboolean
reg_write_properties (const AmRegistry *reg, AmDbConn *conn, const RegRow *row, GHashTable *props,
		      GError **error)
{
	g_autoptr (GList) names = g_list_sort (g_hash_table_get_keys (props), (GCompareFunc) strcmp);

	for (GList *l = names; l != NULL; l = l->next) {
		GPtrArray *values = g_hash_table_lookup (props, l->data);
		for (guint i = 0; i < values->len; i++)
			if (!reg_insert_property (reg, conn, row, l->data, values->pdata[i], error))
				return FALSE;
	}
	return TRUE;
}

static gint64
reg_now_usec (void)
{
	return g_get_real_time ();
}

/* Insert a REG_RESOURCE row (collection when @name is NULL). */
static gboolean
reg_insert_resource (const AmRegistry *reg, AmDbConn *conn, gint64 path_id, const char *name,
		     const char *media_type, const char *user, const char *description,
		     gint64 content_id, const char *uuid, RegRow *row, GError **error)
{
	gint64 now = reg_now_usec ();
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		"INSERT INTO REG_RESOURCE (REG_PATH_ID, REG_NAME, REG_MEDIA_TYPE, REG_CREATOR, "
		"REG_CREATED_TIME, REG_LAST_UPDATOR, REG_LAST_UPDATED_TIME, REG_DESCRIPTION, "
		"REG_CONTENT_ID, REG_TENANT_ID, REG_UUID) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		error);

	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, path_id);
	am_db_bind_text (st, 2, name);
	am_db_bind_text (st, 3, media_type);
	am_db_bind_text (st, 4, user);
	am_db_bind_timestamp (st, 5, now);
	am_db_bind_text (st, 6, user);
	am_db_bind_timestamp (st, 7, now);
	am_db_bind_text (st, 8, description);
	if (content_id > 0)
		am_db_bind_int64 (st, 9, content_id);
	else
		am_db_bind_null (st, 9);
	am_db_bind_int64 (st, 10, reg->tenant_id);
	am_db_bind_text (st, 11, uuid);
	if (!reg_exec (st, error))
		return FALSE;
	row->version = am_db_last_insert_id (st);
	row->path_id = path_id;
	row->name = g_strdup (name);
	row->content_id = content_id;
	return TRUE;
}

/* The path id of collection @path, creating it and its parents. */
static gboolean
reg_ensure_collection (const AmRegistry *reg, AmDbConn *conn, const char *path, const char *user,
		       gint64 *id, GError **error)
{
	g_auto (RegRow) row = { 0 };
	gboolean found;
	gint64 parent_id = -1;

	if (!reg_find (reg, conn, path, &row, NULL, &found, error))
		return FALSE;
	if (found && row.name != NULL) {
		g_set_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_COLLECTION,
			     "registry path %s is a resource, not a collection", path);
		return FALSE;
	}
	if (found) {
		*id = row.path_id;
		return TRUE;
	}
	if (strcmp (path, "/") != 0) {
		g_autofree char *parent = NULL;
		g_autofree char *name = NULL;

		reg_split (path, &parent, &name);
		if (!reg_ensure_collection (reg, conn, parent, user, &parent_id, error))
			return FALSE;
	}
	if (!reg_path_id (reg, conn, path, id, error))
		return FALSE;
	if (*id == 0) {
		g_autoptr (AmDbStmt) st = am_db_prepare (
			conn,
			"INSERT INTO REG_PATH (REG_PATH_VALUE, REG_PATH_PARENT_ID, REG_TENANT_ID) "
			"VALUES (?, ?, ?)",
			error);
		if (st == NULL)
			return FALSE;
		am_db_bind_text (st, 1, path);
		am_db_bind_int64 (st, 2, parent_id);
		am_db_bind_int64 (st, 3, reg->tenant_id);
		if (!reg_exec (st, error))
			return FALSE;
		*id = am_db_last_insert_id (st);
	}
	{
		g_autofree char *uuid = g_uuid_string_random ();
		g_auto (RegRow) crow = { 0 };

		return reg_insert_resource (reg, conn, *id, NULL, NULL, user, NULL, 0, uuid, &crow,
					    error);
	}
}

gboolean
am_registry_create_collection (const AmRegistry *reg, AmDbConn *conn, const char *path,
			       const char *user, GError **error)
{
	gint64 id;

	if (!reg_check_path (path, error) || !am_db_begin (conn, error))
		return FALSE;
	return reg_ensure_collection (reg, conn, path, user, &id, error);
}

/* ---- public operations --------------------------------------------------- */

static gboolean
reg_load_content (const AmRegistry *reg, AmDbConn *conn, gint64 content_id, char **content,
		  GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		"SELECT REG_CONTENT_DATA FROM REG_CONTENT WHERE REG_CONTENT_ID = ? AND REG_TENANT_ID = ?",
		error);
	AmDbStep step;

	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, content_id);
	am_db_bind_int64 (st, 2, reg->tenant_id);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ROW)
		*content = g_strdup (am_db_column_text (st, 0));
	return step != AM_DB_STEP_ERROR;
}

AmRegResource *
am_registry_get (const AmRegistry *reg, AmDbConn *conn, const char *path, GError **error)
{
	g_autoptr (AmRegResource) res = am_reg_resource_new ();
	g_auto (RegRow) row = { 0 };
	gboolean found;

	if (!reg_check_path (path, error) ||
	    !reg_find (reg, conn, path, &row, res, &found, error))
		return NULL;
	if (!found) {
		g_set_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND,
			     "no registry resource at %s", path);
		return NULL;
	}
	res->path = g_strdup (path);
	if (row.name != NULL && row.content_id > 0 &&
	    !reg_load_content (reg, conn, row.content_id, &res->content, error))
		return NULL;
	if (!reg_load_properties (reg, conn, &row, res->properties, error))
		return NULL;
	return g_steal_pointer (&res);
}

char *
am_registry_path_for_uuid (const AmRegistry *reg, AmDbConn *conn, const char *uuid,
			   GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		"SELECT P.REG_PATH_VALUE, R.REG_NAME FROM REG_RESOURCE R, REG_PATH P WHERE "
		"R.REG_UUID = ? AND R.REG_TENANT_ID = ? AND P.REG_PATH_ID = R.REG_PATH_ID AND "
		"P.REG_TENANT_ID = R.REG_TENANT_ID",
		error);
	AmDbStep step;

	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, uuid);
	am_db_bind_int64 (st, 2, reg->tenant_id);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	if (step == AM_DB_STEP_DONE) {
		g_set_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND,
			     "no registry resource with UUID %s", uuid);
		return NULL;
	}
	if (am_db_column_is_null (st, 1))
		return g_strdup (am_db_column_text (st, 0));
	return reg_child_path (am_db_column_text (st, 0), am_db_column_text (st, 1));
}

AmRegResource *
am_registry_get_by_uuid (const AmRegistry *reg, AmDbConn *conn, const char *uuid, GError **error)
{
	g_autofree char *path = am_registry_path_for_uuid (reg, conn, uuid, error);

	return path != NULL ? am_registry_get (reg, conn, path, error) : NULL;
}

gboolean
am_registry_exists (const AmRegistry *reg, AmDbConn *conn, const char *path, gboolean *exists,
		    GError **error)
{
	g_auto (RegRow) row = { 0 };

	return reg_check_path (path, error) && reg_find (reg, conn, path, &row, NULL, exists, error);
}

static gboolean
reg_put_content (const AmRegistry *reg, AmDbConn *conn, RegRow *row, const char *content,
		 GError **error)
{
	g_autoptr (AmDbStmt) st = NULL;

	if (content == NULL)
		return TRUE;
	if (row->content_id > 0) {
		st = am_db_prepare (conn,
				    "UPDATE REG_CONTENT SET REG_CONTENT_DATA = ? WHERE REG_CONTENT_ID = ? "
				    "AND REG_TENANT_ID = ?",
				    error);
		if (st == NULL)
			return FALSE;
		am_db_bind_text (st, 1, content);
		am_db_bind_int64 (st, 2, row->content_id);
		am_db_bind_int64 (st, 3, reg->tenant_id);
		return reg_exec (st, error);
	}
	st = am_db_prepare (conn,
			    "INSERT INTO REG_CONTENT (REG_CONTENT_DATA, REG_TENANT_ID) VALUES (?, ?)",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, content);
	am_db_bind_int64 (st, 2, reg->tenant_id);
	if (!reg_exec (st, error))
		return FALSE;
	row->content_id = am_db_last_insert_id (st);
	return TRUE;
}

static gboolean
reg_put_update (const AmRegistry *reg, AmDbConn *conn, const char *path, RegRow *row,
		AmRegResource *stored, AmRegResource *res, const char *user, GError **error)
{
	gint64 now = reg_now_usec ();
	g_autoptr (AmDbStmt) st = NULL;

	if (stored->is_collection != res->is_collection) {
		g_set_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_EXISTS,
			     "registry path %s is a %s", path,
			     stored->is_collection ? "collection" : "resource");
		return FALSE;
	}
	if (!res->is_collection && !reg_put_content (reg, conn, row, res->content, error))
		return FALSE;
	st = am_db_prepare (conn,
			    "UPDATE REG_RESOURCE SET REG_MEDIA_TYPE = ?, REG_LAST_UPDATOR = ?, "
			    "REG_LAST_UPDATED_TIME = ?, REG_DESCRIPTION = ?, REG_CONTENT_ID = ? "
			    "WHERE REG_VERSION = ? AND REG_TENANT_ID = ?",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, res->media_type);
	am_db_bind_text (st, 2, user);
	am_db_bind_timestamp (st, 3, now);
	am_db_bind_text (st, 4, res->description);
	if (row->content_id > 0)
		am_db_bind_int64 (st, 5, row->content_id);
	else
		am_db_bind_null (st, 5);
	am_db_bind_int64 (st, 6, row->version);
	am_db_bind_int64 (st, 7, reg->tenant_id);
	if (!reg_exec (st, error) ||
	    !reg_delete_meta (reg, conn, row, "REG_RESOURCE_PROPERTY", "REG_PROPERTY_ID",
			      "REG_PROPERTY", NULL, error) ||
	    !reg_write_properties (reg, conn, row, res->properties, error))
		return FALSE;
	g_free (res->uuid);
	res->uuid = g_strdup (stored->uuid);
	g_free (res->creator);
	res->creator = g_strdup (stored->creator);
	res->created_ms = stored->created_ms;
	res->updated_ms = now / 1000;
	g_free (res->last_updater);
	res->last_updater = g_strdup (user);
	res->version = row->version;
	return TRUE;
}

gboolean
am_registry_put (const AmRegistry *reg, AmDbConn *conn, const char *path, AmRegResource *res,
		 const char *user, GError **error)
{
	g_auto (RegRow) row = { 0 };
	g_autoptr (AmRegResource) stored = am_reg_resource_new ();
	g_autofree char *parent = NULL;
	g_autofree char *name = NULL;
	g_autofree char *uuid = NULL;
	gboolean found;
	gint64 pid;
	gint64 now;

	if (!reg_check_path (path, error) || !am_db_begin (conn, error) ||
	    !reg_find (reg, conn, path, &row, stored, &found, error))
		return FALSE;
	g_free (res->path);
	res->path = g_strdup (path);
	if (found)
		return reg_put_update (reg, conn, path, &row, stored, res, user, error);
	uuid = res->uuid != NULL ? g_strdup (res->uuid) : g_uuid_string_random ();
	if (res->is_collection || strcmp (path, "/") == 0) {
		if (!reg_ensure_collection (reg, conn, path, user, &pid, error))
			return FALSE;
		reg_row_clear (&row);
		if (!reg_find (reg, conn, path, &row, NULL, &found, error))
			return FALSE;
		/* the collection row got a random UUID: give it the caller's */
		{
			g_autoptr (AmDbStmt) st = am_db_prepare (
				conn,
				"UPDATE REG_RESOURCE SET REG_UUID = ?, REG_MEDIA_TYPE = ?, "
				"REG_DESCRIPTION = ? WHERE REG_VERSION = ? AND REG_TENANT_ID = ?",
				error);
			if (st == NULL)
				return FALSE;
			am_db_bind_text (st, 1, uuid);
			am_db_bind_text (st, 2, res->media_type);
			am_db_bind_text (st, 3, res->description);
			am_db_bind_int64 (st, 4, row.version);
			am_db_bind_int64 (st, 5, reg->tenant_id);
			if (!reg_exec (st, error))
				return FALSE;
		}
	} else {
		reg_split (path, &parent, &name);
		if (!reg_ensure_collection (reg, conn, parent, user, &pid, error))
			return FALSE;
		/* a collection with this name but no REG_RESOURCE row is not a clash */
		if (!reg_put_content (reg, conn, &row, res->content, error) ||
		    !reg_insert_resource (reg, conn, pid, name, res->media_type, user,
					  res->description, row.content_id, uuid, &row, error))
			return FALSE;
	}
	if (!reg_write_properties (reg, conn, &row, res->properties, error))
		return FALSE;
	now = reg_now_usec () / 1000;
	g_free (res->uuid);
	res->uuid = g_steal_pointer (&uuid);
	g_free (res->creator);
	res->creator = g_strdup (user);
	g_free (res->last_updater);
	res->last_updater = g_strdup (user);
	res->created_ms = res->updated_ms = now;
	res->version = row.version;
	return TRUE;
}

/* Remove one REG_RESOURCE row with its content and metadata. */
static gboolean
reg_delete_row (const AmRegistry *reg, AmDbConn *conn, const RegRow *row, GError **error)
{
	g_autoptr (AmDbStmt) st = NULL;

	if (!reg_delete_meta (reg, conn, row, "REG_RESOURCE_PROPERTY", "REG_PROPERTY_ID",
			      "REG_PROPERTY", NULL, error) ||
	    !reg_delete_meta (reg, conn, row, "REG_RESOURCE_TAG", "REG_TAG_ID", "REG_TAG", NULL,
			      error))
		return FALSE;
	st = am_db_prepare (conn, "DELETE FROM REG_RESOURCE WHERE REG_VERSION = ? AND REG_TENANT_ID = ?",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, row->version);
	am_db_bind_int64 (st, 2, reg->tenant_id);
	if (!reg_exec (st, error))
		return FALSE;
	if (row->content_id > 0) {
		g_autoptr (AmDbStmt) dc = am_db_prepare (
			conn, "DELETE FROM REG_CONTENT WHERE REG_CONTENT_ID = ? AND REG_TENANT_ID = ?",
			error);
		if (dc == NULL)
			return FALSE;
		am_db_bind_int64 (dc, 1, row->content_id);
		am_db_bind_int64 (dc, 2, reg->tenant_id);
		if (!reg_exec (dc, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
am_registry_delete (const AmRegistry *reg, AmDbConn *conn, const char *path, GError **error)
{
	g_auto (RegRow) row = { 0 };
	gboolean found;

	if (!reg_check_path (path, error) || !am_db_begin (conn, error) ||
	    !reg_find (reg, conn, path, &row, NULL, &found, error))
		return FALSE;
	if (!found) {
		g_set_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND,
			     "no registry resource at %s", path);
		return FALSE;
	}
	if (row.name == NULL) {
		g_autoptr (GPtrArray) children = am_registry_get_children (reg, conn, path, error);

		if (children == NULL)
			return FALSE;
		for (guint i = 0; i < children->len; i++)
			if (!am_registry_delete (reg, conn, children->pdata[i], error))
				return FALSE;
	}
	return reg_delete_row (reg, conn, &row, error);
}

static gint
reg_strcmp (gconstpointer a, gconstpointer b)
{
	return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
am_registry_get_children (const AmRegistry *reg, AmDbConn *conn, const char *path, GError **error)
{
	g_auto (RegRow) row = { 0 };
	g_autoptr (GPtrArray) resources = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) collections = g_ptr_array_new ();
	g_autoptr (AmDbStmt) st = NULL;
	gboolean found;
	AmDbStep step;

	if (!reg_check_path (path, error) || !reg_find (reg, conn, path, &row, NULL, &found, error))
		return NULL;
	if (!found || row.name != NULL) {
		g_set_error (error, AM_REGISTRY_ERROR,
			     found ? AM_REGISTRY_ERROR_NOT_COLLECTION : AM_REGISTRY_ERROR_NOT_FOUND,
			     "no registry collection at %s", path);
		return NULL;
	}
	st = am_db_prepare (conn,
			    "SELECT REG_NAME FROM REG_RESOURCE WHERE REG_PATH_ID = ? AND "
			    "REG_NAME IS NOT NULL AND REG_TENANT_ID = ?",
			    error);
	if (st == NULL)
		return NULL;
	am_db_bind_int64 (st, 1, row.path_id);
	am_db_bind_int64 (st, 2, reg->tenant_id);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW)
		g_ptr_array_add (resources, reg_child_path (path, am_db_column_text (st, 0)));
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	g_clear_pointer (&st, am_db_stmt_free);
	st = am_db_prepare (conn,
			    "SELECT P.REG_PATH_VALUE FROM REG_PATH P, REG_RESOURCE R WHERE "
			    "P.REG_PATH_PARENT_ID = ? AND P.REG_TENANT_ID = ? AND "
			    "R.REG_PATH_ID = P.REG_PATH_ID AND R.REG_NAME IS NULL AND "
			    "R.REG_TENANT_ID = ?",
			    error);
	if (st == NULL)
		return NULL;
	am_db_bind_int64 (st, 1, row.path_id);
	am_db_bind_int64 (st, 2, reg->tenant_id);
	am_db_bind_int64 (st, 3, reg->tenant_id);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW)
		g_ptr_array_add (collections, g_strdup (am_db_column_text (st, 0)));
	if (step == AM_DB_STEP_ERROR) {
		g_ptr_array_set_free_func (collections, g_free);
		return NULL;
	}
	g_ptr_array_sort (resources, reg_strcmp);
	g_ptr_array_sort (collections, reg_strcmp);
	g_ptr_array_extend_and_steal (resources, g_steal_pointer (&collections));
	return g_steal_pointer (&resources);
}

GHashTable *
am_registry_get_properties (const AmRegistry *reg, AmDbConn *conn, const char *path,
			    GError **error)
{
	g_autoptr (AmRegResource) res = am_registry_get (reg, conn, path, error);

	return res != NULL ? g_hash_table_ref (res->properties) : NULL;
}

gboolean
am_registry_set_property (const AmRegistry *reg, AmDbConn *conn, const char *path,
			  const char *name, const char *const *values, GError **error)
{
	g_auto (RegRow) row = { 0 };
	gboolean found;

	if (!reg_check_path (path, error) || !am_db_begin (conn, error) ||
	    !reg_find (reg, conn, path, &row, NULL, &found, error))
		return FALSE;
	if (!found) {
		g_set_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND,
			     "no registry resource at %s", path);
		return FALSE;
	}
	if (!reg_delete_meta (reg, conn, &row, "REG_RESOURCE_PROPERTY", "REG_PROPERTY_ID",
			      "REG_PROPERTY", name, error))
		return FALSE;
	for (guint i = 0; values != NULL && values[i] != NULL; i++)
		if (!reg_insert_property (reg, conn, &row, name, values[i], error))
			return FALSE;
	return TRUE;
}

GPtrArray *
am_registry_find_by_media_type (const AmRegistry *reg, AmDbConn *conn, const char *media_type,
				const char *path_prefix, GError **error)
{
	g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		"SELECT P.REG_PATH_VALUE, R.REG_NAME FROM REG_RESOURCE R, REG_PATH P WHERE "
		"R.REG_MEDIA_TYPE = ? AND R.REG_TENANT_ID = ? AND R.REG_NAME IS NOT NULL AND "
		"P.REG_PATH_ID = R.REG_PATH_ID AND P.REG_TENANT_ID = R.REG_TENANT_ID",
		error);
	AmDbStep step;

	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, media_type);
	am_db_bind_int64 (st, 2, reg->tenant_id);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW) {
		char *path = reg_child_path (am_db_column_text (st, 0), am_db_column_text (st, 1));

		/* a prefix match on whole segments, done here: LIKE would read
		 * '_' and '%' in paths as wildcards */
		if (path_prefix == NULL ||
		    (g_str_has_prefix (path, path_prefix) &&
		     (path[strlen (path_prefix)] == '/' || path[strlen (path_prefix)] == '\0' ||
		      g_str_has_suffix (path_prefix, "/"))))
			g_ptr_array_add (paths, path);
		else
			g_free (path);
	}
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	g_ptr_array_sort (paths, reg_strcmp);
	return g_steal_pointer (&paths);
}

char **
am_registry_get_tags (const AmRegistry *reg, AmDbConn *conn, const char *path, GError **error)
{
	g_auto (RegRow) row = { 0 };
	g_autoptr (GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);
	g_autofree char *sql = NULL;
	g_autoptr (AmDbStmt) st = NULL;
	gboolean found;
	AmDbStep step;

	if (!reg_check_path (path, error) || !reg_find (reg, conn, path, &row, NULL, &found, error))
		return NULL;
	if (!found) {
		g_set_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND,
			     "no registry resource at %s", path);
		return NULL;
	}
	sql = g_strconcat ("SELECT DISTINCT T.REG_TAG_NAME FROM REG_RESOURCE_TAG L, REG_TAG T WHERE "
			   "T.REG_ID = L.REG_TAG_ID AND T.REG_TENANT_ID = L.REG_TENANT_ID AND",
			   reg_link_where (&row), NULL);
	st = am_db_prepare (conn, sql, error);
	if (st == NULL)
		return NULL;
	reg_bind_link (reg, st, 1, &row);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW)
		g_ptr_array_add (tags, g_strdup (am_db_column_text (st, 0)));
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	g_ptr_array_sort (tags, reg_strcmp);
	g_ptr_array_add (tags, NULL);
	return (char **) g_ptr_array_free (g_steal_pointer (&tags), FALSE);
}

gboolean
am_registry_set_tags (const AmRegistry *reg, AmDbConn *conn, const char *path,
		      const char *const *tags, const char *user, GError **error)
{
	g_auto (RegRow) row = { 0 };
	gboolean found;

	if (!reg_check_path (path, error) || !am_db_begin (conn, error) ||
	    !reg_find (reg, conn, path, &row, NULL, &found, error))
		return FALSE;
	if (!found) {
		g_set_error (error, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND,
			     "no registry resource at %s", path);
		return FALSE;
	}
	if (!reg_delete_meta (reg, conn, &row, "REG_RESOURCE_TAG", "REG_TAG_ID", "REG_TAG", NULL,
			      error))
		return FALSE;
	for (guint i = 0; tags != NULL && tags[i] != NULL; i++) {
		g_autoptr (AmDbStmt) st = NULL;

		if (*tags[i] == '\0')
			continue;
		/* skip duplicates: only the first occurrence is stored */
		{
			gboolean dup = FALSE;
			for (guint j = 0; j < i; j++)
				dup = dup || strcmp (tags[j], tags[i]) == 0;
			if (dup)
				continue;
		}
		st = am_db_prepare (conn,
				    "INSERT INTO REG_TAG (REG_TAG_NAME, REG_USER_ID, REG_TAGGED_TIME, "
				    "REG_TENANT_ID) VALUES (?, ?, ?, ?)",
				    error);
		if (st == NULL)
			return FALSE;
		am_db_bind_text (st, 1, tags[i]);
		am_db_bind_text (st, 2, user);
		am_db_bind_timestamp (st, 3, reg_now_usec ());
		am_db_bind_int64 (st, 4, reg->tenant_id);
		if (!reg_exec (st, error) ||
		    !reg_insert_link (reg, conn, &row, "REG_RESOURCE_TAG", "REG_TAG_ID",
				      am_db_last_insert_id (st), error))
			return FALSE;
	}
	return TRUE;
}

gboolean
am_registry_add_association (const AmRegistry *reg, AmDbConn *conn, const char *source,
			     const char *target, const char *type, GError **error)
{
	g_autoptr (AmDbStmt) st = NULL;
	AmDbStep step;

	if (!reg_check_path (source, error) || !reg_check_path (target, error) ||
	    !am_db_begin (conn, error))
		return FALSE;
	st = am_db_prepare (conn,
			    "SELECT 1 FROM REG_ASSOCIATION WHERE REG_SOURCEPATH = ? AND "
			    "REG_TARGETPATH = ? AND REG_ASSOCIATION_TYPE = ? AND REG_TENANT_ID = ?",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, source);
	am_db_bind_text (st, 2, target);
	am_db_bind_text (st, 3, type);
	am_db_bind_int64 (st, 4, reg->tenant_id);
	step = am_db_step (st, error);
	if (step != AM_DB_STEP_DONE)
		return step == AM_DB_STEP_ROW;
	g_clear_pointer (&st, am_db_stmt_free);
	st = am_db_prepare (conn,
			    "INSERT INTO REG_ASSOCIATION (REG_SOURCEPATH, REG_TARGETPATH, "
			    "REG_ASSOCIATION_TYPE, REG_TENANT_ID) VALUES (?, ?, ?, ?)",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, source);
	am_db_bind_text (st, 2, target);
	am_db_bind_text (st, 3, type);
	am_db_bind_int64 (st, 4, reg->tenant_id);
	return reg_exec (st, error);
}

gboolean
am_registry_remove_associations (const AmRegistry *reg, AmDbConn *conn, const char *path,
				 GError **error)
{
	g_autoptr (AmDbStmt) st = NULL;

	if (!reg_check_path (path, error) || !am_db_begin (conn, error))
		return FALSE;
	st = am_db_prepare (conn,
			    "DELETE FROM REG_ASSOCIATION WHERE (REG_SOURCEPATH = ? OR "
			    "REG_TARGETPATH = ?) AND REG_TENANT_ID = ?",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, path);
	am_db_bind_text (st, 2, path);
	am_db_bind_int64 (st, 3, reg->tenant_id);
	return reg_exec (st, error);
}
