// User ids are never reused (sql/migrations/0004_users_autoincrement.sql):
// before, SQLite gave a new account max(id)+1, so deleting the newest account
// handed its id to the next sign-up, and a login of the deleted account still
// in flight got a session of the new one (tests/api/login-races.test.mjs).
// Here: a database at the schema just before that migration (release 1's
// fixture plus every earlier migration, applied by the sqlite3 CLI), full of
// rows that refer to users, is migrated by a program at its start; every row
// and value is kept, the foreign keys still hold, and after `chatctl user
// delete` of the newest account the next sign-up gets a new id. The same on
// a database made from today's schema.sql.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../lib/stack.mjs';
import { PASSWORD, sql } from './helpers.mjs';

const BIN = process.env.CHAT_BIN || join(ROOT, 'build', 'bin');
const MIGRATIONS = join(ROOT, 'sql', 'migrations');
const OURS = readdirSync(MIGRATIONS).find((f) => /^\d{4}_users_autoincrement\.sql$/.test(f));
const OUR_VERSION = Number(OURS.slice(0, 4));
const TABLES = ['users', 'sessions', 'rooms', 'messages', 'post_buckets', 'login_failures'];

let dir;
before(() => { dir = mkdtempSync(join(tmpdir(), 'chat-ids-')); });
after(() => { if (dir && !process.env.KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true }); });

// One CGI request to a program over `db`; returns {status, body, raw}.
function cgi(program, db, { method = 'GET', uri, body }) {
  const input = Buffer.from(body === undefined ? '' : JSON.stringify(body));
  const run = spawnSync(join(BIN, program), {
    input,
    env: {
      PATH: process.env.PATH, CHAT_DB: db, REQUEST_METHOD: method, REQUEST_URI: uri, HTTP_HOST: 'chat.example',
      ...(method === 'GET' ? {} : { CONTENT_TYPE: 'application/json', CONTENT_LENGTH: String(input.length) }),
      ...(process.env.ASAN_OPTIONS ? { ASAN_OPTIONS: process.env.ASAN_OPTIONS } : {}),
    },
    timeout: 20000,
  });
  const raw = run.stdout.toString('utf8') + run.stderr.toString('utf8');
  const out = run.stdout.toString('utf8');
  const split = out.indexOf('\r\n\r\n');
  const text = split >= 0 ? out.slice(split + 4) : '';
  return { status: Number(/Status: (\d+)/.exec(out)?.[1] ?? 0), body: text ? JSON.parse(text) : null, raw };
}

const chatctl = (db, ...args) => spawnSync(join(BIN, 'chatctl'), ['--db', db, ...args], { encoding: 'utf8', timeout: 60000 });
const rows = (db, table) => JSON.parse(execFileSync('sqlite3', ['-json', db, `SELECT * FROM ${table} ORDER BY 1`], { encoding: 'utf8' }) || '[]');
const register = (db, username) => cgi('auth', db, { method: 'POST', uri: '/api/register', body: { username, password: PASSWORD } });

// A database at the version just before ours: release 1's schema, then every
// migration file numbered below ours, as the sqlite3 CLI runs them.
function makePrevious(name) {
  const db = join(dir, name);
  execFileSync('sqlite3', [db], { input: readFileSync(join(ROOT, 'tests', 'fixtures', 'schema-v1.sql')) });
  for (const f of readdirSync(MIGRATIONS).sort()) {
    const n = Number(f.slice(0, 4));
    if (!/^\d{4}_.*\.sql$/.test(f) || n >= OUR_VERSION || n <= 1) continue;
    execFileSync('sqlite3', [db], { input: `BEGIN;\n${readFileSync(join(MIGRATIONS, f), 'utf8')}\nPRAGMA user_version = ${n};\nCOMMIT;\n` });
  }
  assert.equal(Number(sql(db, 'PRAGMA user_version')), OUR_VERSION - 1);
  assert.doesNotMatch(sql(db, "SELECT sql FROM sqlite_master WHERE name = 'users'"), /AUTOINCREMENT/i, 'the old table');
  return db;
}

test('the migration to never-reused user ids keeps every row and value of every table that refers to users', () => {
  const db = makePrevious('previous.db');
  // A real hash (made by today's program in a scratch database), so the old
  // accounts can be shown to log in afterwards.
  const scratch = join(dir, 'scratch.db');
  execFileSync('sqlite3', [scratch], { input: readFileSync(join(ROOT, 'sql', 'schema.sql')) });
  assert.equal(register(scratch, 'hasher').status, 201);
  const hash = sql(scratch, "SELECT password_hash FROM users WHERE username = 'hasher'");
  // Ids 1, 2 and 7 (gaps, as deletions leave them); user 2 disabled, user 7 in
  // a room; rooms of 1 and 7, messages of all, sessions, buckets.
  sql(db, `
    PRAGMA foreign_keys = ON;
    INSERT INTO users (id, username, username_key, password_hash, room_id, created_at, disabled_at) VALUES
      (1, 'Alice', 'alice', '${hash}', NULL, 1700000000000, NULL),
      (2, 'bob', 'bob', '${hash}', NULL, 1700000000001, 1700000000500),
      (7, 'carol.x', 'carol.x', '${hash}', NULL, 1700000000002, NULL);
    INSERT INTO rooms (id, name, name_key, owner_id, created_at, deleted_at) VALUES
      (1, 'General', 'general', 1, 1700000001000, NULL), (2, 'Carol''s', 'carol''s', 7, 1700000002000, NULL);
    UPDATE users SET room_id = 2 WHERE id IN (1, 7);
    INSERT INTO messages (room_id, user_id, text, client_id, created_at) VALUES
      (1, 1, 'hello 👋', 'c-1', 1700000004000), (2, 7, 'mine', NULL, 1700000005000), (1, 2, 'bye', NULL, 1700000006000);
    INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES
      (randomblob(32), 1, 1700000000000, 4000000000000), (randomblob(32), 7, 1700000000000, 4000000000000);
    INSERT INTO post_buckets (user_id, tokens, updated_at) VALUES (1, 17.5, 1700000006000), (7, 3, 1700000006000);
    INSERT INTO login_failures (key, level, updated_at) VALUES ('u:alice', 2.5, 4000000000000);`);
  const before = Object.fromEntries(TABLES.map((t) => [t, rows(db, t)]));

  const r = cgi('auth', db, { uri: '/api/health' });
  assert.equal(r.status, 200, r.raw);
  assert.match(r.raw, new RegExp(`applied migration ${OURS.replace('.sql', '')}`));
  assert.ok(Number(sql(db, 'PRAGMA user_version')) >= OUR_VERSION);
  for (const t of TABLES) {
    // Every row and every value of the columns it had (later migrations may add columns).
    const now = rows(db, t);
    assert.equal(now.length, before[t].length, `${t}: every row kept`);
    before[t].forEach((row, i) => {
      for (const [col, value] of Object.entries(row)) assert.deepEqual(now[i][col], value, `${t} row ${i} ${col}`);
    });
  }
  assert.match(sql(db, "SELECT sql FROM sqlite_master WHERE name = 'users'"), /INTEGER PRIMARY KEY AUTOINCREMENT/);
  assert.equal(sql(db, "SELECT seq FROM sqlite_sequence WHERE name = 'users'"), '7', 'the largest id so far');
  assert.equal(sql(db, 'PRAGMA foreign_key_check'), '');
  assert.equal(sql(db, 'PRAGMA integrity_check'), 'ok');
  assert.equal(sql(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('users_room', 'sqlite_autoindex_users_1')"), '2', 'indexes rebuilt');

  // The old accounts still log in, the disabled one is still refused.
  const alice = cgi('auth', db, { method: 'POST', uri: '/api/login', body: { username: 'alice', password: PASSWORD } });
  assert.equal(alice.status, 200, alice.raw);
  assert.equal(alice.body.user.id, 1);
  assert.equal(cgi('auth', db, { method: 'POST', uri: '/api/login', body: { username: 'bob', password: PASSWORD } }).status, 403);

  // Deleting the newest account does not hand its id to the next sign-up.
  const del = chatctl(db, 'user', 'delete', 'carol.x');
  assert.equal(del.status, 0, del.stderr);
  assert.equal(sql(db, 'SELECT max(id) FROM users'), '2');
  const next = register(db, 'dave');
  assert.equal(next.status, 201, next.raw);
  assert.equal(next.body.user.id, 8, 'a new id, not 7 again');
});

test('on a database made from schema.sql the id of a deleted newest account is never given again', () => {
  const db = join(dir, 'fresh.db');
  execFileSync('sqlite3', [db], { input: readFileSync(join(ROOT, 'sql', 'schema.sql')) });
  const ids = [];
  for (let round = 0; round < 3; round += 1) {
    const name = `newest${round}`;
    const r = register(db, name);
    assert.equal(r.status, 201, r.raw);
    ids.push(r.body.user.id);
    const del = chatctl(db, 'user', 'delete', name);
    assert.equal(del.status, 0, del.stderr);
  }
  assert.equal(new Set(ids).size, ids.length, `ids ${ids} all different`);
  assert.ok(ids[1] > ids[0] && ids[2] > ids[1], `ids ${ids} ascending`);
});
