// Posts beside 5 MB uploads (make bench's "S4 posts while 5 MB uploads
// run"), alone, in rounds, on one stack per build side by side: each runs
// this tree's tools and its workers from its own CHAT_BIN, so a change is
// measured against the old build interleaved round by round (README "Posts
// beside uploads"). 2 post workers of 3 threads, 64 connections posting.
//
//   node tests/bench/stall.mjs ROUNDS SECONDS [BIN ...]
//
// MODES (environment, default "same"): a comma list run in turn in each
// round: "same" uploads (2 clients) to the stack that takes the posts,
// "apart" to a stack of its own on the same disk (the disk shared, the lock
// not), "none" posts alone. CHAT_NGINX_PROCESSES=4 leaves run.sh's kept
// FastCGI connections out (its pool is then 0). NGINX_EXTRA and
// NGINX_EXTRA_HTTP: files for CHAT_NGINX_EXTRA(_HTTP), e.g. an access_log
// with $upstream_header_time. Prints a JSON line per round, build and mode:
// posts/s, the post workers' CPU per post, post p50 / p99 / max (ms), 5 MB
// uploads/s and their p99.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startStack, ROOT } from '../lib/stack.mjs';
import { benchFiles, uploadRate } from './files.mjs';

const [rounds = 3, seconds = 4, ...bins] = process.argv.slice(2);
const BIN = join(ROOT, 'build', 'bin');
const work = mkdtempSync(join(tmpdir(), 'chat-stall-'));

function load(port, file, secs) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(BIN, 'bench_load'), ['closed', port, 64, secs, file].map(String), { stdio: ['ignore', 'pipe', 'inherit'] });
    const rows = [];
    createInterface({ input: child.stdout }).on('line', (l) => rows.push(JSON.parse(l)));
    child.on('exit', (code) => (code === 0 ? resolve(rows[0]) : reject(new Error(`bench_load ${code}`))));
  });
}

// utime + stime, in clock ticks, of the processes running `exe`.
function ticks(exe) {
  let sum = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0')[0] !== exe) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      sum += Number(f[11]) + Number(f[12]);
    } catch { /* gone */ }
  }
  return sum;
}

const stacks = [];
try {
  for (const [i, bin] of (bins.length ? bins : [BIN]).entries()) {
    const stack = await startStack({ env: { CHAT_BIN: bin, CHAT_WORKERS: process.env.CHAT_WORKERS || '2', CHAT_WORKER_THREADS: '3',
      CHAT_UPLOAD_BURST: '1000000000', CHAT_UPLOADS_PER_MINUTE: '1000000000',
      CHAT_POST_BURST: '1000000000', CHAT_POST_RATE: '1000000000',
      ...(process.env.NGINX_EXTRA ? { CHAT_NGINX_EXTRA: process.env.NGINX_EXTRA, CHAT_NGINX_EXTRA_HTTP: process.env.NGINX_EXTRA_HTTP } : {}) } });
    const dir = join(work, `s${i}`);
    execFileSync('mkdir', ['-p', dir]);
    execFileSync(join(BIN, 'bench_seed'), [stack.db, 2000, 10, 1000, 100, dir].map(String), { encoding: 'utf8' });
    const users = readFileSync(join(dir, 'users.txt'), 'utf8').trim().split('\n').map((l) => {
      const [room, , cookie] = l.split(' ');
      return { room: Number(room), cookie };
    });
    const file = join(dir, 'posts.req');
    writeFileSync(file, `${users.map((u) => `POST /api/rooms/${u.room}/messages ${u.cookie} {"text":"bench post %n"}`).join('\n')}\n`);
    stacks.push({ name: bin, stack, users, file });
    console.error(`stack ${i}: ${stack.base} workers from ${bin} (${stack.dir})`);
  }
  const modes = (process.env.MODES || 'same').split(',');
  let apart = null;
  if (modes.includes('apart')) {
    const stack = await startStack({ env: { CHAT_UPLOAD_BURST: '1000000000', CHAT_UPLOADS_PER_MINUTE: '1000000000' } });
    const dir = join(work, 'apart');
    execFileSync('mkdir', ['-p', dir]);
    execFileSync(join(BIN, 'bench_seed'), [stack.db, 200, 10, 10, 10, dir].map(String), { encoding: 'utf8' });
    const users = readFileSync(join(dir, 'users.txt'), 'utf8').trim().split('\n').map((l) => {
      const [room, , cookie] = l.split(' ');
      return { room: Number(room), cookie };
    });
    apart = { stack, users };
    stacks.push({ ...apart, uploadsOnly: true });
  }
  const { mb5 } = benchFiles();
  for (let r = 0; r < Number(rounds); r += 1) {
    for (const s of stacks.filter((x) => !x.uploadsOnly)) for (const mode of modes) {
      const target = mode === 'apart' ? apart : s;
      const during = mode === 'none' ? Promise.resolve({ per_s: 0, p99_ms: null, errors: 0 })
        : uploadRate({ base: target.stack.base, users: target.users.slice(0, 200), bytes: mb5, name: 'b.bin', seconds: Number(seconds) + 1, conns: 2 });
      const cpu0 = ticks(join(s.name, 'post'));
      const row = await load(s.stack.port, s.file, seconds);
      // Post workers' CPU per answered post, µs (100 ticks a second).
      const cpuUs = Math.round(((ticks(join(s.name, 'post')) - cpu0) * 1e4) / row.answered);
      const up = await during;
      console.log(JSON.stringify({ round: r + 1, bin: s.name, mode, posts_per_s: Math.round(row.rps), post_worker_cpu_us: cpuUs, p50: row.poll_p50_ms, p99: row.poll_p99_ms, max: row.poll_max_ms, errors: row.errors + row.conn_errors, uploads_per_s: up.per_s, upload_p99: up.p99_ms, upload_errors: up.errors }));
    }
  }
} finally {
  for (const s of stacks) await s.stack.stop();
  rmSync(work, { recursive: true, force: true });
}
