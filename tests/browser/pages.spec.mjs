// SPDX-License-Identifier: Apache-2.0
//
// Browser tests that need only what is on main today: the Publisher and
// Store pages load over HTTPS from a real apimd (scripts and styles allowed
// by the CSP, no script error), their log-in forms are labelled and usable
// from the keyboard with a visible focus, and a wrong password shows the
// server's own error.  Run: node --test pages.spec.mjs

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, newPage, screenshot, scriptProblems, startApimd } from "./lib.mjs";

let server;
let browser;

before(async () => {
  server = await startApimd();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

for (const app of ["publisher", "store"]) {
  const title = app === "publisher" ? "API Publisher" : "API Store";
  const start = app === "publisher" ? "/publisher/" : "/store/#/login";

  test(`${app}: the page loads over https with its script and style`, async () => {
    const page = await newPage(browser);
    const resp = await page.goto(server.url(`/${app}`));
    // /publisher -> /publisher/
    assert.equal(new URL(page.url()).pathname, `/${app}/`);
    assert.equal(resp.status(), 200);
    assert.equal(resp.headers()["x-frame-options"], "DENY");
    assert.equal(await page.title(), title);
    await page.goto(server.url(start));
    await page.getByRole("heading", { name: /^Log in to the/ }).waitFor();
    // the stylesheet applied (a module script ran to draw the form)
    const bg = await page.evaluate(() => getComputedStyle(document.querySelector("header.top")).backgroundColor);
    assert.equal(bg, "rgb(20, 36, 58)");
    await screenshot(page, `${app}-login`);
    assert.deepEqual(scriptProblems(page), []);
    await page.context().close();
  });

  test(`${app}: the log-in form is labelled and works from the keyboard`, async () => {
    const page = await newPage(browser);
    await page.goto(server.url(start));
    const user = page.getByLabel("Username");
    const pass = page.getByLabel("Password");
    await user.waitFor();
    // every input and select of the page has a label
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, textarea")]
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
        .map((el) => el.outerHTML));
    assert.deepEqual(unlabelled, []);
    // focus starts in the username, Tab moves on, focus is visible
    assert.equal(await page.evaluate(() => document.activeElement.name), "username");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.name), "password");
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const s = getComputedStyle(el);
      return { tag: el.tagName, text: el.textContent, outline: s.outlineStyle, width: s.outlineWidth };
    });
    assert.equal(focused.tag, "BUTTON");
    assert.equal(focused.text, "Log in");
    assert.notEqual(focused.outline, "none");
    assert.equal(focused.width, "3px");
    // the error region is announced
    assert.equal(await page.locator("[role=alert]").getAttribute("aria-live"), "assertive");
    assert.equal(await user.getAttribute("autocomplete"), "username");
    assert.equal(await pass.getAttribute("type"), "password");
    await page.context().close();
  });

  test(`${app}: a wrong password shows the server's error`, async () => {
    const page = await newPage(browser);
    await page.goto(server.url(start));
    // what the server answers the same registration with a wrong password
    const expected = await page.request.post(server.url("/client-registration/v0.11/register"), {
      headers: { Authorization: "Basic " + Buffer.from("admin:wrong-password").toString("base64") },
      data: { callbackUrl: "", clientName: `apimd_${app}_ui`, tokenScope: "Production", owner: "admin", grantType: "password refresh_token", saasApp: true },
    });
    assert.ok(expected.status() >= 400, `registration with a wrong password answered ${expected.status()}`);
    let dto = null;
    try {
      dto = await expected.json();
    } catch {
      /* not JSON: the status line alone is shown */
    }
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("wrong-password");
    await page.keyboard.press("Enter");
    const alert = page.locator("[role=alert]");
    await alert.waitFor({ state: "visible" });
    const text = await alert.innerText();
    assert.match(text, new RegExp(`^${expected.status()}\\b`));
    if (dto && dto.message) assert.ok(text.includes(dto.message), `${text} lacks ${dto.message}`);
    if (dto && dto.description) assert.ok(text.includes(dto.description), `${text} lacks ${dto.description}`);
    // no session was kept, the password field was not cleared for retyping
    assert.equal(await page.evaluate(() => sessionStorage.getItem("apimd.session")), null);
    assert.equal(await page.evaluate(() => document.activeElement.name), "password");
    await screenshot(page, `${app}-wrong-password`);
    assert.deepEqual(scriptProblems(page), []);
    await page.context().close();
  });
}

test("store: browsing works anonymously and offers log-in and sign-up", async () => {
  const page = await newPage(browser);
  await page.goto(server.url("/store/"));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sign up" }).waitFor();
  await page.getByRole("link", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Log in to the Store" }).waitFor();
  await page.getByRole("link", { name: "No account? Sign up" }).click();
  await page.getByRole("heading", { name: "Sign up" }).waitFor();
  for (const label of ["Username", "Password", "Confirm password", "Email"])
    assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
  // the API list either shows APIs or the REST error, never nothing
  await page.goto(server.url("/store/#/apis"));
  await page.waitForFunction(() =>
    document.querySelector("#apis-title") || !document.querySelector("[role=alert]").hidden);
  await screenshot(page, "store-apis");
  assert.deepEqual(scriptProblems(page), []);
  await page.context().close();
});
