// A small API client for tests: one cookie jar per user, JSON in and out,
// same-origin writes as a browser sends them.
export class Client {
  constructor(base) {
    this.base = base;
    this.cookie = '';
  }

  // Sends a request; returns {status, headers, body (parsed JSON or null), text}.
  async request(method, path, body, headers = {}) {
    const h = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    let payload;
    if (method !== 'GET' && method !== 'HEAD') {
      h['content-type'] ??= 'application/json';
      payload = body === undefined ? '{}' : typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(this.base + path, { method, headers: h, body: payload, redirect: 'manual' });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const pair = setCookie.split(';')[0];
      this.cookie = pair.endsWith('=') ? '' : pair;
    }
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, body: json, text };
  }

  get(path, headers) { return this.request('GET', path, undefined, headers); }
  post(path, body, headers) { return this.request('POST', path, body, headers); }
  del(path, headers) { return this.request('DELETE', path, undefined, headers); }

  async register(username, password = 'correct horse battery') {
    const r = await this.post('/api/register', { username, password });
    if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${r.text}`);
    this.user = r.body.user;
    return r;
  }
}
