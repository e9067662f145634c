// S7 push latency (issue 7), part of `make bench` (run.mjs) and runnable
// alone: `node tests/bench/s7.mjs [N...]` (default 1000 10000). For each N:
// a fresh stack with push on, N users seeded into one room by bench_seed,
// bench_subscribe holding N EventSource streams (each authorised by the
// workers, as a browser's), then POSTS posts INTERVAL_MS apart; every
// (subscriber, post) delay from sending the post to the subscriber reading
// its event. nginx's memory per subscriber is the PSS of all nginx processes
// with the streams held, minus before, over N (RSS likewise, for comparison).
// The generator shares the machine's cores with nginx and the workers.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { startStack, ROOT } from '../lib/stack.mjs';

const BIN = join(ROOT, 'build', 'bin');
export const NCHAN_MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const POSTS = 20;
const INTERVAL_MS = 250;

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

// PSS and RSS in kB summed over nginx's processes.
function nginxKb(runDir) {
  const kb = { pss: 0, rss: 0 };
  for (const pid of nginxPids(runDir)) {
    try {
      const roll = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
      kb.pss += Number(/^Pss:\s+(\d+)/m.exec(roll)[1]);
      kb.rss += Number(/^Rss:\s+(\d+)/m.exec(roll)[1]);
    } catch { /* gone */ }
  }
  return kb;
}

// utime + stime of nginx's processes, in microseconds.
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);
function nginxCpuUs(runDir) {
  let ticks = 0;
  for (const pid of nginxPids(runDir)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch { /* gone */ }
  }
  return ticks * TICK_US;
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

// Runs bench_subscribe; calls onSubscribed(row) once the streams are held
// (memory is measured then), resolves with the result row.
function subscribe(args, onSubscribed) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(BIN, 'bench_subscribe'), args.map(String), { stdio: ['pipe', 'pipe', 'inherit'] });
    let result = null;
    createInterface({ input: child.stdout }).on('line', async (line) => {
      const row = JSON.parse(line);
      if (row.phase === 'subscribed') {
        try { await onSubscribed(row); } catch (e) { reject(e); }
        child.stdin.end('go\n');
      } else {
        result = row;
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`bench_subscribe exited ${code}`))));
  });
}

// One size: returns the S7 row.
// env: extra settings for the stack (e.g. CHAT_NGINX_PROCESSES).
export async function measurePush(n, { say = () => {}, env = {} } = {}) {
  // Connections: every subscriber, plus the authorisations in flight (each
  // holds a proxied and a FastCGI connection for a moment).
  const stack = await startStack({ env: { CHAT_NGINX_CONNECTIONS: '24000', CHAT_POST_BURST: '100000', ...env } });
  const work = mkdtempSync(join(tmpdir(), 'chat-s7-'));
  try {
    execFileSync(join(BIN, 'bench_seed'), [stack.db, n, 1, 0, 0, work].map(String));
    const runDir = join(stack.dir, 'run');
    const before = nginxKb(runDir);
    const load = { before: loadavg() };
    let held = null;
    let subscribed = null;
    let cpuBefore = 0;
    const row = await subscribe([stack.port, join(work, 'users.txt'), n, POSTS, INTERVAL_MS], async (s) => {
      subscribed = s;
      await new Promise((r) => { setTimeout(r, 1000); });
      held = nginxKb(runDir);
      cpuBefore = nginxCpuUs(runDir);
    });
    const nginxCpu = nginxCpuUs(runDir) - cpuBefore;
    load.after = loadavg();
    const result = {
      subscribers: row.subscribers,
      refused: subscribed.refused + subscribed.failed,
      subscribe_s: subscribed.seconds,
      still_open: row.still_open,
      closed: row.closed,
      posts: row.posts,
      events: row.events,
      expected: row.expected,
      // Who missed what: streams that lack an event, posts some stream
      // lacks, posts no stream heard; and how long after the last post the
      // tool read on (until all came, or 5 s without one).
      streams_short: row.streams_short,
      posts_short: row.posts_short,
      posts_unheard: row.posts_unheard,
      waited_ms: row.waited_ms,
      p50_ms: row.p50_ms,
      p99_ms: row.p99_ms,
      max_ms: row.max_ms,
      post_p50_ms: row.post_p50_ms,
      post_p99_ms: row.post_p99_ms,
      nginx_pss_kb_per_subscriber: +((held.pss - before.pss) / n).toFixed(1),
      nginx_rss_kb_per_subscriber: +((held.rss - before.rss) / n).toFixed(1),
      nginx_pss_mb_held: +(held.pss / 1024).toFixed(1),
      // CPU per delivered event while posting: nginx's (the fan-out, where
      // loopback also charges it the receiving side's TCP work) and the
      // generator's own (reading the streams).
      nginx_cpu_us_per_event: +(nginxCpu / Math.max(1, row.events)).toFixed(1),
      generator_cpu_us_per_event: +((row.cpu_ms * 1000) / Math.max(1, row.events)).toFixed(1),
      nginx_processes: env.CHAT_NGINX_PROCESSES ?? 'auto',
      loadavg: load,
    };
    const missed = result.events < result.expected
      ? ` (missing: ${result.streams_short} streams short, ${result.posts_short} posts short, ${result.posts_unheard} unheard, ${result.closed} closed)`
      : '';
    say(`S7 ${n} subscribers: ${result.events} of ${result.expected} events${missed}, read ${(result.waited_ms / 1000).toFixed(1)} s after the last post, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, max ${result.max_ms} ms; nginx ${result.nginx_pss_kb_per_subscriber} kB PSS per subscriber; CPU per event nginx ${result.nginx_cpu_us_per_event} us, generator ${result.generator_cpu_us_per_event} us; load ${load.before.join(' ')}`);
    return result;
  } finally {
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!existsSync(NCHAN_MODULE)) {
    console.error(`!!! SKIPPED S7: ${NCHAN_MODULE} is missing (make deps installs libnginx-mod-nchan) !!!`);
    process.exit(0);
  }
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  const env = process.env.CHAT_NGINX_PROCESSES ? { CHAT_NGINX_PROCESSES: process.env.CHAT_NGINX_PROCESSES } : {};
  for (const n of sizes.length ? sizes : [1000, 10000]) {
    console.log(JSON.stringify(await measurePush(n, { env, say: (s) => process.stderr.write(`${s}\n`) })));
  }
}
