// The kill test: people post and poll while a random worker (of any
// program) is killed with SIGKILL every 200 ms. Clients behave as the page
// does: a send that fails (503 from nginx, a dropped connection) is retried
// with the same client_id until it is acknowledged; a poll that fails is
// retried with the same cursor. Afterwards every acknowledged message is in
// the database exactly once, every reader saw the same messages in the same
// order, PRAGMA integrity_check says ok, and every program again has all its
// workers (multiwatch never gave up). CHAOS_SECONDS sets how long the
// killing lasts: 15 s in `make test`, 60 s in `make chaos`; it goes on (up
// to four times as long) until each kind of kill mid-request was seen at
// least once: a read broken by its worker's death (5xx), a post whose
// worker died before committing (retried, then 201) and one whose worker
// died after committing but before answering (retried, then 200: the
// client_id found it). Without all three the test would prove nothing.
import { test, before, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { startStack, waitFor } from '../lib/stack.mjs';
import { PROGRAMS, busy, supervisorPids, workerPids } from '../lib/procs.mjs';
import { assertAscending, createRoom, join, sql, users } from './helpers.mjs';

const SECONDS = Number(process.env.CHAOS_SECONDS || 15);
const WORKERS = 2;
const POSTERS = 6;
const READERS = 2;

let stack;
let people; // POSTERS posters then READERS readers, all in one room
let room;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000000', CHAT_WORKERS: String(WORKERS), CHAT_FILES_WORKERS: String(WORKERS) } });
  people = await users(stack.base, Array.from({ length: POSTERS + READERS }, (_, i) => `kill${i}`));
  room = await createRoom(people[0], 'Under fire');
  for (const p of people) await join(p, room.id);
});
after(() => stack?.stop());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Sends until the answer is not a failure of the machine (5xx or no answer).
async function persist(send, tally) {
  for (;;) {
    let res = null;
    try {
      res = await send();
    } catch {
      // connection dropped: retry like a browser's fetch would
    }
    if (res && res.status < 500) return res;
    if (res) {
      // What a browser sees while a worker is down: the API's JSON error shape.
      assert.ok(res.status === 502 || res.status === 503, `${res.status} ${res.text}`);
      assert.equal(typeof res.body?.error?.code, 'string', res.text);
      assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After on a 5xx');
    }
    tally.failures += 1;
    if (res) tally.statuses[res.status] = (tally.statuses[res.status] ?? 0) + 1;
    await sleep(20 + Math.random() * 30);
  }
}

test(`${POSTERS} posters and ${READERS} readers while a random worker is SIGKILLed every 200 ms for ${SECONDS} s or more: nothing lost, nothing doubled, one order`, { timeout: (4 * SECONDS + 120) * 1000 }, async () => {
  const path = `/api/rooms/${room.id}/messages`;
  const tally = { failures: 0, statuses: {}, kills: 0, inFlight: 0, readsBroken: 0, retriedToNew: 0, retriedToStored: 0 };
  // A read broken by its worker's death is retried either by the client
  // (a 5xx or a dropped connection) or, on a kept FastCGI connection, by
  // nginx itself: a GET that fails on a cached connection before any of its
  // answer arrived is sent again on a new one (ngx_http_upstream_next gives
  // a cached peer another try; never for a POST), and nginx's log says so.
  // Either way the reader must end with exactly the stored messages (below).
  const nginxRetriedReads = () => (readFileSync(stack.log, 'latin1').match(
    /(upstream prematurely closed connection|Connection reset by peer\)) while reading response header from upstream, .*request: "GET /g) ?? []).length;
  const readsBroken = () => tally.readsBroken + (tally.readsBroken > 0 ? 0 : nginxRetriedReads());
  const allKinds = () => readsBroken() > 0 && tally.retriedToNew > 0 && tally.retriedToStored > 0;
  let running = true;

  // Every 200 ms one kill: of a worker caught in the middle of a request
  // when one is seen within the period (so crashes land inside transactions
  // and before replies, not only in idle accept()s), else of a random one.
  const killer = (async () => {
    const end = Date.now() + SECONDS * 1000;
    const last = Date.now() + 4 * SECONDS * 1000;
    while (Date.now() < end || (!allKinds() && Date.now() < last)) {
      const tick = Date.now() + 200;
      const all = workerPids(stack);
      let victim = null;
      while (victim === null && Date.now() < tick) {
        victim = all.find(busy) ?? null;
        if (victim === null) await sleep(2);
      }
      if (victim !== null) tally.inFlight += 1;
      victim ??= all[Math.floor(Math.random() * all.length)];
      if (victim !== undefined) {
        try { process.kill(victim, 'SIGKILL'); tally.kills += 1; } catch { /* already gone */ }
      }
      await sleep(Math.max(0, tick - Date.now()));
    }
    running = false;
  })();

  // Posters: sequential sends with a client_id each, retried until acknowledged.
  const acked = []; // {client_id, text, message}
  const posters = people.slice(0, POSTERS).map(async (p, u) => {
    for (let k = 0; running; k += 1) {
      const body = { text: `k${u} says ${k}`, client_id: `k${u}-${k}` };
      let attempts = 0;
      const res = await persist(() => {
        attempts += 1;
        return p.post(path, body);
      }, tally);
      assert.ok(res.status === 201 || res.status === 200, `${body.client_id}: ${res.status} ${res.text}`);
      if (res.status === 200) {
        assert.ok(attempts > 1, `${body.client_id}: 200 (a repeat) for a first send`);
        tally.retriedToStored += 1;
      } else if (attempts > 1) {
        tally.retriedToNew += 1;
      }
      assert.equal(res.body.message.text, body.text);
      acked.push({ ...body, message: res.body.message });
      await sleep(Math.random() * 5);
    }
  });

  // Everybody polls as the page does, keeping the cursor across failures,
  // and now and then asks who they are and which rooms exist (auth, rooms).
  const streams = people.map(() => []);
  const cursors = people.map(() => 0);
  // A read retried after a 5xx or a dropped connection: its worker died under it.
  const read = async (send) => {
    let attempts = 0;
    const r = await persist(() => { attempts += 1; return send(); }, tally);
    if (attempts > 1) tally.readsBroken += 1;
    return r;
  };
  const pollOnce = async (p, i) => {
    const r = await read(() => p.get(`${path}?after=${cursors[i]}`));
    assert.equal(r.status, 200, r.text);
    streams[i].push(...r.body.messages);
    cursors[i] = r.body.cursor;
    return r.body.messages.length;
  };
  const pollers = people.map(async (p, i) => {
    for (let n = 0; running; n += 1) {
      await pollOnce(p, i);
      if (n % 10 === 0) {
        const me = await read(() => p.get('/api/me'));
        assert.equal(me.status, 200, `the session survives: ${me.text}`);
        const rooms = await read(() => p.get('/api/rooms'));
        assert.equal(rooms.status, 200, rooms.text);
      }
      await sleep(30 + Math.random() * 40);
    }
  });

  await Promise.all([killer, ...posters, ...pollers]);

  // Every program has all its workers back, under a supervisor that did not give up.
  await waitFor(() => PROGRAMS.every((prog) => workerPids(stack, prog).length === WORKERS), 10000,
    `${WORKERS} workers of every program`);
  assert.equal(supervisorPids(stack).length, PROGRAMS.length, 'every multiwatch is still running');

  // Final drains, after everything settled.
  for (const [i, p] of people.entries()) {
    while (await pollOnce(p, i) > 0) { /* until nothing is new */ }
  }
  console.log(`kill test: ${tally.kills} workers killed (${tally.inFlight} caught busy), ${acked.length} messages acknowledged, ` +
    `${tally.failures} failed requests retried (${JSON.stringify(tally.statuses)}), ` +
    `${tally.readsBroken} reads retried by the client and ${nginxRetriedReads()} by nginx, ${tally.retriedToNew} posts stored by a retry, ` +
    `${tally.retriedToStored} retries answered 200 with the message stored before the crash`);
  // Every 200 ms when the machine keeps up; a loaded CI box scans /proc slower.
  assert.ok(tally.kills >= SECONDS, `the killer ran (${tally.kills} kills)`);
  assert.ok(tally.failures > 0, 'some requests failed while workers died, or the test proved nothing');
  assert.ok(acked.length >= POSTERS * 5, `the posters got through (${acked.length} acknowledged)`);
  // Each kind of kill mid-request happened (see the top of the file).
  assert.ok(tally.inFlight > 0, 'a kill was aimed at a worker in the middle of a request');
  assert.ok(readsBroken() > 0, 'a read was broken by a kill and retried (by the client or by nginx)');
  assert.ok(tally.retriedToNew > 0, 'a post was broken by a kill before its commit, and stored by its retry');
  assert.ok(tally.retriedToStored > 0, 'a post was committed, then its worker killed before it answered');

  // The database: every acknowledged client_id exactly once, with its text and id.
  const rows = JSON.parse(execFileSync('sqlite3', ['-json', stack.db,
    `SELECT id, client_id, text FROM messages WHERE room_id = ${room.id} ORDER BY id`], { encoding: 'utf8', maxBuffer: 1 << 28 }) || '[]');
  const byClient = new Map();
  for (const row of rows) {
    assert.ok(!byClient.has(row.client_id), `client_id ${row.client_id} stored twice`);
    byClient.set(row.client_id, row);
  }
  for (const a of acked) {
    const row = byClient.get(a.client_id);
    assert.ok(row, `acknowledged ${a.client_id} (id ${a.message.id}) is missing`);
    assert.equal(row.id, a.message.id, `${a.client_id}: the acknowledged id is the stored one`);
    assert.equal(row.text, a.text);
  }
  assert.equal(rows.length, acked.length, 'nothing stored that was not acknowledged');

  // Every reader saw every message once, in the database's (id) order.
  const ids = rows.map((r) => r.id);
  for (const [i, stream] of streams.entries()) {
    assertAscending(stream, `reader ${i}`);
    assert.deepEqual(stream.map((m) => m.id), ids, `reader ${i} saw exactly the stored messages`);
  }

  assert.equal(sql(stack.db, 'PRAGMA integrity_check'), 'ok');
  assert.equal(sql(stack.db, 'PRAGMA foreign_key_check'), '');
});
