// Accounts and sessions: register, login, logout, me. Each register or login
// costs a quarter second of scrypt, so users are made once and reused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { cpuMs, workerPids } from '../lib/procs.mjs';
import { PASSWORD, assertError, count, createRoom, join } from './helpers.mjs';

let stack;
let alice;

before(async () => {
  stack = await startStack();
  alice = new Client(stack.base);
});
after(() => stack?.stop());

function cookieAttributes(setCookie) {
  const [pair, ...attrs] = setCookie.split(';').map((s) => s.trim());
  const map = new Map(attrs.map((a) => {
    const [k, v = ''] = a.split('=');
    return [k.toLowerCase(), v];
  }));
  return { name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1), attrs: map };
}

test('register answers 201 with the user and a HttpOnly SameSite=Lax session cookie that logs in', async () => {
  const r = await alice.post('/api/register', { username: 'alice', password: PASSWORD });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.user.username, 'alice');
  assert.ok(Number.isInteger(r.body.user.id) && r.body.user.id > 0);
  assert.deepEqual(Object.keys(r.body.user).sort(), ['id', 'username']);
  // The session cookie is the first Set-Cookie (a device cookie follows: device-cookie.test.mjs).
  const c = cookieAttributes(r.headers.getSetCookie()[0]);
  assert.equal(c.name, 'chat_session');
  assert.ok(c.value.length >= 22, 'the cookie carries a token');
  assert.ok(c.attrs.has('httponly'), 'HttpOnly');
  assert.equal(c.attrs.get('samesite'), 'Lax');
  assert.equal(c.attrs.get('path'), '/');
  assert.ok(!c.attrs.has('secure'), 'no Secure over plain HTTP (the cookie would never come back)');
  assert.ok(!r.text.includes(PASSWORD), 'the password is never echoed');
  alice.user = r.body.user;
  const me = await alice.get('/api/me');
  assert.equal(me.status, 200, me.text);
  assert.deepEqual(me.body.user, r.body.user);
  assert.equal(count(stack.db, 'users', "username = 'alice'"), 1);
  assert.ok(!sqlPasswordStoredInClear(), 'the password is stored only as a scrypt hash');
});

function sqlPasswordStoredInClear() {
  return count(stack.db, 'users', `password_hash LIKE '%${PASSWORD}%'`) > 0;
}

test('register accepts the shortest and longest usernames and passwords (passwords counted in bytes)', async () => {
  const shortest = new Client(stack.base);
  const longest = new Client(stack.base);
  const longName = 'L'.repeat(30) + '.-';
  const [a, b] = await Promise.all([
    shortest.post('/api/register', { username: 'a_1', password: '😀😀' }), // 2 characters, 8 bytes
    longest.post('/api/register', { username: longName, password: 'p'.repeat(1024) }),
  ]);
  assert.equal(a.status, 201, a.text);
  assert.equal(b.status, 201, b.text);
  assert.equal(b.body.user.username, longName);
});

test('register refuses malformed usernames with 400 invalid_username and stores nothing', async () => {
  const before = count(stack.db, 'users');
  const bad = ['ab', 'x'.repeat(33), 'has space', 'émile', 'a/b', '<script>', 'tab\tname', 'nul\u0000name', '', 42, null, ['abc'], undefined];
  const anon = new Client(stack.base);
  for (const username of bad) {
    const r = await anon.post('/api/register', { username, password: PASSWORD });
    assertError(r, 400, 'invalid_username', JSON.stringify(username));
    assert.equal(r.headers.get('set-cookie'), null, 'no cookie on a refused register');
  }
  assert.equal(count(stack.db, 'users'), before);
});

test('register refuses passwords under 8 or over 1024 bytes, with NUL, or not strings: 400 invalid_password', async () => {
  const before = count(stack.db, 'users');
  const bad = ['1234567', 'é€x', 'p'.repeat(1025), 'password\u0000tail', 12345678, null, undefined];
  const anon = new Client(stack.base);
  for (const password of bad) {
    const r = await anon.post('/api/register', { username: 'newcomer', password });
    assertError(r, 400, 'invalid_password', JSON.stringify(password)?.slice(0, 40));
  }
  assert.equal(count(stack.db, 'users'), before);
});

test('register answers 409 username_taken for a name taken in any letter case', async () => {
  const before = count(stack.db, 'users');
  const anon = new Client(stack.base);
  const names = ['ALICE', 'Alice'];
  const replies = await Promise.all(
    names.map((username) => anon.post('/api/register', { username, password: 'another password' })));
  replies.forEach((r, i) => {
    assertError(r, 409, 'username_taken', names[i]);
    assert.equal(r.headers.get('set-cookie'), null);
  });
  assert.equal(count(stack.db, 'users'), before);
});

test('login answers 200 with the user and a new session; the earlier session stays valid', async () => {
  const second = new Client(stack.base);
  const r = await second.post('/api/login', { username: 'alice', password: PASSWORD });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.user, alice.user);
  assert.ok(second.cookie.startsWith('chat_session='));
  assert.notEqual(second.cookie, alice.cookie, 'each login is its own session');
  assert.equal((await second.get('/api/me')).status, 200);
  assert.equal((await alice.get('/api/me')).status, 200);
});

test('login accepts the username in another letter case and answers the stored spelling', async () => {
  const c = new Client(stack.base);
  const r = await c.post('/api/login', { username: 'ALICE', password: PASSWORD });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.user, alice.user);
});

test('login answers the same 401 invalid_credentials for an unknown user and a wrong password', async () => {
  const c = new Client(stack.base);
  const sessions = count(stack.db, 'sessions');
  const [wrong, unknown, malformed] = await Promise.all([
    c.post('/api/login', { username: 'alice', password: 'not the password' }),
    c.post('/api/login', { username: 'nobody_here', password: 'not the password' }),
    c.post('/api/login', { username: 'x', password: 'short' }),
  ]);
  for (const r of [wrong, unknown, malformed]) {
    assertError(r, 401, 'invalid_credentials');
    assert.equal(r.headers.get('set-cookie'), null);
  }
  assert.deepEqual(unknown.body, wrong.body, 'the answers cannot tell the two apart');
  assert.deepEqual(malformed.body, wrong.body);
  assert.equal(c.cookie, '');
  assert.equal(count(stack.db, 'sessions'), sessions, 'no session made');
});

// Measured as CPU time of the auth workers (tests/lib/procs.mjs cpuMs), not
// as wall-clock time: the work done does not change when the machine is
// busy (a wall-clock ratio did, and a sanitizer build is slower throughout).
// Two logins of each kind, one after the other, nothing else running on the stack.
test('login spends the same scrypt work on an unknown user as on a wrong password', async () => {
  const c = new Client(stack.base);
  const auth = workerPids(stack, 'auth');
  assert.ok(auth.length > 0, 'the auth workers are found');
  const work = async (names) => {
    const before = cpuMs(auth);
    for (const username of names) {
      const r = await c.post('/api/login', { username, password: 'not the password' });
      assert.equal(r.status, 401, r.text);
    }
    return cpuMs(auth) - before;
  };
  const wrong = await work(['alice', 'alice']);
  const unknown = await work(['nobody_3', 'nobody_4']);
  console.log(`login CPU time for two logins: wrong password ${wrong} ms, unknown user ${unknown} ms`);
  // scrypt at N=2^15, r=8, p=3 takes about 100 ms of CPU; 20 ms a login is far below that.
  assert.ok(wrong >= 40, `a wrong password costs real hashing work (${wrong} ms of CPU for two)`);
  assert.ok(unknown >= wrong / 2, `unknown user ${unknown} ms vs wrong password ${wrong} ms of CPU`);
});

test('login answers 400 invalid_json when username or password is not a string', async () => {
  const c = new Client(stack.base);
  for (const body of [{ username: 'alice' }, { password: PASSWORD }, { username: 1, password: PASSWORD }, { username: 'alice', password: ['x'] }, {}]) {
    assertError(await c.post('/api/login', body), 400, 'invalid_json', JSON.stringify(body));
  }
});

test('logout answers 204, clears the cookie, and a replay of the old cookie is refused with 401', async () => {
  const c = new Client(stack.base);
  assert.equal((await c.post('/api/login', { username: 'alice', password: PASSWORD })).status, 200);
  const oldCookie = c.cookie;
  const sessions = count(stack.db, 'sessions');
  const r = await c.post('/api/logout');
  assert.equal(r.status, 204, r.text);
  assert.equal(r.text, '');
  const cleared = cookieAttributes(r.headers.get('set-cookie'));
  assert.equal(cleared.name, 'chat_session');
  assert.equal(cleared.value, '');
  assert.equal(cleared.attrs.get('max-age'), '0');
  assert.equal(cleared.attrs.get('path'), '/');
  assert.equal(count(stack.db, 'sessions'), sessions - 1, 'the session row is gone');

  const replay = new Client(stack.base);
  replay.cookie = oldCookie;
  assertError(await replay.get('/api/me'), 401, 'not_logged_in');
  assertError(await replay.post('/api/logout'), 401, 'not_logged_in');
  assertError(await replay.get('/api/rooms'), 401, 'not_logged_in');
  assert.equal((await alice.get('/api/me')).status, 200, "alice's other session is untouched");
});

test('logout without a session answers 401 not_logged_in', async () => {
  assertError(await new Client(stack.base).post('/api/logout'), 401, 'not_logged_in');
});

test('me answers the user with room null, then the room after join, then null after leave', async () => {
  let me = await alice.get('/api/me');
  assert.equal(me.status, 200);
  assert.deepEqual(me.body, { user: alice.user, room: null });
  const room = await createRoom(alice, 'Me Room');
  await join(alice, room.id);
  me = await alice.get('/api/me');
  assert.equal(me.body.room.id, room.id);
  assert.equal(me.body.room.name, 'Me Room');
  assert.equal(me.body.room.member_count, 1);
  assert.deepEqual(me.body.room.owner, alice.user);
  assert.equal((await alice.post(`/api/rooms/${room.id}/leave`)).status, 204);
  me = await alice.get('/api/me');
  assert.equal(me.body.room, null);
});

test('me without a session answers 401 not_logged_in', async () => {
  const r = await new Client(stack.base).get('/api/me');
  assertError(r, 401, 'not_logged_in');
  assert.equal(r.headers.get('cache-control'), 'no-store');
});
