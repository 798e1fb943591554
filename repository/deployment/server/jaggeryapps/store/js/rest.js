// SPDX-License-Identifier: Apache-2.0
//
// The REST client shared by the Publisher and Store pages (the same file
// is in both apps; tests check that the copies agree).  It follows WSO2 API
// Manager 2.x's REST API v0.11 (spec: wso2-db-rest.md section 4):
//
//  - log in: register an OAuth client for the user with DCR
//    (POST /client-registration/v0.11/register, Basic user:password), then a
//    password grant at POST /oauth2/token on the same origin with the
//    apim:* scopes the page needs;
//  - the access token stays in sessionStorage (gone with the tab), never the
//    password or the client secret;
//  - every call sends "Authorization: Bearer <token>"; every non-2xx answer
//    becomes a RestError carrying WSO2's ErrorDTO (code, message,
//    description, error[]) or the OAuth2 error, so that pages can show it.

const SESSION_KEY = "apimd.session";

export class RestError extends Error {
  constructor(status, statusText, body) {
    const dto = body && typeof body === "object" ? body : null;
    super(RestError.describe(status, statusText, dto, body));
    this.name = "RestError";
    this.status = status;
    this.dto = dto;
    this.items = dto && Array.isArray(dto.error) ? dto.error : [];
  }

  // "401 Unauthorized: <message> — <description>" from ErrorDTO or OAuth2.
  static describe(status, statusText, dto, raw) {
    let text = `${status}${statusText ? " " + statusText : ""}`;
    if (status === 0) text = "The server could not be reached";
    const parts = [];
    if (dto) {
      if (dto.message) parts.push(String(dto.message));
      if (dto.description && dto.description !== dto.message) parts.push(String(dto.description));
      if (dto.error && typeof dto.error === "string") parts.push(dto.error);
      if (dto.error_description) parts.push(String(dto.error_description));
    } else if (typeof raw === "string" && raw.trim() && !/^\s*</.test(raw)) {
      parts.push(raw.trim().slice(0, 300));
    }
    return parts.length ? `${text}: ${parts.join(" — ")}` : text;
  }
}

async function readBody(resp) {
  const text = await resp.text();
  if (!text) return null;
  const type = resp.headers.get("Content-Type") || "";
  if (type.includes("json") || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

async function send(url, init) {
  let resp;
  try {
    resp = await fetch(url, { credentials: "omit", cache: "no-store", ...init });
  } catch (e) {
    throw new RestError(0, "", { message: "Network error", description: String(e.message || e) });
  }
  const body = await readBody(resp);
  if (!resp.ok) throw new RestError(resp.status, resp.statusText, body);
  return { status: resp.status, headers: resp.headers, body };
}

function basic(user, secret) {
  // btoa takes Latin-1: encode UTF-8 first
  const bytes = new TextEncoder().encode(`${user}:${secret}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return "Basic " + btoa(bin);
}

export function getSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    if (s && s.accessToken && (!s.expiresAt || s.expiresAt > Date.now())) return s;
  } catch {
    /* a damaged entry is no session */
  }
  sessionStorage.removeItem(SESSION_KEY);
  return null;
}

export function logout() {
  sessionStorage.removeItem(SESSION_KEY);
}

// Log in as @username; @app names the UI ("publisher" or "store").
export async function login(username, password, scopes, app) {
  const reg = await send("/client-registration/v0.11/register", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: basic(username, password) },
    body: JSON.stringify({
      callbackUrl: "",
      clientName: `apimd_${app}_ui`,
      tokenScope: "Production",
      owner: username,
      grantType: "password refresh_token",
      saasApp: true,
    }),
  });
  const client = reg.body || {};
  if (!client.clientId || !client.clientSecret)
    throw new RestError(reg.status, "", { message: "Client registration returned no client" });
  const form = new URLSearchParams({ grant_type: "password", username, password, scope: scopes.join(" ") });
  const tok = await send("/oauth2/token", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: basic(client.clientId, client.clientSecret),
    },
    body: form.toString(),
  });
  const t = tok.body || {};
  if (!t.access_token) throw new RestError(tok.status, "", { message: "The token endpoint returned no token" });
  const session = {
    user: username,
    accessToken: t.access_token,
    scopes: (t.scope || "").split(" ").filter(Boolean),
    expiresAt: t.expires_in > 0 ? Date.now() + t.expires_in * 1000 : 0,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

// A REST client for @base ("/api/am/publisher/v0.11").  call(method, path,
// {query, json, form}) resolves to {status, headers, body}; errors throw
// RestError.  An expired session (401) is dropped so the page asks to log in.
export function client(base, onUnauthorized) {
  return async function call(method, path, opts = {}) {
    const url = new URL(base + path, location.origin);
    for (const [k, v] of Object.entries(opts.query || {}))
      if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
    const headers = { Accept: "application/json" };
    const s = getSession();
    if (s) headers.Authorization = `Bearer ${s.accessToken}`;
    let body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(opts.form).toString();
    }
    try {
      return await send(url.toString(), { method, headers, body });
    } catch (e) {
      if (e instanceof RestError && e.status === 401 && s) {
        logout();
        if (onUnauthorized) onUnauthorized(e);
      }
      throw e;
    }
  };
}
