// WAL health: with people posting and pollers reading all the time, the
// chat.db-wal file stays bounded, because checkpoints happen (one process at
// a time, under the write lock: core/checkpoint.h) and the WAL starts over
// once copied. The file's
// size is sampled all through the run and after it; the run writes many
// times the bound into the WAL (every commit appends at least one page), so
// a WAL that was never checkpointed or never started over would pass the
// bound. PRAGMA integrity_check is ok afterwards. CHAT_CHECKPOINT_PAGES is
// lowered to 50 so a short run writes enough; synchronous=NORMAL for speed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync } from 'node:fs';
import { startStack } from '../lib/stack.mjs';
import { count, createRoom, join, sql, users } from './helpers.mjs';

const PAGES = 50;                  // CHAT_CHECKPOINT_PAGES for this run
const FRAME = 4096 + 24;           // one WAL frame: a page and its header
const BOUND = 6 * PAGES * FRAME;   // ~1.2 MB: six checkpoint intervals
const WRITTEN = 4 * BOUND;         // the run goes on until at least this went into the WAL,
                                   // however long that takes on a loaded machine (5-8 s here) ...
const STALL_SECONDS = 20;          // ... unless no post at all is stored for this long
const POSTERS = 6;
const POLLERS = 6;

let stack;
let people;
let room;

before(async () => {
  stack = await startStack({
    env: {
      CHAT_SYNCHRONOUS: 'NORMAL',
      CHAT_CHECKPOINT_PAGES: String(PAGES),
      CHAT_POST_BURST: '1000000',
      CHAT_POST_RATE: '1000000',
    },
  });
  people = await users(stack.base, Array.from({ length: POSTERS + POLLERS }, (_, i) => `wal${i}`));
  room = await createRoom(people[0], 'Chatterbox');
  for (const p of people) await join(p, room.id);
});
after(() => stack?.stop());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function walSize() {
  try {
    return statSync(`${stack.db}-wal`).size;
  } catch {
    return 0; // not there (yet)
  }
}

test('startup logs the SQLite version', () => {
  assert.match(readFileSync(stack.log, 'utf8'), /serving FastCGI, SQLite 3\.\d+\.\d+/);
});

test(`${POSTERS} posters and ${POLLERS} pollers writing ${WRITTEN / 1e6} MB into the WAL: the WAL file stays under ${(BOUND / 1e6).toFixed(1)} MB and the database is sound`, { timeout: 600000 }, async () => {
  const path = `/api/rooms/${room.id}/messages`;
  const text = 'x'.repeat(2000); // a message of half a page
  let running = true;
  const sizes = [];
  const sampler = (async () => {
    while (running) {
      sizes.push(walSize());
      await sleep(10);
    }
  })();
  const started = Date.now();
  let created = 0;
  const statuses = {};
  const posters = people.slice(0, POSTERS).map(async (p) => {
    while (running) {
      const r = await p.post(path, { text });
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 201) created += 1;
    }
  });
  let polls = 0;
  const pollers = people.slice(POSTERS).map(async (p) => {
    let cursor = 0;
    while (running) {
      const r = await p.get(`${path}?after=${cursor}`);
      assert.equal(r.status, 200, r.text);
      cursor = r.body.cursor;
      polls += 1;
    }
  });
  // A count, not a time: a busy machine (or the sanitizer build) posts
  // slower and only takes longer; a stack that stops storing posts fails.
  let lastCount = 0;
  let lastProgress = Date.now();
  while (created * FRAME <= WRITTEN && Date.now() - lastProgress < STALL_SECONDS * 1000) {
    await sleep(50);
    if (created > lastCount) [lastCount, lastProgress] = [created, Date.now()];
  }
  running = false;
  await Promise.all([...posters, ...pollers, sampler]);
  for (let i = 0; i < 20; i += 1) {
    sizes.push(walSize());
    await sleep(25);
  }

  const max = Math.max(...sizes);
  console.log(`wal: ${created} posts in ${((Date.now() - started) / 1000).toFixed(1)} s, ${polls} polls, ${sizes.length} samples, WAL max ${max} bytes (bound ${BOUND}), last ${sizes.at(-1)}`);
  assert.deepEqual(Object.keys(statuses), ['201'], `every post 201: ${JSON.stringify(statuses)}`);
  assert.equal(count(stack.db, 'messages', `room_id = ${room.id}`), created);
  // Each post is a commit of at least one frame: the run wrote at least this
  // much into the WAL, several times the bound.
  assert.ok(created * FRAME > WRITTEN, `only ${created} posts, then none for ${STALL_SECONDS} s: too few to test the bound`);
  assert.ok(max > 0, 'the WAL file was seen');
  assert.ok(max < BOUND, `the WAL file reached ${max} bytes`);
  assert.equal(sql(stack.db, 'PRAGMA integrity_check'), 'ok');
});
