// Faults of the network between one browser and the real stack (issue 11),
// made with playwright's request routing in Dave's browser only:
// - a post that reaches the server but whose reply is lost, while Dave goes
//   on typing: the retry must be the same request (same text, same
//   client_id), so the server stores the message once, and what Dave typed
//   afterwards stays in the box (or follows as its own message if he
//   pressed Enter);
// - a poll that never answers (a dead connection): the page must not wait
//   for its 15 s timeout when the network comes back (`online`) or the
//   window gets the focus again, but give it up and poll at once.
// Push is off on this stack (CHAT_PUSH=0), so only the poll and these
// signals move messages; push.test.mjs covers a push event cutting a hung
// poll short. `online` and `focus` are dispatched to the window as the
// browser would fire them; the route is what makes the poll hang.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '../lib/stack.mjs';
import {
  clean, createRoom, say, texts, twoPeople, waitForMessage,
} from './helpers.mjs';

let stack;
let browser;
let carol;
let dave;
let roomId;

before(async () => {
  ({ stack, browser, people: [carol, dave] } = await twoPeople(['carol', 'dave'], { CHAT_PUSH: '0' }));
  roomId = await createRoom(carol.page, 'Faults');
  await dave.page.goto(`/rooms/${roomId}?poll=500`);
  await dave.page.locator('#room-name').filter({ hasText: 'Faults' }).waitFor();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const isMessages = (url) => /^\/api\/rooms\/\d+\/messages$/.test(url.pathname);

/** What the server stored in the room, asked through Carol's session. */
async function stored() {
  return carol.page.evaluate(async (id) => {
    const reply = await (await fetch(`/api/rooms/${id}/messages?after=0`)).json();
    return reply.messages.map((m) => m.text);
  }, roomId);
}

/**
 * Lets Dave's first post reach the server, then, before its reply gets
 * back, runs `meanwhile` (Dave typing) and drops the reply. Resolves to the
 * list of post bodies Dave's page sends, filled in as they go.
 */
async function loseFirstReply(meanwhile) {
  const posts = [];
  const handler = async (route) => {
    const request = route.request();
    if (request.method() !== 'POST') return route.fallback();
    posts.push(JSON.parse(request.postData()));
    if (posts.length > 1) return route.continue();
    const response = await route.fetch(); // the server stores it …
    posts.firstStatus = response.status();
    await meanwhile(); // … the person goes on typing …
    return route.abort('connectionreset'); // … and the reply never arrives
  };
  await dave.page.route(isMessages, handler);
  posts.done = () => dave.page.unroute(isMessages, handler);
  return posts;
}

const box = () => dave.page.getByLabel('Message', { exact: true });
const boxValue = () => dave.page.evaluate(() => document.getElementById('message').value);
// The composer says nothing once every send is confirmed.
const settled = async (posts, n) => posts.length >= n
  && (await dave.page.locator('#composer-status').textContent()) === '';

test('a lost reply is retried as it was sent, once; what was typed meanwhile stays in the box', async () => {
  dave.expect({ status: 0, path: /^\/api\/rooms\/\d+\/messages$/ }); // the dropped reply
  const posts = await loseFirstReply(() => box().pressSequentially(' beta'));
  try {
    await box().fill('alpha');
    await box().press('Enter');
    await waitFor(() => settled(posts, 2), 10000, 'the retry to be confirmed');
    await dave.page.waitForTimeout(1500); // time for any further (wrong) retry
  } finally {
    await posts.done();
  }
  assert.equal(posts.firstStatus, 201, 'the first send was stored');
  assert.equal(posts.length, 2, JSON.stringify(posts));
  assert.deepEqual(posts[1], posts[0], 'the retry is the same text under the same client_id');
  assert.equal(posts[0].text, 'alpha');
  assert.deepEqual(await stored(), ['alpha']);
  assert.equal(await boxValue(), 'beta', 'what was typed after the send stays');
  await waitForMessage(carol.page, 'alpha');
  assert.deepEqual(await texts(dave.page), ['alpha']);
  assert.deepEqual(await texts(carol.page), ['alpha']);
  await box().fill('');
  clean(carol, dave);
});

test('Enter pressed while a reply is lost sends the new text after the retry, as a message of its own', async () => {
  dave.expect({ status: 0, path: /^\/api\/rooms\/\d+\/messages$/ });
  const posts = await loseFirstReply(async () => {
    await box().pressSequentially(' delta');
    await box().press('Enter');
  });
  try {
    await box().fill('gamma');
    await box().press('Enter');
    await waitFor(() => settled(posts, 3), 10000, 'both messages to be confirmed');
    await dave.page.waitForTimeout(1500);
  } finally {
    await posts.done();
  }
  assert.equal(posts.length, 3, JSON.stringify(posts));
  assert.deepEqual(posts[1], posts[0], 'the retry is the same text under the same client_id');
  assert.equal(posts[0].text, 'gamma');
  assert.equal(posts[2].text, 'delta');
  assert.notEqual(posts[2].client_id, posts[0].client_id);
  assert.deepEqual(await stored(), ['alpha', 'gamma', 'delta']);
  await waitForMessage(carol.page, 'delta');
  assert.deepEqual(await texts(dave.page), ['alpha', 'gamma', 'delta']);
  clean(carol, dave);
});

/** Makes Dave's next poll hang (never answered); resolves once it does. */
async function hangNextPoll() {
  const hung = { route: null };
  const isPoll = (url) => isMessages(url) && url.searchParams.has('after');
  const handler = (route) => {
    if (hung.route) return route.fallback();
    hung.route = route; // left unanswered
    return undefined;
  };
  await dave.page.route(isPoll, handler);
  await waitFor(async () => hung.route !== null, 5000, 'a poll to hang');
  hung.done = async () => {
    await dave.page.unroute(isPoll, handler);
    await hung.route.abort().catch(() => {}); // settled by the page already
  };
  return hung;
}

// The hung poll holds the page: with nothing else happening, a message
// posted meanwhile does not arrive (this is what the signal must undo).
async function stalled(text) {
  await say(carol.page, text);
  await dave.page.waitForTimeout(3000);
  assert.ok(!(await texts(dave.page)).includes(text), 'the hung poll held the page up');
}

for (const [signal, fire] of [
  ['online', () => window.dispatchEvent(new Event('online'))],
  ['focus', () => window.dispatchEvent(new Event('focus'))],
]) {
  test(`a poll that hangs is given up and sent again at once on ${signal}`, async () => {
    const hung = await hangNextPoll();
    try {
      const text = `said while the poll hung (${signal})`;
      await stalled(text);
      const t0 = Date.now();
      await dave.page.evaluate(fire);
      // The hung poll would time out after 15 s; the new one answers at once.
      await waitForMessage(dave.page, text, 3000);
      console.log(`${signal}: message shown ${Date.now() - t0} ms after the event`);
    } finally {
      await hung.done();
    }
    await say(carol.page, `and polling goes on (${signal})`);
    await waitForMessage(dave.page, `and polling goes on (${signal})`, 3000);
    clean(carol, dave);
  });
}
