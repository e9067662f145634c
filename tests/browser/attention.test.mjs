// Attention in the browser (issue 14), against the real stack (nginx, the
// workers, chat.db, nchan for push): "@" in the message box completes the
// names of the room's people with the keyboard alone (ARIA combobox:
// arrows, Tab/Enter, Escape) and the mention is highlighted for the person
// named, more strongly than for others, with markup beside it left as text;
// bob in room A sees room B's unread count rise and a mention mark on his
// profile (refreshed by his own push stream before the 4 s timer), in
// room A's header and on the Mentions page; nothing asks for notification
// permission on load, and after "Notify me" (permission granted through
// the browser context) a mention in a hidden tab makes one Notification
// with the message's text, the tab title and icon count, and the screen
// reader hears "alice mentioned you"; the "New messages" divider sits at
// the old read mark and is scrolled into view, and reading moves the mark;
// "alice is typing…" appears and goes (push only). A hidden tab is
// emulated (document.hidden, as in chat.test.mjs): the test browser has no
// window to put in the background. Screenshots at 1280 and 375 px go to
// artifacts/attention-*.png.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import {
  FRONT_DOOR, clean, createRoom, person, postMany, say, screenshot, signUp, twoPeople, waitForMessage, watch,
} from './helpers.mjs';

// Typing goes over push only: without nginx's nchan module that test is
// skipped, loudly (and the profile's push refresh is not checked).
const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const skip = existsSync(MODULE) ? false : `nchan module missing (${MODULE})`;
if (skip) console.error(`!!! SKIPPED the typing browser test: ${MODULE} is missing !!!`);

let stack;
let browser;
let alice;
let bob;
let bella;

before(async () => {
  ({ stack, browser, people: [alice, bob] } =
    await twoPeople(['alice', 'bob'], { CHAT_POST_BURST: '500', CHAT_POST_RATE: '500' }));
  bella = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  await signUp(bella.page, 'bella');
  clean(bella);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function enter(who, id, query = '') {
  await who.page.goto(`/rooms/${id}${query}`);
  await who.page.locator('#room-name').filter({ hasNotText: 'Joining' }).waitFor();
}

const box = (who) => who.page.getByLabel('Message', { exact: true });
const options = (who) => who.page.getByRole('listbox', { name: 'People to mention' }).getByRole('option');

test('"@" completes names by keyboard: arrows, Tab and Enter pick, Escape closes', async () => {
  const roomId = await createRoom(alice.page, 'Corner');
  await enter(bob, roomId);
  await enter(bella, roomId);
  const message = box(alice);
  await message.click();
  await message.pressSequentially('hi @b');
  await options(alice).first().waitFor();
  assert.deepEqual(await options(alice).allTextContents(), ['@bella', '@bob']);
  assert.equal(await message.getAttribute('role'), 'combobox');
  assert.equal(await message.getAttribute('aria-expanded'), 'true');
  // The first is highlighted; ↓ moves to the second (named by aria-activedescendant).
  const active = async () => alice.page.evaluate(() => {
    const id = document.getElementById('message').getAttribute('aria-activedescendant');
    return id ? document.getElementById(id).textContent : null;
  });
  assert.equal(await active(), '@bella');
  await message.press('ArrowDown');
  assert.equal(await active(), '@bob');
  assert.equal(await options(alice).nth(1).getAttribute('aria-selected'), 'true');
  await message.press('ArrowDown');
  assert.equal(await active(), '@bella', '↓ wraps around');
  await message.press('ArrowUp');
  await message.press('Tab');
  assert.equal(await message.inputValue(), 'hi @bob ');
  assert.equal(await message.getAttribute('aria-expanded'), 'false');
  await assert.rejects(options(alice).first().waitFor({ timeout: 300 }), 'the list is closed');
  // Focus stayed in the box (Tab was the pick, not a move).
  assert.equal(await alice.page.evaluate(() => document.activeElement.id), 'message');
  // Escape closes the list and leaves the text alone; typing on opens it again.
  await message.pressSequentially('and @Be');
  await options(alice).first().waitFor();
  assert.deepEqual(await options(alice).allTextContents(), ['@bella']);
  await screenshot(alice.page, 'attention-complete-1280');
  await message.press('Escape');
  assert.equal(await message.getAttribute('aria-expanded'), 'false');
  assert.equal(await message.inputValue(), 'hi @bob and @Be');
  await message.pressSequentially('l');
  await options(alice).first().waitFor();
  // Enter picks while the list is open (nothing is sent), then sends.
  await message.press('Enter');
  assert.equal(await message.inputValue(), 'hi @bob and @bella ');
  await message.press('Enter');
  await alice.page.waitForFunction(() => document.getElementById('message').value === '');
  await waitForMessage(bob.page, 'hi @bob and @bella');
  // The server stored both mentions: each reader sees the two names
  // marked, their own one more strongly.
  const marks = async (who) => who.page.locator('#messages .message').last().locator('.mention')
    .evaluateAll((els) => els.map((el) => `${el.textContent}${el.classList.contains('mention-me') ? '!' : ''}`));
  assert.deepEqual(await marks(bob), ['@bob!', '@bella']);
  await waitForMessage(bella.page, 'hi @bob and @bella');
  assert.deepEqual(await marks(bella), ['@bob', '@bella!']);
  assert.deepEqual(await marks(alice), ['@bob', '@bella']);
  assert.ok(await bob.page.locator('#messages .message').last().evaluate((el) => el.classList.contains('mentions-me')));
  await bob.page.setViewportSize({ width: 375, height: 760 });
  await screenshot(bob.page, 'attention-mention-375');
  await bob.page.setViewportSize({ width: 1280, height: 800 });
  // Around a mention, markup stays text: the names are found in text nodes.
  const hostile = '@bob <img src=x onerror="window.__pwned=1"> **@bella** `@bob` <b>x</b>';
  await message.fill(hostile);
  await message.press('Enter');
  await waitForMessage(bob.page, 'onerror');
  const last = bob.page.locator('#messages .message').last();
  assert.equal(await last.locator('.message-text').textContent(), '@bob <img src=x onerror="window.__pwned=1"> @bella @bob <b>x</b>');
  assert.equal(await last.locator('img, b').count(), 0);
  assert.deepEqual(await last.locator('.mention').allTextContents(), ['@bob', '@bella'], 'not inside code');
  assert.equal(await bob.page.evaluate(() => window.__pwned), undefined);
  // Nobody else's name is offered for "@x", and the reader's own never.
  await message.pressSequentially('@al');
  await alice.page.waitForTimeout(300);
  assert.equal(await options(alice).count(), 0);
  await message.fill('');
  clean(alice, bob, bella);
});

// Hides or shows `who`'s page as a background tab would be (the tests'
// browser has no window to minimise; as in chat.test.mjs).
async function setHidden(who, hidden) {
  await who.page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

test("in room A, bob sees room B's unread count rise and a mention mark, on his profile and in the room", async () => {
  const beta = await (async () => { await alice.page.goto('/rooms'); return createRoom(alice.page, 'Beta'); })();
  // Bob has been in Beta (so it is his: its unread count), then moves to Alpha.
  await enter(bob, beta);
  await bob.page.goto('/rooms');
  const alpha = await createRoom(bob.page, 'Alpha');
  const profile = await watch(bob, await bob.context.newPage());
  await profile.goto('/rooms');
  const row = profile.locator('.room-row', { has: profile.locator('.room-name', { hasText: /^Beta$/ }) });
  await row.waitFor();
  assert.equal(await row.locator('.room-unread').isVisible(), false, 'nothing unread yet');
  await say(alice.page, 'news one');
  await say(alice.page, 'news two');
  await row.locator('.room-unread').filter({ hasText: /^2/ }).waitFor({ timeout: 10000 });
  assert.ok(await row.evaluate((el) => el.classList.contains('has-news')));
  assert.equal(await row.locator('.room-mentions').isVisible(), false);
  assert.match(await row.locator('.room-title').textContent(), /2 unread messages/);
  // With push the profile listens on bob's own stream: the mention makes
  // it fetch the list at once, well before its 4 s timer would.
  if (!skip) await profile.waitForFunction(() => document.body.dataset.personPush === 'open', null, { timeout: 10000 });
  await profile.waitForResponse((r) => new URL(r.url()).pathname === '/api/rooms');
  const refreshed = Date.now(); // the timer's next request is 4 s after this answer
  const listed = [];
  profile.on('request', (r) => { if (new URL(r.url()).pathname === '/api/rooms') listed.push(Date.now()); });
  await say(alice.page, '@bob are you there?');
  await row.locator('.room-mentions').filter({ hasText: '@1' }).waitFor({ timeout: 10000 });
  if (!skip) assert.ok(listed[0] - refreshed < 3000, `the list was fetched ${listed[0] - refreshed} ms after the timed refresh`);
  await row.locator('.room-unread').filter({ hasText: /^3/ }).waitFor();
  assert.match(await row.locator('.room-title').textContent(), /1 mention of you/);
  // Past 99 the count says "99+" (the server counts up to 100).
  await postMany(alice.page, beta, 'flood', 100);
  await row.locator('.room-unread').filter({ hasText: /^99\+/ }).waitFor({ timeout: 10000 });
  assert.match(await row.locator('.room-title').textContent(), /more than 99 unread messages/);
  // The room he is in has nothing new: no marks there.
  const alphaRow = profile.locator('.room-row', { has: profile.locator('.room-name', { hasText: /^Alpha$/ }) });
  assert.equal(await alphaRow.evaluate((el) => el.classList.contains('has-news')), false);
  await screenshot(profile, 'attention-profile-1280');
  await profile.setViewportSize({ width: 375, height: 760 });
  await profile.waitForTimeout(200);
  await row.scrollIntoViewIfNeeded();
  await screenshot(profile, 'attention-profile-375');
  // In Alpha, the header says there is a mention elsewhere.
  const note = bob.page.locator('#elsewhere');
  await note.filter({ hasText: '1 mention elsewhere' }).waitFor({ timeout: 10000 });
  assert.equal(await note.getAttribute('href'), '/mentions');
  await screenshot(bob.page, 'attention-room-elsewhere-1280');
  await bob.page.setViewportSize({ width: 375, height: 760 });
  await screenshot(bob.page, 'attention-room-elsewhere-375');
  await bob.page.setViewportSize({ width: 1280, height: 800 });
  // The Mentions page lists it and leads into Beta at that message.
  await profile.goto('/mentions');
  const item = profile.locator('.mention-item').first();
  await item.waitFor();
  assert.match(await item.textContent(), /Beta.*alice.*@bob are you there\?/s);
  assert.equal(await item.locator('.mention-me').textContent(), '@bob');
  assert.match(await item.locator('a').getAttribute('href'), new RegExp(`^/rooms/${beta}#m-\\d+$`));
  await screenshot(profile, 'attention-mentions-375');
  // Following it opens Beta at that message (around=: it is 100 messages
  // back), shown highlighted. Bob moves rooms, so his Alpha tab is told so.
  bob.expect({ status: 409, path: new RegExp(`^/api/(rooms/${alpha}/(messages|events|read|typing)|me/events)`) });
  await item.locator('a').click();
  await profile.waitForURL(new RegExp(`/rooms/${beta}#m-\\d+$`));
  const shown = profile.locator('#messages .message.is-highlighted');
  await shown.waitFor();
  assert.equal(await shown.locator('.message-text').textContent(), '@bob are you there?');
  assert.equal(await profile.evaluate(() => document.activeElement.classList.contains('message')), true);
  await bob.page.getByText(/another room in another tab/).waitFor({ timeout: 8000 });
  await profile.close();
  assert.ok(alpha > beta);
  clean(alice, bob, bella);
});

// Records every Notification the page makes (the real constructor still
// runs) and every permission request, before any script of the page.
const RECORD_NOTIFICATIONS = () => {
  window.__notes = [];
  window.__asked = 0;
  const Real = window.Notification;
  if (typeof Real !== 'function') return;
  class Recorded extends Real {
    constructor(title, options = {}) {
      super(title, options);
      window.__notes.push({ title, body: options.body });
    }
  }
  Recorded.requestPermission = (...args) => {
    window.__asked += 1;
    return Real.requestPermission(...args);
  };
  window.Notification = Recorded;
};

test('nothing asks for notifications on load; after "Notify me", a mention in a hidden tab notifies', async () => {
  // Carol has not allowed anything: loading the room asks nothing.
  const carol = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  await carol.context.addInitScript(RECORD_NOTIFICATIONS);
  await signUp(carol.page, 'carol');
  const room = await createRoom(carol.page, 'Quiet');
  await carol.page.waitForTimeout(500);
  assert.equal(await carol.page.evaluate(() => window.__asked), 0);
  assert.equal(await carol.page.evaluate(() => Notification.permission), 'default');
  await carol.page.getByRole('button', { name: 'Notify me' }).waitFor();
  await carol.context.close();

  // Bob allowed notifications in his browser; he turns them on with the button.
  await bob.context.grantPermissions(['notifications']);
  await bob.context.addInitScript(RECORD_NOTIFICATIONS);
  await enter(alice, room);
  await enter(bob, room);
  await bob.page.getByRole('button', { name: 'Notify me' }).click();
  await bob.page.getByRole('checkbox', { name: 'Mentions and direct messages' }).waitFor();
  assert.equal(await bob.page.getByRole('checkbox', { name: 'Mentions and direct messages' }).isChecked(), true);
  await screenshot(bob.page, 'attention-notify-1280');
  await bob.page.keyboard.press('Escape');
  assert.equal(await bob.page.locator('#notify-label').textContent(), 'Notifications on');
  // While he looks, nothing pops up.
  await say(alice.page, '@bob while you look');
  await waitForMessage(bob.page, '@bob while you look');
  await setHidden(bob, true);
  await say(alice.page, 'just chatting');
  await say(alice.page, '@bob now you are away');
  await bob.page.waitForFunction(() => window.__notes.length > 0, null, { timeout: 8000 });
  const notes = await bob.page.evaluate(() => window.__notes);
  assert.equal(notes.length, 1, JSON.stringify(notes));
  assert.match(notes[0].title, /^alice mentioned you in .*Quiet/);
  assert.equal(notes[0].body, '@bob now you are away');
  // The tab says so too, and the screen reader heard it politely.
  // (@…: someone called him; the count includes his mention waiting in Beta.)
  await bob.page.waitForFunction(() => /^\(@\d+\) /.test(document.title));
  assert.match(await bob.page.locator('link[rel="icon"]').getAttribute('href'), /^data:image\/svg\+xml,/);
  assert.match(await bob.page.locator('#announcer').textContent(), /alice mentioned you: @bob now you are away/);
  await setHidden(bob, false);
  assert.equal(await bob.page.locator('link[rel="icon"]').getAttribute('href'), '/favicon.svg');
  assert.doesNotMatch(await bob.page.title(), /^\(/);
  // "Every message in this room": then a plain message notifies too.
  await bob.page.locator('#notify-open').click();
  await bob.page.getByRole('checkbox', { name: 'Every message in this room' }).check();
  await bob.page.keyboard.press('Escape');
  await setHidden(bob, true);
  await say(alice.page, 'nothing special');
  await bob.page.waitForFunction(() => window.__notes.length > 1, null, { timeout: 8000 });
  const plain = (await bob.page.evaluate(() => window.__notes))[1];
  assert.match(plain.title, /^alice in .*Quiet/);
  assert.equal(plain.body, 'nothing special');
  await setHidden(bob, false);
  clean(alice, bob, bella);
});

test('the "New messages" divider sits at the old mark, scrolled into view', async () => {
  const room = await (async () => { await alice.page.goto('/rooms'); return createRoom(alice.page, 'Long read'); })();
  await postMany(alice.page, room, 'old', 3);
  await enter(bob, room);
  await waitForMessage(bob.page, 'old 3');
  await say(alice.page, 'seen by bob');
  // Bob reads it (at the bottom, tab visible): his page reports the mark.
  const read = bob.page.waitForRequest((r) => r.url().endsWith(`/api/rooms/${room}/read`) && r.method() === 'POST');
  await waitForMessage(bob.page, 'seen by bob');
  const body = JSON.parse((await read).postData());
  assert.ok(Number.isSafeInteger(body.id) && body.id > 0);
  await bob.page.getByRole('button', { name: 'Leave room' }).click();
  await bob.page.waitForURL('**/rooms');
  await postMany(alice.page, room, 'new', 40);
  await enter(bob, room);
  const divider = bob.page.getByRole('separator', { name: 'New messages' });
  await divider.waitFor();
  // Right between what he read and what he did not.
  const around = await divider.evaluate((el) => [
    el.previousElementSibling.querySelector('.message-text').textContent,
    el.nextElementSibling.querySelector('.message-text').textContent,
  ]);
  assert.deepEqual(around, ['seen by bob', 'new 1']);
  // 40 messages do not fit: the log was scrolled to the divider, not the end.
  const place = await bob.page.evaluate(() => {
    const view = document.getElementById('log-scroller').getBoundingClientRect();
    const box = document.getElementById('new-divider').getBoundingClientRect();
    const s = document.getElementById('log-scroller');
    return { inView: box.top >= view.top && box.bottom <= view.bottom, atEnd: s.scrollHeight - s.scrollTop - s.clientHeight < 50 };
  });
  assert.deepEqual(place, { inView: true, atEnd: false });
  await screenshot(bob.page, 'attention-divider-1280');
  // Scrolling to the end reads the rest: the mark moves to the newest.
  const newest = Number(await bob.page.locator('#messages .message').last().getAttribute('data-id'));
  const later = bob.page.waitForRequest((r) => r.url().endsWith(`/api/rooms/${room}/read`)
    && JSON.parse(r.postData()).id === newest);
  await bob.page.locator('#log-scroller').evaluate((s) => { s.scrollTop = s.scrollHeight; });
  await later;
  // Back again later: everything is read, no divider.
  await bob.page.getByRole('button', { name: 'Leave room' }).click();
  await bob.page.waitForURL('**/rooms');
  await enter(bob, room);
  await waitForMessage(bob.page, 'new 40');
  assert.equal(await bob.page.locator('#new-divider').count(), 0);
  clean(alice, bob, bella);
});

test('"alice is typing…" appears while she types and goes (push on)', { skip }, async () => {
  const room = await (async () => { await alice.page.goto('/rooms'); return createRoom(alice.page, 'Chatter'); })();
  await enter(alice, room);
  await enter(bob, room);
  for (const who of [alice, bob]) {
    await who.page.waitForFunction(() => document.body.dataset.push === 'open', null, { timeout: 10000 });
  }
  const line = bob.page.locator('#typing');
  const sent = [];
  alice.page.on('request', (r) => { if (r.url().endsWith(`/api/rooms/${room}/typing`)) sent.push(Date.now()); });
  await box(alice).click();
  await box(alice).pressSequentially('hello there, this takes a while', { delay: 60 });
  await line.filter({ hasText: 'alice is typing…' }).waitFor({ timeout: 3000 });
  // Not a live region: a screen reader is not interrupted by it.
  assert.equal(await line.evaluate((el) => el.closest('[aria-live], [role="log"], [role="status"]')), null);
  assert.doesNotMatch(await bob.page.locator('#announcer').textContent(), /typing/);
  // Alice's own page does not show her.
  assert.equal(await alice.page.locator('#typing').isVisible(), false);
  // About 2 s of typing: one request (they are at least 3 s apart).
  assert.ok(sent.length >= 1);
  for (let i = 1; i < sent.length; i += 1) assert.ok(sent[i] - sent[i - 1] >= 3000);
  await bob.page.setViewportSize({ width: 375, height: 760 });
  await screenshot(bob.page, 'attention-typing-375');
  await bob.page.setViewportSize({ width: 1280, height: 800 });
  // She stops: it goes by itself within 5 s of her last event.
  await line.waitFor({ state: 'hidden', timeout: 7000 });
  // She types again and sends: it goes at once with her message.
  await box(alice).pressSequentially(' and more');
  await line.filter({ hasText: 'alice is typing…' }).waitFor({ timeout: 3000 });
  await box(alice).press('Enter');
  await waitForMessage(bob.page, 'hello there, this takes a while and more');
  assert.equal(await line.isVisible(), false);
  clean(alice, bob, bella);
});
