#!/bin/sh
# `make uninstall`: removes what `make install` put in place (the programs,
# chatctl, chatroom-site, the pages, sql/, the example sites, the systemd
# units) and the init script and logrotate file README "Deploying" 2b copies
# from them; then lists what it kept, the people's data and the admin's own
# files, each with the command that removes it. With DESTDIR empty it first
# stops the workers (systemd units, or the init script), so nothing keeps
# restarting a program that is gone. Settings come from the Makefile.
set -eu
: "${DESTDIR=}" "${PREFIX:?}" "${CHAT_LIBDIR:?}" "${CHAT_SHAREDIR:?}" "${SYSTEMD_UNITDIR:?}" \
  "${CHAT_STATEDIR:?}" "${CHAT_CONFIG:?}"
D=$DESTDIR
removed=0
gone() {  # PATH...: removes each that exists, saying so
  for f in "$@"; do
    if [ -e "$D$f" ] || [ -L "$D$f" ]; then
      rm -rf "$D$f"
      echo "removed $D$f"
      removed=$((removed + 1))
    fi
  done
}

if [ -z "$D" ]; then
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    units=$(systemctl list-units --all --plain --no-legend 'chatroom@*' 'chatroom-prune.*' 2>/dev/null | awk '{print $1}')
    if [ -n "$units" ]; then
      # shellcheck disable=SC2086
      systemctl disable --now $units >/dev/null 2>&1 || true
      echo "stopped and disabled $units" | tr '\n' ' '
      echo
    fi
  fi
  if [ -x /etc/init.d/chatroom ]; then
    /etc/init.d/chatroom stop || true
    command -v update-rc.d >/dev/null && update-rc.d -f chatroom remove >/dev/null 2>&1 || true
  fi
fi

gone "$CHAT_LIBDIR" "$PREFIX/sbin/chatctl" "$PREFIX/sbin/chatroom-site" "$CHAT_SHAREDIR" \
  "$PREFIX/share/man/man8/chatctl.8" "$PREFIX/share/man/man8/chatroom-site.8" \
  "$SYSTEMD_UNITDIR/chatroom@.socket" "$SYSTEMD_UNITDIR/chatroom@.service" \
  "$SYSTEMD_UNITDIR/chatroom-prune.service" "$SYSTEMD_UNITDIR/chatroom-prune.timer" \
  /etc/init.d/chatroom /etc/logrotate.d/chatroom
for level in 0 1 2 3 4 5 6 S; do
  for link in "$D/etc/rc$level.d/"[SK][0-9][0-9]chatroom; do
    [ -L "$link" ] && rm -f "$link" && echo "removed $link"
  done
done
if [ -z "$D" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  systemctl daemon-reload || true
fi
# The data folder make install made goes only while it is still empty.
if [ -d "$D$CHAT_STATEDIR" ] && rmdir "$D$CHAT_STATEDIR" 2>/dev/null; then
  echo "removed $D$CHAT_STATEDIR (empty)"
  removed=$((removed + 1))
fi
echo "make uninstall: removed $removed item(s) installed under $D$PREFIX and $D$SYSTEMD_UNITDIR"

# What stays, and how to remove it too.
kept=""
keep() {  # PATH WHAT COMMAND
  if [ -e "$D$1" ] || [ -L "$D$1" ]; then
    kept="$kept
  $2: $D$1
      remove: $3"
  fi
}
keep "$CHAT_STATEDIR" "the database, its secret and migrate's before-vN copies (the chat itself)" \
  "rm -r $CHAT_STATEDIR  (copy chat.db away first if in doubt)"
keep /var/backups/chatroom "backups (README \"Backups\")" "rm -r /var/backups/chatroom"
keep "$(dirname "$CHAT_CONFIG")" "the settings" "rm -r $(dirname "$CHAT_CONFIG")"
keep /etc/cron.d/chatroom "the backup schedule" "rm /etc/cron.d/chatroom"
keep /var/log/chatroom "chatroom-spawn's log" "rm -r /var/log/chatroom"
keep /etc/nginx/sites-enabled/chatroom "the enabled nginx site (it includes files now gone: nginx -t fails until it goes)" \
  "rm /etc/nginx/sites-enabled/chatroom && service nginx reload"
keep /etc/nginx/sites-available/chatroom "the nginx site" "rm /etc/nginx/sites-available/chatroom"
keep /etc/apache2/sites-enabled/chatroom.conf "the enabled Apache site" \
  "a2dissite chatroom && service apache2 reload"
keep /etc/apache2/sites-available/chatroom.conf "the Apache site" "rm /etc/apache2/sites-available/chatroom.conf"
account=
if [ -z "$D" ]; then
  getent passwd chatroom >/dev/null 2>&1 && account=yes
elif [ -f "$D/etc/passwd" ] && grep -q '^chatroom:' "$D/etc/passwd"; then
  account=yes
fi
[ -n "$account" ] && kept="$kept
  the account: chatroom (and its group)
      remove: deluser --system chatroom  (after the data folder above, which it owns)"
if [ -n "$kept" ]; then
  echo "make uninstall: kept these (yours, or the people's data):$kept"
else
  echo "make uninstall: nothing of Chatroom's data or settings was found"
fi
