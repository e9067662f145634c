// Schema migrations (cgi-bin/core/migrate.h): a database made by the first
// schema (tests/fixtures/schema-v1.sql, the schema.sql of release 1), full
// of data, is brought to the newest version by a program at its start and
// keeps every row and every value; the result has the same tables, columns
// and indexes as a database made from today's sql/schema.sql; a second start
// changes nothing; a database newer than the programs is refused untouched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../lib/stack.mjs';
import { PASSWORD, cgi, sql } from './helpers.mjs';

let dir;
const V1_TABLES = ['users', 'sessions', 'rooms', 'messages', 'post_buckets'];
const NEWEST = Math.max(...readdirSync(join(ROOT, 'sql', 'migrations'))
  .filter((f) => /^\d{4}_.*\.sql$/.test(f)).map((f) => Number(f.slice(0, 4))));

before(() => { dir = mkdtempSync(join(tmpdir(), 'chat-migrate-')); });
after(() => { if (dir && !process.env.KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true }); });

const rows = (db, table) => JSON.parse(execFileSync('sqlite3', ['-json', db, `SELECT * FROM ${table} ORDER BY 1`], { encoding: 'utf8' }) || '[]');

// Every row of `tables` (v1's by default) is still there with every value of
// the columns it had (new columns may have been added beside them).
function assertRowsKept(db, before, tables = V1_TABLES) {
  for (const t of tables) {
    const now = rows(db, t);
    assert.equal(now.length, before[t].length, `${t}: row count`);
    before[t].forEach((row, i) => {
      for (const [col, value] of Object.entries(row)) assert.deepEqual(now[i][col], value, `${t} row ${i} ${col}`);
    });
  }
}
const shape = (db) => {
  const tables = sql(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").split('\n');
  return Object.fromEntries(tables.map((t) => [t, {
    columns: sql(db, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('${t}')`),
    indexes: sql(db, `SELECT il.name, il."unique", il.partial, group_concat(ii.name) FROM pragma_index_list('${t}') il, pragma_index_info(il.name) ii GROUP BY il.name ORDER BY il.name`),
    fks: sql(db, `SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list('${t}')`),
  }]));
};

// A release-1 database with a real account (password PASSWORD), sessions,
// a live and a deleted room, messages (with and without client_id) and a
// post bucket.
function makeV1(name) {
  const db = join(dir, name);
  execFileSync('sqlite3', [db], { input: readFileSync(join(ROOT, 'tests', 'fixtures', 'schema-v1.sql')) });
  assert.equal(sql(db, 'PRAGMA user_version'), '1');
  // A real password hash, made by today's program in a scratch database.
  const scratch = join(dir, `${name}.scratch`);
  execFileSync('sqlite3', [scratch], { input: readFileSync(join(ROOT, 'sql', 'schema.sql')) });
  assert.equal(cgi('auth', scratch, { method: 'POST', uri: '/api/register', body: { username: 'hasher', password: PASSWORD } }).status, 201);
  const hash = sql(scratch, "SELECT password_hash FROM users WHERE username = 'hasher'");
  sql(db, `
    INSERT INTO users (id, username, username_key, password_hash, room_id, created_at) VALUES
      (1, 'Alice', 'alice', '${hash}', NULL, 1700000000000), (2, 'bob', 'bob', '${hash}', NULL, 1700000000001);
    INSERT INTO rooms (id, name, name_key, owner_id, created_at, deleted_at) VALUES
      (1, 'General', 'general', 1, 1700000001000, NULL), (2, 'Old', 'old', 2, 1700000002000, 1700000003000);
    UPDATE users SET room_id = 1 WHERE id = 2;
    INSERT INTO messages (room_id, user_id, text, client_id, created_at) VALUES
      (1, 1, 'hello 👋 <b>world</b>', 'c-1', 1700000004000), (1, 2, 'second', NULL, 1700000005000),
      (1, 1, '  spaced  ', NULL, 1700000006000);
    INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES
      (randomblob(32), 1, 1700000000000, 4000000000000), (randomblob(32), 2, 1700000000000, 4000000000000);
    INSERT INTO post_buckets (user_id, tokens, updated_at) VALUES (1, 17.5, 1700000006000);`);
  return db;
}

const MIGRATIONS = join(ROOT, 'sql', 'migrations');
const snapshot = (db, tables) => Object.fromEntries(tables.map((t) => [t, rows(db, t)]));

// A database made from today's sql/schema.sql.
function freshDb(name) {
  const db = join(dir, name);
  execFileSync('sqlite3', [db], { input: readFileSync(join(ROOT, 'sql', 'schema.sql')) });
  return db;
}

// `db` has exactly the shape of a fresh database (made as `name`, returned).
function assertShapeOfFresh(db, name) {
  const fresh = freshDb(name);
  assert.deepEqual(shape(db), shape(fresh));
  return fresh;
}

// The file name, without .sql, of the migration called `slug` (its number
// changes when migrations are renumbered at merge).
const migration = (slug) => readdirSync(MIGRATIONS).find((f) => new RegExp(`^\\d{4}_${slug}\\.sql$`).test(f)).replace('.sql', '');

// Brings a release-1 database to version `version - 1` with the migration
// files themselves, applied by sqlite3 (not by the programs under test).
function applyMigrationsBelow(db, version) {
  for (const f of readdirSync(MIGRATIONS).sort()) {
    const n = Number(f.slice(0, 4));
    if (!/^\d{4}_.*\.sql$/.test(f) || n <= 1 || n >= version) continue;
    execFileSync('sqlite3', [db], { input: `BEGIN;\n${readFileSync(join(MIGRATIONS, f), 'utf8')}\nPRAGMA user_version = ${n};\nCOMMIT;\n` });
  }
  assert.equal(Number(sql(db, 'PRAGMA user_version')), version - 1);
}

// makeV1's database (every row of release 1) at the version just before the
// migration `slug`: the previous schema a migration is tested from.
function atPreviousVersion(slug, name) {
  const db = makeV1(name);
  applyMigrationsBelow(db, Number(migration(slug).slice(0, 4)));
  return db;
}

// Starts `program` once on `db` (it answers `status`, here without a session,
// after migrating at its start): the migration `slug` and those after it, and
// only those, ran, and every row of the `before` snapshot is kept.
function assertUpgraded(db, slug, before, { program = 'rooms', uri = '/api/rooms', status = 401 } = {}) {
  const ours = migration(slug);
  const r = cgi(program, db, { uri });
  assert.equal(r.status, status, r.raw + r.stderr);
  assert.match(r.stderr, new RegExp(`applied migration ${ours}`));
  assert.equal(r.stderr.match(/applied migration/g).length, NEWEST - Number(ours.slice(0, 4)) + 1, 'only the migrations from ours on ran');
  assertRowsKept(db, before, Object.keys(before));
}

// Logs makeV1's Alice in on `db`; returns her session cookie.
function logInAlice(db) {
  const login = cgi('auth', db, { method: 'POST', uri: '/api/login', body: { username: 'alice', password: PASSWORD } });
  assert.equal(login.status, 200, login.raw);
  return /Set-Cookie: (chat_session=[^;\r\n]+)/i.exec(login.raw)[1];
}

test('a program started on a release-1 database migrates it to the newest version, keeping every row and value', () => {
  const db = makeV1('v1.db');
  const before = snapshot(db, V1_TABLES);
  assert.ok(before.messages.length === 3 && before.users.length === 2);
  const r = cgi('auth', db, { uri: '/api/health' });
  assert.equal(r.status, 200, r.raw + r.stderr);
  assert.deepEqual(r.body, { ok: true });
  assert.match(r.stderr, /applied migration 0002_users_disabled/);
  assert.equal(Number(sql(db, 'PRAGMA user_version')), NEWEST);
  assertRowsKept(db, before);
  assert.equal(sql(db, 'SELECT count(*) FROM users WHERE disabled_at IS NOT NULL'), '0', 'nobody disabled');
  // The change feed (0007): every old message numbered by its id, so old
  // cursors keep their meaning; nothing edited, deleted or reacted to.
  assert.equal(sql(db, 'SELECT count(*) FROM messages WHERE seq IS NOT id OR edited_at IS NOT NULL OR deleted_at IS NOT NULL'), '0');
  assert.ok(Number(sql(db, 'SELECT count(*) FROM messages')) > 0);
  assert.equal(sql(db, 'PRAGMA integrity_check'), 'ok');
  assert.equal(sql(db, 'PRAGMA foreign_key_check'), '');
  // The migrated database has exactly the shape of a fresh one.
  assertShapeOfFresh(db, 'fresh.db');
  // The old account still logs in with its old password.
  const login = cgi('auth', db, { method: 'POST', uri: '/api/login', body: { username: 'alice', password: PASSWORD } });
  assert.equal(login.status, 200, login.raw);
  assert.equal(login.body.user.id, 1);
});

test('a second start finds nothing to migrate and changes nothing', () => {
  const db = makeV1('twice.db');
  assert.equal(cgi('auth', db, { uri: '/api/health' }).status, 200);
  const before = snapshot(db, V1_TABLES);
  const r = cgi('poll', db, { uri: '/api/health' }); // any program: 404 here, but it starts
  assert.equal(r.status, 404);
  assert.doesNotMatch(r.stderr, /migration/);
  assert.deepEqual(snapshot(db, V1_TABLES), before);
});

test('a database newer than the programs is refused: the program exits non-zero and leaves it untouched', () => {
  const db = freshDb('newer.db');
  sql(db, `PRAGMA user_version = ${NEWEST + 1}`);
  const r = cgi('auth', db, { uri: '/api/health' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`schema version ${NEWEST + 1} but this program knows only up to ${NEWEST}`));
  assert.equal(Number(sql(db, 'PRAGMA user_version')), NEWEST + 1);
});

test('a file with tables but no schema version is refused as not a Chatroom database', () => {
  const db = join(dir, 'other.db');
  sql(db, 'CREATE TABLE t (x)');
  const r = cgi('auth', db, { uri: '/api/health' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /not a Chatroom database/);
});

test('chatctl migrate upgrades a release-1 database, keeping every row, after saving a copy of it; a second run does nothing', () => {
  const db = makeV1('ctl.db');
  const before = snapshot(db, V1_TABLES);
  const chatctl = (...args) => spawnSync(join(ROOT, 'build', 'bin', 'chatctl'), ['--db', db, ...args], { encoding: 'utf8' });
  chmodSync(db, 0o640);
  const r = chatctl('migrate');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /applied migration 0002_users_disabled/);
  assert.equal(statSync(`${db}.before-v${NEWEST}`).mode & 0o777, 0o640, 'the copy is no easier to read than the database');
  assert.match(r.stdout, new RegExp(`schema version ${NEWEST} \\(was 1\\)`));
  assert.equal(Number(sql(db, 'PRAGMA user_version')), NEWEST);
  assertRowsKept(db, before);
  const copy = `${db}.before-v${NEWEST}`;
  assert.equal(sql(copy, 'PRAGMA user_version'), '1', 'the copy is the old database');
  for (const t of V1_TABLES) assert.deepEqual(rows(copy, t), before[t], `${t} in the copy`);
  const again = chatctl('migrate');
  assert.equal(again.status, 0);
  assert.match(again.stdout, /nothing to do/);
  // `chatctl check` reports one line per check: here every one is ok but
  // the session key file, which nobody made (one PROBLEM line, exit 1).
  const check = chatctl('check');
  assert.equal(check.status, 1, check.stdout + check.stderr);
  const lines = check.stdout.trim().split('\n');
  const problems = lines.filter((l) => !l.startsWith('ok '));
  assert.deepEqual(problems, [`PROBLEM secret ${db}.secret missing`], `only the (absent) secret is missing:\n${check.stdout}`);
  assert.ok(lines.length >= 6, `every check reported:\n${check.stdout}`);
  assert.match(check.stderr, /\b1 problem\(s\) found/);
});

test('chatctl migrate refuses a database newer than it, with exit 1, and changes nothing', () => {
  const db = freshDb('ctl-newer.db');
  sql(db, `PRAGMA user_version = ${NEWEST + 5}`);
  const r = spawnSync(join(ROOT, 'build', 'bin', 'chatctl'), ['--db', db, 'migrate'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /newer Chatroom release/);
  assert.equal(Number(sql(db, 'PRAGMA user_version')), NEWEST + 5);
});

// The room-name-key migration (issue 11), from the schema just before it:
// release 1's schema with every earlier migration file applied by sqlite3.
const REKEY = readdirSync(join(ROOT, 'sql', 'migrations')).find((f) => /^\d{4}_room_name_keys\.sql$/.test(f));
function makeBefore(name, version) {
  const db = join(dir, name);
  execFileSync('sqlite3', [db], { input: readFileSync(join(ROOT, 'tests', 'fixtures', 'schema-v1.sql')) });
  applyMigrationsBelow(db, version);
  return db;
}

test('the room-name-key migration gives look-alike names one key, keeping every room: later look-alikes get a suffix, blank names a visible one', () => {
  const version = Number(REKEY.slice(0, 4));
  const db = makeBefore('rekey.db', version);
  // Old keys as release 1-3 made them: ASCII lower case of the name as given.
  const rooms = [
    [1, 'General', null], [2, 'GENERAL', 1700000009000], [3, 'General\u200b', null], [4, 'Gen\u200ceral', null],
    [5, 'Caf\u00e9', null], [6, 'Cafe\u0301', null], [7, '\u200b', null], [8, 'General (2)', null],
    [9, '\u3164', null], [10, '\uff27\uff45\uff4e\uff45\uff52\uff41\uff4c', 1700000009000], [11, 'x'.repeat(64), null],
    [12, '\uff58'.repeat(64), null], [13, '\u2764\ufe0f Love', null],
  ];
  const lit = (s) => `'${s.replace(/'/g, "''")}'`;
  sql(db, `
    INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES (1, 'alice', 'alice', 'x', 1700000000000);
    INSERT INTO rooms (id, name, name_key, owner_id, created_at, deleted_at) VALUES ${rooms.map(([id, name, del]) =>
      `(${id}, ${lit(name)}, ${lit(name.replace(/[A-Z]/g, (c) => c.toLowerCase()))}, 1, ${1700000000000 + id}, ${del ?? 'NULL'})`).join(', ')};
    UPDATE users SET room_id = 4 WHERE id = 1;
    INSERT INTO messages (room_id, user_id, text, created_at) VALUES (3, 1, 'in three', 1700000010000), (6, 1, 'in six', 1700000011000);`);
  const before = { users: rows(db, 'users'), messages: rows(db, 'messages') };
  const r = cgi('auth', db, { uri: '/api/health' });
  assert.equal(r.status, 200, r.raw + r.stderr);
  assert.match(r.stderr, new RegExp(`applied migration ${REKEY.slice(0, -4)}`));
  assert.match(r.stderr, /room 3 "General\\xe2\\x80\\x8b" looks the same as an older room's name: renamed "General \(3\)"/);
  assert.equal(Number(sql(db, 'PRAGMA user_version')), NEWEST);
  const after = rows(db, 'rooms');
  assert.deepEqual(after.map((x) => [x.id, x.name, x.name_key, x.deleted_at]), [
    [1, 'General', 'general', null],
    [2, 'GENERAL', 'general', 1700000009000],
    [3, 'General (3)', 'general (3)', null], // " (2)" is room 8's own name
    [4, 'Gen\u200ceral (4)', 'general (4)', null],
    [5, 'Caf\u00e9', 'caf\u00e9', null],
    [6, 'Cafe\u0301 (2)', 'caf\u00e9 (2)', null],
    [7, 'Room 7', 'room 7', null],
    [8, 'General (2)', 'general (2)', null],
    [9, 'Room 9', 'room 9', null],
    [10, '\uff27\uff45\uff4e\uff45\uff52\uff41\uff4c', 'general', 1700000009000], // deleted: no uniqueness
    [11, 'x'.repeat(64), 'x'.repeat(64), null],
    [12, '\uff58'.repeat(60) + ' (2)', 'x'.repeat(60) + ' (2)', null], // fullwidth x, cut to stay within 64
    [13, '\u2764\ufe0f Love', '\u2764 love', null],
  ]);
  // Every other column of every room, and every user and message, as before.
  for (const x of after) assert.equal(x.owner_id, 1);
  assert.deepEqual(after.map((x) => x.created_at), rooms.map(([id]) => 1700000000000 + id));
  assertRowsKept(db, before, ['users', 'messages']);
  assert.equal(sql(db, 'SELECT count(*) FROM (SELECT name_key FROM rooms WHERE deleted_at IS NULL GROUP BY 1 HAVING count(*) > 1)'), '0');
  assert.equal(sql(db, 'PRAGMA integrity_check'), 'ok');
  // A second start changes nothing.
  assert.equal(cgi('auth', db, { uri: '/api/health' }).status, 200);
  assert.deepEqual(rows(db, 'rooms'), after);
});

// The migration to per-user buckets (user_buckets, rooms_owner) from the
// schema just before it: release 1 brought there by its own migration files,
// with data in every table of that version, then started by today's program.
test('the user_buckets migration upgrades the previous version, keeping every row, and the new limits work on it', () => {
  const db = atPreviousVersion('user_buckets', 'previous.db');
  sql(db, "UPDATE users SET disabled_at = 1700000009000 WHERE id = 2; INSERT INTO login_failures (key, level, updated_at) VALUES ('a:127.0.0.1', 2.5, 1700000009000);");
  const tables = [...V1_TABLES, 'login_failures'];
  const before = snapshot(db, tables);
  assertUpgraded(db, 'user_buckets', before);
  assert.equal(Number(sql(db, 'PRAGMA user_version')), NEWEST);
  assert.equal(sql(db, 'SELECT count(*) FROM user_buckets'), '0');
  assert.equal(sql(db, "SELECT sql IS NOT NULL FROM sqlite_master WHERE name = 'rooms_owner'"), '1');
  assertShapeOfFresh(db, 'fresh-newest.db');
  // The old account creates a room on the migrated file: the bucket is written.
  const create = cgi('rooms', db, { method: 'POST', uri: '/api/rooms', body: { name: 'After it' }, cookie: logInAlice(db) });
  assert.match(create.raw, /Status: 201/, create.raw + create.stderr);
  assert.equal(sql(db, "SELECT action FROM user_buckets WHERE user_id = 1"), 'room_create');
});

test('the private-rooms migration upgrades the previous version, keeping every row: every room open with no topic, no members listed', () => {
  const db = atPreviousVersion('private_rooms', 'previous-private.db');
  // A message of the previous version's own (an edit and a reaction) too.
  sql(db, "UPDATE messages SET edited_at = 1700000009000 WHERE id = 1; INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES (1, 2, '👍', 1700000009000);");
  const tables = [...V1_TABLES, 'login_failures', 'user_buckets', 'reactions'];
  const before = snapshot(db, tables);
  assertUpgraded(db, 'private_rooms', before);
  assert.equal(sql(db, "SELECT group_concat(id || ':' || kind || ':' || topic, ',') FROM rooms"), '1:open:,2:open:');
  assert.equal(sql(db, 'SELECT count(*) FROM room_members'), '0');
  assertShapeOfFresh(db, 'fresh-private.db');
  // The old account sees the old open room and creates a private one on the migrated file.
  const create = cgi('rooms', db, { method: 'POST', uri: '/api/rooms', body: { name: 'Hidden', kind: 'private' }, cookie: logInAlice(db) });
  assert.match(create.raw, /Status: 201/, create.raw + create.stderr);
  assert.equal(sql(db, "SELECT r.kind || ' ' || m.role FROM rooms r JOIN room_members m ON m.room_id = r.id WHERE r.name = 'Hidden' AND m.user_id = 1"), 'private owner');
});

test('the room-bans migration upgrades the previous version (private rooms and members included), keeping every row; no ban yet', () => {
  const db = atPreviousVersion('room_bans', 'previous-bans.db');
  // Rows of the previous version's own: a private room with its owner and a member.
  sql(db, "UPDATE rooms SET kind = 'private', topic = 'plans' WHERE id = 2; INSERT INTO room_members (room_id, user_id, role, added_at) VALUES (2, 1, 'owner', 1700000009000), (2, 2, 'member', 1700000009000);");
  const tables = [...V1_TABLES, 'login_failures', 'user_buckets', 'room_members'];
  const before = snapshot(db, tables);
  assertUpgraded(db, 'room_bans', before);
  assert.equal(sql(db, 'SELECT count(*) FROM room_bans'), '0');
  assertShapeOfFresh(db, 'fresh-bans.db');
});

test('the direct-rooms migration upgrades the previous version (private rooms, members and bans included), keeping every row', () => {
  const db = atPreviousVersion('direct_rooms', 'previous-direct.db');
  sql(db, "UPDATE rooms SET kind = 'private' WHERE id = 2; INSERT INTO room_members (room_id, user_id, role, added_at) VALUES (2, 1, 'owner', 1700000009000), (2, 2, 'member', 1700000009000); INSERT INTO room_bans (room_id, user_id, banned_at) VALUES (1, 2, 1700000009000);");
  const tables = [...V1_TABLES, 'login_failures', 'user_buckets', 'room_members', 'room_bans'];
  const before = snapshot(db, tables);
  assertUpgraded(db, 'direct_rooms', before);
  assert.equal(sql(db, 'SELECT count(*) FROM room_members WHERE hidden_after IS NOT NULL'), '0', 'nothing hidden');
  assert.equal(sql(db, 'SELECT count(*) FROM direct_rooms'), '0');
  assertShapeOfFresh(db, 'fresh-direct.db');
});

test('the room-invites migration upgrades the previous version (direct rooms included), keeping every row', () => {
  const db = atPreviousVersion('room_invites', 'previous-invites.db');
  sql(db, "UPDATE rooms SET kind = 'private' WHERE id = 2; INSERT INTO room_members (room_id, user_id, role, added_at, hidden_after) VALUES (2, 1, 'member', 1700000009000, 3), (2, 2, 'member', 1700000009000, NULL); INSERT INTO direct_rooms (room_id, user_low, user_high) VALUES (2, 1, 2); INSERT INTO room_bans (room_id, user_id, banned_at) VALUES (1, 2, 1700000009000);");
  const tables = [...V1_TABLES, 'login_failures', 'user_buckets', 'room_members', 'room_bans', 'direct_rooms'];
  const before = snapshot(db, tables);
  assertUpgraded(db, 'room_invites', before);
  assert.equal(sql(db, 'SELECT count(*) FROM room_invites'), '0');
  assertShapeOfFresh(db, 'fresh-invites.db');
});

test('the room-changes migration upgrades the previous version (invites included), keeping every row; every room unchanged (changed_seq 0)', () => {
  const db = atPreviousVersion('room_changes', 'previous-room-changes.db');
  sql(db, "UPDATE rooms SET kind = 'private', topic = 'plans' WHERE id = 2; INSERT INTO room_members (room_id, user_id, role, added_at) VALUES (2, 1, 'owner', 1700000009000); INSERT INTO room_invites (code_hash, room_id, created_by, created_at, expires_at) VALUES (x'0102', 2, 1, 1700000009000, 1700600009000);");
  const tables = [...V1_TABLES, 'login_failures', 'user_buckets', 'room_members', 'room_bans', 'direct_rooms', 'room_invites'];
  const before = snapshot(db, tables);
  assertUpgraded(db, 'room_changes', before);
  assert.equal(sql(db, 'SELECT group_concat(changed_seq) FROM rooms'), '0,0');
  assertShapeOfFresh(db, 'fresh-room-changes.db');
});

test('the attention migration upgrades the previous version (invites included), keeping every row: no read mark, no mention, attention 0, the history index grown', () => {
  const db = atPreviousVersion('attention', 'previous-attention.db');
  sql(db, "UPDATE rooms SET kind = 'private' WHERE id = 2; INSERT INTO room_members (room_id, user_id, role, added_at, hidden_after) VALUES (2, 1, 'member', 1700000009000, 3), (2, 2, 'member', 1700000009000, NULL); INSERT INTO direct_rooms (room_id, user_low, user_high) VALUES (2, 1, 2); INSERT INTO room_bans (room_id, user_id, banned_at) VALUES (1, 2, 1700000009000); INSERT INTO room_invites (code_hash, room_id, created_by, created_at, expires_at) VALUES (randomblob(32), 2, 1, 1700000009000, 1700604809000);");
  const tables = [...V1_TABLES, 'login_failures', 'user_buckets', 'room_members', 'room_bans', 'direct_rooms', 'room_invites'];
  const before = snapshot(db, tables);
  assertUpgraded(db, 'attention', before);
  assert.equal(sql(db, 'SELECT count(*) FROM read_marks'), '0');
  assert.equal(sql(db, 'SELECT count(*) FROM mentions'), '0');
  assert.equal(sql(db, 'SELECT group_concat(DISTINCT attention) FROM users'), '0');
  // An unread count reads the grown index alone (core/attention.h).
  assert.match(sql(db, 'EXPLAIN QUERY PLAN SELECT count(*) FROM (SELECT user_id, deleted_at FROM messages WHERE room_id = 1 AND id > 0 ORDER BY id LIMIT 200) WHERE user_id <> 1 AND deleted_at IS NULL'), /COVERING INDEX messages_room/);
  assertShapeOfFresh(db, 'fresh-attention.db');
});

test('the search migration indexes every existing message of the previous version, keeping every row; a deleted one is never found', () => {
  const db = atPreviousVersion('search', 'previous-search.db');
  // The previous version's own rows: an edited message, a deleted one (text
  // emptied), a private room with a member.
  sql(db, `UPDATE messages SET text = 'edited zanzibar text', edited_at = 1700000009000 WHERE id = 1;
    INSERT INTO messages (room_id, user_id, text, created_at, deleted_at) VALUES (1, 1, '', 1700000009500, 1700000009600);
    UPDATE rooms SET kind = 'private' WHERE id = 2; INSERT INTO room_members (room_id, user_id, role, added_at) VALUES (2, 1, 'owner', 1700000009000);`);
  const tables = [...V1_TABLES, 'login_failures', 'user_buckets', 'reactions', 'room_members'];
  const before = snapshot(db, tables);
  const live = Number(sql(db, "SELECT count(*) FROM messages WHERE text <> ''"));
  assert.ok(live >= 2, 'the fixture has messages to index');
  assertUpgraded(db, 'search', before, { program: 'search', uri: '/api/search?q=zanzibar' });
  // Every live message is in the index, found by its text; the deleted one is not.
  assert.equal(sql(db, "SELECT count(*) FROM messages_fts_docsize"), sql(db, 'SELECT count(*) FROM messages'), 'one entry per message');
  // LIKE on a trigram index with three or more characters reads the index
  // for candidates (https://sqlite.org/fts5.html#the_trigram_tokenizer);
  // the index keeps no positions (detail=none), so MATCH takes one trigram.
  assert.equal(sql(db, `SELECT group_concat(rowid) FROM messages_fts WHERE text LIKE '%zanzibar%'`), '1');
  for (const { id, text } of rows(db, 'messages').filter((m) => m.text !== '')) {
    const word = [...text].slice(0, 3).join('').replaceAll('"', '""').replaceAll("'", "''");
    assert.ok(sql(db, `SELECT group_concat(rowid) FROM messages_fts WHERE messages_fts MATCH '"${word}"'`).split(',').includes(String(id)), `message ${id} indexed`);
  }
  sql(db, "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"); // the index matches the messages
  // No crisis merges, as in a new database (schema.sql says why).
  assert.equal(sql(db, "SELECT v FROM messages_fts_config WHERE k = 'crisismerge'"), '1999');
  const fresh = assertShapeOfFresh(db, 'fresh-search.db');
  assert.equal(sql(db, "SELECT group_concat(name) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'messages_fts%' ORDER BY name"),
    sql(fresh, "SELECT group_concat(name) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'messages_fts%' ORDER BY name"));
  // A post on the migrated file is indexed by the trigger.
  sql(db, "INSERT INTO messages (room_id, user_id, text, created_at) VALUES (1, 1, 'after the upgrade: quokka', 1700000010000)");
  assert.equal(sql(db, `SELECT count(*) FROM messages_fts WHERE text LIKE '%quokka%'`), '1');
});

test('the admin-log and retention migration upgrades the previous version (invites, read marks and mentions included), keeping every row: every room kept forever, the log empty', () => {
  const db = atPreviousVersion('admin_log_retention', 'previous-retention.db');
  sql(db, `UPDATE rooms SET kind = 'private', topic = 'plans' WHERE id = 2;
    UPDATE users SET admin = 1 WHERE id = 1;
    INSERT INTO room_members (room_id, user_id, role, added_at, hidden_after) VALUES (2, 1, 'owner', 1700000009000, NULL), (2, 2, 'member', 1700000009000, 3);
    INSERT INTO room_bans (room_id, user_id, banned_at) VALUES (1, 2, 1700000009000);
    INSERT INTO room_invites (code_hash, room_id, created_by, created_at, expires_at) VALUES (randomblob(32), 2, 1, 1700000009000, 1700604809000);
    INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES (1, 2, '👍', 1700000009000);
    UPDATE messages SET reply_to = 1 WHERE id = 2;
    INSERT INTO read_marks (user_id, room_id, message_id) VALUES (2, 1, 2);
    INSERT INTO mentions (message_id, user_id, room_id) VALUES (1, 2, 1);
    UPDATE users SET attention = 5 WHERE id = 2;`);
  const tables = [...V1_TABLES, 'login_failures', 'user_buckets', 'room_members', 'room_bans', 'direct_rooms', 'room_invites', 'reactions', 'read_marks', 'mentions'];
  const before = snapshot(db, tables);
  assertUpgraded(db, 'admin_log_retention', before);
  assert.equal(sql(db, 'SELECT count(*) FROM rooms WHERE retention_days IS NOT NULL'), '0', 'every room keeps its messages forever');
  assert.equal(sql(db, 'SELECT count(*) FROM admin_log'), '0');
  assert.equal(sql(db, 'PRAGMA foreign_key_check'), '');
  assertShapeOfFresh(db, 'fresh-retention.db');
  // The old admin uses the migrated file: the list answers, the room shows retention null.
  const list = cgi('auth', db, { uri: '/api/admin/users', cookie: logInAlice(db) });
  assert.match(list.raw, /Status: 200/, list.raw);
  assert.deepEqual(list.body.users.map((u) => [u.id, u.admin]), [[1, true], [2, false]]);
});

test('the files migration upgrades the previous version (invites, bans, direct rooms, attention, search, retention included), keeping every row; files work on it', () => {
  const db = atPreviousVersion('files', 'previous-files.db');
  sql(db, "UPDATE rooms SET kind = 'private' WHERE id = 2; INSERT INTO room_members (room_id, user_id, role, added_at, hidden_after) VALUES (2, 1, 'member', 1700000009000, 3), (2, 2, 'member', 1700000009000, NULL); INSERT INTO direct_rooms (room_id, user_low, user_high) VALUES (2, 1, 2); INSERT INTO room_bans (room_id, user_id, banned_at) VALUES (1, 2, 1700000009000); INSERT INTO room_invites (code_hash, room_id, created_by, created_at, expires_at) VALUES (randomblob(32), 2, 1, 1700000009000, 1700604809000);");
  const tables = [...V1_TABLES, 'login_failures', 'user_buckets', 'room_members', 'room_bans', 'direct_rooms', 'room_invites', 'read_marks', 'mentions'];
  const before = snapshot(db, tables);
  assertUpgraded(db, 'files', before);
  assert.equal(sql(db, 'SELECT count(*) FROM files'), '0');
  // The new table works on the migrated database: a file on a message, and
  // its deletion trashes its blob names (trigger files_trash).
  sql(db, `PRAGMA foreign_keys = ON; INSERT INTO files (room_id, user_id, message_id, name, type, size, blob, created_at)
    VALUES (1, 1, 1, 'a.txt', 'text/plain', 1, '${'a'.repeat(64)}', 1700000010000);
    DELETE FROM messages WHERE id = 1;`);
  assert.equal(sql(db, 'SELECT count(*) FROM files'), '0', 'cascades from its message');
  assert.equal(sql(db, 'SELECT blob FROM blob_trash'), 'a'.repeat(64));
  assertShapeOfFresh(db, 'fresh-files.db');
});

test('the mention-inbox migration copies every mention of the previous version to its person\'s inbox, keeping every row; the inbox then follows its mentions', () => {
  const db = atPreviousVersion('mention_inbox', 'previous-inbox.db');
  sql(db, `INSERT INTO mentions (message_id, user_id, room_id) VALUES (1, 2, 1), (2, 1, 1), (3, 1, 1), (3, 2, 1);
    INSERT INTO read_marks (user_id, room_id, message_id) VALUES (2, 1, 1);
    UPDATE users SET attention = 4 WHERE id = 1;`);
  const tables = [...V1_TABLES, 'read_marks', 'mentions'];
  const before = snapshot(db, tables);
  assertUpgraded(db, 'mention_inbox', before);
  const all = (table) => sql(db, `SELECT group_concat(user_id || '/' || message_id || '/' || room_id, ' ') FROM (SELECT * FROM ${table} ORDER BY user_id, message_id)`);
  assert.equal(all('mention_inbox'), '1/2/1 1/3/1 2/1/1 2/3/1', 'every mention, by person');
  assert.equal(all('mention_inbox'), all('mentions'));
  assert.equal(sql(db, 'SELECT done FROM mention_fanout'), '3', 'nothing left for the fan-out');
  assert.equal(sql(db, "SELECT count(*) FROM sqlite_master WHERE name = 'mentions_user'"), '0', 'the old index is gone');
  const fresh = assertShapeOfFresh(db, 'fresh-inbox.db');
  const triggers = (file) => sql(file, "SELECT group_concat(name || ':' || tbl_name, ' ') FROM (SELECT * FROM sqlite_master WHERE type = 'trigger' ORDER BY name)");
  assert.equal(triggers(db), triggers(fresh));
  // Its mentions going takes their inbox entries (trigger mention_gone),
  // cascades included: a deleted message, a deleted account.
  sql(db, 'PRAGMA foreign_keys = ON; DELETE FROM messages WHERE id = 3;');
  assert.equal(all('mention_inbox'), '1/2/1 2/1/1');
  sql(db, 'PRAGMA foreign_keys = ON; DELETE FROM sessions WHERE user_id = 2; UPDATE messages SET user_id = 1 WHERE user_id = 2; UPDATE rooms SET owner_id = 1 WHERE owner_id = 2; DELETE FROM users WHERE id = 2;');
  assert.equal(all('mention_inbox'), '1/2/1');
  assert.equal(sql(db, 'PRAGMA foreign_key_check'), '');
});
