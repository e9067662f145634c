// Files and images in the room (issue 16), two people in two browser
// contexts against the real stack (nginx, the workers, chat.db; the upload
// goes through the files program and its thumbnailer). Ann pastes a
// screenshot (a PNG made in the page, handed to the message box in a paste
// event's DataTransfer, as the clipboard does): the tray shows a progress
// bar while it uploads (Chromium's own upload throttling, over DevTools,
// makes the upload last long enough to be seen), then the message shows its
// thumbnail on both screens with its box reserved from width and height.
// Bob opens the full image with the keyboard and Escape closes it, focus
// back on the thumbnail. A PDF chosen with the 📎 button is a download link
// with its size; a dropped file lands in the tray too; a file too large is
// refused in words; an edit keeps the files and a deletion removes them on
// both screens. Screenshots at 1280 and 375 px with an image and a PDF go to
// tests/browser/artifacts/attachments-*.png.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clean, createRoom, screenshot, twoPeople, waitForMessage } from './helpers.mjs';

let stack;
let browser;
let ann;
let bob;
let roomId;

before(async () => {
  // Ann's quota fits the screenshot (about 4 MB) and the report, not 6 MB more.
  ({ stack, browser, people: [ann, bob] } = await twoPeople(['ann', 'bob'], { CHAT_FILE_USER_QUOTA_MB: '8' }));
  roomId = await createRoom(ann.page, 'Pictures');
  await bob.page.goto(`/rooms/${roomId}`);
  await bob.page.locator('#room-name').filter({ hasText: 'Pictures' }).waitFor();
  clean(ann, bob);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A width×height PNG of coloured noise (so it does not compress) as a File in the page. */
function makePng(page, width, height, name) {
  return page.evaluateHandle(async ({ width, height, name }) => {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    const pixels = context.createImageData(width, height);
    const random = new Uint32Array(pixels.data.buffer);
    for (let i = 0; i < random.length; i += 16384) crypto.getRandomValues(random.subarray(i, i + 16384));
    for (let i = 3; i < pixels.data.length; i += 4) pixels.data[i] = 255;
    context.putImageData(pixels, 0, 0);
    context.fillStyle = '#4f46e5';
    context.fillRect(width / 4, height / 4, width / 2, height / 2);
    const blob = await new Promise((resolve) => { canvas.toBlob(resolve, 'image/png'); });
    return new File([blob], name, { type: 'image/png' });
  }, { width, height, name });
}

/** Chromium's own network throttling for `page` (bytes a second, -1 for none). */
async function throttle(page, { up = -1, down = -1 }) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: down, uploadThroughput: up,
  });
  return cdp;
}

async function unthrottle(cdp) {
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  await cdp.detach();
}

const lastMessage = (page) => page.locator('#messages .message').last();

// These need no upload: they render attachment objects as the API sends
// them, with the page's own modules, inside the room page.
test('attachments render as text: a hostile name stays a name, a foreign or script address is not used', async () => {
  bob.expect({ status: 404, path: /^\/api\/files\/\d+\/thumb$/ }); // made-up ids: their thumbnails load and miss
  const result = await bob.page.evaluate(async () => {
    const { attachmentElements, fillAttachments } = await import('/js/attachment-view.js');
    const box = document.createElement('div');
    fillAttachments(box, [
      { id: 1, name: '<img src=x onerror="window.__pwned=1">.png', type: 'image/png', size: 10,
        width: 1000, height: 250, url: '/api/files/1', thumb_url: '/api/files/1/thumb' },
      { id: 2, name: '<b>notes</b>.txt', type: 'text/plain', size: 2048, url: '/api/files/2' },
      { id: 3, name: 'evil.pdf', type: 'application/pdf', size: 1, url: 'javascript:alert(1)' },
      { id: 4, name: 'away.pdf', type: 'application/pdf', size: 1, url: 'https://example.com/x.pdf' },
      { id: 5, name: 'tall.png', type: 'image/png', size: 1, width: 100, height: 1000,
        url: '/api/files/5', thumb_url: 'https://example.com/t.png' },
    ]);
    const img = box.querySelector('img');
    await new Promise((resolve) => {
      img.addEventListener('error', resolve);
      img.addEventListener('load', resolve);
    });
    return {
      kinds: [...box.children].map((el) => el.className),
      alt: img.alt,
      size: [img.getAttribute('width'), img.getAttribute('height')],
      link: box.querySelector('.attachment-name').textContent,
      linkSize: box.querySelector('.attachment-size').textContent,
      hrefs: [...box.querySelectorAll('a')].map((a) => a.getAttribute('href')),
      injected: box.querySelectorAll('b, img[onerror]').length,
      none: attachmentElements(null).length + attachmentElements([null, 'x', {}]).length,
      pwned: window.__pwned === 1,
    };
  });
  // The tall one's thumbnail is not ours: it is offered as a file instead.
  assert.deepEqual(result.kinds, ['attachment attachment-image', 'attachment attachment-file',
    'attachment attachment-file']);
  assert.equal(result.alt, '<img src=x onerror="window.__pwned=1">.png');
  assert.deepEqual(result.size, ['320', '80'], '1000×250 scaled into 320×240 keeps 4:1');
  assert.equal(result.link, '<b>notes</b>.txt');
  assert.equal(result.linkSize, '2 KB');
  assert.deepEqual(result.hrefs, ['/api/files/2', '/api/files/5']);
  assert.equal(result.injected, 0);
  assert.equal(result.none, 0);
  assert.equal(result.pwned, false);
  clean(ann, bob);
});

test('sizes in words and thumbnail boxes', async () => {
  const result = await bob.page.evaluate(async () => {
    const { humanSize, thumbSize } = await import('/js/attachment-view.js');
    return {
      sizes: [0, 1, 1023, 1024, 1536, 10 * 1024, 153600, 1048576 * 1.25, 10 * 1048576, 3 * 1073741824, -1, 'x']
        .map(humanSize),
      boxes: [[1200, 900], [100, 50], [4000, 100], [100, 4000], [1, 1]].map(([w, h]) => thumbSize(w, h)),
    };
  });
  assert.deepEqual(result.sizes, ['0 bytes', '1 byte', '1023 bytes', '1 KB', '1.5 KB', '10 KB', '150 KB',
    '1.3 MB', '10 MB', '3 GB', '', '']);
  assert.deepEqual(result.boxes, [{ width: 320, height: 240 }, { width: 100, height: 50 },
    { width: 320, height: 8 }, { width: 6, height: 240 }, { width: 1, height: 1 }]);
  clean(ann, bob);
});

test('a pasted screenshot uploads with a progress bar and shows as a thumbnail on both screens', async () => {
  const page = ann.page;
  const png = await makePng(page, 1200, 900, 'image.png');
  const size = await png.evaluate((file) => file.size);
  assert.ok(size > 1_000_000, `the noise PNG is big enough to watch (${size} bytes)`);
  const cdp = await throttle(page, { up: 512 * 1024 });
  await page.getByLabel('Message', { exact: true }).focus();
  await page.evaluate((file) => {
    const data = new DataTransfer();
    data.items.add(file);
    document.getElementById('message').dispatchEvent(new ClipboardEvent('paste', {
      clipboardData: data, bubbles: true, cancelable: true,
    }));
  }, png);
  // The bar is a real progressbar, named after the file, and it moves.
  const bar = page.getByRole('progressbar', { name: /^Uploading Pasted \d{4}-\d\d-\d\d .*\.png$/ });
  await bar.waitFor({ timeout: 5000 });
  await page.waitForFunction(() => {
    const p = document.querySelector('#uploads progress');
    return p && p.value > 0 && p.value < 100;
  }, null, { timeout: 10000 });
  await screenshot(page, 'attachments-uploading');
  await unthrottle(cdp);
  // Done: the bar goes, the server's thumbnail comes into the tray.
  await page.locator('#uploads .upload.is-done .upload-preview img').waitFor({ timeout: 15000 });
  assert.equal(await bar.count(), 0);
  assert.match(await page.locator('#composer-status').textContent(), /^“\u2068Pasted .*\.png\u2069” is ready to send\.$/);
  // Bob's thumbnail comes slowly: its box is there before its bytes.
  const slow = await throttle(bob.page, { down: 8 * 1024 });
  await page.getByLabel('Message', { exact: true }).fill('the new screen');
  await page.getByLabel('Message', { exact: true }).press('Enter');
  await page.locator('#uploads').waitFor({ state: 'hidden' });
  await waitForMessage(bob.page, 'the new screen', 8000);
  const early = await lastMessage(bob.page).locator('.attachment-image img').evaluate((el) => ({
    loaded: el.complete && el.naturalWidth > 0,
    box: [Math.round(el.getBoundingClientRect().width), Math.round(el.getBoundingClientRect().height)],
    message: el.closest('.message').getBoundingClientRect().height,
  }));
  await unthrottle(slow);
  assert.equal(early.loaded, false, 'the thumbnail was still on its way');
  assert.deepEqual(early.box, [320, 240], 'its box is reserved before it loads');

  for (const who of [ann, bob]) {
    await waitForMessage(who.page, 'the new screen', 5000);
    const img = lastMessage(who.page).locator('.attachment-image img');
    await img.waitFor();
    // The box is reserved from the image's own size, scaled into 320×240.
    assert.equal(await img.getAttribute('width'), '320');
    assert.equal(await img.getAttribute('height'), '240');
    assert.match(await img.getAttribute('alt'), /^Pasted .*\.png$/);
    await who.page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
    const shown = await img.evaluate((el) => ({
      natural: [el.naturalWidth, el.naturalHeight],
      box: [Math.round(el.getBoundingClientRect().width), Math.round(el.getBoundingClientRect().height)],
      src: new URL(el.src).pathname,
    }));
    assert.ok(shown.natural[0] <= 400 && shown.natural[1] <= 400, `a thumbnail, not the image: ${shown.natural}`);
    assert.deepEqual(shown.box, [320, 240]);
    assert.match(shown.src, /^\/api\/files\/[^/]+\/thumb$/);
  }
  const late = await lastMessage(bob.page).evaluate((el) => el.getBoundingClientRect().height);
  assert.equal(late, early.message, 'the message did not grow when its thumbnail loaded');
  // A screen reader hears the file with the text.
  await bob.page.locator('#announcer p').filter({ hasText: /^ann: the new screen \(an image: Pasted .*\.png\)$/ })
    .waitFor({ state: 'attached' });
  clean(ann, bob);
});

test('the viewer opens with Enter, shows the full image, and Escape closes it and gives focus back', async () => {
  const page = bob.page;
  const thumb = lastMessage(page).locator('.attachment-image');
  await thumb.focus();
  await page.keyboard.press('Enter');
  const viewer = page.getByRole('dialog', { name: /^Pasted .*\.png$/ });
  await viewer.waitFor();
  const image = page.locator('#viewer-image');
  await page.waitForFunction(() => {
    const el = document.getElementById('viewer-image');
    return el.complete && el.naturalWidth > 0;
  });
  assert.deepEqual(await image.evaluate((el) => [el.naturalWidth, el.naturalHeight]), [1200, 900]);
  assert.match(await image.getAttribute('alt'), /^Pasted .*\.png$/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'viewer-close');
  await screenshot(page, 'attachments-viewer');
  await page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'hidden' });
  assert.equal(await thumb.evaluate((el) => el === document.activeElement), true, 'focus is back on the thumbnail');
  // And a click opens it too; Close closes it.
  await thumb.click();
  await viewer.waitFor();
  await page.getByRole('button', { name: 'Close' }).click();
  await viewer.waitFor({ state: 'hidden' });
  clean(ann, bob);
});

test('a PDF chosen with the attach button is a download link with its size', async () => {
  const page = ann.page;
  const pdf = Buffer.from(`%PDF-1.4\n${'0'.repeat(150 * 1024)}\n%%EOF\n`);
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByRole('button', { name: 'Attach files' }).click(),
  ]);
  await chooser.setFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: pdf });
  await page.locator('#uploads .upload.is-done').waitFor({ timeout: 10000 });
  await page.getByLabel('Message', { exact: true }).fill('the report');
  await page.getByLabel('Message', { exact: true }).press('Enter');
  for (const who of [ann, bob]) {
    await waitForMessage(who.page, 'the report', 5000);
    const link = lastMessage(who.page).getByRole('link', { name: /^report\.pdf, 150 KB: download$/ });
    await link.waitFor();
    assert.equal(await link.getAttribute('download'), 'report.pdf');
    assert.equal(await lastMessage(who.page).locator('.attachment-size').textContent(), '150 KB');
    assert.equal(await lastMessage(who.page).locator('.attachment-image').count(), 0, 'not drawn as an image');
  }
  // The link gives the bytes as a download, never as a page.
  const href = await lastMessage(bob.page).locator('.attachment-name').getAttribute('href');
  const served = await bob.page.evaluate(async (url) => {
    const response = await fetch(url);
    return { status: response.status, disposition: response.headers.get('content-disposition'),
      size: (await response.arrayBuffer()).byteLength };
  }, href);
  assert.equal(served.status, 200);
  assert.match(served.disposition, /^attachment/);
  assert.equal(served.size, pdf.length);
  clean(ann, bob);
});

test('Enter while a file is still uploading sends the message once it is up', async () => {
  const page = ann.page;
  const png = await makePng(page, 320, 240, 'diagram.png');
  const cdp = await throttle(page, { up: 48 * 1024 });
  try {
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Attach files' }).click(),
    ]);
    await chooser.setFiles({
      name: 'diagram.png', mimeType: 'image/png',
      buffer: Buffer.from(await png.evaluate(async (file) => [...new Uint8Array(await file.arrayBuffer())])),
    });
    await page.getByRole('progressbar', { name: 'Uploading diagram.png' }).waitFor();
    const box = page.getByLabel('Message', { exact: true });
    await box.fill('here is the diagram');
    await box.press('Enter');
    assert.equal(await page.locator('#composer-status').textContent(),
      'The message goes as soon as the files are uploaded…');
    assert.equal(await box.inputValue(), 'here is the diagram', 'nothing sent yet');
  } finally {
    await unthrottle(cdp);
  }
  await waitForMessage(bob.page, 'here is the diagram', 15000);
  const img = lastMessage(bob.page).locator('.attachment-image img');
  assert.equal(await img.getAttribute('alt'), 'diagram.png');
  assert.equal(await page.getByLabel('Message', { exact: true }).inputValue(), '');
  assert.equal(await page.locator('#composer-status').textContent(), '');
  clean(ann, bob);
});

test('a message of files only has no text; ↑ then Enter leaves it as it is, and words can be added', async () => {
  const page = ann.page;
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByRole('button', { name: 'Attach files' }).click(),
  ]);
  await chooser.setFiles({ name: 'minutes.txt', mimeType: 'text/plain', buffer: Buffer.from('minutes\n') });
  await page.locator('#uploads .upload.is-done').waitFor({ timeout: 10000 });
  await page.getByLabel('Message', { exact: true }).press('Enter');
  await page.locator('#uploads').waitFor({ state: 'hidden' });
  const files = (p) => p.locator('#messages .message').filter({ has: p.getByRole('link', { name: /^minutes\.txt/ }) });
  await files(bob.page).waitFor({ timeout: 5000 });
  assert.equal(await files(bob.page).locator('.message-text').textContent(), '');
  assert.equal(await files(bob.page).locator('.message-text').isHidden(), true, 'no empty line above the file');
  // ↑ in the empty box edits it; Enter with the box still empty changes nothing.
  const box = page.getByLabel('Message', { exact: true });
  await box.press('ArrowUp');
  await page.locator('#composer-context').filter({ hasText: 'Editing your message' }).waitFor();
  await box.press('Enter');
  await page.locator('#composer-context').waitFor({ state: 'hidden' });
  assert.equal(await page.locator('#composer-status').textContent(), '');
  await box.press('ArrowUp');
  await box.fill('the minutes');
  await box.press('Enter');
  await waitForMessage(bob.page, 'the minutes', 5000);
  assert.equal(await files(bob.page).locator('.message-text').textContent(), 'the minutes');
  clean(ann, bob);
});

test('screenshots at 1280 and 375 px with an image and a PDF', async () => {
  const page = bob.page;
  await page.bringToFront(); // a page in the background does not run its animations
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(300);
  await screenshot(page, 'attachments-1280');
  await page.setViewportSize({ width: 375, height: 740 });
  await page.waitForTimeout(100);
  const img = page.locator('#messages .attachment-image img').last();
  const box = await img.boundingBox();
  assert.ok(box.width <= 375 && Math.abs(box.width / box.height - 4 / 3) < 0.02,
    `the thumbnail fits the narrow screen with its ratio: ${JSON.stringify(box)}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `nothing wider than the screen (${overflow} px)`);
  await screenshot(page, 'attachments-375');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'attachments-375-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
  // The author's own view: the accent bubbles.
  await ann.page.bringToFront();
  await ann.page.setViewportSize({ width: 375, height: 740 });
  await ann.page.waitForTimeout(300);
  await screenshot(ann.page, 'attachments-375-own');
  await ann.page.setViewportSize({ width: 1280, height: 800 });
  clean(ann, bob);
});

test('a dropped file, or one pasted outside the box, goes to the tray and can be removed from it', async () => {
  const page = ann.page;
  const data = await page.evaluateHandle(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['just some notes'], 'notes.txt', { type: 'text/plain' }));
    return transfer;
  });
  await page.dispatchEvent('#messages', 'dragenter', { dataTransfer: data });
  assert.equal(await page.locator('#composer.is-dropping').count(), 1, 'the box says where files go');
  await page.dispatchEvent('#messages', 'drop', { dataTransfer: data });
  assert.equal(await page.locator('#composer.is-dropping').count(), 0);
  const item = page.locator('#uploads .upload').filter({ hasText: 'notes.txt' });
  await item.locator('.upload-preview').waitFor();
  await page.locator('#uploads .upload.is-done').waitFor({ timeout: 10000 });
  await page.getByRole('button', { name: 'Remove notes.txt' }).click();
  await page.locator('#uploads').waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'message', 'focus back in the box');
  // A paste with the history focused lands in the tray too, and Enter then sends it.
  await page.locator('#log-scroller').focus();
  const png = await makePng(page, 40, 30, 'image.png');
  await page.evaluate((file) => {
    const transfer = new DataTransfer();
    transfer.items.add(file);
    document.getElementById('log-scroller').dispatchEvent(new ClipboardEvent('paste', {
      clipboardData: transfer, bubbles: true, cancelable: true,
    }));
  }, png);
  await page.locator('#uploads .upload.is-done').waitFor({ timeout: 10000 });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'message', 'the box has focus');
  await page.getByRole('button', { name: /^Remove Pasted / }).click();
  await page.locator('#uploads').waitFor({ state: 'hidden' });
  clean(ann, bob);
});

test('a file too large, or empty, is refused in words, and nothing is sent', async () => {
  const page = ann.page;
  ann.expect({ status: 413, path: /^\/api\/rooms\/\d+\/files$/ });
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByRole('button', { name: 'Attach files' }).click(),
  ]);
  await chooser.setFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(11 * 1024 * 1024) });
  const error = page.locator('#uploads .upload.is-failed .upload-error');
  await error.waitFor({ timeout: 20000 });
  // nginx refuses the body before a worker sees it, with its JSON page's sentence.
  assert.equal(await error.textContent(),
    '“\u2068huge.bin\u2069” is too large to share here. The file is larger than this server accepts.');
  assert.match(await page.locator('#composer-status').textContent(), /too large/);
  await screenshot(page, 'attachments-refused');
  // Enter does not send a message without the refused file.
  await page.getByLabel('Message', { exact: true }).fill('without the file?');
  await page.getByLabel('Message', { exact: true }).press('Enter');
  assert.match(await page.locator('#composer-status').textContent(), /could not be uploaded/);
  await page.getByRole('button', { name: 'Remove huge.bin' }).click();
  await page.getByLabel('Message', { exact: true }).fill('');
  // An empty file is refused at once, in words, without asking the server.
  const [again] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByRole('button', { name: 'Attach files' }).click(),
  ]);
  await again.setFiles({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) });
  await error.waitFor();
  assert.equal(await error.textContent(), '“\u2068empty.txt\u2069” is empty: there is nothing to share.');
  await page.getByRole('button', { name: 'Remove empty.txt' }).click();
  await page.locator('#uploads').waitFor({ state: 'hidden' });
  clean(ann, bob);
});

test('over the quota, the upload is refused in words', async () => {
  const page = ann.page;
  ann.expect({ status: 507, path: /^\/api\/rooms\/\d+\/files$/ });
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByRole('button', { name: 'Attach files' }).click(),
  ]);
  await chooser.setFiles({ name: 'video.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(6 * 1024 * 1024, 1) });
  const error = page.locator('#uploads .upload.is-failed .upload-error');
  await error.waitFor({ timeout: 20000 });
  assert.equal(await error.textContent(),
    'There is no space left for “\u2068video.mp4\u2069”: delete older files or ask the admin.');
  assert.equal(await page.locator('#uploads .upload-retry').isHidden(), true, 'no Retry: it would fail the same way');
  await page.getByRole('button', { name: 'Remove video.mp4' }).click();
  await page.locator('#uploads').waitFor({ state: 'hidden' });
  clean(ann, bob);
});

test('with the workers down an upload says so in words, and Retry uploads it once they are back', async () => {
  const page = ann.page;
  const down = { status: /^50[234]$/, path: /^\/api\// };
  ann.expect(down);
  bob.expect(down);
  await stack.stopWorkers();
  try {
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Attach files' }).click(),
    ]);
    await chooser.setFiles({ name: 'later.txt', mimeType: 'text/plain', buffer: Buffer.from('later\n') });
    const error = page.locator('#uploads .upload.is-failed .upload-error');
    await error.waitFor({ timeout: 10000 });
    assert.equal(await error.textContent(),
      '“\u2068later.txt\u2069” could not be uploaded: the server cannot be reached. Try again in a moment.');
  } finally {
    await stack.startWorkers();
  }
  await page.getByRole('button', { name: 'Retry' }).click();
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Remove later.txt',
    'focus stays in the tray');
  await page.locator('#uploads .upload.is-done').waitFor({ timeout: 15000 });
  assert.equal(await page.locator('#uploads .upload-error').isHidden(), true);
  assert.equal(await page.locator('#composer-status').textContent(), '“\u2068later.txt\u2069” is ready to send.');
  await page.getByRole('button', { name: 'Remove later.txt' }).click();
  await page.locator('#uploads').waitFor({ state: 'hidden' });
  assert.equal(await page.locator('#composer-status').textContent(), '', 'what was said of it goes with it');
  // Both pages are back to normal before the next step.
  await page.locator('#connection').waitFor({ state: 'hidden', timeout: 15000 });
  await bob.page.locator('#connection').waitFor({ state: 'hidden', timeout: 15000 });
  clean(ann, bob);
});

test('an edit keeps the files; a deletion removes them from both screens', async () => {
  const page = ann.page;
  const message = (p) => p.locator('#messages .message').filter({ hasText: 'the new screen' });
  // The thumbnail element is kept through the edit: no reload, no jump.
  await message(bob.page).locator('.attachment-image img').evaluate((el) => { el.dataset.marker = 'kept'; });
  await message(page).hover();
  await message(page).getByRole('button', { name: /^Edit/ }).click();
  await page.getByLabel('Message', { exact: true }).fill('the new screen, edited');
  await page.getByLabel('Message', { exact: true }).press('Enter');
  await waitForMessage(bob.page, 'the new screen, edited', 5000);
  assert.equal(await message(bob.page).locator('.attachment-image img[data-marker="kept"]').count(), 1);
  await message(page).hover();
  await message(page).getByRole('button', { name: /^Delete/ }).click();
  await page.locator('#confirm-yes').click();
  await message(bob.page).waitFor({ state: 'detached', timeout: 5000 });
  await message(page).waitFor({ state: 'detached' });
  clean(ann, bob);
});

// A file's bytes go to whoever may read its room, wherever they are (before
// the fix only people inside the room got them: the thumbnail was a 404
// once bob had moved on).
test('the Mentions page shows the thumbnail of an image in a mention while the reader is in another room', async () => {
  await ann.page.goto(`/rooms/${roomId}`);
  await ann.page.locator('#room-name').filter({ hasText: 'Pictures' }).waitFor();
  await ann.page.evaluate(async ({ roomId }) => {
    const canvas = document.createElement('canvas');
    canvas.width = 600;
    canvas.height = 300;
    const context = canvas.getContext('2d');
    context.fillStyle = '#0f766e';
    context.fillRect(0, 0, 600, 300);
    const blob = await new Promise((resolve) => { canvas.toBlob(resolve, 'image/png'); });
    const form = new FormData();
    form.append('file', new File([blob], 'for-bob.png', { type: 'image/png' }));
    const up = await (await fetch(`/api/rooms/${roomId}/files`, { method: 'POST', body: form })).json();
    const r = await fetch(`/api/rooms/${roomId}/messages`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: '@bob this one is for you', attachments: [up.attachment.id] }),
    });
    if (r.status !== 201) throw new Error(`post: ${r.status}`);
  }, { roomId });
  // bob is in a room of his own now (one room at a time), then opens Mentions.
  await bob.page.goto('/rooms');
  await createRoom(bob.page, 'Elsewhere');
  await bob.page.goto('/mentions');
  const card = bob.page.locator('.mention-item').filter({ hasText: 'this one is for you' });
  const thumb = card.locator('img.attachment-preview-image');
  await thumb.waitFor();
  assert.equal(await thumb.getAttribute('alt'), 'for-bob.png');
  // The box is reserved from the image's size (600 x 300 into 160 x 120).
  assert.deepEqual([await thumb.getAttribute('width'), await thumb.getAttribute('height')], ['160', '80']);
  await bob.page.waitForFunction((el) => el.complete, await thumb.elementHandle());
  const loaded = await thumb.evaluate((el) => ({ w: el.naturalWidth, h: el.naturalHeight }));
  assert.ok(loaded.w > 0 && loaded.h > 0, `the thumbnail loaded (${JSON.stringify(loaded)})`);
  assert.equal(await card.locator('a, button').count(), 1, 'the card stays one link: nothing interactive inside it');
  await screenshot(bob.page, 'attachments-mentions-1280');
  clean(ann, bob);
});
