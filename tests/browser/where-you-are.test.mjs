// Where you are, said truthfully: the profile's room list marks the room you
// are in ("You are here") and offers *Open* for it, *Join* for the others;
// a room page whose membership ended in another tab without moving you to
// another room says you are no longer in it (not that you moved), and one
// you left by joining another room says you moved. Real stack, chromium.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clean, createRoom, onePerson, shutDown } from './helpers.mjs';

let stack;
let browser;
let dana;

before(async () => {
  ({ stack, browser, who: dana } = await onePerson('dana'));
});

after(() => shutDown(browser, stack));

// A write from the page's own session (its cookies), as another tab would send it.
async function fromAnotherTab(path) {
  const r = await dana.page.request.post(path, { headers: { origin: stack.base, 'content-type': 'application/json' }, data: {} });
  assert.equal(r.status(), path.endsWith('/leave') ? 204 : 200, await r.text());
}

test('the room you are in shows "You are here" and Open; every other room shows Join', async () => {
  const inside = await createRoom(dana.page, 'Kitchen');
  await dana.page.goto('/rooms');
  await createRoom(dana.page, 'Garden'); // now in Garden
  const garden = await dana.page.evaluate(() => Number(window.location.pathname.split('/').pop()));
  await dana.page.goto('/rooms');
  const row = (name) => dana.page.locator('.room-row').filter({ hasText: name });
  await row('Garden').getByText('You are here').waitFor();
  await row('Garden').getByRole('link', { name: 'Open Garden' }).waitFor();
  assert.equal(await row('Garden').getByRole('link', { name: /^Join/ }).count(), 0);
  await row('Kitchen').getByRole('link', { name: 'Join Kitchen' }).waitFor();
  assert.equal(await row('Kitchen').getByText('You are here').isVisible(), false);
  // Move into Kitchen in another tab: the list follows on its next refresh.
  await fromAnotherTab(`/api/rooms/${inside}/join`);
  await dana.page.reload();
  await row('Kitchen').getByRole('link', { name: 'Open Kitchen' }).waitFor();
  await row('Garden').getByRole('link', { name: 'Join Garden' }).waitFor();
  assert.ok(garden > inside);
  clean(dana);
});

test('a room page put out of its room without moving says "no longer in this room"; moved by a join elsewhere says it moved', async () => {
  // The room page's poll (or push check) is refused with 409 when put out.
  dana.expect({ status: 409, path: /^\/api\/rooms\/\d+\/(messages|events)/ });
  const row = dana.page.locator('.room-row').filter({ hasText: 'Kitchen' });
  await row.getByRole('link', { name: 'Open Kitchen' }).click();
  await dana.page.locator('#room-name').filter({ hasText: 'Kitchen' }).waitFor();
  const kitchen = Number(new URL(dana.page.url()).pathname.split('/').pop());
  await fromAnotherTab(`/api/rooms/${kitchen}/leave`);
  await dana.page.getByText('You are no longer in this room.').first().waitFor({ timeout: 8000 });
  assert.equal(await dana.page.getByText(/moved to another room/).count(), 0);
  await dana.page.waitForURL('**/rooms', { timeout: 8000 });
  const garden = dana.page.locator('.room-row').filter({ hasText: 'Garden' });
  await garden.getByRole('link', { name: 'Join Garden' }).click();
  await dana.page.locator('#room-name').filter({ hasText: 'Garden' }).waitFor();
  await fromAnotherTab(`/api/rooms/${kitchen}/join`);
  await dana.page.getByText(/You moved to another room in another tab/).first().waitFor({ timeout: 8000 });
  clean(dana);
});
