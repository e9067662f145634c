// When things go wrong, as two people would meet it against the real
// stack: the server's workers go away and come back (the page says it is
// reconnecting, keeps the typed message and the cursor, and recovers by
// itself, sending the message exactly once); a second tab joins another
// room (the first tab says so and goes back to the profile); the owner
// deletes the room while someone is inside (they are told and returned to
// the profile). Rooms are polled fast (?poll=500) except where the
// default is the point.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  clean, createRoom, say, screenshot, texts, twoPeople, waitForMessage, watch,
} from './helpers.mjs';

let stack;
let browser;
let carol;
let dave;
let sideId;

before(async () => {
  ({ stack, browser, people: [carol, dave] } = await twoPeople(['carol', 'dave']));
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

function noErrors() {
  clean(carol, dave);
}

const banner = (page) => page.locator('#connection');

test('the page recovers after the workers are stopped and started again', async () => {
  const roomId = await createRoom(carol.page, 'Ops');
  await carol.page.goto(`/rooms/${roomId}?poll=500`);
  await dave.page.goto(`/rooms/${roomId}?poll=500`);
  await dave.page.locator('#room-name').filter({ hasText: 'Ops' }).waitFor();
  await say(carol.page, 'before the outage');
  await waitForMessage(dave.page, 'before the outage');

  // nginx answers for the missing workers (502/503) until they are back;
  // read marks, typing and the person's stream (issue 14) meet it too.
  const down = {
    status: /^50[23]$/,
    path: new RegExp(`^/api/(rooms/${roomId}/(messages|events|read|typing)|me/events)`),
  };
  carol.expect(down);
  dave.expect(down);
  await stack.stopWorkers();
  try {
    const box = dave.page.getByLabel('Message', { exact: true });
    await box.fill('sent during the outage');
    await box.press('Enter');
    await banner(dave.page).filter({ hasText: 'Reconnecting' }).waitFor({ timeout: 5000 });
    await banner(carol.page).filter({ hasText: 'Reconnecting' }).waitFor({ timeout: 5000 });
    await dave.page.waitForTimeout(1500);
    await screenshot(dave.page, 'room-reconnecting-1280');
    assert.equal(await box.inputValue(), 'sent during the outage', 'the unsent message stays in the box');
  } finally {
    await stack.startWorkers();
  }

  // Back by itself: the message goes out once, the banner goes, polling resumes.
  await waitForMessage(carol.page, 'sent during the outage', 15000);
  await dave.page.waitForFunction(() => document.getElementById('message').value === '', null, { timeout: 15000 });
  await banner(carol.page).waitFor({ state: 'hidden', timeout: 15000 });
  await banner(dave.page).waitFor({ state: 'hidden', timeout: 15000 });
  await say(carol.page, 'welcome back');
  await waitForMessage(dave.page, 'welcome back', 3000);
  for (const page of [carol.page, dave.page]) {
    const all = await texts(page);
    assert.deepEqual(all, ['before the outage', 'sent during the outage', 'welcome back']);
  }
  noErrors();
});

test('a browser that drops off the network says so and catches up when it is back', async () => {
  dave.expect({ status: 0, path: /^\/api\/rooms\/\d+\/(messages|events)/ });
  await dave.context.setOffline(true);
  try {
    await banner(dave.page).filter({ hasText: 'Reconnecting' }).waitFor({ timeout: 3000 });
    await say(carol.page, 'said while dave was offline');
  } finally {
    await dave.context.setOffline(false);
  }
  await waitForMessage(dave.page, 'said while dave was offline', 10000);
  await banner(dave.page).waitFor({ state: 'hidden', timeout: 10000 });
  assert.deepEqual((await texts(dave.page)).slice(-2), ['welcome back', 'said while dave was offline']);
  noErrors();
});

test('one room at a time: joining another room in a second tab sends the first tab back', async () => {
  await carol.page.goto('/rooms');
  sideId = await createRoom(carol.page, 'Side room');
  // The first tab's next poll is refused: dave is in the side room now.
  dave.expect({ status: 409, path: /^\/api\/rooms\/\d+\/messages\?after=\d+(&attention=[^&]*)?$/ });
  const tab2 = await watch(dave, await dave.context.newPage());
  await tab2.goto(`/rooms/${sideId}?poll=500`);
  await tab2.locator('#room-name').filter({ hasText: 'Side room' }).waitFor();
  await dave.page.locator('#notice').filter({ hasText: 'another room in another tab' }).waitFor({ timeout: 3000 });
  await dave.page.waitForURL('**/rooms', { timeout: 6000 });
  await dave.page.locator('#flash').filter({ hasText: 'another tab' }).waitFor();
  // The second tab is the one that chats now.
  await say(tab2, 'hello from the second tab');
  await waitForMessage(carol.page, 'hello from the second tab', 3000);
  await tab2.close();
  noErrors();
});

test('deleting the room tells the one still inside and returns them to the profile', async () => {
  await dave.page.goto('/rooms');
  // Dave is still in Side room (his second tab joined it): the list offers Open.
  await dave.page.locator('.room-row').filter({ hasText: 'Side room' })
    .getByRole('link', { name: 'Open Side room' }).click();
  await dave.page.locator('#room-name').filter({ hasText: 'Side room' }).waitFor();

  await carol.page.goto('/rooms');
  const row = carol.page.locator('.room-row').filter({ hasText: 'Side room' });
  await row.getByRole('button', { name: 'Delete Side room' }).click();
  // An in-page confirmation, not window.confirm; Cancel keeps the room.
  await row.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await row.count(), 1);
  await row.getByRole('button', { name: 'Delete Side room' }).click();
  await screenshot(carol.page, 'profile-confirm-delete-1280');
  dave.expect({ status: 410, path: new RegExp(`^/api/rooms/${sideId}/messages`) });
  await row.getByRole('button', { name: 'Delete room' }).click();
  await row.waitFor({ state: 'detached' });

  await dave.page.locator('#notice').filter({ hasText: 'deleted by its owner' }).waitFor({ timeout: 4000 });
  await screenshot(dave.page, 'room-deleted-1280');
  assert.equal(await dave.page.getByLabel('Message', { exact: true }).isDisabled(), true);
  await dave.page.waitForURL('**/rooms', { timeout: 6000 });
  await dave.page.locator('#flash').filter({ hasText: 'deleted by its owner' }).waitFor();
  assert.equal(await dave.page.locator('.room-row').filter({ hasText: 'Side room' }).count(), 0);
  noErrors();
});
