// Shared pieces of the browser tests: launching Debian's chromium through
// playwright-core, one browser context per person (so each has their own
// cookie jar, like two people on two machines), a console watcher that
// fails the test on any error the test did not declare, the sign-up and
// room steps every scenario starts with, and screenshots into artifacts/.
// The tests always run against the real stack from tests/lib/stack.mjs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ROOT, startStack } from '../lib/stack.mjs';

export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
export const PASSWORD = 'correct horse battery';

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // Closing has no time limit in playwright-core, and Debian's chromium
  // 1xx sometimes never answers it (seen in polish.test.mjs: a whole CI run
  // waiting 10 minutes on browser.close() after the test had passed). A
  // close that takes over CLOSE_MS is given up loudly: a context's close
  // then moves on, the browser's kills chromium's processes.
  const closeBrowser = browser.close.bind(browser);
  browser.close = async () => {
    if (await bounded(closeBrowser(), 'browser.close()')) return;
    for (const pid of descendants(process.pid, /chromium/)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  };
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    const closeContext = context.close.bind(context);
    context.close = async (...a) => { await bounded(closeContext(...a), 'context.close()'); };
    return context;
  };
  return browser;
}

const CLOSE_MS = 20000;

// True when `promise` settled within CLOSE_MS; otherwise says so loudly.
async function bounded(promise, what) {
  let timer;
  const settled = await Promise.race([
    promise.then(() => true, () => true),
    new Promise((resolve) => { timer = setTimeout(() => resolve(false), CLOSE_MS); }),
  ]);
  clearTimeout(timer);
  if (!settled) console.log(`# WARNING: ${what} did not finish in ${CLOSE_MS / 1000} s; going on without it`);
  return settled;
}

// Pids of the processes under `root` whose command line matches `name`
// (/proc/<pid>/stat's fourth field is the parent).
function descendants(root, name) {
  const parent = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const under = (pid) => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  return [...parent.keys()].filter((pid) => {
    if (!under(pid)) return false;
    try { return name.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1')); } catch { return false; }
  });
}

// Console errors are failures unless the test declared them. The browser
// logs "Failed to load resource: the server responded with a status of N"
// (or "... net::ERR_…" when nothing answered) for every request the API
// refuses, and names the resource's address as the message's location; a
// test declares exactly which of those it provokes, as {status, path}: the
// status (a number, 0 for no answer at all, or a RegExp over the three
// digits) and a RegExp over the address's path and query. Anything else
// the page logs can be declared as {text: RegExp} over the whole line. A
// declared error may happen any number of times (an outage's count depends
// on timing); an undeclared one, an uncaught exception or a dialog fails
// the test. Declarations last until clean() closes the test's account.

const RESOURCE_STATUS = /^Failed to load resource: the server responded with a status of (\d{3})/;
const RESOURCE_NET = /^Failed to load resource: net::ERR_/;

/** What one console error line is about: {status, path, text}. */
function describe(text, location) {
  let status = null;
  const answered = text.match(RESOURCE_STATUS);
  if (answered) status = Number(answered[1]);
  else if (RESOURCE_NET.test(text)) status = 0;
  let path = null;
  if (status !== null && location && location.url) {
    try {
      const url = new URL(location.url);
      path = url.pathname + url.search;
    } catch {
      path = location.url;
    }
  }
  return { status, path, text };
}

function matches(spec, seen) {
  if (spec.text) return spec.text.test(seen.text);
  if (seen.status === null || seen.path === null) return false;
  const statusOk = spec.status instanceof RegExp
    ? spec.status.test(String(seen.status).padStart(3, '0'))
    : spec.status === seen.status;
  return statusOk && spec.path.test(seen.path);
}

function checkSpec(spec) {
  const ok = spec && ((spec.text instanceof RegExp && spec.status === undefined)
    || ((typeof spec.status === 'number' || spec.status instanceof RegExp) && spec.path instanceof RegExp));
  if (!ok) throw new Error(`an expected console error is {status, path: RegExp} or {text: RegExp}: ${JSON.stringify(spec)}`);
  return spec;
}

/**
 * A person: a fresh context and page whose console errors and uncaught
 * exceptions are collected in `errors` unless declared with
 * `who.expect({status, path} | {text}, …)` (or `expect: [...]` here).
 */
export async function person(browser, base, {
  width = 1280, height = 800, colorScheme = 'light', expect = [],
} = {}) {
  const context = await browser.newContext({ baseURL: base, viewport: { width, height }, colorScheme });
  const who = {
    context,
    errors: [],
    expected: [],
    expect(...specs) {
      this.expected.push(...specs.map(checkSpec));
      return this;
    },
  };
  who.expect(...expect);
  who.page = await watch(who, await context.newPage());
  return who;
}

/** Starts collecting errors from another page (e.g. a second tab). */
export async function watch(who, page) {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const seen = describe(message.text(), message.location());
    if (who.expected.some((spec) => matches(spec, seen))) return;
    who.errors.push(`console: ${seen.text}${seen.path ? ` (${seen.path})` : ''}`);
  });
  page.on('pageerror', (error) => who.errors.push(`pageerror: ${error.message}`));
  page.on('dialog', (dialog) => {
    who.errors.push(`dialog: ${dialog.type()} ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  return page;
}

/**
 * The end of a test: no person logged anything the test did not declare.
 * Then forgets the declarations, so the next test declares its own.
 */
export function clean(...people) {
  const errors = people.flatMap((who) => who.errors);
  for (const who of people) {
    who.errors = [];
    who.expected = [];
  }
  assert.deepEqual(errors, [], 'console errors the test did not declare');
}

/** `/` asks /api/me first and is told 401 until someone logs in. */
export const FRONT_DOOR = { status: 401, path: /^\/api\/me$/ };

/** The start of every scenario: a stack (with `env`) and the browser. */
export async function stackAndBrowser(env = {}) {
  const stack = await startStack({ env });
  return { stack, browser: await launch() };
}

/** The end of every scenario (either is unset if its start failed). */
export async function shutDown(browser, stack) {
  await browser?.close();
  await stack?.stop();
}

/**
 * The start of scenarios with one person: a stack (with `env`), the
 * browser, and `username` signed up. Resolves to {stack, browser, who}.
 */
export async function onePerson(username, env = {}) {
  const { stack, browser } = await stackAndBrowser(env);
  const who = await person(browser, stack.base, { expect: [FRONT_DOOR] });
  await signUp(who.page, username);
  clean(who);
  return { stack, browser, who };
}

/**
 * The start of most scenarios: a stack (with `env`), the browser, and two
 * people signed up under `names`, each in their own context.
 * Resolves to {stack, browser, people: [first, second]}.
 */
export async function twoPeople(names, env = {}) {
  const { stack, browser } = await stackAndBrowser(env);
  const expect = [FRONT_DOOR];
  const people = [await person(browser, stack.base, { expect }), await person(browser, stack.base, { expect })];
  await Promise.all(people.map((p, i) => signUp(p.page, names[i])));
  clean(...people);
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

/** Logs in through `/` (no wait: the caller says what comes next). */
export async function logIn(page, username, password = PASSWORD) {
  await page.goto('/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Makes `username` an admin with chatctl, as the operator does (README). */
export function makeAdmin(stack, username) {
  const made = spawnSync(join(ROOT, 'build', 'bin', 'chatctl'), ['--db', stack.db, 'user', 'admin', username, 'on'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
}

/** A room's row in the profile's room list. */
export const roomRow = (who, name) => who.page.locator('.room-row').filter({ hasText: name });

/** The Members dialog of a room page. */
export const membersDialog = (who) => who.page.getByRole('dialog', { name: 'Members' });

/** Opens the Members dialog and waits until its list has loaded. */
export async function openMembers(who) {
  await who.page.getByRole('button', { name: 'Members' }).click();
  await membersDialog(who).waitFor();
  await who.page.locator('#members-status').filter({ hasText: /^$/ }).waitFor({ state: 'attached' });
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

export async function screenshot(page, name, { fullPage = false } = {}) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
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
