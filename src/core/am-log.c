/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The log writer: Carbon's file and console line formats (log4j patterns
 * `TID: [%T] [%S] [%d] %P%5p {%c} - %x %m {%c}%n` and
 * `[%d{ISO8601}] %5p - %c{1} %m%n` of API-M's log4j.properties), one mutex
 * around the file so worker threads can log, SIGUSR1 reopens the file for
 * logrotate.  Secrets are kept out by the callers: nothing here knows a
 * password, and the config loader never logs values flagged secret.
 */
#define G_LOG_DOMAIN "am.core.log"
#include "config.h"

#include "am-log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static GMutex log_lock;
static FILE *log_file;
static char *log_path;
static gboolean log_console;
static gboolean log_installed;

/* Other files to reopen on SIGUSR1 (the gateway's access log ...). */
typedef struct {
	AmLogReopenFunc fn;
	gpointer data;
} LogReopenHook;
static GMutex hook_lock;
static GArray *reopen_hooks;

static const char *
log_level_name (GLogLevelFlags level)
{
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return "ERROR";
	if (level & G_LOG_LEVEL_WARNING)
		return "WARN";
	if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return "INFO";
	return "DEBUG";
}

/* yyyy-MM-dd HH:mm:ss,SSS in local time, as log4j's %d */
static void
log_timestamp (gint64 unix_usec, char *buf, gsize len)
{
	g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (unix_usec / G_USEC_PER_SEC);
	g_autofree char *s = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");

	g_snprintf (buf, len, "%s,%03d", s, (int) ((unix_usec / 1000) % 1000));
}

char *
am_log_format_file_line (GLogLevelFlags level, const char *domain, const char *message,
			 gint64 unix_usec)
{
	char ts[40];

	log_timestamp (unix_usec, ts, sizeof ts);
	domain = domain != NULL ? domain : "apimd";
	return g_strdup_printf ("TID: [-1234] [] [%s] %5s {%s} -  %s {%s}\n", ts,
				log_level_name (level), domain, message, domain);
}

static gboolean
log_wanted (GLogLevelFlags level, const char *domain)
{
	const char *debug;

	if (!(level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)))
		return TRUE;
	debug = g_getenv ("G_MESSAGES_DEBUG");
	if (debug == NULL)
		return FALSE;
	return strcmp (debug, "all") == 0 || (domain != NULL && strstr (debug, domain) != NULL);
}

static void
log_open_locked (void)
{
	if (log_file != NULL)
		fclose (log_file);
	log_file = log_path != NULL ? fopen (log_path, "ae") : NULL;
	if (log_file != NULL)
		setvbuf (log_file, NULL, _IOLBF, 0);
}

static GLogWriterOutput
on_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	const char *domain = NULL, *message = NULL;
	gint64 now = g_get_real_time ();
	g_autofree char *line = NULL;
	char ts[40];

	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (strcmp (fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	if (message == NULL || !log_wanted (level, domain))
		return G_LOG_WRITER_HANDLED;

	line = am_log_format_file_line (level, domain, message, now);
	log_timestamp (now, ts, sizeof ts);
	g_mutex_lock (&log_lock);
	if (log_file != NULL)
		fputs (line, log_file);
	if (log_console) {
		fprintf (stdout, "[%s] %5s - %s %s\n", ts, log_level_name (level),
			 domain != NULL ? domain : "apimd", message);
		fflush (stdout);
	}
	g_mutex_unlock (&log_lock);
	return G_LOG_WRITER_HANDLED;
}

gboolean
am_log_init (const char *log_dir, gboolean console, GError **error)
{
	g_autofree char *path = NULL;

	if (log_dir != NULL) {
		if (g_mkdir_with_parents (log_dir, 0750) != 0) {
			int errsv = errno;
			g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
				     "cannot create %s: %s", log_dir, g_strerror (errsv));
			return FALSE;
		}
		path = g_build_filename (log_dir, "wso2carbon.log", NULL);
	}
	g_mutex_lock (&log_lock);
	g_free (log_path);
	log_path = g_steal_pointer (&path);
	log_console = console;
	log_open_locked ();
	g_mutex_unlock (&log_lock);
	if (log_path != NULL && log_file == NULL) {
		int errsv = errno;
		g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
			     "cannot open %s: %s", log_path, g_strerror (errsv));
		return FALSE;
	}
	if (!log_installed) {
		g_log_set_writer_func (on_log, NULL, NULL);
		log_installed = TRUE;
	}
	return TRUE;
}

void
am_log_reopen (void)
{
	g_mutex_lock (&log_lock);
	log_open_locked ();
	g_mutex_unlock (&log_lock);
	g_mutex_lock (&hook_lock);
	for (guint i = 0; reopen_hooks != NULL && i < reopen_hooks->len; i++) {
		LogReopenHook *h = &g_array_index (reopen_hooks, LogReopenHook, i);

		h->fn (h->data);
	}
	g_mutex_unlock (&hook_lock);
}

void
am_log_add_reopen_hook (AmLogReopenFunc fn, gpointer data)
{
	LogReopenHook h = { fn, data };

	g_mutex_lock (&hook_lock);
	if (reopen_hooks == NULL)
		reopen_hooks = g_array_new (FALSE, FALSE, sizeof (LogReopenHook));
	g_array_append_val (reopen_hooks, h);
	g_mutex_unlock (&hook_lock);
}

void
am_log_remove_reopen_hook (AmLogReopenFunc fn, gpointer data)
{
	g_mutex_lock (&hook_lock);
	for (guint i = 0; reopen_hooks != NULL && i < reopen_hooks->len; i++) {
		LogReopenHook *h = &g_array_index (reopen_hooks, LogReopenHook, i);

		if (h->fn == fn && h->data == data) {
			g_array_remove_index (reopen_hooks, i);
			break;
		}
	}
	g_mutex_unlock (&hook_lock);
}

void
am_log_shutdown (void)
{
	g_mutex_lock (&log_lock);
	if (log_file != NULL)
		fclose (log_file);
	log_file = NULL;
	g_clear_pointer (&log_path, g_free);
	g_mutex_unlock (&log_lock);
}
