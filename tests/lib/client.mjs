// A small API client for tests: one cookie jar per user, JSON in and out,
// same-origin writes as a browser sends them. A header the caller passes
// wins over the jar and the default content type, whatever its case (a test
// that sends an odd Cookie must really send it, not the jar's).
export class Client {
  constructor(base) {
    this.base = base;
    this.cookie = '';
  }

  // Sends a request; returns {status, headers, body (parsed JSON or null), text}.
  async request(method, path, body, headers = {}) {
    const h = { ...headers };
    const given = new Set(Object.keys(h).map((k) => k.toLowerCase()));
    if (this.cookie && !given.has('cookie')) h.cookie = this.cookie;
    let payload;
    if (method !== 'GET' && method !== 'HEAD') {
      if (!given.has('content-type')) h['content-type'] = 'application/json';
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
