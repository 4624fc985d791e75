// The console API, as the page calls it: the session cookie goes along by itself (same
// origin); the CSRF token the login answered lives only in this module's memory and goes
// with every request that changes something.

let csrf = null;

export function setCsrf(token) {
  csrf = token;
}

/** An answer other than 2xx: its status and the JSON error body ({error, message}) if any. */
export class ApiError extends Error {
  constructor(status, body) {
    const said = body && typeof body.message === "string" ? body.message : null;
    super(said ?? `the console API answered ${status}`);
    this.status = status;
    this.body = body;
  }

  get code() {
    return this.body && typeof this.body.error === "string" ? this.body.error : null;
  }
}

/** `method` `path` with `body` as JSON; the parsed answer, or ApiError. */
export async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf !== null) headers["X-CSRF-Token"] = csrf;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
  });
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body ?? {});
