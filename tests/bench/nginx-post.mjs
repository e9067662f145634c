// Why a POST costs nginx more than a GET (issue 17): nginx's CPU per answer
// for an empty poll (S1), a post (S4), a post the worker refuses at once
// (400 invalid_text: the same address, body and FastCGI exchange, no commit
// and no doorbell) and a post on a second stack without push (CHAT_PUSH=0:
// no doorbell request into nginx), and there with synchronous=NORMAL (no
// fsync: the answer as quick as a poll's), in interleaved rounds, each figure the
// median round. CPU is each process's sum_exec_runtime (/proc/PID/schedstat,
// the utime+stime of /proc/PID/stat in nanoseconds instead of ticks,
// summed over each process's threads).
// Loopback only; both stacks are stopped by pid at the end.
//
//   node tests/bench/nginx-post.mjs [--rounds N] [--seconds S] [--conns C]
//     [--nginx-processes N]  (nginx worker processes; default: one a core)
//     [--old-bin DIR]  (a third stack, push on, running the programs built
//                       in DIR: the code before a change, interleaved)
//     [--hold]  (keeps the stacks up after the rounds and prints their pids,
//                for `perf record` / `strace -c`; Ctrl-C stops them)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startStack, ROOT } from '../lib/stack.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg('rounds', 5);
const SECONDS = arg('seconds', 3);
const CONNS = arg('conns', 16);
const HOLD = process.argv.includes('--hold');
const OLD_BIN = process.argv.includes('--old-bin') ? process.argv[process.argv.indexOf('--old-bin') + 1] : '';
const BIN = join(ROOT, 'build', 'bin');
const work = mkdtempSync(join(tmpdir(), 'chat-ngxpost-'));
const say = (s) => process.stderr.write(`nginx-post: ${s}\n`);

function load(port, lines, conns = CONNS) {
  const file = join(work, 'req.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(join(BIN, 'bench_load'), ['closed', port, conns, SECONDS, file].map(String),
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const rows = [];
    createInterface({ input: child.stdout }).on('line', (l) => rows.push(JSON.parse(l)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(rows[0]) : reject(new Error(`bench_load exited ${code}`))));
  });
}

// Nanoseconds of CPU the processes ran, all their threads (each task's
// schedstat, first field: the workers have accepting threads).
const cpuNs = (pids) => pids.reduce((a, pid) => {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((b, t) => b + Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'latin1').split(' ')[0]), a);
  } catch { return a; }
}, 0);

const PROGRAMS = new Set(['auth', 'rooms', 'post', 'poll', 'search', 'files']);

function pidsOf(stack) {
  const master = Number(readFileSync(join(stack.dir, 'run', 'nginx.pid'), 'utf8').trim());
  const all = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  const ppid = (p) => Number(readFileSync(`/proc/${p}/stat`, 'latin1').split(') ')[1].split(' ')[1]);
  const nginx = all.filter((p) => { try { return ppid(p) === master; } catch { return false; } }).map(Number);
  const workers = all.filter((p) => {
    try {
      const exe = readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0')[0];
      return PROGRAMS.has(exe.slice(exe.lastIndexOf('/') + 1))
        && readFileSync(`/proc/${p}/environ`, 'latin1').includes(`CHAT_TEST_STACK=${stack.dir}/workers`);
    } catch { return false; }
  }).map(Number);
  return { nginx, workers };
}

async function measure(stack, name, lines, conns) {
  const { nginx, workers } = pidsOf(stack);
  const before = [cpuNs(nginx), cpuNs(workers)];
  const row = await load(stack.port, lines, conns);
  const us = (ns) => +(ns / 1000 / row.answered).toFixed(1);
  const r = { name, rps: Math.round(row.rps), errors: row.errors + row.conn_errors, first_error: row.first_error_status,
    nginx_us: us(cpuNs(nginx) - before[0]), workers_us: us(cpuNs(workers) - before[1]) };
  say(`${name}: ${r.rps}/s, nginx ${r.nginx_us} us, workers ${r.workers_us} us per answer, non-2xx ${r.errors}`);
  return r;
}

const env = { CHAT_POST_BURST: '1000000000', CHAT_POST_RATE: '1000000000',
  ...(arg('nginx-processes', 0) ? { CHAT_NGINX_PROCESSES: String(arg('nginx-processes', 0)) } : {}) };
const stacks = {};
try {
  stacks.push = await startStack({ env });
  stacks.nopush = await startStack({ env: { ...env, CHAT_PUSH: '0' } });
  // The same posts answered without waiting for the disk (synchronous=NORMAL:
  // no fsync per commit), so they come back as quickly as polls do.
  stacks.fast = await startStack({ env: { ...env, CHAT_PUSH: '0', CHAT_SYNCHRONOUS: 'NORMAL' } });
  if (OLD_BIN) stacks.old = await startStack({ env: { ...env, CHAT_BIN: OLD_BIN } });
  const users = {};
  for (const [k, s] of Object.entries(stacks)) {
    const dir = join(work, k);
    execFileSync('mkdir', ['-p', dir]);
    execFileSync(join(BIN, 'bench_seed'), [s.db, 2000, 10, 10000, 1000, dir].map(String));
    users[k] = readFileSync(join(dir, 'users.txt'), 'utf8').trim().split('\n').map((l) => l.split(' '))
      .map(([room, cursor, cookie]) => ({ room, cursor, cookie }));
  }
  // Polls read room 2 and posts go to room 3, so every poll stays empty.
  const poll = (k) => users[k].filter((u) => u.room === '2').map((u) => `GET /api/rooms/${u.room}/messages?after=${u.cursor} ${u.cookie}`);
  const post = (k, text) => users[k].filter((u) => u.room === '3').map((u) => `POST /api/rooms/${u.room}/messages ${u.cookie} {"text":"${text}"}`);
  const variants = [
    ['S1 poll (GET)', 'push', poll('push')],
    ['S4 post', 'push', post('push', 'bench post %n')],
    ['post refused (400)', 'push', post('push', '')],
    ['S1 poll, one connection', 'push', poll('push'), 1],
    ['S1 poll, push off', 'nopush', poll('nopush')],
    ['S4 post, push off', 'nopush', post('nopush', 'bench post %n')],
    ['S4 post, push off, synchronous=NORMAL', 'fast', post('fast', 'bench post %n')],
    ...(OLD_BIN ? [['S4 post, old programs', 'old', post('old', 'bench post %n')]] : []),
  ];
  const results = Object.fromEntries(variants.map(([n]) => [n, []]));
  for (let i = 0; i < ROUNDS; i += 1) {
    for (const [name, k, lines, conns] of variants) results[name].push(await measure(stacks[k], `${name}, round ${i + 1}`, lines, conns));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log('| variant | req/s | nginx µs/answer | workers µs/answer | non-2xx |\n|---|---:|---:|---:|---:|');
  for (const [name, rows] of Object.entries(results)) {
    console.log(`| ${name} | ${median(rows.map((r) => r.rps))} | ${median(rows.map((r) => r.nginx_us))} (${rows.map((r) => r.nginx_us).join(', ')}) | ${median(rows.map((r) => r.workers_us))} | ${rows.reduce((a, r) => a + r.errors, 0)} |`);
  }
  console.log(`load average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  if (HOLD) {
    for (const [k, s] of Object.entries(stacks)) {
      const p = pidsOf(s);
      console.log(`${k}: port ${s.port}, nginx workers ${p.nginx.join(',')}, FastCGI workers ${p.workers.join(',')}, requests ${join(work, k)}`);
    }
    for (const [k] of Object.entries(stacks)) {
      writeFileSync(join(work, `${k}-poll.txt`), `${poll(k).join('\n')}\n`);
      writeFileSync(join(work, `${k}-post.txt`), `${post(k, 'bench post %n').join('\n')}\n`);
    }
    console.log(`request files in ${work}; Ctrl-C stops the stacks`);
    await new Promise((resolve) => { process.on('SIGINT', resolve); process.on('SIGTERM', resolve); });
  }
} finally {
  for (const s of Object.values(stacks)) await s.stop();
  rmSync(work, { recursive: true, force: true });
}
