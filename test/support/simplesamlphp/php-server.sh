#!/usr/bin/env bash
# Runs `php -S <address> -t <docroot>` for the loopback SimpleSAMLphp IdP and ties its life to the parent process.
#
# Usage: bash php-server.sh <address> <docroot> <runtime dir>
#
# stdin must be a pipe from the parent. When that pipe reaches EOF (the parent closed it, or the parent is gone, even
# after SIGKILL) php is stopped and <runtime dir> is removed. SIGTERM/SIGINT/SIGHUP stop php and leave <runtime dir>
# to the caller, as does php ending by itself. The exit status is php's.
set -u
address=$1
docroot=$2
runtime=$3
parent_gone=0

trap 'kill -TERM "$php_pid" 2>/dev/null' TERM INT HUP
trap 'parent_gone=1; kill -TERM "$php_pid" 2>/dev/null' USR1

exec 3<&0
php -S "$address" -t "$docroot" </dev/null &
php_pid=$!

# Watcher: waits for EOF on the parent's pipe, then tells this script (whose pid $$ still is) to stop.
(
  while read -r -u 3 _; do :; done
  kill -USR1 $$ 2>/dev/null
) </dev/null >/dev/null 2>&1 &
watch_pid=$!
exec 3<&-

wait "$php_pid"
rc=$?
if kill -0 "$php_pid" 2>/dev/null; then
  # A trapped signal interrupted wait and the trap has sent SIGTERM: give php 2 s, then SIGKILL.
  for _ in $(seq 1 100); do
    kill -0 "$php_pid" 2>/dev/null || break
    sleep 0.02
  done
  kill -KILL "$php_pid" 2>/dev/null
  wait "$php_pid"
  rc=$?
fi
kill "$watch_pid" 2>/dev/null
if [ "$parent_gone" = 1 ]; then
  rm -rf -- "$runtime"
fi
exit "$rc"
