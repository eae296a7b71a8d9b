#!/usr/bin/env bash
# Runs an N-node corekv cluster on this host (loopback), for trying things out.
#
#   tools/scripts/local-cluster.sh start [N] [BASE_PORT]   # default 3 nodes, ports 7001..
#   tools/scripts/local-cluster.sh stop
#   tools/scripts/local-cluster.sh status
#
# Node i listens for clients on BASE_PORT+i-1 and for Raft on that port
# +10000+core. Data and logs go to ./corekv-cluster/node<i>/. Extra corekv
# flags can be passed in COREKV_FLAGS (e.g. "--cores 1 --fsync never").
set -euo pipefail
cmd=${1:-start}
n=${2:-3}
base=${3:-7001}
root=${COREKV_CLUSTER_DIR:-./corekv-cluster}
bin=${COREKV_BIN:-}
if [[ -z "$bin" ]]; then
  cargo build --release -q -p corekv-io
  bin=$(dirname "$0")/../../target/release/corekv
fi
case "$cmd" in
  start)
    peers=""
    for i in $(seq 1 "$n"); do
      peers+="${peers:+,}$i=127.0.0.1:$((base + i - 1))"
    done
    mkdir -p "$root"
    # The members' shared secret: made once, kept across restarts; give it
    # to corekv-ctl as --secret-file.
    secret="$root/cluster-secret"
    if [[ ! -f "$secret" ]]; then
      (umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$secret")
    fi
    for i in $(seq 1 "$n"); do
      d="$root/node$i"
      mkdir -p "$d"
      # shellcheck disable=SC2086
      # --no-pin: every node would pin its core 0 to CPU 0.
      "$bin" --port $((base + i - 1)) --dir "$d/data" --node-id "$i" --peers "$peers" --cluster-secret-file "$secret" --no-pin ${COREKV_FLAGS:-} \
        >"$d/log" 2>&1 &
      echo $! >"$d/pid"
    done
    sleep 1
    for i in $(seq 1 "$n"); do
      echo "node $i: redis-cli -p $((base + i - 1))   (log $root/node$i/log)"
    done
    echo "corekv-ctl: --addr 127.0.0.1:$base --secret-file $secret"
    ;;
  stop)
    for p in "$root"/node*/pid; do
      [[ -f "$p" ]] && kill "$(cat "$p")" 2>/dev/null || true
      rm -f "$p"
    done
    ;;
  status)
    for d in "$root"/node*; do
      pid=$(cat "$d/pid" 2>/dev/null || echo "")
      if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then echo "$d: running (pid $pid)"; else echo "$d: stopped"; fi
    done
    ;;
  *) echo "usage: $0 start [N] [BASE_PORT] | stop | status" >&2; exit 2 ;;
esac
