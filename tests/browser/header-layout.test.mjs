// The header of the signed-in pages with the search box in it, as a
// newcomer on a phone and on a desktop sees it: on 375 px an admin's
// profile keeps Admin, Log out and the box on the screen (no sideways
// scroll), the room's header keeps its two buttons on the first line, the
// name under them and the box under that; the box looks like the page's
// other fields, not the browser's bare one; on a desktop it sits before the
// room's buttons, not between Members and Leave room. A direct
// conversation's header says "Direct conversation", not "Created by" whoever
// opened it. The Members dialog of a private room's owner shows its
// members whole (the list was squeezed to one row, to none on a phone).
// Screenshots at 375 px
// go to artifacts/. Real stack, chromium.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  FRONT_DOOR, clean, createRoom, makeAdmin, person, screenshot, shutDown, signUp, stackAndBrowser,
} from './helpers.mjs';

let stack;
let browser;

before(async () => {
  ({ stack, browser } = await stackAndBrowser());
});

after(() => shutDown(browser, stack));

/** The element's box in the viewport, by CSS selector. */
const box = (page, selector) => page.locator(selector).evaluate((el) => {
  const r = el.getBoundingClientRect();
  return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
});

test('an admin on a phone: every header control on the screen, the search box styled like the other fields', async () => {
  const boss = await person(browser, stack.base, { width: 375, height: 740, expect: [FRONT_DOOR] });
  await signUp(boss.page, 'headerboss');
  makeAdmin(stack, 'headerboss');
  const { page } = boss;
  await page.reload();
  await page.locator('#admin-link').waitFor();
  await page.locator('#search-q').waitFor();
  await screenshot(page, 'header-profile-admin-375');

  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.equal(widths[0], widths[1], 'the profile scrolls sideways on a phone');
  for (const selector of ['#logout', '#admin-link', '#search-q', '#me-avatar']) {
    const r = await box(page, selector);
    assert.ok(r.left >= 0 && r.right <= 375, `${selector} is off the screen: ${JSON.stringify(r)}`);
  }
  // The box under the buttons, not on top of them.
  const search = await box(page, '#search-q');
  const logout = await box(page, '#logout');
  assert.ok(search.top >= logout.bottom, `the search box overlaps the buttons: ${JSON.stringify({ search, logout })}`);

  // The same look as the profile's own text fields (base.css), not the bare
  // native box (square corners, 2 px inset border).
  const look = (selector) => page.locator(selector).evaluate((el) => {
    const s = getComputedStyle(el);
    return { radius: s.borderTopLeftRadius, border: `${s.borderTopWidth} ${s.borderTopStyle} ${s.borderTopColor}`, background: s.backgroundColor };
  });
  assert.deepEqual(await look('#search-q'), await look('#room-name'));
  clean(boss);
});

test('the room header on a phone: buttons on the first line, the name, then the search box; on a desktop the box comes before Members', async () => {
  const carl = await person(browser, stack.base, { width: 375, height: 740, expect: [FRONT_DOOR] });
  await signUp(carl.page, 'headercarl');
  const { page } = carl;
  await createRoom(page, 'Header check');
  await page.locator('#search-q').waitFor();
  await screenshot(page, 'header-room-375');

  const members = await box(page, '#members-open');
  const leave = await box(page, '#leave');
  const name = await box(page, '#room-name');
  const search = await box(page, '#search-q');
  assert.equal(members.top, leave.top, 'Members and Leave room on one line');
  assert.ok(name.top >= leave.bottom, 'the room name under the buttons');
  assert.ok(search.top >= name.bottom, 'the search box under the room name');
  assert.ok(search.right <= 375 && leave.right <= 375, 'nothing off the screen');

  await page.setViewportSize({ width: 1280, height: 800 });
  const wide = { search: await box(page, '#search-q'), members: await box(page, '#members-open') };
  assert.ok(wide.search.right <= wide.members.left, `the box sits before Members: ${JSON.stringify(wide)}`);
  clean(carl);
});

test('a direct conversation\'s header says so and names no creator', async () => {
  const dana = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  await signUp(dana.page, 'headerdana');
  const eli = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  await signUp(eli.page, 'headereli');
  const { page } = dana;
  const id = await page.evaluate(async () => {
    const r = await fetch('/api/direct', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'headereli' }),
    });
    return (await r.json()).room.id;
  });
  await page.goto(`/rooms/${id}`);
  await page.locator('#room-name', { hasText: 'headereli' }).waitFor();
  const meta = page.locator('#room-meta');
  await meta.filter({ hasText: 'Direct conversation' }).waitFor();
  assert.doesNotMatch(await meta.textContent(), /Created by/);
  clean(dana, eli);
});

test('the Members dialog of a private room\'s owner shows its members whole, at 1280 and at 375 px', async () => {
  const fay = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  await signUp(fay.page, 'headerfay');
  const gus = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  await signUp(gus.page, 'headergus');
  const { page } = fay;
  await page.getByLabel('Room name').fill('Members check');
  await page.locator('input[name=kind][value=private]').check();
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.waitForURL(/\/rooms\/\d+$/);
  await page.getByRole('button', { name: 'Members' }).click();
  await page.locator('#member-add-name').fill('headergus');
  await page.locator('#member-add-button').click();
  const rows = page.locator('#member-list .member');
  await rows.nth(1).waitFor();
  await page.getByRole('button', { name: 'Make an invite link' }).click();
  await page.locator('#invite-url').waitFor();
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
    await screenshot(page, `members-owner-private-${width}`);
    const list = await page.locator('#member-list').evaluate((el) => ({ client: el.clientHeight, scroll: el.scrollHeight }));
    assert.ok(list.client >= list.scroll, `at ${width} px the two members are squeezed into ${list.client} of ${list.scroll} px`);
  }
  clean(fay, gus);
});
