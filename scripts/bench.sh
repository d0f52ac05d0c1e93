#!/usr/bin/env bash
# `make bench`: zkd and Apache ZooKeeper 3.8 (Debian's package) side by side
# on this machine, driven by the same load generator (bin/zkbench), and a
# table of zkd/ZooKeeper ratios with the absolute numbers behind them,
# printed and written to bench/results.md.
#
# How it stays fair:
#   - both servers get the same zoo.cfg (tickTime, 4lw whitelist, no
#     client-connection limit, forceSync left at its default: yes) and
#     data directories on the same filesystem;
#   - every cell runs against zkd, then ZooKeeper, then zkd again ...,
#     BENCH_ROUNDS rounds (3) per cell, rounds of the whole matrix
#     interleaved, and the table shows medians;
#   - both are warmed up first (the JVM needs it, zkd gets the same);
#   - memory per znode is measured on a freshly started server of each:
#     RSS (/proc/PID/status) after populating BENCH_ZNODES znodes of ~100 B,
#     minus RSS before, over the znodes created.
# Cells that need storage or an ensemble are listed as n/a for now: add a
# measure by adding a cell (see "The matrix" below).
#
# Environment:
#   BENCH_QUICK=1       a short run (under ~2 minutes): 1 s windows, 100,000 znodes;
#                       the default run takes about 6-7 minutes on 2 cores
#   BENCH_ROUNDS        rounds per cell (3)
#   BENCH_DURATION      measurement window per run (5s; quick 1s)
#   BENCH_WARMUP        warm-up per run (1s; quick 0.5s)
#   BENCH_SESSIONS      sessions per run (32)
#   BENCH_INFLIGHT      requests in flight per session (8)
#   BENCH_VALUE_SIZE    value bytes (100)
#   BENCH_KEYS          key-space size (10000)
#   BENCH_ZNODES        znodes populated for memory per znode (1000000; quick 100000)
#   BENCH_MEM_ROUNDS    memory rounds per server (3; quick 1)
#   BENCH_HEAP          ZooKeeper's -Xmx (2g: room for 1,000,000 znodes)
#   BENCH_OUT           markdown output (bench/results.md)
#   BENCH_TMP           where the servers' directories go (/tmp); BENCH_KEEP=1 keeps them
#   GO                  the go command (go)
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}

quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
  def_duration=1s def_warmup=0.5s def_znodes=100000 def_mem_rounds=1 prewarm=2s
else
  def_duration=5s def_warmup=1s def_znodes=1000000 def_mem_rounds=3 prewarm=5s
fi
rounds=${BENCH_ROUNDS:-3}
duration=${BENCH_DURATION:-$def_duration}
warmup=${BENCH_WARMUP:-$def_warmup}
sessions=${BENCH_SESSIONS:-32}
inflight=${BENCH_INFLIGHT:-8}
value_size=${BENCH_VALUE_SIZE:-100}
keys=${BENCH_KEYS:-10000}
znodes=${BENCH_ZNODES:-$def_znodes}
mem_rounds=${BENCH_MEM_ROUNDS:-$def_mem_rounds}
heap=${BENCH_HEAP:-2g}
out=${BENCH_OUT:-bench/results.md}
tick=2000

kinds=(zkd apache) # the order of every round: zkd, then ZooKeeper
apache_jars=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar
apache_main=org.apache.zookeeper.server.quorum.QuorumPeerMain
jvm_flags=(-Xmx"$heap" -Djava.net.preferIPv4Stack=true -Dzookeeper.admin.enableServer=false)

started=$SECONDS
# commas NUMBER: 1000000 -> 1,000,000
commas() { printf '%d' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }
log() { printf '[%4ds] %s\n' $((SECONDS - started)) "$*"; }
die() {
  echo "bench: $*" >&2
  exit 1
}

# --- prerequisites -------------------------------------------------------
for j in ${apache_jars//:/ }; do
  [ -f "$j" ] || die "missing $j: run 'make deps' (scripts/deps.sh) for Apache ZooKeeper 3.8"
done
command -v java >/dev/null || die "no java: run 'make deps'"

work=$(mktemp -d "${BENCH_TMP:-/tmp}/zkbench.XXXXXX")
results=$work/results
mkdir -p "$results" "$work/bin"

# The run uses copies in $work/bin, so a `make clean` or a rebuild of
# ./bin meanwhile cannot pull a binary from under it.
log "building bin/zkd and bin/zkbench"
mkdir -p bin
"$go" build -o bin/ ./cmd/zkd ./cmd/zkbench
cp bin/zkd bin/zkbench "$work/bin/"
zkd_bin=$work/bin/zkd
zkbench_bin=$work/bin/zkbench

# --- servers ----------------------------------------------------------------
declare -A pid=() port=() dir=()

# free_port prints a loopback port nobody listens on (the kernel's choice).
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# fourlw PORT WORD prints the server's answer to a four-letter word.
fourlw() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf %s "$2" >&3 && cat <&3' _ "$1" "$2" 2>/dev/null || true
}

# start KIND: a fresh server of KIND (zkd or apache) in a new directory,
# waited on until it serves; sets pid[KIND], port[KIND], dir[KIND].
start() {
  local kind=$1 d p
  d=$(mktemp -d "$work/$kind.XXXX")
  p=$(free_port)
  mkdir -p "$d/data"
  cat >"$d/zoo.cfg" <<EOF
# written by scripts/bench.sh: the same for zkd and Apache ZooKeeper
tickTime=$tick
dataDir=$d/data
clientPort=$p
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
admin.enableServer=false
EOF
  case $kind in
    zkd)
      "$zkd_bin" "$d/zoo.cfg" >"$d/server.log" 2>&1 &
      ;;
    apache)
      printf '%s\n' 'log4j.rootLogger=INFO, CONSOLE' \
        'log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender' \
        'log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout' \
        'log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n' \
        >"$d/log4j.properties"
      (cd "$d" && exec java "${jvm_flags[@]}" -Dlog4j.configuration="file:$d/log4j.properties" \
        -Dzookeeper.log.dir="$d" -cp "$apache_jars" "$apache_main" "$d/zoo.cfg") >"$d/server.log" 2>&1 &
      ;;
  esac
  pid[$kind]=$!
  port[$kind]=$p
  dir[$kind]=$d
  local deadline=$((SECONDS + 60))
  until fourlw "$p" srvr | grep -q 'Zookeeper version:'; do
    if ! kill -0 "${pid[$kind]}" 2>/dev/null; then
      tail -n 30 "$d/server.log" >&2
      die "$kind exited before serving (log: $d/server.log)"
    fi
    [ $SECONDS -lt $deadline ] || die "$kind not serving on port $p after 60s (log: $d/server.log)"
    sleep 0.2
  done
  log "$kind serving on 127.0.0.1:$p (pid ${pid[$kind]})"
}

# stop KIND: SIGTERM, up to 15 s to exit, then SIGKILL.
stop() {
  local kind=$1 p=${pid[$1]:-}
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 150); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  unset "pid[$kind]"
}

cleanup() {
  local rc=$?
  for k in "${!pid[@]}"; do stop "$k"; done
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "bench: servers' directories and raw results kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# zkbench KIND ARGS...: the load generator against KIND's server.
zkbench() {
  local kind=$1
  shift
  if ! "$zkbench_bin" -servers "127.0.0.1:${port[$kind]}" -value-size "$value_size" "$@"; then
    tail -n 30 "${dir[$kind]}/server.log" >&2
    die "zkbench against $kind failed (server log: ${dir[$kind]}/server.log)"
  fi
}

# summary_line REPORT.json: a progress line from a zkbench -json report (the
# first ops_per_s and p99 are the total's; the table itself is made by
# zkbench summarize).
summary_line() {
  local f=$1 ops p99 per
  ops=$(json_first "$f" ops_per_s)
  p99=$(json_first "$f" p99)
  per=$(json_first "$f" bytes_per_znode)
  printf '%.0f ops/s, p99 %.2f ms%s' "$ops" "$p99" "${per:+, $(printf '%.0f' "$per") bytes per znode}"
}

# json_first FILE KEY: the first number under KEY in an indented JSON file.
json_first() {
  sed -n "s/^ *\"$2\": \([-0-9.eE+]*\),\{0,1\}\$/\1/p" "$1" | head -n1
}

# --- the matrix ------------------------------------------------------------
# A cell is a line of cells.tsv (id, kind, title[, note]); load cells also
# have their zkbench flags here. Add a load cell by adding a line to
# load_cells; a new kind of measure (restart, failover, ensemble) by a
# function like memory_cell below and its own line in cells.tsv, replacing
# its n/a line.
load_cells=(
  "set|write throughput (setData)|-mix set"
  "create|create throughput|-mix create"
  "get|read throughput (getData)|-mix get"
  "mixed|mixed 90/10 getData/setData|-mix read=90,write=10"
)
na_cells=(
  "restart|restart time with $(commas "$znodes") znodes|n/a (needs storage / ensemble)"
  "failover-kill|failover: leader SIGKILLed -> first successful write|n/a (needs storage / ensemble)"
  "failover-partition|failover: leader partitioned away -> first successful write|n/a (needs storage / ensemble)"
  "ensemble|3-member loopback ensemble: every measure above|n/a (needs storage / ensemble)"
)

: >"$results/cells.tsv"
for c in "${load_cells[@]}"; do
  IFS='|' read -r id title _ <<<"$c"
  printf '%s\tload\t%s\n' "$id" "$title" >>"$results/cells.tsv"
  mkdir -p "$results/$id"
done

load_args=(-sessions "$sessions" -inflight "$inflight" -keys "$keys" -duration "$duration" -warmup "$warmup")

log "warming up both servers ($prewarm of mixed load each)"
for k in "${kinds[@]}"; do start "$k"; done
for k in "${kinds[@]}"; do
  zkbench "$k" -sessions "$sessions" -inflight "$inflight" -keys "$keys" -mix read=50,write=40,create=10 \
    -duration "$prewarm" -warmup 0 >/dev/null
done

for r in $(seq "$rounds"); do
  for c in "${load_cells[@]}"; do
    IFS='|' read -r id title flags <<<"$c"
    read -r -a cell_flags <<<"$flags"
    for k in "${kinds[@]}"; do
      zkbench "$k" "${load_args[@]}" "${cell_flags[@]}" -json >"$results/$id/$k.$r.json"
      log "round $r/$rounds $id $k: $(summary_line "$results/$id/$k.$r.json")"
    done
  done
done

zkd_files=$(find "${dir[zkd]}/data" -type f | wc -l)
apache_version=$(fourlw "${port[apache]}" srvr | sed -n 's/^Zookeeper version: \([0-9.]*\).*/\1/p')
for k in "${kinds[@]}"; do stop "$k"; done

# memory_cell: a fresh server of each kind, populated; RSS sampled by zkbench.
memory_cell() {
  printf 'memory\tmemory\tmemory per znode (~%s B values)\n' "$value_size" >>"$results/cells.tsv"
  mkdir -p "$results/memory"
  for r in $(seq "$mem_rounds"); do
    for k in "${kinds[@]}"; do
      start "$k"
      zkbench "$k" -sessions "$sessions" -inflight "$inflight" -populate "$znodes" -rss-pid "${pid[$k]}" -json \
        >"$results/memory/$k.$r.json"
      log "memory $r/$mem_rounds $k: $(summary_line "$results/memory/$k.$r.json")"
      stop "$k"
    done
  done
}
memory_cell

for c in "${na_cells[@]}"; do
  IFS='|' read -r id title note <<<"$c"
  printf '%s\tna\t%s\t%s\n' "$id" "$title" "$note" >>"$results/cells.tsv"
done

# --- the table ---------------------------------------------------------------
storage_note="zkd's data directory held $zkd_files files after the write cells."
if [ "$zkd_files" -eq 0 ]; then
  storage_note="**zkd has in-memory storage only for now** (nothing was written to its dataDir: no WAL, no snapshots, no fsync), while ZooKeeper logs and fsyncs every write batch (forceSync=yes): zkd's write and create numbers are not comparable yet."
fi
{
  echo "Made by \`$( [ "$quick" = 1 ] && echo 'BENCH_QUICK=1 ')make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r), data directories on $(stat -f -c %T "$work")."
  echo
  echo "- zkd $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)'), $("$go" version | awk '{print $3}'). $storage_note"
  echo "- Apache ZooKeeper ${apache_version:-3.8} (Debian), $(java -version 2>&1 | head -n1), flags: ${jvm_flags[*]} (default GC); -Xmx$heap leaves room for 1,000,000 znodes. Log4j INFO to a file."
  echo "- Both: standalone, tickTime=$tick, forceSync default (yes), maxClientCnxns=0, loopback; the load generator runs on the same cores."
  echo "- Load: $sessions sessions x $inflight requests in flight, $value_size B values, $(commas "$keys") keys; $warmup warm-up then a $duration window per run; $rounds rounds per cell, zkd and ZooKeeper alternating. Latency runs from send to reply under this saturating closed-loop load, so p99 includes queueing. Memory: $(commas "$znodes") znodes in directories of 1,000 on a fresh server, $mem_rounds round(s)."
} >"$results/notes.md"

mkdir -p "$(dirname "$out")"
echo
"$zkbench_bin" summarize -o "$out" "$results"
echo
log "wrote $out"
