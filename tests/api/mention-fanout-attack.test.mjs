// The mention fan-out as an outsider attacks it (cgi-bin/core/fanout.h,
// core/mentions.h): posts, edits and deletions racing the copy on two
// workers must leave the inbox equal to `mentions` by person up to
// mention_fanout.done (and nothing past it); private rooms leak nothing
// before or after the copy; a worker killed right after its 201 or stopped
// while the fan-out waits still gets its mentions copied; and a post naming
// the most people, repeated names and disabled accounts store what they
// should and nothing more.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { workerPids } from '../lib/procs.mjs';
import { ROOT, startStack, waitFor } from '../lib/stack.mjs';
import { assertError, createRoom, join, say, sql, users } from './helpers.mjs';

let stack;
let alice;
let bob;
let carol;
let dave;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_POST_RATE: '100r/s', CHAT_WORKERS: '2' } });
  [alice, bob, carol, dave] = await users(stack.base, ['alice', 'bob', 'carol', 'dave']);
});
after(() => stack?.stop());

const idOf = (name) => Number(sql(stack.db, `SELECT id FROM users WHERE username_key = '${name}'`));
const done = () => Number(sql(stack.db, 'SELECT done FROM mention_fanout'));
const uncopied = () => Number(sql(stack.db, 'SELECT count(*) FROM mentions WHERE message_id > (SELECT done FROM mention_fanout)'));
const settled = () => waitFor(() => uncopied() === 0, 10000, 'every mention copied');

// The fan-out's invariant: every mention up to done is in the inbox, every
// inbox entry is a mention, and nothing past done is in the inbox.
function assertConsistent(what) {
  const missing = sql(stack.db, `SELECT coalesce(group_concat(m.message_id || ':' || m.user_id), '') FROM mentions m
    WHERE m.message_id <= (SELECT done FROM mention_fanout)
    AND NOT EXISTS (SELECT 1 FROM mention_inbox i WHERE i.user_id = m.user_id AND i.message_id = m.message_id AND i.room_id = m.room_id)`);
  assert.equal(missing, '', `${what}: mentions missing from the inbox`);
  const extra = sql(stack.db, `SELECT coalesce(group_concat(i.message_id || ':' || i.user_id), '') FROM mention_inbox i
    WHERE NOT EXISTS (SELECT 1 FROM mentions m WHERE m.user_id = i.user_id AND m.message_id = i.message_id)`);
  assert.equal(extra, '', `${what}: inbox entries that are no mention`);
  const ahead = sql(stack.db, `SELECT count(*) FROM mention_inbox WHERE message_id > (SELECT done FROM mention_fanout)`);
  assert.equal(ahead, '0', `${what}: inbox entries past done`);
}

test('posts, edits and deletions racing the fan-out on two workers leave the inbox equal to the mentions, and none is skipped', async () => {
  const room = await createRoom(alice);
  for (const c of [alice, bob, carol, dave]) await join(c, room.id);
  const names = ['alice', 'bob', 'carol', 'dave'];
  const clients = [alice, bob, carol, dave];
  const posted = [];
  // Four people, each posting, editing (new and old messages, while their
  // copy may run) and deleting, all at once.
  await Promise.all(clients.map(async (c, k) => {
    for (let i = 0; i < 25; ++i) {
      const who = names.filter((_, j) => j !== k && (i + j) % 3 !== 0).map((n) => `@${n}`).join(' ');
      const m = await say(c, room.id, `round ${i} ${who}`);
      posted.push(m);
      const mine = posted.filter((x) => x.user.id === m.user.id);
      const old = mine[Math.floor(mine.length / 2)];
      if (i % 2 === 0) {
        const e = await c.request('PATCH', `/api/messages/${m.id}`, { text: `edited at once ${names[(k + 1) % 4] === names[k] ? '' : '@' + names[(k + 1) % 4]}` });
        assert.equal(e.status, 200, e.text);
      }
      if (i % 3 === 0) {
        const e = await c.request('PATCH', `/api/messages/${old.id}`, { text: `edited later @${names[(k + 2) % 4]} @${names[(k + 3) % 4]}` });
        assert.ok(e.status === 200 || e.status === 404, e.text);
      }
      if (i % 5 === 4) {
        const d = await c.request('DELETE', `/api/messages/${mine[0].id}`);
        assert.ok(d.status === 204 || d.status === 404, d.text);
      }
      assertConsistent(`${names[k]} round ${i}`);
    }
  }));
  await settled();
  assertConsistent('settled');
  assert.ok(done() >= Math.max(...posted.map((m) => m.id)) || uncopied() === 0);
  // Every reader agrees with the table: bob's list is his mentions, newest first.
  const want = sql(stack.db, `SELECT coalesce(group_concat(message_id), '') FROM (SELECT message_id FROM mentions WHERE user_id = ${idOf('bob')} ORDER BY message_id DESC LIMIT 50)`);
  const list = await bob.get('/api/mentions');
  assert.equal(list.status, 200, list.text);
  assert.equal(list.body.messages.map((m) => m.id).join(','), want);
});

test('a private room: an outsider named is stored nowhere, before or after the copy; a member removed or banned before the copy is not listed after it', async () => {
  const made = await alice.post('/api/rooms', { name: 'alice and bob only', kind: 'private' });
  assert.equal(made.status, 201, made.text);
  const room = made.body.room;
  assert.equal((await alice.post(`/api/rooms/${room.id}/members`, { username: 'bob' })).status, 201);
  assert.equal((await alice.post(`/api/rooms/${room.id}/members`, { username: 'carol' })).status, 201);
  await join(alice, room.id);
  const m = await say(alice, room.id, 'secret plan @dave @bob @carol');
  assert.deepEqual(m.mentions.map((u) => u.username).sort(), ['bob', 'carol']);
  // carol is removed right after the post, maybe before the copy.
  assert.equal((await alice.request('DELETE', `/api/rooms/${room.id}/members/${idOf('carol')}`)).status, 204);
  for (const phase of ['before or during the copy', 'after the copy']) {
    const daves = await dave.get('/api/mentions');
    assert.equal(daves.status, 200, daves.text);
    assert.equal(daves.body.messages.some((x) => x.id === m.id), false, `${phase}: dave`);
    const carols = await carol.get('/api/mentions');
    assert.equal(carols.body.messages.some((x) => x.id === m.id), false, `${phase}: carol`);
    const bobs = await bob.get('/api/mentions');
    assert.equal(bobs.body.messages.some((x) => x.id === m.id), true, `${phase}: bob`);
    await settled();
  }
  assert.equal(sql(stack.db, `SELECT count(*) FROM mention_inbox WHERE message_id = ${m.id} AND user_id = ${idOf('dave')}`), '0');
  assertConsistent('private room');
});

test('a room deleted between the post and the copy: its mentions are listed to nobody and the inbox stays consistent', async () => {
  const room = await createRoom(alice);
  await join(alice, room.id);
  const m = await say(alice, room.id, 'going away @bob');
  assert.equal((await alice.request('DELETE', `/api/rooms/${room.id}`)).status, 204);
  await settled();
  const list = await bob.get('/api/mentions');
  assert.equal(list.body.messages.some((x) => x.id === m.id), false);
  assertConsistent('room deleted');
});

test('hostile text: 100 names (the cap), repeated names and a disabled account store each allowed person once and nothing more', async () => {
  const room = await createRoom(alice);
  await join(alice, room.id);
  const chatctl = joinPath(ROOT, 'build', 'bin', 'chatctl');
  const r = spawnSync(chatctl, ['--db', stack.db, 'user', 'disable', 'dave'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const text = ['@bob', '@BOB', '@bob.', '@carol', '@dave', ...Array.from({ length: 120 }, (_, i) => `@ghost${i}`)].join(' ');
  const m = await say(alice, room.id, text.slice(0, 4000));
  assert.deepEqual(m.mentions.map((u) => u.username).sort(), ['bob', 'carol']);
  await settled();
  assert.equal(sql(stack.db, `SELECT count(*) FROM mention_inbox WHERE message_id = ${m.id}`), '2');
  assertConsistent('hostile');
  // Hostile cursors: the API's 400, never a 500 or someone else's list.
  for (const bad of ['abc', '-1', '99999999999999999999', '1e3', '']) {
    assertError(await bob.get(`/api/mentions?before=${encodeURIComponent(bad)}`), 400, 'invalid_cursor', `before=${bad}`);
  }
  const older = await bob.get(`/api/mentions?before=${m.id}`);
  assert.equal(older.status, 200, older.text);
  assert.ok(older.body.messages.every((x) => x.id < m.id));
});

test('a post worker killed (SIGKILL) right after a 201 with mentions: the mention is listed at once and copied by the sweep', async () => {
  const room = await createRoom(alice);
  await join(alice, room.id);
  const pids = workerPids(stack, 'post');
  assert.ok(pids.length >= 1);
  const m = await say(alice, room.id, 'before the crash @carol');
  // Kill every post worker at once: whichever served the post dies inside
  // its 50 ms gather (or after its copy).
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  const list = await carol.get('/api/mentions');
  assert.equal(list.body.messages[0]?.id, m.id, list.text);
  await waitFor(() => workerPids(stack, 'post').length >= 1, 10000, 'post workers back');
  await settled();
  assertConsistent('after SIGKILL');
});

test('SIGTERM to the post workers while their fan-out gathers: they exit promptly and cleanly, and the mention is copied', async () => {
  const room = await createRoom(alice);
  await join(alice, room.id);
  const pids = workerPids(stack, 'post');
  const m = await say(alice, room.id, 'before the stop @dave @bob');
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  const alive = (pid) => { try { process.kill(pid, 0); return !readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].startsWith('Z'); } catch { return false; } };
  await waitFor(() => pids.every((pid) => !alive(pid)), 5000, 'post workers gone after SIGTERM');
  // Copied by the stopping worker's last copy, not left to the sweep of
  // the ones multiwatch starts next (their first sweep is a second later).
  assert.ok(done() >= m.id, `copied before the worker ended (done ${done()}, message ${m.id})`);
  await waitFor(() => workerPids(stack, 'post').length >= 1, 10000, 'post workers back');
  await settled();
  assertConsistent('after SIGTERM');
  const log = readFileSync(stack.log, 'utf8');
  assert.doesNotMatch(log, /AddressSanitizer|runtime error:|terminate called|Segmentation/);
  assert.ok(m.id > 0);
});

test('a fan-out that keeps failing says so once, not every second, and says when it works again; the mention is listed all along and copied then', async () => {
  const room = await createRoom(alice);
  await join(alice, room.id);
  await settled();
  const from = readFileSync(stack.log, 'utf8').length;
  // Every copy fails from here on (as on a full disk or a broken file),
  // while posts go on.
  sql(stack.db, "CREATE TRIGGER attack_block BEFORE INSERT ON mention_inbox BEGIN SELECT RAISE(ABORT, 'blocked by the test'); END;");
  let m;
  try {
    m = await say(alice, room.id, 'while the copy fails @bob');
    await new Promise((r) => setTimeout(r, 4500));
    const list = await bob.get('/api/mentions');
    assert.equal(list.body.messages[0]?.id, m.id, 'listed though not copied');
    assert.ok(done() < m.id, 'not copied');
    const failed = readFileSync(stack.log, 'utf8').slice(from).split('\n').filter((l) => l.includes('mention fan-out failed'));
    assert.ok(failed.length >= 1, 'the failure is logged');
    // Two workers, each sweeping every second for 4.5 s: once each at most
    // (before: a line a second each, 8-10 lines).
    assert.ok(failed.length <= 2, `${failed.length} lines in 4.5 s:\n${failed.join('\n')}`);
  } finally {
    sql(stack.db, 'DROP TRIGGER IF EXISTS attack_block');
  }
  await settled();
  assertConsistent('after the fault');
  await waitFor(() => /mention fan-out works again/.test(readFileSync(stack.log, 'utf8').slice(from)), 5000, 'the log to say the fan-out works again');
});

test('a database of a newer schema than the program (a newer release migrated it): the fan-out writes nothing to it, says why, and copies again once the version is its own', async () => {
  const room = await createRoom(alice);
  await join(alice, room.id);
  await settled();
  const own = sql(stack.db, 'PRAGMA user_version');
  const from = readFileSync(stack.log, 'utf8').length;
  // What a newer release leaves: its version, and a mention not copied yet
  // (its own fan-out may mean something else by the inbox).
  const id = Number(sql(stack.db, `BEGIN;
    INSERT INTO messages (room_id, user_id, text, created_at) VALUES (${room.id}, ${idOf('alice')}, 'from a newer release @carol', 1);
    INSERT INTO mentions (message_id, user_id, room_id) VALUES (last_insert_rowid(), ${idOf('carol')}, ${room.id});
    PRAGMA user_version = ${Number(own) + 1};
    SELECT max(message_id) FROM mentions;
    COMMIT;`));
  try {
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(done() < id, `the sweep copied into a schema it does not know (done ${done()}, message ${id})`);
    assert.equal(sql(stack.db, `SELECT count(*) FROM mention_inbox WHERE message_id = ${id}`), '0');
    assert.match(readFileSync(stack.log, 'utf8').slice(from), /mention fan-out failed.*schema version/);
  } finally {
    sql(stack.db, `PRAGMA user_version = ${own}`);
  }
  await settled();
  assertConsistent('after the newer schema');
});

// Runs `action` while no copy can happen (a trigger makes every copy fail,
// as a fault would), so what it does lands between a post and its copy for
// sure; then lets the fan-out copy again and waits until it has.
async function betweenPostAndCopy(action) {
  await settled();
  sql(stack.db, "CREATE TRIGGER attack_hold BEFORE INSERT ON mention_inbox BEGIN SELECT RAISE(ABORT, 'held by the test'); END;");
  try {
    await action();
  } finally {
    sql(stack.db, 'DROP TRIGGER IF EXISTS attack_hold');
  }
  await settled();
}

const chatctl = (...args) => {
  const r = spawnSync(joinPath(ROOT, 'build', 'bin', 'chatctl'), ['--db', stack.db, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
};

test('between a post and its copy (held for sure): account deletion, room deletion, message deletion and edit, removal and ban, retention pruning; the inbox ends equal to the mentions and nobody is listed what they may not read', async () => {
  const [erin, fred, gina] = await users(stack.base, ['erin', 'fred', 'gina']);
  const open = await createRoom(alice);
  const doomed = await createRoom(alice);
  const made = await alice.post('/api/rooms', { name: 'held private', kind: 'private' });
  const priv = made.body.room;
  for (const name of ['bob', 'fred', 'gina']) assert.equal((await alice.post(`/api/rooms/${priv.id}/members`, { username: name })).status, 201);
  await join(erin, open.id);
  const kept = [];
  let gone;
  let edited;
  let deleted;
  let pruned;
  let inDoomed;
  let inPrivate;
  let banned;
  await betweenPostAndCopy(async () => {
    await join(alice, open.id);
    gone = await say(alice, open.id, 'for erin who leaves @erin and @bob');
    const byErin = await say(erin, open.id, 'erin names @carol');
    edited = await say(alice, open.id, 'first @bob');
    const e = await alice.request('PATCH', `/api/messages/${edited.id}`, { text: 'now @carol and @dave' });
    assert.equal(e.status, 200, e.text);
    deleted = await say(alice, open.id, 'never mind @bob');
    assert.equal((await alice.request('DELETE', `/api/messages/${deleted.id}`)).status, 204);
    await join(alice, doomed.id);
    inDoomed = await say(alice, doomed.id, 'in a room that goes @bob');
    assert.equal((await alice.request('DELETE', `/api/rooms/${doomed.id}`)).status, 204);
    await join(alice, priv.id);
    inPrivate = await say(alice, priv.id, 'members only @fred @gina @bob');
    assert.equal((await alice.request('DELETE', `/api/rooms/${priv.id}/members/${idOf('fred')}`)).status, 204);
    await join(alice, open.id);
    banned = await say(alice, open.id, 'you will be banned @gina');
    assert.equal((await alice.request('DELETE', `/api/rooms/${open.id}/members/${idOf('gina')}`)).status, 204);
    pruned = await say(alice, open.id, 'old news @bob');
    sql(stack.db, `UPDATE messages SET created_at = 0 WHERE id = ${pruned.id}; UPDATE rooms SET retention_days = 1 WHERE id = ${open.id}`);
    chatctl('prune');
    chatctl('user', 'delete', 'erin');
    kept.push(byErin.id);
    assert.ok(done() < pruned.id, 'all of it happened before the copy');
  });
  sql(stack.db, `UPDATE rooms SET retention_days = NULL WHERE id = ${open.id}`);
  assertConsistent('held');
  const listed = async (c) => (await c.get('/api/mentions')).body.messages.map((m) => m.id);
  const bobs = await listed(bob);
  for (const m of [deleted, inDoomed, pruned]) assert.ok(!bobs.includes(m.id), `bob is not listed message ${m.id}`);
  assert.ok(bobs.includes(inPrivate.id));
  assert.ok(bobs.includes(gone.id), 'a deleted account\'s mention goes, the others of its message stay');
  assert.equal(sql(stack.db, `SELECT count(*) FROM mentions WHERE message_id = ${gone.id}`), '1');
  assert.ok(!(await listed(fred)).includes(inPrivate.id), 'fred, removed, is not listed the private room');
  assert.ok((await listed(gina)).includes(inPrivate.id));
  assert.ok(!(await listed(gina)).includes(banned.id), 'gina, banned, is not listed the open room');
  const carols = await listed(carol);
  assert.ok(carols.includes(edited.id));
  assert.ok(!carols.includes(kept[0]), 'the deleted account\'s messages went with it');
  assert.equal(sql(stack.db, `SELECT count(*) FROM mention_inbox WHERE message_id IN (${deleted.id}, ${pruned.id}, ${inDoomed.id})`), '0');
  assert.equal(sql(stack.db, `SELECT count(*) FROM mention_inbox WHERE message_id = ${edited.id} AND user_id = ${idOf('bob')}`), '0');
});
