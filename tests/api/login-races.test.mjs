// A login in flight never hands out a session the account no longer allows
// (cgi-bin/auth.cpp HandleLogin, core/users.h AccountUnchanged): the session
// is created only in the write transaction that re-reads the account and
// finds the row it checked, with the password hash it checked, not disabled;
// otherwise the login answers 401 invalid_credentials like a wrong password.
//
// Each race is driven deterministically: the workers run with
// CHAT_TEST_GATE_DIR (core/test_gate.h), so a login whose gate file exists
// stops after its scrypt check, before its write transaction, and says so
// with a ".reached" file. The test then changes the password, resets it with
// chatctl, disables or deletes the account (and lets someone sign up, who,
// when ids were reused, got the deleted account's id), opens the gate and
// reads the login's answer. Every round hits the window; before the fix the
// login got 200 and a working cookie (of the *new* account after a delete and
// a sign-up), or 500 "FOREIGN KEY constraint failed" after a delete alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, ROOT, waitFor } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { PASSWORD, assertError, count } from './helpers.mjs';

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 50);
// Rounds run in a few lanes side by side (each its own account and gate), so
// 50 rounds of three scrypt-bound steps take less time; every lane keeps one
// auth worker at its gate, the others answer meanwhile.
const LANES = 3;
const lanes = (rounds, body) => Promise.all(Array.from({ length: LANES }, (_, lane) => (async () => {
  for (let i = lane; i < rounds; i += LANES) await body(lane, i);
})()));
const CHATCTL = join(process.env.CHAT_BIN || join(ROOT, 'build', 'bin'), 'chatctl');
let stack;
let gates;

before(async () => {
  gates = mkdtempSync(join(tmpdir(), 'chat-gates-'));
  stack = await startStack({
    env: {
      CHAT_TEST_GATE_DIR: gates,
      CHAT_WORKERS: String(2 * LANES), // one per lane held at a gate, the others answer meanwhile
      // Every raced login counts as a failed one; keep the throttle out of the way.
      CHAT_LOGIN_PAIR_BURST: '100000',
      CHAT_LOGIN_ADDRESS_BURST: '100000',
      CHAT_LOGIN_ACCOUNT_BURST: '100000',
    },
  });
});
after(async () => {
  await stack?.stop();
  if (gates) rmSync(gates, { recursive: true, force: true });
});

// Runs chatctl on the stack's database (without blocking the other lanes);
// resolves with its output once it exited 0.
function ctl(args, input = '') {
  return new Promise((resolve, reject) => {
    const p = spawn(CHATCTL, ['--db', stack.db, ...args]);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`chatctl ${args.join(' ')}: exit ${code}: ${err}`))));
    // A command that reads nothing may exit before its stdin is written:
    // that EPIPE is no failure (the exit code says how it went).
    p.stdin.on('error', () => {});
    p.stdin.end(input);
  });
}

// Starts a login of `username` that stops at its gate, runs `during()` while
// it waits there, opens the gate and returns the login's answer.
async function loginAcross(username, password, during) {
  const gate = join(gates, `login-${username.toLowerCase()}`);
  writeFileSync(gate, '');
  const reached = `${gate}.reached`;
  const client = new Client(stack.base);
  const pending = client.post('/api/login', { username, password });
  try {
    await waitFor(() => existsSync(reached), 30000, `login of ${username} at its gate`);
    await during();
  } finally {
    rmSync(gate, { force: true });
  }
  const r = await pending;
  rmSync(reached, { force: true });
  return { r, client };
}

// The login lost: 401 invalid_credentials, no cookie, and the cookie jar
// (empty) gets nobody in.
async function assertRefused({ r, client }, what) {
  assertError(r, 401, 'invalid_credentials', what);
  assert.equal(r.headers.get('set-cookie'), null, `${what}: no session cookie`);
  assertError(await client.get('/api/me'), 401, 'not_logged_in', `${what}: no working session`);
}

const pw = (i) => `password number ${i}`;

test(`a login in flight across POST /api/password gets 401 and no session (${ROUNDS} rounds)`, async () => {
  const owners = [];
  for (let lane = 0; lane < LANES; lane += 1) {
    owners.push(new Client(stack.base));
    await owners[lane].register(`changer${lane}`, pw(0));
  }
  const next = owners.map(() => 0); // each lane's current password number
  await lanes(ROUNDS, async (lane, i) => {
    const owner = owners[lane];
    const n = next[lane];
    const out = await loginAcross(`changer${lane}`, pw(n), async () => {
      const c = await owner.post('/api/password', { old: pw(n), new: pw(n + 1) });
      assert.equal(c.status, 204, `round ${i}: change: ${c.text}`);
    });
    next[lane] = n + 1;
    await assertRefused(out, `round ${i}`);
    assert.equal(count(stack.db, 'sessions', `user_id = ${owner.user.id}`), 1, `round ${i}: only the changer's own session`);
  });
  // A control: the gate itself lets a login through when nothing changes.
  const ok = await loginAcross('changer0', pw(next[0]), async () => {});
  assert.equal(ok.r.status, 200, ok.r.text);
  assert.equal((await ok.client.get('/api/me')).body.user.id, owners[0].user.id);
});

test(`a login in flight across chatctl user reset-password gets 401 and no session (${ROUNDS} rounds)`, async () => {
  const ids = [];
  for (let lane = 0; lane < LANES; lane += 1) {
    const c = new Client(stack.base);
    await c.register(`resetme${lane}`, pw(0));
    ids.push(c.user.id);
  }
  const next = ids.map(() => 0);
  await lanes(ROUNDS, async (lane, i) => {
    const n = next[lane];
    const out = await loginAcross(`resetme${lane}`, pw(n), async () => {
      assert.match(await ctl(['user', 'reset-password', `resetme${lane}`], `${pw(n + 1)}\n`), /new password for resetme/);
    });
    next[lane] = n + 1;
    await assertRefused(out, `round ${i}`);
    assert.equal(count(stack.db, 'sessions', `user_id = ${ids[lane]}`), 0, `round ${i}: no session at all`);
  });
  assert.equal((await new Client(stack.base).post('/api/login', { username: 'resetme0', password: pw(next[0]) })).status, 200);
});

test(`a login in flight across chatctl user disable gets 401 and no session (${Math.ceil(ROUNDS / 5)} rounds)`, async () => {
  const owner = new Client(stack.base);
  await owner.register('disableme', PASSWORD);
  for (let i = 0; i < Math.ceil(ROUNDS / 5); i += 1) {
    const out = await loginAcross('disableme', PASSWORD, async () => {
      await ctl(['user', 'disable', 'disableme']);
    });
    await assertRefused(out, `round ${i}`);
    assert.equal(count(stack.db, 'sessions', `user_id = ${owner.user.id}`), 0, `round ${i}`);
    await ctl(['user', 'enable', 'disableme']);
  }
});

test(`a login in flight across chatctl user delete gets 401, never 500 nor someone else's session, with or without a sign-up meanwhile (${ROUNDS} rounds)`, async () => {
  const seen = new Set();
  await lanes(ROUNDS, async (lane, i) => {
    const victim = new Client(stack.base);
    await victim.register(`gone${i}`, PASSWORD);
    seen.add(victim.user.id);
    let newcomer = null;
    const out = await loginAcross(`gone${i}`, PASSWORD, async () => {
      assert.match(await ctl(['user', 'delete', `gone${i}`]), /deleted user/);
      // Every other round someone signs up while the login waits: with
      // reused ids they got the deleted account's id, and the login their
      // session. Without a sign-up the old login failed on the foreign key.
      if (i % 2 === 0) {
        newcomer = new Client(stack.base);
        await newcomer.register(`new${i}`, PASSWORD);
      }
    });
    await assertRefused(out, `round ${i}${newcomer ? ' (with a sign-up)' : ''}`);
    if (newcomer) {
      assert.ok(!seen.has(newcomer.user.id), `round ${i}: the newcomer's id ${newcomer.user.id} was used before`);
      seen.add(newcomer.user.id);
      assert.equal(count(stack.db, 'sessions', `user_id = ${newcomer.user.id}`), 1, `round ${i}: only the newcomer's own session`);
    }
  });
  assert.equal(count(stack.db, 'users', "username LIKE 'gone%'"), 0);
});
