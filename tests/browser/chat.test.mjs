// Two people chatting, start to finish, in two separate browser contexts
// against the real stack: Alice makes a room, Bob finds it on his profile
// and joins, messages cross both ways within 3 s, an HTML payload stays
// text, a burst from both sides ends in the same order on both screens,
// history survives a reload, Load older pages back, the room polls every
// 2 s, leaving returns to the profile and logging out ends the session.
// The steps run in order and share the two people; each checks that
// neither page logged an error. Screenshots of the profile and the room
// at 1280 and 375 px wide go to tests/browser/artifacts/.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  FRONT_DOOR, clean, person, postMany, say, screenshot, createRoom, texts, twoPeople, waitForMessage,
} from './helpers.mjs';

let stack;
let browser;
let alice;
let bob;
let roomId;

before(async () => {
  // A generous post allowance: one step fills the room with 60 messages.
  ({ stack, browser, people: [alice, bob] } =
    await twoPeople(['alice', 'bob'], { CHAT_POST_BURST: '500', CHAT_POST_RATE: '500' }));
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

function noErrors() {
  clean(alice, bob);
}

test('alice creates a room; bob sees it on his profile with its owner and joins', async () => {
  roomId = await createRoom(alice.page, 'Lobby');
  // Bob's profile refreshes by itself: no reload.
  const row = bob.page.locator('.room-row').filter({ hasText: 'Lobby' });
  await row.waitFor({ timeout: 8000 });
  await row.getByText('by alice').waitFor();
  await row.getByText('1 person here').waitFor();
  assert.equal(await row.getByRole('button', { name: /Delete/ }).count(), 0, 'only the owner may delete');
  await row.getByRole('link', { name: 'Join Lobby' }).click();
  await bob.page.waitForURL(`**/rooms/${roomId}`);
  await bob.page.locator('#room-name').filter({ hasText: 'Lobby' }).waitFor();
  await bob.page.getByText('No messages yet').waitFor();
  noErrors();
});

test('messages cross within 3 s both ways, with author and time', async () => {
  await say(alice.page, 'Hi Bob! Welcome to the lobby.');
  await waitForMessage(bob.page, 'Hi Bob! Welcome to the lobby.', 3000);
  await say(bob.page, 'Hi Alice, glad to be here.');
  await waitForMessage(alice.page, 'Hi Alice, glad to be here.', 3000);

  const fromAlice = bob.page.locator('.message').filter({ hasText: 'Hi Bob!' });
  assert.match(await fromAlice.locator('.message-author').textContent(), /^alice$/);
  assert.match(await fromAlice.locator('.message-time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  assert.match(await fromAlice.locator('.message-time').textContent(), /\d/);
  assert.equal(await fromAlice.evaluate((el) => el.classList.contains('is-own')), false);
  const own = alice.page.locator('.message').filter({ hasText: 'Hi Bob!' });
  assert.equal(await own.evaluate((el) => el.classList.contains('is-own')), true);
  noErrors();
});

test('an <img onerror> payload shows as text and runs nothing; only web links are clickable', async () => {
  const payload = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> <b>bold?</b>';
  await say(bob.page, payload);
  await waitForMessage(alice.page, 'onerror', 3000);
  for (const page of [alice.page, bob.page]) {
    const shown = page.locator('.message-text').filter({ hasText: 'onerror' });
    assert.equal(await shown.textContent(), payload);
    assert.equal(await page.locator('#messages img, #messages script, #messages b').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  }

  await say(alice.page, 'Docs: https://example.org/guide?x=1. Not a link: javascript:alert(1)');
  await waitForMessage(bob.page, 'Docs:', 3000);
  const links = bob.page.locator('.message-text').filter({ hasText: 'Docs:' }).locator('a');
  assert.equal(await links.count(), 1);
  assert.equal(await links.getAttribute('href'), 'https://example.org/guide?x=1');
  assert.equal(await links.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await links.textContent(), 'https://example.org/guide?x=1');
  noErrors();
});

test('a burst from both sides ends in the same order on both screens', async () => {
  const burst = async (page, who) => {
    for (let i = 1; i <= 8; i += 1) await say(page, `${who} burst ${i}`);
  };
  await Promise.all([burst(alice.page, 'alice'), burst(bob.page, 'bob')]);
  await Promise.all([
    waitForMessage(alice.page, 'bob burst 8', 3000),
    waitForMessage(bob.page, 'alice burst 8', 3000),
  ]);
  const seen = async (page) => {
    const all = await texts(page);
    return all.filter((t) => t.includes(' burst '));
  };
  // Give the last poll a moment, then compare.
  await alice.page.waitForFunction(() => document.querySelectorAll('.message-text').length >= 20);
  await bob.page.waitForFunction(() => document.querySelectorAll('.message-text').length >= 20);
  const [onAlice, onBob] = await Promise.all([seen(alice.page), seen(bob.page)]);
  assert.equal(onAlice.length, 16, `alice sees ${onAlice.length}`);
  assert.deepEqual(onAlice, onBob);
  assert.equal(new Set(onAlice).size, 16, 'no message shown twice');
  const ids = await alice.page.locator('#messages .message').evaluateAll((els) => els.map((e) => Number(e.dataset.id)));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'messages are in id order');
  noErrors();
});

test('history shows after a reload', async () => {
  const before = await texts(bob.page);
  await bob.page.reload();
  await bob.page.locator('#room-name').filter({ hasText: 'Lobby' }).waitFor();
  await waitForMessage(bob.page, 'bob burst 8');
  assert.deepEqual(await texts(bob.page), before);
  noErrors();
});

test('Load older brings earlier messages, back to the beginning', async () => {
  await postMany(alice.page, roomId, 'backlog', 60);
  await bob.page.reload();
  await waitForMessage(bob.page, 'backlog 60');
  assert.equal(await bob.page.locator('#messages .message').count(), 50);
  const older = bob.page.getByRole('button', { name: 'Load older' });
  await older.click();
  await waitForMessage(bob.page, 'Hi Bob! Welcome');
  await bob.page.getByText('This is the beginning of the room.').waitFor();
  assert.equal(await older.isVisible(), false);
  const all = await texts(bob.page);
  assert.equal(all.length, 80);
  assert.equal(all[0], 'Hi Bob! Welcome to the lobby.');
  assert.equal(all.at(-1), 'backlog 60');
  noErrors();
});

test('scrolled up, new messages show a marker instead of jumping', async () => {
  const scroller = bob.page.locator('#log-scroller');
  await scroller.evaluate((el) => { el.scrollTop = 0; });
  await say(alice.page, 'are you still reading the old stuff?');
  await bob.page.getByRole('button', { name: 'New messages' }).waitFor({ timeout: 3000 });
  assert.equal(await scroller.evaluate((el) => el.scrollTop), 0, 'the view did not jump');
  await bob.page.getByRole('button', { name: 'New messages' }).click();
  assert.ok(await scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 5));
  await bob.page.getByRole('button', { name: 'New messages' }).waitFor({ state: 'hidden' });
  // At the bottom, the next message is followed.
  await say(alice.page, 'catching up');
  await waitForMessage(bob.page, 'catching up');
  await bob.page.waitForTimeout(100);
  assert.ok(await scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 5));
  noErrors();
});

test('while the tab is hidden the title counts unread messages', async () => {
  await bob.page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await say(alice.page, 'ping one');
  await say(alice.page, 'ping two');
  // The room's name is isolated (FSI … PDI) so an Arabic one cannot turn the title around.
  await bob.page.waitForFunction(() => document.title === '(2) \u2068Lobby\u2069 · Chatroom', null, { timeout: 4000 });
  await bob.page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  assert.equal(await bob.page.title(), '\u2068Lobby\u2069 · Chatroom');
  noErrors();
});

test('the room polls every 2 s', async () => {
  const times = [];
  const onRequest = (request) => {
    if (/\/api\/rooms\/\d+\/messages\?after=\d+(&attention=[^&]*)?$/.test(request.url())) times.push(Date.now());
  };
  bob.page.on('request', onRequest);
  await bob.page.waitForTimeout(7000);
  bob.page.off('request', onRequest);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  assert.ok(gaps.length >= 2, `polls seen: ${times.length}`);
  for (const gap of gaps) assert.ok(gap > 1700 && gap < 2700, `gap ${gap} ms`);
  noErrors();
});

test('screenshots of the room and the profile at 1280 and 375 px', async () => {
  await say(alice.page, 'A long word wraps: ' + 'supercalifragilistic'.repeat(8));
  await waitForMessage(bob.page, 'A long word wraps');
  await say(bob.page, 'Looks good on my phone too.\nEven with a second line.');
  await waitForMessage(alice.page, 'Looks good on my phone');
  const overflow = await bob.page.locator('#log-scroller').evaluate((el) => el.scrollWidth - el.clientWidth);
  assert.equal(overflow, 0, 'no sideways scrolling');
  await alice.page.waitForTimeout(400); // let the arrival animation finish
  await screenshot(alice.page, 'room-1280');
  await bob.page.setViewportSize({ width: 375, height: 740 });
  await bob.page.waitForTimeout(200);
  assert.equal(await bob.page.locator('#log-scroller').evaluate((el) => el.scrollWidth - el.clientWidth), 0);
  await screenshot(bob.page, 'room-375');
  const dark = await person(browser, stack.base, { width: 375, height: 740, colorScheme: 'dark' });
  await dark.context.addCookies(await bob.context.cookies());
  await dark.page.goto(`/rooms/${roomId}`);
  await waitForMessage(dark.page, 'Looks good on my phone');
  await screenshot(dark.page, 'room-375-dark');
  await dark.context.close();
  clean(dark);
  noErrors();
});

test('leave returns to the profile, which shows the rooms', async () => {
  await bob.page.getByRole('button', { name: 'Leave room' }).click();
  await bob.page.waitForURL('**/rooms');
  const row = bob.page.locator('.room-row').filter({ hasText: 'Lobby' });
  await row.getByText('1 person here').waitFor();
  await screenshot(bob.page, 'profile-375');
  await alice.page.goto('/rooms');
  await alice.page.locator('.room-row').filter({ hasText: 'Lobby' }).waitFor();
  await screenshot(alice.page, 'profile-1280');
  noErrors();
});

test('log out returns to the front door and the profile is closed', async () => {
  // The room, opened after logging out, is refused and sends bob to `/`.
  bob.expect(FRONT_DOOR, { status: 401, path: new RegExp(`^/api/rooms/${roomId}/join$`) });
  await bob.page.getByRole('button', { name: 'Log out' }).click();
  await bob.page.waitForURL((url) => url.pathname === '/');
  await bob.page.goto(`/rooms/${roomId}`);
  await bob.page.waitForURL((url) => url.pathname === '/');
  await bob.page.getByRole('button', { name: 'Log in' }).waitFor();
  noErrors();
});
