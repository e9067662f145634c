// The front door, as a newcomer uses it: `/` explains mistakes in plain
// words (short password, bad name, name taken, wrong password), creating
// an account lands on the profile, a logged-in visitor skips the form,
// logging out really ends the session, and too many tries are named as
// such. Runs against the real nginx + workers (tests/lib/stack.mjs).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startStack } from '../lib/stack.mjs';
import {
  FRONT_DOOR, PASSWORD, clean, launch, person, screenshot, signUp,
} from './helpers.mjs';

let stack;
let browser;

before(async () => {
  // A tight login allowance (12 at once, then 1 every 6 s) so the last
  // test can run into it; the earlier ones stay well inside.
  stack = await startStack({ env: { CHAT_AUTH_RATE: '10r/m', CHAT_AUTH_BURST: '12' } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const errorBox = (page) => page.locator('#form-error');

async function attempt(page, button, username, password) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: button }).click();
}

test('a newcomer is told plainly what is wrong, then signs up and lands on the profile', async () => {
  const ann = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  const { page } = ann;
  await page.goto('/');
  await assert.doesNotReject(page.getByLabel('Username').waitFor());
  await screenshot(page, 'login-1280');
  await page.setViewportSize({ width: 375, height: 740 });
  await screenshot(page, 'login-375');
  await page.setViewportSize({ width: 1280, height: 800 });

  await attempt(page, 'Create account', 'ann', 'short');
  await errorBox(page).filter({ hasText: 'too short' }).waitFor();

  await attempt(page, 'Create account', 'a b', PASSWORD);
  await errorBox(page).filter({ hasText: 'letters, digits' }).waitFor();

  await attempt(page, 'Create account', 'ann', PASSWORD);
  await page.waitForURL('**/rooms');
  await page.locator('#me-name').filter({ hasText: 'ann' }).waitFor();
  await page.getByText('No rooms exist yet').waitFor();

  // A visitor who is logged in skips the form.
  await page.goto('/');
  await page.waitForURL('**/rooms');
  clean(ann);
  await ann.context.close();
});

test('log out ends the session; log in again; names are taken regardless of case', async () => {
  const ben = await person(browser, stack.base, {
    expect: [
      FRONT_DOOR,
      { status: 401, path: /^\/api\/rooms$/ }, // the profile, opened after logging out
      { status: 401, path: /^\/api\/login$/ }, // the wrong password
      { status: 409, path: /^\/api\/register$/ }, // BEN is ben
    ],
  });
  const { page } = ben;
  await signUp(page, 'ben');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await page.goto('/rooms');
  await page.waitForURL((url) => url.pathname === '/');

  await attempt(page, 'Log in', 'ben', 'not the password');
  await errorBox(page).filter({ hasText: 'Wrong username or password' }).waitFor();

  await attempt(page, 'Create account', 'BEN', PASSWORD);
  await errorBox(page).filter({ hasText: 'already taken' }).waitFor();

  await attempt(page, 'Log in', 'ben', PASSWORD);
  await page.waitForURL('**/rooms');
  await page.locator('#me-name').filter({ hasText: 'ben' }).waitFor();
  clean(ben);
  await ben.context.close();
});

test('keyboard alone: Tab and Enter log in, and the focused control shows a focus ring', async () => {
  const kim = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  const { page } = kim;
  await page.goto('/');
  await page.getByLabel('Username').waitFor();
  const ring = () => page.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    return { id: document.activeElement.id, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  });
  assert.equal((await ring()).id, 'username', 'the username box has focus on arrival');
  await page.keyboard.type('ben');
  await page.keyboard.press('Tab');
  const onPassword = await ring();
  assert.equal(onPassword.id, 'password');
  assert.notEqual(onPassword.outline, 'none');
  assert.ok(onPassword.width >= 2, `outline ${onPassword.width}px`);
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Tab');
  const onButton = await ring();
  assert.equal(onButton.id, 'login');
  assert.notEqual(onButton.outline, 'none');
  await page.keyboard.press('Enter');
  await page.waitForURL('**/rooms');
  clean(kim);
  await kim.context.close();
});

test('too many login tries are reported as such', async () => {
  const eve = await person(browser, stack.base, {
    expect: [FRONT_DOOR, { status: /^(401|429)$/, path: /^\/api\/login$/ }],
  });
  const { page } = eve;
  await page.goto('/');
  // Use up the per-address allowance quickly, as a password-guessing script would.
  const statuses = await page.evaluate(async () => {
    const tries = Array.from({ length: 60 }, () => fetch('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'nobody', password: 'wrong password' }),
    }).then((r) => r.status));
    return Promise.all(tries);
  });
  assert.ok(statuses.includes(429), `expected some 429s, got ${[...new Set(statuses)]}`);
  // The allowance refills slowly; a try or two more and the form must say so.
  const tooMany = errorBox(page).filter({ hasText: 'Too many tries' });
  for (let i = 0; i < 3 && !(await tooMany.isVisible()); i += 1) {
    await attempt(page, 'Log in', 'nobody', 'wrong password');
    await errorBox(page).waitFor();
    await page.waitForFunction(() => !document.getElementById('login').disabled);
  }
  await tooMany.waitFor({ timeout: 1000 });
  clean(eve);
  await eve.context.close();
});
