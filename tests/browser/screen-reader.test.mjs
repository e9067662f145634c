// What a screen reader is told to read out by itself (issue 11): opening a
// room with history, and each "Load older", must announce nothing; the
// reader's own message neither; a new message from someone else exactly
// once. The test asks Chromium itself, through the DevTools accessibility
// tree (what assistive technology is given), which elements are live
// regions (role="log" is one implicitly, aria-live="polite"), and checks at
// each stage that no message of the history sits inside one and what the
// one live log that is meant for announcements holds.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  clean, createRoom, postMany, say, twoPeople, waitForMessage,
} from './helpers.mjs';

let stack;
let browser;
let alice;
let bob;
let roomId;

before(async () => {
  ({ stack, browser, people: [alice, bob] } =
    await twoPeople(['alice', 'bob'], { CHAT_POST_BURST: '500', CHAT_POST_RATE: '500' }));
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/**
 * Every live region of the page as Chromium exposes it to assistive
 * technology: {id, role, live, relevant, messages, lines}, where
 * `messages` counts the history's .message elements inside it and `lines`
 * are the texts of its children.
 */
async function liveRegions(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.getDocument', { depth: -1 });
    const { nodes } = await cdp.send('Accessibility.getFullAXTree');
    const found = [];
    for (const node of nodes) {
      const prop = (name) => (node.properties || []).find((p) => p.name === name)?.value.value;
      const live = prop('live');
      if (!live || live === 'off' || !node.backendDOMNodeId) continue;
      const { object } = await cdp.send('DOM.resolveNode', { backendNodeId: node.backendDOMNodeId });
      const { result } = await cdp.send('Runtime.callFunctionOn', {
        objectId: object.objectId,
        returnByValue: true,
        functionDeclaration: `function () {
          return { id: this.id, messages: this.querySelectorAll('.message').length,
                   lines: [...this.children].map((c) => c.textContent) };
        }`,
      });
      found.push({ role: node.role?.value, live, relevant: prop('relevant'), ...result.value });
    }
    return found;
  } finally {
    await cdp.detach();
  }
}

// The stage's check: no history inside any live region, and the
// announcements log holds exactly `lines`.
async function expectAnnounced(page, lines) {
  const regions = await liveRegions(page);
  for (const region of regions) {
    assert.equal(region.messages, 0, `${region.messages} messages inside live region #${region.id} (${region.role})`);
  }
  const log = regions.filter((r) => r.role === 'log');
  assert.equal(log.length, 1, `one live log: ${JSON.stringify(regions)}`);
  assert.equal(log[0].live, 'polite');
  assert.match(log[0].relevant, /^additions/);
  assert.deepEqual(log[0].lines, lines);
}

test('opening a room with 60 messages of history announces none of them', async () => {
  roomId = await createRoom(alice.page, 'Talk');
  await postMany(alice.page, roomId, 'history', 60);
  await bob.page.goto(`/rooms/${roomId}?poll=500`);
  await waitForMessage(bob.page, 'history 60');
  assert.equal(await bob.page.locator('#messages .message').count(), 50);
  await expectAnnounced(bob.page, []);
  clean(alice, bob);
});

test('Load older adds the rest of the history, announcing none of it', async () => {
  await bob.page.getByRole('button', { name: 'Load older' }).click();
  // 'history 1' alone would match 'history 11' .. 'history 19', already
  // on the page before the older page arrives: wait for the count instead.
  await bob.page.waitForFunction(() => document.querySelectorAll('#messages .message').length >= 60,
    null, { timeout: 5000 }).catch(() => {});
  assert.equal(await bob.page.locator('#messages .message').count(), 60);
  await expectAnnounced(bob.page, []);
  clean(alice, bob);
});

test("the reader's own message is not announced; someone else's is, once", async () => {
  await say(bob.page, 'my own words');
  await waitForMessage(alice.page, 'my own words');
  await bob.page.waitForTimeout(1200); // two polls of bob's page: his message came back in one
  await expectAnnounced(bob.page, []);

  await say(alice.page, 'hello bob');
  await waitForMessage(bob.page, 'hello bob');
  await bob.page.waitForTimeout(1200); // and later polls do not repeat it
  await expectAnnounced(bob.page, ['alice: hello bob']);
  // Alice's page announces bob's words, not her own.
  await expectAnnounced(alice.page, ['bob: my own words']);
  clean(alice, bob);
});

test('what arrives at once after a lost connection is announced as a count', async () => {
  bob.expect({ status: 0, path: /^\/api\/rooms\/\d+\/(messages|events)/ });
  await bob.context.setOffline(true);
  try {
    await postMany(alice.page, roomId, 'while away', 12);
  } finally {
    await bob.context.setOffline(false);
  }
  await waitForMessage(bob.page, 'while away 12', 10000);
  await bob.page.waitForTimeout(600);
  await expectAnnounced(bob.page, ['alice: hello bob', '12 new messages.']);
  clean(alice, bob);
});
