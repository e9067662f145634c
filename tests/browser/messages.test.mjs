// Messages people can work with (issue 12, the pages): two people in
// Debian's chromium against the real stack. Edits, deletions and reactions
// reach the other screen through the change feed (polls every 2 s here,
// push off, so the poll alone must carry them; the last test turns push on
// and wants an edit across in under 500 ms). A reply's quote jumps to an
// original two pages up; the keys of the message box; Markdown renders,
// and what would be markup or a script: link stays inert. Ends with a
// 375 px screenshot (code block, quote, reactions) in artifacts/.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startStack } from '../lib/stack.mjs';
import {
  FRONT_DOOR, clean, createRoom, person, postMany, say, screenshot, signUp, twoPeople, waitForMessage,
} from './helpers.mjs';

const NCHAN = '/usr/lib/nginx/modules/ngx_nchan_module.so';

let stack;
let browser;
let alice;
let bob;
let roomId;

before(async () => {
  ({ stack, browser, people: [alice, bob] } = await twoPeople(['alice', 'bob'],
    { CHAT_PUSH: '0', CHAT_POST_BURST: '1000', CHAT_POST_RATE: '1000' }));
  roomId = await createRoom(alice.page, 'Workshop');
  await bob.page.goto(`/rooms/${roomId}`);
  await bob.page.locator('#room-name').filter({ hasText: 'Workshop' }).waitFor();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** The message (article) whose text contains `text`. */
function message(page, text) {
  return page.locator('#messages .message').filter({ has: page.locator('.message-text', { hasText: text }) });
}

/** One API call from the page's own session: {status, body}. */
function call(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const init = { method, headers: { 'Content-Type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(path, init);
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }, { method, path, body });
}

async function idOf(page, text) {
  return Number(await message(page, text).getAttribute('data-id'));
}

/** Clicks one of a message's actions (they show on hover). */
async function act(page, text, label) {
  const target = message(page, text);
  await target.hover();
  await target.getByRole('button', { name: new RegExp(`^${label}`) }).click();
}

test('an edit (↑ in the empty box) shows on the other screen within 3 s, marked (edited) with its time', async () => {
  await say(alice.page, 'teh first draft');
  await waitForMessage(bob.page, 'teh first draft');
  const box = alice.page.getByLabel('Message', { exact: true });
  await box.press('ArrowUp');
  assert.equal(await box.inputValue(), 'teh first draft');
  await alice.page.locator('#composer-context').filter({ hasText: 'Editing your message' }).waitFor();
  await box.fill('the first draft, fixed');
  const t0 = Date.now();
  await box.press('Enter');
  await waitForMessage(bob.page, 'the first draft, fixed', 3000);
  console.log(`edit reached the other screen after ${Date.now() - t0} ms (poll every 2 s)`);
  assert.equal(await box.inputValue(), '', 'the box is empty again');
  assert.equal(await alice.page.locator('#composer-context').isVisible(), false);
  for (const page of [alice.page, bob.page]) {
    assert.equal(await message(page, 'teh first').count(), 0, 'the old text is gone');
    const edited = message(page, 'the first draft, fixed').locator('.message-edited');
    assert.equal(await edited.textContent(), '(edited)');
    assert.match(await edited.getAttribute('title'), /^Edited .*\d/);
    assert.match(await edited.getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  }
  // The edit time on keyboard focus too, not only on hover: Tab reaches
  // "(edited)" and its tip is drawn.
  const edited = message(bob.page, 'the first draft, fixed').locator('.message-edited');
  await edited.evaluate((el) => el.closest('.message').querySelector('.message-time').setAttribute('tabindex', '-1'));
  await edited.evaluate((el) => el.closest('.message').querySelector('.message-time').focus());
  await bob.page.keyboard.press('Tab');
  assert.equal(await edited.evaluate((el) => el === document.activeElement && el.matches(':focus-visible')), true);
  assert.match(await edited.evaluate((el) => getComputedStyle(el, '::after').content), /Edited .*\d/);
  clean(alice, bob);
});

test('Escape cancels an edit and gives back what was being typed; Shift+Enter makes a new line', async () => {
  const box = alice.page.getByLabel('Message', { exact: true });
  await box.fill('');
  await act(alice.page, 'the first draft, fixed', 'Edit');
  assert.equal(await box.inputValue(), 'the first draft, fixed');
  await box.press('End');
  await box.type(' more');
  await box.press('Escape');
  assert.equal(await box.inputValue(), '');
  assert.equal(await alice.page.locator('#composer-context').isVisible(), false);
  await box.type('half a thought');
  await box.press('ArrowUp'); // not empty: ↑ only moves the caret
  assert.equal(await box.inputValue(), 'half a thought');
  await box.fill('line one');
  await box.press('Shift+Enter');
  await box.type('line two');
  await box.press('Enter');
  await waitForMessage(bob.page, 'line two');
  const text = message(bob.page, 'line two').locator('.message-text');
  assert.equal(await text.textContent(), 'line one\nline two');
  assert.equal(await text.locator('br').count(), 1);
  assert.equal(await message(bob.page, 'the first draft, fixed').locator('.message-text').textContent(),
    'the first draft, fixed', 'the cancelled edit changed nothing');
  clean(alice, bob);
});

test('a deletion removes the message from the other screen; only author and owner are offered Delete', async () => {
  await say(alice.page, 'say this and take it back');
  await say(bob.page, 'bob says something rude');
  await waitForMessage(bob.page, 'say this and take it back');
  await waitForMessage(alice.page, 'bob says something rude');
  // Bob may delete his own message but not Alice's; Alice owns the room.
  assert.equal(await message(bob.page, 'say this and take').locator('[data-action="delete"]').isHidden(), true);
  assert.equal(await message(bob.page, 'bob says').locator('[data-action="delete"]').isHidden(), false);
  assert.equal(await message(bob.page, 'say this and take').locator('[data-action="edit"]').isHidden(), true);
  assert.equal(await message(alice.page, 'bob says').locator('[data-action="delete"]').isHidden(), false);
  assert.equal(await message(alice.page, 'bob says').locator('[data-action="edit"]').isHidden(), true);

  // Asked first; Cancel keeps it.
  await act(alice.page, 'say this and take it back', 'Delete');
  const dialog = alice.page.getByRole('dialog');
  await dialog.filter({ hasText: 'Delete your message?' }).waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await message(alice.page, 'say this and take it back').count(), 1);

  await act(alice.page, 'say this and take it back', 'Delete');
  const t0 = Date.now();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await message(alice.page, 'say this and take it back').waitFor({ state: 'detached', timeout: 1000 });
  await message(bob.page, 'say this and take it back').waitFor({ state: 'detached', timeout: 3000 });
  console.log(`deletion reached the other screen after ${Date.now() - t0} ms`);

  // The owner removes someone else's message.
  await act(alice.page, 'bob says something rude', 'Delete');
  await dialog.filter({ hasText: 'by' }).filter({ hasText: 'bob' }).waitFor();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await message(bob.page, 'bob says something rude').waitFor({ state: 'detached', timeout: 3000 });
  clean(alice, bob);
});

test('a reply quotes its original; when the original is deleted the reply says "deleted message"', async () => {
  await say(alice.page, 'who is bringing snacks?');
  await waitForMessage(bob.page, 'who is bringing snacks?');
  await act(bob.page, 'who is bringing snacks?', 'Reply');
  const bar = bob.page.locator('#composer-context');
  await bar.filter({ hasText: 'Replying to alice' }).filter({ hasText: 'who is bringing snacks?' }).waitFor();
  // Escape cancels a reply; × too.
  await bob.page.getByLabel('Message', { exact: true }).press('Escape');
  assert.equal(await bar.isVisible(), false);
  await act(bob.page, 'who is bringing snacks?', 'Reply');
  await bob.page.getByRole('button', { name: 'Cancel reply' }).click();
  assert.equal(await bar.isVisible(), false);
  await act(bob.page, 'who is bringing snacks?', 'Reply');
  await say(bob.page, 'I will bring **crisps**');
  assert.equal(await bar.isVisible(), false, 'sent: the reply is done');
  await waitForMessage(alice.page, 'I will bring crisps');
  for (const page of [alice.page, bob.page]) {
    const quote = message(page, 'I will bring crisps').locator('.message-quote');
    assert.equal(await quote.locator('.message-quote-author').textContent(), 'alice');
    assert.equal(await quote.locator('.message-quote-text').textContent(), 'who is bringing snacks?');
  }
  await act(alice.page, 'who is bringing snacks?', 'Delete');
  await alice.page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await message(bob.page, 'who is bringing snacks?').waitFor({ state: 'detached', timeout: 3000 });
  for (const page of [alice.page, bob.page]) {
    const quote = message(page, 'I will bring crisps').locator('.message-quote');
    await quote.filter({ hasText: 'deleted message' }).waitFor({ timeout: 1000 });
    assert.equal(await quote.locator('.message-quote-text').textContent(), 'deleted message');
  }
  // And after a reload, from the server's own quote.
  await bob.page.reload();
  await waitForMessage(bob.page, 'I will bring crisps');
  assert.equal(await message(bob.page, 'I will bring crisps').locator('.message-quote-text').textContent(),
    'deleted message');
  clean(alice, bob);
});

test('a reaction toggles: picked from the picker, clicked again on the other screen, who reacted on hover', async () => {
  await say(alice.page, 'ship it?');
  await waitForMessage(bob.page, 'ship it?');
  await act(bob.page, 'ship it?', 'Add a reaction');
  const picker = message(bob.page, 'ship it?').locator('.reaction-picker');
  const offered = await picker.locator('button').evaluateAll((els) => els.map((e) => e.dataset.emoji));
  assert.deepEqual(offered, ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀']);
  await picker.getByRole('button', { name: 'React with 👍' }).click();
  assert.equal(await picker.isVisible(), false, 'the picker closes on a pick');
  const thumbs = (page) => message(page, 'ship it?').locator('.reaction[data-emoji="👍"]');
  await thumbs(alice.page).waitFor({ timeout: 3000 });
  assert.equal(await thumbs(alice.page).locator('.reaction-count').textContent(), '1');
  assert.equal(await thumbs(alice.page).getAttribute('title'), 'bob');
  assert.equal(await thumbs(alice.page).getAttribute('aria-pressed'), 'false');
  assert.equal(await thumbs(bob.page).getAttribute('aria-pressed'), 'true');

  // Alice adds hers by clicking the existing reaction…
  await thumbs(alice.page).click();
  await thumbs(alice.page).filter({ hasText: '2' }).waitFor({ timeout: 1000 });
  assert.equal(await thumbs(alice.page).getAttribute('aria-pressed'), 'true');
  assert.equal(await thumbs(alice.page).getAttribute('title'), 'bob, you');
  await thumbs(bob.page).filter({ hasText: '2' }).waitFor({ timeout: 3000 });
  assert.equal(await thumbs(bob.page).getAttribute('title'), 'you, alice');
  // …and takes it back with a second click.
  await thumbs(alice.page).click();
  await thumbs(alice.page).filter({ hasText: '1' }).waitFor({ timeout: 1000 });
  assert.equal(await thumbs(alice.page).getAttribute('aria-pressed'), 'false');
  await thumbs(bob.page).filter({ hasText: '1' }).waitFor({ timeout: 3000 });
  // An emoji already on the message is offered in the picker too.
  const id = await idOf(alice.page, 'ship it?');
  assert.equal((await call(alice.page, 'PUT', `/api/messages/${id}/reactions`, { emoji: '🦀' })).status, 200);
  await message(bob.page, 'ship it?').locator('.reaction[data-emoji="🦀"]').waitFor({ timeout: 3000 });
  await act(bob.page, 'ship it?', 'Add a reaction');
  assert.equal(await picker.locator('[data-emoji="🦀"]').count(), 1);
  await bob.page.keyboard.press('Escape');
  assert.equal(await picker.isVisible(), false, 'Escape closes the picker');
  // Bob takes his 👍 back: the reaction is gone from both screens.
  await thumbs(bob.page).click();
  await thumbs(alice.page).waitFor({ state: 'detached', timeout: 3000 });
  clean(alice, bob);
});

test('Markdown renders: emphasis, strong, code, code block, quote, list, links with their address on hover', async () => {
  const text = [
    'Plan for **today**, _really_: run `make test`',
    '```',
    'for (int i = 0; i < 3; i++) {',
    '  puts("<b>hi</b>");',
    '}',
    '```',
    '> measure twice',
    '- one',
    '- two',
    '',
    'See [the guide](https://example.org/guide) or https://example.com/raw or [mail](mailto:ops@example.org)',
  ].join('\n');
  await say(alice.page, text);
  await waitForMessage(bob.page, 'measure twice');
  const body = message(bob.page, 'measure twice').locator('.message-text');
  assert.equal(await body.locator('strong').textContent(), 'today');
  assert.equal(await body.locator('em').textContent(), 'really');
  assert.equal(await body.locator(':not(pre) > code').textContent(), 'make test');
  assert.equal(await body.locator('pre code').textContent(), 'for (int i = 0; i < 3; i++) {\n  puts("<b>hi</b>");\n}\n');
  assert.equal(await body.locator('b').count(), 0, 'markup inside code is text');
  assert.equal(await body.locator('blockquote').textContent(), 'measure twice');
  assert.deepEqual(await body.locator('ul li').allTextContents(), ['one', 'two']);
  const links = await body.locator('a').evaluateAll((els) => els.map((a) => ({
    href: a.getAttribute('href'), title: a.title, target: a.target, rel: a.rel, text: a.textContent,
  })));
  const safe = { target: '_blank', rel: 'noopener noreferrer' };
  assert.deepEqual(links, [
    { href: 'https://example.org/guide', title: 'https://example.org/guide', text: 'the guide', ...safe },
    { href: 'https://example.com/raw', title: 'https://example.com/raw', text: 'https://example.com/raw', ...safe },
    { href: 'mailto:ops@example.org', title: 'ops@example.org', text: 'mail', ...safe },
  ]);
  // The API keeps the text exactly as sent.
  const id = await idOf(bob.page, 'measure twice');
  const { body: page } = await call(bob.page, 'GET', `/api/rooms/${roomId}/messages?before=${id + 1}&limit=1`);
  assert.equal(page.messages[0].text, text);
  clean(alice, bob);
});

test('raw HTML and script: links stay inert (no element, no dialog, nothing run)', async () => {
  const payloads = [
    '<img src=x onerror=alert(1)> and <script>window.__pwned = 1</script>',
    '[x](javascript:alert(1)) [y](JaVaScRiPt:alert(2)) [z](data:text/html,<script>alert(3)</script>)',
    '<a href="javascript:alert(4)">a</a> ![i](javascript:alert(5)) <iframe src="javascript:alert(6)">',
    '[w](vbscript:msgbox) <https://ok.example/after> [s](  javascript:alert(7))',
  ];
  for (const p of payloads) await say(bob.page, p);
  await waitForMessage(alice.page, 'ok.example');
  for (const page of [alice.page, bob.page]) {
    const bodies = page.locator('#messages .message-text');
    const shown = (await bodies.allTextContents()).slice(-payloads.length);
    assert.equal(shown[0], '<img src=x onerror=alert(1)> and <script>window.__pwned = 1</script>');
    assert.equal(await page.locator('#messages img, #messages script, #messages iframe').count(), 0);
    const hrefs = await page.locator('#messages a').evaluateAll((els) => els.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.every((h) => /^(https?|mailto):/.test(h)), `only web and mail links: ${hrefs}`);
    assert.ok(hrefs.includes('https://ok.example/after'));
    // Click every word of the payloads: nothing opens, nothing runs.
    for (const text of ['[x](javascript:alert(1))', 'a</a>']) {
      await page.locator('#messages .message-text').filter({ hasText: text }).first().click();
    }
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  }
  clean(alice, bob); // a dialog would have been recorded as an error
});

test('a reply quote jumps to an original two pages up, loading them, and highlights it', async () => {
  await say(alice.page, 'the original, long ago');
  const original = await idOf(alice.page, 'the original, long ago');
  await postMany(alice.page, roomId, 'filler', 120);
  const reply = await call(bob.page, 'POST', `/api/rooms/${roomId}/messages`,
    { text: 'answering the old one', reply_to: original });
  assert.equal(reply.status, 201);
  await bob.page.reload();
  await waitForMessage(bob.page, 'answering the old one');
  assert.equal(await message(bob.page, 'the original, long ago').count(), 0, 'not loaded yet');
  const pages = [];
  bob.page.on('request', (r) => { if (/messages\?before=/.test(r.url())) pages.push(r.url()); });
  await message(bob.page, 'answering the old one').locator('.message-quote').click();
  const target = message(bob.page, 'the original, long ago');
  await target.waitFor({ timeout: 5000 });
  assert.equal(pages.length, 2, `two older pages loaded (${pages.length})`);
  await bob.page.waitForFunction(() => document.querySelector('.message.is-highlighted') !== null);
  assert.equal(await target.evaluate((el) => el.classList.contains('is-highlighted')), true);
  assert.equal(await target.evaluate((el) => el === document.activeElement), true, 'focus is on it');
  const box = await target.boundingBox();
  const view = await bob.page.locator('#log-scroller').boundingBox();
  assert.ok(box.y >= view.y && box.y + box.height <= view.y + view.height, 'it is in view');
  clean(alice, bob);
});

test('a change to a message older than what is loaded is ignored, and comes with its history', async () => {
  // Bob has loaded back to "the original" (the test before); Alice edits a
  // message further back on a fresh screen of Bob's: his log must not grow.
  await bob.page.reload();
  await waitForMessage(bob.page, 'answering the old one');
  const count = await bob.page.locator('#messages .message').count();
  const oldest = Number(await bob.page.locator('#messages .message').first().getAttribute('data-id'));
  const old = await call(alice.page, 'GET', `/api/rooms/${roomId}/messages?before=${oldest}&limit=1`);
  const target = old.body.messages[0];
  assert.equal((await call(alice.page, 'PATCH', `/api/messages/${target.id}`, { text: `${target.text} (revised)` })).status, 200);
  await say(alice.page, 'after the old edit');
  await waitForMessage(bob.page, 'after the old edit');
  assert.equal(await bob.page.locator(`#messages .message[data-id="${target.id}"]`).count(), 0);
  assert.equal(await bob.page.locator('#messages .message').count(), count + 1);
  await bob.page.getByRole('button', { name: 'Load older' }).click();
  await waitForMessage(bob.page, `${target.text} (revised)`);
  assert.equal(await bob.page.locator(`#messages .message[data-id="${target.id}"] .message-edited`).isVisible(), true);
  clean(alice, bob);
});

test('375 px: a code block, a reply quote and reactions fit the screen', async () => {
  await alice.page.goto('/rooms');
  const id = await createRoom(alice.page, 'Narrow');
  await bob.page.goto(`/rooms/${id}`);
  await bob.page.locator('#room-name').filter({ hasText: 'Narrow' }).waitFor();
  await say(alice.page, 'Deploy steps:\n```\nmake install DESTDIR=/srv/chat PREFIX=/usr/local\nsystemctl restart chatroom@1\n```');
  await waitForMessage(bob.page, 'Deploy steps');
  const first = await idOf(bob.page, 'Deploy steps');
  await call(bob.page, 'PUT', `/api/messages/${first}/reactions`, { emoji: '🎉' });
  await call(alice.page, 'PUT', `/api/messages/${first}/reactions`, { emoji: '🎉' });
  await call(bob.page, 'PUT', `/api/messages/${first}/reactions`, { emoji: '👀' });
  const works = await call(bob.page, 'POST', `/api/rooms/${id}/messages`,
    { text: 'Works here. The restart was missing.', reply_to: first });
  await call(bob.page, 'PATCH', `/api/messages/${works.body.message.id}`,
    { text: 'Works here. The *restart* was the missing step.' });
  await say(alice.page, '> Works here\n\nGreat, thanks! See https://example.org/docs');
  await waitForMessage(bob.page, 'Great, thanks');
  await message(bob.page, 'the missing step').locator('.message-edited').waitFor();
  await bob.page.setViewportSize({ width: 375, height: 700 });
  await bob.page.locator('.reaction[data-emoji="👀"]').waitFor();
  await bob.page.waitForTimeout(400);
  assert.equal(await bob.page.locator('#log-scroller').evaluate((el) => el.scrollWidth - el.clientWidth), 0,
    'nothing wider than the screen');
  const pre = bob.page.locator('#messages pre').first();
  assert.ok((await pre.boundingBox()).width <= 375, 'the code block scrolls inside its bubble');
  await screenshot(bob.page, 'messages-375');
  assert.equal(await message(bob.page, 'Works here.').locator('.message-quote-text').textContent(),
    'Deploy steps: make install DESTDIR=/srv/chat PREFIX=/usr/local systemctl restart chatroom@1',
    'the quote reads as plain words, blocks apart');
  // The same screen with a message's actions, the emoji picker and a reply
  // under way (bob answers alice's last message).
  await act(bob.page, 'Great, thanks', 'Reply');
  await act(bob.page, 'Deploy steps', 'Add a reaction');
  await bob.page.waitForTimeout(300);
  await screenshot(bob.page, 'messages-375-actions');
  await bob.page.keyboard.press('Escape');
  await bob.page.getByLabel('Message', { exact: true }).press('Escape');
  await bob.page.emulateMedia({ colorScheme: 'dark' });
  await bob.page.waitForTimeout(200);
  await screenshot(bob.page, 'messages-375-dark');
  await bob.page.emulateMedia({ colorScheme: 'light' });
  clean(alice, bob);
});

test('with push an edit crosses in under 500 ms', { skip: existsSync(NCHAN) ? false : `no ${NCHAN}` }, async () => {
  const pushed = await startStack({ env: { CHAT_POST_BURST: '100', CHAT_POST_RATE: '100' } });
  try {
    const carol = await person(browser, pushed.base, { expect: [FRONT_DOOR] });
    const dave = await person(browser, pushed.base, { expect: [FRONT_DOOR] });
    await Promise.all([signUp(carol.page, 'carol'), signUp(dave.page, 'dave')]);
    const id = await createRoom(carol.page, 'Quick');
    // Dave's timer polls once a minute: only the event can bring the edit.
    await dave.page.goto(`/rooms/${id}?poll=60000`);
    await dave.page.waitForFunction(() => document.body.dataset.push === 'open', null, { timeout: 10000 });
    await say(carol.page, 'version 0');
    await waitForMessage(dave.page, 'version 0', 3000);
    const mid = await idOf(carol.page, 'version 0');
    const delays = [];
    for (let i = 1; i <= 3; i += 1) {
      const t0 = Date.now();
      assert.equal((await call(carol.page, 'PATCH', `/api/messages/${mid}`, { text: `version ${i}` })).status, 200);
      await waitForMessage(dave.page, `version ${i}`, 1900);
      delays.push(Date.now() - t0);
    }
    console.log(`push: edits crossed after ${delays.join(', ')} ms`);
    const median = [...delays].sort((a, b) => a - b)[1];
    assert.ok(median < 500, `median ${median} ms`);
    clean(carol, dave);
    await carol.context.close();
    await dave.context.close();
  } finally {
    await pushed.stop();
  }
});
