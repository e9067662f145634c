// S9 of `make bench` (issues 13 and 14): the room list (GET /api/rooms) of a
// person who sees 200 rooms of every kind, among rooms they must not see,
// with unread counts and mentions in them. run.mjs seeds them after
// bench_seed with seedRoomList and seedUnread and measures the list.
import { execFileSync } from 'node:child_process';

// S9's person (user 2, the second line of users.txt) sees 200 rooms: the
// seed's 100 open ones, 60 private rooms they are a member of and 40 direct
// conversations (35 never hidden, 5 hidden and shown again by a newer
// message: the list's EXISTS on messages), and not 5 more they hid. Around them, rooms they must not
// see: 100 private rooms of others and 100 direct rooms between others.
// Written as the routes write them (cgi-bin/rooms/room.cc HandleCreateRoom,
// cgi-bin/rooms/direct.cc HandleOpenDirect).
export const S9_USER = 2;
export const S9_VISIBLE = 200;
export function seedRoomList(db, rooms, users) {
  const me = S9_USER;
  const other = (i) => 3 + (i % (users - 3)); // never 1 or 2
  const rows = [];
  let id = rooms;
  // `key` is SQL: a direct room's has a control character nobody can type.
  const room = (kind, name, key, owner) => {
    id += 1;
    rows.push(`INSERT INTO rooms (id, name, name_key, owner_id, created_at, kind) VALUES (${id}, '${name}', ${key}, ${owner}, 0, '${kind}');`);
    return id;
  };
  const member = (r, u, role = 'member', hidden = 'NULL') => rows.push(`INSERT INTO room_members (room_id, user_id, role, added_at, hidden_after) VALUES (${r}, ${u}, '${role}', 0, ${hidden});`);
  const direct = (a, b, hidden = 'NULL') => {
    const [lo, hi] = a < b ? [a, b] : [b, a];
    const r = room('private', '', `char(2) || 'direct ${lo} ${hi}'`, a);
    rows.push(`INSERT INTO direct_rooms (room_id, user_low, user_high) VALUES (${r}, ${lo}, ${hi});`);
    member(r, lo, 'member', lo === me ? hidden : 'NULL');
    member(r, hi, 'member', hi === me ? hidden : 'NULL');
    return r;
  };
  for (let i = 0; i < 60; i += 1) {
    const r = room('private', `Private ${i}`, `'private ${i}'`, 1);
    member(r, 1, 'owner');
    member(r, me);
  }
  for (let i = 0; i < 100; i += 1) {
    const r = room('private', `Theirs ${i}`, `'theirs ${i}'`, other(i));
    member(r, other(i), 'owner');
  }
  for (let i = 0; i < 45; i += 1) {
    const hidden = i < 35 ? 'NULL' : '1';
    const r = direct(me, other(i), hidden);
    if (i >= 35 && i < 40) rows.push(`INSERT INTO messages (room_id, user_id, text, created_at) VALUES (${r}, ${other(i)}, 'are you there?', 0);`);
  }
  for (let i = 0; i < 100; i += 1) direct(other(i), other(i + 1));
  execFileSync('sqlite3', [db], { input: `BEGIN IMMEDIATE;\n${rows.join('\n')}\nCOMMIT;` });
}

// S9 with unread counts (issue 14): the person's read marks leave 150
// messages unread in each of the seed's open rooms (each count reads 101
// index entries at most and says 100), and each of their 60 private rooms
// gets 30 unread messages, 5 of them mentioning them (no mark: a member has
// read nothing). Written as the routes write them (core/attention.h,
// core/mentions.h). Returns what the list must then say.
export function seedUnread(db, rooms) {
  const me = S9_USER;
  execFileSync('sqlite3', [db], { input: `BEGIN IMMEDIATE;
    INSERT INTO read_marks (user_id, room_id, message_id)
      SELECT ${me}, room_id, max(id) - 150 FROM messages WHERE room_id <= ${rooms} GROUP BY room_id;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
    INSERT INTO messages (room_id, user_id, text, created_at)
      SELECT r.id, 1, 'unread ' || n.i, 0 FROM rooms r JOIN room_members rm ON rm.room_id = r.id, n
      WHERE rm.user_id = ${me} AND r.name LIKE 'Private %';
    INSERT INTO mentions (message_id, user_id, room_id)
      SELECT m.id, ${me}, m.room_id FROM messages m JOIN rooms r ON r.id = m.room_id
      WHERE r.name LIKE 'Private %' AND m.text LIKE 'unread %' AND CAST(substr(m.text, 8) AS INTEGER) % 6 = 0;
    COMMIT;` });
  // What core/attention.h counts in the open rooms: others' messages among
  // the 101 after the mark (the person's own in that window are not news).
  const open = Number(execFileSync('sqlite3', [db, `SELECT sum(min(100, (SELECT count(*) FROM
    (SELECT user_id FROM messages m WHERE m.room_id = k.room_id AND m.id > k.message_id ORDER BY m.id LIMIT 101)
    WHERE user_id <> ${me}))) FROM read_marks k WHERE k.user_id = ${me}`], { encoding: 'utf8' }).trim());
  if (open < rooms * 99) throw new Error(`S9: only ${open} unread in the open rooms`);
  // (+ 5: the "are you there?" of the 5 direct rooms shown again, seedRoomList.)
  return { unread: open + 60 * 30 + 5, mentions: 60 * 5 };
}
