// SPDX-License-Identifier: Apache-2.0
//
// Shared by the browser tests: a real apimd on a fresh carbon home with a
// port offset of its own (as tests/integration/conftest.py makes them), and
// Debian's Chromium driven by playwright-core.  Screenshots go to
// tests/browser/artifacts/ (git-ignored; tests/run.sh keeps them).

import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, "..", "..");
export const ARTIFACTS = path.join(HERE, "artifacts");
const BASE = { mgt_https: 9443, mgt_http: 9763, nio_http: 8280, nio_https: 8243, thrift: 10397 };
const RUNTIME_DIRS = [
  "repository/logs",
  "repository/database",
  "repository/resources/security",
  "repository/deployment/server/synapse-configs/default/api",
  "repository/deployment/server/synapse-configs/default/sequences",
  "repository/deployment/server/synapse-configs/default/endpoints",
  "repository/deployment/server/synapse-configs/default/local-entries",
];

function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

// An offset whose ports are free; far from the pytest range (100..1100).
export async function freeOffset() {
  const start = Number(process.env.AM_BROWSER_PORT_BASE || 2000 + (process.pid % 40) * 25);
  for (let off = start; off < start + 2000; off++) {
    const ports = [...Object.values(BASE), 9611, 9711, 5672].map((p) => p + off);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return off;
  }
  throw new Error("no free port offset");
}

export function makeCarbonHome(offset) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "apimd-browser-"));
  fs.cpSync(path.join(REPO, "repository", "conf"), path.join(home, "repository", "conf"), { recursive: true });
  // as a distribution ships them (the synapse-configs hold the fault sequence
  // and the token APIs that published APIs refer to)
  for (const sub of ["dbscripts", "bin", "repository/deployment/server/jaggeryapps", "repository/deployment/server/synapse-configs"])
    fs.cpSync(path.join(REPO, sub), path.join(home, sub), { recursive: true, verbatimSymlinks: true });
  for (const d of RUNTIME_DIRS) fs.mkdirSync(path.join(home, d), { recursive: true });
  const carbon = path.join(home, "repository", "conf", "carbon.xml");
  const text = fs.readFileSync(carbon, "utf8");
  if (!/<Offset>\s*\d+\s*<\/Offset>/.test(text)) throw new Error("carbon.xml has no Ports/Offset");
  // loopback only: ${carbon.local.ip} (the gateway URLs the Store shows) is
  // HostName, else the machine's first address
  fs.writeFileSync(carbon, text
    .replace(/<Offset>\s*\d+\s*<\/Offset>/, `<Offset>${offset}</Offset>`)
    .replace("<!--HostName>www.wso2.org</HostName-->", "<HostName>127.0.0.1</HostName>"));
  return home;
}

export async function startApimd({ profile } = {}) {
  const binary = process.env.AM_TEST_APIMD || path.join(REPO, "apimd");
  if (!fs.existsSync(binary)) throw new Error(`apimd is not built (${binary})`);
  const offset = await freeOffset();
  const home = makeCarbonHome(offset);
  const ports = Object.fromEntries(Object.entries(BASE).map(([k, v]) => [k, v + offset]));
  const args = ["--carbon-home", home, `-DportOffset=${offset}`];
  if (profile) args.push(`-Dprofile=${profile}`);
  const out = fs.openSync(path.join(home, "apimd.out"), "a");
  const env = { ...process.env };
  delete env.CARBON_HOME;
  delete env.NOTIFY_SOCKET;
  const proc = spawn(binary, args, { cwd: home, env, stdio: ["ignore", out, out] });
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`apimd exited ${proc.exitCode}: ${fs.readFileSync(path.join(home, "apimd.out"), "utf8")}`);
    try {
      const r = await fetch(`http://127.0.0.1:${ports.mgt_http}/health/ready`);
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error("apimd not ready within 30 s");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    home,
    ports,
    url: (p) => `https://127.0.0.1:${ports.mgt_https}${p}`,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await new Promise((r) => { const t = setTimeout(() => { proc.kill("SIGKILL"); r(); }, 10000); proc.once("exit", () => { clearTimeout(t); r(); }); });
      }
      if (!process.env.AM_TEST_KEEP) fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const executablePath = process.env.AM_CHROMIUM || "/usr/bin/chromium";
  // as root (CI) Chromium's sandbox cannot start
  const args = process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [];
  return chromium.launch({ executablePath, headless: true, args });
}

// A page that records console errors and CSP violations.
export async function newPage(browser) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (m) => { if (m.type() === "error") page.problems.push(m.text()); });
  page.on("pageerror", (e) => page.problems.push(`page error: ${e.message}`));
  return page;
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Console errors that are not the expected failed loads of REST calls.
export function scriptProblems(page) {
  return page.problems.filter((p) => !/^Failed to load resource/.test(p));
}
