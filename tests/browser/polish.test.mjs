// Gaps a newcomer found walking through the pages (polish, 2026-11-30) that
// no other browser test's area holds: an unknown page address shows a page
// with the way back (htdocs/404.html), not nginx's bare "404 Not Found".
// Real stack, chromium, screenshots at 1280 and 375 px in artifacts/.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FRONT_DOOR, clean, launch, person, screenshot } from './helpers.mjs';
import { startStack } from '../lib/stack.mjs';

let stack;
let browser;

before(async () => {
  stack = await startStack();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('an unknown page address shows a page that says so and leads back to the rooms', async () => {
  for (const width of [1280, 375]) {
    const who = await person(browser, stack.base, {
      width,
      height: 700,
      expect: [{ status: 404, path: /^\/no-such-page$/ }, { status: 401, path: /^\/api\/rooms$/ }, FRONT_DOOR],
    });
    const reply = await who.page.goto('/no-such-page');
    assert.equal(reply.status(), 404);
    await who.page.getByRole('heading', { name: 'There is no page here' }).waitFor();
    // Styled by the site's own CSS under the strict CSP (no script needed).
    const brand = await who.page.locator('.brand-text').evaluate((e) => getComputedStyle(e).fontWeight);
    assert.ok(Number(brand) >= 600, `the page's CSS applies: ${brand}`);
    assert.ok(await who.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'fits the screen');
    await screenshot(who.page, `not-found-${width}`);
    await who.page.getByRole('link', { name: 'Back to rooms' }).click();
    // Signed out, /rooms sends on to the front door: either way, out of the 404.
    await who.page.waitForURL((url) => url.pathname === '/rooms' || url.pathname === '/');
    await who.context.close();
    clean(who);
  }
});
