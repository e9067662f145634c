// `make bench`: starts the real stack (conf/run.sh: nginx + the FastCGI
// workers, through tests/lib/stack.mjs) on a scratch database, seeds it with
// bench_seed, measures the scenarios of issue #4 with bench_load (and S7,
// push latency, of issue #7 with bench_subscribe: s7.mjs), prints one
// table and writes it as JSON to tests/bench/results.json (results-quick.json
// with --quick). Every ratio is taken against baselines measured in the same
// run on the same nginx: a hello-world FastCGI program with the same worker
// count, and a small static file. Each figure with a target is then marked
// met or MISSED (targets.mjs), and the count of misses ends the output and
// goes into the JSON ("targets"). Loopback only; every process it starts is
// stopped by pid.
//
//   node tests/bench/run.mjs [--quick]
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startStack, ROOT, waitFor } from '../lib/stack.mjs';
import { measurePush, NCHAN_MODULE } from './s7.mjs';
import { seedRoomList, seedUnread, S9_USER, S9_VISIBLE } from './s9.mjs';
import { compareTargets, targetLines } from './targets.mjs';
import { benchFiles, uploadRate } from './files.mjs';
import { measureFossil, FOSSIL } from './peers.mjs';
import { programMemory, s6Lines } from './s6.mjs';
import { PROGRAMS } from '../lib/procs.mjs';

const QUICK = process.argv.includes('--quick');
const PEERS = process.argv.includes('--peers');
// --search: seed, then S10 (search) only (a few minutes instead of the whole
// bench), written to results-search.json.
const SEARCH_ONLY = process.argv.includes('--search');
// --post-cost: seed a small database, then S4 three times on the same stack:
// with the search index as it is (detail=none), with the index rebuilt with
// positions (detail=full, as first written), and with no index (triggers
// dropped); written to results-post-cost.json. Not part of `make bench`.
const POST_COST = process.argv.includes('--post-cost');
// --s11: seed a small database, then S11 only (a post naming 50 people
// against the same post without '@'), 7 rounds, written to
// results-s11.json. Not part of `make bench`.
const S11_ONLY = process.argv.includes('--s11');
// --s6: QUICK's scenarios up to S5 and S6, without the baselines, the disk
// probe and S7 (nothing that a worker serves is left out), then the workers'
// memory per program and where it sits (s6.mjs): S6 as `make bench QUICK=1`
// measures it, taken apart, in about two minutes. Written to results-s6.json.
const S6_ONLY = process.argv.includes('--s6');
const BIN = join(ROOT, 'build', 'bin');
// The chat's programs: CHAT_BIN (as conf/run.sh reads it) lets a run measure
// another build's workers with this tree's tools, e.g. before and after a
// change, alternately (README "Performance").
const WORKER_BIN = process.env.CHAT_BIN || BIN;
const P = POST_COST
  ? { users: 1000, rooms: 100, big: 100_000, small: 1000, seconds: 4, conns: 32, rounds: 3 }
  : S11_ONLY
  ? { users: 1000, rooms: 100, big: 10_000, small: 100, seconds: 3, conns: 1, rounds: 7 }
  : SEARCH_ONLY
  ? { users: 1000, rooms: 100, big: QUICK ? 100_000 : 1_000_000, small: 1000, seconds: 4, conns: 32, rounds: 1 }
  : QUICK || S6_ONLY
  ? { users: 3000, rooms: 100, big: 100_000, small: 1000, seconds: 3, conns: 32, rounds: 1, levels: '500,1000,2000', levelSeconds: 7 }
  : { users: 30_000, rooms: 100, big: 1_000_000, small: 1000, seconds: 4, conns: 64, rounds: 5,
      levels: '1000,2000,5000,10000,15000,20000,25000,30000', levelSeconds: 15 };
// S7 push latency: subscribers per run (each on a fresh stack; see s7.mjs).
const S7_SIZES = QUICK ? [1000] : [1000, 10000];
const WORKERS = Number(process.env.CHAT_WORKERS || 2);
// The files program's own count (conf/run.sh CHAT_FILES_WORKERS).
const FILES_WORKERS = Number(process.env.CHAT_FILES_WORKERS || 1);
// Accepting threads per worker, and the keepalive pool conf/run.sh derives
// from them (0: connections closed after each request).
const THREADS = Number(process.env.CHAT_WORKER_THREADS || 3);
const NGINX_PROCESSES = Number(process.env.CHAT_NGINX_PROCESSES) || cpus().length;
const KEEP = Math.floor((WORKERS * THREADS) / (2 * NGINX_PROCESSES));

const work = mkdtempSync(join(tmpdir(), 'chat-bench-'));
const say = (s) => process.stderr.write(`bench: ${s}\n`);

// Runs bench_load and returns its JSON lines (open mode prints one per level).
function load(args, onChild = () => {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(BIN, 'bench_load'), args.map(String), { stdio: ['ignore', 'pipe', 'inherit'] });
    onChild(child);
    const rows = [];
    createInterface({ input: child.stdout }).on('line', (line) => rows.push(JSON.parse(line)));
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 || signal ? resolve(rows) : reject(new Error(`bench_load exited ${code}`))));
  });
}

// S5 with more users than one process may hold sockets for (the open-file
// limit, 20,000 here, cannot be raised without CAP_SYS_RESOURCE): the users
// are dealt to several bench_load processes, and a level's figures are their
// sum (counts) and their worst (p50, p99, max: an upper bound of the true
// percentile). When one generator stops (its part missed the mark), the
// others are stopped: their later levels would be incomplete.
async function openLoop(port, users, levels, seconds) {
  const perProcess = 15000;
  const most = Math.max(...levels.split(',').map(Number));
  const k = Math.max(1, Math.ceil(most / perProcess));
  const children = [];
  const runs = [];
  for (let i = 0; i < k; i += 1) {
    const file = join(work, `vusers-${i}.txt`);
    writeFileSync(file, `${users.filter((_, j) => j % k === i).join('\n')}\n`);
    const share = levels.split(',').map((l) => Math.ceil(Number(l) / k)).join(',');
    runs.push(load(['open', port, file, share, seconds], (c) => children.push(c)).finally(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    }));
  }
  const parts = await Promise.all(runs);
  const n = Math.min(...parts.map((p) => p.length));
  const rows = [];
  for (let level = 0; level < n; level += 1) {
    const ps = parts.map((p) => p[level]);
    const sum = (key) => ps.reduce((a, p) => a + p[key], 0);
    const worst = (key) => Math.max(...ps.map((p) => p[key]));
    const row = { label: 'open', generators: k, seconds: ps[0].seconds };
    for (const key of ['users', 'connections', 'ok', 'errors', 'conn_errors', 'rps', 'polls', 'posts', 'messages_seen']) row[key] = sum(key);
    for (const key of ['poll_p50_ms', 'poll_p99_ms', 'poll_max_ms', 'post_p50_ms', 'post_p99_ms', 'seen_p50_ms', 'seen_p99_ms']) row[key] = worst(key);
    row.first_error_status = worst('first_error_status');
    say(`  ${row.users} users: ${Math.round(row.polls / row.seconds)} polls/s, p99 ${row.poll_p99_ms} ms, errors ${row.errors + row.conn_errors}${row.errors ? ` (first ${row.first_error_status})` : ''}`);
    rows.push(row);
  }
  return rows;
}

async function closed(port, name, lines, conns = P.conns) {
  const file = join(work, `${name}.req`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const { nginx, workers } = serverPids();
  const before = [cpuTicks(nginx), cpuTicks(workers)];
  const [row] = await load(['closed', port, conns, P.seconds, file]);
  // CPU time the server (nginx and every FastCGI worker) spent per answer:
  // unlike req/s, other people's load on the machine barely moves it.
  const us = (ticks) => Math.round((ticks * 1e6) / TICKS / row.answered);
  row.nginx_cpu_us = us(cpuTicks(nginx) - before[0]);
  row.worker_cpu_us = us(cpuTicks(workers) - before[1]);
  row.server_cpu_us = row.nginx_cpu_us + row.worker_cpu_us;
  say(`${name}: ${row.rps.toFixed(0)} req/s, p50 ${row.poll_p50_ms} ms, p99 ${row.poll_p99_ms} ms, errors ${row.errors + row.conn_errors}, server CPU ${row.server_cpu_us} us/req (nginx ${row.nginx_cpu_us}, workers ${row.worker_cpu_us})`);
  return row;
}

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
let serverPids = () => ({ nginx: [], workers: [] });

// utime + stime of the processes, in clock ticks.
function cpuTicks(pids) {
  let sum = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      sum += Number(f[11]) + Number(f[12]);
    } catch { /* gone */ }
  }
  return sum;
}

// Memory of processes in MB: the sum of their resident sizes (RSS, which
// counts a shared library once per process), their proportional share (PSS:
// each shared page divided among the processes mapping it, so the sum is what
// they take together) and their private pages (USS).
function memory(pids) {
  const kb = { rss: 0, pss: 0, uss: 0 };
  for (const pid of pids) {
    try {
      const roll = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
      const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(roll)[1]);
      kb.rss += field('Rss');
      kb.pss += field('Pss');
      kb.uss += field('Private_Clean') + field('Private_Dirty');
    } catch { /* gone */ }
  }
  const mb = (x) => +(x / 1024).toFixed(1);
  return { processes: pids.length, rss_mb: mb(kb.rss), pss_mb: mb(kb.pss), uss_mb: mb(kb.uss) };
}

function pidsWhere(test) {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
    try { return test(n); } catch { return false; }
  }).map(Number);
}

function childrenOf(parent) {
  return pidsWhere((pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
  });
}

// The stack's nginx and its workers of `names`: by default every program's
// (S6 counts them all: files too since issue 17, measured where the others
// are, after S5, its workers idle since S12 as they mostly are in use).
function stackPids(stack, names = PROGRAMS) {
  const programs = new Set(names);
  const workers = pidsWhere((pid) => {
    const exe = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0];
    return exe.startsWith(WORKER_BIN) && programs.has(exe.slice(WORKER_BIN.length + 1))
      && readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`CHAT_TEST_STACK=${stack.dir}/workers`);
  });
  const master = Number(readFileSync(join(stack.dir, 'run', 'nginx.pid'), 'utf8').trim());
  const nginx = [master, ...childrenOf(master)];
  return { workers, nginx };
}

// The newest change number of each room: the cursor of a reader who has everything.
function latestByRoom(db) {
  const out = execFileSync('sqlite3', [db, 'SELECT room_id, max(seq) FROM messages GROUP BY room_id'], { encoding: 'utf8' });
  return new Map(out.trim().split('\n').map((l) => l.split('|').map(Number)));
}

function machine() {
  const cpu = cpus();
  let kernel = '';
  try { kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(); } catch { /* none */ }
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memory_gb: +(totalmem() / 2 ** 30).toFixed(1),
    kernel,
    // Others share this machine: its load average says how quiet it was.
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
    sqlite: execFileSync('sqlite3', ['--version'], { encoding: 'utf8' }).split(' ')[0],
    nginx: spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim(),
  };
}

async function main() {
  const started = Date.now();
  const box = machine();
  // The hello-world baselines: same spawn-fcgi + multiwatch, same worker
  // count. "hello" opens a FastCGI connection per request, as every program
  // did before issue 17; "hello_keep" is configured the way conf/run.sh
  // configures the chat's programs: THREADS accepting threads per worker and
  // nginx keeping connections open (fastcgi_keep_conn, an upstream keepalive
  // pool of the size run.sh gives the programs').
  const helloSock = join(work, 'hello.sock');
  const helloKeepSock = join(work, 'hello-keep.sock');
  const hello = spawn('spawn-fcgi', ['-n', '-s', helloSock, '-M', '0600', '--', '/usr/bin/multiwatch',
    '-f', String(WORKERS), '--', join(BIN, 'bench_hello')], { stdio: 'ignore', detached: true });
  const helloKeep = spawn('spawn-fcgi', ['-n', '-s', helloKeepSock, '-M', '0600', '--', '/usr/bin/multiwatch',
    '-f', String(WORKERS), '--', join(BIN, 'bench_hello'), String(THREADS)], { stdio: 'ignore', detached: true });
  const extra = join(work, 'extra.conf');
  writeFileSync(extra, `location = /bench/hello {\n  include ${ROOT}/conf/fastcgi-params.conf;\n  fastcgi_keep_conn off;\n  fastcgi_pass unix:${helloSock};\n}\n`
    + `location = /bench/hello-keep {\n  include ${ROOT}/conf/fastcgi-params.conf;\n  fastcgi_keep_conn ${KEEP ? 'on' : 'off'};\n  fastcgi_pass bench_hello_keep;\n}\n`);
  const extraHttp = join(work, 'extra-http.conf');
  writeFileSync(extraHttp, `upstream bench_hello_keep {\n  server unix:${helloKeepSock};\n  ${KEEP ? `keepalive ${KEEP};` : ''}\n}\n`);
  let stack;
  try {
    stack = await startStack({ env: { CHAT_NGINX_EXTRA: extra, CHAT_NGINX_EXTRA_HTTP: extraHttp, CHAT_NGINX_CONNECTIONS: '24000',
      CHAT_WORKERS: String(WORKERS), CHAT_WORKER_THREADS: String(THREADS),
      CHAT_UPLOAD_BURST: '1000000000', CHAT_UPLOADS_PER_MINUTE: '1000000000',
      CHAT_SEARCH_RATE: '1000000r/s', CHAT_SEARCH_BURST: '1000000',
      CHAT_SEARCH_ADDR_RATE: '1000000r/s', CHAT_SEARCH_ADDR_BURST: '1000000' } });
    const port = stack.port;
    await waitFor(async () => (await fetch(`${stack.base}/bench/hello`)).status === 200, 10000, 'hello baseline');
    await waitFor(async () => (await fetch(`${stack.base}/bench/hello-keep`)).status === 200, 10000, 'hello baseline, kept connections');
    serverPids = () => {
      const { workers, nginx } = stackPids(stack);
      return { nginx, workers: [...workers, ...childrenOf(hello.pid), ...childrenOf(helloKeep.pid)] };
    };
    say(`stack on ${stack.base}; seeding ${P.users} users, ${P.rooms} rooms, ${P.big} + ${P.rooms - 1} x ${P.small} messages`);
    const seed = JSON.parse(execFileSync(join(BIN, 'bench_seed'),
      [stack.db, P.users, P.rooms, P.big, P.small, work].map(String), { encoding: 'utf8' }));
    say(`seeded in ${seed.seconds} s`);
    const users = readFileSync(join(work, 'users.txt'), 'utf8').trim().split('\n').map((l) => {
      const [room, cursor, cookie] = l.split(' ');
      return { room: Number(room), cursor: Number(cursor), cookie };
    });
    const inRoom = (r) => users.filter((u) => u.room === r);
    if (POST_COST) return await postCost(stack, port, users, { seed, box });
    if (S11_ONLY) return s11Only(await measureS11(port, users, P.rounds), { seed, box });
    // S8's room (3, 1,000 messages) after EDITS edits, made as the edit
    // handler makes them (core/feed.h): each takes the next number of the
    // one sequence and becomes its message's seq, cycling through the room,
    // so its messages end with the last 1,000 numbers and the counter moved
    // on by EDITS. Its readers poll from the newest change number: an empty
    // poll of a room whose history was edited 10 times over.
    const EDITS = 10_000;
    execFileSync('sqlite3', [stack.db], { input: `BEGIN IMMEDIATE;
      UPDATE sqlite_sequence SET seq = seq + ${EDITS} WHERE name = 'messages';
      UPDATE messages SET edited_at = created_at + 1000,
        seq = (SELECT seq FROM sqlite_sequence WHERE name = 'messages')
              - (SELECT count(*) FROM messages n WHERE n.room_id = 3 AND n.id > messages.id)
        WHERE room_id = 3;
      COMMIT;` });
    const s8Cursor = latestByRoom(stack.db).get(3);
    seedRoomList(stack.db, P.rooms, P.users);
    const s9Cookie = users[S9_USER - 1].cookie;
    const s9List = await (await fetch(`${stack.base}/api/rooms`, { headers: { cookie: `chat_session=${s9Cookie}` } })).json();
    if (s9List.rooms?.length !== S9_VISIBLE) throw new Error(`S9: the room list has ${s9List.rooms?.length} rooms, not ${S9_VISIBLE}: ${JSON.stringify(s9List).slice(0, 300)}`);
    const s9Want = seedUnread(stack.db, P.rooms);
    const s9Counted = await (await fetch(`${stack.base}/api/rooms`, { headers: { cookie: `chat_session=${s9Cookie}` } })).json();
    const sum = (k) => s9Counted.rooms.reduce((a, x) => a + x[k], 0);
    if (sum('unread') !== s9Want.unread || sum('mentions') !== s9Want.mentions) {
      throw new Error(`S9: the list counts ${sum('unread')} unread and ${sum('mentions')} mentions, not ${s9Want.unread} and ${s9Want.mentions}`);
    }
    const poll = (u, after) => `GET /api/rooms/${u.room}/messages?after=${after} ${u.cookie}`;
    const anyCookie = users[0].cookie;
    const rows = {};
    // The machine is shared and noisy: the baseline and the polls run
    // back to back in each round, and each figure is the median round.
    const rounds = [];
    for (let i = 0; i < (SEARCH_ONLY ? 0 : P.rounds); i += 1) {
      const r = {};
      if (!S6_ONLY) {
        r.hello = await closed(port, 'hello', [`GET /bench/hello ${anyCookie}`]);
        r.hello_keep = await closed(port, 'hello, kept connections', [`GET /bench/hello-keep ${anyCookie}`]);
        r.static = await closed(port, 'static', [`GET /favicon.svg ${anyCookie}`]);
      }
      r.s1 = await closed(port, 'S1 empty poll (1,000-message room)', inRoom(2).map((u) => poll(u, u.cursor)));
      r.s2 = await closed(port, 'S2 poll with one new message', inRoom(2).map((u) => poll(u, u.cursor - 1)));
      r.s3 = await closed(port, `S3 empty poll (${P.big.toLocaleString('en')}-message room)`, inRoom(1).map((u) => poll(u, u.cursor)));
      r.s8 = await closed(port, `S8 empty poll after ${EDITS.toLocaleString('en')} edits (1,000-message room)`, inRoom(3).map((u) => poll(u, s8Cursor)));
      // One connection: S9 is one person's wait for their list (32 at once
      // would measure the queue in front of two workers instead).
      r.s9 = await closed(port, `S9 room list (${S9_VISIBLE} rooms: open, private, direct; with unread counts), one connection`, [`GET /api/rooms ${s9Cookie}`], 1);
      rounds.push(r);
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const medianRow = (key) => {
      const rps = median(rounds.map((r) => r[key].rps));
      return rounds.find((r) => r[key].rps === rps)[key];
    };
    if (!SEARCH_ONLY && !S6_ONLY) for (const key of ['hello', 'hello_keep', 'static', 's1', 's2', 's3', 's8', 's9']) rows[key] = medianRow(key);
    const ratio = (a, b) => +median(rounds.map((r) => r[a].rps / r[b].rps)).toFixed(3);
    // The same ratios from server CPU per answer (b's cost over a's).
    const cpuRatio = (a, b) => +median(rounds.map((r) => r[b].server_cpu_us / r[a].server_cpu_us)).toFixed(3);
    // S10 (issue 15), first two: search in the big room (room 1, P.big messages, every
    // one indexed by the trigram FTS5 index as the seed inserted it). A rare
    // phrase (one message: "message N in", N different on each line) and a
    // common pair of words (every message matches; the newest 20 are read).
    // SEARCHERS connections, not P.conns: a search is something a person
    // does now and then, not every 2 s, so a few at the same instant is the
    // realistic load; 32 would measure the queue in front of 2 workers.
    const SEARCHERS = 4;
    const searchers = inRoom(1).slice(0, 200);
    rows.s10_phrase = await closed(port, `S10 search, rare phrase (${P.big.toLocaleString('en')}-message room)`,
      searchers.map((u, i) => `GET /api/search?q=%22message%20${(i * 7919) % P.big}%20in%22&room=1 ${u.cookie}`), SEARCHERS);
    rows.s10_words = await closed(port, `S10 search, common words (${P.big.toLocaleString('en')}-message room)`,
      searchers.map((u) => `GET /api/search?q=chat%20line&room=1 ${u.cookie}`), SEARCHERS);
    // S10 (issue 15), the rest: four kinds of query, in the big room and over the
    // whole seeded database (the seed's 100 rooms are open; S9's private and
    // direct rooms are not the searcher's, and the access rule skips them):
    // a rare word (in 10 messages of the big room and
    // one of each small room: seed.cc), a common word (every message), a
    // three-character fragment (inside "long": every message) and a word in
    // no message (a trigram of it is in no message, so the index answers
    // alone). Then the index's size as a share of the database file
    // (dbstat: https://sqlite.org/dbstat.html).
    const s10 = { rows: [], index: indexShare(stack.db) };
    const S10_QUERIES = [['rare word', 'quokka'], ['common word', 'chat'], ['three-character fragment', 'ong'], ['no match', 'xylophone']];
    for (const [scope, param] of [[`${f(P.big)}-message room`, '&room=1'], ['whole database', '']]) {
      for (const [kind, q] of S10_QUERIES) {
        const row = await closed(port, `S10 search, ${kind} "${q}" (${scope})`,
          searchers.map((u) => `GET /api/search?q=${q}${param} ${u.cookie}`), SEARCHERS);
        s10.rows.push({ scope, kind, q, ...row });
      }
    }
    s10.worst_p99_ms = Math.max(...s10.rows.map((x) => x.poll_p99_ms));
    say(`S10: index ${s10.index.index_mb} MB of ${s10.index.database_mb} MB (${s10.index.share_percent} %); worst p99 ${s10.worst_p99_ms} ms`);
    if (SEARCH_ONLY) {
      const result = { when: new Date().toISOString(), command: `node tests/bench/run.mjs --search${QUICK ? ' --quick' : ''}`,
        machine: { ...box, loadavg_after: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number) },
        params: { ...P, workers_per_program: WORKERS }, seed, closed: rows, s10 };
      const out = join(ROOT, 'tests', 'bench', 'results-search.json');
      writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
      console.log(searchLines(result).join('\n'));
      console.log(`\n(JSON: ${out})`);
      return;
    }
    // PEERS=1: Fossil's chat through the same generator, now (peers.mjs).
    let peers = null;
    if (PEERS) {
      if (existsSync(FOSSIL)) {
        try {
          const fossil = await measureFossil({ work, load, conns: P.conns, seconds: P.seconds, ticks: TICKS, say });
          const mem = memory(stackPids(stack).workers);
          const ours = { workers_pss_mb: mem.pss_mb, workers: mem.processes };
          peers = { fossil, ours, ratios: {
            poll_with_news_rps: +(rows.s2.rps / fossil.poll.rps).toFixed(1),
            poll_with_news_cpu: +(fossil.poll.server_cpu_us / rows.s2.server_cpu_us).toFixed(1),
          } };
        } catch (e) {
          say(`!!! PEERS failed, the rest goes on: ${e.message} !!!`);
        }
      } else {
        say(`!!! SKIPPED PEERS: ${FOSSIL} is missing (apt-get install fossil) !!!`);
      }
    }
    rows.s4 = await closed(port, 'S4 posts', users.map((u) => `POST /api/rooms/${u.room}/messages ${u.cookie} {"text":"bench post %n"}`));
    // S12 files (issue 16, tests/bench/files.mjs): uploads per second, then
    // S4's posts again while 5 MB uploads run beside them: an upload holds
    // no write transaction while it is received, decoded or written.
    const blobs = benchFiles();
    const up = (bytes, name) => uploadRate({ base: stack.base, users: users.slice(0, 200), bytes, name, seconds: P.seconds, conns: 4 });
    const s12 = {};
    for (const [key, name] of [['kb100', 'a.bin'], ['mb5', 'b.bin'], ['photo', 'photo.jpg']]) {
      s12[key] = await up(blobs[key], name);
      say(`S12 uploads ${key} (${blobs[key].length} bytes): ${s12[key].per_s}/s (${s12[key].mb_per_s} MB/s), p50 ${s12[key].p50_ms} ms, p99 ${s12[key].p99_ms} ms, errors ${s12[key].errors}${s12[key].first_error ? ` (first ${s12[key].first_error})` : ''}`);
    }
    const during = uploadRate({ base: stack.base, users: users.slice(0, 200), bytes: blobs.mb5, name: 'b.bin', seconds: P.seconds + 1, conns: 2 });
    rows.s4_during_uploads = await closed(port, 'S4 posts while 5 MB uploads run', users.map((u) => `POST /api/rooms/${u.room}/messages ${u.cookie} {"text":"bench post %n"}`));
    s12.mb5_beside_posts = await during;
    // The files workers right after 5 MB uploads (libvips and the bodies live there only).
    s12.files_memory = memory(stackPids(stack, ['files']).workers);
    say(`S12: post p99 ${rows.s4.poll_p99_ms} ms alone, ${rows.s4_during_uploads.poll_p99_ms} ms beside ${s12.mb5_beside_posts.per_s} uploads/s of 5 MB`);
    const s11 = await measureS11(port, users, Math.max(3, P.rounds));
    rows.s11_plain = s11.plain;
    rows.s11_mentions = s11.mentions;
    rows.s11_others = s11.others;
    const s11Cost = s11.cost;
    const s11CpuCost = s11.cpu_cost;
    const s11Others = [s11.others_cost, s11.others_cpu_cost];
    // What the disk allows: S4 cannot beat durable commits/s (see commits.cc).
    const commits = {};
    for (const sync of S6_ONLY ? [] : ['FULL', 'NORMAL']) {
      commits[sync] = JSON.parse(execFileSync(join(BIN, 'bench_commits'),
        [join(work, `commits-${sync}.db`), QUICK ? 1 : 3, sync], { encoding: 'utf8' })).commits_per_s;
    }
    say(`disk: ${commits.FULL} commits/s with synchronous=FULL, ${commits.NORMAL} with NORMAL`);
    if (peers) {
      peers.ratios.posts_rps = +(rows.s4.rps / peers.fossil.posts.rps).toFixed(1);
      peers.ratios.posts_cpu = +(peers.fossil.posts.server_cpu_us / rows.s4.server_cpu_us).toFixed(1);
    }
    // S5 starts from the cursors as they are after S4.
    const latest = latestByRoom(stack.db);
    say(`S5 virtual users, levels ${P.levels}, ${P.levelSeconds} s each`);
    const levels = await openLoop(port, users.map((u) => `${u.room} ${latest.get(u.room) ?? 0} ${u.cookie}`),
      P.levels, P.levelSeconds);
    const passed = levels.filter((l) => l.errors === 0 && l.conn_errors === 0 && l.poll_p99_ms < 100);
    const pids = stackPids(stack);
    const mem = { workers: memory(pids.workers), nginx: memory(pids.nginx),
      by_program: Object.fromEntries(PROGRAMS.map((name) => [name, memory(stackPids(stack, [name]).workers)])) };
    const best = passed.at(-1) ?? null;
    if (S6_ONLY) return s6Report(stack, { seed, box, levels });
    // S7 on stacks of its own (one room, N subscribers): this one goes first.
    await stack.stop();
    stack = null;
    const s7 = [];
    if (existsSync(NCHAN_MODULE)) {
      for (const n of S7_SIZES) s7.push(await measurePush(n, { say }));
    } else {
      say(`!!! SKIPPED S7: ${NCHAN_MODULE} is missing (make deps installs libnginx-mod-nchan) !!!`);
    }
    const result = {
      when: new Date().toISOString(),
      command: QUICK ? 'make bench QUICK=1' : 'make bench',
      machine: { ...box, loadavg_after: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number) },
      params: { ...P, workers_per_program: WORKERS, files_workers: FILES_WORKERS, threads_per_worker: THREADS, nginx_keepalive: KEEP },
      seed,
      closed: rows,
      rounds,
      sqlite_commits_per_s: commits,
      s5_levels: levels,
      s5_best: best,
      s6_memory: mem,
      s7_push: s7,
      s12_files: s12,
      peers,
      s10,
      ratios: {
        s1_vs_hello: ratio('s1', 'hello'),
        s2_vs_hello: ratio('s2', 'hello'),
        s3_big_vs_small: ratio('s3', 's1'),
        s8_edited_vs_s1: ratio('s8', 's1'),
        s9_room_list_vs_s1: ratio('s9', 's1'),
        s11_mentions_cost: s11Cost,
        s11_others_cost: s11Others[0],
        // Against the hello configured as the chat is (kept connections).
        s1_vs_hello_keep: ratio('s1', 'hello_keep'),
        s2_vs_hello_keep: ratio('s2', 'hello_keep'),
        hello_keep_vs_hello: ratio('hello_keep', 'hello'),
        by_server_cpu: {
          s1_vs_hello_keep: cpuRatio('s1', 'hello_keep'),
          s2_vs_hello_keep: cpuRatio('s2', 'hello_keep'),
          hello_keep_vs_hello: cpuRatio('hello_keep', 'hello'),
          s1_vs_hello: cpuRatio('s1', 'hello'),
          s2_vs_hello: cpuRatio('s2', 'hello'),
          s3_big_vs_small: cpuRatio('s3', 's1'),
          s8_edited_vs_s1: cpuRatio('s8', 's1'),
          s9_room_list_vs_s1: cpuRatio('s9', 's1'),
          s11_mentions_cost: s11CpuCost,
          s11_others_cost: s11Others[1],
        },
      },
      // What two cores given wholly to the server could carry, from S1's CPU
      // per poll (a user polls every 2 s): an estimate, not a measurement.
      s5_cpu_bound_users: Math.round((2 * 1e6 / rows.s1.server_cpu_us) * 2),
      seconds: Math.round((Date.now() - started) / 1000),
    };
    result.targets = compareTargets(result);
    const out = join(ROOT, 'tests', 'bench', QUICK ? 'results-quick.json' : 'results.json');
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    printTable(result);
    console.log(`\n(JSON: ${out})`);
  } finally {
    if (stack) await stack.stop();
    try { process.kill(hello.pid, 'SIGTERM'); } catch { /* gone */ }
    try { process.kill(helloKeep.pid, 'SIGTERM'); } catch { /* gone */ }
    await new Promise((r) => setTimeout(r, 200));
    rmSync(work, { recursive: true, force: true });
  }
}

// S11 (issue 14): a post naming 50 people (looked up, one mentions row
// each, copied to each person's inbox by the fan-out shortly after) against
// a plain post of the same words, back to back, by the same users
// (everyone may be mentioned in the seed's open rooms), on one connection:
// what one post costs its sender is its latency (cost = p50 over p50).
// Server CPU per post is reported beside it, the fan-out's included. The
// same 50 people in every post let one fan-out batch write their inbox
// pages once for many posts, so S11c, not a target, names 50 others in
// each post (a window sliding over all users): what the inbox costs when
// batches share no page (README "Read marks, mentions and attention").
// `rounds` rounds of plain, named, named-others; the figures are the
// median round's and the ratios the median of the per-round ratios.
async function measureS11(port, users, rounds) {
  const named = Array.from({ length: 50 }, (_, i) => `@bench${P.users - i}`).join(' ');
  // The same text without the '@': the same length and the same words for
  // the search index (issue 15), so only the mentions differ.
  const plain = named.replaceAll('@', '+');
  const postLines = (text) => users.map((u) => `POST /api/rooms/${u.room}/messages ${u.cookie} {"text":"${text} %n"}`);
  const others = users.map((u, k) => `POST /api/rooms/${u.room}/messages ${u.cookie} {"text":"${
    Array.from({ length: 50 }, (_, i) => `@bench${((k * 50 + i) % P.users) + 1}`).join(' ')} %n"}`);
  const pairs = [];
  // Three rounds at least, even in QUICK: posts wait on fsync, and the disk is shared.
  for (let i = 0; i < rounds; i += 1) {
    pairs.push({ plain: await closed(port, 'S11a the same post without @, one connection', postLines(plain), 1),
      mentions: await closed(port, 'S11b post naming 50 people, one connection', postLines(named), 1),
      others: await closed(port, 'S11c post naming 50 others each time, one connection', others, 1) });
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const middle = (key) => pairs.map((x) => x[key]).sort((a, b) => a.poll_p50_ms - b.poll_p50_ms)[Math.floor(pairs.length / 2)];
  return {
    plain: middle('plain'),
    mentions: middle('mentions'),
    others: middle('others'),
    cost: +median(pairs.map((x) => x.mentions.poll_p50_ms / x.plain.poll_p50_ms)).toFixed(3),
    cpu_cost: +median(pairs.map((x) => x.mentions.server_cpu_us / x.plain.server_cpu_us)).toFixed(3),
    others_cost: +median(pairs.map((x) => x.others.poll_p50_ms / x.plain.poll_p50_ms)).toFixed(3),
    others_cpu_cost: +median(pairs.map((x) => x.others.server_cpu_us / x.plain.server_cpu_us)).toFixed(3),
    pairs,
  };
}

// --s11: S11 alone, as a table and results-s11.json.
function s11Only(s11, { seed, box }) {
  const out = join(ROOT, 'tests', 'bench', 'results-s11.json');
  writeFileSync(out, `${JSON.stringify({ when: new Date().toISOString(), command: 'node tests/bench/run.mjs --s11',
    machine: { ...box, loadavg_after: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number) },
    params: { ...P, workers_per_program: WORKERS, threads_per_worker: THREADS }, seed, s11 }, null, 2)}\n`);
  const row = (name, x) => `| ${name} | ${f(x.rps)} | ${x.poll_p50_ms} | ${x.poll_p99_ms} | ${x.errors + x.conn_errors} | ${f(x.server_cpu_us)} (${f(x.nginx_cpu_us)} + ${f(x.worker_cpu_us)}) |`;
  console.log(['| S11, one connection | posts/s | p50 ms | p99 ms | errors | server CPU µs/post (nginx + workers) |', '|---|---:|---:|---:|---:|---:|',
    row('S11a the same post without @', s11.plain), row('S11b post naming 50 people', s11.mentions),
    row('S11c post naming 50 others each time', s11.others),
    '', `S11 cost: ${s11.cost}× by p50 latency (target < 2), ${s11.cpu_cost}× by server CPU (medians of ${s11.pairs.length} rounds)`,
    `S11c (not a target): ${s11.others_cost}× by p50 latency, ${s11.others_cpu_cost}× by server CPU`,
    `per round, p50 ms (plain / named / others): ${s11.pairs.map((x) => `${x.plain.poll_p50_ms}/${x.mentions.poll_p50_ms}/${x.others.poll_p50_ms}`).join(', ')}`].join('\n'));
  console.log(`\n(JSON: ${out})`);
}

// PEERS=1: ours beside Fossil's chat, same generator, same run.
function peerLines(r) {
  const { fossil, ours, ratios } = r.peers;
  const f = (n) => Math.round(n).toLocaleString('en');
  return [
    `| side by side (Fossil ${fossil.version}) | ours req/s | Fossil req/s | ours/Fossil | ours server CPU µs | Fossil server CPU µs | Fossil/ours |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    `| poll with one new message (S2; Fossil /chat-poll) | ${f(r.closed.s2.rps)} | ${f(fossil.poll.rps)} | ${ratios.poll_with_news_rps} | ${f(r.closed.s2.server_cpu_us)} | ${f(fossil.poll.server_cpu_us)} | ${ratios.poll_with_news_cpu} |`,
    `| posts (S4; Fossil /chat-send) | ${f(r.closed.s4.rps)} | ${f(fossil.posts.rps)} | ${ratios.posts_rps} | ${f(r.closed.s4.server_cpu_us)} | ${f(fossil.posts.server_cpu_us)} | ${ratios.posts_cpu} |`,
    `memory: our ${ours.workers} workers ${ours.workers_pss_mb} MB PSS after the polls; Fossil's server ${fossil.idle_pss_mb} MB idle (it forks a process per request)`,
    '',
  ];
}

const f = (n) => Math.round(n).toLocaleString('en');

// See POST_COST. Each variant is measured P.rounds times, alternating, and
// the median round kept: the machine is shared, so the order must not
// favour one. Server CPU per post is the figure least moved by others' load.
async function postCost(stack, port, users, { seed, box }) {
  const fts = (detail) => `DROP TABLE IF EXISTS messages_fts;
    CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id', tokenize='trigram', detail='${detail}');
    INSERT INTO messages_fts(messages_fts, rank) VALUES ('crisismerge', 1999);
    INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');`;
  const schema = readFileSync(join(ROOT, 'sql', 'schema.sql'), 'utf8');
  const triggers = schema.match(/CREATE TRIGGER messages_fts_[\s\S]*?\nEND;/g).join('\n');
  const variants = [
    ['detail=none (as shipped)', `${fts('none')}\n${triggers}`],
    ['detail=full (positions)', `${fts('full')}\n${triggers}`],
    ['no index', 'DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_update; DROP TRIGGER messages_fts_delete; DROP TABLE messages_fts;'],
  ];
  const results = Object.fromEntries(variants.map(([name]) => [name, []]));
  for (let round = 0; round < P.rounds; round += 1) {
    for (const [name, ddl] of variants) {
      execFileSync('sqlite3', [stack.db], { input: `.timeout 10000\nBEGIN IMMEDIATE;\nDROP TRIGGER IF EXISTS messages_fts_insert; DROP TRIGGER IF EXISTS messages_fts_update; DROP TRIGGER IF EXISTS messages_fts_delete;\n${ddl.replace(/DROP TRIGGER messages_fts_\w+;/g, '')}\nCOMMIT;\n` });
      results[name].push(await closed(port, `S4 posts, ${name}, round ${round + 1}`,
        users.map((u) => `POST /api/rooms/${u.room}/messages ${u.cookie} {"text":"bench post %n"}`)));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = Object.entries(results).map(([name, rows]) => ({
    variant: name, rps: median(rows.map((r) => r.rps)), p99_ms: median(rows.map((r) => r.poll_p99_ms)),
    server_cpu_us: median(rows.map((r) => r.server_cpu_us)), worker_cpu_us: median(rows.map((r) => r.worker_cpu_us)),
    errors: rows.reduce((a, r) => a + r.errors + r.conn_errors, 0),
  }));
  const out = join(ROOT, 'tests', 'bench', 'results-post-cost.json');
  writeFileSync(out, `${JSON.stringify({ when: new Date().toISOString(), machine: { ...box, loadavg_after: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number) }, params: P, seed, summary, results }, null, 2)}\n`);
  console.log(['| S4 posts, search index | posts/s | p99 ms | server CPU µs/post | worker CPU µs/post | errors |', '|---|---:|---:|---:|---:|---:|',
    ...summary.map((x) => `| ${x.variant} | ${f(x.rps)} | ${x.p99_ms} | ${f(x.server_cpu_us)} | ${f(x.worker_cpu_us)} | ${x.errors} |`)].join('\n'));
  console.log(`\n(JSON: ${out})`);
}

// See S6_ONLY: S6's figure as the full bench computes it (every program's
// workers, files included), and each program's memory by kind (s6.mjs).
function s6Report(stack, { seed, box, levels }) {
  const s6 = memory(stackPids(stack).workers);
  const byProgram = {};
  for (const name of PROGRAMS) byProgram[name] = programMemory(stackPids(stack, [name]).workers);
  const result = { when: new Date().toISOString(), command: 'node tests/bench/run.mjs --s6',
    machine: { ...box, loadavg_after: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number) },
    params: { ...P, workers_per_program: WORKERS, files_workers: FILES_WORKERS, threads_per_worker: THREADS,
      settings: Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(CHAT_|MALLOC_|GLIBC_)/.test(k))) },
    seed, s5_levels: levels, s6_workers: s6, by_program: byProgram };
  const out = join(ROOT, 'tests', 'bench', 'results-s6.json');
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const { files } = byProgram;
  console.log([
    `S6, all workers (${PROGRAMS.join(', ')}: ${s6.processes} processes): PSS ${s6.pss_mb} MB, private ${s6.uss_mb} MB, RSS summed ${s6.rss_mb} MB (target < 30 MB)`,
    `of which files (${files.processes} processes, idle since S12): PSS ${files.pss_mb} MB, private ${files.uss_mb} MB`,
    '', ...s6Lines(byProgram, 'by program'),
  ].join('\n'));
  console.log(`\n(JSON: ${out})`);
}

// The index's pages and the whole file's, in MB (dbstat counts every b-tree
// page by the table or index it belongs to; messages_fts's own tables are
// messages_fts_data, _idx, _docsize and _config).
function indexShare(db) {
  const [index, total] = execFileSync('sqlite3', [db,
    "SELECT (SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'messages_fts%'), (SELECT page_count * page_size FROM pragma_page_count, pragma_page_size)"],
  { encoding: 'utf8' }).trim().split('|').map(Number);
  const mb = (x) => +(x / 1e6).toFixed(1);
  return { index_mb: mb(index), database_mb: mb(total), share_percent: +((100 * index) / total).toFixed(1) };
}

// S10 (search) as table rows, after a header (the first two lines).
function searchLines(r) {
  const c = r.closed;
  const row = (name, x, note = '') => `| ${name} | ${f(x.rps)} | ${x.poll_p50_ms} | ${x.poll_p99_ms} | ${x.errors + x.conn_errors} | ${f(x.server_cpu_us)} (${f(x.nginx_cpu_us)} + ${f(x.worker_cpu_us)}) | ${note} |`;
  return [
    '| scenario | req/s | p50 ms | p99 ms | errors | server CPU µs/req (nginx + workers) | vs (by req/s; by CPU) |',
    '|---|---:|---:|---:|---:|---:|---|',
    row(`S10 search, rare phrase, ${f(r.params.big)}-message room (4 connections)`, c.s10_phrase, 'target p99 < 50 ms'),
    row(`S10 search, common words, ${f(r.params.big)}-message room (4 connections)`, c.s10_words, 'target p99 < 50 ms'),
    ...(r.s10?.rows ?? []).map((x) => row(`S10 search, ${x.kind} "${x.q}", ${x.scope} (4 connections)`, x, 'target p99 < 50 ms')),
    ...(r.s10 ? [`| S10 index size: ${r.s10.index.index_mb} MB of a ${r.s10.index.database_mb} MB database (${r.s10.index.share_percent} %) | | | | | | |`] : []),
  ];
}

function printTable(r) {
  const c = r.closed;
  const row = (name, x, ratio = '') => `| ${name} | ${f(x.rps)} | ${x.poll_p50_ms} | ${x.poll_p99_ms} | ${x.errors + x.conn_errors} | ${f(x.server_cpu_us)} (${f(x.nginx_cpu_us)} + ${f(x.worker_cpu_us)}) | ${ratio} |`;
  const m = r.machine;
  const lines = [
    `Chatroom bench (${r.command}), ${r.when}: ${m.cores} x ${m.cpu}, ${m.memory_gb} GB, Linux ${m.kernel}, load average ${m.loadavg.join(' ')} before and ${m.loadavg_after.join(' ')} after, SQLite ${m.sqlite}, ${r.params.workers_per_program} workers per program, ${r.params.conns} connections (closed loop, ${r.params.seconds} s each, median of ${r.params.rounds} rounds)`,
    `seed: ${f(r.seed.users)} users, ${r.seed.rooms} rooms, ${f(r.seed.messages)} messages in ${r.seed.seconds} s`,
    '',
    '| scenario | req/s | p50 ms | p99 ms | errors | server CPU µs/req (nginx + workers) | vs (by req/s; by CPU) |',
    '|---|---:|---:|---:|---:|---:|---|',
    row('baseline: hello-world FastCGI, a connection per request', c.hello),
    row(`baseline: hello-world FastCGI, kept connections (${r.params.threads_per_worker} threads, keepalive ${r.params.nginx_keepalive})`, c.hello_keep,
      `${r.ratios.hello_keep_vs_hello}; ${r.ratios.by_server_cpu.hello_keep_vs_hello} of hello`),
    row('baseline: nginx static file', c.static),
    row('S1 empty poll, 1,000-message room', c.s1, `${r.ratios.s1_vs_hello}; ${r.ratios.by_server_cpu.s1_vs_hello} of hello (target 0.75); ${r.ratios.s1_vs_hello_keep}; ${r.ratios.by_server_cpu.s1_vs_hello_keep} of hello kept`),
    row('S2 poll with one new message', c.s2, `${r.ratios.s2_vs_hello}; ${r.ratios.by_server_cpu.s2_vs_hello} of hello (target 0.65); ${r.ratios.s2_vs_hello_keep}; ${r.ratios.by_server_cpu.s2_vs_hello_keep} of hello kept`),
    row(`S3 empty poll, ${f(r.params.big)}-message room`, c.s3, `${r.ratios.s3_big_vs_small}; ${r.ratios.by_server_cpu.s3_big_vs_small} of S1 (target 0.9-1.1)`),
    row('S8 empty poll after 10,000 edits, 1,000-message room', c.s8, `${r.ratios.s8_edited_vs_s1}; ${r.ratios.by_server_cpu.s8_edited_vs_s1} of S1 (target 0.9-1.1)`),
    row('S9 room list, 200 rooms (open, private, direct), unread counts', c.s9, `${r.ratios.s9_room_list_vs_s1}; ${r.ratios.by_server_cpu.s9_room_list_vs_s1} of S1 (target: p99 < 5 ms)`),
    ...searchLines(r).slice(2),
    row('S11a the same post without @ (no mention)', c.s11_plain),
    row('S11b post naming 50 people', c.s11_mentions, `cost ${r.ratios.s11_mentions_cost}× by p50 latency (target < 2); ${r.ratios.by_server_cpu.s11_mentions_cost}× by server CPU`),
    ...(c.s11_others ? [row('S11c post naming 50 others each time (not a target)', c.s11_others, `${r.ratios.s11_others_cost}× by p50 latency; ${r.ratios.by_server_cpu.s11_others_cost}× by server CPU`)] : []),
    row('S4 posts (all users, 201 each)', c.s4, `target 2,500/s or 0.9 of the disk; disk allows ${f(r.sqlite_commits_per_s.FULL)} commits/s (FULL), ${f(r.sqlite_commits_per_s.NORMAL)} (NORMAL)`),
    ...(c.s4_during_uploads ? [row('S4 posts while 5 MB uploads run (S12)', c.s4_during_uploads, `beside ${r.s12_files.mb5_beside_posts.per_s} uploads/s of 5 MB`)] : []),
    '',
    '| S12 uploads (4 clients) | uploads/s | MB/s | p50 ms | p99 ms | errors |',
    '|---|---:|---:|---:|---:|---:|',
    ...(r.s12_files ? [['100 KB file', 'kb100'], ['5 MB file', 'mb5'], ['JPEG photo 1600 x 1200 (decoded, stripped, thumbnailed)', 'photo']].map(([label, k]) => {
      const x = r.s12_files[k];
      return `| ${label} | ${x.per_s} | ${x.mb_per_s} | ${x.p50_ms} | ${x.p99_ms} | ${x.errors} |`;
    }) : []),
    ...(r.s12_files?.files_memory ? ['', `files workers after the 5 MB uploads (${r.s12_files.files_memory.processes} processes): PSS ${r.s12_files.files_memory.pss_mb} MB, private ${r.s12_files.files_memory.uss_mb} MB, RSS summed ${r.s12_files.files_memory.rss_mb} MB`, ] : []),
    '',
    '| S5 virtual users | polls/s | poll p50 ms | poll p99 ms | post p99 ms | post-to-seen p50 / p99 ms | errors |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...r.s5_levels.map((l) => `| ${f(l.users)} | ${f(l.polls / l.seconds)} | ${l.poll_p50_ms} | ${l.poll_p99_ms} | ${l.post_p99_ms} | ${l.seen_p50_ms} / ${l.seen_p99_ms} | ${l.errors + l.conn_errors} |`),
    '',
    `S5: largest level with poll p99 < 100 ms and no errors: ${r.s5_best ? `${f(r.s5_best.users)} users` : 'no level passed'} (target 10,000); CPU-bound estimate from S1's server CPU per poll: ${f(r.s5_cpu_bound_users)} users on two cores given wholly to the server`,
    ...['workers', 'nginx'].map((k) => {
      const x = r.s6_memory[k];
      return `S6 memory after S5, ${k === 'workers' ? 'all workers' : k} (${x.processes} processes): PSS ${x.pss_mb} MB, private ${x.uss_mb} MB, RSS summed ${x.rss_mb} MB${k === 'workers' ? ' (target < 30 MB)' : ''}`;
    }),
    ...(r.s6_memory.by_program ? [`S6 by program, PSS MB (processes): ${Object.entries(r.s6_memory.by_program).map(([name, x]) => `${name} ${x.pss_mb} (${x.processes})`).join(', ')}`] : []),
    '',
    '| S7 subscribers | events seen | post-to-event p50 ms | p99 ms | max ms | post reply p50 ms | nginx PSS (RSS) kB per subscriber | CPU µs per event: nginx; generator | load average |',
    '|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ...r.s7_push.map((x) => `| ${f(x.subscribers)} | ${f(x.events)} of ${f(x.expected)} | ${x.p50_ms} | ${x.p99_ms} | ${x.max_ms} | ${x.post_p50_ms} | ${x.nginx_pss_kb_per_subscriber} (${x.nginx_rss_kb_per_subscriber}) | ${x.nginx_cpu_us_per_event}; ${x.generator_cpu_us_per_event} | ${x.loadavg.before.join(' ')} |`),
    r.s7_push.length ? 'S7 target: p99 < 25 ms at 1,000 subscribers' : 'S7 skipped: no nchan module',
    '',
    ...(r.peers ? peerLines(r) : []),
    ...targetLines(r.targets),
  ];
  console.log(lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
