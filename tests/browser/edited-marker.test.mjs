// "(edited)" is seen on every edited message, not only on the first of a
// group. A message that follows one of the same author within a few
// minutes is drawn "continued": its author and time are hidden (they are
// the group's), and "(edited)" sat in that same hidden header, clipped to
// one pixel, so the usual edit (↑ on the last of several lines) left no
// visible mark on anyone's screen, while Tab still stopped on the invisible
// marker. Found by the attack session (newcomer walk-through).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  FRONT_DOOR, clean, createRoom, person, say, screenshot, signUp, launch, waitForMessage,
} from './helpers.mjs';
import { startStack } from '../lib/stack.mjs';

let stack;
let browser;
let ann;

before(async () => {
  stack = await startStack({ env: { CHAT_PUSH: '0' } });
  browser = await launch();
  ann = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  await signUp(ann.page, 'ann');
  await createRoom(ann.page, 'Edits');
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const message = (page, text) => page.locator('#messages .message')
  .filter({ has: page.locator('.message-text', { hasText: text }) });

test('"(edited)" is visible on a continued message, and its author and time stay hidden', async () => {
  const page = ann.page;
  await say(page, 'first line');
  await say(page, 'secnod line');
  await waitForMessage(page, 'secnod line');
  const second = message(page, 'secnod line');
  assert.equal(await second.evaluate((el) => el.classList.contains('is-continued')), true, 'grouped');
  const box = page.getByLabel('Message', { exact: true });
  await box.press('ArrowUp');
  await box.fill('second line');
  await box.press('Enter');
  await waitForMessage(page, 'second line');
  const edited = message(page, 'second line').locator('.message-edited');
  await edited.waitFor({ state: 'attached' });
  assert.equal(await edited.isHidden(), false);
  const box2 = await edited.boundingBox();
  assert.ok(box2 && box2.width > 20 && box2.height > 8, `"(edited)" is drawn, not clipped: ${JSON.stringify(box2)}`);
  // It belongs to its own message: right under its bubble, not above it
  // where it read as part of the previous message (under its reactions).
  const bubble = await message(page, 'second line').locator('.message-bubble').boundingBox();
  assert.ok(box2.y >= bubble.y + bubble.height - 3 && box2.y - (bubble.y + bubble.height) < 8,
    `"(edited)" right under its bubble: ${JSON.stringify({ edited: box2, bubble })}`);
  // What the group already says is not said again.
  for (const part of ['.message-author', '.message-time']) {
    const b = await message(page, 'second line').locator(part).boundingBox();
    assert.ok(!b || (b.width <= 1 && b.height <= 1), `${part} stays hidden on a continued message`);
  }
  // The first of the group, not edited, shows no marker.
  assert.equal(await message(page, 'first line').locator('.message-edited').isHidden(), true);
  await screenshot(page, 'edited-continued');
  await page.setViewportSize({ width: 375, height: 700 });
  await screenshot(page, 'edited-continued-375');
  await page.setViewportSize({ width: 1280, height: 800 });
  clean(ann);
});
