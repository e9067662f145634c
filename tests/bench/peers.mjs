// `make bench PEERS=1`: Fossil's chat (Debian's `fossil`, its own `fossil
// server` on loopback over a scratch repository) through the same load
// generator in the same run, so the table can give ours/Fossil ratios
// (issue 17). Fossil's server forks a process per connection and closes
// the connection after each answer; its CPU is the server's own and that of
// the children it reaped (cutime + cstime). Its /chat-poll is a long poll:
// asked for messages after the newest it holds the request open (up to its
// chat-poll-timeout), so only the incremental poll (one new message) is
// measured, not an empty one. Posts go to /chat-send as a form, as its page
// sends them.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from '../lib/stack.mjs';

export const FOSSIL = '/usr/bin/fossil';

// utime + stime + cutime + cstime of one process, in clock ticks.
function ticksWithChildren(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

function pssMb(pid) {
  const roll = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
  return +(Number(/^Pss:\s+(\d+)/m.exec(roll)[1]) / 1024).toFixed(1);
}

// Runs the scenarios against Fossil; `load(args)` is run.mjs's bench_load
// runner, `ticks` clock ticks per second.
export async function measureFossil({ work, load, conns, seconds, ticks, say }) {
  const repo = join(work, 'peer.fossil');
  const home = join(work, 'fossil-home');
  const env = { ...process.env, HOME: work, FOSSIL_HOME: home, USER: 'bench' };
  execFileSync(FOSSIL, ['init', repo, '--admin-user', 'bench'], { env, stdio: 'ignore' });
  execFileSync(FOSSIL, ['user', 'password', 'bench', 'bench-pass', '-R', repo], { env, stdio: 'ignore' });
  // Fossil makes its chat table at the first /chat-send, but its web
  // requests may not CREATE ("not authorized" from SQLite's authorizer):
  // made here as chat.c's schema has it.
  execFileSync(FOSSIL, ['sql', '-R', repo, 'CREATE TABLE chat(msgid INTEGER PRIMARY KEY AUTOINCREMENT, '
    + 'mtime JULIANDAY, lmtime TEXT, xfrom TEXT, xmsg TEXT, fname TEXT, fmime TEXT, mdel INT, file BLOB);'],
  { env, stdio: 'ignore' });
  const port = await freePort();
  const server = spawn(FOSSIL, ['server', '--port', String(port), '--localhost', repo],
    { env, stdio: 'ignore', detached: true });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(`${base}/`)).status < 500, 10000, 'fossil server');
    const login = await fetch(`${base}/login`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'u=bench&p=bench-pass',
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    if (!cookie.includes('=')) throw new Error(`fossil login gave no cookie (${login.status})`);
    const send = (msg) => fetch(`${base}/chat-send`, {
      method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: `msg=${encodeURIComponent(msg)}`,
    });
    for (let i = 0; i < 100; i += 1) {
      const r = await send(`history ${i}`);
      if (r.status !== 200) throw new Error(`fossil chat-send answered ${r.status}: ${await r.text()}`);
    }
    const all = await (await fetch(`${base}/chat-poll?before=1000000000&n=1`, { headers: { cookie } })).json();
    const latest = Math.max(...all.msgs.map((m) => m.msgid));
    const idle = pssMb(server.pid);
    const run = async (name, lines) => {
      const file = join(work, `fossil-${name}.req`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const before = ticksWithChildren(server.pid);
      const [row] = await load(['closed', port, conns, seconds, file]);
      row.server_cpu_us = Math.round(((ticksWithChildren(server.pid) - before) * 1e6) / ticks / row.answered);
      say(`Fossil ${name}: ${row.rps.toFixed(0)} req/s, p50 ${row.poll_p50_ms} ms, errors ${row.errors + row.conn_errors}, server CPU ${row.server_cpu_us} us/req`);
      return row;
    };
    const raw = `raw:${cookie}`;
    const poll = await run('poll with one new message', [`GET /chat-poll?name=${latest - 1} ${raw}`]);
    const posts = await run('posts', [`POSTFORM /chat-send ${raw} msg=bench+post+%n`]);
    const version = /version (\S+)/.exec(execFileSync(FOSSIL, ['version'], { encoding: 'utf8' }))?.[1] ?? '?';
    return { version, poll, posts, idle_pss_mb: idle };
  } finally {
    try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
  }
}
