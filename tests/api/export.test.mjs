// Export (issue 13, DESIGN.md "Version 2"): GET
// /api/rooms/{id}/export?format=jsonl|html gives someone inside the room its
// whole live history as a download (Content-Disposition: attachment):
// JSON Lines, one message object a line, oldest first; or HTML where every
// user string is escaped (a <script> in a name or text comes out as text).
// Outsiders 404, not inside 409 not_in_room, deleted 410, bad format 400.
// Read in pages of 200 (core/export.h): 450 messages cross two page ends.
// A 10,000-message room (about 20 MB of text) exports in both formats the
// very messages the poll stream gives, and the rooms worker's peak memory
// stays flat: the export is written page by page, never held whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../lib/client.mjs';
import { ROOT, startStack, waitFor } from '../lib/stack.mjs';
import { existsSync, readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { workerPids } from '../lib/procs.mjs';
import { assertError, createRoom, drain, join, say, sql, users } from './helpers.mjs';

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
  assert.deepEqual(Object.keys(messages[0]).sort(), ['attachments', 'created_at', 'edited_at', 'id', 'mentions', 'reactions', 'reply_to', 'room_id', 'text', 'user']);
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
  // Times a person reads (UTC, said once), the exact instant kept in datetime=.
  const said = (await olive.get(`/api/rooms/${room.id}/messages?after=0`)).body.messages.at(-1);
  const readable = `${said.created_at.slice(0, 10)} ${said.created_at.slice(11, 16)}`;
  assert.ok(r.text.includes(`<time datetime="${said.created_at}">${readable}</time> <b>evil_user</b>`), r.text);
  assert.match(readable, /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  assert.ok(r.text.includes('<p class="note">Times are UTC.</p>'), r.text);
  assert.ok(!r.text.includes('class="topic"'), 'no topic, no empty line for it');
  // The room's topic under its name, escaped like everything else.
  assert.equal((await olive.request('PATCH', `/api/rooms/${room.id}`, { topic: 'Plans <b>& "more"</b>' })).status, 200);
  const t = await olive.get(`/api/rooms/${room.id}/export?format=html`);
  assert.ok(t.text.includes('</h1>\n<p class="topic">Plans &lt;b&gt;&amp; &quot;more&quot;&lt;/b&gt;</p>\n'), t.text);
  assert.ok(!/<script/i.test(t.text) && !/<b>&/.test(t.text), t.text);
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

// Resident and peak resident memory (VmRSS, VmHWM) of a process, in kB.
function memoryKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  .replace(/"/g, '&quot;').replace(/'/g, '&#39;');

test('a 10,000-message room exports in both formats exactly what the poll stream gives, and the worker\'s memory stays flat', async () => {
  const room = await createRoom(olive);
  await join(olive, room.id);
  // 10,000 messages of about 2,000 characters each (some HTML, some not
  // ASCII, a <script> in every tenth), straight into chat.db.
  const now = Date.now();
  sql(stack.db, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
    INSERT INTO messages (room_id, user_id, text, created_at)
    SELECT ${room.id}, CASE WHEN i % 3 = 0 THEN ${mia.user.id} ELSE ${olive.user.id} END,
      'm' || i || CASE WHEN i % 10 = 0 THEN ' <script>alert(' || i || ')</script>' ELSE ' <b>&amp;</b> "q" ''s'' é 😀' END
        || ' ' || replace(hex(zeroblob(1000)), '00', 'ab'),
      ${now} + i FROM n`);
  // Changes through the API too: an edit, a reaction, a reply and a deletion.
  const first = Number(sql(stack.db, `SELECT min(id) FROM messages WHERE room_id = ${room.id}`));
  assert.equal((await olive.request('PATCH', `/api/messages/${first + 1}`, { text: 'edited <i>now</i>' })).status, 200);
  assert.equal((await olive.request('PUT', `/api/messages/${first + 2}/reactions`, { emoji: '👍' })).status, 200);
  assert.equal((await olive.del(`/api/messages/${first + 3}`)).status, 204);
  await say(olive, room.id, 'a reply at the end', { reply_to: first + 4 });

  // The poll stream from the start: every message once, in its current state.
  const { messages: polled } = await drain(olive, room.id, 0);
  const live = polled.filter((m) => !m.deleted).sort((a, b) => a.id - b.id);
  assert.equal(live.length, 10000, '10,000 - 1 deleted + 1 reply');

  // The bound is about the real build. Under AddressSanitizer (make test
  // runs the API tests through build/san) freed memory waits in its
  // quarantine (256 MB by default) instead of being reused, so the peak says
  // nothing about the export: the rooms workers are then restarted from the
  // plain build, which make test builds first, over the same chat.db.
  const asan = (pid) => readFileSync(`/proc/${pid}/maps`, 'latin1').includes('libasan');
  let pids = workerPids(stack, 'rooms');
  assert.ok(pids.length > 0, 'rooms workers found');
  if (pids.some(asan)) {
    const plain = joinPath(ROOT, 'build', 'bin');
    assert.ok(existsSync(joinPath(plain, 'rooms')), `the plain build in ${plain} (make all) for the memory bound`);
    await stack.stopWorkers();
    await stack.startWorkers({ env: { CHAT_BIN: plain } });
    // Both plain workers (run.sh starts 2 a program), and none of the old
    // ones still exiting: startWorkers returns once one worker answers.
    await waitFor(() => {
      pids = workerPids(stack, 'rooms');
      return pids.length === 2 && !pids.some(asan);
    }, 10000, 'plain rooms workers');
  }
  const before = Object.fromEntries(pids.map((pid) => [pid, memoryKb(pid)]));

  const jsonl = await olive.get(`/api/rooms/${room.id}/export?format=jsonl`);
  assert.equal(jsonl.status, 200);
  const lines = jsonl.text.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, live.length);
  for (let i = 0; i < lines.length; i += 1) {
    assert.deepEqual(JSON.parse(lines[i]), live[i], `line ${i + 1}`);
  }
  assert.ok(jsonl.text.length > 20_000_000, `${jsonl.text.length} characters: a big export`);

  const html = await olive.get(`/api/rooms/${room.id}/export?format=html`);
  assert.equal(html.status, 200);
  assert.ok(!/<script/i.test(html.text), 'no script element anywhere');
  const paragraphs = [...html.text.matchAll(/<p><time datetime="([^"<]*)">([^<]*)<\/time> <b>([^<]*)<\/b>: ([^<]*)<\/p>\n/g)];
  assert.equal(paragraphs.length, live.length, 'one paragraph a message, nothing else');
  paragraphs.forEach((p, i) => {
    const m = live[i];
    const readable = `${m.created_at.slice(0, 10)} ${m.created_at.slice(11, 16)}`;
    assert.deepEqual([p[1], p[2], p[3], p[4]], [m.created_at, readable, escapeHtml(m.user.username), escapeHtml(m.text)], `message ${m.id}`);
  });

  // Peak memory (VmHWM) of every rooms worker: an export held whole would
  // raise one by at least its 20 MB; written page by page it stays flat.
  const after = Object.fromEntries(pids.map((pid) => [pid, memoryKb(pid)]));
  const growth = pids.map((pid) => ({ pid, rss_kb: after[pid].rss - before[pid].rss, peak_kb: after[pid].hwm - before[pid].hwm }));
  console.log(`export of ${lines.length} messages (${(jsonl.text.length / 1e6).toFixed(1)} MB jsonl, ${(html.text.length / 1e6).toFixed(1)} MB html): rooms workers ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  for (const g of growth) assert.ok(g.peak_kb < 8 * 1024, `worker ${g.pid} peak grew ${g.peak_kb} kB`);
});
