/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging in Carbon's formats.  Every g_log() call of the daemon goes to
 * repository/logs/wso2carbon.log as
 *   TID: [-1234] [] [2018-09-04 20:39:00,661]  INFO {am.core.server} -  message {am.core.server}
 * and to the console as
 *   [2018-09-04 20:39:00,661]  INFO - am.core.server message
 * The component is the GLib log domain.  Debug messages are written only
 * when G_MESSAGES_DEBUG names their domain (or "all").
 */
#pragma once

#include <glib.h>

/* Start logging to @log_dir/wso2carbon.log (created if needed) and, when
 * @console is TRUE, to stdout.  @log_dir NULL: console only.  Safe to call
 * again to move the file. */
gboolean am_log_init (const char *log_dir, gboolean console, GError **error);
/* SIGUSR1: reopen the file (after logrotate moved it), then every file a
 * module registered. */
void am_log_reopen (void);
typedef void (*AmLogReopenFunc) (gpointer data);
void am_log_add_reopen_hook (AmLogReopenFunc fn, gpointer data);
void am_log_remove_reopen_hook (AmLogReopenFunc fn, gpointer data);
void am_log_shutdown (void);
/* The Carbon file line for one message (exposed for tests). */
char *am_log_format_file_line (GLogLevelFlags level, const char *domain, const char *message,
			       gint64 unix_usec);
