// Export (issue 13, DESIGN.md "Version 2"): GET
// /api/rooms/{id}/export?format=jsonl|html gives someone inside the room its
// whole live history as a download (Content-Disposition: attachment):
// JSON Lines, one message object a line, oldest first; or HTML where every
// user string is escaped (a <script> in a name or text comes out as text).
// Outsiders 404, not inside 409 not_in_room, deleted 410, bad format 400.
// Read in pages of 200 (core/export.h): 450 messages cross two page ends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../lib/client.mjs';
import { startStack } from '../lib/stack.mjs';
import { assertError, createRoom, join, say, sql, users } from './helpers.mjs';

let stack;
let olive;
let mia;
let mallory;
let anon;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_POST_RATE: '1000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  [olive, mia, mallory] = await users(stack.base, ['olive', 'mia', 'mallory']);
  anon = new Client(stack.base);
});
after(() => stack?.stop());

const header = (r, name) => (r.headers.get ? r.headers.get(name) : r.headers[name]);

test('jsonl: every live message once, oldest first, one object a line, as an attachment; across page ends', async () => {
  const room = await createRoom(olive);
  await join(olive, room.id);
  // 450 messages straight into chat.db (the API's post rate is not what is tested here).
  const now = Date.now();
  sql(stack.db, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 450) INSERT INTO messages (room_id, user_id, text, created_at) SELECT ${room.id}, ${olive.user.id}, 'line ' || i, ${now} + i FROM n`);
  const deleted = await say(olive, room.id, 'deleted before export');
  assert.equal((await olive.del(`/api/messages/${deleted.id ?? deleted.message.id}`)).status, 204);
  await say(olive, room.id, 'the last one');
  const r = await olive.get(`/api/rooms/${room.id}/export?format=jsonl`);
  assert.equal(r.status, 200, r.text);
  assert.match(header(r, 'content-disposition'), new RegExp(`^attachment; filename="room-${room.id}\\.jsonl"$`));
  assert.match(header(r, 'content-type'), /^application\/jsonl/);
  const lines = r.text.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  const messages = lines.map((l) => JSON.parse(l));
  assert.equal(messages.length, 451, 'the 450, the last one; not the deleted one');
  assert.deepEqual(messages.slice(0, 3).map((m) => m.text), ['line 1', 'line 2', 'line 3']);
  assert.equal(messages[449].text, 'line 450');
  assert.equal(messages[450].text, 'the last one');
  assert.ok(messages.every((m, i) => i === 0 || m.id > messages[i - 1].id), 'ascending');
  assert.deepEqual(Object.keys(messages[0]).sort(), ['attachments', 'created_at', 'edited_at', 'id', 'reactions', 'reply_to', 'room_id', 'text', 'user']);
});

test('html: every user string escaped, a <script> comes out as text; an empty room is a page with no messages', async () => {
  const [evil] = await users(stack.base, ['evil_user']);
  const room = await createRoom(olive, `<script>alert("room")</script>`);
  await join(evil, room.id);
  await say(evil, room.id, `<script>alert('x')</script> & "quoted" <img src=x onerror=alert(1)>`);
  await join(olive, room.id);
  const r = await olive.get(`/api/rooms/${room.id}/export?format=html`);
  assert.equal(r.status, 200, r.text);
  assert.match(header(r, 'content-disposition'), /^attachment; filename="room-\d+\.html"$/);
  assert.match(header(r, 'content-type'), /^text\/html/);
  assert.ok(!/<script/i.test(r.text), r.text);
  assert.ok(!/<img/i.test(r.text), r.text);
  assert.ok(r.text.includes('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot; &lt;img src=x onerror=alert(1)&gt;'), r.text);
  assert.ok(r.text.includes('<title>&lt;script&gt;alert(&quot;room&quot;)&lt;/script&gt;</title>'), r.text);
  assert.ok(r.text.includes('<b>evil_user</b>'));
  const empty = await createRoom(olive);
  await join(olive, empty.id);
  const e = await olive.get(`/api/rooms/${empty.id}/export?format=html`);
  assert.equal(e.status, 200);
  assert.ok(!e.text.includes('<p>'));
  assert.ok(e.text.trimEnd().endsWith('</html>'));
});

test('who may export: inside the room only; outsiders of a private room 404; each refusal exact', async () => {
  const open = await createRoom(olive);
  await join(olive, open.id);
  const priv = (await olive.post('/api/rooms', { name: 'Export secret', kind: 'private' })).body.room;
  assertError(await mia.get(`/api/rooms/${open.id}/export?format=jsonl`), 409, 'not_in_room', 'not inside');
  assertError(await mallory.get(`/api/rooms/${priv.id}/export?format=jsonl`), 404, 'room_not_found', 'outsider of a private room');
  assertError(await mallory.get('/api/rooms/999999/export?format=jsonl'), 404, 'room_not_found');
  assertError(await anon.get(`/api/rooms/${open.id}/export?format=jsonl`), 401, 'not_logged_in');
  for (const q of ['', '?format=', '?format=csv', '?format=JSONL', '?format=html&format=x'.replace('html', 'pdf')]) {
    assertError(await olive.get(`/api/rooms/${open.id}/export${q}`), 400, 'invalid_format', q);
  }
  const direct = (await olive.post('/api/direct', { username: 'mia' })).body.room;
  assertError(await mallory.get(`/api/rooms/${direct.id}/export?format=jsonl`), 404, 'room_not_found', 'outsider of a direct room');
  await join(mia, direct.id);
  assert.equal((await mia.get(`/api/rooms/${direct.id}/export?format=jsonl`)).status, 200);
  assert.equal((await olive.del(`/api/rooms/${open.id}`)).status, 204);
  assertError(await olive.get(`/api/rooms/${open.id}/export?format=jsonl`), 410, 'room_deleted');
});
