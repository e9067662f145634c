// Retention (issue 13): the owner sets a room to keep its messages N days
// (PATCH /api/rooms/{id} {"retention_days": N | null}); messages created
// more than N days ago are deleted for real (rows gone, with their
// reactions) by the workers between requests, in batches of at most
// CHAT_PRUNE_BATCH, and by `chatctl prune`. Exactly the older ones go, never
// a newer one, nor anything of a room without retention; replies to a pruned
// message, history pages and polls whose edge is a pruned id, the join, the
// export and new posts all keep working. Ages are set by writing created_at
// straight into the stack's chat.db.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startStack, waitFor } from '../lib/stack.mjs';
import { assertError, count, createRoom, join as joinRoom, say, sql, unique, users } from './helpers.mjs';

const DAY = 24 * 3600 * 1000;
const BATCH = 50;
const CHATCTL = join(ROOT, 'build', 'bin', 'chatctl');

let stack;
let scratch;
let olive; // owner
let mia; // member

before(async () => {
  stack = await startStack({
    env: {
      CHAT_POST_BURST: '100000', CHAT_POST_RATE: '100000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000',
      CHAT_PRUNE_INTERVAL_SECONDS: '1', CHAT_PRUNE_BATCH: String(BATCH),
    },
  });
  scratch = mkdtempSync(join(tmpdir(), 'chat-retention-'));
  [olive, mia] = await users(stack.base, [unique('olive'), unique('mia')]);
});
after(async () => {
  await stack?.stop();
  if (scratch && !process.env.KEEP_TEST_DIRS) rmSync(scratch, { recursive: true, force: true });
});

const patch = (client, id, body) => client.request('PATCH', `/api/rooms/${id}`, body);

test('the owner sets retention_days (1-3650) or null; the room object shows it; every bad value is 400 invalid_retention and changes nothing', async () => {
  const room = await createRoom(olive);
  assert.equal(room.retention_days, null, 'forever by default');
  for (const bad of [0, -1, 3651, 1.5, 7.0000001, '7', true, [], {}, 1e20]) {
    assertError(await patch(olive, room.id, { retention_days: bad }), 400, 'invalid_retention', JSON.stringify(bad));
  }
  assertError(await patch(olive, room.id, '{"retention_days": 7.0}'), 400, 'invalid_retention', '7.0 is not how a whole number is spelled');
  assert.equal(sql(stack.db, `SELECT retention_days IS NULL FROM rooms WHERE id = ${room.id}`), '1');
  assertError(await patch(mia, room.id, { retention_days: 7 }), 403, 'not_owner');
  assert.equal(sql(stack.db, `SELECT retention_days IS NULL FROM rooms WHERE id = ${room.id}`), '1');
  for (const days of [1, 3650, 30]) {
    const r = await patch(olive, room.id, { retention_days: days });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.room.retention_days, days);
  }
  assert.equal((await mia.get(`/api/rooms/${room.id}`)).body.room.retention_days, 30);
  assert.equal((await mia.get('/api/rooms')).body.rooms.find((x) => x.id === room.id).retention_days, 30);
  // Other fields leave it alone; null means forever again.
  assert.equal((await patch(olive, room.id, { topic: 'kept a month' })).body.room.retention_days, 30);
  const forever = await patch(olive, room.id, { retention_days: null });
  assert.equal(forever.body.room.retention_days, null);
  assert.equal(sql(stack.db, `SELECT retention_days IS NULL FROM rooms WHERE id = ${room.id}`), '1');
});

test('the workers delete exactly the messages older than the retention, in batches of at most CHAT_PRUNE_BATCH; newer ones and other rooms stay; nothing breaks', async () => {
  const room = await createRoom(olive);
  const other = await createRoom(olive);
  await joinRoom(olive, room.id);
  await joinRoom(mia, room.id);
  const old = [];
  for (let i = 0; i < 3; i += 1) old.push(await say(olive, room.id, `old ${i}`));
  const edge = await say(mia, room.id, 'just inside the retention');
  const fresh = await say(mia, room.id, 'fresh, replying to an old one', { reply_to: old[1].id });
  assert.equal((await mia.request('PUT', `/api/messages/${old[1].id}/reactions`, { emoji: '👍' })).status, 200);
  assert.equal((await olive.request('PUT', `/api/messages/${edge.id}/reactions`, { emoji: '🎉' })).status, 200);
  // 120 more old ones straight in the database: several batches' worth.
  sql(stack.db, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120)
    INSERT INTO messages (room_id, user_id, text, created_at) SELECT ${room.id}, ${olive.user.id}, 'bulk ' || i, 0 FROM n`);
  const now = Date.now();
  sql(stack.db, `UPDATE messages SET created_at = ${now - 2 * DAY} WHERE id IN (${old.map((m) => m.id).join(',')});
    UPDATE messages SET created_at = ${now - DAY - 60000} WHERE room_id = ${room.id} AND text LIKE 'bulk %';
    UPDATE messages SET created_at = ${now - DAY + 120000} WHERE id = ${edge.id}`);
  // The other room has old messages too, and no retention.
  await joinRoom(olive, other.id);
  const keep = await say(olive, other.id, 'old but kept forever');
  sql(stack.db, `UPDATE messages SET created_at = ${now - 400 * DAY} WHERE id = ${keep.id}`);
  await joinRoom(olive, room.id);
  const before = count(stack.db, 'messages', `room_id = ${room.id}`);
  assert.equal(before, 125);
  const logBefore = readFileSync(stack.log, 'utf8').length;

  assert.equal((await patch(olive, room.id, { retention_days: 1 })).status, 200);
  // The workers prune between requests: keep asking until the rows are gone.
  await waitFor(async () => {
    await mia.get(`/api/rooms/${room.id}/messages?after=0`);
    await olive.get('/api/me');
    return count(stack.db, 'messages', `room_id = ${room.id}`) === 2;
  }, 30000, 'the old messages pruned');
  const left = sql(stack.db, `SELECT group_concat(id) FROM (SELECT id FROM messages WHERE room_id = ${room.id} ORDER BY id)`);
  assert.equal(left, `${edge.id},${fresh.id}`, 'exactly the older ones went');
  assert.equal(count(stack.db, 'messages', `id = ${keep.id}`), 1, 'a room without retention keeps everything');
  assert.equal(count(stack.db, 'reactions', `message_id = ${old[1].id}`), 0, 'the pruned message\'s reactions went with it');
  assert.equal(count(stack.db, 'reactions', `message_id = ${edge.id}`), 1, 'a kept message keeps its reactions');
  assert.equal(sql(stack.db, 'PRAGMA foreign_key_check'), '');
  // The log: batches of at most BATCH, 123 in all.
  const lines = readFileSync(stack.log, 'utf8').slice(logBefore).split('\n')
    .map((l) => new RegExp(`retention: deleted (\\d+) message\\(s\\) of room ${room.id}$`).exec(l)).filter(Boolean).map((m) => Number(m[1]));
  assert.ok(lines.length >= 3, `${lines.length} batches`);
  assert.ok(lines.every((n) => n <= BATCH), lines.join(','));
  assert.equal(lines.reduce((a, b) => a + b, 0), 123);

  // Everything that pointed at a pruned message still works.
  const poll = await mia.get(`/api/rooms/${room.id}/messages?after=0`);
  assert.equal(poll.status, 200, poll.text);
  // By change number: the reaction on `edge` came after `fresh` was posted.
  assert.deepEqual(poll.body.messages.map((m) => m.id), [fresh.id, edge.id]);
  const reply = poll.body.messages[0].reply_to;
  assert.deepEqual(reply, { id: old[1].id, deleted: true }, 'a reply to a pruned message says it is gone');
  const fromPruned = await mia.get(`/api/rooms/${room.id}/messages?after=${old[0].id}`);
  assert.deepEqual(fromPruned.body.messages.map((m) => m.id), [fresh.id, edge.id], 'a cursor naming a pruned message');
  const page = await mia.get(`/api/rooms/${room.id}/messages?before=${old[2].id}&limit=50`);
  assert.equal(page.status, 200);
  assert.deepEqual(page.body.messages, [], 'a history page whose edge was pruned: nothing older');
  const page2 = await mia.get(`/api/rooms/${room.id}/messages?before=${fresh.id}&limit=50`);
  assert.deepEqual(page2.body.messages.map((m) => m.id), [edge.id]);
  const rejoin = await joinRoom(mia, room.id);
  assert.deepEqual(rejoin.messages.map((m) => m.id), [edge.id, fresh.id]);
  assertError(await olive.request('PATCH', `/api/messages/${old[2].id}`, { text: 'edit a pruned one' }), 404, 'message_not_found');
  assertError(await mia.post(`/api/rooms/${room.id}/messages`, { text: 'reply to pruned', reply_to: old[0].id }), 400, 'invalid_reply_to');
  const exp = await mia.get(`/api/rooms/${room.id}/export?format=jsonl`);
  assert.deepEqual(exp.text.trim().split('\n').map((l) => JSON.parse(l).id), [edge.id, fresh.id]);
  // The change feed goes on: a new message numbers after everything ever made.
  const next = await say(mia, room.id, 'after the pruning');
  assert.ok(next.id > Math.max(fresh.id, ...old.map((m) => m.id)));
  const after = await mia.get(`/api/rooms/${room.id}/messages?after=${poll.body.cursor}`);
  assert.deepEqual(after.body.messages.map((m) => m.id), [next.id]);
});

test('a message newer than its room\'s retention, and any message of a room kept forever, survives a pruning pass that provably ran', async () => {
  const month = await createRoom(olive);
  const forever = await createRoom(olive);
  const control = await createRoom(olive);
  const old = Date.now() - 10 * DAY;
  const m = {};
  for (const [name, room] of Object.entries({ month, forever, control })) {
    await joinRoom(olive, room.id);
    m[name] = await say(olive, room.id, `ten days old, in ${name}`);
    sql(stack.db, `UPDATE messages SET created_at = ${old} WHERE id = ${m[name].id}`);
  }
  assert.equal((await patch(olive, month.id, { retention_days: 30 })).status, 200);
  assert.equal((await patch(olive, forever.id, { retention_days: 30 })).status, 200);
  assert.equal((await patch(olive, forever.id, { retention_days: null })).status, 200);
  assert.equal((await patch(olive, control.id, { retention_days: 1 })).status, 200);
  // The control's message going proves a pass ran after the settings.
  await waitFor(async () => {
    await olive.get('/api/me');
    return count(stack.db, 'messages', `id = ${m.control.id}`) === 0;
  }, 30000, 'the control room pruned');
  assert.equal(count(stack.db, 'messages', `id = ${m.month.id}`), 1, '10 days old, 30 kept');
  assert.equal(count(stack.db, 'messages', `id = ${m.forever.id}`), 1, 'forever');
});

test('chatctl prune deletes exactly what is older than each room\'s retention, batch after batch, and says how many; audited', () => {
  // A database of its own, no workers: only chatctl prunes here.
  const db = join(scratch, 'prune.db');
  const init = spawnSync(CHATCTL, ['--db', db, 'init'], { encoding: 'utf8' });
  assert.equal(init.status, 0, init.stderr);
  const now = Date.now();
  sql(db, `INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES (1, 'al', 'al', 'x', 0);
    INSERT INTO rooms (id, name, name_key, owner_id, created_at, retention_days) VALUES
      (1, 'Week', 'week', 1, 0, 7), (2, 'Forever', 'forever', 1, 0, NULL), (3, 'Day', 'day', 1, 0, 1);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
      INSERT INTO messages (room_id, user_id, text, created_at) SELECT 1 + (i % 3), 1, 'm' || i, ${now} - i * 900000 + 450000 FROM n;
    INSERT INTO reactions (message_id, user_id, emoji, created_at) SELECT id, 1, '👍', 0 FROM messages;`);
  const expect = (room, days) => Number(sql(db, `SELECT count(*) FROM messages WHERE room_id = ${room} AND created_at >= ${now - days * DAY}`));
  // Measured before the run with a cutoff a little earlier than chatctl's
  // (now, taken above): a message this close to the edge is none of them.
  const keepWeek = expect(1, 7);
  const keepDay = expect(3, 1);
  const all = count(db, 'messages', 'room_id = 2');
  assert.ok(keepWeek > 0 && keepWeek < 400 && keepDay > 0 && keepDay < 100, `${keepWeek} ${keepDay}`);
  const r = spawnSync(CHATCTL, ['--db', db, 'prune'], { encoding: 'utf8', env: { ...process.env, CHAT_PRUNE_BATCH: '100' } });
  assert.equal(r.status, 0, r.stderr);
  const pruned = 800 - keepWeek - keepDay;
  assert.match(r.stdout, new RegExp(`room 1: deleted ${400 - keepWeek} message`));
  assert.match(r.stdout, new RegExp(`room 3: deleted ${400 - keepDay} message`));
  assert.match(r.stdout, new RegExp(`pruned ${pruned} message`));
  assert.equal(count(db, 'messages', 'room_id = 1'), keepWeek);
  assert.equal(count(db, 'messages', 'room_id = 3'), keepDay);
  assert.equal(count(db, 'messages', 'room_id = 2'), all, 'forever');
  assert.equal(count(db, 'messages', `room_id IN (1, 3) AND created_at < ${now - 7 * DAY}`), 0);
  assert.equal(count(db, 'reactions'), count(db, 'messages'), 'reactions went with their messages');
  assert.equal(sql(db, 'PRAGMA foreign_key_check'), '');
  assert.equal(sql(db, "SELECT actor || ' ' || action || ' ' || target || ': ' || detail FROM admin_log"), `chatctl prune 2 room(s): ${pruned} message(s) deleted`);
  // A second run finds nothing.
  const again = spawnSync(CHATCTL, ['--db', db, 'prune'], { encoding: 'utf8' });
  assert.equal(again.status, 0);
  assert.match(again.stdout, /^pruned 0 message\(s\)$/m);
  assert.equal(count(db, 'admin_log'), 1, 'nothing done, nothing logged');
  assert.equal(spawnSync(CHATCTL, ['--db', db, 'prune', 'extra']).status, 2);
  execFileSync('true');
});
