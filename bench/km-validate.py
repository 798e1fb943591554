#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Run bench/km-validate against a fresh apimd.

    make && make bench/km-validate
    /usr/bin/python3 bench/km-validate.py [--db sqlite|mariadb] [--threads 8] [--seconds 10]

Makes a carbon home (tests/integration helpers), seeds one subscribed
application with a token as WSO2 2.6 writes it (wso2rows.py), starts the
built ./apimd with the shipped configuration (EnableKeyManagerTokenCache
false: every call goes to the database), and runs the C load generator:
N persistent TLS connections, one login each, validateKey back to back.
With --db mariadb a private MariaDB is started with tests/lib/mariadb.sh.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

import wso2rows  # noqa: E402
from conftest import ApimdProcess, MariaDB, free_offset, free_tcp_port, make_carbon_home  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=("sqlite", "mariadb"), default="sqlite")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="km-bench-", dir="/tmp"))
    home = make_carbon_home(tmp, free_offset())
    seed = wso2rows.Seed()
    dbdir = None
    if args.db == "mariadb":
        from test_server import mysql_datasources

        dbdir = tmp / "mariadb"
        out = subprocess.run(["sh", str(REPO / "tests/lib/mariadb.sh"), "start", str(dbdir),
                              str(free_tcp_port())], capture_output=True, text=True, check=True)
        env = dict(line[len("export "):].replace("'", "").split("=", 1)
                   for line in out.stdout.splitlines() if line.startswith("export "))
        db = MariaDB.from_env(env)
        carbon_db, am_db = db.create_database("bcarbon"), db.create_database("bapim")
        db.run_sql_file(carbon_db, REPO / "dbscripts/mysql.sql")
        db.run_sql_file(am_db, REPO / "dbscripts/apimgt/mysql.sql")
        wso2rows.apply_mariadb(db, am_db, wso2rows.seed_sql(seed))
        mysql_datasources(home, db, carbon_db, am_db)
    proc = ApimdProcess(REPO / "apimd", home).start()
    try:
        if args.db == "sqlite":
            wso2rows.apply_sqlite(home / "repository/database/WSO2AM_DB.db", wso2rows.seed_sql(seed))
        cmd = [str(REPO / "bench/km-validate"), "--port", str(proc.ports["thrift"]),
               "--mgt-port", str(proc.ports["mgt_https"]), "--context", seed.context,
               "--version", seed.version, "--token", seed.token,
               "--threads", str(args.threads), "--seconds", str(args.seconds)]
        print(f"db={args.db} apimd pid={proc.pid}", flush=True)
        return subprocess.run(cmd).returncode
    finally:
        proc.stop()
        if dbdir is not None:
            subprocess.run(["sh", str(REPO / "tests/lib/mariadb.sh"), "stop", str(dbdir)],
                           capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
