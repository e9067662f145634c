#!/usr/bin/env bash
# Runs Chatroom in the foreground: nginx and the FastCGI workers, over one
# chat.db. `make run` calls it with "all"; the tests start "nginx" and
# "workers" as two processes so they can stop and restart the workers alone.
#
#   conf/run.sh [all|nginx|workers]
#
# Environment: PORT (8080), CHAT_DB (./chat.db), CHAT_RUN_DIR (./run: sockets,
# generated nginx.conf, pid and temp files), CHAT_WORKERS (2 per program),
# CHAT_FILES_WORKERS (1: the files program's, rarely busy and the largest),
# CHAT_AUTH_RATE / CHAT_AUTH_BURST (login+register limit per address,
# 10r/s and 20), CHAT_SEARCH_RATE / CHAT_SEARCH_BURST (searches a session
# may make, 60r/m and 20 at once), CHAT_SEARCH_ADDR_RATE /
# CHAT_SEARCH_ADDR_BURST (the same per address, 300r/m and 60),
# CHAT_TYPING_ADDR_RATE / CHAT_TYPING_ADDR_BURST (typing per address, 600r/m
# and 100), CHAT_NGINX_PROCESSES (nginx worker_processes, auto),
# CHAT_NGINX_CONNECTIONS (4096 per nginx worker),
# CHAT_NGINX_EXTRA (a file of extra server locations, for `make bench`),
# CHAT_NGINX_EXTRA_HTTP (the same at http level: upstreams),
# CHAT_WORKER_THREADS (3 accepting threads per worker; nginx keeps FastCGI
# connections open between requests when there are enough of them),
# CHAT_NGINX_CLIENT_TIMEOUT (10s: client_header_timeout and
# client_body_timeout; the slow-client test shortens it),
# CHAT_PUSH (1: instant delivery through nginx's nchan module when
# CHAT_NCHAN_MODULE, /usr/lib/nginx/modules/ngx_nchan_module.so, exists;
# 0: polling only), CHAT_PUSH_REDIS (redis://host:port: the push channels
# live in that Redis, shared by every nginx pointed at it), CHAT_PUSH_SOCKET
# (set here for the workers),
# and the CHAT_* settings the programs read (README).
# SIGINT/SIGTERM stop every process this script started, and so does the end
# of any one of them (nginx's master killed, say): nothing is left holding
# the port or the database.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=${1:-all}
PORT=${PORT:-8080}
CHAT_DB=$(realpath -m "${CHAT_DB:-$ROOT/chat.db}")
RUN_DIR=$(realpath -m "${CHAT_RUN_DIR:-$ROOT/run}")
WORKERS=${CHAT_WORKERS:-2}
FILES_WORKERS=${CHAT_FILES_WORKERS:-1}
THREADS=${CHAT_WORKER_THREADS:-3}
export CHAT_WORKER_THREADS=$THREADS
BIN=${CHAT_BIN:-$ROOT/build/bin}
NCHAN_MODULE=${CHAT_NCHAN_MODULE:-/usr/lib/nginx/modules/ngx_nchan_module.so}
export CHAT_DB

# Push is on when asked for (the default) and the module is installed; nginx
# and the workers decide alike, so the workers ring a doorbell only when
# nginx listens for it.
push=0
if [ "${CHAT_PUSH:-1}" != 0 ] && [ -f "$NCHAN_MODULE" ]; then push=1; fi
if [ $push = 1 ]; then export CHAT_PUSH_SOCKET=$RUN_DIR/push.sock; else unset CHAT_PUSH_SOCKET; fi

# CHAT_PUSH_REDIS: nchan keeps the rooms' channels in this Redis instead of
# nginx's shared memory, so several nginx nodes share them.
push_redis=""
push_store=""
if [ $push = 1 ] && [ -n "${CHAT_PUSH_REDIS:-}" ]; then
  redis_url='^redis://[A-Za-z0-9._~:@/%+-]+$'  # what nchan_redis_server takes, nothing that could end the line
  if ! [[ $CHAT_PUSH_REDIS =~ $redis_url ]]; then
    echo "run: CHAT_PUSH_REDIS must look like redis://host:port, not '$CHAT_PUSH_REDIS'" >&2
    exit 2
  fi
  # nostore: Redis only relays the doorbells (pub/sub), it keeps no message
  # buffer. In nchan 1.3.6's default (distributed) mode about one new
  # subscription in seven never heard an event (README "More than one nginx").
  push_redis="upstream chat_push_redis { nchan_redis_server $CHAT_PUSH_REDIS; nchan_redis_storage_mode nostore; }"
  push_store="nchan_redis_pass chat_push_redis;"
fi

children=()

# Each child runs in a session (and process group) of its own, by
# `setsid CMD &` (which execs straight into CMD, so $! is its pid): Ctrl-C
# then reaches only this script, which stops the children in order. A worker
# killed by the terminal's SIGINT would otherwise be respawned by multiwatch
# mid-shutdown.

stop_all() {
  trap - INT TERM EXIT
  if ((${#children[@]})); then
    # TERM to multiwatch (not its group) makes it stop its workers without
    # respawning them; TERM to nginx's master stops its workers.
    kill -TERM "${children[@]}" 2>/dev/null || true
    wait "${children[@]}" 2>/dev/null || true
    stop_groups
  fi
}

# Whatever is left in the children's process groups outlived its parent:
# nginx workers whose master was killed (they keep the listening port and
# answer 502 for ever, and the next start cannot bind), workers whose
# multiwatch was killed. Each child leads a group of its own (setsid, above),
# which the kernel keeps, and never reuses the number of, while a member
# lives. TERM, up to 3 s to go, then KILL.
stop_groups() {
  local pid tries left=("${children[@]}")
  for pid in "${left[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for ((tries = 0; tries < 30; tries++)); do
    # Only groups still there: an empty group's number may be reused.
    local alive=()
    for pid in "${left[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive+=("$pid"); done
    ((${#alive[@]})) || return 0
    left=("${alive[@]}")
    sleep 0.1
  done
  for pid in "${left[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

init_db() {
  if [ ! -s "$CHAT_DB" ]; then
    echo "run: creating $CHAT_DB from sql/schema.sql" >&2
    mkdir -p "$(dirname "$CHAT_DB")"
    sqlite3 "$CHAT_DB" < "$ROOT/sql/schema.sql" >/dev/null
  fi
}

# The set-up every worker needs (the session key file, a database it can
# write at a schema version it speaks), checked once before any supervisor
# starts: a program run as plain CGI answers one /api/health and exits 1,
# saying what is wrong, when it could not start. Without this a broken
# set-up starts a stack that answers 503 until someone reads its log.
check_setup() {
  local out
  if ! out=$(REQUEST_METHOD=GET REQUEST_URI=/api/health DOCUMENT_URI=/api/health \
    "$BIN/auth" </dev/null 2>&1 >/dev/null); then
    printf '%s\n' "$out" >&2
    echo "run: the workers cannot start (the line above says why); not starting" >&2
    exit 1
  fi
  # It migrated the database if a new release needs it: keep those lines.
  printf '%s\n' "$out" | grep -i 'migrat' >&2 || true
}

start_workers() {
  check_setup
  local count
  for program in auth rooms post poll search files; do
    rm -f "$RUN_DIR/$program.sock"
    # spawn-fcgi binds the socket and becomes multiwatch, which keeps
    # $count copies running and restarts any that die. files has a count of
    # its own: it links libvips (about 8 MB private per process, README
    # "Performance" S6) and is rarely busy; one process's threads still take
    # CHAT_WORKER_THREADS uploads at once.
    count=$WORKERS
    if [ $program = files ]; then count=$FILES_WORKERS; fi
    setsid spawn-fcgi -n -s "$RUN_DIR/$program.sock" -M 0600 -- \
      /usr/bin/multiwatch -f "$count" -r 1000 -t 500 -- "$BIN/$program" &
    children+=($!)
  done
}

# Fills in a template's @NAMES@: render IN OUT.
render() {
  sed -e "s|@RUN@|$RUN_DIR|g" -e "s|@CONF@|$ROOT/conf|g" -e "s|@PUSH_SOCKET@|$RUN_DIR/push.sock|g" \
    -e "s|@PUSH_REDIS@|$push_redis|g" -e "s|@PUSH_STORE@|$push_store|g" "$1" > "$2"
}

# The upload route's client_max_body_size: CHAT_FILE_MAX_MB (10, what the
# files worker reads too) plus 64 KiB of multipart framing (http.h
# kMultipartSlack), in KiB.
file_body_max() {
  awk -v mb="${CHAT_FILE_MAX_MB:-10}" 'BEGIN { if (mb + 0 <= 0) mb = 10; printf "%dk", mb * 1024 + 64 }'
}

start_nginx() {
  local user="" connections=${CHAT_NGINX_CONNECTIONS:-4096}
  local modules="" push_server="" push_locations=""
  [ "$(id -u)" = 0 ] && user="user root root;"  # development only: see README "Deploying"
  mkdir -p "$RUN_DIR/tmp"
  if [ $push = 1 ]; then
    rm -f "$RUN_DIR/push.sock"  # left behind if nginx was killed
    render "$ROOT/conf/push-publisher.conf.in" "$RUN_DIR/push-publisher.conf"
    render "$ROOT/conf/push-events.conf.in" "$RUN_DIR/push-events.conf"
    modules="load_module $NCHAN_MODULE;"
    push_server="include $RUN_DIR/push-publisher.conf;"
    push_locations="include $RUN_DIR/push-events.conf;"
  fi
  # Persistent FastCGI connections (issue 17): nginx keeps up to $keep idle
  # connections per upstream in each of its worker processes, and each kept
  # connection holds a worker thread while idle, so all the idle ones
  # together (keep x nginx processes) may take at most half the threads that
  # accept (WORKERS x THREADS): a new connection always finds a thread. Too
  # few threads for one each: connections are closed after every request.
  # The files upstream has its own pool, from its own count; with none
  # (one process of 3 threads, 2 nginx processes) nginx closes each of its
  # connections after the request.
  local processes=${CHAT_NGINX_PROCESSES:-auto} keep keepalive="" keep_conn="" files_keep files_keepalive=""
  [ "$processes" = auto ] && processes=$(getconf _NPROCESSORS_ONLN)
  keep=$((WORKERS * THREADS / (2 * processes)))
  files_keep=$((FILES_WORKERS * THREADS / (2 * processes)))
  if ((keep > 0)); then
    keepalive="keepalive $keep;"
    keep_conn="fastcgi_keep_conn on;"
  fi
  if ((files_keep > 0)); then files_keepalive="keepalive $files_keep;"; fi
  sed -e "s|@RUN@|$RUN_DIR|g" -e "s|@PORT@|$PORT|g" -e "s|@HTDOCS@|$ROOT/htdocs|g" \
    -e "s|@FILES_KEEPALIVE@|$files_keepalive|g" \
    -e "s|@KEEPALIVE@|$keepalive|g" -e "s|@KEEP_CONN@|$keep_conn|g" \
    -e "s|@EXTRA_HTTP@|${CHAT_NGINX_EXTRA_HTTP:+include $CHAT_NGINX_EXTRA_HTTP;}|g" \
    -e "s|@CONF@|$ROOT/conf|g" -e "s|@USER@|$user|g" \
    -e "s|@AUTH_RATE@|${CHAT_AUTH_RATE:-10r/s}|g" -e "s|@AUTH_BURST@|${CHAT_AUTH_BURST:-20}|g" \
    -e "s|@SEARCH_RATE@|${CHAT_SEARCH_RATE:-60r/m}|g" -e "s|@SEARCH_BURST@|${CHAT_SEARCH_BURST:-20}|g" \
    -e "s|@SEARCH_ADDR_RATE@|${CHAT_SEARCH_ADDR_RATE:-300r/m}|g" -e "s|@SEARCH_ADDR_BURST@|${CHAT_SEARCH_ADDR_BURST:-60}|g" \
    -e "s|@TYPING_ADDR_RATE@|${CHAT_TYPING_ADDR_RATE:-600r/m}|g" -e "s|@TYPING_ADDR_BURST@|${CHAT_TYPING_ADDR_BURST:-100}|g" \
    -e "s|@PROCESSES@|${CHAT_NGINX_PROCESSES:-auto}|g" -e "s|@CONNECTIONS@|$connections|g" -e "s|@NOFILE@|$((2 * connections + 64))|g" \
    -e "s|@CLIENT_TIMEOUT@|${CHAT_NGINX_CLIENT_TIMEOUT:-10s}|g" \
    -e "s|@FILE_BODY_MAX@|$(file_body_max)|g" \
    -e "s|@MODULES@|$modules|g" -e "s|@PUSH_SERVER@|$push_server|g" \
    -e "s|@PUSH_LOCATIONS@|$push_locations|g" \
    -e "s|@EXTRA@|${CHAT_NGINX_EXTRA:+include $CHAT_NGINX_EXTRA;}|g" \
    "$ROOT/conf/nginx.conf.in" > "$RUN_DIR/nginx.conf"
  nginx -q -t -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr
  setsid nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr &
  children+=($!)
}

mkdir -p "$RUN_DIR"
case "$MODE" in
  all)
    init_db
    start_workers
    start_nginx
    echo "run: Chatroom on http://127.0.0.1:$PORT/ (database $CHAT_DB; push $([ $push = 1 ] && echo "on${push_store:+, through $CHAT_PUSH_REDIS}" || echo "off: polling only")); Ctrl-C stops it" >&2
    ;;
  workers) init_db; start_workers ;;
  nginx) start_nginx ;;
  *) echo "usage: $0 [all|nginx|workers]" >&2; exit 2 ;;
esac

# If any part exits for good, stop the rest: a half-running chat is worse
# than a stopped one.
set +e
wait -n
status=$?
echo "run: a process exited (status $status); stopping" >&2
exit "$status"
