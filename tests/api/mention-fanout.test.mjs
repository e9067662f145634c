// The mention fan-out (issue 14, S11; cgi-bin/core/fanout.h): a post writes
// its mentions by message (`mentions`), and the post program's fan-out
// thread copies them to each person's inbox (`mention_inbox`) shortly after,
// many posts at a time, then rings the people named. Readers never wait for
// the copy (core/mentions.h ForEachMention merges what is not copied yet);
// only the attention version and the ring come with the copy. These tests
// show the copy happens (and rings), that mentions a dead worker left
// uncopied are swept up, that the inbox follows edits, deletions and
// deleted accounts, and, with no fan-out thread at all (CGI, one request a
// process, where nothing can copy behind the reader's back), that the merge
// of copied and uncopied mentions is right across pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { openEvents } from '../lib/events.mjs';
import { ROOT, startStack, waitFor } from '../lib/stack.mjs';
import { PASSWORD, cgi, createRoom, join, say, sql, users } from './helpers.mjs';

const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const HAVE_NCHAN = existsSync(MODULE);
if (!HAVE_NCHAN) console.error(`!!! SKIPPED the fan-out's ring checks: ${MODULE} is missing !!!`);

let stack;
let alice;
let bob;
let carol;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_WORKERS: '2' } });
  [alice, bob, carol] = await users(stack.base, ['alice', 'bob', 'carol']);
});
after(() => stack?.stop());

const idOf = (name) => Number(sql(stack.db, `SELECT id FROM users WHERE username_key = '${name}'`));
// The inbox entries of message `id`, as "username" sorted.
const inboxOf = (db, id) => sql(db, `SELECT coalesce(group_concat(u.username_key, ' '), '') FROM (SELECT u.username_key FROM mention_inbox i JOIN users u ON u.id = i.user_id WHERE i.message_id = ${id} ORDER BY 1) u`);
const copied = (id, who) => waitFor(() => inboxOf(stack.db, id) === who, 5000, `message ${id}'s mentions copied to ${who}'s inbox`);

// With push on, the person stream of `client`, open before `action` runs;
// resolves once an {"type":"attention"} came after it (without push: once
// `action` ran).
async function ringsAfter(client, action) {
  if (!HAVE_NCHAN) return action();
  const sub = await openEvents(stack.base, client.cookie, '/api/me/events');
  assert.equal(sub.status, 200, sub.text);
  try {
    await sub.flush(300);
    const result = await action();
    let event;
    do event = await sub.next(5000); while (event.data.type !== 'attention');
    return result;
  } finally {
    sub.close();
  }
}

test('a mention is listed at once, and the fan-out copies it to its person\'s inbox shortly after, rings them and moves their attention version', async () => {
  const room = await createRoom(alice);
  await join(alice, room.id);
  const m = await ringsAfter(bob, async () => {
    const posted = await say(alice, room.id, 'standup in 5, @bob');
    // Listed at once, copied or not.
    const list = await bob.get('/api/mentions');
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.messages[0]?.id, posted.id, list.text);
    return posted;
  });
  await copied(m.id, 'bob');
  assert.ok(Number(sql(stack.db, 'SELECT done FROM mention_fanout')) >= m.id, 'the fan-out moved past it');
  // bob's attention version (what a poll compares) now ends in this mention.
  const here = await createRoom(bob);
  await join(bob, here.id);
  const r = await bob.get(`/api/rooms/${here.id}/messages?after=0&attention=`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.attention.version.split('.')[1], String(m.id));
});

test('mentions a worker left uncopied (it died between its commit and its fan-out) are listed at once and swept into the inbox within seconds, ringing their person', async () => {
  const room = await createRoom(alice);
  await join(alice, room.id);
  // What a post's commit leaves when its worker is killed before the fan-out:
  // the message and its mentions rows, no inbox entry.
  const id = await ringsAfter(carol, async () => {
    const made = Number(sql(stack.db, `BEGIN;
      INSERT INTO messages (room_id, user_id, text, created_at) VALUES (${room.id}, ${idOf('alice')}, 'left behind @carol', 1);
      INSERT INTO mentions (message_id, user_id, room_id) VALUES (last_insert_rowid(), ${idOf('carol')}, ${room.id});
      SELECT max(message_id) FROM mentions;
      COMMIT;`));
    const list = await carol.get('/api/mentions');
    assert.equal(list.body.messages[0]?.id, made, list.text);
    return made;
  });
  await copied(id, 'carol');
});

test('the inbox follows its mentions: an edit of a copied message changes its entries in its own transaction; a deleted message and a deleted account leave none', async () => {
  const room = await createRoom(alice);
  await join(alice, room.id);
  const m = await say(alice, room.id, 'review please @bob');
  await copied(m.id, 'bob');
  const edited = await alice.request('PATCH', `/api/messages/${m.id}`, { text: 'review please @carol' });
  assert.equal(edited.status, 200, edited.text);
  assert.equal(inboxOf(stack.db, m.id), 'carol', 'changed with the edit, not later');
  assert.equal((await bob.get('/api/mentions')).body.messages.some((x) => x.id === m.id), false);
  assert.equal((await alice.request('DELETE', `/api/messages/${m.id}`)).status, 204);
  assert.equal(inboxOf(stack.db, m.id), '');
  const [gone] = await users(stack.base, ['gone']);
  const n = await say(alice, room.id, 'bye @gone and @bob');
  await copied(n.id, 'bob gone');
  const goneId = idOf('gone');
  assert.ok(gone);
  const r = spawnSync(joinPath(ROOT, 'build', 'bin', 'chatctl'), ['--db', stack.db, 'user', 'delete', 'gone'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(inboxOf(stack.db, n.id), 'bob');
  assert.equal(sql(stack.db, `SELECT count(*) FROM mention_inbox WHERE user_id = ${goneId}`), '0');
});

test('without a fan-out thread (CGI): a post copies its own mentions before its process ends, and GET /api/mentions merges copied and uncopied ones, newest first, across pages', () => {
  const dir = mkdtempSync(joinPath(tmpdir(), 'chat-fanout-'));
  try {
    const db = joinPath(dir, 'chat.db');
    execFileSync('sqlite3', [db], { input: readFileSync(joinPath(ROOT, 'sql', 'schema.sql')) });
    const cookieOf = (name) => {
      const r = cgi('auth', db, { method: 'POST', uri: '/api/register', body: { username: name, password: PASSWORD } });
      assert.equal(r.status, 201, r.raw + r.stderr);
      return /Set-Cookie: (chat_session=[^;\r\n]+)/i.exec(r.raw)[1];
    };
    const [amy, ben] = [cookieOf('amy'), cookieOf('ben')];
    const room = cgi('rooms', db, { method: 'POST', uri: '/api/rooms', body: { name: 'plans' }, cookie: amy });
    assert.equal(room.status, 201, room.raw + room.stderr);
    const roomId = room.body.room.id;
    assert.equal(cgi('rooms', db, { method: 'POST', uri: `/api/rooms/${roomId}/join`, cookie: amy }).status, 200);
    const post = cgi('post', db, { method: 'POST', uri: `/api/rooms/${roomId}/messages`, body: { text: 'hi @ben' }, cookie: amy });
    assert.equal(post.status, 201, post.raw + post.stderr);
    assert.equal(inboxOf(db, post.body.message.id), 'ben', 'copied by the post\'s own process');
    assert.equal(sql(db, 'SELECT done FROM mention_fanout'), String(post.body.message.id));
    // 60 more mentions of ben; the fan-out copied the first 30 of them only.
    sql(db, `BEGIN;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
        INSERT INTO messages (room_id, user_id, text, created_at) SELECT ${roomId}, 1, '@ben ' || i, i FROM n;
      INSERT INTO mentions (message_id, user_id, room_id) SELECT id, 2, room_id FROM messages WHERE text LIKE '@ben %';
      INSERT INTO mention_inbox (user_id, message_id, room_id) SELECT 2, id, room_id FROM messages WHERE text LIKE '@ben %' ORDER BY id LIMIT 30;
      UPDATE mention_fanout SET done = (SELECT max(message_id) FROM mention_inbox);
      COMMIT;`);
    const all = sql(db, "SELECT group_concat(id, ',') FROM messages WHERE text LIKE '%@ben%'").split(',').map(Number).sort((a, b) => b - a);
    assert.equal(all.length, 61);
    const first = cgi('poll', db, { uri: '/api/mentions', cookie: ben });
    assert.equal(first.status, 200, first.raw + first.stderr);
    assert.deepEqual(first.body.messages.map((x) => x.id), all.slice(0, 50));
    assert.equal(first.body.more, true);
    const second = cgi('poll', db, { uri: `/api/mentions?before=${all[49]}`, cookie: ben });
    assert.deepEqual(second.body.messages.map((x) => x.id), all.slice(50));
    assert.equal(second.body.more, false);
    assert.equal(sql(db, 'SELECT count(*) FROM mention_inbox'), '31', 'a read copies nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
