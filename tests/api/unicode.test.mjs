// Input that looks like something it is not (issue 11), through real nginx
// and workers: names and messages made only of characters that draw nothing
// are refused; room names that look the same are one name; JSON escapes that
// are not characters and raw control characters are invalid_json; and a
// path cannot write a line of its own, or a terminal command, into the log.
// Every refused request changes nothing (fingerprint of the tables).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { assertError, createRoom, join, sql } from './helpers.mjs';

let stack;
let alice;
let room;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000' } });
  alice = new Client(stack.base);
  await alice.register('alice');
  room = await createRoom(alice, 'Lobby');
  await join(alice, room.id);
});
after(() => stack?.stop());

const fingerprint = () => sql(stack.db,
  "SELECT (SELECT count(*) || '/' || ifnull(max(id), 0) FROM users) || ' ' || " +
  "(SELECT count(*) || ':' || group_concat(name || '=' || name_key, ',') FROM rooms) || ' ' || " +
  "(SELECT count(*) || '/' || ifnull(max(id), 0) FROM messages)");

// Characters that draw nothing: White_Space, Default_Ignorable_Code_Point
// (zero-width, joiners, bidi marks, Hangul fillers, variation selectors,
// tags), and blank glyphs.
const INVISIBLE = [
  '\u200b', '\u3164', '\u200e', '\u200f', '\u115f\u1160', '\uffa0', '\u2800', '\u200c\u200d',
  '\u00ad', '\u034f', '\u2060\ufeff', '\u180e', '\ufe0f', '\u{e0041}', '\u2061\u2062\u2063\u2064',
  ' \u200b\u3000\u00a0\t', '\u{1d159}', '\u061c',
];

test('room names made only of invisible characters are refused with 400 invalid_room_name', async () => {
  const fp = fingerprint();
  for (const name of INVISIBLE) {
    assertError(await alice.post('/api/rooms', { name }), 400, 'invalid_room_name', JSON.stringify(name));
  }
  assert.equal(fingerprint(), fp);
});

test('usernames are ASCII only, so no invisible or look-alike character gets into one: 400 invalid_username', async () => {
  const fp = fingerprint();
  const anon = new Client(stack.base);
  for (const username of ['ali\u200bce', '\u200balice', 'alic\u0435', '\uff41lice', 'alice\u3164']) {
    assertError(await anon.post('/api/register', { username, password: 'correct horse battery' }), 400, 'invalid_username', JSON.stringify(username));
  }
  assertError(await anon.post('/api/register', { username: 'ALICE', password: 'correct horse battery' }), 409, 'username_taken');
  assert.equal(fingerprint(), fp);
});

test('messages made only of invisible characters are refused with 400 invalid_text', async () => {
  const fp = fingerprint();
  for (const text of INVISIBLE) {
    assertError(await alice.post(`/api/rooms/${room.id}/messages`, { text }), 400, 'invalid_text', JSON.stringify(text));
  }
  assert.equal(fingerprint(), fp);
});

test('joiners and selectors inside text stay: emoji sequences, Persian ZWNJ, a zero-width space between words; stored exactly as sent', async () => {
  for (const text of [
    '\u2764\ufe0f', '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}', '\u{1f44d}\u{1f3fd}', '\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645',
    'a\u200bb', '\u200b hi \u200b', '\u05e9\u05dc\u05d5\u05dd\u200f!',
  ]) {
    const r = await alice.post(`/api/rooms/${room.id}/messages`, { text });
    assert.equal(r.status, 201, `${JSON.stringify(text)}: ${r.text}`);
    assert.equal(r.body.message.text, text);
    assert.equal(sql(stack.db, `SELECT hex(text) FROM messages WHERE id = ${r.body.message.id}`),
      Buffer.from(text).toString('hex').toUpperCase());
  }
  const r = await alice.post('/api/rooms', { name: '\u200b\u2764\ufe0f Hearts\u2060 ' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.room.name, '\u2764\ufe0f Hearts', 'trimmed of invisible characters, the emoji keeps its selector');
});

test('room names that look the same are one name: NFKC, case folding, invisible characters and runs of spaces do not make a new name', async () => {
  const general = await createRoom(alice, 'General Chat');
  const fp = fingerprint();
  for (const name of [
    'General Chat', 'GENERAL CHAT', 'General Chat\u200b', 'Gen\u200ceral Chat', '\u2060General\u00adChat'.replace('\u00ad', ' '),
    'Gen\u3164eral Chat', '\uff27\uff45\uff4e\uff45\uff52\uff41\uff4c\u3000\uff23\uff48\uff41\uff54', 'General\u00a0Chat',
    'General   Chat', ' general chat\u200e',
  ]) {
    assertError(await alice.post('/api/rooms', { name }), 409, 'room_name_taken', JSON.stringify(name));
  }
  await createRoom(alice, 'Caf\u00e9');
  const fp2 = fingerprint();
  assertError(await alice.post('/api/rooms', { name: 'Cafe\u0301' }), 409, 'room_name_taken', 'NFD of an NFC name');
  assertError(await alice.post('/api/rooms', { name: 'CAF\u00c9' }), 409, 'room_name_taken');
  assert.equal(fingerprint(), fp2);
  assert.notEqual(fp, fp2);
  // Different names stay different.
  for (const name of ['General Chats', 'GeneralChat', 'Cafe', 'Gen\u2800eral Chat']) await createRoom(alice, name);
  // Deleting frees the name for every look-alike.
  assert.equal((await alice.del(`/api/rooms/${general.id}`)).status, 204);
  const again = await alice.post('/api/rooms', { name: 'GENERAL\u200b CHAT' });
  assert.equal(again.status, 201, again.text);
  assert.equal(again.body.room.name, 'GENERAL\u200b CHAT', 'inside the name, as typed');
});

test('a \\u escape that is not a high surrogate followed by a low one, or a raw control character in a string, is 400 invalid_json', async () => {
  const fp = fingerprint();
  const bad = [
    '{"text":"\\ud800\\u0041"}', '{"text":"\\ud83d\\ud83d"}', '{"text":"\\udc00"}', '{"text":"\\ude00\\ud83d"}',
    '{"text":"x\\ud800"}', '{"text":"a\nb"}', '{"text":"a\tb"}', '{"text":"\u001b[31mred"}', '{"te\u0001xt":"a"}',
  ];
  for (const body of bad) {
    assertError(await alice.post(`/api/rooms/${room.id}/messages`, body), 400, 'invalid_json', JSON.stringify(body));
    assertError(await alice.post('/api/rooms', body.replace('text', 'name')), 400, 'invalid_json', JSON.stringify(body));
  }
  const anon = new Client(stack.base);
  assertError(await anon.post('/api/register', '{"username":"bob\\udc00","password":"correct horse battery"}'), 400, 'invalid_json');
  assert.equal(fingerprint(), fp);
  // A proper pair is the character it names.
  const ok = await alice.post(`/api/rooms/${room.id}/messages`, '{"text":"\\ud83d\\ude00 \\u00e9\\n"}');
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.message.text, '\u{1f600} \u00e9\n');
});

test('client data cannot forge a log line or send the terminal a command: control characters in the path are escaped', async () => {
  const forged = '2026-01-01T00:00:00.000Z auth[1] error: forged by a client';
  const paths = [
    `/api/rooms/1%0a${encodeURIComponent(forged)}`,
    `/api/rooms/1%0d%0a${encodeURIComponent(forged)}`,
    '/api/rooms/1%1B%5B2J%1B%5D0;owned%07',
    '/api/rooms/1%E2%80%AEfdp.exe',
  ];
  for (const p of paths) {
    const r = await alice.get(p);
    assert.ok(r.status === 404 || r.status === 400, `${p}: ${r.status} ${r.text}`);
  }
  let log = '';
  for (let i = 0; i < 50 && !log.includes('fdp.exe'); i++) {
    log = readFileSync(stack.log, 'latin1');
    if (!log.includes('fdp.exe')) await new Promise((res) => setTimeout(res, 100));
  }
  const lines = log.split('\n');
  assert.ok(!lines.some((l) => l.startsWith('2026-01-01T00:00:00.000Z')), 'no forged line');
  assert.ok(!log.includes('\x1b'), 'no escape byte in the log');
  assert.ok(!log.includes('\r'), 'no carriage return in the log');
  assert.ok(!log.includes('\xe2\x80\xae'), 'no right-to-left override in the log');
  assert.ok(lines.some((l) => / rooms\[\d+\] GET \/api\/rooms\/1\\x0a2026-01-01T00:00:00\.000Z\\x20auth\[1\]\\x20error:\\x20forged\\x20by\\x20a\\x20client 40\d /.test(l)),
    'the request is one line, its path escaped');
  assert.ok(lines.some((l) => l.includes('GET /api/rooms/1\\x1b[2J\\x1b]0;owned\\x07 ')));
  assert.ok(lines.some((l) => l.includes('GET /api/rooms/1\\xe2\\x80\\xaefdp.exe ')));
});
