// S6 (the workers' memory), taken apart: for each program, its processes'
// PSS, private memory and RSS (/proc/PID/smaps_rollup), and where the PSS
// sits, from /proc/PID/smaps: the main heap ([heap]), glibc's thread arenas
// (anonymous read-write mappings at the start of a 64 MiB reservation whose
// rest is PROT_NONE: glibc's HEAP_MAX_SIZE on 64-bit), thread stacks
// (anonymous read-write mappings right after a one-page PROT_NONE guard),
// other anonymous memory (mmap'd blocks of 128 KiB and more, SQLite's page
// cache when it asks malloc for big blocks), the database's -shm file, the
// program's own binary, and each shared library. `node tests/bench/run.mjs
// --s6` prints it after a short load over every program (README
// "Performance").
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const ARENA_RESERVE_KB = 64 * 1024;

// One process's smaps as [{start, end, perms, path, kb: {Rss, Pss, ...}}].
function smaps(pid) {
  const maps = [];
  let cur = null;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'latin1').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      cur = { start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3], path: head[4], kb: {} };
      maps.push(cur);
      continue;
    }
    const field = /^(\w+):\s+(\d+) kB$/.exec(line);
    if (field && cur) cur.kb[field[1]] = Number(field[2]);
  }
  return maps;
}

// The kind of each mapping (see the file comment); `exe` is the program.
function kindOf(maps, i, exe) {
  const m = maps[i];
  if (m.path === '[heap]') return 'heap';
  if (m.path === '[stack]') return 'main stack';
  if (m.path.startsWith('[')) return 'other';
  if (m.path.endsWith('-shm')) return 'sqlite -shm';
  if (m.path === exe) return 'program';
  if (m.path !== '') return `lib ${basename(m.path).replace(/\.so.*$/, '')}`;
  if (!m.perms.startsWith('rw')) return 'anon reserved';
  const prev = maps[i - 1];
  const next = maps[i + 1];
  const kb = (a, b) => Number((b - a) / 1024n);
  if (next && next.path === '' && next.start === m.end && next.perms.startsWith('---')
      && kb(m.start, next.end) === ARENA_RESERVE_KB) return 'thread arenas';
  if (kb(m.start, m.end) === ARENA_RESERVE_KB && (!next || next.start !== m.end)) return 'thread arenas';
  if (prev && prev.path === '' && prev.end === m.start && prev.perms.startsWith('---')
      && kb(prev.start, prev.end) <= 64) return 'thread stacks';
  return 'other anon';
}

// {kind: {pss, private, rss}} in kB for one process.
export function breakdown(pid) {
  const exe = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0];
  const maps = smaps(pid);
  const out = {};
  maps.forEach((m, i) => {
    let kind = kindOf(maps, i, exe);
    // Libraries that hold little are summed, so the table stays short.
    if (kind.startsWith('lib ') && (m.kb.Pss ?? 0) < 64) kind = 'lib (small ones)';
    const k = (out[kind] ??= { pss: 0, private: 0, rss: 0 });
    k.pss += m.kb.Pss ?? 0;
    k.private += (m.kb.Private_Clean ?? 0) + (m.kb.Private_Dirty ?? 0);
    k.rss += m.kb.Rss ?? 0;
  });
  return out;
}

// {processes, threads, pss_mb, uss_mb, rss_mb, kinds: {kind: {pss_kb, ...}}}
// summed over `pids`.
export function programMemory(pids) {
  const kinds = {};
  let threads = 0;
  for (const pid of pids) {
    try {
      threads += Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))[1]);
      for (const [kind, v] of Object.entries(breakdown(pid))) {
        const k = (kinds[kind] ??= { pss: 0, private: 0, rss: 0 });
        k.pss += v.pss;
        k.private += v.private;
        k.rss += v.rss;
      }
    } catch { /* gone */ }
  }
  const sum = (f) => Object.values(kinds).reduce((a, v) => a + v[f], 0);
  const mb = (x) => +(x / 1024).toFixed(1);
  return { processes: pids.length, threads, pss_mb: mb(sum('pss')), uss_mb: mb(sum('private')), rss_mb: mb(sum('rss')), kinds };
}

// The table --s6 prints: one row per program, then the kinds of memory
// over all of them, largest PSS first.
export function s6Lines(byProgram, label) {
  const f1 = (x) => (x / 1024).toFixed(1);
  const rows = Object.entries(byProgram);
  const total = (key) => rows.reduce((a, [, p]) => a + p[key], 0).toFixed(1);
  const kinds = {};
  for (const [, p] of rows) {
    for (const [kind, v] of Object.entries(p.kinds)) {
      const k = (kinds[kind] ??= { pss: 0, private: 0, rss: 0 });
      k.pss += v.pss;
      k.private += v.private;
      k.rss += v.rss;
    }
  }
  const kindCols = ['heap', 'thread arenas', 'thread stacks', 'other anon'];
  const pk = (p, k) => f1(p.kinds[k]?.pss ?? 0);
  return [
    `S6 ${label}`,
    `| program | processes | threads | PSS MB | private MB | RSS MB | ${kindCols.map((k) => `${k} PSS MB`).join(' | ')} |`,
    `|---|---:|---:|---:|---:|---:|${kindCols.map(() => '---:').join('|')}|`,
    ...rows.map(([name, p]) => `| ${name} | ${p.processes} | ${p.threads} | ${p.pss_mb} | ${p.uss_mb} | ${p.rss_mb} | ${kindCols.map((k) => pk(p, k)).join(' | ')} |`),
    `| all | ${rows.reduce((a, [, p]) => a + p.processes, 0)} | ${rows.reduce((a, [, p]) => a + p.threads, 0)} | ${total('pss_mb')} | ${total('uss_mb')} | ${total('rss_mb')} | ${kindCols.map((k) => f1(kinds[k]?.pss ?? 0)).join(' | ')} |`,
    '',
    '| kind of memory (all programs above) | PSS MB | private MB | RSS MB |',
    '|---|---:|---:|---:|',
    ...Object.entries(kinds).sort((a, b) => b[1].pss - a[1].pss)
      .map(([kind, v]) => `| ${kind} | ${f1(v.pss)} | ${f1(v.private)} | ${f1(v.rss)} |`),
  ];
}
