// S1 and S4 on two stacks at once, A and B, whose workers differ only in
// their environment: interleaved rounds (A B A B ...), worker and nginx CPU
// per answer from /proc. For settings that must not cost a request CPU
// (README "Performance", S6). Not part of `make bench`.
//
//   node tests/bench/ab.mjs 'A_ENV=1 ...' 'B_ENV=1 ...' [rounds]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startStack, ROOT } from '../lib/stack.mjs';

const BIN = join(ROOT, 'build', 'bin');
const envOf = (s) => Object.fromEntries((s || '').split(/\s+/).filter(Boolean).map((kv) => kv.split('=')));
const [envA, envB] = [envOf(process.argv[2]), envOf(process.argv[3])];
const ROUNDS = Number(process.argv[4] || 3);
const work = mkdtempSync(join(tmpdir(), 'chat-ab-'));

function load(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(BIN, 'bench_load'), args.map(String), { stdio: ['ignore', 'pipe', 'inherit'] });
    const rows = [];
    createInterface({ input: child.stdout }).on('line', (l) => rows.push(JSON.parse(l)));
    child.on('exit', (code) => (code === 0 ? resolve(rows) : reject(new Error(`bench_load ${code}`))));
  });
}
function pidsOf(stack) {
  const out = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const env = readFileSync(`/proc/${n}/environ`, 'latin1');
      if (env.includes(`CHAT_TEST_STACK=${stack.dir}/`)) out.push(Number(n));
    } catch { /* gone */ }
  }
  return out;
}
function ticks(pids) {
  let t = 0;
  for (const p of pids) {
    try {
      const s = readFileSync(`/proc/${p}/stat`, 'latin1');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch { /* gone */ }
  }
  return t;
}
async function closed(stack, lines, name) {
  const file = join(work, `${name}.req`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const pids = pidsOf(stack);
  const before = ticks(pids);
  const [row] = await load(['closed', stack.port, 32, 3, file]);
  return { rps: row.rps, us: Math.round(((ticks(pids) - before) * 1e6) / 100 / row.answered) };
}

const stacks = [];
try {
  for (const [i, env] of [envA, envB].entries()) {
    const stack = await startStack({ env: { CHAT_WORKER_THREADS: '3', ...env } });
    const dir = join(work, `s${i}`);
    execFileSync('mkdir', ['-p', dir]);
    execFileSync(join(BIN, 'bench_seed'), [stack.db, 3000, 20, 10000, 1000, dir].map(String));
    const users = readFileSync(join(dir, 'users.txt'), 'utf8').trim().split('\n').map((l) => l.split(' '));
    stacks.push({ stack, users });
  }
  const res = { A: { s1: [], s4: [] }, B: { s1: [], s4: [] } };
  for (let r = 0; r < ROUNDS; r += 1) {
    for (const kind of ['s1', 's4']) {
      for (const [k, { stack, users }] of [['A', stacks[0]], ['B', stacks[1]]]) {
        // S1: an empty poll, from the room's newest change (S4 adds some).
        const latest = kind === 's1' ? execFileSync('sqlite3', [stack.db, 'SELECT max(seq) FROM messages WHERE room_id = 2'], { encoding: 'utf8' }).trim() : 0;
        const lines = kind === 's1'
          ? users.filter((u) => u[0] === '2').map((u) => `GET /api/rooms/2/messages?after=${latest} ${u[2]}`)
          : users.map((u) => `POST /api/rooms/${u[0]}/messages ${u[2]} {"text":"ab post %n"}`);
        const x = await closed(stack, lines, `${k}${kind}`);
        res[k][kind].push(x);
        process.stderr.write(`round ${r + 1} ${k} ${kind}: ${Math.round(x.rps)} req/s, ${x.us} us worker CPU/req\n`);
      }
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const kind of ['s1', 's4']) {
    const ratio = med(res.A[kind].map((a, i) => res.B[kind][i].us / a.us));
    console.log(`${kind}: A ${med(res.A[kind].map((x) => x.us))} us/req, B ${med(res.B[kind].map((x) => x.us))} us/req; B/A by CPU (median of rounds) ${ratio.toFixed(3)}`);
  }
} finally {
  for (const { stack } of stacks) await stack.stop();
}
