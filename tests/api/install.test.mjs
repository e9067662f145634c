// `make install DESTDIR=...` and what it installs, run for real: the
// installed nginx site (checked by `nginx -t`) and the installed Apache
// site (`apache2 -t`, mod_proxy_fcgi) each served by a real server on
// loopback ports, over HTTPS with a throwaway self-signed certificate,
// against the installed programs started by the installed chatroom-spawn
// (spawn-fcgi + multiwatch) over a database made by the installed chatctl:
// register, create, join, post, poll through each. The systemd units pass
// `systemd-analyze verify`. The only changes made to the installed site
// files are the ones an admin makes: listen addresses, certificate paths,
// socket and log paths, (without the nchan module) the "# push" lines
// deleted, and (here) the DESTDIR in front of the installed paths. With the
// module, a room's event arrives through the installed site's push parts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ROOT, waitFor } from '../lib/stack.mjs';
import { PASSWORD } from './helpers.mjs';

const PREFIX = '/usr/local';
const NCHAN = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const HAVE_NCHAN = existsSync(NCHAN);
if (!HAVE_NCHAN) console.error(`!!! SKIPPED push through the installed nginx site: ${NCHAN} is missing (make deps installs libnginx-mod-nchan); the site is served without its "# push" lines !!!`);
let nginxBase = null; // the installed nginx site, once it serves
let t; // temp folder (0755 so Apache's www-data can reach sockets and pages)
let dest; // DESTDIR
let settingsFile; // the spawner's /etc/chatroom/chatroom.env
let spawner; // {child, log} of the installed chatroom-spawn
const POST_BURST = 6; // set in the settings file only
const started = []; // child processes to stop, by pid

const freePort = () => new Promise((resolve, reject) => {
  const srv = createServer();
  srv.on('error', reject);
  srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, ...opts });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

// The installed site as the admin makes it with the installed
// chatroom-site (server name, loopback address, ports, certificate), then
// the test's own paths: DESTDIR, sockets, logs, and (without the nchan
// module) the "# push" lines deleted.
function makeSite(kind, ports) {
  const r = run(`${dest}${PREFIX}/sbin/chatroom-site`, [kind, '--server-name', 'chat.test', '--listen', '127.0.0.1',
    '--http-port', String(ports.http), '--https-port', String(ports.https),
    '--cert', `${t}/cert.pem`, '--key', `${t}/key.pem`,
    '--template', `${dest}${PREFIX}/share/chatroom/conf/${kind}/chatroom.conf.in`]);
  assert.equal(r.code, 0, r.err);
  return adapt(r.out);
}

function adapt(text) {
  return (HAVE_NCHAN ? text : text.replace(/^.*# push$/gm, ''))
    .replaceAll(`${PREFIX}/`, `${dest}${PREFIX}/`)
    .replaceAll('/run/chatroom-push.sock', `${t}/push.sock`)
    .replaceAll('/run/chatroom/', `${t}/run/`)
    .replaceAll('/var/log/nginx/', `${t}/`);
}

// One HTTPS request with curl (the certificate is self-signed); keeps
// cookies in `jar`. Returns {status, headers (lower-case), body, text}.
function curl(method, url, { body, jar, accept } = {}) {
  const args = ['-sk', '-i', '-X', method, '--max-time', '10'];
  if (jar) args.push('-b', jar, '-c', jar);
  if (accept) args.push('-H', `accept: ${accept}`);
  if (body !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', JSON.stringify(body));
  const r = run('curl', [...args, url]);
  assert.equal(r.code, 0, `curl ${method} ${url}: ${r.err}`);
  const split = r.out.indexOf('\r\n\r\n');
  const head = r.out.slice(0, split).split('\r\n');
  const headers = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).toLowerCase();
    headers[k] = headers[k] ? `${headers[k]}\n${line.slice(i + 1).trim()}` : line.slice(i + 1).trim();
  }
  const text = r.out.slice(split + 4);
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: Number(head[0].split(' ')[1]), headers, body: parsed, text };
}

// Register, create a room, join, post, poll: the whole chat through `base`.
function chatRound(base, who) {
  const jar = join(t, `${who}.jar`);
  const health = curl('GET', `${base}/api/health`);
  assert.equal(health.status, 200, health.text);
  assert.deepEqual(health.body, { ok: true });
  const reg = curl('POST', `${base}/api/register`, { body: { username: who, password: PASSWORD }, jar });
  assert.equal(reg.status, 201, reg.text);
  assert.match(reg.headers['set-cookie'], /HttpOnly.*SameSite=Lax.*Secure/, 'Secure cookie over HTTPS');
  const room = curl('POST', `${base}/api/rooms`, { body: { name: `Room of ${who}` }, jar });
  assert.equal(room.status, 201, room.text);
  const id = room.body.room.id;
  const joined = curl('POST', `${base}/api/rooms/${id}/join`, { body: {}, jar });
  assert.equal(joined.status, 200, joined.text);
  const posted = curl('POST', `${base}/api/rooms/${id}/messages`, { body: { text: `hello from ${who}` }, jar });
  assert.equal(posted.status, 201, posted.text);
  const poll = curl('GET', `${base}/api/rooms/${id}/messages?after=${joined.body.cursor}`, { jar });
  assert.equal(poll.status, 200, poll.text);
  assert.deepEqual(poll.body.messages.map((m) => m.text), [`hello from ${who}`]);
  assert.equal(poll.headers['cache-control'], 'no-store');
  assert.match(poll.headers['content-security-policy'] ?? '', /default-src 'self'/);
  // The members routes reach the rooms program through the installed site
  // (issue 13): the list, and both shapes of path, each with its own answer.
  const priv = curl('POST', `${base}/api/rooms`, { body: { name: `Private of ${who}`, kind: 'private' }, jar });
  assert.equal(priv.status, 201, priv.text);
  const members = curl('GET', `${base}/api/rooms/${priv.body.room.id}/members`, { jar });
  assert.equal(members.status, 200, members.text);
  assert.deepEqual(members.body.members.map((m) => [m.user.username, m.role]), [[who, 'owner']]);
  const again = curl('POST', `${base}/api/rooms/${priv.body.room.id}/members`, { body: { username: who }, jar });
  assert.equal(again.body?.error?.code, 'already_member', again.text);
  const out = curl('DELETE', `${base}/api/rooms/${priv.body.room.id}/members/${reg.body.user.id}`, { jar });
  assert.equal(out.body?.error?.code, 'owner_stays', out.text);
  // POST /api/direct reaches the rooms program too (issue 13): yourself is 400.
  const self = curl('POST', `${base}/api/direct`, { body: { username: who }, jar });
  assert.equal(self.body?.error?.code, 'invalid_username', self.text);
  // The invite routes too, and /invite/{code} serves the invite page.
  const inv = curl('POST', `${base}/api/rooms/${priv.body.room.id}/invites`, { body: {}, jar });
  assert.equal(inv.status, 201, inv.text);
  const accepted = curl('POST', `${base}/api/invites/accept`, { body: { code: inv.body.invite.code }, jar });
  assert.equal(accepted.status, 200, accepted.text);
  const invitePage = curl('GET', `${base}${inv.body.invite.url}`);
  assert.equal(invitePage.status, 200);
  assert.match(invitePage.headers['content-type'], /^text\/html/);
  // And the export: being inside the room, an attachment.
  const exported = curl('GET', `${base}/api/rooms/${id}/export?format=jsonl`, { jar });
  assert.equal(exported.status, 200, exported.text);
  assert.match(exported.headers['content-disposition'] ?? '', /^attachment;/);
  const page = curl('GET', `${base}/rooms/${id}`);
  assert.equal(page.status, 200);
  assert.match(page.headers['content-type'], /^text\/html/);
  assert.match(page.headers['strict-transport-security'] ?? '', /max-age=/);
  assert.equal(curl('GET', `${base}/.secret`).status, 404, 'dotfiles are never served');
  const nothing = curl('GET', `${base}/api/nothing-here`);
  assert.equal(nothing.status, 404);
  assert.equal(nothing.body?.error?.code, 'not_found');
}

// Without CHAT_* from the test's own environment when `clean`.
function startDetached(cmd, args, env = {}, { clean = false } = {}) {
  const log = join(t, `${cmd.split('/').pop()}-${started.length}.log`);
  const out = openSync(log, 'a');
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !clean || !k.startsWith('CHAT_')));
  const child = spawn(cmd, args, { env: { ...base, ...env }, stdio: ['ignore', out, out], detached: true });
  started.push(child);
  return { child, log };
}

before(async () => {
  t = mkdtempSync(join(tmpdir(), 'chat-install-'));
  chmodSync(t, 0o755);
  dest = join(t, 'root');
  const r = run('make', ['-s', '-C', ROOT, 'install', `DESTDIR=${dest}`, `PREFIX=${PREFIX}`]);
  assert.equal(r.code, 0, `make install: ${r.out}${r.err}`);
  const cert = run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(t, 'key.pem'),
    '-out', join(t, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1']);
  assert.equal(cert.code, 0, cert.err);
  // The database, by the installed chatctl; the workers, by the installed chatroom-spawn.
  mkdirSync(join(t, 'data'));
  const init = run(`${dest}${PREFIX}/sbin/chatctl`, ['--db', join(t, 'data', 'chat.db'), 'init']);
  assert.equal(init.code, 0, init.err);
  // The settings go through the file, as an admin writes them: the
  // installed example with lines uncommented (README "Deploying"), and the
  // spawner started with no CHAT_* in its environment at all.
  const example = readFileSync(`${dest}${PREFIX}/share/chatroom/conf/chatroom.env`, 'utf8');
  settingsFile = join(t, 'chatroom.env');
  writeFileSync(settingsFile, `${example
    .replace(/^#CHAT_DB=.*$/m, `CHAT_DB=${join(t, 'data', 'chat.db')}`)
    .replace(/^#CHAT_WORKERS=.*$/m, 'CHAT_WORKERS=1')
    .replace(/^#CHAT_SYNCHRONOUS=.*$/m, 'CHAT_SYNCHRONOUS=NORMAL')
    .replace(/^#CHAT_POST_BURST=.*$/m, `CHAT_POST_BURST=${POST_BURST}`)
    .replace(/^#CHAT_POST_RATE=.*$/m, 'CHAT_POST_RATE=0.01')
    .replace(/^#CHAT_PUSH_SOCKET=.*$/m, HAVE_NCHAN ? `CHAT_PUSH_SOCKET=${t}/push.sock` : '$&')}
CHAT_RUN_DIR=${join(t, 'run')}
CHAT_USER=
CHAT_LIB_DIR=${dest}${PREFIX}/lib/chatroom
`);
  spawner = startDetached(`${dest}${PREFIX}/lib/chatroom/chatroom-spawn`, ['--config', settingsFile], {}, { clean: true });
  await waitFor(() => ['auth', 'rooms', 'post', 'poll', 'search', 'files'].every((p) => existsSync(join(t, 'run', `${p}.sock`))), 10000, 'worker sockets');
});

after(async () => {
  for (const child of started.reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
    await new Promise((resolve) => {
      const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } resolve(); }, 5000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
    });
  }
  if (t && !process.env.KEEP_TEST_DIRS) rmSync(t, { recursive: true, force: true });
});

test('make install puts programs, chatctl, pages, sql, sites and units where README says, with every path filled in', () => {
  const p = (rel) => join(dest, rel);
  for (const prog of ['auth', 'rooms', 'post', 'poll', 'search', 'files', 'chatroom-spawn']) {
    assert.ok(statSync(p(`${PREFIX}/lib/chatroom/${prog}`)).mode & 0o111, `${prog} executable`);
  }
  assert.ok(statSync(p(`${PREFIX}/sbin/chatctl`)).mode & 0o111);
  assert.ok(statSync(p(`${PREFIX}/sbin/chatroom-site`)).mode & 0o111);
  for (const f of ['htdocs/index.html', 'htdocs/rooms.html', 'htdocs/room.html', 'htdocs/search.html', 'sql/schema.sql',
    'sql/migrations/0002_users_disabled.sql', 'conf/nginx/chatroom.conf', 'conf/nginx/security-headers.conf',
    'conf/nginx/api-errors.conf', 'conf/nginx/fastcgi-params.conf', 'conf/nginx/push-publisher.conf',
    'conf/nginx/push-events.conf', 'conf/apache/chatroom.conf', 'conf/chatroom.env',
    // The pages' vendored libraries and their licences (README "The pages").
    'htdocs/vendor/markdown-it.esm.min.js', 'htdocs/vendor/markdown-it.LICENSE.txt',
    'htdocs/vendor/purify.es.js', 'htdocs/vendor/dompurify.LICENSE.txt']) {
    assert.ok(existsSync(p(`${PREFIX}/share/chatroom/${f}`)), f);
  }
  assert.ok(existsSync(p('/etc/systemd/system/chatroom@.socket')));
  assert.ok(existsSync(p('/etc/systemd/system/chatroom@.service')));
  assert.equal(statSync(p('/var/lib/chatroom')).mode & 0o777, 0o750);
  const texts = [`${PREFIX}/share/chatroom/conf/nginx/chatroom.conf`, `${PREFIX}/share/chatroom/conf/apache/chatroom.conf`,
    `${PREFIX}/share/chatroom/conf/nginx/push-publisher.conf`, `${PREFIX}/share/chatroom/conf/nginx/push-events.conf`,
    `${PREFIX}/lib/chatroom/chatroom-spawn`, `${PREFIX}/sbin/chatroom-site`, `${PREFIX}/share/chatroom/conf/init.d/chatroom`,
    '/etc/systemd/system/chatroom@.socket', '/etc/systemd/system/chatroom@.service', '/etc/systemd/system/chatroom-prune.service'];
  // make install's own placeholders (chatroom-site fills the sites' own: test below).
  for (const f of texts) assert.doesNotMatch(readFileSync(p(f), 'utf8'), /@(LIB|HTDOCS|NGINX|RUN|STATE|CONFIG|SHARE|CONF|PUSH_[A-Z]+)@/, `${f}: placeholders filled`);
  for (const kind of ['nginx', 'apache']) {
    assert.doesNotMatch(readFileSync(p(`${PREFIX}/share/chatroom/conf/${kind}/chatroom.conf`), 'utf8'), /@[A-Z_]+@/, `${kind} site filled`);
  }
  assert.match(readFileSync(p('/etc/systemd/system/chatroom@.service'), 'utf8'), /ExecStart=.* \/usr\/local\/lib\/chatroom\/%i/);
});

test('the sites take server name, ports, addresses and certificate paths as settings (chatroom-site, or make install) and refuse bad ones', () => {
  const site = `${dest}${PREFIX}/sbin/chatroom-site`;
  const template = (kind) => `${dest}${PREFIX}/share/chatroom/conf/${kind}/chatroom.conf.in`;
  const gen = (kind, ...args) => run(site, [kind, '--template', template(kind), ...args]);
  // The defaults are what make install wrote: every family, 80/443, certbot's paths.
  for (const kind of ['nginx', 'apache']) {
    const d = gen(kind);
    assert.equal(d.code, 0, d.err);
    assert.equal(d.out, readFileSync(`${dest}${PREFIX}/share/chatroom/conf/${kind}/chatroom.conf`, 'utf8'), `${kind}: make install's defaults`);
    assert.doesNotMatch(d.out, /@[A-Z_]+@/);
  }
  const nginxDefault = gen('nginx').out;
  assert.deepEqual(nginxDefault.match(/^ *listen .*$/gm).map((l) => l.trim()),
    ['listen 80;', 'listen [::]:80;', 'listen 443 ssl http2;', 'listen [::]:443 ssl http2;']);
  assert.match(nginxDefault, /return 301 https:\/\/\$host\$request_uri;/);
  assert.match(nginxDefault, /ssl_certificate \/etc\/letsencrypt\/live\/chat\.example\.org\/fullchain\.pem;/);
  const own = gen('nginx', '--server-name', 'talk.example.net', '--listen', 'loopback', '--http-port', '8080',
    '--https-port', '8443', '--cert', '/etc/ssl/talk.pem', '--key', '/etc/ssl/private/talk.key').out;
  assert.deepEqual(own.match(/^ *listen .*$/gm).map((l) => l.trim()),
    ['listen 127.0.0.1:8080;', 'listen [::1]:8080;', 'listen 127.0.0.1:8443 ssl http2;', 'listen [::1]:8443 ssl http2;']);
  assert.deepEqual(own.match(/server_name .*;/g), ['server_name talk.example.net;', 'server_name talk.example.net;']);
  assert.match(own, /return 301 https:\/\/\$host:8443\$request_uri;/);
  assert.match(own, /ssl_certificate \/etc\/ssl\/talk\.pem;\n *ssl_certificate_key \/etc\/ssl\/private\/talk\.key;/);
  assert.deepEqual(gen('nginx', '--listen', 'ipv6').out.match(/^ *listen .*$/gm).map((l) => l.trim()),
    ['listen [::]:80;', 'listen [::]:443 ssl http2;']);
  assert.deepEqual(gen('nginx', '--listen', '192.0.2.7').out.match(/^ *listen .*$/gm).map((l) => l.trim()),
    ['listen 192.0.2.7:80;', 'listen 192.0.2.7:443 ssl http2;']);
  const apache = gen('apache', '--server-name', 'talk.example.net', '--listen', 'all', '--https-port', '8443').out;
  assert.match(apache, /^Listen 8443$/m, 'a port Debian\'s ports.conf does not open is opened');
  assert.doesNotMatch(apache, /^Listen 80$/m);
  assert.match(apache, /<VirtualHost \*:80>[^]*"https:\/\/%\{SERVER_NAME\}:8443\/\$1"[^]*<VirtualHost \*:8443>/);
  assert.match(apache, /SSLCertificateFile \/etc\/letsencrypt\/live\/talk\.example\.net\/fullchain\.pem/);
  // make install takes the same settings.
  const other = join(t, 'root-site');
  const made = run('make', ['-s', '-C', ROOT, 'install', `DESTDIR=${other}`, `PREFIX=${PREFIX}`, 'SERVER_NAME=talk.example.net',
    'LISTEN=loopback', 'HTTP_PORT=8080', 'HTTPS_PORT=8443', 'TLS_CERT=/etc/ssl/talk.pem', 'TLS_KEY=/etc/ssl/private/talk.key']);
  assert.equal(made.code, 0, made.err);
  assert.equal(readFileSync(`${other}${PREFIX}/share/chatroom/conf/nginx/chatroom.conf`, 'utf8'), own);
  rmSync(other, { recursive: true, force: true });
  // Wrong usage: exit 2, one sentence, nothing written.
  for (const [args, why] of [[['--server-name', 'a b;'], /not a host name/], [['--server-name', 'x.org;include /etc/passwd'], /not a host name/],
    [['--https-port', '0'], /not 1-65535/], [['--http-port', '70000'], /not 1-65535/], [['--https-port', '80'], /must differ/],
    [['--listen', 'everywhere'], /not all, ipv4, ipv6, loopback or an address/], [['--cert', '/x y.pem'], /characters/],
    [['--frob'], /unknown option/]]) {
    const r = gen('nginx', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}`);
    assert.match(r.err, why);
    assert.equal(r.out, '');
  }
  assert.equal(run(site, ['caddy']).code, 2);
  const help = run(site, ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: chatroom-site nginx\|apache/);
});

test('the installed nginx site keeps the locations and headers of the development configuration', () => {
  const norm = (text) => text.replaceAll('@CONF@', 'X').replaceAll(`${PREFIX}/share/chatroom/conf/nginx`, 'X')
    .replaceAll('chatroom_', 'chat_');
  // The site's port-80 server only redirects: compare the HTTPS server.
  // The push parts are the development ones (conf/push-*.conf.in), included.
  const lines = (text, re) => norm(text).split('\n').map((l) => l.trim())
    .filter((l) => re.test(l) && !/acme-challenge|return 301|# push$/.test(l)).sort();
  const dev = readFileSync(join(ROOT, 'conf', 'nginx.conf.in'), 'utf8');
  const site = readFileSync(join(dest, `${PREFIX}/share/chatroom/conf/nginx/chatroom.conf`), 'utf8');
  assert.deepEqual(lines(site, /^location /), lines(dev, /^location /));
  assert.deepEqual(lines(site, /^(include|fastcgi_pass|error_page|return|limit_req |client_(max|body_buffer|body_timeout|header)|add_header (Cache|Retry))/),
    lines(dev, /^(include|fastcgi_pass|error_page|return|limit_req |client_(max|body_buffer|body_timeout|header)|add_header (Cache|Retry))/).map((l) => l.replace(/burst=@AUTH_BURST@/, 'burst=20').replace('burst=@SEARCH_BURST@', 'burst=20').replace('burst=@TYPING_ADDR_BURST@', 'burst=100').replace('burst=@SEARCH_ADDR_BURST@', 'burst=60').replace('@CLIENT_TIMEOUT@', '10s')
      .replace('@FILE_BODY_MAX@', '10304k')).sort());
  const includes = site.split('\n').filter((l) => /# push$/.test(l)).map((l) => l.trim());
  assert.deepEqual(includes, [`include ${PREFIX}/share/chatroom/conf/nginx/push-publisher.conf;  # push`,
    `include ${PREFIX}/share/chatroom/conf/nginx/push-events.conf;  # push`]);
  const publisher = readFileSync(join(dest, `${PREFIX}/share/chatroom/conf/nginx/push-publisher.conf`), 'utf8');
  assert.match(publisher, /listen unix:\/run\/chatroom-push\.sock;/);
  assert.match(publisher, /nchan_publisher http;/);
  const events = readFileSync(join(dest, `${PREFIX}/share/chatroom/conf/nginx/push-events.conf`), 'utf8');
  assert.match(events, /fastcgi_pass chatroom_poll;/);
  assert.match(events, /nchan_access_control_allow_origin \$scheme:\/\/\$http_host;/);
  assert.doesNotMatch(publisher.replace(/#.*$/gm, ''), /nchan_redis|\bchat_/);
  assert.match(readFileSync(join(dest, `${PREFIX}/share/chatroom/conf/chatroom.env`), 'utf8'),
    /^#CHAT_PUSH_SOCKET=\/run\/chatroom-push\.sock$/m);
});

test('the installed nginx site passes nginx -t and serves the chat over HTTPS (register, post, poll) against the installed programs', async () => {
  const ports = { http: await freePort(), https: await freePort() };
  const site = makeSite('nginx', ports);
  writeFileSync(join(t, 'nginx-site.conf'), site);
  // The push parts it includes, with the same DESTDIR and socket path.
  for (const part of ['push-publisher.conf', 'push-events.conf']) {
    const file = join(dest, `${PREFIX}/share/chatroom/conf/nginx/${part}`);
    writeFileSync(file, adapt(readFileSync(file, 'utf8')));
  }
  mkdirSync(join(t, 'nginx-tmp'), { recursive: true });
  // The http {} that Debian's /etc/nginx/nginx.conf gives a site, in
  // miniature (with libnginx-mod-nchan's modules-enabled line).
  writeFileSync(join(t, 'nginx.conf'), `${HAVE_NCHAN ? `load_module ${NCHAN};\n` : ''}user root root;
pid ${t}/nginx.pid;
error_log ${t}/nginx-error.log warn;
daemon off;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  client_body_temp_path ${t}/nginx-tmp/body;
  fastcgi_temp_path ${t}/nginx-tmp/fastcgi;
  proxy_temp_path ${t}/nginx-tmp/proxy;
  uwsgi_temp_path ${t}/nginx-tmp/uwsgi;
  scgi_temp_path ${t}/nginx-tmp/scgi;
  include ${t}/nginx-site.conf;
}
`);
  const check = run('nginx', ['-t', '-p', t, '-c', join(t, 'nginx.conf'), '-e', join(t, 'nginx-error.log')]);
  assert.equal(check.code, 0, `nginx -t: ${check.err}`);
  startDetached('nginx', ['-p', t, '-c', join(t, 'nginx.conf'), '-e', join(t, 'nginx-error.log')]);
  const base = `https://127.0.0.1:${ports.https}`;
  await waitFor(() => run('curl', ['-sk', '-o', '/dev/null', `${base}/`]).code === 0, 10000, 'nginx');
  // The redirect goes to the real HTTPS port (not to 443, where nothing listens).
  const redirect = curl('GET', `http://127.0.0.1:${ports.http}/rooms`);
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, `https://127.0.0.1:${ports.https}/rooms`);
  chatRound(base, 'via_nginx');
  nginxBase = base;
});

const settingsLines = () => readFileSync(spawner.log, 'utf8').split('\n').filter((l) => /\bsettings: /.test(l));

test('chatroom-spawn exports the settings file to the workers, and every program logs at start the settings it runs with (never the secret)', async () => {
  assert.ok(nginxBase, 'the installed nginx site is serving (test above)');
  // Through the API: the file's CHAT_POST_BURST is the one the post workers enforce.
  const jar = join(t, 'burst.jar');
  assert.equal(curl('POST', `${nginxBase}/api/register`, { body: { username: 'bursty', password: PASSWORD }, jar }).status, 201);
  const room = curl('POST', `${nginxBase}/api/rooms`, { body: { name: 'Burst' }, jar }).body.room;
  assert.equal(curl('POST', `${nginxBase}/api/rooms/${room.id}/join`, { body: {}, jar }).status, 200);
  const statuses = [];
  for (let i = 0; i <= POST_BURST; i += 1) {
    statuses.push(curl('POST', `${nginxBase}/api/rooms/${room.id}/messages`, { body: { text: `n${i}` }, jar }).status);
  }
  assert.deepEqual(statuses, [...Array(POST_BURST).fill(201), 429], 'CHAT_POST_BURST from the settings file');
  // In the log: the spawner's line, and one line per program with what it runs with.
  const log = readFileSync(spawner.log, 'utf8');
  assert.match(log, new RegExp(`chatroom-spawn: settings file ${settingsFile}; .*CHAT_POST_BURST=${POST_BURST}`));
  await waitFor(() => ['auth', 'rooms', 'post', 'poll', 'search', 'files'].every((p) => settingsLines().some((l) => l.includes(p))), 10000, 'a settings line from every program');
  // Every setting the programs read (the CHAT_ names config.h documents) is in the line.
  const header = readFileSync(join(ROOT, 'cgi-bin', 'core', 'config.h'), 'utf8');
  const names = [...new Set(header.slice(header.indexOf('struct Config'), header.indexOf('};')).match(/CHAT_[A-Z_]+/g))];
  assert.ok(names.length >= 15, names.join(' '));
  for (const line of settingsLines()) {
    for (const name of names) assert.ok(line.includes(` ${name}=`) || line.includes(`settings: ${name}=`), `${name} in: ${line}`);
    assert.match(line, /CHAT_SYNCHRONOUS=NORMAL/, line);
    assert.match(line, new RegExp(`CHAT_POST_BURST=${POST_BURST} `), line);
    assert.match(line, new RegExp(`CHAT_DB=${join(t, 'data', 'chat.db')} `), line);
    if (HAVE_NCHAN) assert.match(line, new RegExp(`CHAT_PUSH_SOCKET=${t}/push\\.sock`), line);
  }
  const secret = readFileSync(join(t, 'data', 'chat.db.secret'));
  for (const form of [secret.toString('utf8').trim(), secret.toString('hex'), secret.toString('base64'), secret.toString('base64url')]) {
    assert.ok(form.length >= 16 && !log.includes(form), 'the secret is never logged');
  }
});

test('chatroom-spawn --help prints its usage and starts nothing; an unknown argument is wrong usage (2)', () => {
  const runDir = join(t, 'help-run');
  const env = { ...process.env, CHAT_RUN_DIR: runDir, CHAT_USER: '', CHAT_LIB_DIR: `${dest}${PREFIX}/lib/chatroom` };
  const spawnPath = `${dest}${PREFIX}/lib/chatroom/chatroom-spawn`;
  const help = run(spawnPath, ['--help'], { env, timeout: 10000 });
  assert.equal(help.code, 0, help.err);
  assert.match(help.out, /^usage: chatroom-spawn \[--config FILE\]/);
  assert.match(help.out, /HUP/);
  assert.ok(!existsSync(runDir), 'no run folder, no socket, no worker');
  const bad = run(spawnPath, ['--frobnicate'], { env, timeout: 10000 });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown argument "--frobnicate"/);
  assert.ok(!existsSync(runDir));
  const missing = run(spawnPath, ['--config', join(t, 'no-such.env')], { env, timeout: 10000 });
  assert.equal(missing.code, 1);
  assert.match(missing.err, /cannot read the settings file/);
  assert.ok(!existsSync(runDir));
});

test('a second chatroom-spawn for the same run folder refuses to start and leaves the first one\'s sockets alone', () => {
  assert.ok(nginxBase, 'the installed nginx site is serving');
  const sockets = ['auth', 'rooms', 'post', 'poll', 'search', 'files'].map((p) => statSync(join(t, 'run', `${p}.sock`)).ino);
  assert.equal(readFileSync(join(t, 'run', 'chatroom-spawn.pid'), 'utf8').trim(), String(spawner.child.pid));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_')));
  const second = run(`${dest}${PREFIX}/lib/chatroom/chatroom-spawn`, ['--config', settingsFile], { env, timeout: 10000 });
  assert.equal(second.code, 1, `${second.out}${second.err}`);
  assert.match(second.err, new RegExp(`already running \\(pid ${spawner.child.pid}, lock `));
  assert.deepEqual(['auth', 'rooms', 'post', 'poll', 'search', 'files'].map((p) => statSync(join(t, 'run', `${p}.sock`)).ino), sockets, 'same sockets');
  assert.equal(curl('GET', `${nginxBase}/api/health`).status, 200);
});

test('a spawner killed outright (SIGKILL) leaves its workers serving: a new copy still refuses until they are gone, then starts', async () => {
  const runDir = join(t, 'run-killed');
  const config = join(t, 'killed.env');
  writeFileSync(config, readFileSync(settingsFile, 'utf8').replace(/^CHAT_RUN_DIR=.*$/m, `CHAT_RUN_DIR=${runDir}`));
  const spawnPath = `${dest}${PREFIX}/lib/chatroom/chatroom-spawn`;
  const first = startDetached(spawnPath, ['--config', config], {}, { clean: true });
  await waitFor(() => ['auth', 'rooms', 'post', 'poll', 'search', 'files'].every((p) => existsSync(join(runDir, `${p}.sock`))), 10000, 'sockets');
  const sockets = ['auth', 'rooms', 'post', 'poll', 'search', 'files'].map((p) => statSync(join(runDir, `${p}.sock`)).ino);
  const inodes = () => ['auth', 'rooms', 'post', 'poll', 'search', 'files'].map((p) => statSync(join(runDir, `${p}.sock`)).ino);
  process.kill(first.child.pid, 'SIGKILL'); // only the shell: its multiwatch and workers go on
  await waitFor(() => first.child.exitCode !== null || first.child.signalCode !== null, 5000, 'the spawner gone');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_')));
  let refused;
  try {
    // A copy that wrongly starts is stopped by the timeout's SIGTERM.
    refused = run(spawnPath, ['--config', config], { env, timeout: 10000 });
    assert.deepEqual(inodes(), sockets, 'the orphans\' sockets untouched');
  } finally {
    try { process.kill(-first.child.pid, 'SIGKILL'); } catch { /* gone */ } // the orphans (one process group)
  }
  assert.equal(refused.code, 1, `${refused.out}${refused.err}`);
  assert.match(refused.err, new RegExp(`an earlier copy \\(pid ${first.child.pid}\\) is gone but workers it started still serve`));
  await waitFor(() => run('sh', ['-c', `ps -eo pgid= | grep -qx ' *${first.child.pid}' && exit 1 || exit 0`]).code === 0, 10000, 'orphans gone');
  const second = startDetached(spawnPath, ['--config', config], {}, { clean: true });
  await waitFor(() => existsSync(join(runDir, 'chatroom-spawn.pid')) && readFileSync(join(runDir, 'chatroom-spawn.pid'), 'utf8').trim() === String(second.child.pid), 10000, 'the new copy holds the lock');
  await waitFor(() => ['auth', 'rooms', 'post', 'poll', 'search', 'files'].every((p) => existsSync(join(runDir, `${p}.sock`))), 10000, 'new sockets');
});

// Reads a room's event stream over HTTPS with curl (the certificate is
// self-signed); resolves {out(), close()} once curl has the reply's head.
async function openStream(url, jar) {
  const child = spawn('curl', ['-skN', '-i', '--max-time', '20', '-b', jar, '-H', 'accept: text/event-stream', url],
    { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => { out += d; });
  await waitFor(() => out.includes('\r\n\r\n') || child.exitCode !== null, 10000, 'the event stream\'s head');
  return { out: () => out, close: () => { if (child.exitCode === null) child.kill('SIGTERM'); } };
}

test('the installed nginx site pushes a room\'s events through nchan (doorbell from the installed workers)',
  { skip: !HAVE_NCHAN && `nchan module missing (${NCHAN})` }, async () => {
    assert.ok(nginxBase, 'the installed nginx site is serving (test above)');
    const jars = { ann: join(t, 'push-ann.jar'), bob: join(t, 'push-bob.jar') };
    for (const [who, jar] of Object.entries(jars)) {
      const reg = curl('POST', `${nginxBase}/api/register`, { body: { username: `push_${who}`, password: PASSWORD }, jar });
      assert.equal(reg.status, 201, reg.text);
    }
    const room = curl('POST', `${nginxBase}/api/rooms`, { body: { name: 'Pushed' }, jar: jars.ann }).body.room;
    for (const jar of Object.values(jars)) {
      const joined = curl('POST', `${nginxBase}/api/rooms/${room.id}/join`, { body: {}, jar });
      assert.equal(joined.status, 200, joined.text);
      assert.equal(joined.body.events, `/api/rooms/${room.id}/events`, 'the installed workers offer the stream');
    }
    const refused = curl('GET', `${nginxBase}/api/rooms/${room.id}/events`, { accept: 'text/event-stream' });
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.body?.error?.code, 'not_logged_in');
    const stream = await openStream(`${nginxBase}/api/rooms/${room.id}/events`, jars.bob);
    try {
      assert.match(stream.out(), /^HTTP\/[\d.]+ 200/, stream.out());
      assert.match(stream.out(), /content-type: text\/event-stream/i);
      const t0 = performance.now();
      const posted = curl('POST', `${nginxBase}/api/rooms/${room.id}/messages`, { body: { text: 'rung' }, jar: jars.ann });
      assert.equal(posted.status, 201, posted.text);
      const event = `{"type":"message","id":${posted.body.message.id}}`;
      await waitFor(() => stream.out().includes(event), 2000, `${event} on the stream`);
      const ms = Math.round(performance.now() - t0);
      console.log(`push through the installed nginx site: event ${ms} ms after the post was sent`);
      assert.ok(ms < 1500, `event after ${ms} ms (the poll alone takes up to 2 s)`);
    } finally {
      stream.close();
    }
  });

test('the installed Apache site passes apache2 -t and serves the chat over HTTPS through mod_proxy_fcgi against the installed programs', async (ctx) => {
  if (!existsSync('/usr/sbin/apache2')) {
    console.error('!!! SKIPPED: apache2 is not installed (make deps installs it) !!!');
    ctx.skip('apache2 not installed');
    return;
  }
  const ports = { http: await freePort(), https: await freePort() };
  const site = makeSite('apache', ports);
  writeFileSync(join(t, 'apache-site.conf'), site);
  mkdirSync(join(t, 'apache-run'), { recursive: true });
  const mods = ['mpm_event', 'authz_core', 'mime', 'alias', 'headers', 'rewrite', 'proxy', 'proxy_fcgi', 'ssl', 'socache_shmcb'];
  // Its own configuration, ports, pid and logs: never the system's apache2 service.
  writeFileSync(join(t, 'apache.conf'), `${mods.map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`).join('\n')}
ServerRoot ${t}
ServerName 127.0.0.1
PidFile ${t}/apache.pid
DefaultRuntimeDir ${t}/apache-run
Mutex file:${t}/apache-run default
ErrorLog ${t}/apache-error.log
LogLevel warn
User www-data
Group www-data
TypesConfig /etc/mime.types
Define APACHE_LOG_DIR ${t}
Include ${t}/apache-site.conf
`);
  const check = run('apache2', ['-t', '-f', join(t, 'apache.conf')]);
  assert.equal(check.code, 0, `apache2 -t: ${check.out}${check.err}`);
  startDetached('apache2', ['-DFOREGROUND', '-f', join(t, 'apache.conf')]);
  const base = `https://127.0.0.1:${ports.https}`;
  await waitFor(() => run('curl', ['-sk', '-o', '/dev/null', `${base}/`]).code === 0, 10000, 'apache2');
  const redirect = curl('GET', `http://127.0.0.1:${ports.http}/rooms`);
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, `https://127.0.0.1:${ports.https}/rooms`);
  chatRound(base, 'via_apache');
  // What Apache refuses itself under /api/ is the API's JSON too (raw bytes
  // over TLS, so the odd request lines go out as written); the pages keep
  // Apache's own 404. Apache's statuses are its own: 400 for an unknown
  // Transfer-Encoding (nginx: 501), and it passes a request line ending
  // HTTP/2.0 on to the program as HTTP/1 (nginx: 505).
  const H = 'Host: 127.0.0.1\r\nConnection: close\r\n';
  for (const [what, bytes, status, code] of [
    ['Transfer-Encoding: gzip', `POST /api/rooms HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 400, 'bad_request'],
    ['a request line ending HTTP/2.0', `GET /api/me HTTP/2.0\r\n${H}\r\n`, 401, 'not_logged_in'],
    ['/api/.env', `GET /api/.env HTTP/1.1\r\n${H}\r\n`, 404, 'not_found'],
    ['/api/nothing', `GET /api/nothing HTTP/1.1\r\n${H}\r\n`, 404, 'not_found'],
    ['a body over 64 KiB', `POST /api/rooms HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 70000\r\n\r\n${'x'.repeat(70000)}`, 413, 'body_too_large'],
    ['a header line without a colon', `GET /api/me HTTP/1.1\r\n${H}Not a header\r\n\r\n`, 400, 'bad_request'],
  ]) {
    const r = await rawTls(ports.https, bytes);
    assert.equal(r.status, status, `${what}: ${r.raw.slice(0, 300)}`);
    assert.match(r.headers['content-type'] ?? '', /^application\/json/, `${what}: ${r.raw.slice(0, 300)}`);
    assert.equal(JSON.parse(r.body).error.code, code, what);
  }
  // A file's bytes carry the program's sandbox policy, nosniff and caching,
  // once each; the site's stay on everything else (tests/api/attack3.test.mjs).
  const jar = join(t, 'via_apache.jar');
  const room = curl('GET', `${base}/api/rooms`, { jar }).body.rooms.find((x) => x.name === 'Room of via_apache');
  writeFileSync(join(t, 'upload.html'), '<script>alert(1)</script>');
  const up = run('curl', ['-sk', '-b', jar, '-H', `origin: ${base}`, '-F', `file=@${join(t, 'upload.html')};type=text/html`,
    `${base}/api/rooms/${room.id}/files`]);
  const id = JSON.parse(up.out).attachment.id;
  const file = run('curl', ['-sk', '-b', jar, '-D', '-', '-o', '/dev/null', `${base}/api/files/${id}`]).out;
  assert.deepEqual(file.match(/^content-security-policy:.*$/gim), ["Content-Security-Policy: sandbox; default-src 'none'; style-src 'unsafe-inline'"], file);
  assert.equal(file.match(/^x-content-type-options:.*$/gim).length, 1, file);
  // ...and the program's caching: private (never a shared cache), immutable.
  assert.deepEqual(file.match(/^cache-control:.*$/gim), ['Cache-Control: private, max-age=31536000, immutable'], file);
  const missing = run('curl', ['-sk', '-b', jar, '-D', '-', '-o', '/dev/null', `${base}/api/files/999999`]).out;
  assert.equal(missing.match(/^content-security-policy: default-src 'self'.*$/gim).length, 1, missing);
  const page404 = await rawTls(ports.https, `GET /nothing.html HTTP/1.1\r\n${H}\r\n`);
  assert.equal(page404.status, 404);
  assert.doesNotMatch(page404.headers['content-type'] ?? '', /json/);
});

test('SIGHUP makes chatroom-spawn read the settings file again and restart the workers with it', async () => {
  assert.ok(nginxBase, 'the installed nginx site is serving');
  writeFileSync(settingsFile, readFileSync(settingsFile, 'utf8').replace(/^CHAT_POST_BURST=.*$/m, 'CHAT_POST_BURST=2'));
  const before = settingsLines().length;
  process.kill(spawner.child.pid, 'SIGHUP');
  await waitFor(() => settingsLines().slice(before).filter((l) => l.includes('CHAT_POST_BURST=2 ')).length >= 4, 15000, 'the workers restarted with the new settings');
  await waitFor(() => curl('GET', `${nginxBase}/api/health`).status === 200, 10000, 'health after the reload');
  const jar = join(t, 'reload.jar');
  assert.equal(curl('POST', `${nginxBase}/api/register`, { body: { username: 'reloaded', password: PASSWORD }, jar }).status, 201);
  const room = curl('POST', `${nginxBase}/api/rooms`, { body: { name: 'Reloaded' }, jar }).body.room;
  assert.equal(curl('POST', `${nginxBase}/api/rooms/${room.id}/join`, { body: {}, jar }).status, 200);
  const statuses = [0, 1, 2].map((i) => curl('POST', `${nginxBase}/api/rooms/${room.id}/messages`, { body: { text: `r${i}` }, jar }).status);
  assert.deepEqual(statuses, [201, 201, 429]);
  assert.equal(spawner.child.exitCode, null, 'the spawner itself kept running');
});

test('a HUP whose new settings cannot start workers (a broken key file) keeps the running workers and says why', async () => {
  assert.ok(nginxBase, 'the installed nginx site is serving');
  const good = readFileSync(settingsFile, 'utf8');
  const broken = join(t, 'broken.secret');
  writeFileSync(broken, 'short');
  writeFileSync(settingsFile, `${good}CHAT_SECRET_FILE=${broken}\n`);
  const log = () => readFileSync(spawner.log, 'utf8');
  const before = log().length;
  try {
    process.kill(spawner.child.pid, 'SIGHUP');
    await waitFor(() => /the new settings cannot start workers/.test(log().slice(before)), 15000, 'the refusal in the log');
    assert.match(log().slice(before), /broken\.secret/, 'the line names the file');
    assert.equal(curl('GET', `${nginxBase}/api/health`).status, 200, 'the running workers still serve');
    assert.equal(settingsLines().filter((l) => l.includes('broken.secret')).length, 0, 'no worker started with it');
    assert.equal(spawner.child.exitCode, null);
  } finally {
    writeFileSync(settingsFile, good);
  }
});

test('without systemd: the installed init script starts, reports, reloads and stops the spawner, which logs to its file', async () => {
  const init = `${dest}${PREFIX}/share/chatroom/conf/init.d/chatroom`;
  assert.ok(statSync(init).mode & 0o111, 'executable');
  assert.match(readFileSync(init, 'utf8'), /^### BEGIN INIT INFO$[^]*^# Default-Start: +2 3 4 5$[^]*^### END INIT INFO$/m, 'LSB header for update-rc.d');
  assert.match(readFileSync(`${dest}${PREFIX}/share/chatroom/conf/logrotate/chatroom`, 'utf8'), /^\/var\/log\/chatroom\/chatroom\.log \{[^}]*copytruncate/m);
  // Its own run folder and settings file, the same database.
  const runDir = join(t, 'run-init');
  const config = join(t, 'init.env');
  writeFileSync(config, readFileSync(settingsFile, 'utf8').replace(/^CHAT_RUN_DIR=.*$/m, `CHAT_RUN_DIR=${runDir}`));
  const log = join(t, 'log', 'chatroom.log');
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_'))),
    CHAT_SPAWN: `${dest}${PREFIX}/lib/chatroom/chatroom-spawn`, CHAT_CONFIG: config, CHAT_LOG: log };
  const service = (cmd) => run(init, [cmd], { env, timeout: 60000 });
  assert.equal(service('status').code, 3, 'not running yet');
  try {
    const start = service('start');
    assert.equal(start.code, 0, `${start.out}${start.err}`);
    await waitFor(() => ['auth', 'rooms', 'post', 'poll', 'search', 'files'].every((p) => existsSync(join(runDir, `${p}.sock`))), 10000, 'sockets');
    const pid = Number(readFileSync(join(runDir, 'chatroom-spawn.pid'), 'utf8'));
    const status = service('status');
    assert.equal(status.code, 0, `${status.out}${status.err}`);
    assert.match(status.out, /is running/);
    assert.equal(service('start').code, 0, 'start while running changes nothing');
    assert.equal(Number(readFileSync(join(runDir, 'chatroom-spawn.pid'), 'utf8')), pid);
    const lines = () => readFileSync(log, 'utf8').split('\n').filter((l) => /\bsettings: /.test(l));
    await waitFor(() => lines().length >= 4, 10000, 'the workers\' settings lines in the log file');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^CHAT_POST_BURST=.*$/m, 'CHAT_POST_BURST=3'));
    assert.equal(service('reload').code, 0);
    await waitFor(() => lines().filter((l) => l.includes('CHAT_POST_BURST=3 ')).length >= 4, 15000, 'workers with the new settings');
    assert.equal(Number(readFileSync(join(runDir, 'chatroom-spawn.pid'), 'utf8')), pid, 'reload keeps the spawner');
    const stop = service('stop');
    assert.equal(stop.code, 0, `${stop.out}${stop.err}`);
    assert.throws(() => process.kill(pid, 0), 'the spawner is gone');
    assert.ok(!existsSync(join(runDir, 'chatroom-spawn.pid')), 'its pid file too');
    assert.equal(service('status').code, 3);
    assert.match(readFileSync(log, 'utf8'), /chatroom-spawn: stopped/);
  } finally {
    service('stop');
  }
});

// Sends raw bytes over TLS (the certificate is self-signed) and reads until
// the server closes. {status, headers (lower-case), body, raw}.
function rawTls(port, text) {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    const chunks = [];
    socket.setTimeout(15000, () => { socket.destroy(); reject(new Error(`no reply to ${text.slice(0, 60)}`)); });
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      const headers = {};
      for (const line of raw.slice(0, end).split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let body = raw.slice(end + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) { // one chunk is all these replies need
        body = body.slice(body.indexOf('\r\n') + 2, body.indexOf('\r\n') + 2 + parseInt(body, 16));
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0), headers, body, raw });
    });
    socket.on('secureConnect', () => socket.write(text, 'latin1'));
  });
}

test('the installed systemd units pass systemd-analyze verify', (ctx) => {
  if (run('systemd-analyze', ['--version']).code !== 0) {
    console.error('!!! SKIPPED: systemd-analyze is not available !!!');
    ctx.skip('no systemd-analyze');
    return;
  }
  const units = join(t, 'units');
  mkdirSync(units);
  for (const kind of ['socket', 'service']) {
    // One instance of each template; ExecStart pointed at the DESTDIR copy.
    const text = readFileSync(join(dest, `/etc/systemd/system/chatroom@.${kind}`), 'utf8').replaceAll(`${PREFIX}/`, `${dest}${PREFIX}/`);
    writeFileSync(join(units, `chatroom@.${kind}`), text);
    writeFileSync(join(units, `chatroom@auth.${kind}`), text);
  }
  const r = run('systemd-analyze', ['verify', join(units, 'chatroom@auth.socket'), join(units, 'chatroom@auth.service')]);
  assert.equal(r.code, 0, `systemd-analyze verify: ${r.out}${r.err}`);
  assert.doesNotMatch(r.err, /chatroom@/, `warnings about our units: ${r.err}`);
  // The retention timer (README "Retention") and its oneshot service.
  for (const kind of ['service', 'timer']) {
    const text = readFileSync(join(dest, `/etc/systemd/system/chatroom-prune.${kind}`), 'utf8').replaceAll(`${PREFIX}/`, `${dest}${PREFIX}/`);
    writeFileSync(join(units, `chatroom-prune.${kind}`), text);
  }
  const prune = run('systemd-analyze', ['verify', join(units, 'chatroom-prune.timer'), join(units, 'chatroom-prune.service')]);
  assert.equal(prune.code, 0, `systemd-analyze verify: ${prune.out}${prune.err}`);
  assert.doesNotMatch(prune.err, /chatroom-prune/, `warnings about the prune units: ${prune.err}`);
  assert.match(readFileSync(join(units, 'chatroom-prune.service'), 'utf8'), /^ExecStart=\S+\/sbin\/chatctl prune$/m);
  const service = readFileSync(join(units, 'chatroom@.service'), 'utf8');
  for (const line of ['StandardInput=socket', 'Restart=always', 'User=chatroom', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/chatroom', 'NoNewPrivileges=yes']) {
    assert.ok(service.includes(line), line);
  }
});

// Folders of the file system itself, which make uninstall leaves.
const SKELETON = ['/usr', '/usr/local', '/usr/local/lib', '/usr/local/sbin', '/usr/local/share', '/usr/local/share/man', '/usr/local/share/man/man8', '/etc', '/etc/systemd', '/etc/systemd/system', '/var', '/var/lib'];

// Every file and folder under `root`, relative, sorted.
function tree(root) {
  const r = run('find', [root, '-mindepth', '1']);
  return r.out.split('\n').filter(Boolean).map((p) => p.slice(root.length)).sort();
}

test('make uninstall removes everything make install put in place, keeps the data, settings, sites and account, and says how to remove them', () => {
  const root = join(t, 'root-uninstall');
  const made = run('make', ['-s', '-C', ROOT, 'install', `DESTDIR=${root}`, `PREFIX=${PREFIX}`]);
  assert.equal(made.code, 0, made.err);
  const installed = tree(root);
  // An empty install: nothing of anyone's, so nothing is kept (the empty data folder goes too).
  const bare = run('make', ['-s', '-C', ROOT, 'uninstall', `DESTDIR=${root}`, `PREFIX=${PREFIX}`]);
  assert.equal(bare.code, 0, bare.err);
  assert.deepEqual(tree(root).filter((p) => !SKELETON.includes(p)), [],
    'every file make install put there is gone');
  assert.match(bare.out, /nothing of Chatroom's data or settings was found/);
  // Now as README "Deploying" leaves a host: data, settings, backups, sites,
  // the init script (2b) and its boot links, the account.
  assert.equal(run('make', ['-s', '-C', ROOT, 'install', `DESTDIR=${root}`, `PREFIX=${PREFIX}`]).code, 0);
  const put = (rel, text = 'x') => { mkdirSync(join(root, rel, '..'), { recursive: true }); writeFileSync(join(root, rel), text); };
  put('/var/lib/chatroom/chat.db');
  put('/var/lib/chatroom/chat.db.secret');
  put('/etc/chatroom/chatroom.env');
  put('/var/backups/chatroom/chat-2026-11-29.db');
  put('/etc/nginx/sites-available/chatroom');
  mkdirSync(join(root, '/etc/nginx/sites-enabled'), { recursive: true });
  spawnSync('ln', ['-s', '../sites-available/chatroom', join(root, '/etc/nginx/sites-enabled/chatroom')]);
  put('/etc/init.d/chatroom', readFileSync(join(root, `${PREFIX}/share/chatroom/conf/init.d/chatroom`), 'utf8'));
  put('/etc/logrotate.d/chatroom');
  mkdirSync(join(root, '/etc/rc2.d'), { recursive: true });
  spawnSync('ln', ['-s', '../init.d/chatroom', join(root, '/etc/rc2.d/S01chatroom')]);
  put('/etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nchatroom:x:999:999::/var/lib/chatroom:/usr/sbin/nologin\n');
  const r = run('make', ['-s', '-C', ROOT, 'uninstall', `DESTDIR=${root}`, `PREFIX=${PREFIX}`]);
  assert.equal(r.code, 0, r.err);
  for (const p of installed.filter((p) => !p.startsWith('/var/lib/chatroom'))) {
    if (SKELETON.includes(p)) continue;
    assert.ok(!existsSync(join(root, p)), `${p} removed`);
  }
  for (const p of ['/etc/init.d/chatroom', '/etc/logrotate.d/chatroom', '/etc/rc2.d/S01chatroom']) {
    assert.ok(!existsSync(join(root, p)) && run('test', ['-L', join(root, p)]).code !== 0, `${p} removed`);
  }
  for (const p of ['/var/lib/chatroom/chat.db', '/var/lib/chatroom/chat.db.secret', '/etc/chatroom/chatroom.env',
    '/var/backups/chatroom/chat-2026-11-29.db', '/etc/nginx/sites-available/chatroom', '/etc/passwd']) {
    assert.ok(existsSync(join(root, p)), `${p} kept`);
  }
  assert.match(r.out, /kept these/);
  for (const [what, how] of [[/the database.*: .*\/var\/lib\/chatroom$/m, /remove: rm -r \/var\/lib\/chatroom /],
    [/backups .*: .*\/var\/backups\/chatroom$/m, /remove: rm -r \/var\/backups\/chatroom$/m],
    [/the settings: .*\/etc\/chatroom$/m, /remove: rm -r \/etc\/chatroom$/m],
    [/the enabled nginx site .*: .*\/etc\/nginx\/sites-enabled\/chatroom$/m, /remove: rm \/etc\/nginx\/sites-enabled\/chatroom && service nginx reload$/m],
    [/the account: chatroom/, /remove: deluser --system chatroom/]]) {
    assert.match(r.out, what);
    assert.match(r.out, how);
  }
  // A second run removes nothing more and still says what is kept.
  const again = run('make', ['-s', '-C', ROOT, 'uninstall', `DESTDIR=${root}`, `PREFIX=${PREFIX}`]);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /removed 0 item\(s\)/);
  assert.match(again.out, /kept these/);
});
