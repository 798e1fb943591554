#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# A private MariaDB server for the tests, with real authentication.
#
#   tests/lib/mariadb.sh start DIR PORT   initialise DIR/data if needed, start
#                                         the server on 127.0.0.1:PORT and
#                                         DIR/mysqld.sock, create user apimd
#                                         (password apimd) and database amtest,
#                                         then print the AM_TEST_MYSQL_*
#                                         variables as shell `export` lines
#   tests/lib/mariadb.sh stop DIR         stop the server by the pid in
#                                         DIR/mysqld.pid
#
# Typical use:  eval "$(tests/lib/mariadb.sh start /tmp/amdb 3391)"
# Only the export lines go to stdout; progress and errors go to stderr, and
# the server's own log is DIR/mysqld.log.

set -eu

me=${0##*/}

die() {
	echo "$me: $*" >&2
	exit 1
}

# find_prog NAME... : the first of the programs found, also in sbin dirs.
find_prog() {
	for name in "$@"; do
		for dir in $(echo "$PATH" | tr ':' ' ') /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
			if [ -x "$dir/$name" ]; then
				echo "$dir/$name"
				return 0
			fi
		done
	done
	return 1
}

# is_server PID : true when PID is alive and is a MariaDB/MySQL server.
is_server() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
	comm=$(cat "/proc/$1/comm" 2>/dev/null || ps -p "$1" -o comm= 2>/dev/null || true)
	case "$comm" in
	mariadbd* | mysqld*) return 0 ;;
	*) return 1 ;;
	esac
}

show_log() {
	if [ -f "$1" ]; then
		echo "$me: last lines of $1:" >&2
		tail -n 30 "$1" >&2
	fi
}

root_sql() {
	"$client" --no-defaults --protocol=socket --socket="$sock" -uroot -e "$1"
}

start() {
	dir=$1
	port=$2
	case "$port" in
	'' | *[!0-9]*) die "bad port '$port'" ;;
	esac
	mkdir -p "$dir" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	data=$dir/data
	sock=$dir/mysqld.sock
	pidfile=$dir/mysqld.pid
	log=$dir/mysqld.log
	# sun_path holds 108 bytes.
	[ ${#sock} -lt 108 ] || die "socket path too long: $sock"

	server=$(find_prog mariadbd mysqld) || die "mariadbd not found (install mariadb-server)"
	installdb=$(find_prog mariadb-install-db mysql_install_db) || die "mariadb-install-db not found"
	admin=$(find_prog mariadb-admin mysqladmin) || die "mariadb-admin not found"
	client=$(find_prog mariadb mysql) || die "mariadb client not found"

	if [ -f "$pidfile" ] && is_server "$(cat "$pidfile")"; then
		die "a server is already running from $dir (pid $(cat "$pidfile"))"
	fi
	user_opt=
	if [ "$(id -u)" = 0 ]; then
		user_opt=--user=root
	fi

	if [ ! -d "$data/mysql" ]; then
		echo "$me: initialising $data" >&2
		# shellcheck disable=SC2086
		if ! "$installdb" --no-defaults --datadir="$data" $user_opt \
			--auth-root-authentication-method=normal --skip-test-db \
			>"$dir/install.log" 2>&1; then
			show_log "$dir/install.log"
			die "mariadb-install-db failed"
		fi
	fi

	echo "$me: starting $server on 127.0.0.1:$port" >&2
	# stdout/stderr must not stay open: callers read ours through $(...).
	# shellcheck disable=SC2086
	"$server" --no-defaults --datadir="$data" --socket="$sock" --port="$port" \
		--bind-address=127.0.0.1 --pid-file="$pidfile" --log-error="$log" \
		--skip-name-resolve --character-set-server=utf8mb4 \
		--collation-server=utf8mb4_general_ci --innodb-buffer-pool-size=32M \
		$user_opt </dev/null >"$dir/mysqld.out" 2>&1 &
	spid=$!

	tries=0
	until "$admin" --no-defaults --protocol=socket --socket="$sock" -uroot \
		--connect-timeout=2 ping >/dev/null 2>&1; do
		if ! kill -0 "$spid" 2>/dev/null; then
			show_log "$log"
			show_log "$dir/mysqld.out"
			die "the server exited during start-up"
		fi
		tries=$((tries + 1))
		if [ "$tries" -ge 120 ]; then
			show_log "$log"
			kill "$spid" 2>/dev/null || true
			die "the server did not answer within 60 s"
		fi
		sleep 0.5
	done

	root_sql "CREATE USER IF NOT EXISTS 'apimd'@'127.0.0.1' IDENTIFIED BY 'apimd';
		CREATE USER IF NOT EXISTS 'apimd'@'localhost' IDENTIFIED BY 'apimd';
		GRANT ALL ON *.* TO 'apimd'@'127.0.0.1';
		GRANT ALL ON *.* TO 'apimd'@'localhost';
		CREATE DATABASE IF NOT EXISTS amtest CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;" ||
		die "cannot create the apimd user and the amtest database"

	echo "$me: ready (pid $spid, log $log)" >&2
	cat <<EOT
export AM_TEST_MYSQL_SOCKET='$sock'
export AM_TEST_MYSQL_PORT='$port'
export AM_TEST_MYSQL_USER='apimd'
export AM_TEST_MYSQL_PASSWORD='apimd'
export AM_TEST_MYSQL_URL='jdbc:mysql://127.0.0.1:$port/amtest?socket=$sock'
EOT
}

stop() {
	dir=$1
	pidfile=$dir/mysqld.pid
	if [ ! -f "$pidfile" ]; then
		echo "$me: no $pidfile: not running" >&2
		return 0
	fi
	pid=$(cat "$pidfile")
	if ! is_server "$pid"; then
		echo "$me: pid $pid from $pidfile is not a running server" >&2
		rm -f "$pidfile"
		return 0
	fi
	echo "$me: stopping pid $pid" >&2
	kill -TERM "$pid"
	tries=0
	while kill -0 "$pid" 2>/dev/null; do
		tries=$((tries + 1))
		if [ "$tries" -ge 120 ]; then
			echo "$me: pid $pid still running after 60 s, sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.5
	done
	rm -f "$pidfile"
}

case "${1:-}" in
start)
	[ $# -eq 3 ] || die "usage: $me start DIR PORT"
	start "$2" "$3"
	;;
stop)
	[ $# -eq 2 ] || die "usage: $me stop DIR"
	stop "$2"
	;;
*)
	die "usage: $me start DIR PORT | stop DIR"
	;;
esac
