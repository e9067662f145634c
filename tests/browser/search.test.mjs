// Search from the pages (issue 15): "/" focuses the header's search box,
// Enter shows the results with the matched words marked (<mark> elements,
// never HTML from the text), and a result opened with the keyboard joins
// its room and shows that message, more than two pages up, highlighted and
// focused: the page starts from the messages around it (around=), the later
// ones load down by themselves as history, the earlier ones with Load
// older. Real stack, chromium.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  clean, createRoom, onePerson, person, postMany, say, screenshot, shutDown,
} from './helpers.mjs';

let stack;
let browser;
let dana;

before(async () => {
  ({ stack, browser, who: dana } = await onePerson('dana', { CHAT_POST_BURST: '1000' }));
});

after(() => shutDown(browser, stack));

test('"/" then Enter searches; Enter on the focused first result joins its room at the message (around=), highlighted, history loading up and down', async () => {
  const { page } = dana;
  const archive = await createRoom(page, 'Archive');
  await postMany(page, archive, 'early', 60);
  await say(page, 'The <b>walrus</b> protocol is ready');
  await postMany(page, archive, 'filler', 120); // the target is now more than two pages up
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
  const asked = [];
  const listen = (request) => { if (request.url().includes('/messages?')) asked.push(new URL(request.url()).search); };
  page.on('request', listen);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/rooms/${archive}#m-${id}$`));
  const message = page.locator(`#messages .message[data-id="${id}"]`);
  await message.waitFor({ timeout: 10000 });
  await page.waitForFunction((mid) => document.activeElement?.dataset?.id === String(mid), id, { timeout: 10000 });
  assert.match(await message.getAttribute('class'), /is-highlighted/);
  await page.locator('#room-name').filter({ hasText: 'Archive' }).waitFor(); // joined: Lobby left
  // The page started from the messages around the result, not the latest.
  assert.ok(asked.some((q) => q === `?around=${id}&limit=50`), `around= asked: ${asked.join(' ')}`);
  assert.ok(!asked.some((q) => q.startsWith('?before=')), `no older page was needed: ${asked.join(' ')}`);
  // Down: the 120 later messages arrive by themselves, as history (nothing
  // marked new), and the view stays on the result.
  const texts = () => page.locator('#messages .message .message-text').allTextContents();
  await page.locator('#messages .message .message-text', { hasText: /^\s*filler 120\s*$/ }).waitFor({ timeout: 15000 });
  const below = (await texts()).filter((t) => /^filler \d+$/.test(t.trim()));
  assert.equal(below.length, 120, 'every later message loaded');
  assert.equal(await page.locator('#messages .message.is-new').count(), 0, 'history is not new');
  assert.equal(await page.locator('#new-marker').isHidden(), true);
  assert.equal(await page.evaluate((mid) => document.activeElement?.dataset?.id, id), String(id));
  // Up: 24 earlier messages shown, Load older brings the other 36, then the start.
  assert.equal((await texts()).filter((t) => /^early \d+$/.test(t.trim())).length, 24);
  await page.locator('#load-older').click();
  await page.locator('#log-start').waitFor({ state: 'visible', timeout: 10000 });
  assert.equal((await texts()).filter((t) => /^early \d+$/.test(t.trim())).length, 60);
  page.off('request', listen);
  clean(dana);
});

// The newcomer's findings (polish): a result showed raw Markdown
// ("**the lobby**"), there was no way to search one room, and the dark
// page kept the browser's glaring yellow <mark>.
test('results read without Markdown syntax, marks on the right words; "Search in" narrows to one room; dark <mark> readable', async () => {
  const { page } = dana;
  await page.goto('/rooms');
  const kitchen = await createRoom(page, 'Kitchen');
  await say(page, 'Welcome to **the lobby** 🎉, try `x*y*z` and [the map](https://example.org/map) — lobby');
  await page.goto('/rooms');
  const garden = await createRoom(page, 'Garden');
  await say(page, 'the *garden* lobby is open');
  await page.goto('/search?q=lobby');
  const results = page.locator('.search-result');
  await results.nth(1).waitFor();
  assert.equal(await results.count(), 2);
  const kitchenText = results.filter({ hasText: '#Kitchen' }).locator('.search-result-text');
  assert.equal(await kitchenText.textContent(),
    'Welcome to the lobby 🎉, try x*y*z and the map — lobby');
  assert.deepEqual(await kitchenText.locator('mark').allTextContents(), ['lobby', 'lobby']);
  assert.equal(await results.filter({ hasText: '#Garden' }).locator('.search-result-text').textContent(),
    'the garden lobby is open');
  await screenshot(page, 'search-results-1280');

  // Search in: the rooms dana can read; choosing one sends room=N.
  const select = page.getByRole('combobox', { name: 'Search in' });
  const labels = await select.locator('option').allTextContents();
  assert.ok(labels.includes('#Kitchen') && labels.includes('#Garden') && labels.includes('All my rooms'), labels.join(', '));
  await select.selectOption({ label: '#Garden' });
  await page.waitForURL(new RegExp(`/search\\?q=lobby&room=${garden}$`));
  await results.first().waitFor();
  assert.equal(await results.count(), 1);
  assert.match(await results.first().textContent(), /#Garden/);
  assert.equal(await select.inputValue(), String(garden));
  await select.selectOption({ label: 'All my rooms' });
  await page.waitForURL(/\/search\?q=lobby$/);
  await results.nth(1).waitFor();
  assert.ok(kitchen > 0);

  // Dark: the mark is not the browser's pure yellow, and its text is
  // readable on it (WCAG 1.4.3: 4.5:1).
  const dark = await person(browser, stack.base, { width: 375, height: 812, colorScheme: 'dark' });
  await dark.context.addCookies(await dana.context.cookies());
  await dark.page.goto('/search?q=lobby');
  const mark = dark.page.locator('.search-result-text mark').first();
  await mark.waitFor();
  const [fg, bg] = await mark.evaluate((m) => [getComputedStyle(m).color, getComputedStyle(m).backgroundColor]);
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/\d+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  assert.ok((hi + 0.05) / (lo + 0.05) >= 4.5, `contrast ${fg} on ${bg}`);
  assert.ok(lum(bg) < 0.3, `a dark page's mark is not a glare: ${bg}`);
  await screenshot(dark.page, 'search-dark-375');
  await dark.page.emulateMedia({ colorScheme: 'light' });
  await screenshot(dark.page, 'search-results-375');
  await dark.context.close();
  clean(dana, dark);
});
