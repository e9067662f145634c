// Requests nginx itself refuses (malformed or over-long URIs, oversized
// headers, TRACE) and the methods no program serves still get the API's JSON
// error shape and the security headers; HEAD is answered like GET without a body.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startStack } from '../lib/stack.mjs';
import { users } from './helpers.mjs';

let stack;
let alice;
let roomId;

before(async () => {
  stack = await startStack();
  [alice] = await users(stack.base, ['oddalice']);
  roomId = (await alice.post('/api/rooms', { name: 'Odd' })).body.room.id;
});
after(() => stack?.stop());

// Raw HTTP, so nothing normalises the path or the method on the way out.
function raw(method, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: stack.port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function assertJsonError(res, status, code) {
  assert.equal(res.status, status, res.body.slice(0, 200));
  assert.match(res.headers['content-type'] ?? '', /^application\/json/);
  assert.equal(JSON.parse(res.body).error.code, code);
  assert.match(res.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
}

test('a malformed percent-escape in the path is a JSON 400, not HTML or a 500', async () => {
  assertJsonError(await raw('GET', '/api/%'), 400, 'bad_request');
  assertJsonError(await raw('GET', '/api/rooms/%zz/messages'), 400, 'bad_request');
});

test('an over-long URI is a JSON 414', async () => {
  assertJsonError(await raw('GET', `/api/rooms?x=${'a'.repeat(9000)}`), 414, 'uri_too_long');
});

test('oversized request headers are a JSON 431 (RFC 6585)', async () => {
  assertJsonError(await raw('GET', '/api/me', { 'x-big': 'b'.repeat(20000) }), 431, 'headers_too_large');
});

test('TRACE is a JSON 405', async () => {
  assertJsonError(await raw('TRACE', '/api/me'), 405, 'method_not_allowed');
});

test('the error pages are not reachable as addresses of their own', async () => {
  const res = await raw('GET', '/_errors/400');
  assert.equal(res.status, 404);
});

test('PUT on the messages address lists both GET and POST in Allow', async () => {
  const res = await alice.request('PUT', `/api/rooms/${roomId}/messages`, {});
  assert.equal(res.status, 405);
  assert.equal(res.body.error.code, 'method_not_allowed');
  assert.deepEqual(res.headers.get('allow').split(/,\s*/).sort(), ['GET', 'POST']);
});

test('HEAD answers like GET without a body', async () => {
  const anon = await raw('HEAD', '/api/me');
  assert.equal(anon.status, 401);
  assert.equal(anon.body, '');
  const me = await raw('HEAD', '/api/me', { cookie: alice.cookie });
  assert.equal(me.status, 200);
  assert.equal(me.body, '');
  assert.match(me.headers['content-type'] ?? '', /^application\/json/);
});
