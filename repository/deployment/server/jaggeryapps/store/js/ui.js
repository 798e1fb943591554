// SPDX-License-Identifier: Apache-2.0
//
// Small DOM helpers shared by the Publisher and Store pages (the same file
// is in both apps).  Elements are built with createElement and textContent
// only: nothing from the server is ever parsed as HTML.

import { RestError, login } from "./rest.js";

let uid = 0;
export const nextId = (p = "f") => `${p}-${++uid}`;

// h("button", {type: "button", onclick: fn, class: "x"}, "text", child...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// A labelled control: <div class="field"><label for=id>text</label>control hint</div>
export function field(label, control, hint) {
  if (!control.id) control.id = nextId();
  const parts = [h("label", { for: control.id }, label), control];
  if (hint) {
    const hid = nextId("hint");
    control.setAttribute("aria-describedby", hid);
    parts.push(h("p", { id: hid, class: "hint" }, hint));
  }
  return h("div", { class: "field" }, parts);
}

// A checkbox group in a fieldset with a legend.
export function checkGroup(legend, name, options, checked = []) {
  return h(
    "fieldset",
    { class: "group" },
    h("legend", {}, legend),
    options.map((o) => {
      const value = typeof o === "string" ? o : o.value;
      const text = typeof o === "string" ? o : o.label;
      const id = nextId(name);
      return h(
        "div",
        { class: "check" },
        h("input", { type: "checkbox", id, name, value, checked: checked.includes(value) }),
        h("label", { for: id }, text),
      );
    }),
  );
}

export function checkedValues(root, name) {
  return [...root.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

export function select(options, value) {
  return h(
    "select",
    {},
    options.map((o) => {
      const v = typeof o === "string" ? o : o.value;
      return h("option", { value: v, selected: v === value }, typeof o === "string" ? o : o.label);
    }),
  );
}

// The page's message regions: errors are announced assertively.
export function messages() {
  const error = h("div", { class: "error", role: "alert", "aria-live": "assertive", hidden: true });
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  let sticky = false; // the status survives the next clear() (a navigation)
  return {
    error,
    status,
    show(err) {
      error.replaceChildren();
      const text = err instanceof RestError ? err.message : String((err && err.message) || err);
      error.append(h("p", {}, text));
      const items = err instanceof RestError ? err.items : [];
      if (items.length)
        error.append(h("ul", {}, items.map((i) => h("li", {}, [i.code, i.message].filter(Boolean).join(": ")))));
      error.hidden = false;
      status.textContent = "";
    },
    // @beforeNavigation: the text is for the view the caller moves to next
    info(text, beforeNavigation = false) {
      error.hidden = true;
      error.replaceChildren();
      status.textContent = text;
      sticky = beforeNavigation;
    },
    clear() {
      if (sticky) {
        sticky = false;
        return;
      }
      error.hidden = true;
      error.replaceChildren();
      status.textContent = "";
    },
  };
}

// The log-in form; resolves the session through onLogin.
export function loginForm({ title, scopes, app, msgs, onLogin, extra }) {
  const user = h("input", { type: "text", name: "username", autocomplete: "username", required: true });
  const pass = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const button = h("button", { type: "submit" }, "Log in");
  const form = h(
    "form",
    { class: "card login", "aria-labelledby": "login-title" },
    h("h2", { id: "login-title" }, title),
    field("Username", user),
    field("Password", pass),
    h("div", { class: "actions" }, button, extra),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    msgs.info("Logging in…");
    try {
      const s = await login(user.value.trim(), pass.value, scopes, app);
      pass.value = "";
      msgs.clear();
      onLogin(s);
    } catch (e) {
      msgs.show(e);
      pass.focus();
    } finally {
      button.disabled = false;
    }
  });
  queueMicrotask(() => user.focus());
  return form;
}

// A table from rows; columns: [{label, cell: (row) => Node|string}]
export function table(caption, columns, rows) {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", {}, c.cell(r)))))),
  );
}

// Move focus to the new view's heading so keyboard and screen reader users
// land on it.
export function focusHeading(root) {
  const hd = root.querySelector("h2");
  if (hd) {
    hd.tabIndex = -1;
    hd.focus();
  }
}

// The page's view area.  route() calls next() on every navigation, and each
// view takes its show() before its first await: a show() left from an
// earlier navigation (a slow answer arriving after the user moved on) is
// dropped, so the page always shows where the user is.
export function outlet(el) {
  let turn = 0;
  const bound = (t) => (node, focus = true) => {
    if (t !== turn) return;
    el.replaceChildren(node);
    if (focus) focusHeading(node);
  };
  return { el, next: () => bound(++turn), show: () => bound(turn) };
}
