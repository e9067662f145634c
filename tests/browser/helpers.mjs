// Shared pieces of the browser tests: launching Debian's chromium through
// playwright-core, one browser context per person (so each has their own
// cookie jar, like two people on two machines), a console watcher that
// fails the test on any error the page did not expect, the sign-up and
// room steps every scenario starts with, and screenshots into artifacts/.
// The tests always run against the real stack from tests/lib/stack.mjs.

import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStack } from '../lib/stack.mjs';

export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
export const PASSWORD = 'correct horse battery';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// The browser's own "Failed to load resource: ... status of 4xx" lines are
// the API answering as designed (401 from /api/me before login, 409 for a
// taken name, 410 after a delete); anything else is a real error.
const EXPECTED_4XX = /^Failed to load resource: the server responded with a status of 4\d\d/;

/**
 * A person: a fresh context and page whose console errors and uncaught
 * exceptions are collected in `errors`. `allowNetworkErrors` (set during an
 * outage) lets 5xx and connection failures through.
 */
export async function person(browser, base, { width = 1280, height = 800, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ baseURL: base, viewport: { width, height }, colorScheme });
  const who = { context, errors: [], allowNetworkErrors: false };
  who.page = await watch(who, await context.newPage());
  return who;
}

/** Starts collecting errors from another page (e.g. a second tab). */
export async function watch(who, page) {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (EXPECTED_4XX.test(text)) return;
    if (who.allowNetworkErrors && /Failed to load resource|net::ERR_/.test(text)) return;
    who.errors.push(`console: ${text}`);
  });
  page.on('pageerror', (error) => who.errors.push(`pageerror: ${error.message}`));
  page.on('dialog', (dialog) => {
    who.errors.push(`dialog: ${dialog.type()} ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  return page;
}

/**
 * The start of most scenarios: a stack (with `env`), the browser, and two
 * people signed up under `names`, each in their own context.
 * Resolves to {stack, browser, people: [first, second]}.
 */
export async function twoPeople(names, env = {}) {
  const stack = await startStack({ env });
  const browser = await launch();
  const people = [await person(browser, stack.base), await person(browser, stack.base)];
  await Promise.all(people.map((p, i) => signUp(p.page, names[i])));
  return { stack, browser, people };
}

/** Signs up through `/` and waits for the profile. */
export async function signUp(page, username, password = PASSWORD) {
  await page.goto('/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/rooms');
}

/** Creates a room from the profile and waits to be inside it; returns its id. */
export async function createRoom(page, name) {
  await page.getByLabel('Room name').fill(name);
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.waitForURL(/\/rooms\/\d+$/);
  await page.locator('#room-name').filter({ hasText: name }).waitFor();
  return Number(new URL(page.url()).pathname.split('/').pop());
}

/** Types a message and sends it with Enter; waits until the box is empty. */
export async function say(page, text) {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
  await page.waitForFunction(() => document.getElementById('message').value === '');
}

/** The texts of the messages on screen, top to bottom. */
export function texts(page) {
  return page.locator('#messages .message-text').allTextContents();
}

/** Waits until a message with exactly `text` is in the log. */
export async function waitForMessage(page, text, timeout = 3000) {
  await page.locator('#messages .message-text').filter({ hasText: text }).first().waitFor({ timeout });
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Posts `count` messages through the API from the page's own session. */
export async function postMany(page, roomId, prefix, count) {
  await page.evaluate(async ({ roomId, prefix, count }) => {
    for (let i = 1; i <= count; i += 1) {
      const response = await fetch(`/api/rooms/${roomId}/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: `${prefix} ${i}` }),
      });
      if (response.status !== 201) throw new Error(`post ${i}: ${response.status}`);
    }
  }, { roomId, prefix, count });
}
