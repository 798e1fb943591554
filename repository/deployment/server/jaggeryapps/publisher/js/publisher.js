// SPDX-License-Identifier: Apache-2.0
//
// The API Publisher: log in, list APIs, create and edit an API (resources,
// endpoints, tiers, transports, visibility), choose its gateway
// environments and change its lifecycle state.  REST API: Publisher v0.11
// (wso2-db-rest.md section 4.2).  Views are hash routes:
//   #/apis  #/apis/new  #/apis/<id>  #/apis/<id>/edit

import { client, getSession, logout } from "./rest.js";
import { h, field, checkGroup, checkedValues, select, messages, loginForm, table, outlet } from "./ui.js";

const SCOPES = ["apim:api_view", "apim:api_create", "apim:api_publish", "apim:tier_view", "apim:subscription_view"];
const VERBS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
const AUTH_TYPES = ["Application & Application User", "Application", "Application User", "None"];
const VISIBILITY = ["PUBLIC", "PRIVATE", "RESTRICTED", "CONTROLLED"];
// APILifeCycle.xml: the actions each state allows
const LIFECYCLE = {
  CREATED: ["Publish", "Deploy as a Prototype"],
  PROTOTYPED: ["Publish", "Demote to Created", "Deploy as a Prototype"],
  PUBLISHED: ["Block", "Deploy as a Prototype", "Demote to Created", "Deprecate", "Publish"],
  BLOCKED: ["Deprecate", "Re-Publish"],
  DEPRECATED: ["Retire"],
  RETIRED: [],
};

const msgs = messages();
const view = outlet(document.getElementById("view"));
const nav = document.getElementById("nav");
document.getElementById("messages").append(msgs.error, msgs.status);
const api = client("/api/am/publisher/v0.11", () => route());

function renderNav() {
  const s = getSession();
  nav.replaceChildren();
  if (!s) return;
  nav.append(
    h("li", {}, h("a", { href: "#/apis" }, "APIs")),
    h("li", {}, h("a", { href: "#/apis/new" }, "Create API")),
    h("li", {}, h("span", {}, `Signed in as ${s.user}`)),
    h("li", {}, h("button", { type: "button", class: "link", onclick: () => { logout(); msgs.info("Logged out."); route(); } }, "Log out")),
  );
}

async function route() {
  const show = view.next();
  renderNav();
  if (!getSession()) {
    show(loginForm({ title: "Log in to the Publisher", scopes: SCOPES, app: "publisher", msgs, onLogin: () => route() }), false);
    return;
  }
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  try {
    if (parts[0] !== "apis" || parts.length === 0) await listView();
    else if (parts.length === 1) await listView();
    else if (parts[1] === "new") await editView(null);
    else if (parts[2] === "edit") await editView(decodeURIComponent(parts[1]));
    else await detailView(decodeURIComponent(parts[1]));
  } catch (e) {
    msgs.show(e);
  }
}

async function listView() {
  const show = view.show();
  const { body } = await api("GET", "/apis", { query: { limit: 100 } });
  const list = (body && body.list) || [];
  // WSO2's "Deploy Sample API": offered while there is no PizzaShackAPI and
  // the built-in sample backend answers (default profile)
  const sample = list.some((a) => a.name === SAMPLE.name) || !(await sampleBackendUp())
    ? ""
    : h("button", { type: "button", class: "secondary", onclick: (ev) => deploySample(ev.target) }, "Deploy sample API");
  const root = h(
    "section",
    { "aria-labelledby": "apis-title" },
    h("h2", { id: "apis-title" }, "APIs"),
    h("div", { class: "actions" }, h("a", { class: "button", href: "#/apis/new" }, "Create API"), sample),
    list.length
      ? table("All APIs you can see", [
          { label: "Name", cell: (a) => h("a", { href: `#/apis/${encodeURIComponent(a.id)}` }, a.name) },
          { label: "Version", cell: (a) => a.version },
          { label: "Context", cell: (a) => h("code", {}, a.context) },
          { label: "Status", cell: (a) => h("span", { class: "badge" }, a.status) },
          { label: "Provider", cell: (a) => a.provider },
        ], list)
      : h("p", {}, "No APIs yet."),
  );
  show(root);
}

// ---- the sample API ----

// PizzaShack as WSO2's quick start publishes it, on the sample backend of
// this server (/am/sample/pizzashack/v1/api/, default profile).
const SAMPLE = {
  name: "PizzaShackAPI",
  version: "1.0.0",
  context: "/pizzashack",
  description: "This is a simple API for Pizza Shack online pizza delivery store.",
  path: "/am/sample/pizzashack/v1/api/",
  resources: [
    ["GET", "/menu"], ["POST", "/order"], ["GET", "/order/{orderId}"], ["PUT", "/order/{orderId}"],
    ["DELETE", "/order/{orderId}"], ["GET", "/delivery"], ["GET", "/delivery/{orderId}"],
  ],
};

async function sampleBackendUp() {
  try {
    return (await fetch(SAMPLE.path + "menu")).ok;
  } catch {
    return false;
  }
}

// Create, then publish to every gateway environment.
async function deploySample(button) {
  button.disabled = true;
  try {
    const envs = ((await api("GET", "/environments")).body || {}).list || [];
    const tiers = ((await api("GET", "/tiers/api")).body || {}).list || [];
    const url = location.origin + SAMPLE.path;
    const body = {
      name: SAMPLE.name,
      version: SAMPLE.version,
      context: SAMPLE.context,
      description: SAMPLE.description,
      type: "HTTP",
      isDefaultVersion: true,
      tiers: tiers.map((t) => t.name).filter((n) => n !== "Unauthenticated"),
      transport: ["http", "https"],
      visibility: "PUBLIC",
      tags: ["pizza", "food"],
      gatewayEnvironments: envs.map((e) => e.name).join(","),
      endpointConfig: JSON.stringify({
        endpoint_type: "http",
        production_endpoints: { url, config: null },
        sandbox_endpoints: { url, config: null },
      }),
    };
    body.apiDefinition = swaggerOf(body, SAMPLE.resources.map(([verb, path]) => ({ verb, path, auth: AUTH_TYPES[0], tier: "Unlimited" })));
    const created = (await api("POST", "/apis", { json: body })).body;
    const r = await api("POST", "/apis/change-lifecycle", { query: { action: "Publish", apiId: created.id } });
    const failed = gatewayFailures(r.body);
    const moved = new Promise((resolve) => window.addEventListener("hashchange", resolve, { once: true }));
    location.hash = `#/apis/${encodeURIComponent(created.id)}`;
    if (failed.length) {
      await moved; // shown on the API's page, after the navigation cleared the old messages
      msgs.show(new Error(`The sample API was created but not deployed everywhere: ${failed.join("; ")}`));
    } else msgs.info(`The sample API ${SAMPLE.name} is published.`, true);
  } catch (e) {
    msgs.show(e);
    button.disabled = false;
  }
}

// ---- create / edit ----

function parseJSON(text, fallback) {
  try {
    return typeof text === "string" ? JSON.parse(text) : text || fallback;
  } catch {
    return fallback;
  }
}

// Resources from the API's Swagger 2.0 definition.
function resourcesOf(apiDef) {
  const doc = parseJSON(apiDef, {});
  const out = [];
  for (const [path, ops] of Object.entries(doc.paths || {}))
    for (const [verb, op] of Object.entries(ops || {}))
      if (VERBS.includes(verb.toUpperCase()))
        out.push({ path, verb: verb.toUpperCase(), auth: op["x-auth-type"] || AUTH_TYPES[0], tier: op["x-throttling-tier"] || "Unlimited" });
  return out;
}

function swaggerOf(a, resources) {
  const paths = {};
  for (const r of resources) {
    paths[r.path] = paths[r.path] || {};
    const op = { responses: { 200: { description: "" } }, "x-auth-type": r.auth, "x-throttling-tier": r.tier };
    const params = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, type: "string" }));
    if (["POST", "PUT", "PATCH"].includes(r.verb))
      params.push({ name: "Payload", in: "body", required: false, schema: { type: "object" } });
    if (params.length) op.parameters = params;
    paths[r.path][r.verb.toLowerCase()] = op;
  }
  return JSON.stringify({
    swagger: "2.0",
    info: { title: a.name, version: a.version, description: a.description || "" },
    paths,
  });
}

async function optional(promise, fallback) {
  try {
    return await promise;
  } catch (e) {
    msgs.show(e);
    return fallback;
  }
}

async function editView(id) {
  const show = view.show();
  const current = id ? (await api("GET", `/apis/${encodeURIComponent(id)}`)).body : null;
  const [apiTiers, resTiers] = await Promise.all([
    optional(api("GET", "/tiers/api").then((r) => (r.body.list || []).map((t) => t.name)), []),
    optional(api("GET", "/tiers/resource").then((r) => (r.body.list || []).map((t) => t.name)), []),
  ]);
  if (!resTiers.includes("Unlimited")) resTiers.unshift("Unlimited");
  const a = current || { name: "", context: "", version: "1.0.0", description: "", tiers: [], transport: ["http", "https"], visibility: "PUBLIC", isDefaultVersion: false };
  const ep = parseJSON(a.endpointConfig, {});
  const resources = current ? resourcesOf(a.apiDefinition) : [{ path: "/*", verb: "GET", auth: AUTH_TYPES[0], tier: "Unlimited" }];

  const name = h("input", { type: "text", value: a.name, required: true, readOnly: !!current });
  const context = h("input", { type: "text", value: a.context, required: true, readOnly: !!current });
  const version = h("input", { type: "text", value: a.version, required: true, readOnly: !!current });
  const description = h("textarea", {}, a.description || "");
  const prod = h("input", { type: "url", value: (ep.production_endpoints && ep.production_endpoints.url) || "", placeholder: "https://backend.example.com/api/" });
  const sand = h("input", { type: "url", value: (ep.sandbox_endpoints && ep.sandbox_endpoints.url) || "" });
  const visibility = select(VISIBILITY, a.visibility);
  const roles = h("input", { type: "text", value: (a.visibleRoles || []).join(",") });
  const isDefault = h("input", { type: "checkbox", checked: !!a.isDefaultVersion, id: "is-default" });
  const tiers = checkGroup("Subscription tiers", "tiers", apiTiers, a.tiers || []);
  const transports = checkGroup("Transports", "transport", ["http", "https"], a.transport || []);
  const rows = h("tbody");
  const addRow = (r) => {
    const path = h("input", { type: "text", value: r.path, "aria-label": "URL pattern", required: true });
    const verb = select(VERBS, r.verb);
    verb.setAttribute("aria-label", "HTTP verb");
    const auth = select(AUTH_TYPES, r.auth);
    auth.setAttribute("aria-label", "Auth type");
    const tier = select(resTiers.includes(r.tier) ? resTiers : [...resTiers, r.tier], r.tier);
    tier.setAttribute("aria-label", "Throttling tier");
    const tr = h("tr", { class: "resource" },
      h("td", {}, path), h("td", {}, verb), h("td", {}, auth), h("td", {}, tier),
      h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => { tr.remove(); } }, "Remove")));
    tr.read = () => ({ path: path.value.trim(), verb: verb.value, auth: auth.value, tier: tier.value });
    rows.append(tr);
    return path;
  };
  resources.forEach(addRow);

  const save = h("button", { type: "submit" }, current ? "Save API" : "Create API");
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "edit-title" },
    h("h2", { id: "edit-title" }, current ? `Edit ${a.name} ${a.version}` : "Create an API"),
    field("Name", name),
    field("Context", context, "The path the API is reached at on the gateway, e.g. /pizzashack (the version is appended)."),
    field("Version", version),
    field("Description", description),
    h("fieldset", { class: "group" },
      h("legend", {}, "Resources"),
      h("table", {},
        h("thead", {}, h("tr", {}, ["URL pattern", "Verb", "Auth type", "Throttling tier", ""].map((t) => h("th", { scope: "col" }, t)))),
        rows),
      h("button", { type: "button", class: "secondary", onclick: () => addRow({ path: "", verb: "GET", auth: AUTH_TYPES[0], tier: "Unlimited" }).focus() }, "Add resource")),
    field("Production endpoint URL", prod),
    field("Sandbox endpoint URL", sand, "Optional."),
    tiers,
    transports,
    field("Visibility", visibility),
    field("Visible to roles", roles, "Comma-separated; used when visibility is RESTRICTED."),
    h("div", { class: "check" }, isDefault, h("label", { for: isDefault.id }, "Default version")),
    h("div", { class: "actions" }, save, h("a", { href: current ? `#/apis/${encodeURIComponent(id)}` : "#/apis" }, "Cancel")),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const res = [...rows.querySelectorAll("tr.resource")].map((tr) => tr.read()).filter((r) => r.path);
    const endpointConfig = { endpoint_type: "http" };
    if (prod.value.trim()) endpointConfig.production_endpoints = { url: prod.value.trim(), config: null };
    if (sand.value.trim()) endpointConfig.sandbox_endpoints = { url: sand.value.trim(), config: null };
    const body = {
      ...(current || {}),
      name: name.value.trim(),
      context: context.value.trim(),
      version: version.value.trim(),
      description: description.value,
      type: (current && current.type) || "HTTP",
      isDefaultVersion: isDefault.checked,
      tiers: checkedValues(form, "tiers"),
      transport: checkedValues(form, "transport"),
      visibility: visibility.value,
      visibleRoles: roles.value.split(",").map((r) => r.trim()).filter(Boolean),
      endpointConfig: JSON.stringify(endpointConfig),
    };
    body.apiDefinition = swaggerOf(body, res);
    save.disabled = true;
    try {
      const r = current
        ? await api("PUT", `/apis/${encodeURIComponent(id)}`, { json: body })
        : await api("POST", "/apis", { json: body });
      msgs.info(current ? "API saved." : "API created.", true);
      location.hash = `#/apis/${encodeURIComponent((r.body && r.body.id) || id)}`;
    } catch (e) {
      msgs.show(e);
    } finally {
      save.disabled = false;
    }
  });
  show(form);
}

// ---- details, environments, lifecycle ----

// Per-environment failures, if the change-lifecycle answer reports them:
// WSO2's failedGateways map {"PUBLISHED": {env: msg}, "UNPUBLISHED": {...}}
// or a flat {env: msg}.
function gatewayFailures(body) {
  const fg = body && typeof body === "object" ? body.failedGateways || body.failedEnvironments : null;
  const out = [];
  if (!fg || typeof fg !== "object") return out;
  for (const [k, v] of Object.entries(fg)) {
    if (v && typeof v === "object") for (const [env, m] of Object.entries(v)) out.push(`${k.toLowerCase()} on ${env}: ${m}`);
    else out.push(`${k}: ${v}`);
  }
  return out;
}

async function detailView(id) {
  const show = view.show();
  const path = `/apis/${encodeURIComponent(id)}`;
  const a = (await api("GET", path)).body;
  const envs = await optional(api("GET", "/environments", { query: { apiId: id } }).then((r) => r.body.list || []), []);
  const selected = (a.gatewayEnvironments || "").split(",").map((e) => e.trim()).filter(Boolean);
  const status = (a.status || "CREATED").toUpperCase();
  const envGroup = checkGroup(
    "Gateway environments",
    "env",
    envs.map((e) => ({ value: e.name, label: `${e.name} (${e.type})` })),
    selected.length ? selected : envs.map((e) => e.name),
  );
  const failures = h("ul", { class: "error", hidden: true, "aria-live": "polite" });
  const doAction = async (action, button) => {
    button.disabled = true;
    failures.hidden = true;
    try {
      const gatewayEnvironments = checkedValues(envGroup, "env").join(",");
      if (gatewayEnvironments !== (a.gatewayEnvironments || ""))
        await api("PUT", path, { json: { ...a, gatewayEnvironments } });
      const r = await api("POST", "/apis/change-lifecycle", { query: { action, apiId: id } });
      const failed = gatewayFailures(r.body);
      await detailView(id);
      if (failed.length) {
        msgs.show(new Error(`${action}: the API was not deployed everywhere`));
        const list = view.el.querySelector("ul.error");
        list.replaceChildren(...failed.map((f) => h("li", {}, f)));
        list.hidden = false;
      } else msgs.info(`${action}: done. The API is now ${(await api("GET", path)).body.status}.`);
    } catch (e) {
      msgs.show(e);
      button.disabled = false;
    }
  };
  const actions = (LIFECYCLE[status] || []).map((act) => {
    const b = h("button", { type: "button", class: act === "Retire" || act === "Block" ? "danger" : "" }, act);
    b.addEventListener("click", () => doAction(act, b));
    return b;
  });
  const ep = parseJSON(a.endpointConfig, {});
  const root = h(
    "section",
    { "aria-labelledby": "api-title" },
    h("h2", { id: "api-title" }, `${a.name} ${a.version}`),
    h("p", {}, "Lifecycle state: ", h("span", { class: "badge", id: "lifecycle-state" }, status)),
    h("dl", {},
      h("dt", {}, "Context"), h("dd", {}, h("code", {}, a.context)),
      h("dt", {}, "Provider"), h("dd", {}, a.provider || ""),
      h("dt", {}, "Description"), h("dd", {}, a.description || "—"),
      h("dt", {}, "Production endpoint"), h("dd", {}, (ep.production_endpoints && ep.production_endpoints.url) || "—"),
      h("dt", {}, "Sandbox endpoint"), h("dd", {}, (ep.sandbox_endpoints && ep.sandbox_endpoints.url) || "—"),
      h("dt", {}, "Tiers"), h("dd", {}, (a.tiers || []).join(", ") || "—"),
      h("dt", {}, "Transports"), h("dd", {}, (a.transport || []).join(", ")),
      h("dt", {}, "Visibility"), h("dd", {}, a.visibility || "")),
    table("Resources", [
      { label: "URL pattern", cell: (r) => h("code", {}, r.path) },
      { label: "Verb", cell: (r) => r.verb },
      { label: "Auth type", cell: (r) => r.auth },
      { label: "Throttling tier", cell: (r) => r.tier },
    ], resourcesOf(a.apiDefinition)),
    h("div", { class: "card" },
      h("h3", {}, "Lifecycle"),
      envs.length ? envGroup : h("p", { class: "muted" }, "No gateway environments are configured."),
      h("div", { class: "actions" }, actions.length ? actions : h("p", {}, "No lifecycle action is possible from this state.")),
      failures),
    h("div", { class: "actions" }, h("a", { class: "button secondary", href: `#${path}/edit` }, "Edit"), h("a", { href: "#/apis" }, "All APIs")),
  );
  show(root);
}

window.addEventListener("hashchange", () => { msgs.clear(); route(); });
route();
