// The processes of a test stack, found through /proc: the FastCGI workers
// of each program and their multiwatch supervisors. Both carry the stack's
// marker (CHAT_TEST_STACK=<dir>/workers) in their environment, so a test
// can kill or count them without touching any other process on the machine.
import { readdirSync, readFileSync } from 'node:fs';

export const PROGRAMS = ['auth', 'rooms', 'post', 'poll', 'search', 'files'];

// [{pid, argv}] of live (non-zombie) workers and supervisors carrying the
// marker. The command line is read first (short), the environment only of
// the few candidates, so a scan stays cheap on a busy machine.
function stackProcesses(stack) {
  const marker = `CHAT_TEST_STACK=${stack.dir}/workers`;
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0');
      if (!cmd[0].endsWith('multiwatch') && !PROGRAMS.some((n) => cmd[0].endsWith(`/bin/${n}`))) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const env = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (!env.includes(marker)) continue;
      found.push({ pid: Number(name), argv: cmd });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

// Pids of the stack's running workers of one program (or of all programs).
export function workerPids(stack, program = null) {
  const names = program ? [program] : PROGRAMS;
  return stackProcesses(stack)
    .filter((p) => names.some((n) => p.argv[0].endsWith(`/bin/${n}`)))
    .map((p) => p.pid);
}

// Pids of the stack's multiwatch supervisors.
export function supervisorPids(stack) {
  return stackProcesses(stack).filter((p) => p.argv[0].endsWith('multiwatch')).map((p) => p.pid);
}

// True when some thread of the process is (probably) in the middle of a
// request: not waiting in accept() for a connection, on a kept connection
// for its next request, for the signal to stop (serve.cc's sigwait thread),
// on a condition variable (the coalescer's and stream repeater's threads
// when idle), or asleep (core/memory.cc's heap trimmer, between turns). Racy by nature; good enough to aim a kill at a request in
// flight. A worker has several threads (CHAT_WORKER_THREADS), so the
// process's own wchan (its first thread's) is not enough.
const IDLE = /^(__skb_wait_for_more_packets|unix_stream_read_generic|do_sigtimedwait.*|futex_.*|hrtimer_nanosleep|do_nanosleep)$/;
export function busy(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).some((t) => !IDLE.test(readFileSync(`/proc/${pid}/task/${t}/wchan`, 'latin1')));
  } catch {
    return false;
  }
}

// CPU time (user + system, in ms) the given processes have used so far:
// work done, whatever else the machine is busy with, unlike a wall-clock
// time (/proc/<pid>/stat fields 14 and 15, in clock ticks of 10 ms: Linux's
// USER_HZ is 100). A process gone meanwhile counts 0.
export function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks * 10;
}
