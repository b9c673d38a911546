// The HTTP client of the app: JSON in and out, the bearer token on every call, RFC 9457
// problems turned into ApiProblem errors, one refresh-and-retry on a 401.

export class ApiProblem extends Error {
  constructor(status, body, fallback) {
    const problem = body && typeof body === "object" ? body : {};
    super(problem.detail || problem.title || fallback || `HTTP ${status}`);
    this.status = status;
    this.type = problem.type || "about:blank";
    this.title = problem.title || fallback || `HTTP ${status}`;
    this.detail = problem.detail || "";
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }

  /** The problem's kind: the end of its type URN ("command-interlock"), or "". */
  get kind() {
    const at = this.type.lastIndexOf(":");
    return this.type.startsWith("urn:") && at >= 0 ? this.type.slice(at + 1) : "";
  }
}

function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function readBody(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) return response.json();
  return response.text();
}

export class Api {
  constructor() {
    this.auth = null; // { token(): string|null, refresh(): Promise<boolean>, expired(): void }
  }

  useAuth(auth) {
    this.auth = auth;
  }

  /** One request. options: query, json, form (URLSearchParams), signal; auth (default true):
   * send the session's token and refresh it once on a 401; bearer: a token to send instead. */
  async request(method, path, options = {}) {
    const { auth = true } = options;
    let response = await this.#send(method, path, options, auth);
    if (response.status === 401 && auth && this.auth && (await this.auth.refresh())) {
      response = await this.#send(method, path, options, auth);
    }
    const body = await readBody(response);
    if (response.ok) return body;
    if (response.status === 401 && auth && this.auth) this.auth.expired();
    throw new ApiProblem(response.status, body, response.statusText);
  }

  #send(method, path, options, auth) {
    const headers = { Accept: "application/json" };
    let body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.form !== undefined) {
      body = options.form; // URLSearchParams: the browser sets the form content type
    }
    const token = auth && this.auth ? this.auth.token() : options.bearer;
    if (token) headers.Authorization = `Bearer ${token}`;
    return fetch(withQuery(path, options.query), {
      method, headers, body, signal: options.signal, cache: "no-store",
    });
  }

  get(path, query, signal) {
    return this.request("GET", path, { query, signal });
  }

  post(path, json, signal) {
    return this.request("POST", path, { json, signal });
  }

  /** Every item of a paged list (PointPage: total, limit, offset, items). */
  async allPages(path, query, signal) {
    const items = [];
    for (let offset = 0; ; ) {
      const page = await this.get(path, { ...query, limit: 1000, offset }, signal);
      items.push(...page.items);
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) return items;
    }
  }
}
