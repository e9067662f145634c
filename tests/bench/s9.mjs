// S9 of `make bench` (issue 13): the room list (GET /api/rooms) of a person
// who sees 200 rooms of every kind, among rooms they must not see. run.mjs
// seeds them after bench_seed with seedRoomList and measures the list.
import { execFileSync } from 'node:child_process';

// S9's person (user 2, the second line of users.txt) sees 200 rooms: the
// seed's 100 open ones, 60 private rooms they are a member of and 40 direct
// conversations (35 never hidden, 5 hidden and shown again by a newer
// message: the list's EXISTS on messages), and not 5 more they hid. Around them, rooms they must not
// see: 100 private rooms of others and 100 direct rooms between others.
// Written as the routes write them (rooms.cpp HandleCreateRoom, HandleDirect).
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

