// The profile and the room page for rooms and people (issue 13, the pages),
// as two people see them: "Message" beside an author in the message list
// opens the direct conversation and the two talk there; the profile groups
// rooms (direct conversations, private rooms, open rooms) with the kind in
// an icon and in words; Hide takes a direct conversation off one person's
// list until a new message comes; the owner's rename and new topic reach
// the other person's header without a reload; the export links download
// the history; an invite link brings someone in and, removed, they are told
// and sent back. Screenshots at 1280 and 375 px go to artifacts/. Real
// stack, chromium.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  clean, createRoom, membersDialog as dialog, openMembers, person, roomRow as row, say, screenshot, shutDown, twoPeople,
  waitForMessage,
} from './helpers.mjs';

let stack;
let browser;
let alice;
let bob;
let lobbyId;
let directId;

before(async () => {
  ({ stack, browser, people: [alice, bob] } = await twoPeople(['alice', 'bob']));
});

after(() => shutDown(browser, stack));

const directRow = (who) => who.page.locator('.room-row[data-kind="direct"]');

test('two people start a direct conversation from a name in the message list, and talk', async () => {
  lobbyId = await createRoom(alice.page, 'Lobby');
  await bob.page.goto(`/rooms/${lobbyId}`);
  await bob.page.locator('#room-name').filter({ hasText: 'Lobby' }).waitFor();
  await say(bob.page, 'anyone around?');
  await waitForMessage(alice.page, 'anyone around?', 5000);
  // Alice's own message has no Message action; bob's has one.
  await say(alice.page, 'me');
  const mine = alice.page.locator('.message').filter({ hasText: 'me' }).last();
  assert.equal(await mine.getByRole('button', { name: /^Message / }).count(), 0);
  const his = alice.page.locator('.message').filter({ hasText: 'anyone around?' });
  await his.hover();
  await screenshot(alice.page, 'message-action-1280');
  await his.getByRole('button', { name: 'Message bob' }).click();
  await alice.page.waitForURL((url) => /^\/rooms\/\d+$/.test(url.pathname) && url.pathname !== `/rooms/${lobbyId}`);
  directId = Number(new URL(alice.page.url()).pathname.split('/').pop());
  await alice.page.locator('#room-name').filter({ hasText: 'bob' }).waitFor();
  await say(alice.page, 'hi bob, just us here');
  // Inside a direct conversation the action is not offered (it is that already).
  const own = alice.page.locator('.message').filter({ hasText: 'hi bob, just us here' });
  assert.equal(await own.getByRole('button', { name: /^Message / }).count(), 0);

  await bob.page.goto('/rooms');
  const convo = bob.page.locator('.room-row[data-kind="direct"]');
  await convo.waitFor();
  assert.equal(await convo.getAttribute('data-kind'), 'direct');
  await convo.getByRole('link', { name: /Join/ }).click();
  await bob.page.waitForURL(`**/rooms/${directId}`);
  await waitForMessage(bob.page, 'hi bob, just us here', 5000);
  assert.equal(await bob.page.locator('#room-name').textContent(), 'alice');
  // In a direct conversation the other's messages offer no Message either.
  assert.equal(await bob.page.locator('.message').filter({ hasText: 'hi bob' }).getByRole('button', { name: /^Message / }).count(), 0);
  await say(bob.page, 'hi alice!');
  await waitForMessage(alice.page, 'hi alice!', 5000);
  clean(alice, bob);
});

test('the profile groups rooms by kind, with icon and words; Hide takes a conversation off one list until a new message', async () => {
  // A private room of alice's beside the open Lobby and the direct room.
  await alice.page.goto('/rooms');
  await alice.page.getByLabel('Room name').fill('Back office');
  await alice.page.getByLabel(/^Topic/).fill('Paperwork and plans');
  await alice.page.getByRole('radio', { name: /^Private/ }).check();
  await alice.page.getByRole('button', { name: 'Create room' }).click();
  await alice.page.locator('#room-name').filter({ hasText: 'Back office' }).waitFor();
  await alice.page.goto('/rooms');
  await row(alice, 'Back office').waitFor();
  const groups = await alice.page.locator('.room-group:not([hidden])').evaluateAll((sections) => sections.map((s) => ({
    heading: s.querySelector('h3').textContent,
    rows: [...s.querySelectorAll('.room-title')].map((t) => t.textContent),
    icons: [...s.querySelectorAll('.room-icon')].map((t) => t.textContent),
  })));
  assert.deepEqual(groups, [
    { heading: '@Direct conversations', rows: ['Direct conversation with bob'], icons: ['@'] },
    { heading: '🔒Private rooms', rows: ['Private room: Back office'], icons: ['🔒'] },
    { heading: '#Open rooms', rows: ['Open room: Lobby'], icons: ['#'] },
  ]);
  // Headings are named for screen readers by their words (the icon is hidden).
  await alice.page.getByRole('heading', { name: 'Direct conversations', exact: true }).waitFor();
  await screenshot(alice.page, 'profile-groups-1280', { fullPage: true });
  await alice.page.setViewportSize({ width: 375, height: 812 });
  await screenshot(alice.page, 'profile-groups-375', { fullPage: true });
  await alice.page.setViewportSize({ width: 1280, height: 800 });

  // Hide: only the direct row has it; the row goes, the group with it.
  assert.equal(await row(alice, 'Lobby').getByRole('button', { name: /^Hide/ }).count(), 0);
  await directRow(alice).getByRole('button', { name: 'Hide conversation with bob' }).click();
  await alice.page.locator('#flash').filter({ hasText: /Hid your conversation with .*bob.*comes back when a new message arrives/ }).waitFor();
  await directRow(alice).waitFor({ state: 'detached' });
  assert.equal(await alice.page.locator('#group-direct').isHidden(), true);
  // Bob still has it, and a new message from him brings it back to alice.
  await bob.page.goto('/rooms');
  await directRow(bob).waitFor();
  await bob.page.goto(`/rooms/${directId}`);
  await bob.page.locator('#room-name').filter({ hasText: 'alice' }).waitFor();
  await say(bob.page, 'still there?');
  await alice.page.reload();
  await directRow(alice).waitFor();
  clean(alice, bob);
});

test('the owner\'s rename and new topic reach the other person\'s header within a poll; the export links download the history', async () => {
  await alice.page.goto(`/rooms/${lobbyId}`);
  await bob.page.goto(`/rooms/${lobbyId}`);
  await bob.page.locator('#room-name').filter({ hasText: 'Lobby' }).waitFor();
  await alice.page.locator('#room-name').filter({ hasText: 'Lobby' }).waitFor();
  await openMembers(alice);
  await dialog(alice).getByRole('textbox', { name: 'Name', exact: true }).fill('Front hall');
  await dialog(alice).getByRole('textbox', { name: 'Topic', exact: true }).fill('Coffee at ten');
  await dialog(alice).getByRole('button', { name: 'Save' }).click();
  await dialog(alice).getByText('Saved.').waitFor();
  await dialog(alice).getByRole('button', { name: 'Close' }).click();
  // Bob's page was not reloaded: the change came with a poll (or its push ring).
  await bob.page.locator('#room-name').filter({ hasText: 'Front hall' }).waitFor({ timeout: 6000 });
  await bob.page.locator('#room-topic').filter({ hasText: 'Coffee at ten' }).waitFor({ timeout: 6000 });
  assert.match(await bob.page.title(), /Front hall/);

  // The export links, as bob (a member inside) follows them.
  await openMembers(bob);
  const jsonl = dialog(bob).getByRole('link', { name: /JSON Lines/ });
  const html = dialog(bob).getByRole('link', { name: 'HTML page' });
  assert.equal(await jsonl.getAttribute('href'), `/api/rooms/${lobbyId}/export?format=jsonl`);
  assert.equal(await html.getAttribute('href'), `/api/rooms/${lobbyId}/export?format=html`);
  await screenshot(bob.page, 'members-export-1280');
  const [download] = await Promise.all([bob.page.waitForEvent('download'), jsonl.click()]);
  assert.equal(download.suggestedFilename(), `room-${lobbyId}.jsonl`);
  const text = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString('utf8'));
  const lines = text.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((m) => m.text), ['anyone around?', 'me']);
  await dialog(bob).getByRole('button', { name: 'Close' }).click();
  await screenshot(bob.page, 'room-topic-1280');
  clean(alice, bob);
});

test('the owner sets how long messages are kept in the Members dialog; everyone inside sees it in the header', async () => {
  await alice.page.goto(`/rooms/${lobbyId}`);
  await bob.page.goto(`/rooms/${lobbyId}`);
  await alice.page.locator('#room-name').filter({ hasText: 'Front hall' }).waitFor();
  await openMembers(alice);
  const keep = dialog(alice).getByRole('combobox', { name: 'Keep messages' });
  assert.equal(await keep.inputValue(), 'forever');
  await keep.selectOption('days');
  const days = dialog(alice).getByRole('spinbutton', { name: /Days to keep messages/ });
  // Out of range: said on the page, nothing sent.
  await days.fill('0');
  await dialog(alice).getByRole('button', { name: 'Save' }).click();
  await dialog(alice).getByText('Keep messages for 1 to 3650 days.').waitFor();
  await days.fill('30');
  await dialog(alice).getByRole('button', { name: 'Save' }).click();
  await dialog(alice).getByText('Saved.').waitFor();
  await screenshot(alice.page, 'members-retention-1280');
  const room = await alice.page.evaluate(async (id) => (await (await fetch(`/api/rooms/${id}`)).json()).room, lobbyId);
  assert.equal(room.retention_days, 30);
  await dialog(alice).getByRole('button', { name: 'Close' }).click();
  await alice.page.locator('#room-meta').filter({ hasText: 'messages kept 30 days' }).waitFor();
  // Bob was not reloaded: the change came with a poll (or its push ring).
  await bob.page.locator('#room-meta').filter({ hasText: 'messages kept 30 days' }).waitFor({ timeout: 6000 });
  const phone = await person(browser, stack.base, { width: 375, height: 812 });
  await phone.context.addCookies(await alice.context.cookies());
  await phone.page.goto(`/rooms/${lobbyId}`);
  await phone.page.locator('#room-meta').filter({ hasText: 'messages kept 30 days' }).waitFor();
  await screenshot(phone.page, 'room-retention-375');
  // On a phone the line is cut with an ellipsis: the retention is not what goes.
  const fits = await phone.page.locator('#room-meta').evaluate((meta) => {
    const text = meta.firstChild;
    const end = text.data.indexOf('messages kept 30 days') + 'messages kept 30 days'.length;
    const range = document.createRange();
    range.setStart(text, end - 1);
    range.setEnd(text, end);
    return range.getBoundingClientRect().right <= meta.getBoundingClientRect().right;
  });
  assert.ok(fits, 'the retention is in view on a phone');
  await phone.page.getByRole('button', { name: 'Members' }).click();
  await phone.page.getByRole('combobox', { name: 'Keep messages' }).scrollIntoViewIfNeeded();
  await screenshot(phone.page, 'members-retention-375');
  await phone.context.close();
  // Back to forever: the request carries null, the header line goes.
  await openMembers(alice);
  assert.equal(await days.inputValue(), '30');
  await keep.selectOption('forever');
  await dialog(alice).getByRole('button', { name: 'Save' }).click();
  await dialog(alice).getByText('Saved.').waitFor();
  await dialog(alice).getByRole('button', { name: 'Close' }).click();
  await bob.page.locator('#room-meta').filter({ hasNotText: 'messages kept' }).waitFor({ timeout: 6000 });
  clean(phone, alice, bob);
});

test('screenshots: the room page at 375 px, with the topic and a message\'s actions', async () => {
  const phone = await person(browser, stack.base, { width: 375, height: 812 });
  await phone.context.addCookies(await bob.context.cookies());
  await phone.page.goto(`/rooms/${lobbyId}`);
  await phone.page.locator('#room-topic').filter({ hasText: 'Coffee at ten' }).waitFor();
  await phone.page.locator('.message:not(.is-own)').first().click();
  await screenshot(phone.page, 'room-topic-375');
  await phone.page.goto('/rooms');
  await row(phone, 'Front hall').waitFor();
  await screenshot(phone.page, 'profile-375', { fullPage: true });
  await phone.context.close();
  clean(phone, alice, bob);
});

test('an invite link brings someone into a private room; removed by the owner, their screen says so and sends them back', async () => {
  await alice.page.goto('/rooms');
  await alice.page.getByLabel('Room name').fill('Studio');
  await alice.page.getByRole('radio', { name: /^Private/ }).check();
  await alice.page.getByRole('button', { name: 'Create room' }).click();
  await alice.page.locator('#room-name').filter({ hasText: 'Studio' }).waitFor();
  const studioId = Number(new URL(alice.page.url()).pathname.split('/').pop());
  await openMembers(alice);
  await dialog(alice).getByRole('button', { name: 'Make an invite link' }).click();
  await alice.page.waitForFunction(() => document.getElementById('invite-url').value !== '');
  const link = await dialog(alice).getByLabel(/^Invite link/).inputValue();
  await dialog(alice).getByRole('button', { name: 'Close' }).click();

  await bob.page.goto(new URL(link).pathname);
  await bob.page.getByRole('button', { name: 'Join the room' }).click();
  await bob.page.waitForURL(`**/rooms/${studioId}`);
  await bob.page.locator('#room-name').filter({ hasText: 'Studio' }).waitFor();
  await say(bob.page, 'thanks for the link');
  await waitForMessage(alice.page, 'thanks for the link', 5000);

  bob.expect({ status: 404, path: new RegExp(`^/api/rooms/${studioId}/(messages|events|members)`) });
  await openMembers(alice);
  await dialog(alice).getByRole('button', { name: 'Remove bob' }).click();
  await alice.page.getByRole('dialog').filter({ hasText: /Remove .*bob.* from this room/ }).getByRole('button', { name: 'Remove' }).click();
  await dialog(alice).getByText(/Removed .*bob/).waitFor();
  await bob.page.getByText(/You are no longer a member of .*Studio.*: its owner removed you/).waitFor({ timeout: 8000 });
  await screenshot(bob.page, 'removed-after-invite-1280');
  await bob.page.waitForURL('**/rooms', { timeout: 8000 });
  await bob.page.locator('#flash').filter({ hasText: /You are no longer a member of/ }).waitFor();
  await bob.page.locator('#rooms-loading').waitFor({ state: 'hidden' });
  assert.equal(await row(bob, 'Studio').count(), 0);
  clean(alice, bob);
});
