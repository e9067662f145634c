// Outsider attacks on what changed on 2026-11-30 (helper attack4), where
// only a browser shows the fault.
//
// A file's bytes go out `Cache-Control: private, max-age=31536000,
// immutable` (cgi-bin/files.cpp): no shared cache keeps them, but the
// browser does, for a year, keyed by the address alone and not by who was
// logged in. On a shared computer the next person at the browser opened
// /api/files/{id} after the owner logged out and got the private bytes from
// the cache, no session needed. Logging out now says `Clear-Site-Data:
// "cache"` (W3C Clear Site Data; OWASP Session Management Cheat Sheet,
// "Clear-Site-Data on logout"), so after it the address asks the server,
// which answers 401.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FRONT_DOOR, clean, createRoom, onePerson, shutDown } from './helpers.mjs';

let stack;
let browser;
let ann;

before(async () => {
  ({ stack, browser, who: ann } = await onePerson('ann'));
});
after(() => shutDown(browser, stack));

test('after logging out, a file seen before is not served from the browser cache to whoever is next', async () => {
  const roomId = await createRoom(ann.page, 'Private bytes');
  const url = await ann.page.evaluate(async (roomId) => {
    const form = new FormData();
    form.append('file', new Blob(['the secret plan'], { type: 'text/plain' }), 'plan.txt');
    const r = await fetch(`/api/rooms/${roomId}/files`, { method: 'POST', body: form });
    return (await r.json()).attachment.url;
  }, roomId);
  const read = (mode) => ann.page.evaluate(async ({ url, mode }) => {
    try {
      const r = await fetch(url, { cache: mode, mode: 'same-origin' });
      return { status: r.status, text: await r.text() };
    } catch (error) {
      return { status: 0, text: String(error) };
    }
  }, { url, mode });
  assert.deepEqual(await read('default'), { status: 200, text: 'the secret plan' });
  // The control: the bytes are in the browser's cache now.
  assert.deepEqual(await read('only-if-cached'), { status: 200, text: 'the secret plan' }, 'cached while logged in');

  await ann.page.goto('/rooms');
  // The file asked for after logging out (401), and the cache-only ask that finds nothing.
  ann.expect(FRONT_DOOR, { status: 401, path: /^\/api\/files\// }, { text: /ERR_CACHE_MISS/ });
  await ann.page.getByRole('button', { name: 'Log out' }).click();
  await ann.page.waitForURL((u) => u.pathname === '/');
  const after = await read('default');
  assert.equal(after.status, 401, `the file after logging out: ${JSON.stringify(after)}`);
  assert.doesNotMatch(after.text, /secret/);
  assert.notEqual((await read('only-if-cached')).status, 200, 'the bytes are still in the cache');
  clean(ann);
});
