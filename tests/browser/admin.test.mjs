// The admin page (/admin, issue 13), as an admin uses it: the profile shows
// the Admin link to admins only; the page lists accounts; Disable (reached
// and pressed with the keyboard) signs the person out at once, the row says
// Disabled and the button, still focused, becomes Enable; Enable lets them
// log in again. Someone who is not an admin is told the page is not theirs.
// Runs against the real nginx + workers (tests/lib/stack.mjs).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  FRONT_DOOR, PASSWORD, clean, makeAdmin, person, screenshot, shutDown, signUp, stackAndBrowser,
} from './helpers.mjs';

let stack;
let browser;

before(async () => {
  ({ stack, browser } = await stackAndBrowser());
});

after(() => shutDown(browser, stack));

test('an admin disables and enables an account from the admin page with the keyboard; others see no link and are refused', async () => {
  const boss = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  const vic = await person(browser, stack.base, {
    expect: [
      FRONT_DOOR,
      { status: 401, path: /^\/api\/(me|rooms)$/ }, // signed out by the disable
      { status: 403, path: /^\/api\/login$/ }, // account_disabled
      { status: 403, path: /^\/api\/admin\/users/ }, // not_admin
    ],
  });
  await signUp(boss.page, 'boss');
  await signUp(vic.page, 'vic');
  // A name as long as the newcomer's, which broke as "alice2136 / 1" at 375 px.
  const long = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  await signUp(long.page, 'alexandra21361');
  await long.context.close();
  makeAdmin(stack, 'boss');

  // Not an admin: no link on the profile, and the page says so.
  await vic.page.reload();
  await vic.page.locator('#me-name', { hasText: 'vic' }).waitFor();
  assert.equal(await vic.page.locator('#admin-link').isHidden(), true);
  await vic.page.goto('/admin');
  await vic.page.locator('#admin-error', { hasText: 'This page is for admins only.' }).waitFor();
  assert.equal(await vic.page.locator('#admin-users').isHidden(), true);
  // The refusal comes first, not a description of what admins can do here.
  assert.equal(await vic.page.getByText(/^Every account on this server/).isVisible(), false);
  await vic.page.goto('/rooms');

  // The admin: the link, then the list.
  const { page } = boss;
  await page.reload();
  const link = page.getByRole('link', { name: 'Admin' });
  await link.waitFor();
  await link.click();
  await page.waitForURL('**/admin');
  const row = page.locator('#users tr', { has: page.locator('.user-name', { hasText: /^vic$/ }) });
  await row.waitFor();
  assert.equal(await row.locator('.user-state').textContent(), 'Active');
  const own = page.locator('#users tr', { has: page.locator('.user-name', { hasText: /^boss \(you\)$/ }) });
  assert.equal(await own.locator('.user-admin').textContent(), 'Admin');
  assert.equal(await page.getByRole('button', { name: 'Disable boss' }).count(), 0, 'no Disable on one\'s own row');
  assert.equal(await own.getByText('You can’t disable your own account').isVisible(), true, 'the own row says why');
  assert.equal(await row.getByText('You can’t disable your own account').isVisible(), false);
  assert.equal(await page.getByText(/^Every account on this server/).isVisible(), true);
  await screenshot(page, 'admin-page');
  await page.setViewportSize({ width: 375, height: 700 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'the page fits 375 px');
  const box = await page.getByRole('button', { name: 'Disable vic' }).boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `the Disable button is in view: ${JSON.stringify(box)}`);
  assert.ok(await page.evaluate(() => [...document.querySelectorAll('.table-scroll')].every((e) => e.scrollWidth <= e.clientWidth)), 'no sideways scrolling in the table');
  // No name broken mid-word at 375 px (each name's text is on one line).
  const broken = await page.locator('#users .user-name').evaluateAll((cells) => cells.filter((cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell.firstChild);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
  }).map((cell) => cell.textContent));
  assert.deepEqual(broken, []);
  await screenshot(page, 'admin-page-375');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Keyboard only: Tab to "Disable vic", press Enter.
  const disable = page.getByRole('button', { name: 'Disable vic' });
  for (let i = 0; i < 30 && !(await disable.evaluate((b) => b === document.activeElement)); i += 1) {
    await page.keyboard.press('Tab');
  }
  assert.ok(await disable.evaluate((b) => b === document.activeElement), 'Tab reaches the Disable button');
  await page.keyboard.press('Enter');
  await page.locator('#admin-status', { hasText: 'vic is disabled and signed out everywhere.' }).waitFor();
  assert.equal(await row.locator('.user-state').textContent(), 'Disabled');
  const enable = page.getByRole('button', { name: 'Enable vic' });
  assert.ok(await enable.evaluate((b) => b === document.activeElement), 'the focus stays on the button, now Enable');

  // vic is out at once: the next request of their page sends them to the front door.
  await vic.page.reload();
  await vic.page.waitForURL((url) => url.pathname === '/');
  await vic.page.getByLabel('Username').fill('vic');
  await vic.page.getByLabel('Password').fill(PASSWORD);
  await vic.page.getByRole('button', { name: 'Log in' }).click();
  await vic.page.locator('#form-error', { hasText: 'This account has been disabled by an administrator.' }).waitFor();

  // Enable with the keyboard (Space on the focused button); vic logs in again.
  await page.keyboard.press('Space');
  await page.locator('#admin-status', { hasText: 'vic is enabled again.' }).waitFor();
  assert.equal(await row.locator('.user-state').textContent(), 'Active');
  await vic.page.getByRole('button', { name: 'Log in' }).click();
  await vic.page.waitForURL('**/rooms');
  clean(boss, vic);
});
