// GET /api/health through nginx against the real workers: 200 {"ok": true}
// without a session while the database answers; 503 JSON {"ok": false} when
// another process holds the write lock past the busy timeout, or when
// a newer release has moved the database to a schema version these workers
// do not speak; 200 again once that is over. It carries no data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { holdWriteLock, sql } from './helpers.mjs';

let stack;

before(async () => {
  stack = await startStack({ env: { CHAT_BUSY_TIMEOUT_MS: '200' } });
});
after(() => stack?.stop());

const health = () => fetch(`${stack.base}/api/health`);

test('health answers 200 {"ok": true} without a session, never cached, with the security headers', async () => {
  const r = await health();
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { ok: true });
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.ok(r.headers.get('content-security-policy'), 'security headers on health too');
  assert.equal(r.headers.get('set-cookie'), null, 'no session made');
});

test('health refuses writes with 405', async () => {
  const r = await fetch(`${stack.base}/api/health`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(r.status, 405);
});

test('health answers 503 {"ok": false} while another process holds the write lock, 200 after', async () => {
  const lock = await holdWriteLock(stack.db);
  try {
    const r = await health();
    const body = await r.json();
    assert.equal(r.status, 503, JSON.stringify(body));
    assert.equal(body.ok, false);
    assert.equal(body.error.code, 'unavailable');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
  } finally {
    await lock.release();
  }
  const r = await health();
  assert.equal(r.status, 200);
});

test('health answers 503 when the database was moved to a newer schema version than the workers speak', async () => {
  const version = Number(sql(stack.db, 'PRAGMA user_version'));
  sql(stack.db, `PRAGMA user_version = ${version + 1}`);
  try {
    const r = await health();
    assert.equal(r.status, 503);
    assert.equal((await r.json()).ok, false);
  } finally {
    sql(stack.db, `PRAGMA user_version = ${version}`);
  }
  assert.equal((await health()).status, 200);
});
