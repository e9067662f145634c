// What a post naming many people costs (issue 14, `make bench` S11): its
// mentions are written without a statement journal, by the post and by the
// fan-out that copies them to each person's inbox (core/fanout.h). A
// statement that may change several rows and may fail half-way keeps the
// original of every page it changes in a statement journal
// (https://sqlite.org/tempfiles.html#statement_journal_files); for 50 people
// whose inbox entries sit on 50 pages that is ~200 KB, past the 64 KiB
// SQLite keeps in memory, so it became a temporary file, created, written
// and deleted by every such post (core/mentions.cc). The workers' SQLite
// puts its temporary files in SQLITE_TMPDIR; the test watches that folder
// while such a post is made and copied.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { startStack, waitFor } from '../lib/stack.mjs';
import { count, createRoom, join, say, sql, users } from './helpers.mjs';

const TEMP = mkdtempSync(joinPath(tmpdir(), 'chat-sqlite-tmp-'));
let stack;
let alice;

before(async () => {
  stack = await startStack({ env: { SQLITE_TMPDIR: TEMP } });
  [alice] = await users(stack.base, ['alice']);
});
after(async () => {
  await stack?.stop();
  rmSync(TEMP, { recursive: true, force: true });
});

test('a post naming 50 people, and the fan-out\'s copy of its mentions, write no temporary file; the 50 mentions are stored', async () => {
  const room = await createRoom(alice);
  await join(alice, room.id);
  // 50 people, each already mentioned by 400 earlier messages (copied to
  // their inboxes), so that each one's newest inbox entry sits on a page of
  // its own (as for anyone mentioned often in a big database).
  sql(stack.db, `BEGIN;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
      INSERT INTO users (username, username_key, password_hash, created_at)
      SELECT printf('pal%02d', i), printf('pal%02d', i), 'x', 0 FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
      INSERT INTO messages (room_id, user_id, text, created_at)
      SELECT ${room.id}, (SELECT id FROM users WHERE username_key = 'alice'), 'earlier ' || i, 0 FROM n;
    INSERT INTO mentions (message_id, user_id, room_id)
      SELECT m.id, u.id, m.room_id FROM messages m, users u
      WHERE m.room_id = ${room.id} AND u.username_key LIKE 'pal%';
    INSERT INTO mention_inbox (user_id, message_id, room_id) SELECT user_id, message_id, room_id FROM mentions;
    UPDATE mention_fanout SET done = (SELECT max(message_id) FROM mentions);
    COMMIT;`);
  assert.equal(count(stack.db, 'mentions', `room_id = ${room.id}`), 20000);
  const text = Array.from({ length: 50 }, (_, i) => `@pal${String(i + 1).padStart(2, '0')}`).join(' ');
  // A plain post first: the workers' own temporary files, if any, are not
  // the mentions'.
  await say(alice, room.id, 'warm up');
  const seen = [];
  const watcher = watch(TEMP, (event, name) => seen.push(`${event} ${name}`));
  try {
    const m = await say(alice, room.id, text);
    assert.equal(m.mentions.length, 50);
    await waitFor(() => count(stack.db, 'mention_inbox', `message_id = ${m.id}`) === 50, 5000, 'the fan-out\'s copy');
  } finally {
    watcher.close();
  }
  assert.deepEqual(seen, [], 'temporary files made during the post');
  assert.equal(count(stack.db, 'mentions', `message_id = (SELECT max(id) FROM messages)`), 50);
});
