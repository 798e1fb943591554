#!/bin/sh
# ----------------------------------------------------------------------------
# SPDX-License-Identifier: Apache-2.0
#
# wso2server.sh -- start, stop and restart apimd the way WSO2 Carbon's
# bin/wso2server.sh starts WSO2 API Manager 2.x, so that operators keep
# their habits, init scripts and runbooks.
#
#   sh bin/wso2server.sh [command] [-Dname[=value] ...]
#
# Commands (each also accepted as -command and as a bare word):
#   --start            start the server in the background and return
#   --stop             stop the running server (SIGTERM, wait up to 30 s)
#   --restart          stop, wait until it is gone, start again
#   --version          print bin/version.txt and bin/wso2carbon-version.txt
#   --test             run in the foreground (the same as no command)
#   --debug <port>     JVM remote debugging: not applicable, exits 1
#   --help             print this usage
# Everything else goes to apimd unchanged: -DportOffset=N, -Dprofile=NAME,
# -Dsetup, -Dname=value, ...; --cleanRegistry becomes
# -Dcarbon.registry.clean=true, as in Carbon.
#
# Environment:
#   APIMD          the daemon to run (default: $CARBON_HOME/apimd, the
#                  in-tree build, then $CARBON_HOME/bin/apimd, then apimd
#                  on $PATH)
#   APIMD_STOP_TIMEOUT   seconds --stop waits for the server (default 30)
#
# CARBON_HOME is always the directory above this script's bin/ (symlinks
# resolved), as for a WSO2 distribution unpacked anywhere.  The server
# writes its pid to $CARBON_HOME/wso2carbon.pid and logs to
# $CARBON_HOME/repository/logs/wso2carbon.log.
#
# Run from a source checkout where apimd has not been built yet, the script
# builds it first (installing the Debian build dependencies when run as
# root); the build output goes to repository/logs/build.log.
# ----------------------------------------------------------------------------

# The WSO2 profiles apimd knows (api-devportal is the 2.6 name of api-store).
PROFILES="default api-key-manager api-publisher api-store api-devportal gateway-manager gateway-worker traffic-manager"

# The Debian packages needed to build apimd from source.
BUILD_DEPS="gcc make autoconf automake pkg-config libglib2.0-dev libsoup-3.0-dev libxml2-dev libssl-dev libthrift-c-glib-dev thrift-compiler default-libmysqlclient-dev libsqlite3-dev libjson-glib-dev libhttp-parser-dev"

# Carbon's exit status asking its launcher to start it again.
RESTART_EXIT_STATUS=121

me=wso2server.sh

die() {
	echo "$me: $*" >&2
	exit 1
}

# ----- Where are we? ---------------------------------------------------------

# Resolve links: $0 may be a symlink (the classic /etc/init.d/apim -> ...).
PRG=$0
while [ -h "$PRG" ]; do
	ls=$(ls -ld "$PRG")
	link=$(expr "$ls" : '.*-> \(.*\)$')
	if expr "$link" : '/.*' >/dev/null; then
		PRG=$link
	else
		PRG=$(dirname "$PRG")/$link
	fi
done
PRGDIR=$(dirname "$PRG")
CARBON_HOME=$(cd "$PRGDIR/.." && pwd -P) || die "cannot find the directory above $PRGDIR"
SCRIPT=$CARBON_HOME/bin/$(basename "$PRG")
PID_FILE=$CARBON_HOME/wso2carbon.pid
export CARBON_HOME
cd "$CARBON_HOME" || die "cannot cd to $CARBON_HOME"

# ----- Arguments -------------------------------------------------------------

usage() {
	cat <<EOF
Usage: sh bin/wso2server.sh [command] [system properties]

Commands (each also accepted as -command and as a bare word):
  --start            start apimd in the background and return
  --stop             stop it (SIGTERM, then wait up to ${APIMD_STOP_TIMEOUT:-30} s)
  --restart          stop it, wait until it is gone, start it again
  --version          print the product version
  --test             run in the foreground (the default)
  --help             print this help

System properties (passed to apimd):
  -DportOffset=N     add N to every port (overrides carbon.xml Ports/Offset)
  -Dprofile=NAME     one of: $PROFILES
  -Dsetup            create the database schemas if they are missing
  --cleanRegistry    the same as -Dcarbon.registry.clean=true
  -Dname=value       a value for \${name} placeholders in the configuration

Server directory (CARBON_HOME): $CARBON_HOME
EOF
}

# Rebuild "$@" without the launcher's own words: each argument is taken
# from the front and, unless it is a command, put back at the end.  This
# keeps arguments with spaces intact, which WSO2's $args string did not.
CMD=
DEBUG_PORT=
n=$#
while [ "$n" -gt 0 ]; do
	arg=$1
	shift
	n=$((n - 1))
	case $arg in
	--start | -start | start) CMD=start ;;
	--stop | -stop | stop) CMD=stop ;;
	--restart | -restart | restart) CMD=restart ;;
	--version | -version | version) CMD=version ;;
	--test | -test | test) CMD='test' ;;
	--help | -help | help | -h) CMD=help ;;
	--debug | -debug | debug)
		CMD=debug
		# The port follows the option, as in WSO2's script.
		if [ "$n" -gt 0 ]; then
			DEBUG_PORT=$1
			shift
			n=$((n - 1))
		fi
		;;
	--cleanRegistry | -cleanRegistry | cleanRegistry)
		set -- "$@" -Dcarbon.registry.clean=true
		;;
	--optimize | -optimize | optimize)
		# 2.6's profileSetup.sh rewrote configs and webapps for a profile;
		# apimd only starts the modules of the profile, so nothing to do.
		echo "$me: --optimize is not needed: -Dprofile alone selects what apimd runs" >&2
		;;
	*) set -- "$@" "$arg" ;;
	esac
done

# check_profiles ARGS... : refuse an unknown -Dprofile before anything
# starts, so that a typo never brings up a default (all-in-one) server.
check_profiles() {
	for arg in "$@"; do
		case $arg in
		-Dprofile=*) name=${arg#-Dprofile=} ;;
		-Dprofile) name= ;;
		*) continue ;;
		esac
		case " $PROFILES " in
		*" $name "*) [ -n "$name" ] && continue ;;
		esac
		echo "$me: unknown profile '$name' in $arg" >&2
		echo "$me: valid profiles: $PROFILES" >&2
		exit 1
	done
}

# ----- Finding (or building) the daemon --------------------------------------

# find_daemon : set APIMD to the daemon to run, or return 1.
find_daemon() {
	if [ -n "${APIMD:-}" ]; then
		# An explicit choice is never second-guessed.
		case $APIMD in
		*/*) [ -f "$APIMD" ] && [ -x "$APIMD" ] ;;
		*) APIMD=$(command -v "$APIMD") ;;
		esac || die "APIMD=$APIMD is not an executable program"
		return 0
	fi
	for candidate in "$CARBON_HOME/apimd" "$CARBON_HOME/bin/apimd"; do
		if [ -f "$candidate" ] && [ -x "$candidate" ]; then
			APIMD=$candidate
			return 0
		fi
	done
	APIMD=$(command -v apimd) && return 0
	APIMD=
	return 1
}

# missing_packages PKG... : print the packages that are not installed.
missing_packages() {
	for pkg in "$@"; do
		case $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) in
		*" installed") ;;
		*) echo "$pkg" ;;
		esac
	done
}

# build_daemon : first run from a source checkout: install what the build
# needs (as root) and build apimd in place.
build_daemon() {
	log=$CARBON_HOME/repository/logs/build.log
	mkdir -p "$CARBON_HOME/repository/logs" || die "cannot create repository/logs"
	: >"$log" || die "cannot write $log"

	if command -v dpkg-query >/dev/null 2>&1; then
		# shellcheck disable=SC2086 # BUILD_DEPS is a list of words
		missing=$(missing_packages $BUILD_DEPS | tr '\n' ' ')
		missing=${missing% }
		if [ -n "$missing" ]; then
			if [ "$(id -u)" != 0 ]; then
				echo "$me: apimd is not built yet, and building it needs these packages:" >&2
				echo "    sudo apt-get install -y $missing" >&2
				echo "$me: run that, then run this script again" >&2
				exit 1
			fi
			echo "installing the build dependencies: $missing"
			# shellcheck disable=SC2086
			{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $missing; } \
				</dev/null >>"$log" 2>&1 ||
				build_failed "apt-get install failed"
		fi
	else
		echo "$me: no dpkg-query (not Debian?): trying the build with what is installed" >&2
	fi

	jobs=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
	echo "building apimd (first run)..."
	# Reuse what an earlier, interrupted attempt left: configure, Makefile.
	(
		{ [ -x configure ] || sh ./bootstrap; } &&
			{ [ -f Makefile ] || ./configure; } &&
			make -j"$jobs"
	) </dev/null >>"$log" 2>&1 || build_failed "the build failed"
	find_daemon || build_failed "the build did not produce $CARBON_HOME/apimd"
	echo "built $APIMD"
}

build_failed() {
	echo "$me: $1; the last lines of $log:" >&2
	tail -n 15 "$log" >&2
	echo "$me: full log: $log" >&2
	exit 1
}

# ensure_daemon : find apimd, building it on the first run from a checkout.
ensure_daemon() {
	find_daemon && return 0
	[ -f "$CARBON_HOME/configure.ac" ] ||
		die "apimd not found (looked at \$APIMD, $CARBON_HOME/apimd, $CARBON_HOME/bin/apimd and \$PATH)"
	build_daemon
}

# ----- The pid file ----------------------------------------------------------

# read_pid : set pid from wso2carbon.pid, or return 1.
read_pid() {
	[ -f "$PID_FILE" ] || return 1
	pid=$(tr -cd '0-9' <"$PID_FILE")
	[ -n "$pid" ]
}

# is_server PID : true if PID is a live apimd.  A pid file that outlived its
# server (a crash, a reboot) can name an unrelated process that got the same
# pid: look at what the process is rather than only whether it exists.
is_server() {
	if [ -d /proc/self ]; then
		[ -r "/proc/$1/cmdline" ] || return 1
		args=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	else
		args=$(ps -p "$1" -o args= 2>/dev/null) || return 1
	fi
	case $args in
	*apimd* | *"--carbon-home $CARBON_HOME "*) return 0 ;;
	*) return 1 ;;
	esac
}

# running : true if wso2carbon.pid names a live server (its pid in $pid).
# A stale pid file is removed.
running() {
	read_pid || return 1
	is_server "$pid" && return 0
	echo "$me: removing stale $PID_FILE (pid $pid is not running)" >&2
	rm -f "$PID_FILE"
	return 1
}

# ----- Commands --------------------------------------------------------------

# start_server ARGS... : start ourselves in the background, as WSO2 does.
start_server() {
	if running; then
		echo "Process is already running"
		exit 0
	fi
	check_profiles "$@"
	ensure_daemon
	# Report a broken configuration here, not only in a log nobody watches.
	out=$("$APIMD" --carbon-home "$CARBON_HOME" -t "$@" 2>&1)
	rc=$?
	if [ "$rc" != 0 ]; then
		printf '%s\n' "$out" >&2
		echo "$me: not started: the configuration check failed (apimd -t exited $rc)" >&2
		exit "$rc"
	fi
	export APIMD
	nohup sh "$SCRIPT" "$@" </dev/null >/dev/null 2>&1 &
	echo "apimd is starting in the background (log: $CARBON_HOME/repository/logs/wso2carbon.log)"
	exit 0
}

# stop_server : SIGTERM the server and wait until it is gone.
stop_server() {
	if ! running; then
		echo "apimd is not running (no live process in $PID_FILE)"
		return 0
	fi
	timeout=${APIMD_STOP_TIMEOUT:-30}
	echo "Stopping apimd (pid $pid)..."
	kill -TERM "$pid" || die "cannot signal pid $pid"
	# Poll every 0.2 s where sleep takes fractions (GNU, busybox), else 1 s.
	ticks=0
	while is_server "$pid"; do
		if [ "$ticks" -ge $((timeout * 5)) ]; then
			echo "$me: apimd (pid $pid) is still running after $timeout s" >&2
			return 1
		fi
		sleep 0.2 2>/dev/null || { sleep 1; ticks=$((ticks + 4)); }
		ticks=$((ticks + 1))
	done
	echo "apimd stopped"
}

# forward SIG : pass a signal we received on to the running daemon.
# shellcheck disable=SC2317 # called from the traps below
forward() {
	case $1 in
	TERM | INT) stopping=1 ;;
	esac
	[ -n "$child" ] && kill -"$1" "$child" 2>/dev/null
}

# run_server ARGS... : run apimd in the foreground, again while it exits
# with Carbon's restart status.
run_server() {
	check_profiles "$@"
	ensure_daemon
	# Under systemd (Type=notify) the daemon must be the main process.
	if [ -n "${NOTIFY_SOCKET:-}" ]; then
		exec "$APIMD" --carbon-home "$CARBON_HOME" "$@"
	fi
	# Otherwise stay in between, for the restart loop: run the daemon as a
	# child and pass the signals we get on to it, so that a supervisor, a
	# container runtime or a terminal can stop or reload it through us.
	child=
	stopping=
	trap 'forward TERM' TERM
	trap 'forward INT' INT
	trap 'forward HUP' HUP
	trap 'forward USR1' USR1
	status=$RESTART_EXIT_STATUS
	while [ "$status" = "$RESTART_EXIT_STATUS" ] && [ -z "$stopping" ]; do
		"$APIMD" --carbon-home "$CARBON_HOME" "$@" &
		child=$!
		wait "$child"
		status=$?
		# wait returns early (> 128) when one of our traps ran while the
		# daemon was still there: wait again for its real exit status.
		while [ "$status" -gt 128 ] && kill -0 "$child" 2>/dev/null; do
			wait "$child"
			status=$?
		done
		child=
	done
	exit "$status"
}

case $CMD in
start)
	start_server "$@"
	;;
stop)
	stop_server || exit 1
	;;
restart)
	stop_server || exit 1
	start_server "$@"
	;;
version)
	cat "$CARBON_HOME/bin/version.txt" "$CARBON_HOME/bin/wso2carbon-version.txt" || exit 1
	;;
debug)
	if [ -z "$DEBUG_PORT" ]; then
		echo "$me: please specify the debug port after the --debug option" >&2
	fi
	echo "$me: --debug starts a JVM for a remote Java debugger; apimd is a native" >&2
	echo "$me: program: run it in the foreground under gdb instead (APIMD env var)" >&2
	exit 1
	;;
help)
	usage
	;;
test | '')
	run_server "$@"
	;;
esac
exit 0
