// Search from the pages (issue 15): "/" focuses the header's search box,
// Enter shows the results with the matched words marked (<mark> elements,
// never HTML from the text), and a result opened with the keyboard joins
// its room and shows that message, more than two pages up, highlighted and
// focused. Real stack, chromium.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FRONT_DOOR, clean, createRoom, launch, person, postMany, say, signUp } from './helpers.mjs';
import { startStack } from '../lib/stack.mjs';

let stack;
let browser;
let dana;

before(async () => {
  stack = await startStack({ env: { CHAT_POST_BURST: '1000' } });
  browser = await launch();
  dana = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  await signUp(dana.page, 'dana');
  clean(dana);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('"/" then Enter searches; Enter on the focused first result opens it in its room, highlighted', async () => {
  const { page } = dana;
  const archive = await createRoom(page, 'Archive');
  await say(page, 'The <b>walrus</b> protocol is ready');
  await postMany(page, archive, 'filler', 120); // the target is now 3 pages up
  await page.goto('/rooms');
  await createRoom(page, 'Lobby'); // in another room now
  await page.goto('/rooms');
  await page.locator('#search-q').waitFor();
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search-q');
  await page.keyboard.type('WALRUS pro');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/search\?q=WALRUS\+pro$/);
  const result = page.locator('.search-result a');
  await result.first().waitFor();
  assert.equal(await result.count(), 1);
  const marks = await result.locator('mark').allTextContents();
  assert.deepEqual(marks, ['walrus', 'pro']);
  assert.equal(await result.locator('b').count(), 0, 'the text is text, not HTML');
  assert.match(await result.locator('.search-result-text').textContent(), /^The <b>walrus<\/b> protocol is ready$/);
  assert.match(await result.textContent(), /#Archive/);
  const id = Number(await result.getAttribute('data-message-id'));
  await page.waitForFunction(() => document.activeElement?.dataset?.messageId);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.messageId), String(id));
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/rooms/${archive}#m-${id}$`));
  const message = page.locator(`#messages .message[data-id="${id}"]`);
  await message.waitFor({ timeout: 10000 });
  await page.waitForFunction((mid) => document.activeElement?.dataset?.id === String(mid), id, { timeout: 10000 });
  assert.match(await message.getAttribute('class'), /is-highlighted/);
  await page.locator('#room-name').filter({ hasText: 'Archive' }).waitFor();
  clean(dana);
});
