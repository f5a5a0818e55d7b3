#!/usr/bin/env bash
# The whole test suite N times in a row (default 20) while two CPU-heavy processes run, to show
# the tests do not depend on the machine's speed. Run from the repository's root:
#
#     bash benchmarks/suite_under_load.sh [N]
#
# Prints one line per run and a summary; exits non-zero if any run failed. Each run's output is
# kept in benchmarks/results/suite-run-K.log.
set -u
runs=${1:-20}
cd "$(dirname "$0")/.." || exit 2
mkdir -p benchmarks/results
python3 -c "while True: pass" & hog1=$!
python3 -c "
import hashlib
while True: hashlib.sha256(b'x' * 1_000_000).digest()" & hog2=$!
trap 'kill $hog1 $hog2 2>/dev/null' EXIT
failed=0
for i in $(seq 1 "$runs"); do
  log="benchmarks/results/suite-run-$i.log"
  if python -m pytest -q -p no:cacheprovider > "$log" 2>&1; then :; else failed=$((failed + 1)); fi
  echo "run $i: $(tail -n 1 "$log")"
done
echo "runs: $runs, failed: $failed (with two CPU-heavy processes running)"
[ "$failed" -eq 0 ]
