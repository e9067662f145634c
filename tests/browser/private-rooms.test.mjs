// Private rooms and the Members dialog, as two people see them (issue 13,
// the pages): a private room made from the profile's form shows a lock
// (with words for screen readers) and its topic; someone who is not a
// member does not see it in their list and gets a clear page at its
// address; the owner adds them by username, they see it and come in; the
// owner edits the topic; the owner removes them while they are inside and
// they are told so in words and sent back to the list; a member leaves for
// good. Screenshots at 1280 and 375 px go to artifacts/. Real stack, chromium.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  clean, membersDialog as dialog, openMembers, roomRow as row, screenshot, shutDown, twoPeople,
} from './helpers.mjs';

let stack;
let browser;
let alice;
let bob;
let roomId;

before(async () => {
  ({ stack, browser, people: [alice, bob] } = await twoPeople(['alice', 'bob']));
});

after(() => shutDown(browser, stack));

test('a private room made from the form shows its lock and topic; a non-member neither sees it nor gets in', async () => {
  const { page } = alice;
  await page.getByLabel('Room name').fill('Secret plans');
  await page.getByLabel(/^Topic/).fill('Only for the two of us');
  await page.getByRole('radio', { name: /^Private/ }).check();
  await screenshot(page, 'private-create-1280');
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.waitForURL(/\/rooms\/\d+$/);
  roomId = Number(new URL(page.url()).pathname.split('/').pop());
  await page.locator('#room-name').filter({ hasText: 'Secret plans' }).waitFor();
  await page.locator('#room-topic').filter({ hasText: 'Only for the two of us' }).waitFor();
  assert.match(await page.locator('#room-meta').textContent(), /Private/);

  await page.goto('/rooms');
  const mine = row(alice, 'Secret plans');
  await mine.waitFor();
  assert.equal(await mine.getAttribute('data-kind'), 'private');
  assert.equal(await mine.locator('.room-icon').textContent(), '🔒');
  // What a screen reader hears: the kind in words, then the name.
  assert.equal(await mine.locator('.room-title').textContent(), 'Private room: Secret plans');
  assert.equal(await mine.locator('.room-topic').textContent(), 'Only for the two of us');
  await screenshot(page, 'private-list-1280');

  // Bob: not in his list, and its address is a clear dead end.
  bob.expect({ status: 404, path: new RegExp(`^/api/rooms/${roomId}/join$`) });
  await bob.page.reload();
  await bob.page.locator('#rooms-loading').waitFor({ state: 'hidden' });
  assert.equal(await row(bob, 'Secret plans').count(), 0);
  await bob.page.goto(`/rooms/${roomId}`);
  await bob.page.getByText(/This room does not exist, or it is private and you are not one of its members/).waitFor();
  await bob.page.waitForURL('**/rooms', { timeout: 8000 });
  clean(alice, bob);
});

test('the owner adds a member by username; they then see the room and come in', async () => {
  alice.expect({ status: 404, path: new RegExp(`^/api/rooms/${roomId}/members$`) });
  const { page } = alice;
  await page.goto(`/rooms/${roomId}`);
  await page.locator('#room-name').filter({ hasText: 'Secret plans' }).waitFor();
  await openMembers(alice);
  const members = dialog(alice);
  await members.locator('.member').filter({ hasText: 'alice (you)' }).getByText('Owner').waitFor();
  await members.getByLabel('Add someone by username').fill('nobody-here');
  await members.getByRole('button', { name: 'Add', exact: true }).click();
  await members.getByText('Nobody is called').waitFor();
  await members.getByLabel('Add someone by username').fill('bob');
  await members.getByRole('button', { name: 'Add', exact: true }).click();
  await members.locator('.member').filter({ hasText: 'bob' }).waitFor();
  await members.getByText(/Added .*bob.*They can now see this room/).waitFor();

  await bob.page.goto('/rooms');
  await row(bob, 'Secret plans').getByRole('link', { name: 'Join Secret plans' }).click();
  await bob.page.locator('#room-name').filter({ hasText: 'Secret plans' }).waitFor();
  await bob.page.locator('#room-topic').filter({ hasText: 'Only for the two of us' }).waitFor();

  // Alice's dialog, opened again, shows bob here now.
  await members.getByRole('button', { name: 'Close' }).click();
  await openMembers(alice);
  await members.locator('.member').filter({ hasText: 'bob' }).getByText('Here now').waitFor();
  await screenshot(page, 'members-owner-1280');
  await page.keyboard.press('Escape'); // a modal dialog closes on Escape
  await members.waitFor({ state: 'hidden' });
  // Bob is no owner: no add form, no settings, no Remove; he may leave for good.
  await openMembers(bob);
  const his = dialog(bob);
  assert.equal(await his.getByLabel('Add someone by username').isVisible(), false);
  assert.equal(await his.getByRole('button', { name: /^Remove/ }).count(), 0);
  assert.equal(await his.getByText('Room settings').isVisible(), false);
  await his.getByRole('button', { name: 'Leave this room for good' }).waitFor();
  await his.getByRole('button', { name: 'Close' }).click();
  clean(alice, bob);
});

test('the owner edits the topic and the name; the header shows them at once, the member on their next visit', async () => {
  const { page } = alice;
  await openMembers(alice);
  const members = dialog(alice);
  await members.getByLabel('Topic').fill('Plans for the summer party');
  await members.getByRole('button', { name: 'Save' }).click();
  await members.getByText('Saved.').waitFor();
  await page.locator('#room-topic').filter({ hasText: 'Plans for the summer party' }).waitFor();
  await members.getByRole('button', { name: 'Close' }).click();
  const stored = await page.evaluate(async (id) => (await (await fetch(`/api/rooms/${id}`)).json()).room.topic, roomId);
  assert.equal(stored, 'Plans for the summer party');
  await bob.page.reload();
  await bob.page.locator('#room-topic').filter({ hasText: 'Plans for the summer party' }).waitFor();
  clean(alice, bob);
});

test('a member removed while inside is told in words and sent back to the list, where the room is gone', async () => {
  bob.expect({ status: 404, path: new RegExp(`^/api/rooms/${roomId}/(messages|events|members)`) });
  await openMembers(alice);
  const members = dialog(alice);
  await members.getByRole('button', { name: 'Remove bob' }).click();
  await alice.page.getByRole('dialog').filter({ hasText: /Remove .*bob.* from this room/ }).getByRole('button', { name: 'Remove' }).click();
  await members.getByText(/Removed .*bob/).waitFor();
  assert.equal(await members.locator('.member').filter({ hasText: 'bob' }).count(), 0);
  await members.getByRole('button', { name: 'Close' }).click();

  await bob.page.getByText(/You are no longer a member of .*Secret plans.*: its owner removed you/).waitFor({ timeout: 8000 });
  await screenshot(bob.page, 'removed-1280');
  await bob.page.waitForURL('**/rooms', { timeout: 8000 });
  await bob.page.locator('#flash').filter({ hasText: /You are no longer a member of/ }).waitFor();
  await bob.page.locator('#rooms-loading').waitFor({ state: 'hidden' });
  assert.equal(await row(bob, 'Secret plans').count(), 0);
  clean(alice, bob);
});

test('a member leaves a private room for good from the dialog', async () => {
  await openMembers(alice);
  const members = dialog(alice);
  await members.getByLabel('Add someone by username').fill('bob');
  await members.getByRole('button', { name: 'Add', exact: true }).click();
  await members.locator('.member').filter({ hasText: 'bob' }).waitFor();
  await members.getByRole('button', { name: 'Close' }).click();

  await bob.page.goto(`/rooms/${roomId}`);
  await bob.page.locator('#room-name').filter({ hasText: 'Secret plans' }).waitFor();
  await openMembers(bob);
  await dialog(bob).getByRole('button', { name: 'Leave this room for good' }).click();
  await bob.page.getByRole('dialog').filter({ hasText: /Leave this private room for good/ }).getByRole('button', { name: 'Leave for good' }).click();
  await bob.page.waitForURL('**/rooms', { timeout: 8000 });
  await bob.page.locator('#flash').filter({ hasText: /You left .*Secret plans.* for good/ }).waitFor();
  await bob.page.locator('#rooms-loading').waitFor({ state: 'hidden' });
  assert.equal(await row(bob, 'Secret plans').count(), 0);
  clean(alice, bob);
});

test('at 375 px the list, the header with its topic and the Members dialog fit the screen', async () => {
  const { page } = alice;
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto('/rooms');
  await row(alice, 'Secret plans').waitFor();
  await screenshot(page, 'private-list-375');
  await page.goto(`/rooms/${roomId}`);
  await page.locator('#room-topic').filter({ hasText: 'Plans for the summer party' }).waitFor();
  await screenshot(page, 'room-topic-375');
  await openMembers(alice);
  await screenshot(page, 'members-owner-375');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  const box = await dialog(alice).boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 375, `the dialog spans ${box.x}..${box.x + box.width}`);
  clean(alice, bob);
});
