// Changing the password from the profile, as a person does it: a wrong
// current password or a short new one is said in words and changes nothing;
// the right one changes it, keeps this browser logged in, logs out the same
// user's other browser, and only the new password opens the account after.
// Runs against the real nginx + workers (tests/lib/stack.mjs).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  FRONT_DOOR, PASSWORD, clean, logIn, person, screenshot, shutDown, signUp, stackAndBrowser,
} from './helpers.mjs';

const NEW_PASSWORD = 'a brand new passphrase';

let stack;
let browser;

before(async () => {
  ({ stack, browser } = await stackAndBrowser());
});

after(() => shutDown(browser, stack));

async function change(page, current, fresh) {
  await page.getByLabel('Current password').fill(current);
  await page.getByLabel('New password').fill(fresh);
  await page.locator('#change-password').click();
}

test('the password is changed from the profile and other browsers are logged out', async () => {
  const here = await person(browser, stack.base, {
    expect: [FRONT_DOOR, { status: 403, path: /^\/api\/password$/ }], // the wrong current password
  });
  const elsewhere = await person(browser, stack.base, {
    expect: [
      FRONT_DOOR,
      { status: 401, path: /^\/api\/rooms$/ }, // the profile, after being logged out
      { status: 401, path: /^\/api\/login$/ }, // the old password
    ],
  });
  await signUp(here.page, 'dana');
  await logIn(elsewhere.page, 'dana', PASSWORD);
  await elsewhere.page.waitForURL('**/rooms');

  const { page } = here;
  await page.locator('summary', { hasText: 'Change password' }).click();
  const error = page.locator('#password-error');

  await change(page, 'not my password', NEW_PASSWORD);
  await error.filter({ hasText: 'not your current password' }).waitFor();
  await change(page, PASSWORD, 'short');
  await error.filter({ hasText: 'at least 8 characters' }).waitFor();
  // Neither changed anything: the other browser is still in.
  await elsewhere.page.reload();
  await elsewhere.page.locator('#me-name').filter({ hasText: 'dana' }).waitFor();
  assert.equal(new URL(elsewhere.page.url()).pathname, '/rooms');

  await change(page, PASSWORD, NEW_PASSWORD);
  await page.locator('#password-done').filter({ hasText: 'Password changed' }).waitFor();
  assert.equal(await page.getByLabel('Current password').inputValue(), '', 'the form is emptied');
  await screenshot(page, 'password-changed-1280');

  // This browser stays logged in; the other one is sent to the front door.
  await page.reload();
  await page.locator('#me-name').filter({ hasText: 'dana' }).waitFor();
  await elsewhere.page.reload();
  await elsewhere.page.waitForURL((url) => url.pathname === '/');

  await logIn(elsewhere.page, 'dana', PASSWORD);
  await elsewhere.page.locator('#form-error').filter({ hasText: 'Wrong username or password' }).waitFor();
  await logIn(elsewhere.page, 'dana', NEW_PASSWORD);
  await elsewhere.page.waitForURL('**/rooms');

  clean(here, elsewhere);
  await here.context.close();
  await elsewhere.context.close();
});
