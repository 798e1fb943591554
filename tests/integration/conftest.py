# SPDX-License-Identifier: Apache-2.0
"""Fixtures shared by every integration test.

The integration tests are black-box: they make a fresh server directory (a
"carbon home": repository/conf, dbscripts/, bin/ and the empty runtime
directories, copied from this tree), start the real ``apimd`` on loopback
ports moved by a port offset of their own, and talk to it over HTTP(S),
Thrift and MySQL as a WSO2 client would.

What is here:

* ``apimd_bin``: the built daemon (``./apimd``, or ``$AM_TEST_APIMD``).
* ``make_carbon_home()`` and the ``carbon_home_factory`` fixture: a fresh
  server directory, optionally with config edits.
* ``ApimdProcess`` and the ``apimd_factory`` fixture: a running daemon,
  ready when ``/health/ready`` answers 200, stopped at teardown.
* ``free_offset()``: a port offset whose ports are free, never the same twice
  in a session, starting at ``$AM_TEST_PORT_BASE`` (default: 100 and up,
  spread by pid) so that tests never meet a server a developer runs on the
  default ports, nor each other.
* ``mariadb``: the private MariaDB of tests/run.sh (``AM_TEST_MYSQL_*``), or
  one started for the session with tests/lib/mariadb.sh.
* ``http``/``http_session()``: requests sessions for self-signed HTTPS.

Only the Python standard library and Debian's python3-pytest and
python3-requests are used.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Union

import pytest
import requests
import urllib3

REPO = Path(__file__).resolve().parents[2]

# The default (offset 0) ports of a server, by name (spec §4.2).
BASE_PORTS = {
    "mgt_https": 9443,
    "mgt_http": 9763,
    "nio_http": 8280,
    "nio_https": 8243,
    "thrift": 10397,
}
# Also opened by some profiles (traffic manager receivers, JMS): checked for
# being free so that a test of those profiles does not collide either.
OTHER_PORTS = (9611, 9711, 5672)

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

# The empty directories a WSO2 server directory has at first start.
RUNTIME_DIRS = (
    "repository/logs",
    "repository/database",
    "repository/resources/security",
    "repository/deployment/server/synapse-configs/default/api",
    "repository/deployment/server/synapse-configs/default/sequences",
    "repository/deployment/server/synapse-configs/default/endpoints",
    "repository/deployment/server/synapse-configs/default/local-entries",
)


def pytest_configure(config):
    # Every server here has a self-signed development certificate.
    config.addinivalue_line(
        "filterwarnings", "ignore::urllib3.exceptions.InsecureRequestWarning"
    )


# ----- HTTP -----------------------------------------------------------------

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def http_session() -> requests.Session:
    """A requests session for our servers: no certificate check (the
    development keystore is self-signed) and no proxy from the environment,
    which would otherwise catch requests to 127.0.0.1."""
    session = requests.Session()
    session.verify = False
    session.trust_env = False
    return session


@pytest.fixture(scope="session")
def http() -> requests.Session:
    with http_session() as session:
        yield session


# ----- ports ----------------------------------------------------------------


def ports_for(offset: int) -> dict[str, int]:
    """The ports a server with this offset listens on, by name."""
    return {name: port + offset for name, port in BASE_PORTS.items()}


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True if nothing listens on (or holds) host:port.  No SO_REUSEADDR, so
    a listener on 0.0.0.0 and a port in TIME_WAIT count as taken too."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_tcp_port() -> int:
    """Some free loopback port chosen by the kernel (for helper servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_used_ports: set[int] = set()
_next_offset: int | None = None


def _port_base() -> int:
    env = os.environ.get("AM_TEST_PORT_BASE")
    if env:
        return int(env)
    # Two test sessions on one machine (a developer's and CI's) start at
    # different places; the free-port check below settles the rest.
    return 100 + (os.getpid() % 40) * 25


def free_offset(count: int = 1) -> int:
    """A port offset whose ports are free now and were not handed out before
    in this session; with count > 1, the first of that many consecutive
    offsets (offset, offset+1, ...), all reserved.  The check is on the ports,
    not on the offsets: offsets 320 apart share a port (9443+320 is 9763)."""
    global _next_offset
    if _next_offset is None:
        _next_offset = _port_base()
    while True:
        offset = _next_offset
        _next_offset += 1
        ports = [p + offset + k for k in range(count) for p in (*BASE_PORTS.values(), *OTHER_PORTS)]
        if max(ports) > 65535:
            raise RuntimeError("no free port offset left")
        if _used_ports.intersection(ports):
            continue
        if all(port_is_free(p) for p in ports):
            _used_ports.update(ports)
            _next_offset = offset + count
            return offset


# ----- carbon homes ---------------------------------------------------------

# An edit: a callable given the home's path, or (relative file, old, new).
Edit = Union[Callable[[Path], None], tuple]


@dataclass
class CarbonHome:
    """A server directory.  Usable wherever a path is (os.fspath), and
    remembers the offset and profile it was made for."""

    path: Path
    offset: int = 0
    profile: str | None = None

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __truediv__(self, other) -> Path:
        return self.path / other

    @property
    def ports(self) -> dict[str, int]:
        return ports_for(self.offset)

    def replace(self, rel: str, old: str, new: str, count: int = 1) -> None:
        """Replace text in a file of the home; the old text must be there
        (a fixture edit that silently matches nothing proves nothing)."""
        target = self.path / rel
        text = target.read_text()
        if old not in text:
            raise ValueError(f"{rel}: text to replace not found: {old!r}")
        target.write_text(text.replace(old, new, count))

    def edit(self, edits: Iterable[Edit]) -> None:
        for e in edits:
            if callable(e):
                e(self.path)
            else:
                self.replace(*e)


def _unique_dir(parent: Path, name: str) -> Path:
    path = parent / name
    n = 1
    while path.exists():
        n += 1
        path = parent / f"{name}-{n}"
    return path


def make_carbon_home(
    tmp_path: Path,
    offset: int = 0,
    profile: str | None = None,
    edits: Iterable[Edit] | None = None,
) -> CarbonHome:
    """A fresh server directory under tmp_path: this tree's repository/conf,
    dbscripts/, bin/ and web apps (jaggeryapps), and the empty runtime
    directories.  carbon.xml gets
    Ports/Offset = offset, so that the home also works without
    -DportOffset (e.g. through bin/wso2server.sh).  edits are applied last:
    callables get the home's path; tuples are (relative file, old, new)."""
    path = _unique_dir(Path(tmp_path), "carbon-home")
    shutil.copytree(REPO / "repository" / "conf", path / "repository" / "conf")
    for sub in ("dbscripts", "bin", "repository/deployment/server/jaggeryapps"):
        if (REPO / sub).is_dir():
            shutil.copytree(REPO / sub, path / sub, symlinks=True)
    for sub in RUNTIME_DIRS:
        (path / sub).mkdir(parents=True, exist_ok=True)
    home = CarbonHome(path, offset, profile)
    carbon_xml = path / "repository" / "conf" / "carbon.xml"
    text, n = re.subn(
        r"<Offset>\s*\d+\s*</Offset>", f"<Offset>{offset}</Offset>", carbon_xml.read_text(), count=1
    )
    if n != 1:
        raise ValueError("carbon.xml has no Ports/Offset element")
    carbon_xml.write_text(text)
    if edits:
        home.edit(edits)
    return home


@pytest.fixture
def carbon_home_factory(tmp_path):
    """make(offset=None, profile=None, edits=None) -> CarbonHome; without an
    offset, a free one is picked."""

    def make(offset: int | None = None, profile: str | None = None, edits=None) -> CarbonHome:
        if offset is None:
            offset = free_offset()
        return make_carbon_home(tmp_path, offset, profile, edits)

    return make


@pytest.fixture
def carbon_home(carbon_home_factory) -> CarbonHome:
    return carbon_home_factory()


# ----- the daemon -----------------------------------------------------------


@pytest.fixture(scope="session")
def apimd_bin() -> Path:
    env = os.environ.get("AM_TEST_APIMD")
    path = Path(env) if env else REPO / "apimd"
    if path.is_file() and os.access(path, os.X_OK):
        return path
    if env:
        pytest.fail(f"AM_TEST_APIMD={env} is not an executable file")
    pytest.skip(f"apimd is not built ({path} is missing): run ./bootstrap && ./configure && make")


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(none)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def pid_alive(pid: int) -> bool:
    """True if pid is a live process (a zombie does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            # "pid (comm) S ...": the state follows the last ')'.
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def kill_pid(pid: int, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM pid, then SIGKILL if it is still there after timeout."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.05)


def ready_status(mgt_http_port: int) -> int | None:
    """The status of GET /health/ready on that management HTTP port, None if
    nothing answers."""
    try:
        with http_session() as s:
            return s.get(f"http://127.0.0.1:{mgt_http_port}/health/ready", timeout=2).status_code
    except requests.RequestException:
        return None


class ApimdNotReady(AssertionError):
    pass


class ApimdProcess:
    """One apimd process on a carbon home.

    Its stdout and stderr go to apimd.stdout / apimd.stderr in the home.
    ``ports`` maps mgt_http, mgt_https, nio_http, nio_https and thrift to the
    ports it uses; ``url()`` builds management URLs.
    """

    def __init__(
        self,
        binary: Path,
        home: CarbonHome | Path,
        offset: int | None = None,
        profile: str | None = None,
        args: Iterable[str] = (),
        env: dict[str, str] | None = None,
    ):
        self.binary = Path(binary)
        self.home = Path(home)
        if offset is None:
            offset = home.offset if isinstance(home, CarbonHome) else free_offset()
        if profile is None and isinstance(home, CarbonHome):
            profile = home.profile
        self.offset = offset
        self.profile = profile
        self.ports = ports_for(offset)
        self.cmd = [str(self.binary), "--carbon-home", str(self.home), f"-DportOffset={offset}"]
        if profile:
            self.cmd.append(f"-Dprofile={profile}")
        self.cmd += list(args)
        self.env = dict(os.environ)
        for var in ("CARBON_HOME", "NOTIFY_SOCKET"):
            self.env.pop(var, None)
        self.env.update(env or {})
        self.stdout_path = self.home / "apimd.stdout"
        self.stderr_path = self.home / "apimd.stderr"
        self.proc: subprocess.Popen | None = None

    def __repr__(self) -> str:
        return f"<ApimdProcess pid={self.pid} offset={self.offset} home={self.home}>"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def start(self, wait: bool = True, timeout: float = READY_TIMEOUT) -> "ApimdProcess":
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(
                self.cmd, cwd=self.home, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
        if wait:
            self.wait_ready(timeout)
        return self

    def url(self, path: str = "/", https: bool = False) -> str:
        if https:
            return f"https://127.0.0.1:{self.ports['mgt_https']}{path}"
        return f"http://127.0.0.1:{self.ports['mgt_http']}{path}"

    def ready_status(self) -> int | None:
        """The status of GET /health/ready, None if nothing answers."""
        return ready_status(self.ports["mgt_http"])

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ApimdNotReady(
                    f"apimd exited with status {self.proc.returncode} before it was ready\n"
                    + self.diagnostics()
                )
            status = self.ready_status()
            if status == 200:
                return
            time.sleep(0.1)
        raise ApimdNotReady(
            f"apimd not ready within {timeout:g} s: GET {self.url('/health/ready')} -> "
            f"{status or 'no answer'}\n" + self.diagnostics()
        )

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        return self.proc.wait(timeout)

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, wait, SIGKILL after timeout; returns the exit status
        (negative: killed by that signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.check_sanitizers()
        return self.proc.returncode

    def check_sanitizers(self) -> None:
        """An apimd built with --enable-asan/--enable-ubsan reports memory
        errors, leaks and undefined behaviour on stderr: any report fails
        the test that stopped it."""
        try:
            err = self.stderr_path.read_text(errors="replace")
        except OSError:
            return
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in err:
                start = err.index(marker)
                raise AssertionError(f"apimd ({self.home}) sanitizer report:\n{err[max(0, start - 200):start + 3000]}")

    def log_text(self) -> str:
        """repository/logs/wso2carbon.log as it is now ('' if absent)."""
        try:
            return (self.home / "repository" / "logs" / "wso2carbon.log").read_text(errors="replace")
        except OSError:
            return ""

    def output_text(self) -> str:
        """What the process wrote to stdout and stderr so far."""
        return "".join(
            p.read_text(errors="replace") if p.exists() else "" for p in (self.stdout_path, self.stderr_path)
        )

    def diagnostics(self, lines: int = 40) -> str:
        log = self.home / "repository" / "logs" / "wso2carbon.log"
        return (
            f"command: {' '.join(self.cmd)}\n"
            f"--- stdout (last {lines} lines) ---\n{tail(self.stdout_path, lines)}\n"
            f"--- stderr (last {lines} lines) ---\n{tail(self.stderr_path, lines)}\n"
            f"--- {log} (last {lines} lines) ---\n{tail(log, lines)}"
        )


def rest_login(proc: "ApimdProcess", user: str, password: str, scopes: Iterable[str],
               client_name: str = "rest_test") -> dict:
    """What a 2.x Publisher or Store client does first: dynamic client
    registration with @user's Basic credentials, then a password-grant
    token asking for @scopes.  The token endpoint's JSON answer."""
    with http_session() as s:
        reg = s.post(proc.url("/client-registration/v0.11/register", https=True),
                     auth=(user, password), timeout=20,
                     json={"callbackUrl": "", "clientName": client_name, "owner": user,
                           "tokenScope": "Production", "grantType": "password refresh_token",
                           "saasApp": True})
        assert reg.status_code == 200, reg.text
        c = reg.json()
        tok = s.post(proc.url("/oauth2/token", https=True), auth=(c["clientId"], c["clientSecret"]),
                     timeout=20, data={"grant_type": "password", "username": user,
                                       "password": password, "scope": " ".join(scopes)})
        assert tok.status_code == 200, tok.text
        return tok.json()


def stop_all(procs: Iterable["ApimdProcess"]) -> None:
    """Stop every one of @procs, then raise the first failure (a sanitizer
    report), so that one report does not leave the others running."""
    errors = []
    for p in procs:
        try:
            p.stop()
        except AssertionError as e:
            errors.append(e)
    if errors:
        raise errors[0]


@pytest.fixture
def apimd_factory(apimd_bin, carbon_home_factory):
    """start(home=None, *, offset=None, profile=None, args=(), wait=True,
    timeout=30, env=None) -> ApimdProcess.  Without a home, a fresh one with
    a free offset is made.  Every process is stopped at teardown."""
    procs: list[ApimdProcess] = []

    def start(
        home: CarbonHome | Path | None = None,
        *,
        offset: int | None = None,
        profile: str | None = None,
        args: Iterable[str] = (),
        wait: bool = True,
        timeout: float = READY_TIMEOUT,
        env: dict[str, str] | None = None,
    ) -> ApimdProcess:
        if home is None:
            home = carbon_home_factory(offset=offset, profile=profile)
        proc = ApimdProcess(apimd_bin, home, offset=offset, profile=profile, args=args, env=env)
        procs.append(proc)
        return proc.start(wait=wait, timeout=timeout)

    yield start
    for proc in procs:
        proc.stop()


@pytest.fixture
def apimd(apimd_factory) -> ApimdProcess:
    """A ready default-profile server on a fresh home."""
    return apimd_factory()


# ----- MariaDB --------------------------------------------------------------


def _find_program(*names: str) -> str | None:
    extra = os.pathsep.join(("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"))
    path = os.environ.get("PATH", "") + os.pathsep + extra
    for name in names:
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


@dataclass
class MariaDB:
    """A MariaDB server for the tests, reached with the command-line client
    over its unix socket."""

    host: str
    port: int
    socket: str
    user: str
    password: str
    url: str
    client: str
    created: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls, env) -> "MariaDB":
        client = _find_program("mariadb", "mysql")
        if client is None:
            pytest.skip("no mariadb/mysql client (install mariadb-client)")
        return cls(
            host="127.0.0.1",
            port=int(env["AM_TEST_MYSQL_PORT"]),
            socket=env["AM_TEST_MYSQL_SOCKET"],
            user=env["AM_TEST_MYSQL_USER"],
            password=env.get("AM_TEST_MYSQL_PASSWORD", ""),
            url=env["AM_TEST_MYSQL_URL"],
            client=client,
        )

    def _client(self, args: list[str], db: str | None = None, stdin: str | None = None) -> str:
        cmd = [
            self.client,
            "--no-defaults",
            "--protocol=socket",
            f"--socket={self.socket}",
            f"--user={self.user}",
            "--batch",
            "--skip-column-names",
        ]
        if db:
            cmd.append(db)
        cmd += args
        env = dict(os.environ, MYSQL_PWD=self.password)
        r = subprocess.run(cmd, input=stdin, env=env, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def create_database(self, name: str = "amtest") -> str:
        """A fresh, empty database; its name is name plus a unique suffix."""
        db = re.sub(r"[^A-Za-z0-9_]", "_", name)[:40] + "_" + uuid.uuid4().hex[:10]
        self._client(["-e", f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"])
        self.created.append(db)
        return db

    def jdbc_url(self, db: str) -> str:
        return f"jdbc:mysql://{self.host}:{self.port}/{db}"

    def run_sql_file(self, db: str, path: str | Path) -> None:
        self._client([], db=db, stdin=Path(path).read_text())

    def query(self, db: str, sql: str) -> list[tuple[str, ...]]:
        """Rows as tuples of strings, in the client's --batch form (NULL is
        'NULL'; tab, newline and backslash come escaped)."""
        out = self._client(["-e", sql], db=db)
        return [tuple(line.split("\t")) for line in out.splitlines()]

    def drop_created(self) -> None:
        for db in self.created:
            try:
                self._client(["-e", f"DROP DATABASE IF EXISTS `{db}`"])
            except (RuntimeError, subprocess.SubprocessError):
                pass
        self.created.clear()


_EXPORT = re.compile(r"^export (AM_TEST_MYSQL_[A-Z]+)='([^']*)'$")


@pytest.fixture(scope="session")
def mariadb():
    if os.environ.get("AM_TEST_MYSQL_URL") and os.environ.get("AM_TEST_MYSQL_SOCKET"):
        db = MariaDB.from_env(os.environ)
        yield db
        db.drop_created()
        return

    script = REPO / "tests" / "lib" / "mariadb.sh"
    if not script.exists() or _find_program("mariadbd", "mysqld") is None:
        pytest.skip("no MariaDB: set AM_TEST_MYSQL_* (tests/run.sh does) or install mariadb-server")
    # Short path: a unix socket name must fit in 108 bytes.
    workdir = tempfile.mkdtemp(prefix="amtest-db-", dir="/tmp")
    r = subprocess.run(
        ["sh", str(script), "start", workdir, str(free_tcp_port())],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    try:
        if r.returncode != 0:
            pytest.fail(f"tests/lib/mariadb.sh start failed ({r.returncode}):\n{r.stderr}")
        env = dict(m.groups() for m in map(_EXPORT.match, r.stdout.splitlines()) if m)
        db = MariaDB.from_env(env)
        yield db
    finally:
        subprocess.run(["sh", str(script), "stop", workdir], capture_output=True, timeout=120)
        if os.environ.get("AM_TEST_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)
