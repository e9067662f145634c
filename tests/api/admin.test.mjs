// Admins (issue 13): an account made admin by `chatctl user admin NAME on`
// may delete any (open or private) room and any message, lists accounts and
// disables or enables them through /api/admin/users, and everything an
// admin does with that power is in the audit log (admin_log, `chatctl
// audit`) and in the programs' log with who did it; chatctl's own changes
// are logged with the actor "chatctl". Disabling through the page does what
// `chatctl user disable` does (the same code): sessions and push streams end
// at once. `chatctl room export` writes exactly what GET
// /api/rooms/{id}/export sends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../lib/client.mjs';
import { openEvents } from '../lib/events.mjs';
import { ROOT, startStack, waitFor } from '../lib/stack.mjs';
import { PASSWORD, assertError, count, createRoom, join as joinRoom, say, sql, unique, users } from './helpers.mjs';

const HAVE_NCHAN = existsSync('/usr/lib/nginx/modules/ngx_nchan_module.so');
const CHATCTL = join(ROOT, 'build', 'bin', 'chatctl');

let stack;
let scratch;
let root; // the admin
let olive; // owns rooms
let mia; // a member
let mallory; // nobody special
let anon;

function ctl(args) {
  const r = spawnSync(CHATCTL, ['--db', stack.db, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr, raw: r.stdout };
}
// The newest audit rows, newest first, as objects.
function audit(where = '1') {
  const out = spawnSync('sqlite3', ['-json', stack.db, `SELECT * FROM admin_log WHERE ${where} ORDER BY id DESC`], { encoding: 'utf8' }).stdout;
  return JSON.parse(out || '[]');
}

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '100000', CHAT_POST_RATE: '100000', CHAT_ROOM_CREATE_BURST: '1000', CHAT_JOIN_BURST: '1000' } });
  scratch = mkdtempSync(join(tmpdir(), 'chat-admin-'));
  [root, olive, mia, mallory] = await users(stack.base, [unique('root'), unique('olive'), unique('mia'), unique('mallory')]);
  const r = ctl(['user', 'admin', root.user.username, 'on']);
  assert.equal(r.code, 0, r.err);
  anon = new Client(stack.base);
});
after(async () => {
  await stack?.stop();
  if (scratch && !process.env.KEEP_TEST_DIRS) rmSync(scratch, { recursive: true, force: true });
});

test('an admin deletes someone else\'s open room and a private room they cannot see; others still cannot; each in the audit log with who did it', async () => {
  const open = await createRoom(olive);
  const priv = (await olive.post('/api/rooms', { name: unique('secret'), kind: 'private' })).body.room;
  await joinRoom(mia, open.id);
  await say(mia, open.id, 'inside the open room');
  // Not the owner, not an admin: refused, nothing changes.
  assertError(await mallory.del(`/api/rooms/${open.id}`), 403, 'not_owner');
  assertError(await mallory.del(`/api/rooms/${priv.id}`), 404, 'room_not_found', 'a private room stays unseen');
  assert.equal(count(stack.db, 'rooms', `id IN (${open.id}, ${priv.id}) AND deleted_at IS NULL`), 2);
  assert.equal(audit().filter((a) => a.action === 'room_delete').length, 0);
  // The admin: both go, with their messages; whoever was inside is told.
  assert.equal((await root.del(`/api/rooms/${open.id}`)).status, 204);
  assert.equal((await root.del(`/api/rooms/${priv.id}`)).status, 204);
  assert.equal(count(stack.db, 'rooms', `id IN (${open.id}, ${priv.id}) AND deleted_at IS NOT NULL`), 2);
  assert.equal(count(stack.db, 'messages', `room_id = ${open.id}`), 0);
  assertError(await mia.get(`/api/rooms/${open.id}/messages?after=0`), 410, 'room_deleted', 'the member inside');
  assertError(await root.del(`/api/rooms/${open.id}`), 404, 'room_not_found', 'deleting twice');
  const rows = audit("action = 'room_delete'");
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.equal(row.actor, root.user.username);
    assert.equal(row.actor_id, root.user.id);
  }
  assert.match(rows[1].target, new RegExp(`^room ${open.id} \\(${open.name}\\)$`));
  assert.match(rows[0].target, new RegExp(`^room ${priv.id} `));
  assert.match(rows[1].detail, /open room of user \d+, 1 message/);
  // The programs' log says it too, with the admin's name.
  await waitFor(() => readFileSync(stack.log, 'utf8').includes(`audit: ${root.user.username} (user ${root.user.id}) room_delete room ${priv.id}`), 5000, 'the audit log line');
  // An owner deleting their own room is no admin act: not in the audit log.
  const own = await createRoom(root);
  assert.equal((await root.del(`/api/rooms/${own.id}`)).status, 204);
  assert.equal(audit("action = 'room_delete'").length, 2);
});

test('a direct room is not deleted, not by an admin either (403 direct_room)', async () => {
  const d = await mia.post('/api/direct', { username: mallory.user.username });
  assert.equal(d.status, 201, d.text);
  assertError(await root.del(`/api/rooms/${d.body.room.id}`), 403, 'direct_room');
  assert.equal(count(stack.db, 'rooms', `id = ${d.body.room.id} AND deleted_at IS NULL`), 1);
});

test('an admin deletes anyone\'s message, in any room, inside it or not; others may not; audit row with the author', async () => {
  const open = await createRoom(olive);
  await joinRoom(mia, open.id);
  await joinRoom(mallory, open.id);
  const m1 = await say(mia, open.id, 'mia writes');
  const m2 = await say(mia, open.id, 'mia writes again');
  assertError(await mallory.del(`/api/messages/${m1.id}`), 403, 'not_allowed', 'a mere member');
  // Inside the room.
  await joinRoom(root, open.id);
  assert.equal((await root.del(`/api/messages/${m1.id}`)).status, 204);
  // Not inside any room, and a private room the admin is no member of.
  assert.equal((await root.post(`/api/rooms/${open.id}/leave`)).status, 204);
  assert.equal((await root.del(`/api/messages/${m2.id}`)).status, 204);
  const priv = (await olive.post('/api/rooms', { name: unique('hush'), kind: 'private' })).body.room;
  await joinRoom(olive, priv.id);
  const m3 = await say(olive, priv.id, 'behind closed doors');
  assert.equal((await root.del(`/api/messages/${m3.id}`)).status, 204);
  assert.equal(count(stack.db, 'messages', `id IN (${m1.id}, ${m2.id}, ${m3.id}) AND deleted_at IS NOT NULL AND text = ''`), 3);
  // The change feed carries each deletion.
  const poll = await mia.get(`/api/rooms/${open.id}/messages?after=${m2.id}`);
  assert.deepEqual(poll.body.messages.map((m) => [m.id, m.deleted]), [[m1.id, true], [m2.id, true]]);
  assertError(await root.del(`/api/messages/${m1.id}`), 404, 'message_not_found', 'already deleted');
  const rows = audit("action = 'message_delete'");
  assert.deepEqual(rows.map((r) => r.target), [`message ${m3.id} in room ${priv.id}`, `message ${m2.id} in room ${open.id}`, `message ${m1.id} in room ${open.id}`]);
  assert.ok(rows.every((r) => r.actor === root.user.username && r.actor_id === root.user.id));
  assert.equal(rows[1].detail, `written by user ${mia.user.id}`);
  // An owner deleting in their own room is not an admin act.
  const m4 = await say(olive, priv.id, 'my own');
  assert.equal((await olive.del(`/api/messages/${m4.id}`)).status, 204);
  assert.equal(audit("action = 'message_delete'").length, 3);
});

test('the admin routes: 401 logged out, 403 not_admin for others, 200 for an admin; the list pages by id; every refusal exact', async () => {
  assertError(await anon.get('/api/admin/users'), 401, 'not_logged_in');
  assertError(await anon.post(`/api/admin/users/${mia.user.id}`, { disabled: true }), 401, 'not_logged_in');
  assertError(await mia.get('/api/admin/users'), 403, 'not_admin');
  assertError(await mia.post(`/api/admin/users/${mallory.user.id}`, { disabled: true }), 403, 'not_admin');
  assert.equal(count(stack.db, 'users', 'disabled_at IS NOT NULL'), 0, 'nobody disabled by a refusal');
  const list = await root.get('/api/admin/users');
  assert.equal(list.status, 200, list.text);
  const me = list.body.users.find((u) => u.id === root.user.id);
  assert.deepEqual(Object.keys(me).sort(), ['admin', 'created_at', 'disabled', 'id', 'username']);
  assert.equal(me.admin, true);
  const m = list.body.users.find((u) => u.id === mia.user.id);
  assert.deepEqual([m.username, m.admin, m.disabled], [mia.user.username, false, false]);
  assert.match(m.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(list.body.more, false);
  const ids = list.body.users.map((u) => u.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  const rest = await root.get(`/api/admin/users?after=${ids[1]}`);
  assert.deepEqual(rest.body.users.map((u) => u.id), ids.slice(2));
  // 100 a page: 100 more accounts made straight in the database.
  sql(stack.db, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
    INSERT INTO users (username, username_key, password_hash, created_at) SELECT 'bulk' || i, 'bulk' || i, 'x', 1700000000000 FROM n`);
  const page = await root.get('/api/admin/users');
  assert.equal(page.body.users.length, 100);
  assert.equal(page.body.more, true);
  const next = await root.get(`/api/admin/users?after=${page.body.users[99].id}`);
  assert.equal(next.body.more, false);
  assert.equal(page.body.users.length + next.body.users.length, count(stack.db, 'users'));
  for (const bad of ['abc', '-1', '1.5', '']) {
    assertError(await root.get(`/api/admin/users?after=${encodeURIComponent(bad)}`), 400, 'invalid_cursor', bad);
  }
  for (const body of [{}, { disabled: 'yes' }, { disabled: 1 }, { disabled: null }]) {
    assertError(await root.post(`/api/admin/users/${mallory.user.id}`, body), 400, 'invalid_json', JSON.stringify(body));
  }
  assertError(await root.post('/api/admin/users/99999999', { disabled: true }), 404, 'user_not_found');
  assertError(await root.post(`/api/admin/users/${root.user.id}`, { disabled: true }), 409, 'own_account');
  assertError(await root.request('PUT', '/api/admin/users'), 405, 'method_not_allowed');
  assert.equal(count(stack.db, 'users', 'disabled_at IS NOT NULL'), 0, 'nobody disabled by a refusal');
  assert.equal(audit("action IN ('user_disable', 'user_enable')").length, 0, 'no refusal is audited');
});

test('disabling through the admin route ends the person\'s sessions and push stream at once; enabling lets them back; both audited', async () => {
  const [vic] = await users(stack.base, [unique('vic')]);
  const second = new Client(stack.base);
  assert.equal((await second.post('/api/login', { username: vic.user.username, password: PASSWORD })).status, 200);
  const room = await createRoom(olive);
  await joinRoom(vic, room.id);
  let sub = null;
  if (HAVE_NCHAN) {
    sub = await openEvents(stack.base, vic.cookie, `/api/rooms/${room.id}/events`);
    assert.equal(sub.status, 200, sub.text);
  }
  try {
    const r = await root.post(`/api/admin/users/${vic.user.id}`, { disabled: true });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.user.id, r.body.user.disabled], [vic.user.id, true]);
    assert.equal(count(stack.db, 'sessions', `user_id = ${vic.user.id}`), 0, 'every session gone in the same transaction');
    if (sub) {
      const done = await Promise.race([sub.ended, new Promise((res) => { setTimeout(() => res(null), 2000); })]);
      assert.ok(done !== null, 'the disabled person\'s stream is still open 2 s later');
    }
  } finally {
    sub?.close();
  }
  assertError(await vic.get('/api/me'), 401, 'not_logged_in', 'the first session');
  assertError(await second.get('/api/me'), 401, 'not_logged_in', 'the second session');
  assertError(await vic.get(`/api/rooms/${room.id}/messages?after=0`), 401, 'not_logged_in', 'their poll');
  assertError(await new Client(stack.base).post('/api/login', { username: vic.user.username, password: PASSWORD }), 403, 'account_disabled');
  const listed = (await root.get(`/api/admin/users?after=${vic.user.id - 1}`)).body.users[0];
  assert.equal(listed.id, vic.user.id);
  assert.equal(listed.disabled, true);
  // Enabling: the person logs in again.
  const e = await root.post(`/api/admin/users/${vic.user.id}`, { disabled: false });
  assert.equal(e.status, 200, e.text);
  assert.equal(e.body.user.disabled, false);
  assert.equal((await new Client(stack.base).post('/api/login', { username: vic.user.username, password: PASSWORD })).status, 200);
  const rows = audit(`target LIKE 'user ${vic.user.id} %'`);
  assert.deepEqual(rows.map((x) => [x.action, x.actor, x.actor_id]), [
    ['user_enable', root.user.username, root.user.id],
    ['user_disable', root.user.username, root.user.id],
  ]);
  assert.equal(rows[1].target, `user ${vic.user.id} (${vic.user.username})`);
  assert.equal(rows[1].detail, '2 session(s) ended');
});

test('chatctl\'s changes are audited with the actor "chatctl"; `chatctl audit` shows the log newest first', async () => {
  const name = unique('ctl');
  const add = spawnSync(CHATCTL, ['--db', stack.db, 'user', 'add', name], { input: `${PASSWORD}\n`, encoding: 'utf8' });
  assert.equal(add.status, 0, add.stderr);
  for (const args of [['user', 'disable', name], ['user', 'enable', name], ['user', 'admin', name, 'on'], ['user', 'admin', name, 'off']]) {
    const r = ctl(args);
    assert.equal(r.code, 0, r.err);
  }
  const room = await createRoom(olive);
  assert.equal(ctl(['room', 'delete', String(room.id)]).code, 0);
  const id = Number(sql(stack.db, `SELECT id FROM users WHERE username = '${name}'`));
  const rows = audit(`actor = 'chatctl' AND (target LIKE 'user ${id} %' OR target LIKE 'room ${room.id} %')`);
  assert.deepEqual(rows.map((r) => r.action), ['room_delete', 'user_admin_off', 'user_admin_on', 'user_enable', 'user_disable', 'user_add']);
  assert.ok(rows.every((r) => r.actor_id === null && r.at > 1700000000000));
  const shown = ctl(['audit', '--limit', '3']);
  assert.equal(shown.code, 0, shown.err);
  const lines = shown.out.trim().split('\n');
  assert.equal(lines.length, 4, shown.out); // heading + 3
  assert.match(lines[1], new RegExp(`chatctl\\s+room_delete\\s+room ${room.id} \\(${room.name}\\)`));
  assert.match(lines[2], new RegExp(`chatctl\\s+user_admin_off\\s+user ${id} \\(${name}\\)`));
  assert.equal(ctl(['audit', '--limit', 'x']).code, 2);
  // The site's admin actions are in the same list, with the admin's id.
  assert.match(ctl(['audit', '--limit', '1000']).out, new RegExp(`${root.user.username} \\(${root.user.id}\\)\\s+user_disable`));
});

test('chatctl room export writes exactly the bytes of GET /api/rooms/{id}/export, in both formats, by id or by name; logged', async () => {
  const room = await createRoom(olive, unique('Export <b>&"\''));
  await joinRoom(olive, room.id);
  await joinRoom(mia, room.id);
  let first = null;
  for (let i = 0; i < 450; i += 1) {
    const m = await say(i % 2 ? mia : olive, room.id, i === 7 ? '<script>alert(1)</script> & "quotes" \'\n  two lines 👋' : `message ${i}`,
      i === 9 ? { reply_to: first.id } : {});
    if (i === 0) first = m;
  }
  assert.equal((await mia.request('PUT', `/api/messages/${first.id}/reactions`, { emoji: '👍' })).status, 200);
  const gone = await say(olive, room.id, 'deleted before the export');
  assert.equal((await olive.del(`/api/messages/${gone.id}`)).status, 204);
  for (const format of ['jsonl', 'html']) {
    const res = await fetch(`${stack.base}/api/rooms/${room.id}/export?format=${format}`, { headers: { cookie: olive.cookie } });
    assert.equal(res.status, 200);
    const api = Buffer.from(await res.arrayBuffer());
    const byId = spawnSync(CHATCTL, ['--db', stack.db, 'room', 'export', String(room.id), '--format', format], { maxBuffer: 1 << 26 });
    assert.equal(byId.status, 0, byId.stderr.toString());
    assert.ok(api.length > 20000, `${format}: ${api.length} bytes`);
    assert.ok(byId.stdout.equals(api), `${format}: chatctl's bytes differ from the route's`);
    const file = join(scratch, `room.${format}`);
    const byName = spawnSync(CHATCTL, ['--db', stack.db, 'room', 'export', room.name.toUpperCase(), `--format=${format}`, '--out', file]);
    assert.equal(byName.status, 0, byName.stderr.toString());
    assert.ok(readFileSync(file).equals(api), `${format} --out by name`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = spawnSync(CHATCTL, ['--db', stack.db, 'room', 'export', String(room.id), '--format', format, '--out', file], { encoding: 'utf8' });
    assert.equal(again.status, 1, 'an existing file is not overwritten');
    assert.match(again.stderr, /File exists/);
  }
  assert.equal(ctl(['room', 'export', String(room.id)]).code, 2, 'no format');
  assert.equal(ctl(['room', 'export', String(room.id), '--format', 'pdf']).code, 2);
  const none = ctl(['room', 'export', '99999999', '--format', 'jsonl']);
  assert.equal(none.code, 1);
  assert.match(none.err, /no room "99999999"/);
  assert.equal(audit(`action = 'room_export' AND target LIKE 'room ${room.id} %'`).length, 4);
});

test('/admin is the admin page, with the same security headers as the other pages and no inline script', async () => {
  const page = await fetch(`${stack.base}/admin`);
  const rooms = await fetch(`${stack.base}/rooms`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<title>Admin · Chatroom<\/title>/);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  for (const h of ['content-security-policy', 'x-content-type-options', 'referrer-policy', 'x-frame-options', 'cross-origin-opener-policy', 'permissions-policy']) {
    assert.ok(page.headers.get(h), `${h} sent`);
    assert.equal(page.headers.get(h), rooms.headers.get(h), h);
  }
  await rooms.text();
});
