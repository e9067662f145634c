// Push in the browser (issue 7), against the real stack with nginx's nchan
// module: Bob's room page polls only once a minute (?poll=60000), so when
// Alice's message reaches his screen well under 2 s later, only the event
// stream can have made his page fetch it; a room deletion is shown at once
// the same way, and Bob's arrival raises the member count in Alice's
// header; a push event also gives up a poll that hangs on a dead
// connection and polls again at once. Then the floor: when the events
// address fails (answered with 503 in Bob's browser) the 2 s poll still
// delivers within 3 s, and on a stack with push off (CHAT_PUSH=0) the page
// polls without a single console error. Skipped, loudly, when the nchan module is not installed.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startStack, waitFor } from '../lib/stack.mjs';
import {
  FRONT_DOOR, clean, createRoom, person, say, texts, signUp, twoPeople, waitForMessage,
} from './helpers.mjs';

const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const HAVE_NCHAN = existsSync(MODULE);
if (!HAVE_NCHAN) {
  console.error(`!!! SKIPPED browser push tests: ${MODULE} is missing (make deps installs libnginx-mod-nchan) !!!`);
}
const skip = HAVE_NCHAN ? false : `nchan module missing (${MODULE})`;

let stack;
let browser;
let alice;
let bob;
let roomId;

before(async () => {
  if (!HAVE_NCHAN) return;
  ({ stack, browser, people: [alice, bob] } =
    await twoPeople(['alice', 'bob'], { CHAT_POST_BURST: '500', CHAT_POST_RATE: '500' }));
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

// Opens the room with a poll interval of `poll` ms and waits for the stream.
async function enter(who, id, poll, pushState = 'open') {
  await who.page.goto(`/rooms/${id}?poll=${poll}`);
  await who.page.locator('#room-name').filter({ hasNotText: 'Joining' }).waitFor();
  await who.page.waitForFunction((s) => document.body.dataset.push === s, pushState, { timeout: 10000 });
}

// Times of the page's incremental polls (messages?after=N).
function pollTimes(page) {
  const times = [];
  page.on('request', (request) => {
    if (/\/api\/rooms\/\d+\/messages\?after=\d+(&attention=[^&]*)?$/.test(request.url())) times.push(Date.now());
  });
  return times;
}

test('with push a message crosses in well under 2 s, fetched because of the event', { skip }, async () => {
  roomId = await createRoom(alice.page, 'Pushy');
  await enter(alice, roomId, 60000);
  const meta = alice.page.locator('#room-meta');
  await meta.filter({ hasText: '1 person here' }).waitFor({ timeout: 5000 });
  await enter(bob, roomId, 60000);
  // Bob's join rang the room's member count: Alice's header shows it
  // without a reload (her page fetches nothing for it).
  await meta.filter({ hasText: '2 people here · Created by alice' }).waitFor({ timeout: 1900 });
  const polls = pollTimes(bob.page);
  const delays = [];
  for (let i = 1; i <= 3; i += 1) {
    const before = polls.length;
    const t0 = Date.now();
    await say(alice.page, `push ${i}`);
    await waitForMessage(bob.page, `push ${i}`, 1900);
    delays.push(Date.now() - t0);
    // Bob's timer would next poll a minute after he arrived: each of these
    // polls was made by an event.
    assert.ok(polls.length > before, `poll ${i} came from the event`);
  }
  console.log(`push: browser delivery ${delays.join(', ')} ms (timer poll every 60 s)`);
  for (const d of delays) assert.ok(d < 1500, `delivered after ${d} ms`);
  clean(alice, bob);
});

test('a push event cuts short a poll that hangs on a dead connection', { skip }, async () => {
  // Bob's next poll (made by the event of Alice's first message) never
  // answers; his timer would poll again in a minute, the hung request
  // times out after 15 s. The event of her second message must give it up
  // and poll again at once.
  let hung = null;
  const isPoll = (url) => /^\/api\/rooms\/\d+\/messages$/.test(url.pathname) && url.searchParams.has('after');
  const hang = (route) => {
    if (hung) return route.fallback();
    hung = route;
    return undefined;
  };
  // Bob's stream opened a moment ago, in the test before: its catch-up
  // rings (push.js, 1 s and 3 s after it opens) would cut the hung poll
  // short too, and the page would show the message for the wrong reason.
  await bob.page.waitForTimeout(3200);
  await bob.page.route(isPoll, hang);
  try {
    await say(alice.page, 'rang into a dead poll');
    await waitFor(async () => hung !== null, 5000, 'the poll to hang');
    await bob.page.waitForTimeout(2500);
    assert.ok(!(await texts(bob.page)).includes('rang into a dead poll'), 'the hung poll held the page up');
    const t0 = Date.now();
    await say(alice.page, 'rang again');
    await waitForMessage(bob.page, 'rang again', 1900);
    await waitForMessage(bob.page, 'rang into a dead poll', 100);
    console.log(`push: a hung poll was replaced and answered ${Date.now() - t0} ms after the second post`);
  } finally {
    await bob.page.unroute(isPoll, hang);
    await hung?.abort().catch(() => {});
  }
  clean(alice, bob);
});

test('a room deletion is shown at once', { skip }, async () => {
  // Both pages are in the room: their next polls are told it is gone.
  const gone = { status: 410, path: new RegExp(`^/api/rooms/${roomId}/messages`) };
  alice.expect(gone);
  bob.expect(gone);
  const t0 = Date.now();
  const status = await alice.page.evaluate(async (id) => (await fetch(`/api/rooms/${id}`, { method: 'DELETE', headers: { 'Content-Type': 'application/json' } })).status, roomId);
  assert.equal(status, 204);
  await bob.page.locator('#notice').filter({ hasText: 'deleted by its owner' }).waitFor({ timeout: 1900 });
  console.log(`push: deletion shown after ${Date.now() - t0} ms`);
  clean(alice, bob);
});

test('when the events address fails, the 2 s poll still delivers within 3 s', { skip }, async () => {
  await alice.page.goto('/rooms');
  roomId = await createRoom(alice.page, 'Floor');
  await bob.context.route('**/api/rooms/*/events', (route) => route.fulfill({ status: 503, body: 'down' }));
  bob.expect({ status: 503, path: new RegExp(`^/api/rooms/${roomId}/events`) }); // the point here
  try {
    await enter(bob, roomId, 2000, 'retrying');
    const t0 = Date.now();
    await say(alice.page, 'by the poll');
    await waitForMessage(bob.page, 'by the poll', 3000);
    console.log(`push: poll-only delivery ${Date.now() - t0} ms`);
    clean(alice, bob);
  } finally {
    await bob.context.unroute('**/api/rooms/*/events');
  }
});

test('with push off (CHAT_PUSH=0) the page polls and logs no error', { skip }, async () => {
  const off = await startStack({ env: { CHAT_PUSH: '0' } });
  try {
    const carol = await person(browser, off.base, { expect: [FRONT_DOOR] });
    const dave = await person(browser, off.base, { expect: [FRONT_DOOR] });
    await Promise.all([signUp(carol.page, 'carol'), signUp(dave.page, 'dave')]);
    const id = await createRoom(carol.page, 'Quiet');
    await enter(dave, id, 2000, 'off');
    const t0 = Date.now();
    await say(carol.page, 'polled over');
    await waitForMessage(dave.page, 'polled over', 3000);
    console.log(`push off: delivery ${Date.now() - t0} ms`);
    clean(carol, dave);
    await carol.context.close();
    await dave.context.close();
  } finally {
    await off.stop();
  }
});
