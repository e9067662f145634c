// Shared pieces of the API tests: the error-shape assertion every test uses,
// row counts read straight from the stack's chat.db with the sqlite3 CLI
// (to prove a refused request changed nothing), users made in parallel
// (scrypt makes each one cost a quarter second), and the poll loop a
// browser runs (after=cursor until nothing is left).
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join as joinPath } from 'node:path';
import { Client } from '../lib/client.mjs';
import { ROOT } from '../lib/stack.mjs';

export const PASSWORD = 'correct horse battery';

// Asserts `res` is the API's one error shape with this status and code.
export function assertError(res, status, code, what = '') {
  const where = `${what ? what + ': ' : ''}${res.status} ${res.text.slice(0, 300)}`;
  assert.equal(res.status, status, where);
  assert.ok(res.body && typeof res.body === 'object' && res.body.error, `no error object: ${where}`);
  assert.equal(res.body.error.code, code, where);
  assert.equal(typeof res.body.error.message, 'string', where);
  assert.ok(res.body.error.message.length > 0, where);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, where);
}

// Runs one SQL statement on the database file and returns its output, trimmed.
export function sql(db, query) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', db, query], { encoding: 'utf8' }).trim();
}

// Number of rows in `table` (optionally WHERE `where`).
export function count(db, table, where = '') {
  return Number(sql(db, `SELECT count(*) FROM ${table}${where ? ' WHERE ' + where : ''}`));
}

// Registers one logged-in Client per name, all at once.
export async function users(base, names) {
  return Promise.all(names.map(async (name) => {
    const c = new Client(base);
    await c.register(name, PASSWORD);
    return c;
  }));
}

// A name nobody used yet in this process (room names, usernames).
let serial = 0;
export function unique(prefix = 'x') {
  serial += 1;
  return `${prefix}${process.pid % 10000}_${serial}`;
}

// Creates a room as `owner` and returns it.
export async function createRoom(owner, name = unique('room')) {
  const r = await owner.post('/api/rooms', { name });
  assert.equal(r.status, 201, r.text);
  return r.body.room;
}

// Joins the room; returns the join reply's body.
export async function join(client, roomId) {
  const r = await client.post(`/api/rooms/${roomId}/join`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

// Posts one message; returns it.
export async function say(client, roomId, text, extra = {}) {
  const r = await client.post(`/api/rooms/${roomId}/messages`, { text, ...extra });
  assert.equal(r.status, 201, r.text);
  return r.body.message;
}

// Polls after=cursor until a poll brings nothing new; returns
// {messages, cursor} with every message seen, in the order received.
export async function drain(client, roomId, cursor = 0) {
  const messages = [];
  for (;;) {
    const r = await client.get(`/api/rooms/${roomId}/messages?after=${cursor}`);
    assert.equal(r.status, 200, r.text);
    messages.push(...r.body.messages);
    // A poll that carries only the room (renamed, new topic) moves the cursor past that change.
    if (r.body.messages.length === 0 && !r.body.room) {
      assert.equal(r.body.cursor, cursor, 'an empty poll keeps the cursor');
      return { messages, cursor };
    }
    cursor = r.body.cursor;
  }
}

// Asserts ids strictly ascending.
export function assertAscending(messages, what = 'ids ascending') {
  for (let i = 1; i < messages.length; i += 1) {
    assert.ok(messages[i].id > messages[i - 1].id, `${what}: ${messages[i - 1].id} then ${messages[i].id}`);
  }
}

export const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

// Another process (the sqlite3 CLI) takes SQLite's write lock on `db` and
// keeps it; resolves once it holds it, with release() to roll back and wait
// for the process to end.
export async function holdWriteLock(db) {
  const holder = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'inherit'] });
  holder.stdin.write("BEGIN IMMEDIATE; INSERT INTO post_buckets (user_id, tokens, updated_at) VALUES (999999, 0, 0); SELECT 'locked';\n");
  await new Promise((resolve, reject) => {
    holder.stdout.on('data', (d) => { if (String(d).includes('locked')) resolve(); });
    holder.once('exit', () => reject(new Error('sqlite3 exited before taking the lock')));
  });
  return {
    async release() {
      holder.stdin.end('ROLLBACK;\n');
      await new Promise((resolve) => (holder.exitCode !== null ? resolve() : holder.once('exit', resolve)));
    },
  };
}

// Collects a node:http(s) response into what Client.request answers:
// {status, headers: {get(name)}, body (parsed JSON or null), text}.
// Repeated headers are joined with `joinWith`.
export function collectReply(res, resolve, joinWith = ', ') {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (c) => { text += c; });
  res.on('end', () => {
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    const get = (name) => {
      const v = res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(joinWith) : v;
    };
    resolve({ status: res.statusCode, headers: { get }, body: json, text });
  });
}

// Sends `text` to 127.0.0.1:`port` as raw bytes (odd request lines, framing
// and headers go out exactly as written; node:http and fetch would refuse or
// rewrite them) and reads until the server closes the connection, so the
// request should say Connection: close. hangUp: end the sending side after
// the request, as a client that will send nothing more does. Resolves
// {status (0 when nothing came back), headers (lower-case names), body, raw}.
export function rawHttp(port, text, { timeoutMs = 15000, hangUp = false } = {}) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {}); // a reset after the reply: the reply is what counts
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no reply within ${timeoutMs} ms to ${JSON.stringify(text.slice(0, 80))}`));
    });
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
      if (!m || end < 0) return resolve({ status: 0, headers: {}, body: '', raw });
      const headers = {};
      for (const line of raw.slice(0, end).split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      return resolve({ status: Number(m[1]), headers, body: raw.slice(end + 4), raw });
    });
    if (hangUp) socket.end(text, 'latin1');
    else socket.write(text, 'latin1');
  });
}

// Runs a program once as CGI against `db` (with the session `cookie` if
// given); returns {status, body, stderr, code, raw}.
export function cgi(program, db, { method = 'GET', uri, body, cookie }) {
  const input = Buffer.from(body === undefined ? '' : JSON.stringify(body));
  const run = spawnSync(joinPath(ROOT, 'build', 'bin', program), {
    input,
    env: {
      PATH: process.env.PATH, CHAT_DB: db, REQUEST_METHOD: method, REQUEST_URI: uri, HTTP_HOST: 'chat.example',
      QUERY_STRING: uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '',
      ...(method === 'GET' ? {} : { CONTENT_TYPE: 'application/json', CONTENT_LENGTH: String(input.length) }),
      ...(cookie === undefined ? {} : { HTTP_COOKIE: cookie }),
      ...(process.env.ASAN_OPTIONS ? { ASAN_OPTIONS: process.env.ASAN_OPTIONS } : {}),
    },
    timeout: 20000,
  });
  const raw = run.stdout.toString('utf8');
  const split = raw.indexOf('\r\n\r\n');
  const status = Number(/Status: (\d+)/.exec(raw)?.[1] ?? 0);
  const text = split >= 0 ? raw.slice(split + 4) : '';
  return { status, body: text ? JSON.parse(text) : null, stderr: run.stderr.toString(), code: run.status, raw };
}
