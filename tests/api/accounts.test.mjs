// Accounts beyond log in and out: changing the password ends every other
// session; a password hash that is corrupted in the database never logs
// anyone in. (Session expiry: session-expiry.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, assertError, count, sql } from './helpers.mjs';

let stack;

before(async () => {
  stack = await startStack({
    env: { CHAT_LOGIN_PAIR_BURST: '1000' }, // the corrupted-hash test fails many logins on purpose
  });
});
after(() => stack?.stop());

async function login(username, password = PASSWORD) {
  const c = new Client(stack.base);
  const r = await c.post('/api/login', { username, password });
  return { c, r };
}

test('changing the password ends every other session, keeps this one, and only the new password logs in', async () => {
  const a = new Client(stack.base);
  await a.register('pwchanger');
  const others = [];
  for (let i = 0; i < 3; i += 1) {
    const { c, r } = await login('pwchanger');
    assert.equal(r.status, 200, r.text);
    others.push(c);
  }
  const stolen = others[0].cookie;
  const r = await a.post('/api/password', { old: PASSWORD, new: 'a brand new secret' });
  assert.equal(r.status, 204, r.text);
  assert.equal((await a.get('/api/me')).status, 200, 'the session that changed it stays');
  for (const c of others) assertError(await c.get('/api/me'), 401, 'not_logged_in', 'another session');
  const replay = new Client(stack.base);
  replay.cookie = stolen;
  assertError(await replay.get('/api/me'), 401, 'not_logged_in', 'a copied cookie from before the change');
  assertError((await login('pwchanger')).r, 401, 'invalid_credentials', 'the old password');
  assert.equal((await login('pwchanger', 'a brand new secret')).r.status, 200, 'the new password');
  assert.equal(count(stack.db, 'sessions', `user_id = ${a.user.id}`), 2);
});

test('a password change with a wrong old password answers 403 wrong_password and changes nothing', async () => {
  const a = new Client(stack.base);
  await a.register('pwwrong');
  const other = (await login('pwwrong')).c;
  const hash = sql(stack.db, `SELECT password_hash FROM users WHERE id = ${a.user.id}`);
  const cases = [
    [{ old: 'not the password', new: 'a brand new secret' }, 403, 'wrong_password'],
    [{ old: '', new: 'a brand new secret' }, 403, 'wrong_password'],
    [{ old: PASSWORD, new: 'short' }, 400, 'invalid_password'],
    [{ old: PASSWORD, new: 'x'.repeat(1025) }, 400, 'invalid_password'],
    [{ old: PASSWORD, new: 'with a \u0000 NUL' }, 400, 'invalid_password'],
    [{ old: PASSWORD, new: 12345678 }, 400, 'invalid_json'],
    [{ old: PASSWORD }, 400, 'invalid_json'],
    [{ new: 'a brand new secret' }, 400, 'invalid_json'],
  ];
  for (const [body, status, code] of cases) {
    assertError(await a.post('/api/password', body), status, code, JSON.stringify(body).slice(0, 60));
  }
  assert.equal(sql(stack.db, `SELECT password_hash FROM users WHERE id = ${a.user.id}`), hash);
  assert.equal((await other.get('/api/me')).status, 200, 'no session was ended');
  assertError(await new Client(stack.base).post('/api/password', { old: PASSWORD, new: 'a brand new secret' }),
    401, 'not_logged_in', 'without a session');
  assertError(await a.get('/api/password'), 405, 'method_not_allowed', 'GET');
  assertError(await a.post('/api/password', { old: PASSWORD, new: 'a brand new secret' }, { origin: 'http://evil.example' }),
    403, 'bad_origin', 'cross-site');
  assert.equal(sql(stack.db, `SELECT password_hash FROM users WHERE id = ${a.user.id}`), hash);
});

test('a corrupted password hash in the database never logs in, and costs no more than a normal check', async () => {
  const a = new Client(stack.base);
  await a.register('corrupted');
  const good = sql(stack.db, `SELECT password_hash FROM users WHERE id = ${a.user.id}`);
  assert.match(good, /^\$s1\$0f0803\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$/);
  const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const corruptions = {
    'last hash character changed': flip(good, good.length - 3),
    'a salt character changed': flip(good, 14),
    'hash truncated': good.slice(0, -10),
    'hash part empty': good.slice(0, 36),
    'salt and hash empty': '$s1$0f0803$$',
    'parameters r=255 p=255 (gigabytes of work)': good.replace('$0f0803$', '$0fffff$'),
    'parameters N=2^31': good.replace('$0f0803$', '$1f0803$'),
    'parameters zero': good.replace('$0f0803$', '$000000$'),
    'another scheme ($s0$)': good.replace('$s1$', '$s0$'),
    'empty string': '',
    'the password in plain text': PASSWORD,
    'trailing data': good + '$x',
  };
  const sessions = count(stack.db, 'sessions', `user_id = ${a.user.id}`);
  for (const [what, hash] of Object.entries(corruptions)) {
    sql(stack.db, `UPDATE users SET password_hash = '${hash.replaceAll("'", "''")}' WHERE id = ${a.user.id}`);
    const started = Date.now();
    const { r } = await login('corrupted');
    assertError(r, 401, 'invalid_credentials', what);
    assert.ok(Date.now() - started < 20000, `${what}: answered`);
    assert.equal(r.headers.get('set-cookie'), null, what);
  }
  assert.equal(count(stack.db, 'sessions', `user_id = ${a.user.id}`), sessions, 'no session was made');
  sql(stack.db, `UPDATE users SET password_hash = '${good}' WHERE id = ${a.user.id}`);
  assert.equal((await login('corrupted')).r.status, 200, 'the intact hash logs in again (the workers survived)');
});
