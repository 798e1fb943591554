// SPDX-License-Identifier: Apache-2.0
//
// The whole path through both UIs, as a person would take it: publish the
// PizzaShack sample as an API in the Publisher, subscribe an application to
// it in the Store, generate production keys and call GET /menu through the
// gateway from the Store's try-out panel.
//
// And the quick start: "Deploy sample API" in the Publisher publishes the
// PizzaShackAPI on the built-in sample backend, and the Store lists it.
//   cd tests/browser && node --test flow.spec.mjs

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

async function logIn(page, url) {
  await page.goto(url);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("admin");
  await page.keyboard.press("Enter");
}

test("publish, subscribe, generate keys and try the API out", { timeout: 180000 }, async () => {
  const name = `PizzaShack${Date.now() % 100000}`;
  const context = `/pizza${Date.now() % 100000}`;
  const backend = server.url("/am/sample/pizzashack/v1/api/");

  // ---- Publisher: create ----
  const pub = await newPage(browser);
  await logIn(pub, server.url("/publisher/"));
  await pub.getByRole("heading", { name: "APIs" }).waitFor();
  await pub.getByRole("link", { name: "Create API" }).first().click();
  await pub.getByLabel("Name").fill(name);
  await pub.getByLabel("Context").fill(context);
  await pub.getByLabel("Version", { exact: true }).fill("1.0.0");
  await pub.getByLabel("Description").fill("Pizzas from the sample backend");
  await pub.getByLabel("URL pattern").first().fill("/menu");
  await pub.getByLabel("Production endpoint URL").fill(backend);
  await pub.getByLabel("Sandbox endpoint URL").fill(backend);
  const tier = pub.getByRole("group", { name: "Subscription tiers" }).getByRole("checkbox").first();
  await tier.check();
  await pub.getByRole("button", { name: "Create API" }).click();
  await pub.getByRole("heading", { name: `${name} 1.0.0` }).waitFor();
  assert.equal(await pub.locator("#lifecycle-state").innerText(), "CREATED");

  // ---- Publisher: environments + publish ----
  const envs = pub.getByRole("group", { name: "Gateway environments" }).getByRole("checkbox");
  assert.ok((await envs.count()) >= 1);
  await pub.getByRole("button", { name: "Publish" }).click();
  await pub.locator("#lifecycle-state", { hasText: "PUBLISHED" }).waitFor();
  await screenshot(pub, "flow-published");
  assert.deepEqual(scriptProblems(pub), []);

  // ---- Store: API page with gateway URLs ----
  const store = await newPage(browser);
  await logIn(store, server.url("/store/#/login"));
  await store.getByRole("heading", { name: "APIs" }).waitFor();
  await store.getByRole("link", { name }).click();
  await store.getByRole("table", { name: "Gateway URLs" }).waitFor();
  const https = await store.getByRole("table", { name: "Gateway URLs" }).locator("td code").last().innerText();
  assert.match(https, new RegExp(`^https://.*:${server.ports.nio_https}${context}/1\\.0\\.0$`));

  // ---- Store: application, subscription, keys ----
  await store.getByRole("link", { name: "Applications" }).click();
  const appName = `app${Date.now() % 100000}`;
  await store.getByLabel("Name").fill(appName);
  await store.getByRole("button", { name: "Add application" }).click();
  await store.getByRole("button", { name: "Generate production keys" }).click();
  await store.locator(".keys-production .access-token").waitFor();
  const token = await store.locator(".keys-production .access-token").innerText();
  assert.match(token, /^[0-9a-f-]{32,36}$/);
  assert.ok((await store.locator(".keys-production .consumer-key").innerText()).length >= 20);
  await store.getByRole("button", { name: "Generate sandbox keys" }).click();
  await store.locator(".keys-sandbox .access-token").waitFor();

  await store.getByRole("link", { name: "APIs" }).click();
  await store.getByRole("link", { name }).click();
  await store.getByLabel("Application", { exact: true }).selectOption({ label: appName });
  await store.getByRole("button", { name: "Subscribe" }).click();
  await store.getByRole("status").filter({ hasText: "Subscribed" }).waitFor();

  // ---- Store: try it out through the gateway ----
  await store.getByLabel("Gateway environment").selectOption({ index: 0 });
  await store.getByLabel("Resource").selectOption({ label: "GET /menu" });
  await store.getByLabel("Access token", { exact: true }).selectOption({ label: `${appName} — PRODUCTION` });
  await store.getByRole("button", { name: "Send" }).click();
  // an answer, or the page's explanation of why there is none
  await store.locator(".tryout-status, .tryout-result [role=alert]").first().waitFor();
  const failed = store.locator(".tryout-result [role=alert]");
  if (await failed.count()) assert.fail(`${await failed.innerText()} | ${scriptProblems(store).join(" | ")}`);
  assert.match(await store.locator(".tryout-status").innerText(), /^200\b/, await store.locator(".tryout-result").innerText());
  const menu = JSON.parse(await store.locator(".tryout-body").innerText());
  assert.ok(Array.isArray(menu) && menu.length >= 5 && menu[0].name);
  await screenshot(store, "flow-tryout");
  assert.deepEqual(scriptProblems(store), []);
});

test("the Publisher deploys the PizzaShack sample API", { timeout: 120000 }, async () => {
  const pub = await newPage(browser);
  await logIn(pub, server.url("/publisher/"));
  await pub.getByRole("heading", { name: "APIs" }).waitFor();
  await pub.getByRole("button", { name: "Deploy sample API" }).click();
  await pub.getByRole("heading", { name: "PizzaShackAPI 1.0.0" }).waitFor();
  await pub.locator("#lifecycle-state", { hasText: "PUBLISHED" }).waitFor();
  await pub.getByRole("status").filter({ hasText: "is published" }).waitFor();
  assert.deepEqual(scriptProblems(pub), []);
  // once there, the button is not offered again
  await pub.goto(server.url("/publisher/#/apis"));
  await pub.getByRole("link", { name: "PizzaShackAPI" }).waitFor();
  assert.equal(await pub.getByRole("button", { name: "Deploy sample API" }).count(), 0);
  await screenshot(pub, "sample-deployed");

  // anyone browsing the Store sees it, with the gateway URLs
  const store = await newPage(browser);
  await store.goto(server.url("/store/"));
  await store.getByRole("link", { name: "PizzaShackAPI" }).click();
  await store.getByRole("table", { name: "Gateway URLs" }).waitFor();
  const urls = await store.getByRole("table", { name: "Gateway URLs" }).locator("td code").allInnerTexts();
  assert.ok(urls.some((u) => u.endsWith("/pizzashack/1.0.0")), urls.join(" "));
  assert.deepEqual(scriptProblems(store), []);
});
