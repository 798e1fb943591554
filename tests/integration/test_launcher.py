# SPDX-License-Identifier: Apache-2.0
"""bin/wso2server.sh, the drop-in for WSO2's launcher.

Most tests run the script against a stand-in daemon (a small shell script
installed as $CARBON_HOME/apimd) that records how it was called and behaves
as the contract says apimd does: pid file, SIGTERM, exit status.  That tests
the script alone, fast.  The last tests start the real apimd through the
script, the way an operator does: --start, /services/Version over HTTPS,
--start again, --stop.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (
    REPO,
    ApimdNotReady,
    ApimdProcess,
    free_offset,
    http_session,
    kill_pid,
    make_carbon_home,
    pid_alive,
    ready_status,
)

PROFILES = [
    "default",
    "api-key-manager",
    "api-publisher",
    "api-store",
    "api-devportal",
    "gateway-manager",
    "gateway-worker",
    "traffic-manager",
]

# The stand-in daemon.  FAKE_DIR receives: calls (one line per call: the
# fake's name), argv and cwd of the last call, runs (one line per real run,
# not -t), signals (the signals it got).  Knobs: FAKE_CHECK_STATUS and
# FAKE_CHECK_OUTPUT for -t, FAKE_RESTARTS (exit 121 that many runs first),
# FAKE_EXIT (exit at once with it instead of running).
FAKE_DAEMON = r"""#!/bin/sh
d=${FAKE_DIR:?}
echo "@NAME@" >>"$d/calls"
: >"$d/argv"
for a in "$@"; do printf '%s\n' "$a" >>"$d/argv"; done
pwd >"$d/cwd"
home=$2
for a in "$@"; do
	if [ "$a" = -t ]; then
		[ -n "${FAKE_CHECK_OUTPUT:-}" ] && echo "$FAKE_CHECK_OUTPUT" >&2
		exit "${FAKE_CHECK_STATUS:-0}"
	fi
done
echo run >>"$d/runs"
[ "$(wc -l <"$d/runs")" -le "${FAKE_RESTARTS:-0}" ] && exit 121
[ -n "${FAKE_EXIT:-}" ] && exit "$FAKE_EXIT"
# Handlers first, pid file second: a signal sent as soon as the pid file
# exists must find them in place.
sp=
trap 'echo HUP >>"$d/signals"' HUP
trap 'echo TERM >>"$d/signals"; rm -f "$home/wso2carbon.pid"; kill $sp 2>/dev/null; exit 0' TERM
echo $$ >"$home/wso2carbon.pid"
while :; do
	sleep 1 &
	sp=$!
	wait $sp
done
"""


def write_script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def install_fake(path: Path, name: str = "fake") -> Path:
    return write_script(path, FAKE_DAEMON.replace("@NAME@", name))


def launcher_env(**extra: str) -> dict[str, str]:
    """The environment without what would steer the script elsewhere."""
    env = dict(os.environ)
    for var in ("APIMD", "CARBON_HOME", "NOTIFY_SOCKET", "APIMD_STOP_TIMEOUT"):
        env.pop(var, None)
    env.update(extra)
    return env


def run_launcher(home, *args: str, env: dict[str, str] | None = None, cwd=None, script=None, timeout=60):
    """Run `sh bin/wso2server.sh ARGS` from somewhere else than the home,
    as an init script would."""
    script = script or Path(home) / "bin" / "wso2server.sh"
    return subprocess.run(
        ["sh", str(script), *args],
        cwd=cwd or "/",
        env=env if env is not None else launcher_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


def read_pid(home) -> int | None:
    try:
        text = (Path(home) / "wso2carbon.pid").read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def processes_under(home) -> list[int]:
    """Pids of processes whose command line names this carbon home."""
    needle = os.fsencode(str(home))
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if needle in f.read():
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


@pytest.fixture
def fake_home(tmp_path):
    """A carbon home whose daemon is the stand-in, and its record dir."""
    home = make_carbon_home(tmp_path)
    install_fake(home / "apimd", "home")
    record = tmp_path / "record"
    record.mkdir()
    yield home, record
    # Whatever the test left running in this home is stopped, by pid.
    for pid in processes_under(home.path):
        kill_pid(pid)


# ----- without a daemon -----------------------------------------------------


@pytest.mark.parametrize("word", ["--version", "-version", "version"])
def test_version_prints_both_version_files(tmp_path, word):
    home = make_carbon_home(tmp_path)
    r = run_launcher(home, word)
    assert r.returncode == 0, r.stderr
    expected = (home / "bin" / "version.txt").read_text() + (home / "bin" / "wso2carbon-version.txt").read_text()
    assert r.stdout == expected
    assert "WSO2 API Manager v2.6.0" in r.stdout
    assert "WSO2 Carbon Framework v4.4.35" in r.stdout


def test_version_files_name_the_configured_versions():
    configure_ac = (REPO / "configure.ac").read_text()
    ours = re.search(r"AC_INIT\(\[apimd\],\s*\[([^\]]+)\]", configure_ac).group(1)
    product = re.search(r'AM_PRODUCT_VERSION\],\s*\["([^"]+)"\]', configure_ac).group(1)
    version_txt = (REPO / "bin" / "version.txt").read_text()
    assert f"WSO2 API Manager v{product} " in version_txt
    for name in ("version.txt", "wso2carbon-version.txt"):
        assert f"(apimd {ours})" in (REPO / "bin" / name).read_text(), name


def test_help_lists_commands_and_profiles(tmp_path):
    home = make_carbon_home(tmp_path)
    r = run_launcher(home, "--help")
    assert r.returncode == 0, r.stderr
    for word in ("--start", "--stop", "--restart", "--version", "-DportOffset", *PROFILES):
        assert word in r.stdout


@pytest.mark.parametrize("command", [[], ["--start"], ["--restart"], ["--test"]])
def test_unknown_profile_is_refused_before_anything_starts(fake_home, command):
    home, record = fake_home
    r = run_launcher(home, *command, "-Dprofile=nosuch", env=launcher_env(FAKE_DIR=str(record)))
    assert r.returncode == 1
    assert "nosuch" in r.stderr
    for name in PROFILES:
        assert re.search(rf"(^|\s){re.escape(name)}(\s|$)", r.stderr, re.M), name
    assert not (record / "calls").exists(), "the daemon was run despite the bad profile"
    assert read_pid(home) is None


@pytest.mark.parametrize("arg", ["-Dprofile=", "-Dprofile", "-Dprofile=gateway_worker"])
def test_malformed_profile_is_refused(fake_home, arg):
    home, record = fake_home
    r = run_launcher(home, arg, env=launcher_env(FAKE_DIR=str(record)))
    assert r.returncode == 1
    assert "valid profiles" in r.stderr
    assert not (record / "calls").exists()


@pytest.mark.parametrize("profile", PROFILES)
def test_valid_profiles_are_passed_on(fake_home, profile):
    home, record = fake_home
    r = run_launcher(home, f"-Dprofile={profile}", env=launcher_env(FAKE_DIR=str(record), FAKE_EXIT="0"))
    assert r.returncode == 0, r.stderr
    assert f"-Dprofile={profile}" in read_lines(record / "argv")


def test_stop_without_pid_file_says_not_running(tmp_path):
    home = make_carbon_home(tmp_path)
    r = run_launcher(home, "--stop")
    assert r.returncode == 0, r.stderr
    assert "not running" in r.stdout + r.stderr


def test_stop_with_stale_pid_file_kills_nothing(tmp_path):
    home = make_carbon_home(tmp_path)
    # A dead pid, then a live process that is not apimd (pid reuse after a
    # crash or a reboot): neither may be signalled.
    dead = subprocess.Popen(["true"])
    dead.wait()
    (home / "wso2carbon.pid").write_text(f"{dead.pid}\n")
    r = run_launcher(home, "--stop")
    assert r.returncode == 0, r.stderr
    assert "not running" in r.stdout + r.stderr
    assert not (home / "wso2carbon.pid").exists(), "the stale pid file was left"

    bystander = subprocess.Popen(["sleep", "30"])
    try:
        (home / "wso2carbon.pid").write_text(f"{bystander.pid}\n")
        r = run_launcher(home, "stop")
        assert r.returncode == 0, r.stderr
        assert "not running" in r.stdout + r.stderr
        time.sleep(0.2)
        assert bystander.poll() is None, "an unrelated process was killed"
    finally:
        bystander.kill()
        bystander.wait()


def test_debug_is_not_supported(fake_home):
    home, record = fake_home
    r = run_launcher(home, "--debug", "5005", env=launcher_env(FAKE_DIR=str(record)))
    assert r.returncode == 1
    assert "debug" in r.stderr
    assert not (record / "calls").exists()


# ----- with the stand-in daemon ---------------------------------------------


def test_arguments_reach_the_daemon_unchanged(fake_home):
    home, record = fake_home
    r = run_launcher(
        home,
        "-DportOffset=2",
        "-Dprofile=gateway-worker",
        "-Dsetup",
        "-Dfoo=bar",
        "--cleanRegistry",
        "-Dwith.space=a b",
        env=launcher_env(FAKE_DIR=str(record), FAKE_EXIT="0"),
    )
    assert r.returncode == 0, r.stderr
    assert read_lines(record / "argv") == [
        "--carbon-home",
        str(home.path.resolve()),
        "-DportOffset=2",
        "-Dprofile=gateway-worker",
        "-Dsetup",
        "-Dfoo=bar",
        "-Dcarbon.registry.clean=true",
        "-Dwith.space=a b",
    ]
    # Like WSO2's script, it runs the server from CARBON_HOME.
    assert read_lines(record / "cwd") == [str(home.path.resolve())]


@pytest.mark.parametrize("status", [1, 2, 6])
def test_daemon_exit_status_is_passed_on(fake_home, status):
    home, record = fake_home
    r = run_launcher(home, "--test", env=launcher_env(FAKE_DIR=str(record), FAKE_EXIT=str(status)))
    assert r.returncode == status


def test_exit_status_121_restarts_the_daemon(fake_home):
    home, record = fake_home
    r = run_launcher(home, env=launcher_env(FAKE_DIR=str(record), FAKE_RESTARTS="2", FAKE_EXIT="0"))
    assert r.returncode == 0, r.stderr
    assert len(read_lines(record / "runs")) == 3


def test_symlinked_launcher_finds_its_carbon_home(fake_home, tmp_path):
    home, record = fake_home
    link = tmp_path / "elsewhere" / "apim"
    link.parent.mkdir()
    link.symlink_to(home / "bin" / "wso2server.sh")
    r = run_launcher(home, script=link, env=launcher_env(FAKE_DIR=str(record), FAKE_EXIT="0"))
    assert r.returncode == 0, r.stderr
    assert read_lines(record / "argv")[:2] == ["--carbon-home", str(home.path.resolve())]


def test_daemon_lookup_order(fake_home, tmp_path):
    home, record = fake_home
    env = launcher_env(FAKE_DIR=str(record), FAKE_EXIT="0")
    install_fake(home / "bin" / "apimd", "bin")
    explicit = install_fake(tmp_path / "explicit" / "apimd", "explicit")

    assert run_launcher(home, env=dict(env, APIMD=str(explicit))).returncode == 0
    assert run_launcher(home, env=env).returncode == 0
    (home / "apimd").unlink()
    assert run_launcher(home, env=env).returncode == 0
    (home / "bin" / "apimd").unlink()
    r = run_launcher(home, env=env)
    assert read_lines(record / "calls") == ["explicit", "home", "bin"]
    # Nothing left: a clear error, not a shell error.
    assert r.returncode == 1
    assert "apimd not found" in r.stderr


def test_apimd_variable_must_name_a_program(fake_home, tmp_path):
    home, record = fake_home
    r = run_launcher(home, env=launcher_env(FAKE_DIR=str(record), APIMD=str(tmp_path / "nothing")))
    assert r.returncode == 1
    assert "APIMD" in r.stderr
    assert not (record / "calls").exists()


def test_start_stop_restart_with_stand_in(fake_home):
    home, record = fake_home
    env = launcher_env(FAKE_DIR=str(record))

    t0 = time.monotonic()
    r = run_launcher(home, "--start", "-DportOffset=7", env=env)
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 < 5, "--start did not return at once"
    pid = wait_for(lambda: read_pid(home), 10, "wso2carbon.pid")
    assert pid_alive(pid)
    assert "-DportOffset=7" in read_lines(record / "argv")
    # The configuration was checked (-t) before going to the background.
    assert read_lines(record / "calls") == ["home", "home"]

    r = run_launcher(home, "start", env=env)
    assert r.returncode == 0
    assert "Process is already running" in r.stdout
    assert read_pid(home) == pid

    r = run_launcher(home, "-restart", env=env)
    assert r.returncode == 0, r.stderr
    assert not pid_alive(pid)
    new_pid = wait_for(lambda: read_pid(home) if read_pid(home) != pid else None, 10, "a new pid")
    assert pid_alive(new_pid)

    r = run_launcher(home, "--stop", env=env)
    assert r.returncode == 0, r.stderr
    assert not pid_alive(new_pid)
    assert not (home / "wso2carbon.pid").exists()
    assert read_lines(record / "signals") == ["TERM", "TERM"]
    wait_for(lambda: not processes_under(home.path), 5, "the background launcher to exit")


def test_start_refuses_an_invalid_configuration(fake_home):
    home, record = fake_home
    error = "repository/conf/carbon.xml:42: Ports/Offset: not a number: 'x'"
    env = launcher_env(FAKE_DIR=str(record), FAKE_CHECK_STATUS="6", FAKE_CHECK_OUTPUT=error)
    r = run_launcher(home, "--start", env=env)
    assert r.returncode == 6
    assert error in r.stderr
    time.sleep(0.3)
    assert not (record / "runs").exists(), "the server was started anyway"
    assert read_pid(home) is None


def test_foreground_launcher_forwards_signals(fake_home):
    """A supervisor or a container runtime signals the launcher's pid."""
    home, record = fake_home
    proc = subprocess.Popen(
        ["sh", str(home / "bin" / "wso2server.sh")],
        cwd="/",
        env=launcher_env(FAKE_DIR=str(record)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pid = wait_for(lambda: read_pid(home), 10, "wso2carbon.pid")
        assert pid != proc.pid
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: read_lines(record / "signals") == ["HUP"], 5, "SIGHUP to reach the daemon")
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert read_lines(record / "signals") == ["HUP", "TERM"]
        assert not pid_alive(pid)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ----- first run from a source checkout -------------------------------------


@pytest.fixture
def checkout(tmp_path):
    """A carbon home that looks like an unbuilt source checkout, with fake
    build tools first on PATH: bootstrap writes configure, configure writes
    Makefile, make installs the stand-in daemon as ./apimd."""
    home = make_carbon_home(tmp_path)
    (home / "configure.ac").write_text("AC_INIT([apimd], [0.0])\n")
    write_script(
        home / "bootstrap",
        "#!/bin/sh\necho bootstrap-ran\n"
        "printf '#!/bin/sh\\necho configure-ran\\necho all: >Makefile\\n' >configure\nchmod +x configure\n",
    )
    tools = tmp_path / "tools"
    template = install_fake(tmp_path / "template" / "apimd", "built")
    write_script(
        tools / "make",
        "#!/bin/sh\necho \"make-ran $*\"\n"
        'if [ -n "${FAKE_MAKE_FAIL:-}" ]; then echo "src/core/am-main.c:1: error: boom" >&2; exit 2; fi\n'
        f"cp '{template}' ./apimd\n",
    )
    # dpkg-query -W -f=${Status} PKG: the packages in FAKE_MISSING are not installed.
    write_script(
        tools / "dpkg-query",
        '#!/bin/sh\nfor pkg; do :; done\ncase " ${FAKE_MISSING:-} " in\n'
        '*" $pkg "*) echo "dpkg-query: no packages found matching $pkg" >&2; exit 1 ;;\n'
        "esac\nprintf 'install ok installed'\n",
    )
    write_script(tools / "id", '#!/bin/sh\necho "${FAKE_UID:-0}"\n')
    write_script(tools / "apt-get", '#!/bin/sh\necho "$*" >>"$FAKE_DIR/apt-get"\n')
    record = tmp_path / "record"
    record.mkdir()
    env = launcher_env(FAKE_DIR=str(record), FAKE_EXIT="0", PATH=f"{tools}:/usr/bin:/bin")
    return home, record, env


def test_first_run_builds_the_daemon(checkout):
    home, record, env = checkout
    r = run_launcher(home, "-Dfoo=bar", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "building apimd (first run)" in r.stdout
    log = (home / "repository" / "logs" / "build.log").read_text()
    assert "bootstrap-ran" in log and "configure-ran" in log and "make-ran -j" in log
    assert read_lines(record / "calls") == ["built"]
    assert "-Dfoo=bar" in read_lines(record / "argv")
    assert not (record / "apt-get").exists()
    # The second run uses what the first one built.
    r = run_launcher(home, env=env)
    assert r.returncode == 0
    assert "building" not in r.stdout


def test_first_run_installs_missing_packages_as_root(checkout):
    home, record, env = checkout
    env["FAKE_MISSING"] = "libhttp-parser-dev thrift-compiler"
    r = run_launcher(home, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert read_lines(record / "apt-get") == ["update", "install -y thrift-compiler libhttp-parser-dev"]
    assert read_lines(record / "calls") == ["built"]


def test_first_run_without_root_prints_the_apt_command(checkout):
    home, record, env = checkout
    env.update(FAKE_MISSING="libhttp-parser-dev thrift-compiler", FAKE_UID="1000")
    r = run_launcher(home, env=env)
    assert r.returncode == 1
    assert "sudo apt-get install -y thrift-compiler libhttp-parser-dev" in r.stderr
    assert not (record / "apt-get").exists()
    assert not (home / "configure").exists(), "it tried to build without the packages"
    assert not (record / "calls").exists()


def test_first_run_build_failure_points_to_the_log(checkout):
    home, record, env = checkout
    env["FAKE_MAKE_FAIL"] = "1"
    r = run_launcher(home, "--start", env=env)
    assert r.returncode == 1
    assert "boom" in r.stderr
    assert str(home / "repository" / "logs" / "build.log") in r.stderr
    assert not (record / "calls").exists()


# ----- with the real daemon -------------------------------------------------


@pytest.fixture(scope="session")
def working_apimd(apimd_bin, tmp_path_factory):
    """The built apimd, if it becomes ready on a fresh home; the tests of
    the launcher with the real daemon are skipped (with the reason) while it
    does not."""
    home = make_carbon_home(tmp_path_factory.mktemp("probe"), offset=free_offset())
    proc = ApimdProcess(apimd_bin, home)
    try:
        proc.start()
    except ApimdNotReady as e:
        pytest.skip(f"apimd does not become ready yet: {str(e)[:1500]}")
    finally:
        proc.stop()
    return apimd_bin


@pytest.fixture
def real_home(working_apimd, tmp_path):
    """A fresh carbon home whose $CARBON_HOME/apimd is the built daemon."""
    home = make_carbon_home(tmp_path, offset=free_offset())
    (home / "apimd").symlink_to(working_apimd)
    yield home
    for pid in processes_under(home.path):
        kill_pid(pid)


def wait_ready(port: int, timeout: float = 30) -> None:
    wait_for(lambda: ready_status(port) == 200, timeout, f"/health/ready on {port}")


VERSION_RESPONSE = re.compile(
    r'<ns:getVersionResponse xmlns:ns="http://version\.services\.core\.carbon\.wso2\.org">'
    r"\s*<return>WSO2 API Manager-2\.6\.0</return>\s*</ns:getVersionResponse>"
)


def test_start_and_stop_the_real_daemon(real_home, working_apimd):
    home = real_home
    ports = home.ports
    env = launcher_env()

    t0 = time.monotonic()
    r = run_launcher(home, "--start", f"-DportOffset={home.offset}", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert time.monotonic() - t0 < 10, "--start did not return at once"

    wait_ready(ports["mgt_http"])
    with http_session() as s:
        for url in (
            f"https://127.0.0.1:{ports['mgt_https']}/services/Version",
            f"http://127.0.0.1:{ports['mgt_http']}/services/Version",
        ):
            resp = s.get(url, timeout=5)
            assert resp.status_code == 200, url
            assert VERSION_RESPONSE.search(resp.text), resp.text

    pid = read_pid(home)
    assert pid is not None, "no wso2carbon.pid"
    assert pid_alive(pid)
    assert os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(working_apimd)

    r = run_launcher(home, "--start", f"-DportOffset={home.offset}", env=env)
    assert r.returncode == 0
    assert "Process is already running" in r.stdout
    assert read_pid(home) == pid

    r = run_launcher(home, "--stop", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not pid_alive(pid)
    assert not (home / "wso2carbon.pid").exists()
    wait_for(lambda: not processes_under(home.path), 5, "the background launcher to exit")


def test_restart_the_real_daemon(real_home):
    home = real_home
    env = launcher_env()
    # The offset comes from carbon.xml here, as on a real installation.
    assert run_launcher(home, "--start", env=env).returncode == 0
    wait_ready(home.ports["mgt_http"])
    pid = read_pid(home)

    r = run_launcher(home, "--restart", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not pid_alive(pid)
    wait_ready(home.ports["mgt_http"])
    new_pid = read_pid(home)
    assert new_pid not in (None, pid)

    assert run_launcher(home, "--stop", env=env).returncode == 0
    assert not pid_alive(new_pid)
