// A write that finds SQLite's write lock taken by another process tries
// again every millisecond (core/busy.h), not every 100 ms as
// SQLite's own busy handler does after its first 228 ms. Under a stream of
// posts the other worker's threads hand the lock to each other within
// microseconds of each commit; a waiter that looked every 100 ms found it
// taken for seconds (README "Posts beside uploads": posts up to 3.7 s,
// uploads starved to 1-3 a second, in tests/bench/stall.mjs).
//
// No clock is read: the test counts how often the waiting worker thread
// went to sleep and woke (voluntary context switches, /proc/PID/task/TID/
// status) while another process (the sqlite3 CLI) holds the lock and the
// busy timeout is far away. A handler that sleeps 100 ms at a time wakes
// about 10 times a second, so 500 wakes would take it 50 s; it is given 15.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { startStack } from '../lib/stack.mjs';
import { createRoom, holdWriteLock, join, users } from './helpers.mjs';
import { workerPids } from '../lib/procs.mjs';

let stack;
let una;
let room;

before(async () => {
  stack = await startStack({ env: { CHAT_BUSY_TIMEOUT_MS: '60000' } });
  [una] = await users(stack.base, ['una']);
  room = await createRoom(una, 'Queue');
  await join(una, room.id);
});
after(() => stack?.stop());

// Voluntary context switches of every thread of the post workers, by "pid/tid".
function wakes() {
  const all = new Map();
  for (const pid of workerPids(stack, 'post')) {
    let tids = [];
    try { tids = readdirSync(`/proc/${pid}/task`); } catch { continue; }
    for (const tid of tids) {
      try {
        const m = /voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
        if (m) all.set(`${pid}/${tid}`, Number(m[1]));
      } catch { /* the thread ended */ }
    }
  }
  return all;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('a post waiting for another process\'s write lock tries again every millisecond, not every 100 ms, and is written once the lock goes', async () => {
  const lock = await holdWriteLock(stack.db);
  let settled = null;
  let most = 0;
  try {
    const start = wakes();
    const post = una.post(`/api/rooms/${room.id}/messages`, { text: 'after the lock', client_id: 'busy-1' });
    post.then((r) => { settled = r; }, (e) => { settled = e; });
    // Until one thread of a post worker has slept and woken 500 times (the
    // waiting one: the others sit in accept() or on a 1 s timer), or 15 s.
    for (let i = 0; i < 300 && most < 500 && settled === null; i += 1) {
      await sleep(50);
      for (const [key, n] of wakes()) most = Math.max(most, n - (start.get(key) ?? n));
    }
    assert.equal(settled, null, `the post did not wait for the lock: ${settled?.status} ${settled?.text}`);
    assert.ok(most >= 500, `the waiting worker woke only ${most} times in 15 s while the lock was held`);
  } finally {
    await lock.release();
  }
  const r = await (async () => { while (settled === null) await sleep(20); return settled; })();
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.message.text, 'after the lock');
});
