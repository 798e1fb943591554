/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apimd: the daemon's entry point.
 *
 *   apimd [--carbon-home DIR] [-t | -T] [--version] [-Dname[=value] ...]
 *
 * The command line follows what WSO2's Bootstrap accepted, so that
 * bin/wso2server.sh can hand its arguments over unchanged: every -Dk=v is a
 * system property (-Dk alone means k=true) usable as ${k} in the config;
 * -Dprofile selects the WSO2 profile, -DportOffset moves every port,
 * -Dsetup creates the database schema on an external database.  -t checks
 * the configuration and -T prints it, as nginx and HAProxy do.
 *
 * Exit codes (LSB): 0 clean stop, 1 runtime failure, 2 usage error,
 * 6 invalid configuration.
 */
#define G_LOG_DOMAIN "am.core.main"
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "am-conf.h"
#include "am-log.h"
#include "am-module.h"
#include "am-server.h"

enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
	EXIT_CONFIG = 6,
};

typedef struct {
	char *carbon_home;
	char *pid_file;
	gboolean test;
	gboolean dump;
	gboolean version;
	GHashTable *sysprops;
} MainOptions;

static void
main_usage (FILE *out)
{
	fprintf (out,
		 "Usage: apimd [options] [-Dname[=value] ...]\n"
		 "  --carbon-home DIR   server directory (default: -Dcarbon.home, $CARBON_HOME, .)\n"
		 "  -t                  check the configuration and exit\n"
		 "  -T                  print the effective configuration (secrets masked) and exit\n"
		 "  --pid-file FILE     pid file (default: <carbon home>/wso2carbon.pid)\n"
		 "  --version           print the version and exit\n"
		 "System properties:\n"
		 "  -Dprofile=NAME      default, api-key-manager, api-publisher, api-store,\n"
		 "                      api-devportal, gateway-manager, gateway-worker, traffic-manager\n"
		 "  -DportOffset=N      add N to every port\n"
		 "  -Dsetup             create the database schema if it is missing\n"
		 "  -Dname=value        any value for ${name} placeholders\n");
}

static gboolean
main_parse (int argc, char **argv, MainOptions *o)
{
	o->sysprops = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (g_str_has_prefix (a, "-D") && a[2] != '\0') {
			const char *eq = strchr (a + 2, '=');
			char *k = eq ? g_strndup (a + 2, eq - a - 2) : g_strdup (a + 2);
			g_hash_table_insert (o->sysprops, k, g_strdup (eq ? eq + 1 : "true"));
		} else if (strcmp (a, "-t") == 0) {
			o->test = TRUE;
		} else if (strcmp (a, "-T") == 0) {
			o->dump = TRUE;
		} else if (strcmp (a, "--version") == 0 || strcmp (a, "-v") == 0) {
			o->version = TRUE;
		} else if (strcmp (a, "--carbon-home") == 0 && i + 1 < argc) {
			g_free (o->carbon_home);
			o->carbon_home = g_strdup (argv[++i]);
		} else if (strcmp (a, "--pid-file") == 0 && i + 1 < argc) {
			g_free (o->pid_file);
			o->pid_file = g_strdup (argv[++i]);
		} else if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0) {
			main_usage (stdout);
			exit (EXIT_OK);
		} else {
			fprintf (stderr, "apimd: unknown argument '%s'\n", a);
			main_usage (stderr);
			return FALSE;
		}
	}
	return TRUE;
}

static char *
main_carbon_home (MainOptions *o)
{
	const char *home = o->carbon_home;

	if (home == NULL)
		home = g_hash_table_lookup (o->sysprops, "carbon.home");
	if (home == NULL)
		home = g_getenv ("CARBON_HOME");
	if (home == NULL || *home == '\0')
		home = ".";
	return g_canonicalize_filename (home, NULL);
}

/* A pid file naming a live apimd means another server owns this home. */
static gboolean
main_pid_file_busy (const char *path)
{
	g_autofree char *text = NULL;
	g_autofree char *proc = NULL;
	g_autofree char *exe = NULL;
	g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
	gint64 pid;

	if (!g_file_get_contents (path, &text, NULL, NULL) ||
	    !g_ascii_string_to_signed (g_strstrip (text), 10, 1, G_MAXINT, &pid, NULL) ||
	    pid == getpid ())
		return FALSE;
	proc = g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/exe", pid);
	exe = g_file_read_link (proc, NULL);
	return exe != NULL && self_exe != NULL && strcmp (exe, self_exe) == 0;
}

static int
main_check_config (MainOptions *o, const char *home)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmConf) conf = am_conf_load (home, o->sysprops, am_modules, &error);

	if (conf == NULL) {
		fprintf (stderr, "%s\n", error->message);
		fprintf (stderr, "apimd: configuration of %s is invalid\n", home);
		return EXIT_CONFIG;
	}
	if (o->dump) {
		g_autofree char *text = am_conf_dump (conf);
		fputs (text, stdout);
	} else {
		printf ("apimd: configuration of %s is valid\n", home);
	}
	return EXIT_OK;
}

static gboolean
on_sigterm (gpointer user_data)
{
	g_message ("Shutdown requested, stopping");
	g_main_loop_quit (user_data);
	return G_SOURCE_CONTINUE;
}

static gboolean
on_sighup (gpointer user_data)
{
	g_autoptr (GError) error = NULL;

	g_message ("Reloading the configuration (SIGHUP)");
	if (!am_server_reload (user_data, &error)) {
		/* one log line per problem, as at start-up */
		g_auto (GStrv) lines = g_strsplit (error->message, "\n", -1);
		for (guint i = 0; lines[i] != NULL; i++)
			g_warning ("%s", lines[i]);
		g_warning ("Configuration not reloaded, the running one stays in force");
	} else {
		g_message ("Configuration reloaded");
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
on_sigusr1 (gpointer user_data)
{
	am_log_reopen ();
	g_message ("Log files reopened (SIGUSR1)");
	return G_SOURCE_CONTINUE;
}

static void
main_detach (GSource **sources, guint n)
{
	for (guint i = 0; i < n; i++) {
		g_source_destroy (sources[i]);
		g_source_unref (sources[i]);
	}
}

static int
main_run (MainOptions *o, const char *home)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmConf) conf = NULL;
	g_autoptr (GMainLoop) loop = NULL;
	g_autofree char *logs = g_build_filename (home, "repository", "logs", NULL);
	g_autofree char *pid_file = o->pid_file ? g_strdup (o->pid_file)
						: g_build_filename (home, "wso2carbon.pid", NULL);
	g_autofree char *pid_text = g_strdup_printf ("%d\n", (int) getpid ());
	const char *profile = g_hash_table_lookup (o->sysprops, "profile");
	AmServer *server;
	gint64 t0 = g_get_monotonic_time ();
	GSource *sources[4];

	if (!am_log_init (logs, TRUE, &error)) {
		fprintf (stderr, "apimd: %s\n", error->message);
		return EXIT_RUNTIME;
	}
	g_message ("Starting apimd %s (%s %s compatible), profile %s, carbon home %s",
		   PACKAGE_VERSION, AM_PRODUCT_NAME, AM_PRODUCT_VERSION,
		   profile ? profile : "default", home);
	conf = am_conf_load (home, o->sysprops, am_modules, &error);
	if (conf == NULL) {
		g_auto (GStrv) lines = g_strsplit (error->message, "\n", -1);
		for (guint i = 0; lines[i] != NULL; i++)
			g_critical ("%s", lines[i]);
		g_critical ("Invalid configuration, not starting");
		return EXIT_CONFIG;
	}
	if (main_pid_file_busy (pid_file)) {
		g_critical ("Another apimd is running in %s (see %s)", home, pid_file);
		return EXIT_RUNTIME;
	}

	/* Handlers first: whoever reads the pid file may signal at once, and a
	 * SIGTERM during start-up must still end in a clean stop. */
	loop = g_main_loop_new (NULL, FALSE);
	server = am_server_new (conf, profile, o->sysprops);
	sources[0] = g_unix_signal_source_new (SIGTERM);
	g_source_set_callback (sources[0], on_sigterm, loop, NULL);
	sources[1] = g_unix_signal_source_new (SIGINT);
	g_source_set_callback (sources[1], on_sigterm, loop, NULL);
	sources[2] = g_unix_signal_source_new (SIGHUP);
	g_source_set_callback (sources[2], on_sighup, server, NULL);
	sources[3] = g_unix_signal_source_new (SIGUSR1);
	g_source_set_callback (sources[3], on_sigusr1, NULL, NULL);
	for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
		g_source_attach (sources[i], NULL);

	if (!g_file_set_contents (pid_file, pid_text, -1, &error)) {
		g_critical ("Cannot write the pid file: %s", error->message);
		main_detach (sources, G_N_ELEMENTS (sources));
		am_server_free (server);
		return EXIT_RUNTIME;
	}
	if (!am_server_start (server, &error)) {
		g_critical ("Start-up failed: %s", error->message);
		main_detach (sources, G_N_ELEMENTS (sources));
		am_server_free (server);
		g_unlink (pid_file);
		return EXIT_RUNTIME;
	}
	g_message ("apimd started in %.3f sec",
		   (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC);

	g_main_loop_run (loop);

	main_detach (sources, G_N_ELEMENTS (sources));
	am_server_free (server);
	g_unlink (pid_file);
	g_message ("apimd stopped");
	am_log_shutdown ();
	return EXIT_OK;
}

int
main (int argc, char **argv)
{
	MainOptions o = { 0 };
	g_autofree char *home = NULL;
	const char *profile;
	int rc;

	/* TLS 1.2 and newer only, on every listener GIO/libsoup serves. */
	g_setenv ("G_TLS_GNUTLS_PRIORITY", "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", FALSE);
	/* OpenSSL, libmysqlclient and Thrift may write to a closed socket. */
	signal (SIGPIPE, SIG_IGN);

	if (!main_parse (argc, argv, &o))
		return EXIT_USAGE;
	if (o.version) {
		printf ("apimd %s (%s %s compatible)\n", PACKAGE_VERSION, AM_PRODUCT_NAME,
			AM_PRODUCT_VERSION);
		return EXIT_OK;
	}
	profile = g_hash_table_lookup (o.sysprops, "profile");
	if (profile != NULL && !am_profile_is_valid (profile)) {
		g_autofree char *names = g_strjoinv (", ", (char **) am_profile_names);
		fprintf (stderr, "apimd: unknown profile '%s'; valid profiles: %s\n", profile,
			 names);
		return EXIT_USAGE;
	}
	home = main_carbon_home (&o);
	if (o.test || o.dump)
		rc = main_check_config (&o, home);
	else
		rc = main_run (&o, home);
	g_hash_table_unref (o.sysprops);
	g_free (o.carbon_home);
	g_free (o.pid_file);
	return rc;
}
