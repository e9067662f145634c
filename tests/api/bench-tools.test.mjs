// The tools of `make bench` (tests/bench/) against the real stack, so a
// change to the schema, the sessions or the API that would break the
// benchmark breaks a test instead: bench_seed writes a consistent database
// whose sessions the workers accept, bench_load's closed and open loops get
// only 2xx answers and count them right, bench_subscribe (S7) holds event
// streams and counts every post's event, and CHAT_NGINX_EXTRA adds locations.
// No speed is asserted here (that is `make bench`'s job).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, ROOT } from '../lib/stack.mjs';
import { count, sql } from './helpers.mjs';

const BIN = process.env.CHAT_BIN || join(ROOT, 'build', 'bin'); // make test SAN=1 sets CHAT_BIN
let stack;
let work;
let users;

function load(args) {
  const out = execFileSync(join(BIN, 'bench_load'), args.map(String), { encoding: 'utf8' });
  return out.trim().split('\n').map((l) => JSON.parse(l));
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'chat-bench-test-'));
  const extra = join(work, 'extra.conf');
  writeFileSync(extra, "location = /bench/extra { default_type text/plain; return 200 'extra'; }\n");
  // The post limit is lifted: the tools are under test here, not the limit.
  stack = await startStack({
    env: { CHAT_NGINX_EXTRA: extra, CHAT_NGINX_CONNECTIONS: '1024', CHAT_POST_BURST: '1000000' },
  });
});
after(async () => {
  await stack?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('CHAT_NGINX_EXTRA adds its locations to the server', async () => {
  const res = await fetch(`${stack.base}/bench/extra`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'extra');
});

test('bench_seed writes users, rooms, messages and sessions through the schema', async () => {
  const seed = JSON.parse(execFileSync(join(BIN, 'bench_seed'),
    [stack.db, 60, 3, 200, 20, work].map(String), { encoding: 'utf8' }));
  assert.deepEqual([seed.users, seed.rooms, seed.messages], [60, 3, 240]);
  assert.equal(count(stack.db, 'users'), 60);
  assert.equal(count(stack.db, 'messages', 'room_id = 1'), 200);
  assert.equal(count(stack.db, 'messages', 'room_id = 3'), 20);
  assert.equal(sql(stack.db, 'PRAGMA integrity_check'), 'ok');
  assert.equal(sql(stack.db, 'PRAGMA foreign_key_check'), '');
  users = readFileSync(join(work, 'users.txt'), 'utf8').trim().split('\n').map((l) => {
    const [room, cursor, cookie] = l.split(' ');
    return { room: Number(room), cursor: Number(cursor), cookie };
  });
  assert.equal(users.length, 60);
  // User 1 is in room 2; the cursor is that room's latest message.
  assert.equal(users[0].room, 2);
  assert.equal(users[0].cursor, Number(sql(stack.db, 'SELECT max(id) FROM messages WHERE room_id = 2')));
  const me = await fetch(`${stack.base}/api/me`, { headers: { cookie: `chat_session=${users[0].cookie}` } });
  assert.equal(me.status, 200);
  const body = await me.json();
  assert.equal(body.user.username, 'bench1');
  assert.equal(body.room.id, 2);
  const poll = await fetch(`${stack.base}/api/rooms/2/messages?after=${users[0].cursor - 1}`,
    { headers: { cookie: `chat_session=${users[0].cookie}` } });
  assert.equal(poll.status, 200);
  assert.equal((await poll.json()).messages.length, 1);
});

test('bench_load closed loop: polls and posts answered 2xx, every answer counted', () => {
  const polls = join(work, 'polls.req');
  writeFileSync(polls, users.filter((u) => u.room === 2)
    .map((u) => `GET /api/rooms/2/messages?after=${u.cursor} ${u.cookie}`).join('\n'));
  const [p] = load(['closed', stack.port, 4, 1, polls]);
  assert.ok(p.ok > 0, JSON.stringify(p));
  assert.equal(p.errors + p.conn_errors, 0, JSON.stringify(p));
  assert.ok(p.answered >= p.ok);

  const before = count(stack.db, 'messages');
  const posts = join(work, 'posts.req');
  writeFileSync(posts, users.map((u) => `POST /api/rooms/${u.room}/messages ${u.cookie} {"text":"load %n"}`).join('\n'));
  const [w] = load(['closed', stack.port, 4, 1, posts]);
  assert.equal(w.errors + w.conn_errors, 0, `first error ${w.first_error_status}`);
  assert.ok(w.ok > 0);
  // Every answer was a 201 for a message of its own (warm-up included);
  // up to one request per connection was still in flight at the end.
  const stored = count(stack.db, 'messages') - before;
  assert.ok(stored >= w.answered && stored <= w.answered + 4, `${stored} stored, ${w.answered} answered`);
});

test('bench_load open loop: every virtual user polls on its schedule without errors', () => {
  const latest = new Map(sql(stack.db, 'SELECT room_id, max(id) FROM messages GROUP BY room_id')
    .split('\n').map((l) => l.split('|').map(Number)));
  const file = join(work, 'vusers.txt');
  writeFileSync(file, users.map((u) => `${u.room} ${latest.get(u.room)} ${u.cookie}`).join('\n'));
  // One level (the generator stops after a level whose p99 passes 100 ms,
  // which a busy machine may cause; no speed is judged here).
  const [r] = load(['open', stack.port, file, '40', 5]);
  assert.equal(r.users, 40);
  assert.equal(r.errors + r.conn_errors, 0, JSON.stringify(r));
  // 2 s counted, one poll per user every 2 s: about one poll per user.
  assert.ok(r.polls >= 20 && r.polls <= 80, JSON.stringify(r));
});

const NCHAN = '/usr/lib/nginx/modules/ngx_nchan_module.so';
test('bench_subscribe: every stream is answered, a bad cookie refused, every post\'s event counted',
  { skip: !existsSync(NCHAN) && `nchan module missing (${NCHAN})` }, () => {
    // Room 2's users (user 1, the poster, first), then a forged session.
    const file = join(work, 'subscribers.txt');
    const room2 = users.filter((u) => u.room === 2);
    writeFileSync(file, `${[...room2.map((u) => `2 ${u.cursor} ${u.cookie}`), '2 0 forged.cookie'].join('\n')}\n`);
    const before = count(stack.db, 'messages', 'room_id = 2');
    // stdin is empty: the tool goes on from subscribing to posting at once.
    const out = execFileSync(join(BIN, 'bench_subscribe'), [stack.port, file, 100, 3, 100].map(String),
      { encoding: 'utf8', input: '' });
    const [held, done] = out.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual([held.phase, held.subscribers, held.refused, held.failed], ['subscribed', room2.length, 1, 0]);
    assert.equal(done.posts, 3, JSON.stringify(done));
    assert.equal(done.post_errors, 0);
    assert.equal(count(stack.db, 'messages', 'room_id = 2') - before, 3);
    assert.equal(done.expected, room2.length * 3);
    assert.equal(done.events, done.expected, JSON.stringify(done));
    assert.equal(done.still_open, room2.length);
    assert.deepEqual([done.closed, done.streams_short, done.posts_short, done.posts_unheard], [0, 0, 0, 0],
      JSON.stringify(done));
    assert.ok(done.p50_ms > 0 && done.p50_ms <= done.p99_ms && done.p99_ms <= done.max_ms, JSON.stringify(done));
  });
if (!existsSync(NCHAN)) console.error(`!!! SKIPPED bench_subscribe test: ${NCHAN} is missing !!!`);
