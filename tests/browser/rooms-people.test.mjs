// Bans, direct messages and invite links, as people see them (issue 13,
// the pages): the owner of an open room bans someone who is inside and
// they are told and sent back (and told again if they try to come back);
// "Message" beside a name in the Members dialog opens the direct room,
// named after the other person; the owner of a private room makes an invite
// link, and the other person opening it joins and lands inside. Real
// stack, chromium.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  clean, createRoom, membersDialog as dialog, openMembers, screenshot, shutDown, twoPeople,
} from './helpers.mjs';

let stack;
let browser;
let alice;
let bob;

before(async () => {
  ({ stack, browser, people: [alice, bob] } = await twoPeople(['alice', 'bob']));
});

after(() => shutDown(browser, stack));

test('the owner of an open room bans someone inside: they are told, sent back, and refused at the door', async () => {
  const roomId = await createRoom(alice.page, 'Town square');
  bob.expect({ status: /40[34]|409/, path: new RegExp(`^/api/rooms/${roomId}/(messages|events|join|members)`) });
  await bob.page.goto(`/rooms/${roomId}`);
  await bob.page.locator('#room-name').filter({ hasText: 'Town square' }).waitFor();
  await openMembers(alice);
  const members = dialog(alice);
  await members.locator('.member').filter({ hasText: 'bob' }).waitFor();
  await members.getByRole('button', { name: 'Ban bob' }).click();
  await alice.page.getByRole('dialog').filter({ hasText: /Ban .*bob.* from this room/ }).getByRole('button', { name: 'Ban' }).click();
  await members.getByText(/Banned .*bob/).waitFor();
  await members.getByRole('button', { name: 'Close' }).click();
  // The poll is refused (409 not_in_room, as when put out any other way).
  await bob.page.getByText(/You are no longer in this room|its owner put you out/).first().waitFor({ timeout: 8000 });
  await bob.page.waitForURL('**/rooms', { timeout: 8000 });
  await bob.page.goto(`/rooms/${roomId}`);
  await bob.page.getByText(/put you out of it, and you may not come back/).waitFor();
  await bob.page.waitForURL('**/rooms', { timeout: 8000 });
  clean(alice, bob);
});

test('"Message" beside a name opens the direct room, named after the other person', async () => {
  const roomId = await (async () => { await alice.page.goto('/rooms'); return createRoom(alice.page, 'Porch'); })();
  await bob.page.goto(`/rooms/${roomId}`);
  await bob.page.locator('#room-name').filter({ hasText: 'Porch' }).waitFor();
  await openMembers(bob);
  await dialog(bob).getByRole('button', { name: 'Message alice' }).click();
  await bob.page.waitForURL((url) => /^\/rooms\/\d+$/.test(url.pathname) && url.pathname !== `/rooms/${roomId}`);
  await bob.page.locator('#room-name').filter({ hasText: 'alice' }).waitFor();
  await bob.page.goto('/rooms');
  const row = bob.page.locator('.room-row[data-kind="direct"]');
  await row.waitFor();
  assert.equal(await row.locator('.room-title').textContent(), 'Direct conversation with alice');
  // Nobody owns a direct room or may delete it.
  assert.equal(await row.locator('.room-owner').textContent(), 'Direct conversation');
  assert.equal(await row.getByRole('button', { name: /^Delete/ }).isVisible(), false);
  await screenshot(bob.page, 'direct-list-1280');
  clean(alice, bob);
});

test('the owner of a private room makes an invite link; the other person opens it and lands inside', async () => {
  await alice.page.goto('/rooms');
  await alice.page.getByLabel('Room name').fill('Invite only');
  await alice.page.getByRole('radio', { name: /^Private/ }).check();
  await alice.page.getByRole('button', { name: 'Create room' }).click();
  await alice.page.locator('#room-name').filter({ hasText: 'Invite only' }).waitFor();
  await openMembers(alice);
  await dialog(alice).getByRole('button', { name: 'Make an invite link' }).click();
  await alice.page.waitForFunction(() => document.getElementById('invite-url').value !== '');
  const link = await dialog(alice).getByLabel(/^Invite link/).inputValue();
  assert.match(link, /\/invite\/[A-Za-z0-9_-]+$/);
  await screenshot(alice.page, 'invite-made-1280');

  bob.expect({ status: 404, path: /^\/api\/invites\/accept$/ });
  await bob.page.goto('/invite/nosuchcode');
  await bob.page.getByRole('button', { name: 'Join the room' }).click();
  await bob.page.getByText(/This invite link does not work/).waitFor();
  // Nothing left to decline: the way out says where it goes, and has the focus.
  const back = bob.page.getByRole('link', { name: 'Back to rooms' });
  assert.equal(await back.isVisible(), true);
  assert.equal(await bob.page.getByRole('link', { name: 'Not now' }).count(), 0);
  assert.equal(await back.evaluate((a) => a === document.activeElement), true);
  await screenshot(bob.page, 'invite-bad-1280');
  await bob.page.setViewportSize({ width: 375, height: 700 });
  await screenshot(bob.page, 'invite-bad-375');
  await bob.page.setViewportSize({ width: 1280, height: 800 });
  await bob.page.goto(new URL(link).pathname);
  await screenshot(bob.page, 'invite-page-1280');
  await bob.page.getByRole('button', { name: 'Join the room' }).click();
  await bob.page.locator('#room-name').filter({ hasText: 'Invite only' }).waitFor();
  clean(alice, bob);
});
