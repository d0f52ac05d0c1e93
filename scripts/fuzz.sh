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

failed=0
for t in "${targets[@]}"; do
  dir=${t% *}
  name=${t#* }
  echo "fuzz: $name in $dir for $fuzztime"
  if ! "$go" test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$dir"; then
    echo "fuzz: FAIL $name in $dir (the failing input is under $dir/testdata/fuzz/$name)"
    failed=$((failed + 1))
  fi
done
echo "fuzz: $failed of ${#targets[@]} targets failed"
[ "$failed" -eq 0 ]
