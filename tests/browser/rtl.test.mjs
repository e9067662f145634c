// Right-to-left text in a left-to-right page (issue 11): an Arabic room
// name and message read right to left, with the "!" of "مرحبا بالعالم!"
// drawn at their left end, while English beside them stays left to right.
// Messages, room names (room header, profile rows, delete confirmation) and
// the message box take their direction from their own text (dir="auto");
// the test reads the computed `direction` the browser lays them out with,
// and where the "!" lands on screen. Screenshots of the room and the
// profile at 1280 and 375 px go to tests/browser/artifacts/rtl-*.png.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  clean, createRoom, say, screenshot, twoPeople, waitForMessage,
} from './helpers.mjs';

const ARABIC = 'مرحبا بالعالم!';
const ENGLISH = 'Hello, world!';

let stack;
let browser;
let rania;
let sam;
let roomId;

before(async () => {
  ({ stack, browser, people: [rania, sam] } = await twoPeople(['rania', 'sam']));
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const direction = (locator) => locator.evaluate((el) => getComputedStyle(el).direction);

// Where the first and the last character of an element's text are drawn:
// in right-to-left text the last one ("!") is left of the first.
function ends(locator) {
  return locator.evaluate((el) => {
    // The first text inside (a message's text sits in a Markdown <p>).
    const node = document.createTreeWalker(el, NodeFilter.SHOW_TEXT).nextNode();
    const x = (start) => {
      const range = document.createRange();
      range.setStart(node, start);
      range.setEnd(node, start + 1);
      return range.getBoundingClientRect().x;
    };
    return { first: x(0), last: x(node.length - 1) };
  });
}

test('an Arabic room name and message read right to left; English stays left to right', async () => {
  roomId = await createRoom(rania.page, ARABIC);
  await sam.page.goto(`/rooms/${roomId}`);
  await sam.page.locator('#room-name').filter({ hasText: ARABIC }).waitFor();
  await say(rania.page, ARABIC);
  await say(rania.page, ENGLISH);
  await say(sam.page, 'مرحبا رانيا، كيف حالك؟ (I am learning Arabic.)');
  await waitForMessage(sam.page, ENGLISH);
  await waitForMessage(rania.page, 'I am learning');

  for (const page of [rania.page, sam.page]) {
    assert.equal(await direction(page.locator('#room-name')), 'rtl', 'room name in the header');
    assert.equal(await page.title(), `\u2068${ARABIC}\u2069 · Chatroom`, 'the name is isolated in the title');
    const arabic = page.locator('.message-text').filter({ hasText: ARABIC });
    const english = page.locator('.message-text').filter({ hasText: ENGLISH });
    assert.equal(await direction(arabic), 'rtl');
    assert.equal(await direction(english), 'ltr');
    // The first strong letter decides: Arabic first, then English in brackets.
    assert.equal(await direction(page.locator('.message-text').filter({ hasText: 'I am learning' })), 'rtl');
    const a = await ends(arabic);
    assert.ok(a.last < a.first, `"!" drawn left of "م" (${a.last} < ${a.first})`);
    const e = await ends(english);
    assert.ok(e.last > e.first, `"!" drawn right of "H" (${e.last} > ${e.first})`);
  }
  await rania.page.waitForTimeout(400); // let the arrival animation finish
  await screenshot(rania.page, 'rtl-room-1280');
  await sam.page.setViewportSize({ width: 375, height: 740 });
  await sam.page.waitForTimeout(200);
  assert.equal(await sam.page.locator('#log-scroller').evaluate((el) => el.scrollWidth - el.clientWidth), 0);
  await screenshot(sam.page, 'rtl-room-375');
  clean(rania, sam);
});

test('the message box takes its direction from what is typed', async () => {
  const box = sam.page.getByLabel('Message', { exact: true });
  await box.fill('');
  await box.pressSequentially('שלום');
  assert.equal(await direction(box), 'rtl');
  await box.fill('');
  await box.pressSequentially('shalom');
  assert.equal(await direction(box), 'ltr');
  await box.fill('');
  clean(rania, sam);
});

test('room names on the profile read in their own direction', async () => {
  const roomsPage = sam.page;
  await roomsPage.goto('/rooms');
  // "You are in …" names the room sam is in.
  const current = roomsPage.locator('#current-room-name');
  await current.filter({ hasText: ARABIC }).waitFor();
  assert.equal(await direction(current), 'rtl');
  await createRoom(roomsPage, 'Book club');
  await roomsPage.goto('/rooms');
  await current.filter({ hasText: 'Book club' }).waitFor();
  assert.equal(await direction(current), 'ltr');
  const arabicRow = roomsPage.locator('.room-row').filter({ hasText: ARABIC });
  const englishRow = roomsPage.locator('.room-row').filter({ hasText: 'Book club' });
  await arabicRow.waitFor();
  await englishRow.waitFor();
  assert.equal(await direction(arabicRow.locator('.room-name')), 'rtl');
  assert.equal(await direction(englishRow.locator('.room-name')), 'ltr');
  const name = await ends(arabicRow.locator('.room-name'));
  assert.ok(name.last < name.first, 'the "!" of the room name is at its left end');
  // The room name box, too.
  const input = roomsPage.getByLabel('Room name');
  await input.pressSequentially('غرفة');
  assert.equal(await direction(input), 'rtl');
  await input.fill('');
  await screenshot(roomsPage, 'rtl-profile-375');

  await rania.page.goto('/rooms');
  const own = rania.page.locator('.room-row').filter({ hasText: ARABIC });
  await own.getByRole('button', { name: `Delete ${ARABIC}` }).click();
  assert.equal(await direction(own.locator('.confirm-name')), 'rtl');
  await screenshot(rania.page, 'rtl-profile-1280');
  await own.getByRole('button', { name: 'Cancel' }).click();
  clean(rania, sam);
});
