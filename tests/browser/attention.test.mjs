// Attention in the browser (issue 14), against the real stack: "@" in the
// message box completes the names of the room's people with the keyboard
// alone (ARIA combobox: arrows, Tab/Enter, Escape), and the mention is
// highlighted for the person named, more strongly than for others.
// Screenshots at 1280 and 375 px go to artifacts/.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  FRONT_DOOR, clean, createRoom, person, screenshot, signUp, twoPeople, waitForMessage,
} from './helpers.mjs';

let stack;
let browser;
let alice;
let bob;
let bella;

before(async () => {
  ({ stack, browser, people: [alice, bob] } = await twoPeople(['alice', 'bob']));
  bella = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  await signUp(bella.page, 'bella');
  clean(bella);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function enter(who, id, query = '') {
  await who.page.goto(`/rooms/${id}${query}`);
  await who.page.locator('#room-name').filter({ hasNotText: 'Joining' }).waitFor();
}

const box = (who) => who.page.getByLabel('Message', { exact: true });
const options = (who) => who.page.getByRole('listbox', { name: 'People to mention' }).getByRole('option');

test('"@" completes names by keyboard: arrows, Tab and Enter pick, Escape closes', async () => {
  const roomId = await createRoom(alice.page, 'Corner');
  await enter(bob, roomId);
  await enter(bella, roomId);
  const message = box(alice);
  await message.click();
  await message.pressSequentially('hi @b');
  await options(alice).first().waitFor();
  assert.deepEqual(await options(alice).allTextContents(), ['@bella', '@bob']);
  assert.equal(await message.getAttribute('role'), 'combobox');
  assert.equal(await message.getAttribute('aria-expanded'), 'true');
  // The first is highlighted; ↓ moves to the second (named by aria-activedescendant).
  const active = async () => alice.page.evaluate(() => {
    const id = document.getElementById('message').getAttribute('aria-activedescendant');
    return id ? document.getElementById(id).textContent : null;
  });
  assert.equal(await active(), '@bella');
  await message.press('ArrowDown');
  assert.equal(await active(), '@bob');
  assert.equal(await options(alice).nth(1).getAttribute('aria-selected'), 'true');
  await message.press('ArrowDown');
  assert.equal(await active(), '@bella', '↓ wraps around');
  await message.press('ArrowUp');
  await message.press('Tab');
  assert.equal(await message.inputValue(), 'hi @bob ');
  assert.equal(await message.getAttribute('aria-expanded'), 'false');
  await assert.rejects(options(alice).first().waitFor({ timeout: 300 }), 'the list is closed');
  // Focus stayed in the box (Tab was the pick, not a move).
  assert.equal(await alice.page.evaluate(() => document.activeElement.id), 'message');
  // Escape closes the list and leaves the text alone; typing on opens it again.
  await message.pressSequentially('and @Be');
  await options(alice).first().waitFor();
  assert.deepEqual(await options(alice).allTextContents(), ['@bella']);
  await screenshot(alice.page, 'attention-complete-1280');
  await message.press('Escape');
  assert.equal(await message.getAttribute('aria-expanded'), 'false');
  assert.equal(await message.inputValue(), 'hi @bob and @Be');
  await message.pressSequentially('l');
  await options(alice).first().waitFor();
  // Enter picks while the list is open (nothing is sent), then sends.
  await message.press('Enter');
  assert.equal(await message.inputValue(), 'hi @bob and @bella ');
  await message.press('Enter');
  await alice.page.waitForFunction(() => document.getElementById('message').value === '');
  await waitForMessage(bob.page, 'hi @bob and @bella');
  // Nobody else's name is offered for "@x", and the reader's own never.
  await message.pressSequentially('@al');
  await alice.page.waitForTimeout(300);
  assert.equal(await options(alice).count(), 0);
  await message.fill('');
  clean(alice, bob, bella);
});
