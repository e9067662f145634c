// Push (issue 7) through the real nginx + nchan + workers: who may hold a
// room's event stream (GET /api/rooms/{id}/events, authorised by the
// workers), that a post or a room deletion rings the doorbell of the room's
// subscribers well under the 2 s poll, that joins and leaves ring the room's
// member count, that a doorbell nobody can hear never
// fails a post, and that with push off (CHAT_PUSH=0) the join reply offers no
// stream and the address is an ordinary 404. Without the nchan module these
// tests are skipped, loudly: the stack then runs on polling alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { openEvents } from '../lib/events.mjs';
import { startStack } from '../lib/stack.mjs';
import { assertError, createRoom, join, say, users } from './helpers.mjs';

const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const HAVE_NCHAN = existsSync(MODULE);
if (!HAVE_NCHAN) {
  console.error(`!!! SKIPPED push tests: ${MODULE} is missing (make deps installs libnginx-mod-nchan) !!!`);
}
const skip = HAVE_NCHAN ? false : `nchan module missing (${MODULE})`;

let stack;
let ann;
let ben;
let cat;
let room; // ann and ben inside; cat is in another room

before(async () => {
  if (!HAVE_NCHAN) return;
  // The join/leave storm below makes 30 changes a person, right at the
  // per-user limit's burst (room-limits.test.mjs): the limit stays out of the way.
  stack = await startStack({ env: { CHAT_POST_BURST: '1000', CHAT_WORKERS: '2', CHAT_JOIN_BURST: '1000' } });
  [ann, ben, cat] = await users(stack.base, ['ann', 'ben', 'cat']);
  room = await createRoom(ann, 'Main');
  await join(ann, room.id);
  await join(ben, room.id);
  const other = await createRoom(cat, 'Other');
  await join(cat, other.id);
});
after(() => stack?.stop());

const eventsPath = (id) => `/api/rooms/${id}/events`;

// Opens the room's event stream as `client` (or with no cookie).
const subscribe = (client, id) => openEvents(stack.base, client?.cookie, eventsPath(id));

// nchan subscribes a new stream to its two channels (the room's and its
// own, README "Instant delivery (push)") just after answering 200, so a
// doorbell rung in that instant can miss it (the page's 2 s poll covers
// that). Before a test measures a stream, a post must reach it (within 5
// tries); then the strays are dropped.
async function live(sub, id) {
  for (let i = 0; i < 5; i += 1) {
    await say(ann, id, `live? ${i}`);
    try {
      await sub.next(500);
      await sub.flush(300);
      return;
    } catch { /* not yet */ }
  }
  throw new Error('the event stream never carried an event');
}

test('join offers the room\'s event stream when push is on', { skip }, async () => {
  const body = await join(ben, room.id);
  assert.equal(body.events, eventsPath(room.id));
});

test('a subscriber without a session is refused with 401 not_logged_in', { skip }, async () => {
  const r = await subscribe(null, room.id);
  assert.equal(r.status, 401, r.text);
  assert.equal(r.body?.error?.code, 'not_logged_in', r.text);
});

test('a subscriber in another room is refused with 409 not_in_room; an unknown room is 404', { skip }, async () => {
  const r = await subscribe(cat, room.id);
  assert.equal(r.status, 409, r.text);
  assert.equal(r.body?.error?.code, 'not_in_room', r.text);
  const missing = await subscribe(ann, 999999);
  assert.equal(missing.status, 404, missing.text);
  assert.equal(missing.body?.error?.code, 'room_not_found', missing.text);
});

test('a member receives {"type":"message","id"} well under 2 s after a post', { skip }, async () => {
  const sub = await subscribe(ben, room.id);
  assert.equal(sub.status, 200, sub.text);
  try {
    await live(sub, room.id);
    const delays = [];
    for (let i = 0; i < 5; i += 1) {
      const t0 = performance.now();
      const msg = await say(ann, room.id, `ring ${i}`);
      const event = await sub.next(1500);
      assert.deepEqual(event.data, { type: 'message', id: msg.id });
      delays.push(Math.round(event.at - t0));
    }
    console.log(`push: post-to-event delays ${delays.join(', ')} ms`);
    for (const d of delays) assert.ok(d < 1000, `event after ${d} ms`);
  } finally {
    sub.close();
  }
});

test('an edit, a reaction and a deletion ring the same doorbell as a post, with their change number', { skip }, async () => {
  const sub = await subscribe(ben, room.id);
  assert.equal(sub.status, 200, sub.text);
  try {
    await live(sub, room.id);
    const msg = await say(ann, room.id, 'to be changed');
    assert.deepEqual((await sub.next(1500)).data, { type: 'message', id: msg.id });
    const changes = [
      () => ann.request('PATCH', `/api/messages/${msg.id}`, { text: 'changed' }),
      () => ben.request('PUT', `/api/messages/${msg.id}/reactions`, { emoji: '👍' }),
      () => ben.del(`/api/messages/${msg.id}/reactions?emoji=${encodeURIComponent('👍')}`),
      () => ann.del(`/api/messages/${msg.id}`),
    ];
    let last = msg.id;
    for (const change of changes) {
      const r = await change();
      assert.ok(r.status === 200 || r.status === 204, r.text);
      const event = await sub.next(1500);
      assert.equal(event.data.type, 'message');
      assert.ok(event.data.id > last, `change number ${event.data.id} after ${last}`);
      last = event.data.id;
      const polled = await ben.get(`/api/rooms/${room.id}/messages?after=${event.data.id - 1}`);
      assert.deepEqual(polled.body.messages.map((m) => m.id), [msg.id], 'the event\'s number fetches the change');
    }
  } finally {
    sub.close();
  }
});

test('a post whose doorbell nobody hears still succeeds at once (publisher socket gone)', { skip }, async () => {
  const sock = joinPath(stack.dir, 'run', 'push.sock');
  const moved = `${sock}.away`;
  renameSync(sock, moved);
  // The workers keep a connection to the publisher (issue 17), which a
  // rename does not end: fresh workers have none and find no socket.
  await stack.stopWorkers();
  await stack.startWorkers();
  try {
    const t0 = performance.now();
    const r = await ann.post(`/api/rooms/${room.id}/messages`, { text: 'nobody rings' });
    const ms = performance.now() - t0;
    assert.equal(r.status, 201, r.text);
    assert.ok(ms < 1000, `post took ${Math.round(ms)} ms`);
    const log = readFileSync(stack.log, 'utf8');
    assert.match(log, /post\[\d+\] doorbell for room \d+: connect: No such file or directory/);
  } finally {
    renameSync(moved, sock);
  }
  // And the doorbell works again once the socket is back.
  const sub = await subscribe(ben, room.id);
  try {
    const msg = await say(ann, room.id, 'heard again');
    assert.deepEqual((await sub.next(1500)).data, { type: 'message', id: msg.id });
  } finally {
    sub.close();
  }
});

test('deleting a room rings {"type":"room_deleted"}; a new subscriber then gets 410', { skip }, async () => {
  const doomed = await createRoom(ann, 'Doomed');
  await join(ben, doomed.id);
  const sub = await subscribe(ben, doomed.id);
  assert.equal(sub.status, 200);
  try {
    const t0 = performance.now();
    const r = await ann.del(`/api/rooms/${doomed.id}`);
    assert.equal(r.status, 204, r.text);
    const event = await sub.next(1500);
    assert.deepEqual(event.data, { type: 'room_deleted' });
    assert.ok(event.at - t0 < 1000, `after ${Math.round(event.at - t0)} ms`);
  } finally {
    sub.close();
  }
  const late = await subscribe(ben, doomed.id);
  assert.equal(late.status, 410, late.text);
  assert.equal(late.body?.error?.code, 'room_deleted', late.text);
});

test('joining and leaving ring {"type":"members","count"} in the room entered and in the room left', { skip }, async () => {
  // Changes closer together than 250 ms are coalesced into one event with
  // the last count (see the storm below): here each gets its own window.
  const quiet = () => new Promise((r) => { setTimeout(r, 300); });
  await join(ann, room.id);
  await join(ben, room.id); // ann and ben inside: 2
  const sub = await subscribe(ben, room.id);
  assert.equal(sub.status, 200, sub.text);
  await sub.flush(300); // a ring of the last window, if any
  try {
    const count = async () => {
      const event = await sub.next(1500);
      assert.equal(event.data.type, 'members', JSON.stringify(event.data));
      return event.data.count;
    };
    await join(cat, room.id); // from her own room
    assert.equal(await count(), 3);
    await quiet();
    let r = await cat.post(`/api/rooms/${room.id}/leave`);
    assert.equal(r.status, 204, r.text);
    assert.equal(await count(), 2);
    await quiet();
    r = await cat.post(`/api/rooms/${room.id}/leave`); // not inside: nothing changes, nothing rings
    assert.equal(r.status, 204, r.text);
    await quiet();
    await join(cat, room.id);
    assert.equal(await count(), 3, 'the idle leave rang nothing');
    await quiet();
    await join(cat, room.id); // already inside: nothing rings
    const elsewhere = await createRoom(cat, 'Elsewhere');
    await quiet();
    await join(cat, elsewhere.id); // moving out rings the room left
    assert.equal(await count(), 2, 'the idle join rang nothing');
    const { body } = await ben.get(`/api/rooms/${room.id}`);
    assert.equal(body.room.member_count, 2);
  } finally {
    sub.close();
  }
});

test('with CHAT_PUSH=0 join offers no stream and the events address is a 404', { skip }, async () => {
  const off = await startStack({ env: { CHAT_PUSH: '0' } });
  try {
    const [dan] = await users(off.base, ['dan']);
    const r = await createRoom(dan, 'Quiet');
    const body = await join(dan, r.id);
    assert.equal(body.events, undefined);
    const res = await dan.get(eventsPath(r.id), { accept: 'text/event-stream' });
    assertError(res, 404, 'not_found');
    assert.doesNotMatch(readFileSync(joinPath(off.dir, 'run', 'nginx.conf'), 'utf8'), /load_module|nchan_subscriber|push\.sock/);
  } finally {
    await off.stop();
  }
});

test('a storm of joins and leaves is coalesced: a few members events, the last with the final count', { skip }, async () => {
  const storm = await createRoom(ann, 'Storm');
  await join(ann, storm.id);
  const sub = await subscribe(ann, storm.id);
  assert.equal(sub.status, 200, sub.text);
  const crowd = await users(stack.base, ['st1', 'st2', 'st3', 'st4', 'st5', 'st6']);
  const events = [];
  let done = false;
  const reader = (async () => {
    while (!done) {
      try { events.push((await sub.next(300)).data); } catch { /* quiet for 300 ms */ }
    }
  })();
  try {
    // Each of six people joins and leaves 15 times, all at once; the last
    // three end inside. Every change that answered 2xx counts.
    const t0 = performance.now();
    const counts = await Promise.all(crowd.map(async (c, i) => {
      let changes = 0;
      for (let k = 0; k < 15; k += 1) {
        const j = await c.post(`/api/rooms/${storm.id}/join`);
        if (j.status === 200) changes += 1;
        if (k === 14 && i >= 3) break;
        const l = await c.post(`/api/rooms/${storm.id}/leave`);
        if (l.status === 204) changes += 1;
      }
      return changes;
    }));
    const elapsed = performance.now() - t0;
    await new Promise((r) => { setTimeout(r, 1000); }); // the last window's ring
    done = true;
    await reader;
    const changes = counts.reduce((a, b) => a + b, 0);
    const members = events.filter((e) => e.type === 'members');
    // Each of the 2 rooms workers rings at once, then at most once per
    // 250 ms while changes go on, and once more at most 250 ms after the
    // last: floor(elapsed / 250) + 2 each.
    const bound = 2 * (Math.floor(elapsed / 250) + 2);
    console.log(`push: ${changes} member changes in ${Math.round(elapsed)} ms rang ${members.length} members events (bound ${bound})`);
    assert.ok(changes >= 2 * bound, `the storm was too small to tell (${changes} changes, bound ${bound})`);
    assert.ok(members.length <= bound, `${members.length} members events for ${changes} changes`);
    const { body } = await ann.get(`/api/rooms/${storm.id}`);
    assert.deepEqual(members.at(-1), { type: 'members', count: body.room.member_count },
      `the last event carries the final count (events: ${members.map((e) => e.count).join(' ')})`);
    assert.equal(body.room.member_count, 4);
  } finally {
    done = true;
    sub.close();
  }
});
