// S7 push latency (issue 7), run by hand: `node tests/bench/push.mjs [N...]`
// (default 1000 10000). For each N: a fresh stack (push on), N users seeded
// into one room by bench_seed, N EventSource subscribers on raw sockets (each
// authorised by the workers as a browser's would be), then 20 posts a quarter
// second apart; for every (subscriber, post) pair the delay from sending the
// post to that subscriber reading the event. Prints p50/p99/max and nginx's
// memory per subscriber (PSS of all nginx processes, after minus before, / N).
// The load generator shares the machine's cores with nginx and the workers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, ROOT } from '../lib/stack.mjs';

const BIN = join(ROOT, 'build', 'bin');
const POSTS = 20;
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);

function pss(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}

function nginxPids(runDir) {
  const master = Number(readFileSync(join(runDir, 'nginx.pid'), 'utf8'));
  const pids = [master];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === master) pids.push(Number(name));
    } catch { /* gone */ }
  }
  return pids;
}

const nginxKb = (runDir) => nginxPids(runDir).reduce((sum, pid) => sum + pss(pid), 0);

// One subscriber; resolves when nginx answered 200, records event times in seen.
function subscribe(port, cookie, seen) {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let head = true;
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`GET /api/rooms/1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`
      + `Accept: text/event-stream\r\nCookie: chat_session=${cookie}\r\n\r\n`));
    sock.on('data', (chunk) => {
      buf += chunk;
      if (head) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buf.startsWith('HTTP/1.1 200')) { reject(new Error(buf.split('\r\n')[0])); sock.destroy(); return; }
        head = false;
        buf = buf.slice(end + 4);
        resolve(sock);
      }
      const now = performance.now();
      let m;
      const re = /"id":(\d+)/g;
      while ((m = re.exec(buf))) seen.push([Number(m[1]), now]);
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    sock.on('error', reject);
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function measure(n) {
  const stack = await startStack({ env: { CHAT_NGINX_CONNECTIONS: '24000', CHAT_POST_BURST: '100000' } });
  const work = mkdtempSync(join(tmpdir(), 'chat-push-bench-'));
  const socks = [];
  try {
    execFileSync(join(BIN, 'bench_seed'), [stack.db, n, 1, 0, 0, work].map(String));
    const cookies = readFileSync(join(work, 'users.txt'), 'utf8').trim().split('\n').map((l) => l.split(' ')[2]);
    const runDir = join(stack.dir, 'run');
    const before = nginxKb(runDir);
    const seen = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i += 200) {
      socks.push(...await Promise.all(cookies.slice(i, i + 200).map((c) => subscribe(stack.port, c, seen))));
    }
    const subscribeS = ((performance.now() - t0) / 1000).toFixed(1);
    await new Promise((r) => { setTimeout(r, 1000); });
    const perSubKb = (nginxKb(runDir) - before) / n;
    const sent = new Map();
    for (let i = 0; i < POSTS; i += 1) {
      const start = performance.now();
      const res = await fetch(`${stack.base}/api/rooms/1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: `chat_session=${cookies[0]}`, origin: stack.base },
        body: JSON.stringify({ text: `s7 ${i}` }),
      });
      if (res.status !== 201) throw new Error(`post ${res.status} ${await res.text()}`);
      sent.set((await res.json()).message.id, start);
      await new Promise((r) => { setTimeout(r, 250); });
    }
    await new Promise((r) => { setTimeout(r, 2000); });
    const delays = seen.filter(([id]) => sent.has(id)).map(([id, at]) => at - sent.get(id)).sort((a, b) => a - b);
    const expected = n * POSTS;
    const row = {
      subscribers: n, subscribe_s: Number(subscribeS), events: delays.length, expected,
      p50_ms: Number(pct(delays, 0.5).toFixed(1)), p99_ms: Number(pct(delays, 0.99).toFixed(1)),
      max_ms: Number(delays[delays.length - 1].toFixed(1)), nginx_kb_per_subscriber: Number(perSubKb.toFixed(1)),
    };
    console.log(JSON.stringify(row));
    return row;
  } finally {
    for (const s of socks) s.destroy();
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

for (const n of sizes.length ? sizes : [1000, 10000]) await measure(n);
