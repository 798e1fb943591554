#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of POST /oauth2/token (client_credentials) against a real apimd.

Starts apimd on a fresh carbon home (SQLite, or MariaDB with --db mariadb),
seeds --clients OAuth clients the way WSO2 2.6 writes them, then measures:

  new    every request issues a new token: each client asks once, so WSO2's
         reuse rule never short-circuits (a row + scope rows written per
         request, in its own transaction)
  reuse  every request hits an ACTIVE token of its client (reuse path:
         client lookup + one SELECT, no write)

Load comes from --procs worker processes, each on one keep-alive HTTPS
connection, sending requests back to back.  Prints requests per second.

  /usr/bin/python3 bench/km-tokens.py [--clients 6000] [--procs 4] [--db sqlite|mariadb]

Needs a built ./apimd (or $AM_TEST_APIMD).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing as mp
import os
import ssl
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

import conftest  # noqa: E402
import wso2rows  # noqa: E402


def worker(port: int, creds: list[tuple[str, str]], start, out) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    body = "grant_type=client_credentials"
    auths = ["Basic " + base64.b64encode(f"{k}:{s}".encode()).decode() for k, s in creds]
    start.wait()
    ok = bad = 0
    t0 = time.monotonic()
    for auth in auths:
        conn.request("POST", "/oauth2/token", body, {
            "Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        data = r.read()
        if r.status == 200 and b"access_token" in data:
            ok += 1
        else:
            bad += 1
    out.put((ok, bad, time.monotonic() - t0))


def run(port: int, creds: list[tuple[str, str]], procs: int) -> tuple[float, int, int]:
    start = mp.Barrier(procs + 1)
    out = mp.Queue()
    parts = [creds[i::procs] for i in range(procs)]
    ps = [mp.Process(target=worker, args=(port, p, start, out)) for p in parts]
    for p in ps:
        p.start()
    start.wait()
    t0 = time.monotonic()
    results = [out.get() for _ in ps]
    wall = time.monotonic() - t0
    for p in ps:
        p.join()
    ok = sum(r[0] for r in results)
    bad = sum(r[1] for r in results)
    return ok / wall, ok, bad


def seed_clients(n: int, apply) -> list[tuple[str, str]]:
    seeds = [wso2rows.Seed(app_name=f"Bench{i}", token=None, subscribe=False) for i in range(n)]
    statements = []
    for s in seeds:
        statements += wso2rows.seed_sql(s)
    apply(statements)
    return [(s.consumer_key, s.consumer_secret) for s in seeds]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=6000)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--db", choices=("sqlite", "mariadb"), default="sqlite")
    args = ap.parse_args()

    binary = Path(os.environ.get("AM_TEST_APIMD", REPO / "apimd"))
    tmp = Path(tempfile.mkdtemp(prefix="km-bench-"))
    home = conftest.make_carbon_home(tmp, conftest.free_offset())
    maria_gen = None
    if args.db == "mariadb":
        from test_server import mysql_datasources
        maria_gen = conftest.mariadb.__wrapped__()
        maria = next(maria_gen)
        carbon_db, am_db = maria.create_database("bcarbon"), maria.create_database("bapim")
        maria.run_sql_file(carbon_db, REPO / "dbscripts/mysql.sql")
        maria.run_sql_file(am_db, REPO / "dbscripts/apimgt/mysql.sql")
        mysql_datasources(home, maria, carbon_db, am_db)
        apply = lambda st: wso2rows.apply_mariadb(maria, am_db, st)  # noqa: E731
    else:
        apply = lambda st: wso2rows.apply_sqlite(home / "repository/database/WSO2AM_DB.db", st)  # noqa: E731
    proc = conftest.ApimdProcess(binary, home)
    try:
        proc.start()
        creds = seed_clients(args.clients, apply)
        port = proc.ports["mgt_https"]
        db = "MariaDB" if args.db == "mariadb" else "SQLite"
        rate, ok, bad = run(port, creds, args.procs)
        print(f"{db} new tokens:    {rate:8.0f} req/s  ({ok} ok, {bad} failed, {args.procs} connections)")
        rate, ok, bad = run(port, creds, args.procs)
        print(f"{db} reused tokens: {rate:8.0f} req/s  ({ok} ok, {bad} failed, {args.procs} connections)")
    finally:
        proc.stop()
        if maria_gen is not None:
            maria_gen.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
