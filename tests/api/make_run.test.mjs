// `make run` as README promises it: one command starts nginx and the workers
// on PORT over a new chat.db, a plain HTTP client can register, create, join,
// post and poll, a subscriber of the room's event stream hears the post at
// once (push through nchan, which `make deps` installs), and Ctrl-C (SIGINT to the foreground group) stops every
// process it started, leaving nothing listening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, createServer } from 'node:net';
import { ROOT, waitFor } from '../lib/stack.mjs';
import { Client } from '../lib/client.mjs';
import { openEvents } from '../lib/events.mjs';

const NCHAN_MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function listening(port) {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

// Processes whose environment names this run's database: everything
// make run started, whatever process group it is in.
function startedBy(db) {
  const pids = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`CHAT_DB=${db}`)) {
        pids.push(Number(pid));
      }
    } catch { /* gone, or not ours */ }
  }
  return pids;
}

test('make run serves a curl-style session and Ctrl-C stops everything it started', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-make-run-'));
  const port = await freePort();
  const log = join(dir, 'make-run.log');
  const out = openSync(log, 'a');
  const db = join(dir, 'chat.db');
  const child = spawn('make', ['--no-print-directory', 'run'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), CHAT_DB: db, CHAT_RUN_DIR: join(dir, 'run') },
    stdio: ['ignore', out, out],
    detached: true,
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/api/me`)).status === 401, 60000, 'make run');
    assert.ok(existsSync(db), 'make run created chat.db');
    assert.ok(startedBy(db).length >= 9, 'nginx, 4 multiwatch and 8 workers found');

    const c = new Client(base);
    await c.register('runner');
    const room = await c.post('/api/rooms', { name: 'Lobby' });
    assert.equal(room.status, 201);
    const id = room.body.room.id;
    const joined = await c.post(`/api/rooms/${id}/join`);
    assert.equal(joined.status, 200);
    let stream = null;
    if (existsSync(NCHAN_MODULE)) {
      assert.equal(joined.body.events, `/api/rooms/${id}/events`, 'push is on under make run');
      stream = await openEvents(base, c.cookie, joined.body.events);
      assert.equal(stream.status, 200, stream.text);
    } else {
      console.log(`!!! SKIPPED: the push part of make run: ${NCHAN_MODULE} is missing !!!`);
    }
    const sent = await c.post(`/api/rooms/${id}/messages`, { text: 'hello from curl' });
    assert.equal(sent.status, 201);
    if (stream) {
      try {
        for (;;) {
          const event = await stream.next(3000); // the join's own members event may come first
          if (event.data.type === 'message') {
            assert.equal(event.data.id, sent.body.message.id);
            break;
          }
        }
      } finally {
        stream.close();
      }
    }
    const poll = await c.get(`/api/rooms/${id}/messages?after=0`);
    assert.equal(poll.status, 200);
    assert.deepEqual(poll.body.messages.map((m) => m.text), ['hello from curl']);
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
  } finally {
    process.kill(-child.pid, 'SIGINT');  // Ctrl-C: the terminal signals the foreground group
    await waitFor(async () => startedBy(db).length === 0, 15000, 'make run to stop').catch(() => {});
    const left = startedBy(db);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    const stillListening = await listening(port);
    const text = readFileSync(log, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(left, [], `processes of make run still alive after SIGINT:\n${text}`);
    assert.equal(stillListening, false, 'port still listening after SIGINT');
  }
});
