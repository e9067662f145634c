// `make deb` for real: two builds (1.0~t1, then 1.0~t2 for an upgrade),
// each checked by lintian (no error) inside make deb; the package's files,
// modes, conffile and maintainer scripts; then the package installed with
// dpkg -i into a throwaway root and driven as an admin would: the account,
// the data folder and the database made by postinst, the socket units
// enabled, the sites not; the installed programs started by the installed
// chatroom-spawn and served by the root's own nginx (Debian's nginx.conf,
// the site written by the installed chatroom-site) on loopback over HTTPS:
// register, post, poll. Then the upgrade (data kept, the admin's settings
// kept, the workers restarted on the new programs), remove (data kept,
// workers stopped) and purge (data gone).
//
// The throwaway root is an overlay of this machine's own Debian system
// (lower: /, read-only to it; upper: a temporary folder), so dpkg in it sees
// the package's dependencies installed and every change lands in the
// temporary folder; /dev and /proc are bound in, /run is its own (empty, so
// no systemd: postinst takes the path of a host without systemd as PID 1).
// Needs root, overlayfs, debhelper and lintian; skipped loudly without them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { ROOT, waitFor } from '../lib/stack.mjs';
import { PASSWORD } from './helpers.mjs';

const V1 = '1.0~t1';
const V2 = '1.0~t2';
const ARCH = spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim();
const missing = ['dh', 'lintian', 'dpkg-buildpackage'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
const SKIP = process.getuid() !== 0 ? 'needs root' : missing.length ? `missing ${missing.join(', ')} (make deps installs debhelper and lintian)` : false;
if (SKIP) console.error(`!!! SKIPPED the Debian package test: ${SKIP} !!!`);

let t; // temporary folder
let M; // the throwaway root (overlay mount point)
const mounted = [];
const started = []; // processes started inside the root
const debs = {};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 600000, ...opts });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}
// A command inside the root, as root, with a plain environment.
const inRoot = (args, opts = {}) => run('chroot', [M, ...args],
  { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive' }, ...opts });
const at = (p) => join(M, p);
const modeOf = (p) => (statSync(at(p)).mode & 0o7777).toString(8);
const ownerOf = (p) => {
  const st = statSync(at(p));
  const name = (file, id) => readFileSync(at(file), 'utf8').split('\n').find((l) => l.split(':')[2] === String(id))?.split(':')[0];
  return `${name('/etc/passwd', st.uid)}:${name('/etc/group', st.gid)}`;
};

const freePort = () => new Promise((resolve, reject) => {
  const srv = createServer();
  srv.on('error', reject);
  srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});

function curl(method, url, { body, jar } = {}) {
  const args = ['-sk', '-i', '-X', method, '--max-time', '10'];
  if (jar) args.push('-b', jar, '-c', jar);
  if (body !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', JSON.stringify(body));
  const r = run('curl', [...args, url]);
  assert.equal(r.code, 0, `curl ${method} ${url}: ${r.err}`);
  const split = r.out.indexOf('\r\n\r\n');
  const text = r.out.slice(split + 4);
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: Number(r.out.slice(0, split).split(' ')[1]), body: parsed, text };
}

function startInRoot(args, logName) {
  const out = openSync(join(t, logName), 'a');
  const child = spawn('chroot', [M, ...args], { stdio: ['ignore', out, out], detached: true,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' } });
  started.push(child);
  return child;
}
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
  await new Promise((resolve) => {
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } resolve(); }, 8000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
  });
}

before(async () => {
  if (SKIP) return;
  t = mkdtempSync(join(tmpdir(), 'chat-deb-'));
  for (const v of [V1, V2]) {
    const r = run('make', ['-s', '-C', ROOT, 'deb', `DEB_VERSION=${v}`]);
    assert.equal(r.code, 0, `make deb ${v}: ${r.out}${r.err}`);
    assert.doesNotMatch(r.out, /^E: /m, 'lintian: no error');
    debs[v] = join(ROOT, 'build', `chatroom_${v}_${ARCH}.deb`);
    assert.ok(existsSync(debs[v]), debs[v]);
  }
  M = join(t, 'root');
  for (const d of ['upper', 'work', 'root']) mkdirSync(join(t, d));
  const ov = run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=/,upperdir=${t}/upper,workdir=${t}/work`, M]);
  assert.equal(ov.code, 0, `overlay mount: ${ov.err}`);
  mounted.push(M);
  for (const [what, args] of [['/dev', ['--bind', '/dev']], ['/proc', ['-t', 'proc', 'proc']], ['/run', ['-t', 'tmpfs', 'tmpfs']]]) {
    const r = run('mount', [...args, at(what)]);
    assert.equal(r.code, 0, `mount ${what}: ${r.err}`);
    mounted.push(at(what));
  }
  // Nothing of the test machine's own Chatroom or web sites in the root.
  assert.equal(inRoot(['sh', '-c', 'getent passwd chatroom || true']).out, '', 'no chatroom account before');
  rmSync(at('/etc/nginx/sites-enabled'), { recursive: true, force: true });
  mkdirSync(at('/etc/nginx/sites-enabled'));
  mkdirSync(at('/tmp/deb'), { recursive: true });
  for (const v of [V1, V2]) copyFileSync(debs[v], at(`/tmp/deb/chatroom_${v}.deb`));
});

after(async () => {
  for (const child of started.reverse()) await stop(child);
  for (const m of mounted.reverse()) {
    let r = run('umount', [m]);
    if (r.code !== 0) r = run('umount', ['-l', m]);
  }
  if (t && !process.env.KEEP_TEST_DIRS) rmSync(t, { recursive: true, force: true });
});

test('the package holds the programs, pages, sites, units and spawner with their modes, a conffile and the maintainer scripts', { skip: SKIP }, () => {
  const list = run('dpkg-deb', ['-c', debs[V1]]).out.split('\n').filter(Boolean)
    .map((l) => { const f = l.split(/\s+/); return { mode: f[0], owner: f[1], path: f.slice(5).join(' ').replace(/^\./, '').split(' -> ')[0] }; });
  const entry = (p) => list.find((e) => e.path === p || e.path === `${p}/`);
  for (const p of ['/usr/lib/chatroom/auth', '/usr/lib/chatroom/rooms', '/usr/lib/chatroom/post', '/usr/lib/chatroom/poll',
    '/usr/lib/chatroom/chatroom-spawn', '/usr/sbin/chatctl', '/usr/sbin/chatroom-site', '/usr/share/chatroom/conf/init.d/chatroom']) {
    assert.equal(entry(p)?.mode, '-rwxr-xr-x', p);
  }
  for (const p of ['/usr/share/chatroom/htdocs/index.html', '/usr/share/chatroom/htdocs/rooms.html', '/usr/share/chatroom/sql/schema.sql',
    '/usr/share/chatroom/conf/nginx/chatroom.conf', '/usr/share/chatroom/conf/nginx/chatroom.conf.in', '/usr/share/chatroom/conf/apache/chatroom.conf',
    '/lib/systemd/system/chatroom@.socket', '/lib/systemd/system/chatroom@.service', '/etc/chatroom/chatroom.env', '/etc/logrotate.d/chatroom',
    '/lib/systemd/system/chatroom-prune.service', '/lib/systemd/system/chatroom-prune.timer', '/usr/share/chatroom/htdocs/admin.html',
    '/usr/share/doc/chatroom/copyright', '/usr/share/man/man8/chatctl.8.gz', '/usr/share/man/man8/chatroom-site.8.gz']) {
    assert.equal(entry(p)?.mode, '-rw-r--r--', p);
  }
  for (const e of list) assert.equal(e.owner, 'root/root', `${e.path} owned by root in the package`);
  assert.ok(!list.some((e) => e.path.startsWith('/etc/nginx') || e.path.startsWith('/etc/apache2')), 'no site enabled by the package');
  const control = join(t, 'control');
  assert.equal(run('dpkg-deb', ['-e', debs[V1], control]).code, 0);
  assert.deepEqual(readFileSync(join(control, 'conffiles'), 'utf8').trim().split('\n').sort(), ['/etc/chatroom/chatroom.env', '/etc/logrotate.d/chatroom']);
  for (const s of ['postinst', 'prerm', 'postrm']) assert.equal(statSync(join(control, s)).mode & 0o777, 0o755, s);
  const fields = run('dpkg-deb', ['-f', debs[V1], 'Package', 'Version', 'Architecture', 'Depends']).out;
  assert.match(fields, new RegExp(`^Version: ${V1.replace('~', '\\~')}$`, 'm'));
  assert.match(fields, /^Depends: .*\badduser\b.*\bspawn-fcgi\b.*\bmultiwatch\b/m);
  assert.match(fields, /^Depends: .*libsqlite3-0/m, 'shared libraries found by dpkg-shlibdeps');
  const unit = run('sh', ['-c', `dpkg-deb --fsys-tarfile '${debs[V1]}' | tar -xO ./lib/systemd/system/chatroom@.service`]).out;
  assert.match(unit, /ExecStart=.* \/usr\/lib\/chatroom\/%i$/m);
  assert.match(unit, /^EnvironmentFile=-\/etc\/chatroom\/chatroom.env$/m);
});

let base; // the nginx site in the root, once it serves
let spawner; // chatroom-spawn in the root
const jar = () => join(t, 'deb.jar');
let room;

test('dpkg -i into a throwaway root: postinst makes the account, the data folder and the database, enables the socket units, enables no site', { skip: SKIP }, () => {
  const r = inRoot(['dpkg', '-i', `/tmp/deb/chatroom_${V1}.deb`]);
  assert.equal(r.code, 0, `${r.out}${r.err}`);
  assert.match(r.out, /database \/var\/lib\/chatroom\/chat\.db: created/);
  assert.match(inRoot(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'chatroom']).out, new RegExp(`install ok installed ${V1.replace('~', '\\~')}`));
  const account = inRoot(['getent', 'passwd', 'chatroom']).out.split(':');
  assert.equal(account[0], 'chatroom');
  assert.ok(Number(account[2]) < 1000, 'a system account');
  assert.equal(account[5], '/var/lib/chatroom');
  assert.match(account[6], /nologin|false/);
  assert.equal(modeOf('/var/lib/chatroom'), '750');
  assert.equal(ownerOf('/var/lib/chatroom'), 'chatroom:chatroom');
  assert.equal(modeOf('/var/lib/chatroom/chat.db'), '640');
  assert.equal(ownerOf('/var/lib/chatroom/chat.db'), 'chatroom:chatroom');
  assert.equal(modeOf('/var/lib/chatroom/chat.db.secret'), '600');
  for (const p of ['auth', 'rooms', 'post', 'poll', 'search', 'files']) {
    assert.ok(lstatSync(at(`/etc/systemd/system/sockets.target.wants/chatroom@${p}.socket`)).isSymbolicLink(), `chatroom@${p}.socket enabled`);
  }
  assert.deepEqual(readdirSync(at('/etc/nginx/sites-enabled')), [], 'no nginx site enabled');
  assert.ok(!existsSync(at('/etc/apache2/sites-enabled/chatroom.conf')), 'no Apache site enabled');
  assert.equal(inRoot(['runuser', '-u', 'chatroom', '--', 'chatctl', 'check']).code, 0, 'chatctl check passes');
});

test('the installed programs, started by the installed chatroom-spawn, serve the chat through the root\'s nginx and the site chatroom-site wrote', { skip: SKIP }, async () => {
  const ports = { http: await freePort(), https: await freePort() };
  const cert = inRoot(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/etc/ssl/private/chat-test.key',
    '-out', '/etc/ssl/certs/chat-test.pem', '-days', '1', '-subj', '/CN=127.0.0.1']);
  assert.equal(cert.code, 0, cert.err);
  const site = inRoot(['chatroom-site', 'nginx', '--server-name', 'chat.test', '--listen', '127.0.0.1', '--http-port', String(ports.http),
    '--https-port', String(ports.https), '--cert', '/etc/ssl/certs/chat-test.pem', '--key', '/etc/ssl/private/chat-test.key']);
  assert.equal(site.code, 0, site.err);
  writeFileSync(at('/etc/nginx/sites-available/chatroom'), site.out);
  run('ln', ['-s', '../sites-available/chatroom', at('/etc/nginx/sites-enabled/chatroom')]);
  spawner = startInRoot(['/usr/lib/chatroom/chatroom-spawn'], 'spawn.log');
  await waitFor(() => ['auth', 'rooms', 'post', 'poll', 'search', 'files'].every((p) => existsSync(at(`/run/chatroom/${p}.sock`))), 10000, 'worker sockets');
  assert.equal(ownerOf('/run/chatroom/auth.sock'), 'chatroom:www-data');
  const check = inRoot(['nginx', '-t']);
  assert.equal(check.code, 0, `nginx -t: ${check.err}`);
  startInRoot(['nginx', '-g', 'daemon off;'], 'nginx.log');
  base = `https://127.0.0.1:${ports.https}`;
  await waitFor(() => run('curl', ['-sk', '-o', '/dev/null', `${base}/`]).code === 0, 10000, 'nginx in the root');
  assert.equal(curl('GET', `${base}/api/health`).status, 200);
  assert.equal(curl('POST', `${base}/api/register`, { body: { username: 'packaged', password: PASSWORD }, jar: jar() }).status, 201);
  room = curl('POST', `${base}/api/rooms`, { body: { name: 'Packaged' }, jar: jar() }).body.room;
  const joined = curl('POST', `${base}/api/rooms/${room.id}/join`, { body: {}, jar: jar() });
  assert.equal(joined.status, 200, joined.text);
  assert.equal(curl('POST', `${base}/api/rooms/${room.id}/messages`, { body: { text: 'from the package' }, jar: jar() }).status, 201);
  const poll = curl('GET', `${base}/api/rooms/${room.id}/messages?after=${joined.body.cursor}`, { jar: jar() });
  assert.deepEqual(poll.body.messages.map((m) => m.text), ['from the package']);
  // The root's workers (other tests on this machine run workers of their own).
  const workers = inRoot(['ps', '-o', 'user=,args=', '-C', 'auth,rooms,post,poll']).out.split('\n')
    .filter((l) => /\s\/usr\/lib\/chatroom\//.test(l)).map((l) => l.trim().split(/\s+/)[0]);
  assert.ok(workers.length >= 4 && workers.every((u) => u === 'chatroom'), `workers run as chatroom: ${workers}`);
});

test('an upgrade to a second build keeps the database and the admin\'s settings and restarts the workers on the new programs', { skip: SKIP }, async () => {
  assert.ok(base, 'the chat is served (test above)');
  const env = readFileSync(at('/etc/chatroom/chatroom.env'), 'utf8');
  writeFileSync(at('/etc/chatroom/chatroom.env'), `${env}CHAT_POST_BURST=30\n`); // the admin's edit
  const settingsLines = () => readFileSync(join(t, 'spawn.log'), 'utf8').split('\n').filter((l) => /\bsettings: /.test(l));
  const before = settingsLines().length;
  assert.ok(before >= 4);
  const r = inRoot(['dpkg', '-i', `/tmp/deb/chatroom_${V2}.deb`]);
  assert.equal(r.code, 0, `${r.out}${r.err}`);
  assert.match(r.out, /nothing to do|schema version/, 'postinst ran chatctl migrate');
  assert.match(inRoot(['dpkg-query', '-W', '-f', '${Version}', 'chatroom']).out, new RegExp(`^${V2.replace('~', '\\~')}$`));
  assert.match(readFileSync(at('/etc/chatroom/chatroom.env'), 'utf8'), /^CHAT_POST_BURST=30$/m, 'the conffile kept the admin\'s edit');
  // The spawner restarted its workers (HUP from postinst), with the edited settings.
  await waitFor(() => settingsLines().slice(before).filter((l) => l.includes('CHAT_POST_BURST=30 ')).length >= 4, 15000, 'workers restarted');
  assert.equal(spawner.exitCode, null, 'the spawner itself kept running');
  await waitFor(() => curl('GET', `${base}/api/health`).status === 200, 10000, 'health after the upgrade');
  const poll = curl('GET', `${base}/api/rooms/${room.id}/messages?after=0`, { jar: jar() });
  assert.equal(poll.status, 200, poll.text);
  assert.deepEqual(poll.body.messages.map((m) => m.text), ['from the package'], 'the data and the session survived');
});

test('remove stops the workers and keeps the data and settings; purge deletes the data', { skip: SKIP }, async () => {
  assert.ok(spawner, 'the spawner ran');
  const r = inRoot(['dpkg', '-r', 'chatroom']);
  assert.equal(r.code, 0, `${r.out}${r.err}`);
  await waitFor(() => spawner.exitCode !== null, 15000, 'the spawner stopped by prerm');
  for (const p of ['/usr/lib/chatroom/auth', '/usr/sbin/chatctl', '/usr/share/chatroom/htdocs/index.html', '/lib/systemd/system/chatroom@.socket']) {
    assert.ok(!existsSync(at(p)), `${p} removed`);
  }
  for (const p of ['/var/lib/chatroom/chat.db', '/var/lib/chatroom/chat.db.secret', '/etc/chatroom/chatroom.env']) assert.ok(existsSync(at(p)), `${p} kept`);
  assert.match(inRoot(['dpkg-query', '-W', '-f', '${Status}', 'chatroom']).out, /deinstall ok config-files/);
  const p = inRoot(['dpkg', '-P', 'chatroom']);
  assert.equal(p.code, 0, `${p.out}${p.err}`);
  for (const f of ['/var/lib/chatroom', '/etc/chatroom/chatroom.env']) assert.ok(!existsSync(at(f)), `${f} purged`);
  assert.notEqual(inRoot(['dpkg-query', '-W', '-f', '${Status}', 'chatroom']).out.includes('installed'), true);
  assert.ok(inRoot(['getent', 'passwd', 'chatroom']).code === 0, 'the account stays (Debian keeps system accounts)');
});
