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
# Storage (both with forceSync=yes written out, data and log in dataDir):
#   - write throughput is the setData and create cells; the fsyncs per txn
#     come from the same runs: mntr's zk_cnt_fsynctime (one per log fsync
#     in both servers) and srvr's Zxid (one per txn in both), before and
#     after each run;
#   - snapshot time: the longest snapshot while populating the memory
#     cell's znodes (both snapshot every ~snapCount txns, off the write
#     path): ZooKeeper's mntr zk_max_snapshottime, zkd's log (the debug
#     line "captured state for a snapshot" to "snapshot written");
#   - restart time: right after that populate, SIGTERM, start again on the
#     same data and port, and time from the exec until srvr answers and
#     until a client's getData of the last znode populated succeeds (a
#     probe that is already running when the server is started).
#     Rounds alternate zkd first / ZooKeeper first (ABBA).
# The storage measures are a table of their own under the main one
# (zkbench summarize knows load, memory and failover cells only).
# The ensemble cells (rows marked "ensemble") are run by `zkbench ensemble`
# (cmd/zkbench/ensemble.go), which starts the ensembles through
# internal/ztest:
#   - a 3-member ensemble of each kind on loopback, both up at once, each
#     member with its own data directory under the same $work (the same
#     filesystem) and the same zoo.cfg shape for both: tickTime=2000,
#     initLimit=10, syncLimit=5, forceSync=yes, maxClientCnxns=0, the
#     4lw whitelist, server.1-3; Apache's JVMs get the flags above;
#   - the load cells as above (same sessions, in flight, values, keys,
#     windows), each run's sessions spread round-robin over the 3 members
#     (session i on member i mod 3, as zkbench -servers a,b,c does), the
#     kinds alternating in every round, after a warm-up of each ensemble
#     and one unrecorded round of every cell on both (three JVMs sharing
#     the cores take long to compile their hot paths);
#   - failover, leader SIGKILLed: on the idle loopback ensemble; from just
#     before the signal, at once: srvr on the two survivors polled until
#     one leads and the other follows; the first create by a fresh session
#     (a new session per try, the survivors in turn); the first create by a
#     session opened with a survivor before the fault, which on a broken
#     connection or a create unanswered for 3 s resumes the same session
#     with the other survivor. Both probes: 2 s per handshake, 3 s per
#     create, 20 ms between tries, no other back-off. Then the killed member
#     is started again and every member must serve before the next round;
#   - failover, leader isolated silently: the same on ensembles with one
#     network namespace per member (needs root; tc filters drop every
#     packet to and from the leader: no RST, no ICMP); healed after.
# Rounds alternate the kinds (zkd, then ZooKeeper); medians are reported.
#
# Environment:
#   BENCH_QUICK=1       a short run (about 4 minutes): 1 s windows, 100,000 znodes;
#                       the default run takes about 12-14 minutes on 2 cores
#   BENCH_ROUNDS        rounds per cell (3)
#   BENCH_DURATION      measurement window per run (5s; quick 1s)
#   BENCH_WARMUP        warm-up per run (1s; quick 0.5s)
#   BENCH_SESSIONS      sessions per run (32)
#   BENCH_INFLIGHT      requests in flight per session (8)
#   BENCH_VALUE_SIZE    value bytes (100)
#   BENCH_KEYS          key-space size (10000)
#   BENCH_ZNODES        znodes populated for memory per znode, snapshot and
#                       restart time (1000000; quick 100000)
#   BENCH_MEM_ROUNDS    memory and restart rounds per server (3; quick 1)
#   BENCH_ENSEMBLE      0 skips the ensemble cells (1)
#   BENCH_FAILOVER_ROUNDS  rounds of each failover cell per server (3)
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
ensemble=${BENCH_ENSEMBLE:-1}
failover_rounds=${BENCH_FAILOVER_ROUNDS:-3}
heap=${BENCH_HEAP:-2g}
out=${BENCH_OUT:-bench/results.md}
tick=2000

kinds=(zkd apache) # the order of every round: zkd, then ZooKeeper
apache_jars=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar
apache_main=org.apache.zookeeper.server.quorum.QuorumPeerMain
jvm_flags=(-Xmx"$heap" -Djava.net.preferIPv4Stack=true -Dzookeeper.admin.enableServer=false)

started=$SECONDS
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
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
/usr/bin/python3 -c 'import kazoo' 2>/dev/null || die "no kazoo for /usr/bin/python3 (the restart probe): run 'make deps'"

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
forceSync=yes
EOF
  if [ "$kind" = apache ]; then
    printf '%s\n' 'log4j.rootLogger=INFO, CONSOLE' \
      'log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender' \
      'log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout' \
      'log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n' \
      >"$d/log4j.properties"
  fi
  port[$kind]=$p
  dir[$kind]=$d
  launch "$kind"
  wait_serving "$kind" 60
  log "$kind serving on 127.0.0.1:$p (pid ${pid[$kind]})"
}

# launch KIND: start KIND's server process on its directory and port (a
# fresh one from start, or the same again for a restart); sets pid[KIND].
# zkd logs at debug level for its "captured state for a snapshot" line (a
# handful more lines per run besides).
launch() {
  local kind=$1 d=${dir[$1]}
  case $kind in
    zkd)
      "$zkd_bin" -log-level debug "$d/zoo.cfg" >>"$d/server.log" 2>&1 &
      ;;
    apache)
      (cd "$d" && exec java "${jvm_flags[@]}" -Dlog4j.configuration="file:$d/log4j.properties" \
        -Dzookeeper.log.dir="$d" -cp "$apache_jars" "$apache_main" "$d/zoo.cfg") >>"$d/server.log" 2>&1 &
      ;;
  esac
  pid[$kind]=$!
}

# wait_serving KIND SECONDS: until srvr says KIND serves, or die.
wait_serving() {
  local kind=$1 p=${port[$1]} d=${dir[$1]} deadline=$((SECONDS + $2))
  until fourlw "$p" srvr | grep -q 'Zookeeper version:'; do
    if ! kill -0 "${pid[$kind]}" 2>/dev/null; then
      tail -n 30 "$d/server.log" >&2
      die "$kind exited before serving (log: $d/server.log)"
    fi
    [ $SECONDS -lt $deadline ] || die "$kind not serving on port $p after $2s (log: $d/server.log)"
    sleep 0.2
  done
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

ensemble_problems=0
cleanup() {
  local rc=$?
  for k in "${!pid[@]}"; do stop "$k"; done
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ] || [ "$ensemble_problems" = 1 ]; then
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

# settle: sync the data filesystem, then wait (up to 10 s) until both
# servers are idle, so that a run is not charged with what the previous
# run, of the other server, left behind (a JVM's compiler and collector
# threads, dirty pages of its log). Prints how the wait went.
settle() {
  local pids=() k
  for k in "${!pid[@]}"; do pids+=("${pid[$k]}"); done
  "$zkbench_bin" settle -pids "$(IFS=,; echo "${pids[*]}")" -dir "$work" -max 10s
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

# --- storage measures ----------------------------------------------------------
# Raw values go one per line into $results/storage/<measure>.<kind>.

# mntr_value KIND KEY: one mntr value of KIND's server.
mntr_value() {
  fourlw "${port[$1]}" mntr | awk -v k="$2" '$1 == k { print $2; exit }'
}

# fsync_mark KIND: "FSYNCS ZXID" now: log fsyncs so far (mntr
# zk_cnt_fsynctime) and the last zxid (srvr, decimal), to difference
# around a run.
fsync_mark() {
  local f z
  f=$(mntr_value "$1" zk_cnt_fsynctime)
  z=$(fourlw "${port[$1]}" srvr | sed -n 's/^Zxid: 0x\([0-9a-fA-F]*\).*/\1/p')
  echo "${f:-0} $((16#${z:-0}))"
}

# record_fsyncs CELL KIND MARK: fsyncs per txn since MARK (fsync_mark).
record_fsyncs() {
  local cell=$1 kind=$2 f0 z0 f1 z1
  read -r f0 z0 <<<"$3"
  read -r f1 z1 <<<"$(fsync_mark "$kind")"
  if [ $((z1 - z0)) -le 0 ]; then
    log "fsyncs per txn, $cell $kind: no txns counted (zxid $z0 -> $z1)"
    return 0
  fi
  awk -v f=$((f1 - f0)) -v z=$((z1 - z0)) 'BEGIN { printf "%.5f\n", f / z }' >>"$results/storage/fsync-$cell.$kind"
  log "fsyncs per txn, $cell $kind: $((f1 - f0)) fsyncs for $((z1 - z0)) txns"
}

# snapshot_ms KIND: the longest snapshot of the server's life so far, in
# ms, or nothing if it took none. ZooKeeper reports it in mntr, counting
# the snapshot of the empty tree it takes at start-up too (so one is none);
# zkd logs when it captured the state for a snapshot (and how long that
# took) and when the file was written.
snapshot_ms() {
  case $1 in
    apache)
      if [ "$(mntr_value apache zk_cnt_snapshottime)" -gt 1 ] 2>/dev/null; then
        mntr_value apache zk_max_snapshottime
      fi
      ;;
    zkd) /usr/bin/python3 -c "$snapshot_py" "${dir[zkd]}/server.log" ;;
  esac
}

snapshot_py=$(
  cat <<'PY'
import datetime, re, sys
units = {"ns": 1e-6, "us": 1e-3, "\u00b5s": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}
def ms(d):  # a Go duration: 1.5ms, 2m3.4s, 850\u00b5s
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)(ns|us|\u00b5s|ms|s|m|h)", d))
def when(line):
    return datetime.datetime.fromisoformat(re.match(r"time=(\S+)", line).group(1).replace("Z", "+00:00"))
captured, longest = {}, None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.search(r'msg="captured state for a snapshot" index=(\d+) took=(\S+)', line)
    if m:
        captured[m.group(1)] = (when(line), ms(m.group(2)))
        continue
    m = re.search(r'msg="snapshot written" .*index=(\d+)', line)
    if m and m.group(1) in captured:
        t, took = captured.pop(m.group(1))
        d = (when(line) - t).total_seconds() * 1e3 + took
        longest = d if longest is None else max(longest, d)
if longest is not None:
    print("%.0f" % longest)
PY
)

# restart_time KIND LAST: SIGTERM KIND's server, start it again on the same
# data and port, and append to restart-srvr.KIND and restart-get.KIND the
# ms from the exec until srvr answers and until a getData of LAST
# succeeds. The probe (Debian's python3 with kazoo) has started and
# imported its client before the server is launched, so its own start-up
# is not counted. Not to be run in a subshell: it replaces pid[KIND].
restart_time() {
  local kind=$1 last=$2 line t0 status srvr_ns get_ns
  stop "$kind"
  coproc probe { exec /usr/bin/python3 -u -c "$probe_py" "${port[$kind]}" "$last" 2>>"$work/probe.err"; }
  if ! read -r -t 30 line <&"${probe[0]}" || [ "$line" != ready ]; then
    die "restart probe did not start: ${line:-} (see $work/probe.err)"
  fi
  t0=$(date +%s%N)
  launch "$kind"
  echo go >&"${probe[1]}"
  read -r -t 900 line <&"${probe[0]}" || die "$kind answered nothing within 900s of a restart (log: ${dir[$kind]}/server.log)"
  wait "$probe_PID" 2>/dev/null || true
  read -r status srvr_ns get_ns <<<"$line"
  [ "$status" = ok ] || die "restart probe against $kind: $line (log: ${dir[$kind]}/server.log)"
  echo $(((srvr_ns - t0) / 1000000)) >>"$results/storage/restart-srvr.$kind"
  echo $(((get_ns - t0) / 1000000)) >>"$results/storage/restart-get.$kind"
  log "restart $kind with $(commas "$znodes") znodes: srvr after $(((srvr_ns - t0) / 1000000)) ms, getData $last after $(((get_ns - t0) / 1000000)) ms"
}

probe_py=$(
  cat <<'PY'
import socket, sys, time
from kazoo.client import KazooClient
from kazoo.retry import KazooRetry
port, path = int(sys.argv[1]), sys.argv[2]
print("ready", flush=True)
sys.stdin.readline()  # "go": the server is being started
deadline = time.time() + 900
def serving():
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"srvr")
            out = b""
            while chunk := s.recv(4096):
                out += chunk
            return b"Zookeeper version:" in out
    except OSError:
        return False
while not serving():
    if time.time() > deadline:
        print("timeout waiting for srvr", flush=True)
        sys.exit(1)
    time.sleep(0.005)
srvr = time.time_ns()
zk = KazooClient(hosts="127.0.0.1:%d" % port, timeout=30,
                 connection_retry=KazooRetry(max_tries=-1, delay=0.005, max_delay=0.05))
zk.start(timeout=900)
while True:
    try:
        zk.get(path)
        break
    except Exception as e:
        if time.time() > deadline:
            print("getData %s: %s" % (path, e), flush=True)
            sys.exit(1)
        time.sleep(0.005)
got = time.time_ns()
zk.stop()
zk.close()
print("ok", srvr, got, flush=True)
PY
)

# median FILE: the median of the numbers in FILE, one a line ("" if none).
median() {
  [ -s "$1" ] || return 0
  sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# --- the matrix ------------------------------------------------------------
# A cell is a line of cells.tsv (id, kind, title[, note]); load cells also
# have their zkbench flags here. Add a load cell by adding a line to
# load_cells; a new kind of measure by a function like memory_cell below
# and its own line in cells.tsv (an n/a line until it is measured). The
# ensemble cells are zkbench ensemble's (ensemble_cells below).
load_cells=(
  "set|write throughput (setData)|-mix set"
  "create|create throughput|-mix create"
  "get|read throughput (getData)|-mix get"
  "mixed|mixed 90/10 getData/setData|-mix read=90,write=10"
)
na_cells=()
if [ "$ensemble" != 1 ]; then
  na_cells+=("ensemble|3-member ensemble: load and failover cells|not run (BENCH_ENSEMBLE=$ensemble)")
fi

mkdir -p "$results/storage"
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
      settled=$(settle)
      case $id in set | create) mark=$(fsync_mark "$k") ;; esac
      zkbench "$k" "${load_args[@]}" "${cell_flags[@]}" -server-pids "${pid[$k]}" -json >"$results/$id/$k.$r.json"
      log "round $r/$rounds $id $k: $(summary_line "$results/$id/$k.$r.json"); $settled"
      case $id in set | create) record_fsyncs "$id" "$k" "$mark" ;; esac
    done
  done
done

zkd_files=$(find "${dir[zkd]}/data" -type f | wc -l)
declare -A write_fsyncs=()
for k in "${kinds[@]}"; do write_fsyncs[$k]=$(mntr_value "$k" zk_cnt_fsynctime); done
apache_version=$(fourlw "${port[apache]}" srvr | sed -n 's/^Zookeeper version: \([0-9.]*\).*/\1/p')
for k in "${kinds[@]}"; do stop "$k"; done

# memory_cell: a fresh server of each kind, populated; RSS sampled by
# zkbench. The same populated server then gives the snapshot time and the
# restart time. Rounds alternate which kind goes first (ABBA).
memory_cell() {
  printf 'memory\tmemory\tmemory per znode (~%s B values)\n' "$value_size" >>"$results/cells.tsv"
  mkdir -p "$results/memory"
  local last order snap
  last=$(printf '/zkbench/p/d%06d/n%07d' $(((znodes - 1) / 1000)) $((znodes - 1)))
  for r in $(seq "$mem_rounds"); do
    order=("${kinds[@]}")
    if [ $((r % 2)) -eq 0 ]; then order=("${kinds[1]}" "${kinds[0]}"); fi
    for k in "${order[@]}"; do
      start "$k"
      zkbench "$k" -sessions "$sessions" -inflight "$inflight" -populate "$znodes" -rss-pid "${pid[$k]}" -json \
        >"$results/memory/$k.$r.json"
      log "memory $r/$mem_rounds $k: $(summary_line "$results/memory/$k.$r.json")"
      snap=$(snapshot_ms "$k")
      if [ -n "$snap" ]; then
        echo "$snap" >>"$results/storage/snapshot.$k"
        log "snapshot $k: longest $snap ms while populating"
      else
        log "snapshot $k: none taken while populating $(commas "$znodes") znodes"
      fi
      restart_time "$k" "$last"
      stop "$k"
    done
  done
}
memory_cell

# ensemble_cells: zkbench ensemble appends its cells to cells.tsv and
# writes their rounds into $results. Exit status 3: it finished, but some
# rounds failed or a member misbehaved (ensemble-problems.md says what;
# the members' directories and logs are kept in $work).
ensemble_cells() {
  log "ensemble cells: 3-member zkd and Apache ZooKeeper ensembles (loopback, then one network namespace per member)"
  local rc=0
  "$zkbench_bin" ensemble -results "$results" -tmp "$work/ensemble" -zkd "$zkd_bin" \
    -java-flags "${jvm_flags[*]}" -rounds "$rounds" -failover-rounds "$failover_rounds" \
    -sessions "$sessions" -inflight "$inflight" -value-size "$value_size" -keys "$keys" \
    -duration "$duration" -warmup "$warmup" -prewarm "$prewarm" -log-offset "$((SECONDS - started))s" || rc=$?
  case $rc in
    0) ;;
    3)
      ensemble_problems=1
      log "ensemble cells: some rounds failed or a member misbehaved: see $results/ensemble-problems.md (kept)"
      ;;
    *) die "zkbench ensemble failed (exit $rc); members' directories in $work/ensemble" ;;
  esac
}
if [ "$ensemble" = 1 ]; then ensemble_cells; fi

for c in "${na_cells[@]}"; do
  IFS='|' read -r id title note <<<"$c"
  printf '%s\tna\t%s\t%s\n' "$id" "$title" "$note" >>"$results/cells.tsv"
done

# --- the table ---------------------------------------------------------------
storage_note="zkd's data directory held $zkd_files files after the write cells; the load cells made zkd fsync its log $(commas "${write_fsyncs[zkd]:-0}") times and ZooKeeper $(commas "${write_fsyncs[apache]:-0}") times (mntr zk_cnt_fsynctime)."
if [ "$zkd_files" -eq 0 ] || [ "${write_fsyncs[zkd]:-0}" -eq 0 ] || [ "${write_fsyncs[apache]:-0}" -eq 0 ]; then
  storage_note="**A server did not log or fsync its writes**: zkd's data directory held $zkd_files files, the fsync counts were zkd ${write_fsyncs[zkd]:-none} and ZooKeeper ${write_fsyncs[apache]:-none}: the write numbers are not comparable."
fi
{
  echo "Made by \`$( [ "$quick" = 1 ] && echo 'BENCH_QUICK=1 ')make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r), data directories on $(stat -f -c %T "$work"). Load average (1, 5, 15 min) $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (anything above 0 at the start is other work sharing the cores)."
  echo
  echo "- zkd $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)'), $("$go" version | awk '{print $3}'). $storage_note"
  echo "- Apache ZooKeeper ${apache_version:-3.8} (Debian), $(java -version 2>&1 | head -n1), flags: ${jvm_flags[*]} (default GC); -Xmx$heap leaves room for 1,000,000 znodes. Log4j INFO to a file."
  echo "- Both: standalone, tickTime=$tick, forceSync=yes (the default of both, written out), maxClientCnxns=0, loopback; the load generator runs on the same cores."
  echo "- Load: $sessions sessions x $inflight requests in flight, $value_size B values, $(commas "$keys") keys; $warmup warm-up then a $duration window per run; $rounds rounds per cell, zkd and ZooKeeper alternating. Latency runs from send to reply under this saturating closed-loop load, so p99 includes queueing. Before every run the data filesystem is synced and both servers are let go idle (up to 10 s: a JVM keeps compiling and collecting for seconds after its run). Server CPU per op is the server processes' user+system time over the window per op (every member's, for the ensemble rows); steal is the share of the cores the hypervisor gave to other guests during the window: on a shared VM it lowers every rate, the CPU per op much less. Memory: $(commas "$znodes") znodes in directories of 1,000 on a fresh server, $mem_rounds round(s)."
  if [ "$ensemble" = 1 ]; then
    echo "- Ensemble rows: 3 members of each kind on loopback (all 6 processes and the load generator share the $(nproc) cores), every member with its own zoo.cfg: tickTime=$tick, initLimit=10, syncLimit=5, forceSync=yes, maxClientCnxns=0, server.1-3; Apache with the JVM flags above in each member. The same load as above, after $prewarm of mixed load on each ensemble and one unrecorded round of every cell on both; each run's sessions spread round-robin over the 3 members (about a third on the leader)."
    echo "- Failover rows ($failover_rounds rounds each, zkd and ZooKeeper alternating; idle ensemble): the time from the fault (just before the SIGKILL, or before the tc filters that drop every packet to and from the leader) to the first successful create, by (a) a fresh session per try, the two survivors in turn, and (b) a session opened with a survivor before the fault that, when its connection breaks or a create goes unanswered for 3 s, resumes the same session with the other survivor. Both probes run at once, 2 s per handshake, 3 s per create, 20 ms between tries, no other back-off. The SIGKILL rows are on loopback; the isolation rows on ensembles with one network namespace per member. After each round the member is restarted (or healed) and every member serves again before the next."
  fi
} >"$results/notes.md"

# storage_row TITLE MEASURE SCALE DECIMALS: a row of the storage table from
# the medians of $results/storage/MEASURE.{zkd,apache}, divided by SCALE.
storage_row() {
  local a b
  a=$(median "$results/storage/$2.zkd")
  b=$(median "$results/storage/$2.apache")
  awk -v t="$1" -v a="$a" -v b="$b" -v s="$3" -v d="$4" 'BEGIN {
    fa = a == "" ? "n/a" : sprintf("%." d "f", a / s)
    fb = b == "" ? "n/a" : sprintf("%." d "f", b / s)
    r = (a == "" || b == "" || a + 0 <= 0 || b + 0 <= 0) ? "n/a" : sprintf("%.2fx", a / b)
    printf "| %s | %s | %s | %s |\n", t, fa, fb, r
  }'
}

# storage_table: the storage measures, in the layout of the main table,
# with every round's values under it.
storage_table() {
  local n m k
  n=$(commas "$znodes")
  echo
  echo "## Storage"
  echo
  echo "Write throughput with forceSync=yes is the setData and create rows above. Fsyncs per txn come from those runs (mntr zk_cnt_fsynctime over the change in srvr's Zxid; lower means more txns share one fsync). Snapshot and restart times come from the memory rounds' populated servers: the longest snapshot while populating, then SIGTERM and a start on the same data, timed from the exec."
  echo
  echo "| measure | zkd | ZooKeeper 3.8 | zkd/ZooKeeper 3.8 |"
  echo "|---|---:|---:|---:|"
  storage_row "fsyncs per txn, setData cell" fsync-set 1 4
  storage_row "fsyncs per txn, create cell" fsync-create 1 4
  storage_row "snapshot time, longest while populating $n znodes, ms (lower is better)" snapshot 1 0
  storage_row "restart with $n znodes: exec to srvr serving, s (lower is better)" restart-srvr 1000 2
  storage_row "restart with $n znodes: exec to getData of the last znode, s (lower is better)" restart-get 1000 2
  echo
  echo "Medians; every round (zkd / ZooKeeper):"
  echo
  for m in fsync-set fsync-create snapshot restart-srvr restart-get; do
    printf -- '- %s:' "$m"
    for k in "${kinds[@]}"; do
      if [ -s "$results/storage/$m.$k" ]; then
        printf ' %s' "$(tr '\n' ' ' <"$results/storage/$m.$k" | sed 's/ $//')"
      else
        printf ' none'
      fi
      [ "$k" = "${kinds[-1]}" ] || printf ' /'
    done
    echo
  done
}

mkdir -p "$(dirname "$out")"
echo
"$zkbench_bin" summarize -o "$out" "$results"
storage_table >"$results/storage.md"
cat "$results/storage.md" >>"$out"
cat "$results/storage.md"
if [ -s "$results/ensemble-problems.md" ]; then
  { echo; cat "$results/ensemble-problems.md"; } >>"$out"
  echo
  cat "$results/ensemble-problems.md"
fi
echo
log "wrote $out"
