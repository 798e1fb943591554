#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# tests/run.sh -- the whole test suite, from a fresh checkout:
#
#   1. install what the build and the tests need (Debian packages)
#   2. build apimd (bootstrap/configure only when not done yet)
#   3. start a private MariaDB (tests/lib/mariadb.sh), stopped at exit
#   4. unit tests: make check (GTest binaries through automake's TAP driver)
#   5. integration tests: pytest on tests/integration, real apimd processes
#   6. browser tests: tests/browser (npm ci: playwright-core) driving Debian's
#      /usr/bin/chromium against a real apimd (node --test, TAP counted)
#
# and finish with one line "N passed, N failed, N skipped" counted from the
# real results: every ":test-result:" line of the automake .trs files, and
# every testcase of pytest's junit XML, and every top-level TAP result of
# the browser tests.  A stage that cannot run (a build
# failure, MariaDB not starting, pytest crashing) counts as one failure, so
# that "0 failed" always means that everything ran and passed.  The exit
# status is non-zero when anything failed.
#
# Knobs (environment):
#   AM_TEST_SKIP_APT=1          do not check or install Debian packages
#   AM_TEST_KEEP=1              keep the temporary directories (MariaDB data)
#   AM_TEST_ONLY=unit|integration|browser   run only that test stage
# Logs and reports go to tests/artifacts/ (build.log, unit/, pytest.xml, ...).

set -u

cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd -P)
ART=$TOP/tests/artifacts
# Always Debian's interpreter: the python3 first on PATH may be another one,
# without python3-pytest, python3-requests and python3-thrift.
PY=/usr/bin/python3
JOBS=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
UNIT_TIMEOUT=1200
INTEGRATION_TIMEOUT=3000

ONLY=${AM_TEST_ONLY:-}
case $ONLY in
'' | unit | integration | browser) ;;
*)
	echo "tests/run.sh: AM_TEST_ONLY must be unit, integration or browser, not '$ONLY'" >&2
	exit 2
	;;
esac

passed=0
failed=0
skipped=0
report=
dbdir=

stage() {
	printf '\n==== %s ====\n' "$*"
}

# add_report LINE : one line for the summary.
add_report() {
	report="$report$1
"
}

# stage_failed WHAT : a stage that could not run counts as one failure.
stage_failed() {
	echo "tests/run.sh: $*" >&2
	add_report "FAILED TO RUN: $*"
	failed=$((failed + 1))
}

# add_counts NAME "P F S"
add_counts() {
	# shellcheck disable=SC2086 # split the three numbers
	set -- "$1" $2
	passed=$((passed + $2))
	failed=$((failed + $3))
	skipped=$((skipped + $4))
	add_report "$(printf '%-12s %s passed, %s failed, %s skipped' "$1:" "$2" "$3" "$4")"
}

# logged LOG CMD... : run CMD with its output on the console and in LOG,
# returning CMD's exit status (which a plain pipe into tee would lose).
logged() {
	log=$1
	shift
	rcfile=$ART/.rc.$$
	{
		"$@" </dev/null 2>&1
		echo $? >"$rcfile"
	} | tee -a "$log"
	rc=$(cat "$rcfile" 2>/dev/null || echo 1)
	rm -f "$rcfile"
	return "$rc"
}

# with_timeout SECONDS CMD... : CMD, ended if it runs longer, so that a hung
# test cannot eat the whole CI budget.
with_timeout() {
	secs=$1
	shift
	if command -v timeout >/dev/null 2>&1; then
		timeout --kill-after=30 "$secs" "$@"
	else
		"$@"
	fi
}

cleanup() {
	if [ -n "$dbdir" ]; then
		sh "$TOP/tests/lib/mariadb.sh" stop "$dbdir" || true
		if [ "${AM_TEST_KEEP:-}" = 1 ]; then
			echo "tests/run.sh: kept $dbdir"
		else
			rm -rf "$dbdir"
		fi
		dbdir=
	fi
	rm -f "$ART/.rc.$$"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$ART"
mkdir -p "$ART" || exit 1

# ----- 1. packages -----------------------------------------------------------

stage "packages"
# The build dependencies are listed once, in the launcher, which installs
# them itself on a first run from a checkout.
build_deps=$(sed -n 's/^BUILD_DEPS="\(.*\)"$/\1/p' "$TOP/bin/wso2server.sh")
[ -n "$build_deps" ] || stage_failed "cannot read BUILD_DEPS from bin/wso2server.sh"
packages="$build_deps mariadb-server mariadb-client nginx python3-pytest python3-thrift python3-requests curl sqlite3 openssl"
# The browser tests: Debian's Chromium, and Node.js/npm when the machine has
# none of its own (playwright-core itself comes from the npm registry).
if [ "$ONLY" = "" ] || [ "$ONLY" = browser ]; then
	packages="$packages chromium"
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages="$packages nodejs npm"
fi

if [ "${AM_TEST_SKIP_APT:-}" = 1 ]; then
	echo "AM_TEST_SKIP_APT=1: not checking the Debian packages"
elif ! command -v dpkg-query >/dev/null 2>&1; then
	echo "no dpkg-query (not Debian?): not checking packages"
else
	missing=
	for pkg in $packages; do
		case $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) in
		*" installed") ;;
		*) missing="$missing $pkg" ;;
		esac
	done
	missing=${missing# }
	if [ -z "$missing" ]; then
		echo "all needed packages are installed"
	elif [ "$(id -u)" != 0 ]; then
		echo "tests/run.sh: missing packages; install them with:" >&2
		echo "    sudo apt-get update && sudo apt-get install -y $missing" >&2
		exit 1
	else
		echo "installing:$missing"
		# shellcheck disable=SC2086 # a list of package names
		if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $missing; } \
			</dev/null >"$ART/apt.log" 2>&1; then
			tail -n 20 "$ART/apt.log" >&2
			stage_failed "apt-get install failed (tests/artifacts/apt.log)"
		fi
	fi
fi

# ----- 2. build --------------------------------------------------------------

stage "build"
build_ok=
build_log=$ART/build.log
if [ ! -x configure ] && ! { echo "+ ./bootstrap" && sh ./bootstrap; } >>"$build_log" 2>&1 </dev/null; then
	tail -n 30 "$build_log" >&2
	stage_failed "./bootstrap failed (tests/artifacts/build.log)"
elif [ ! -f Makefile ] && ! { echo "+ ./configure" && ./configure; } >>"$build_log" 2>&1 </dev/null; then
	tail -n 30 "$build_log" >&2
	stage_failed "./configure failed (tests/artifacts/build.log)"
elif ! logged "$build_log" make -j"$JOBS"; then
	stage_failed "make failed (tests/artifacts/build.log)"
elif [ ! -x "$TOP/apimd" ]; then
	stage_failed "make succeeded but did not produce ./apimd"
else
	build_ok=1
fi

if [ -z "$build_ok" ]; then
	[ "$ONLY" = "" ] || [ "$ONLY" = unit ] && stage_failed "unit tests not run: no build"
	[ "$ONLY" != unit ] && [ "$ONLY" != browser ] && stage_failed "integration tests not run: no build"
	[ "$ONLY" = "" ] || [ "$ONLY" = browser ] && stage_failed "browser tests not run: no build"
else

	# ----- 3. MariaDB ----------------------------------------------------

	if [ "$ONLY" != browser ]; then
		stage "MariaDB"
		# Short path: the server's unix socket name must fit in 108 bytes.
		dbdir=$(mktemp -d /tmp/amtest-db.XXXXXX) || exit 1
		dbport=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		if dbenv=$(sh "$TOP/tests/lib/mariadb.sh" start "$dbdir" "$dbport") && eval "$dbenv" &&
			[ -n "${AM_TEST_MYSQL_URL:-}" ]; then
			echo "MariaDB for the tests: $AM_TEST_MYSQL_URL"
		else
			stage_failed "the private MariaDB did not start (see $dbdir/mysqld.log)"
			AM_TEST_KEEP=1 # keep its log for a look
		fi
	fi

	# ----- 4. unit tests -------------------------------------------------

	if [ "$ONLY" = "" ] || [ "$ONLY" = unit ]; then
		stage "unit tests (make check)"
		# Stale results of tests that no longer exist must not be counted.
		find "$TOP" -name '*.trs' ! -path "$ART/*" -exec rm -f {} +
		logged "$ART/unit.log" with_timeout "$UNIT_TIMEOUT" make -j"$JOBS" check
		rc=$?
		counts=$(find "$TOP" -name '*.trs' ! -path "$ART/*" -exec cat {} + </dev/null | awk '
			$1 == ":test-result:" {
				if ($2 == "PASS" || $2 == "XFAIL") p++
				else if ($2 == "SKIP") s++
				else f++   # FAIL, XPASS, ERROR
			}
			END { printf "%d %d %d\n", p, f, s }')
		add_counts unit "$counts"
		case $rc in
		0) ;;
		124 | 137) stage_failed "make check timed out after $UNIT_TIMEOUT s" ;;
		*)
			# Failing with no failed test case: it could not run them
			# (a test did not compile, the harness broke).
			[ "$(echo "$counts" | cut -d' ' -f2)" != 0 ] ||
				stage_failed "make check exited $rc without a failed test (see tests/artifacts/unit.log)"
			;;
		esac
		mkdir -p "$ART/unit"
		find "$TOP" \( -name '*.trs' -o -name 'test-suite.log' -o -name 'test-*.log' \) \
			! -path "$ART/*" -exec cp {} "$ART/unit/" \; 2>/dev/null
	fi

	# ----- 5. integration tests ------------------------------------------

	if [ "$ONLY" = "" ] || [ "$ONLY" = integration ]; then
		stage "integration tests (pytest)"
		xml=$ART/pytest.xml
		AM_TEST_APIMD=$TOP/apimd
		export AM_TEST_APIMD
		logged "$ART/integration.log" with_timeout "$INTEGRATION_TIMEOUT" \
			"$PY" -m pytest tests/integration -v -rs --junitxml="$xml"
		rc=$?
		counts=
		if [ -f "$xml" ]; then
			counts=$("$PY" - "$xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    tags = {child.tag for child in case}
    if "failure" in tags or "error" in tags:
        failed += 1
    elif "skipped" in tags:
        skipped += 1
    else:
        passed += 1
print(passed, failed, skipped)
EOF
			)
		fi
		if [ -n "$counts" ]; then
			add_counts integration "$counts"
		fi
		case $rc in
		0) [ -n "$counts" ] || stage_failed "pytest wrote no report ($xml)" ;;
		5) echo "pytest collected no test" ;;
		124 | 137) stage_failed "pytest timed out after $INTEGRATION_TIMEOUT s" ;;
		*)
			# Exit 2-4 (interrupted, internal or usage error) may come
			# with failed test cases in the report, or with none.
			[ "$(echo "${counts:-0 0 0}" | cut -d' ' -f2)" != 0 ] ||
				stage_failed "pytest exited $rc without a failed test (see tests/artifacts/integration.log)"
			;;
		esac
	fi

	# ----- 6. browser tests ----------------------------------------------

	if [ "$ONLY" = "" ] || [ "$ONLY" = browser ]; then
		stage "browser tests (playwright-core + chromium)"
		# pages.spec.mjs: the pages, log-in forms, errors; flow.spec.mjs:
		# publish -> subscribe -> keys -> try-out, and the sample API
		tap=$ART/browser.tap
		rm -rf "$TOP/tests/browser/artifacts"
		if [ ! -x /usr/bin/chromium ]; then
			stage_failed "browser tests not run: no /usr/bin/chromium"
		elif ! (cd "$TOP/tests/browser" && logged "$ART/browser.log" npm ci --no-audit --no-fund); then
			stage_failed "npm ci failed in tests/browser (tests/artifacts/browser.log)"
		else
			AM_TEST_APIMD=$TOP/apimd
			export AM_TEST_APIMD
			(cd "$TOP/tests/browser" && logged "$ART/browser.log" with_timeout 900 \
				node --test --test-concurrency=1 \
				--test-reporter=spec --test-reporter-destination=stdout \
				--test-reporter=tap --test-reporter-destination="$tap" \
				pages.spec.mjs flow.spec.mjs)
			rc=$?
			# top-level results only (subtests are indented)
			counts=$(awk '
				/^ok [0-9]+/ { if ($0 ~ /# (SKIP|TODO)/) s++; else p++ }
				/^not ok [0-9]+/ { f++ }
				END { printf "%d %d %d\n", p, f, s }' "$tap" 2>/dev/null)
			add_counts browser "${counts:-0 0 0}"
			if [ "$rc" != 0 ] && [ "$(echo "${counts:-0 0 0}" | cut -d' ' -f2)" = 0 ]; then
				stage_failed "the browser tests exited $rc without a failed test (see tests/artifacts/browser.log)"
			elif [ "$(echo "${counts:-0 0 0}" | cut -d' ' -f1)" = 0 ]; then
				stage_failed "the browser tests ran no test (see tests/artifacts/browser.log)"
			fi
			if [ -d "$TOP/tests/browser/artifacts" ]; then
				cp -R "$TOP/tests/browser/artifacts" "$ART/browser" 2>/dev/null || :
			fi
		fi
	fi
fi

# ----- summary ---------------------------------------------------------------

# Stop MariaDB now: nothing may follow the closing line.
cleanup
stage "summary"
printf '%s' "$report"
echo "reports: tests/artifacts/"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
