// Every program's threads busy at once with every kind of request (issue 17,
// ThreadSanitizer on the threaded workers): six people poll, post, edit,
// react, list rooms, search, upload and fetch files, type, mark read, ask
// for their mentions, log in and out on a second session, and make rooms
// that are deleted while others are inside polling them, with push streams
// held open. Nothing may answer 5xx, every kind of request must succeed
// at least once, and the database must come out whole.
//
// With the workers built by `make TSAN=1` (CHAT_BIN=build/tsan/bin, which
// `make tsan-check` sets) this is the load ThreadSanitizer watches: any race
// in what the threads share (the writer mutex, the doorbell, the coalescer,
// the stream repeater, the log, the retention look, the caches) is reported
// to build/tsan/log/ and fails that target.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { pngRgb } from '../lib/images.mjs';
import { PASSWORD, createRoom, join, sql, unique, users } from './helpers.mjs';

const PEOPLE = 6;
const ROUNDS = 8;

let stack;
let crowd;
let names;

before(async () => {
  stack = await startStack({
    env: {
      CHAT_POST_BURST: '100000',
      CHAT_POST_RATE: '1000',
      CHAT_UPLOAD_BURST: '1000',
      CHAT_UPLOADS_PER_MINUTE: '100000',
      CHAT_JOIN_BURST: '1000',
      CHAT_JOIN_RATE: '1000',
      CHAT_ROOM_CREATE_BURST: '1000',
      CHAT_ROOM_CREATE_RATE: '1000',
      CHAT_LOGIN_PAIR_BURST: '1000',
      CHAT_LOGIN_ADDRESS_BURST: '1000',
      CHAT_LOGIN_ACCOUNT_BURST: '1000',
      CHAT_AUTH_RATE: '1000r/s',
      CHAT_AUTH_BURST: '1000',
      // Every thread looks at retention between its requests.
      CHAT_PRUNE_INTERVAL_SECONDS: '1',
    },
  });
  names = Array.from({ length: PEOPLE }, () => unique('mix'));
  crowd = await users(stack.base, names);
});
after(() => stack?.stop());

test('all programs, several threads each, every kind of request at once: no 5xx, each kind succeeds, the database whole', async () => {
  const hub = await createRoom(crowd[0], unique('Hub'));
  const cursors = [];
  for (const c of crowd) cursors.push((await join(c, hub.id)).cursor);

  const png = pngRgb(300, 200);
  const failures = [];
  const succeeded = new Map();
  // Records one answer: a 5xx is a failure; `ok` lists the answers that
  // count as success for that kind (the others are races the API answers
  // with a 4xx, such as a room deleted under a poll).
  const note = (kind, r, ok) => {
    if (r.status >= 500) failures.push(`${kind}: ${r.status} ${r.text.slice(0, 200)}`);
    if (ok.includes(r.status)) succeeded.set(kind, (succeeded.get(kind) ?? 0) + 1);
    return r;
  };
  const origin = stack.base.replace(/\/$/, '');
  const upload = async (client, roomId, bytes, name, type = 'text/plain') => {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type }), name);
    const res = await fetch(`${stack.base}/api/rooms/${roomId}/files`, {
      method: 'POST', body: form, headers: { cookie: client.cookie, origin },
    });
    const text = await res.text();
    let body = null;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body, text };
  };
  const fetchStatus = async (client, path) => {
    const res = await fetch(stack.base + path, { headers: { cookie: client.cookie } });
    const text = await res.text();
    return { status: res.status, text };
  };

  // Push streams held open through the run (the poll program authorises
  // them, nginx holds them; the workers' doorbells publish into them).
  const streams = new AbortController();
  const held = crowd.slice(0, 2).map(async (c) => {
    try {
      const res = await fetch(`${stack.base}/api/rooms/${hub.id}/events`, {
        headers: { cookie: c.cookie, accept: 'text/event-stream' }, signal: streams.signal,
      });
      note('events', { status: res.status, text: '' }, [200, 404]);
      for await (const _ of res.body) { /* read until aborted */ }
    } catch { /* aborted at the end */ }
  });

  const person = async (c, i) => {
    let cursor = cursors[i];
    let last = null;
    for (let round = 0; round < ROUNDS; round += 1) {
      const other = names[(i + 1) % PEOPLE];
      const work = [
        (async () => {
          const r = note('poll', await c.get(`/api/rooms/${hub.id}/messages?after=${cursor}`), [200]);
          if (r.status === 200) cursor = r.body.cursor;
        })(),
        (async () => {
          const r = note('post', await c.post(`/api/rooms/${hub.id}/messages`, {
            text: `round ${round} from ${names[i]} to @${other} about apples`, client_id: `m${i}-${round}`,
          }), [201]);
          if (r.status !== 201) return;
          const id = r.body.message.id;
          note('edit', await c.request('PATCH', `/api/messages/${id}`, { text: `round ${round}, edited apples` }), [200]);
          note('react', await c.request('PUT', `/api/messages/${id}/reactions`, { emoji: '👍' }), [200]);
          note('unreact', await c.del(`/api/messages/${id}/reactions?emoji=${encodeURIComponent('👍')}`), [200]);
          note('read', await c.post(`/api/rooms/${hub.id}/read`, { id }), [204]);
          if (last !== null && round % 3 === 0) note('delete', await c.del(`/api/messages/${last}`), [204]);
          last = id;
        })(),
        (async () => { note('rooms', await c.get('/api/rooms'), [200]); })(),
        (async () => { note('search', await c.get(`/api/search?q=apples&room=${hub.id}`), [200]); })(),
        (async () => { note('typing', await c.post(`/api/rooms/${hub.id}/typing`), [204]); })(),
        (async () => { note('mentions', await c.get('/api/mentions'), [200]); })(),
        (async () => { note('members', await c.get(`/api/rooms/${hub.id}/members`), [200]); })(),
        (async () => {
          const r = note('upload', await upload(c, hub.id, Buffer.from(`file ${i} ${round}\n`), `n${i}-${round}.txt`), [201]);
          if (r.status === 201) note('file', await fetchStatus(c, `/api/files/${r.body.attachment.id}`), [200]);
        })(),
        (async () => {
          // An image: libvips decodes it and makes the thumbnail on this thread.
          const r = note('image', await upload(c, hub.id, png, `p${i}-${round}.png`, 'image/png'), [201]);
          if (r.status === 201) note('thumb', await fetchStatus(c, `/api/files/${r.body.attachment.id}/thumb`), [200]);
        })(),
        (async () => {
          // A second session of the same person: login, a look, logout
          // (revocation of its streams included).
          const second = new Client(stack.base);
          note('login', await second.post('/api/login', { username: names[i], password: PASSWORD }), [200]);
          note('me', await second.get('/api/me'), [200]);
          note('logout', await second.post('/api/logout'), [204]);
        })(),
      ];
      if (round % 3 === 1) {
        // A room made, joined by the next person, polled, and deleted by its
        // owner while that person polls it.
        work.push((async () => {
          const r = note('create', await c.post('/api/rooms', { name: unique(`Tmp${i}`) }), [201]);
          if (r.status !== 201) return;
          const room = r.body.room;
          const guest = crowd[(i + 1) % PEOPLE];
          note('join', await guest.post(`/api/rooms/${room.id}/join`), [200]);
          const polls = Array.from({ length: 4 }, async () => {
            note('poll-doomed', await guest.get(`/api/rooms/${room.id}/messages?after=0`), [200, 404, 409, 410]);
          });
          note('delete-room', await c.del(`/api/rooms/${room.id}`), [204]);
          await Promise.all(polls);
          // Back to the hub for the next round's posts.
          note('rejoin', await guest.post(`/api/rooms/${hub.id}/join`), [200]);
        })());
      }
      await Promise.all(work);
    }
  };
  await Promise.all(crowd.map(person));
  streams.abort();
  await Promise.all(held);

  assert.deepEqual(failures, [], 'no answer was a 5xx');
  for (const kind of ['poll', 'post', 'edit', 'react', 'unreact', 'read', 'delete', 'rooms', 'search', 'typing',
    'mentions', 'members', 'upload', 'file', 'image', 'thumb', 'login', 'me', 'logout', 'create', 'join', 'delete-room', 'rejoin']) {
    assert.ok((succeeded.get(kind) ?? 0) > 0, `some ${kind} succeeded (${JSON.stringify([...succeeded])})`);
  }
  assert.equal(sql(stack.db, 'PRAGMA integrity_check'), 'ok');
  assert.equal(Number(sql(stack.db, `SELECT count(*) FROM messages WHERE room_id = ${hub.id}`)) > 0, true);
});
