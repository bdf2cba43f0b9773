// The public API, called with the session cookie. State-changing calls
// carry the session's CSRF token in the X-Parley-CSRF header.
let csrf = "";

export function setCSRF(token) { csrf = token || ""; }

// csrfToken is the session's CSRF token, for calls made without call().
export function csrfToken() { return csrf; }

export class APIError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// call sends body, when given, as JSON and answers the API's JSON; an
// error answer throws an APIError with its problem.
export function call(method, path, body, extraHeaders) {
  const headers = { ...extraHeaders };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return send(method, path, body === undefined ? undefined : JSON.stringify(body), headers);
}

// upload sends body (a File, a Blob or text) as it is, of type
// contentType, and answers the API's JSON.
export function upload(method, path, body, contentType) {
  return send(method, path, body, { "Content-Type": contentType });
}

async function send(method, path, body, extraHeaders) {
  const headers = { Accept: "application/json", ...extraHeaders };
  if (method !== "GET" && method !== "HEAD") headers["X-Parley-CSRF"] = csrf;
  const resp = await fetch(path, { method, headers, credentials: "same-origin", body });
  const text = await resp.text();
  let data = {};
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text }; }
  }
  if (!resp.ok) throw new APIError(resp.status, data);
  return data;
}

export function accountPath(account, rest) {
  return `/api/v2/account/${encodeURIComponent(account)}${rest}`;
}
