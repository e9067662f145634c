// The stack behind a real TLS nginx on loopback, with a throwaway
// certificate made by openssl for this run: over HTTPS the session cookie is
// `__Host-chat_session` with Secure, Path=/ and no Domain; a cookie without
// the prefix (which plain HTTP could have planted) is not accepted there;
// an https Origin is same-origin; every response, errors included, carries
// the security headers. The same stack keeps plain HTTP on its usual port,
// where the cookie stays `chat_session` without Secure. The TLS listener is
// added through CHAT_NGINX_EXTRA (an include inside the server block).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, assertError, collectReply } from './helpers.mjs';

let stack;
let tlsDir;
let tlsPort;
let ca;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

before(async () => {
  tlsDir = mkdtempSync(join(tmpdir(), 'chat-tls-'));
  const cert = join(tlsDir, 'cert.pem');
  const key = join(tlsDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  ca = readFileSync(cert);
  tlsPort = await freePort();
  const extra = join(tlsDir, 'tls.conf');
  writeFileSync(extra, `listen 127.0.0.1:${tlsPort} ssl;\nssl_certificate ${cert};\nssl_certificate_key ${key};\n`);
  stack = await startStack({ env: { CHAT_NGINX_EXTRA: extra } });
});
after(async () => {
  await stack?.stop();
  if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
});

// One HTTPS request to the TLS port, trusting only this run's certificate.
function tls(method, path, { body, cookie, origin = `https://127.0.0.1:${tlsPort}` } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = {};
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
      headers.origin = origin;
    }
    if (cookie) headers.cookie = cookie;
    const req = https.request({ host: '127.0.0.1', port: tlsPort, path, method, headers, ca }, (res) => collectReply(res, resolve, '\n'));
    req.on('error', reject);
    req.end(payload);
  });
}

function assertSecurityHeaders(r, what) {
  assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, what);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer', what);
}

test('over TLS the session cookie is __Host-chat_session with Secure, Path=/, HttpOnly, SameSite=Lax and no Domain', async () => {
  const r = await tls('POST', '/api/register', { body: { username: 'tlsuser', password: PASSWORD } });
  assert.equal(r.status, 201, r.text);
  const setCookie = r.headers.get('set-cookie');
  assert.match(setCookie, /^__Host-chat_session=[^;]+; Path=\/; /);
  for (const attr of [/; Secure(;|$)/, /; HttpOnly(;|$)/, /; SameSite=Lax(;|$)/]) assert.match(setCookie, attr);
  assert.doesNotMatch(setCookie, /Domain=/i);
  const cookie = setCookie.split(';')[0];
  const me = await tls('GET', '/api/me', { cookie });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.user.username, 'tlsuser');
  assert.equal(me.headers.get('cache-control'), 'no-store');
  assertSecurityHeaders(me, 'me');

  // The same value without the prefix is what plain HTTP could plant: refused.
  const unprefixed = cookie.replace(/^__Host-/, '');
  assertError(await tls('GET', '/api/me', { cookie: unprefixed }), 401, 'not_logged_in', 'unprefixed over TLS');

  const out = await tls('POST', '/api/logout', { body: {}, cookie });
  assert.equal(out.status, 204, out.text);
  assert.match(out.headers.get('set-cookie'), /^__Host-chat_session=; Path=\/; Max-Age=0;.*; Secure/);
  assertError(await tls('GET', '/api/me', { cookie }), 401, 'not_logged_in', 'after logout');
});

test('over TLS an http Origin is cross-origin (403 bad_origin); the https one is accepted', async () => {
  const wrong = await tls('POST', '/api/login', {
    body: { username: 'tlsuser', password: PASSWORD }, origin: `http://127.0.0.1:${tlsPort}`,
  });
  assertError(wrong, 403, 'bad_origin', 'http Origin on https');
  assertSecurityHeaders(wrong, '403');
  const right = await tls('POST', '/api/login', { body: { username: 'tlsuser', password: PASSWORD } });
  assert.equal(right.status, 200, right.text);
});

test('over TLS every kind of response carries the security headers: page, API 200, 401, 404 and nginx\'s own 404', async () => {
  for (const [path, status] of [['/', 200], ['/api/rooms', 401], ['/api/nothing', 404], ['/no-such-file.css', 404]]) {
    const r = await tls('GET', path);
    assert.equal(r.status, status, `${path}: ${r.text.slice(0, 200)}`);
    assertSecurityHeaders(r, path);
    if (path.startsWith('/api/')) assert.equal(r.headers.get('cache-control'), 'no-store', path);
  }
});

test('plain HTTP on the same stack keeps chat_session without Secure', async () => {
  const c = new Client(stack.base);
  const r = await c.post('/api/login', { username: 'tlsuser', password: PASSWORD });
  assert.equal(r.status, 200, r.text);
  const setCookie = r.headers.get('set-cookie');
  assert.match(setCookie, /^chat_session=/);
  assert.doesNotMatch(setCookie, /Secure/);
  assertError(await tls('GET', '/api/me', { cookie: c.cookie }), 401, 'not_logged_in', 'an http cookie over TLS');
});

// The typing limit (nginx zone chat_typing) keys on the cookie the worker
// reads, over TLS __Host-chat_session: a junk plain chat_session in front of
// it must not make a new key (tests/api/attack2.test.mjs does http).
test('over TLS typing is one each 3 s whatever cookie stands in front of __Host-chat_session', async () => {
  const r = await tls('POST', '/api/register', { body: { username: 'tlstyper', password: PASSWORD } });
  assert.equal(r.status, 201, r.text);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const room = await tls('POST', '/api/rooms', { body: { name: 'tls typing' }, cookie });
  assert.equal(room.status, 201, room.text);
  assert.equal((await tls('POST', `/api/rooms/${room.body.room.id}/join`, { body: {}, cookie })).status, 200);
  const path = `/api/rooms/${room.body.room.id}/typing`;
  const first = await tls('POST', path, { body: {}, cookie });
  assert.equal(first.status, 204, first.text);
  for (let i = 0; i < 4; i += 1) {
    assertError(await tls('POST', path, { body: {}, cookie: `chat_session=junk${i}; ${cookie}` }), 429, 'rate_limited', `junk ${i} in front`);
  }
  assertError(await tls('POST', path, { body: {}, cookie }), 429, 'rate_limited', 'plain');
});
