#!/usr/bin/env bash
# Runs every Fuzz* target in the repository for FUZZTIME each (default 10s).
# Targets are found with grep, so new ones are picked up without a list to
# keep. Go fuzzes one target per invocation; each runs in its own package.
# Usage: scripts/fuzz.sh [FUZZTIME]
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-${FUZZTIME:-10s}}
go=${GO:-go}

# "dir name" pairs, one per target, skipping tool and VCS directories.
mapfile -t targets < <(
  grep -rE --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*\(' . \
    --exclude-dir=.git --exclude-dir=.bin --exclude-dir=testdata --exclude-dir=vendor |
    sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\($#\1 \2#' | sort -u
)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no Fuzz targets found"
  exit 0
fi

# fuzz_once runs one target and prints its output. Go's fuzzer sometimes
# ends a run with "context deadline exceeded" when the time is up while a
# worker is still busy with one input; that is not a finding (a finding is
# always written to testdata/fuzz/NAME). Such a run is repeated once; a
# second time, or any other failure, counts.
fuzz_once() {
  local dir=$1 name=$2 out rc
  out=$(mktemp)
  "$go" test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$dir" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ] && grep -q 'context deadline exceeded' "$out" &&
    [ -z "$(git status --porcelain -- "$dir/testdata/fuzz/$name" 2>/dev/null)" ]; then
    rc=75 # no new input saved: the deadline, not a finding
  fi
  rm -f "$out"
  return "$rc"
}

failed=0
for t in "${targets[@]}"; do
  dir=${t% *}
  name=${t#* }
  echo "fuzz: $name in $dir for $fuzztime"
  rc=0
  fuzz_once "$dir" "$name" || rc=$?
  if [ "$rc" -eq 75 ]; then
    echo "fuzz: $name hit the time limit mid-input without a finding; running it once more"
    rc=0
    fuzz_once "$dir" "$name" || rc=$?
  fi
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: FAIL $name in $dir (the failing input is under $dir/testdata/fuzz/$name)"
    failed=$((failed + 1))
  fi
done
echo "fuzz: $failed of ${#targets[@]} targets failed"
[ "$failed" -eq 0 ]
