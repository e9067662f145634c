// Shared addresses and device cookies (core/device.h, core/throttle.h;
// OWASP "Slow Down Online Guessing Attacks with Device Cookies"): someone
// spraying failed logins at *other* accounts from an address fills its
// address bucket, yet the owner of an account still logs in from that same
// address with the browser that logged in to that account before, because it
// carries a signed device cookie naming the account. A forged, altered or
// foreign cookie is no help; the device's own failures and the per-account
// limit still hold it back.
//
// Requests come from different loopback addresses (127.0.0.x), as in
// login-throttle.test.mjs. Limits are tiny: 3 per pair (and per device), 8
// per address, 12 per account.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStack } from '../lib/stack.mjs';
import { PASSWORD, assertError, collectReply } from './helpers.mjs';

let stack;

before(async () => {
  stack = await startStack({
    env: {
      CHAT_LOGIN_PAIR_BURST: '3',
      CHAT_LOGIN_ADDRESS_BURST: '8',
      CHAT_LOGIN_ACCOUNT_BURST: '12',
      CHAT_LOGIN_WINDOW_MINUTES: '10',
    },
  });
});
after(() => stack?.stop());

// One request from the loopback address `from` with an optional Cookie
// header; answers like Client.request plus `cookies`, the Set-Cookie lines.
function request(from, method, path, { body, cookie } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    if (cookie) headers.cookie = cookie;
    const req = http.request({ host: '127.0.0.1', port: stack.port, localAddress: from, path, method, headers }, (res) => {
      collectReply(res, (r) => resolve({ ...r, cookies: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const login = (from, username, password, cookie) => request(from, 'POST', '/api/login', { body: { username, password }, cookie });
const named = (r, name) => r.cookies.find((c) => c.startsWith(`${name}=`));
const pairOf = (line) => line.split(';')[0];

// Logs in (or signs up) from `from` and returns {session, device}: the
// Cookie pairs the browser keeps.
async function browserOf(from, username, { register = false } = {}) {
  const r = register
    ? await request(from, 'POST', '/api/register', { body: { username, password: PASSWORD } })
    : await login(from, username, PASSWORD);
  assert.equal(r.status, register ? 201 : 200, r.text);
  assert.ok(named(r, 'chat_device'), `a device cookie for ${username}: ${r.cookies.join(' | ')}`);
  return { session: pairOf(named(r, 'chat_session')), device: pairOf(named(r, 'chat_device')) };
}

function assertLimited(r, what) {
  assertError(r, 429, 'rate_limited', what);
  assert.ok(Number(r.headers.get('retry-after')) >= 1, `${what}: Retry-After`);
  assert.deepEqual(r.cookies, [], `${what}: no cookie`);
}

// Fails logins at accounts that do not exist from `from` until its address
// bucket answers 429; returns how many were refused with 401 first.
async function spray(from, tag) {
  for (let i = 0; i < 50; i += 1) {
    const r = await login(from, `${tag}${i}`, 'not the password');
    if (r.status === 429) return i;
    assertError(r, 401, 'invalid_credentials', `spray ${i}`);
  }
  throw new Error('the address bucket never filled');
}

test('register and login set a device cookie after the session cookie: HttpOnly, SameSite=Strict, Path=/, 180 days, and it opens no session', async () => {
  for (const r of [
    await request('127.0.0.10', 'POST', '/api/register', { body: { username: 'cookied', password: PASSWORD } }),
    await login('127.0.0.10', 'cookied', PASSWORD),
  ]) {
    assert.ok(r.status === 201 || r.status === 200, r.text);
    assert.equal(r.cookies.length, 2, r.cookies.join(' | '));
    assert.match(r.cookies[0], /^chat_session=/);
    assert.match(r.cookies[1], /^chat_device=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=15552000; HttpOnly; SameSite=Strict$/);
    const me = await request('127.0.0.10', 'GET', '/api/me', { cookie: pairOf(r.cookies[1]) });
    assertError(me, 401, 'not_logged_in', 'a device cookie is no session');
  }
  const bad = await login('127.0.0.10', 'cookied', 'wrong password');
  assertError(bad, 401, 'invalid_credentials');
  assert.deepEqual(bad.cookies, [], 'no device cookie for a failed login');
});

test('after failed logins for other names from a shared address, the owner still logs in there with the browser that logged in before; without it, or with a forged or foreign cookie, 429', async () => {
  const office = '127.0.0.20';
  const owner = await browserOf(office, 'owner', { register: true });
  const other = await browserOf('127.0.0.21', 'someone', { register: true });

  const refused = await spray(office, 'sprayed');
  assert.equal(refused, 8, 'the address bucket holds 8 failures');
  // The control: the address really is held, for the owner's right password too.
  assertLimited(await login(office, 'owner', PASSWORD), 'the owner without a device cookie');

  // The owner's browser, while the attacker keeps going.
  for (let round = 0; round < 3; round += 1) {
    assertLimited(await login(office, `sprayed_more${round}`, 'nope'), `attacker round ${round}`);
    const r = await login(office, 'owner', PASSWORD, `${owner.session}; ${owner.device}`);
    assert.equal(r.status, 200, `round ${round}: ${r.text}`);
    const me = await request(office, 'GET', '/api/me', { cookie: pairOf(named(r, 'chat_session')) });
    assert.equal(me.body?.user?.username, 'owner', me.text);
    assert.ok(named(r, 'chat_device'), 'a fresh device cookie');
  }

  const [name, value] = owner.device.split('=');
  const flipped = `${name}=${value[0] === 'A' ? 'B' : 'A'}${value.slice(1)}`;
  const cases = [
    ['an altered device cookie', flipped],
    ['the device cookie of another account', other.device],
    ['the https cookie name over plain http', `__Host-${owner.device}`],
    ['a session cookie in its place', `chat_device=${owner.session.split('=')[1]}`],
  ];
  for (const [what, cookie] of cases) assertLimited(await login(office, 'owner', PASSWORD, cookie), what);
  // The other account's own browser is trusted for that account only.
  assert.equal((await login(office, 'someone', PASSWORD, other.device)).status, 200);
});

test('a device cookie is locked out after its own failures (then it counts as an untrusted client)', async () => {
  const office = '127.0.0.30';
  const owner = await browserOf(office, 'forgetful', { register: true });
  await spray(office, 'sprayed30_');
  for (let i = 0; i < 3; i += 1) {
    assertError(await login(office, 'forgetful', `wrong ${i}`, owner.device), 401, 'invalid_credentials', `wrong ${i}`);
  }
  assertLimited(await login(office, 'forgetful', PASSWORD, owner.device), 'the device bucket is full, the address too');
  // Another address without any cookie is not affected by either.
  assert.equal((await login('127.0.0.31', 'forgetful', PASSWORD)).status, 200);
});

test('the per-account limit still applies to a trusted browser', async () => {
  const home = '127.0.0.40';
  const owner = await browserOf(home, 'besieged2', { register: true });
  // 12 failures at the account from four addresses (3 each, the pair limit).
  for (let a = 41; a <= 44; a += 1) {
    for (let i = 0; i < 3; i += 1) {
      assertError(await login(`127.0.0.${a}`, 'besieged2', `guess ${a}.${i}`), 401, 'invalid_credentials');
    }
  }
  assertLimited(await login(home, 'besieged2', PASSWORD, owner.device), 'account bucket full');
});
