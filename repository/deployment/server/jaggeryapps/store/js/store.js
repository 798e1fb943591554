// SPDX-License-Identifier: Apache-2.0
//
// The API Store: browse APIs (anonymously too), log in or sign up, manage
// applications, subscribe, generate PRODUCTION/SANDBOX keys, and try an API
// out against a gateway from the browser.  REST API: Store v0.11
// (wso2-db-rest.md section 4.3).  Views are hash routes:
//   #/apis  #/apis/<id>  #/applications  #/applications/<id>  #/login  #/sign-up
//
// The try-out calls the gateway (another origin: 8243/8280) with fetch, so
// the gateway must answer CORS for the API (preflight included), and the
// page's CSP lets it connect to the gateway origins of api-manager.xml.

import { client, getSession, logout } from "./rest.js";
import { h, field, select, messages, loginForm, table, outlet } from "./ui.js";

const SCOPES = ["apim:subscribe"];
const KEYS_KEY = "apimd.store.keys"; // {appId: {PRODUCTION: {...}, SANDBOX: {...}}}

const msgs = messages();
const view = outlet(document.getElementById("view"));
const nav = document.getElementById("nav");
document.getElementById("messages").append(msgs.error, msgs.status);
const api = client("/api/am/store/v0.11", () => route());

function keysStore() {
  try {
    return JSON.parse(sessionStorage.getItem(KEYS_KEY) || "{}");
  } catch {
    return {};
  }
}
function rememberKey(appId, key) {
  const all = keysStore();
  all[appId] = all[appId] || {};
  all[appId][key.keyType] = key;
  sessionStorage.setItem(KEYS_KEY, JSON.stringify(all));
}

function renderNav() {
  const s = getSession();
  nav.replaceChildren(h("li", {}, h("a", { href: "#/apis" }, "APIs")));
  if (s)
    nav.append(
      h("li", {}, h("a", { href: "#/applications" }, "Applications")),
      h("li", {}, h("span", {}, `Signed in as ${s.user}`)),
      h("li", {}, h("button", { type: "button", class: "link", onclick: () => { logout(); sessionStorage.removeItem(KEYS_KEY); msgs.info("Logged out."); location.hash = "#/apis"; route(); } }, "Log out")),
    );
  else nav.append(h("li", {}, h("a", { href: "#/login" }, "Log in")), h("li", {}, h("a", { href: "#/sign-up" }, "Sign up")));
}

async function route() {
  const show = view.next();
  renderNav();
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const needLogin = parts[0] === "applications" || parts[0] === "login";
  try {
    if (parts[0] === "sign-up") return signUpView();
    if (needLogin && !getSession()) {
      const back = parts[0] === "login" ? "#/apis" : location.hash;
      show(
        loginForm({
          title: "Log in to the Store", scopes: SCOPES, app: "store", msgs,
          onLogin: () => { location.hash = back; route(); },
          extra: h("a", { href: "#/sign-up" }, "No account? Sign up"),
        }),
        false,
      );
      return;
    }
    if (parts[0] === "applications") return parts[1] ? await appView(decodeURIComponent(parts[1])) : await appsView();
    if (parts[0] === "apis" && parts[1]) return await apiView(decodeURIComponent(parts[1]));
    if (parts[0] === "login") location.hash = "#/apis";
    await apisView();
  } catch (e) {
    msgs.show(e);
  }
}

async function apisView() {
  const show = view.show();
  const list = ((await api("GET", "/apis", { query: { limit: 100 } })).body || {}).list || [];
  const root = h(
    "section",
    { "aria-labelledby": "apis-title" },
    h("h2", { id: "apis-title" }, "APIs"),
    list.length
      ? table("Published APIs", [
          { label: "Name", cell: (a) => h("a", { href: `#/apis/${encodeURIComponent(a.id)}` }, a.name) },
          { label: "Version", cell: (a) => a.version },
          { label: "Context", cell: (a) => h("code", {}, a.context) },
          { label: "Provider", cell: (a) => a.provider },
          { label: "Description", cell: (a) => a.description || "" },
        ], list)
      : h("p", {}, "No API is published yet."),
  );
  show(root);
}

function operations(apiDef) {
  let doc = {};
  try {
    doc = typeof apiDef === "string" ? JSON.parse(apiDef) : apiDef || {};
  } catch {
    /* no definition: no operations */
  }
  const ops = [];
  for (const [path, byVerb] of Object.entries(doc.paths || {}))
    for (const verb of Object.keys(byVerb || {}))
      if (/^(get|post|put|delete|patch|head|options)$/i.test(verb)) ops.push({ path, verb: verb.toUpperCase() });
  return ops;
}

async function apiView(id) {
  const show = view.show();
  const a = (await api("GET", `/apis/${encodeURIComponent(id)}`)).body;
  const urls = a.endpointURLs || [];
  const root = h(
    "section",
    { "aria-labelledby": "api-title" },
    h("h2", { id: "api-title" }, `${a.name} ${a.version}`),
    h("p", {}, a.description || ""),
    h("p", {}, "Context: ", h("code", {}, a.context), " · Provider: ", a.provider || "", " · Status: ", h("span", { class: "badge" }, a.status || "")),
    urls.length
      ? table("Gateway URLs", [
          { label: "Environment", cell: (u) => u.environmentName },
          { label: "Type", cell: (u) => u.environmentType },
          { label: "HTTP", cell: (u) => h("code", {}, (u.environmentURLs && u.environmentURLs.http) || "—") },
          { label: "HTTPS", cell: (u) => h("code", {}, (u.environmentURLs && u.environmentURLs.https) || "—") },
        ], urls)
      : h("p", { class: "muted" }, "This API is not deployed on any gateway environment."),
  );
  if (!getSession()) {
    root.append(h("p", {}, h("a", { href: "#/login" }, "Log in"), " to subscribe and try this API out."));
  } else {
    const apps = ((await api("GET", "/applications", { query: { limit: 100 } })).body || {}).list || [];
    root.append(subscribeForm(a, apps), tryOut(a, urls, apps));
  }
  show(root);
}

function subscribeForm(a, apps) {
  const app = select(apps.map((x) => ({ value: x.applicationId, label: x.name })));
  const tier = select(a.tiers || []);
  const button = h("button", { type: "submit", disabled: !apps.length }, "Subscribe");
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "sub-title" },
    h("h3", { id: "sub-title" }, "Subscribe"),
    apps.length ? field("Application", app) : h("p", {}, "Create an ", h("a", { href: "#/applications" }, "application"), " first."),
    field("Tier", tier),
    h("div", { class: "actions" }, button),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      await api("POST", "/subscriptions", { json: { tier: tier.value, apiIdentifier: a.id, applicationId: app.value } });
      msgs.info(`Subscribed ${app.selectedOptions[0].textContent} to ${a.name} (${tier.value}).`);
    } catch (e) {
      msgs.show(e);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function tryOut(a, urls, apps) {
  const envOptions = [];
  for (const u of urls) {
    const eu = u.environmentURLs || {};
    if (eu.https) envOptions.push({ value: eu.https, label: `${u.environmentName} (https)` });
    if (eu.http) envOptions.push({ value: eu.http, label: `${u.environmentName} (http)` });
  }
  const env = select(envOptions);
  const ops = operations(a.apiDefinition);
  const op = select(ops.map((o, i) => ({ value: String(i), label: `${o.verb} ${o.path}` })));
  const path = h("input", { type: "text", value: ops[0] ? ops[0].path : "/" });
  const keyChoices = [];
  const known = keysStore();
  for (const x of apps)
    for (const kt of ["PRODUCTION", "SANDBOX"])
      if (known[x.applicationId] && known[x.applicationId][kt] && known[x.applicationId][kt].token)
        keyChoices.push({ value: known[x.applicationId][kt].token.accessToken, label: `${x.name} — ${kt}` });
  const key = select([...keyChoices, { value: "", label: "Enter a token…" }]);
  const token = h("input", { type: "password", autocomplete: "off" });
  const body = h("textarea", { spellcheck: false }, "");
  const send = h("button", { type: "submit", disabled: !envOptions.length || !ops.length }, "Send");
  const out = h("div", { "aria-live": "polite", class: "tryout-result" });
  op.addEventListener("change", () => { path.value = ops[Number(op.value)].path; });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "try-title" },
    h("h3", { id: "try-title" }, "Try it out"),
    field("Gateway environment", env),
    field("Resource", op),
    field("Request path", path, "Fill in path parameters; a query string may follow."),
    field("Access token", key, "A key generated in this session, or a token you paste."),
    field("Token (when entered by hand)", token),
    field("Request body (JSON)", body),
    h("div", { class: "actions" }, send),
    out,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const o = ops[Number(op.value)];
    const bearer = key.value || token.value.trim();
    const url = env.value.replace(/\/$/, "") + (path.value.startsWith("/") ? "" : "/") + path.value;
    const headers = { Accept: "application/json" };
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    const init = { method: o.verb, headers, mode: "cors", credentials: "omit", cache: "no-store" };
    if (body.value.trim() && !["GET", "HEAD"].includes(o.verb)) {
      headers["Content-Type"] = "application/json";
      init.body = body.value;
    }
    send.disabled = true;
    out.replaceChildren(h("p", {}, `Sending ${o.verb} ${url}…`));
    try {
      const r = await fetch(url, init);
      const text = await r.text();
      const hdrs = [...r.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n");
      out.replaceChildren(
        h("h4", {}, "Response"),
        h("p", {}, "Status: ", h("strong", { class: "tryout-status" }, `${r.status} ${r.statusText}`)),
        h("h5", {}, "Headers"), h("pre", {}, hdrs || "(none readable: the gateway exposes no headers to scripts)"),
        h("h5", {}, "Body"), h("pre", { class: "tryout-body" }, text || "(empty)"),
      );
    } catch (e) {
      out.replaceChildren(h("p", { class: "error", role: "alert" },
        `The request did not complete (${e.message}). The gateway must be reachable from this browser, trust its certificate, and answer CORS for this API.`));
    } finally {
      send.disabled = false;
    }
  });
  return form;
}

async function appsView() {
  const show = view.show();
  const [apps, tiers] = await Promise.all([
    api("GET", "/applications", { query: { limit: 100 } }).then((r) => (r.body && r.body.list) || []),
    api("GET", "/tiers/application").then((r) => ((r.body && r.body.list) || []).map((t) => t.name)),
  ]);
  const name = h("input", { type: "text", required: true, maxlength: 70 });
  const tier = select(tiers, tiers.includes("Unlimited") ? "Unlimited" : tiers[0]);
  const description = h("textarea", {});
  const button = h("button", { type: "submit" }, "Add application");
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "new-app" },
    h("h3", { id: "new-app" }, "New application"),
    field("Name", name),
    field("Throttling tier", tier),
    field("Description", description),
    h("div", { class: "actions" }, button),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      const r = await api("POST", "/applications", { json: { name: name.value.trim(), throttlingTier: tier.value, description: description.value, callbackUrl: "" } });
      msgs.info(`Application ${r.body.name} added.`, true);
      location.hash = `#/applications/${encodeURIComponent(r.body.applicationId)}`;
    } catch (e) {
      msgs.show(e);
    } finally {
      button.disabled = false;
    }
  });
  const root = h(
    "section",
    { "aria-labelledby": "apps-title" },
    h("h2", { id: "apps-title" }, "Applications"),
    apps.length
      ? table("Your applications", [
          { label: "Name", cell: (x) => h("a", { href: `#/applications/${encodeURIComponent(x.applicationId)}` }, x.name) },
          { label: "Tier", cell: (x) => x.throttlingTier },
          { label: "Status", cell: (x) => x.status || "" },
          { label: "Description", cell: (x) => x.description || "" },
        ], apps)
      : h("p", {}, "No application yet."),
    form,
  );
  show(root);
}

function keyPanel(app, keyType, key) {
  const panel = h("div", { class: "card", "aria-labelledby": `k-${keyType}` }, h("h3", { id: `k-${keyType}` }, `${keyType} keys`));
  const show = (k) => {
    panel.replaceChildren(panel.firstChild);
    panel.append(h("dl", { class: `keys keys-${keyType.toLowerCase()}` },
      h("dt", {}, "Consumer key"), h("dd", { class: "secret consumer-key" }, k.consumerKey || ""),
      h("dt", {}, "Consumer secret"), h("dd", { class: "secret consumer-secret" }, k.consumerSecret || ""),
      h("dt", {}, "Access token"), h("dd", { class: "secret access-token" }, (k.token && k.token.accessToken) || "—"),
      h("dt", {}, "Token validity"), h("dd", {}, k.token ? `${k.token.validityTime} s` : "—"),
      h("dt", {}, "Scopes"), h("dd", {}, ((k.token && k.token.tokenScopes) || []).join(" ") || "—")));
  };
  if (key && key.consumerKey) {
    show(key);
    return panel;
  }
  const validity = h("input", { type: "number", value: "3600", min: "-1" });
  const button = h("button", { type: "button" }, `Generate ${keyType.toLowerCase()} keys`);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const r = await api("POST", "/applications/generate-keys", {
        query: { applicationId: app.applicationId },
        json: { keyType, validityTime: validity.value || "3600", callbackUrl: "", accessAllowDomains: ["ALL"], scopes: ["am_application_scope", "default"] },
      });
      rememberKey(app.applicationId, r.body);
      msgs.info(`${keyType} keys generated.`);
      show(r.body);
    } catch (e) {
      msgs.show(e);
      button.disabled = false;
    }
  });
  panel.append(field("Token validity (seconds, -1 never expires)", validity), h("div", { class: "actions" }, button));
  return panel;
}

async function appView(id) {
  const show = view.show();
  const app = (await api("GET", `/applications/${encodeURIComponent(id)}`)).body;
  const subs = await api("GET", "/subscriptions", { query: { applicationId: id, limit: 100 } })
    .then((r) => (r.body && r.body.list) || [])
    .catch((e) => { msgs.show(e); return []; });
  const known = keysStore()[id] || {};
  const byType = {};
  for (const k of app.keys || []) byType[k.keyType] = { ...k, token: (known[k.keyType] || {}).token || k.token };
  const root = h(
    "section",
    { "aria-labelledby": "app-title" },
    h("h2", { id: "app-title" }, app.name),
    h("p", {}, `Tier: ${app.throttlingTier} · Status: ${app.status || ""}`),
    h("div", { class: "grid" }, keyPanel(app, "PRODUCTION", byType.PRODUCTION || known.PRODUCTION), keyPanel(app, "SANDBOX", byType.SANDBOX || known.SANDBOX)),
    subs.length
      ? table("Subscriptions", [
          { label: "API", cell: (s) => s.apiIdentifier },
          { label: "Tier", cell: (s) => s.tier },
          { label: "Status", cell: (s) => s.status },
        ], subs)
      : h("p", {}, "No subscription yet: subscribe from an ", h("a", { href: "#/apis" }, "API's page"), "."),
  );
  show(root);
}

// Self sign-up: Carbon's UserRegistrationAdminService.addUser, which WSO2's
// Store used for its sign-up page.
function signUpView() {
  const show = view.show();
  const user = h("input", { type: "text", autocomplete: "username", required: true });
  const pass = h("input", { type: "password", autocomplete: "new-password", required: true });
  const pass2 = h("input", { type: "password", autocomplete: "new-password", required: true });
  const email = h("input", { type: "email", autocomplete: "email", required: true });
  const button = h("button", { type: "submit" }, "Sign up");
  const form = h(
    "form",
    { class: "card login", "aria-labelledby": "signup-title" },
    h("h2", { id: "signup-title" }, "Sign up"),
    field("Username", user), field("Password", pass), field("Confirm password", pass2), field("Email", email),
    h("div", { class: "actions" }, button, h("a", { href: "#/login" }, "Already registered? Log in")),
  );
  const esc = (s) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (pass.value !== pass2.value) {
      msgs.show(new Error("The passwords differ."));
      pass2.focus();
      return;
    }
    button.disabled = true;
    // UserRegistrationAdminService.wsdl: the addUser wrapper is in the
    // services' schema namespace, the UserDTO members (in schema order:
    // password, userFields, userName) in the DTO namespace.
    const envelope =
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
      'xmlns:ser="http://org.apache.axis2/xsd" xmlns:xsd="http://dto.registration.user.identity.carbon.wso2.org/xsd">' +
      "<soapenv:Body><ser:addUser><ser:user>" +
      `<xsd:password>${esc(pass.value)}</xsd:password>` +
      `<xsd:userFields><xsd:claimUri>http://wso2.org/claims/emailaddress</xsd:claimUri><xsd:fieldValue>${esc(email.value.trim())}</xsd:fieldValue></xsd:userFields>` +
      `<xsd:userName>${esc(user.value.trim())}</xsd:userName>` +
      "</ser:user></ser:addUser></soapenv:Body></soapenv:Envelope>";
    try {
      const r = await fetch("/services/UserRegistrationAdminService", {
        method: "POST",
        headers: { "Content-Type": "text/xml; charset=UTF-8", SOAPAction: "urn:addUser" },
        body: envelope,
      });
      const text = await r.text();
      if (!r.ok) {
        const fault = /<faultstring>([\s\S]*?)<\/faultstring>/.exec(text);
        throw new Error(`${r.status} ${r.statusText}${fault ? ": " + fault[1] : ""}`);
      }
      msgs.info("Account created. You can log in now.", true);
      location.hash = "#/login";
    } catch (e) {
      msgs.show(e);
    } finally {
      button.disabled = false;
      pass.value = pass2.value = "";
    }
  });
  show(form);
}

window.addEventListener("hashchange", () => { msgs.clear(); route(); });
route();
