// Login throttling by the programs (core/throttle.h), on top of nginx's
// per-address request limit: failed logins are counted per (account,
// address), per address and per account, shared by every worker; a full
// bucket answers 429 rate_limited with Retry-After before any password is
// checked, even the right one. Requests come from different loopback
// addresses (127.0.0.x; Linux routes all of 127/8 to lo), which nginx hands
// the programs as REMOTE_ADDR, so "the owner logs in from elsewhere" is real.
// Limits are tiny here: 3 per pair, 8 per address, 12 per account.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, assertError, collectReply, count } from './helpers.mjs';

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
  for (const name of ['victim', 'typo', 'besieged', 'racer', 'robbed']) {
    await new Client(stack.base).register(name);
  }
});
after(() => stack?.stop());

// POST `path` from the loopback address `from`; answers like Client.request.
function postFrom(from, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request({
      host: '127.0.0.1',
      port: stack.port,
      localAddress: from,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
    }, (res) => collectReply(res, resolve));
    req.on('error', reject);
    req.end(payload);
  });
}

const loginFrom = (from, username, password) => postFrom(from, '/api/login', { username, password });

function assertLimited(r, what) {
  assertError(r, 429, 'rate_limited', what);
  assert.ok(Number(r.headers.get('retry-after')) >= 1, `${what}: Retry-After ${r.headers.get('retry-after')}`);
  assert.equal(r.headers.get('set-cookie'), null, `${what}: no session`);
}

test('a guesser gets 429 after 3 failures at one account from one address, even with the right password; the owner logs in from another address', async () => {
  for (let i = 0; i < 3; i += 1) {
    assertError(await loginFrom('127.0.0.2', 'victim', `guess number ${i}`), 401, 'invalid_credentials', `guess ${i}`);
  }
  assertLimited(await loginFrom('127.0.0.2', 'victim', 'guess number 3'), 'the 4th guess');
  assertLimited(await loginFrom('127.0.0.2', 'victim', PASSWORD), 'the right password from the guesser');
  const sessions = count(stack.db, 'sessions');
  const owner = await loginFrom('127.0.0.3', 'victim', PASSWORD);
  assert.equal(owner.status, 200, `the owner from elsewhere: ${owner.text}`);
  assert.equal(count(stack.db, 'sessions'), sessions + 1);
  assertLimited(await loginFrom('127.0.0.2', 'VICTIM', PASSWORD), 'the same account in other letter case');
});

test('one address trying many accounts is stopped by its address bucket; other addresses are not', async () => {
  for (let i = 0; i < 8; i += 1) {
    assertError(await loginFrom('127.0.0.4', `sprayed${i}`, 'password123'), 401, 'invalid_credentials', `account ${i}`);
  }
  assertLimited(await loginFrom('127.0.0.4', 'victim', PASSWORD), 'a 9th account from the same address');
  assertLimited(await loginFrom('127.0.0.4', 'x', 'y'), 'even a malformed username');
  assert.equal((await loginFrom('127.0.0.5', 'victim', PASSWORD)).status, 200, 'another address');
});

test('many addresses at one account fill its account bucket: then everyone waits, its owner too (the documented trade-off)', async () => {
  const guesses = [];
  for (let a = 0; a < 6; a += 1) {
    for (let i = 0; i < 2; i += 1) guesses.push(loginFrom(`127.0.1.${a + 1}`, 'besieged', `guess ${a}.${i}`));
  }
  for (const r of await Promise.all(guesses)) assertError(r, 401, 'invalid_credentials');
  assertLimited(await loginFrom('127.0.1.99', 'besieged', PASSWORD), 'the owner from a fresh address');
  assert.equal((await loginFrom('127.0.1.99', 'victim', PASSWORD)).status, 200, 'other accounts are not affected');
});

test('a successful login empties the pair bucket: typos followed by the right password never add up', async () => {
  for (let round = 0; round < 3; round += 1) {
    for (let i = 0; i < 2; i += 1) {
      assertError(await loginFrom('127.0.0.6', 'typo', 'tpyo tpyo'), 401, 'invalid_credentials', `round ${round}`);
    }
    assert.equal((await loginFrom('127.0.0.6', 'typo', PASSWORD)).status, 200, `round ${round}: the right password`);
  }
});

test('10 guesses at once from one address: no more than 3 reach the password check', async () => {
  const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => loginFrom('127.0.0.7', 'racer', `parallel ${i}`)));
  const checked = replies.filter((r) => r.status === 401);
  const limited = replies.filter((r) => r.status === 429);
  assert.equal(checked.length + limited.length, 10, replies.map((r) => r.status).join(' '));
  assert.ok(checked.length <= 3, `${checked.length} guesses were checked`);
  for (const r of limited) assertLimited(r, 'parallel');
});

test('guesses at the old password of a stolen session are throttled like logins', async () => {
  const owner = new Client(stack.base);
  assert.equal((await owner.post('/api/login', { username: 'robbed', password: PASSWORD })).status, 200);
  const send = (old) => postFrom('127.0.0.8', '/api/password', { old, new: 'taken over now' },
    { cookie: owner.cookie, origin: `http://127.0.0.1:${stack.port}` });
  for (let i = 0; i < 3; i += 1) assertError(await send(`guess ${i}`), 403, 'wrong_password', `guess ${i}`);
  assertLimited(await send('guess 3'), 'the 4th guess');
  assertLimited(await send(PASSWORD), 'the right old password from the thief');
  assert.equal((await owner.get('/api/me')).status, 200, 'the owner is still logged in');
  const fromHome = await owner.post('/api/password', { old: PASSWORD, new: 'changed by the owner' });
  assert.equal(fromHome.status, 204, `the owner changes it from another address: ${fromHome.text}`);
});
