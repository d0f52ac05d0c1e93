#!/usr/bin/env bash
# The stages of `make test` after deps: go vet, the race-checked unit tests
# of the core packages (zkd/..., internal/...), the other packages (commands
# and the suites that run real servers and clients: test/...), and a short
# fuzz of every Fuzz target. Every stage runs even when an earlier one
# failed, so one run shows everything; the exit status is non-zero if any
# stage failed. Each stage prints its time; the last line counts the tests.
#
# Environment: GO (go), TEST_TIMEOUT (8m, per test binary), FUZZTIME (10s
# per target), TESTFLAGS (extra go test flags, e.g. -run or -v).
set -uo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
timeout=${TEST_TIMEOUT:-8m}
fuzztime=${FUZZTIME:-10s}
read -r -a extra <<<"${TESTFLAGS:-}"

tools=.bin
mkdir -p "$tools"
"$go" build -o "$tools/testsum" ./scripts/testsum || exit 2
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT

results=()
stage() { # stage NAME CMD... : runs CMD, records status and duration
  local name=$1 start rc
  shift
  echo "==> $name"
  start=$SECONDS
  "$@"
  rc=$?
  results+=("$(printf '%-6s %-5s %4ds' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAIL)" $((SECONDS - start)))")
  return 0
}
gotest() { # gotest [go test flags] PACKAGES... : test2json through testsum
  "$go" test -json -count=1 -timeout "$timeout" "${extra[@]}" "$@" 2>&1 | "$tools/testsum" -counts "$counts"
}

# Core packages get -race; the rest (cmd/, test/, scripts/) run plain: their
# tests mostly wait on server and client processes.
mapfile -t all < <("$go" list -e ./...)
race=() plain=()
for p in "${all[@]}"; do
  case $p in
    zkd/zkd/* | zkd/internal/*) race+=("$p") ;;
    *) plain+=("$p") ;;
  esac
done

stage vet "$go" vet ./...
if [ ${#race[@]} -gt 0 ]; then stage race gotest -race "${race[@]}"; fi
if [ ${#plain[@]} -gt 0 ]; then stage tests gotest "${plain[@]}"; fi
stage fuzz scripts/fuzz.sh "$fuzztime"

echo "==> summary"
failed=0
for r in "${results[@]}"; do
  echo "$r"
  case $r in *FAIL*) failed=1 ;; esac
done
"$tools/testsum" -total "$counts" || failed=1
exit $failed
