#!/usr/bin/env bash
# Run the browser tests RUNS times in a row while CPU hogs keep the machine busy, and print how
# many runs passed. A busy CI machine is where page-load races show; this makes one on purpose.
#
#   scripts/e2e_under_load.sh [RUNS]     (default 10)
#
# HOGS (default 2) is the number of `yes > /dev/null` processes; PYTEST the pytest to use
# (default .venv/bin/pytest); PYTEST_ARGS is added to every run. Exits non-zero unless every
# run passed. Each run's output is kept in a log folder printed at the start.
set -uo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-${RUNS:-10}}
HOGS=${HOGS:-2}
PYTEST=${PYTEST:-.venv/bin/pytest}
# The hogs stop on their own after this long even if this script is killed without its trap.
HOG_SECONDS=${HOG_SECONDS:-$((RUNS * 600))}
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/ledgerlink-e2e-soak.XXXXXX")

hogs=()
stop_hogs() {
  # timeout passes the TERM on to its `yes`.
  for pid in "${hogs[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${hogs[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  hogs=()
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM

for _ in $(seq "$HOGS"); do
  timeout "$HOG_SECONDS" yes >/dev/null &
  hogs+=("$!")
done
echo "e2e under load: $RUNS runs of tests/e2e beside $HOGS CPU hogs on $(nproc) CPUs; logs in $LOGS"

passed=0
for run in $(seq "$RUNS"); do
  log="$LOGS/run-$run.log"
  started=$SECONDS
  # shellcheck disable=SC2086 # PYTEST_ARGS is a list of words on purpose
  if "$PYTEST" tests/e2e -p no:cacheprovider -q ${PYTEST_ARGS:-} >"$log" 2>&1; then
    passed=$((passed + 1))
    outcome=passed
  else
    outcome=FAILED
  fi
  printf 'run %2d/%d: %-6s %4d s  load %s  %s\n' "$run" "$RUNS" "$outcome" \
    $((SECONDS - started)) "$(cut -d' ' -f1 /proc/loadavg)" "$(tail -n 1 "$log")"
  if [ "$outcome" = FAILED ]; then
    grep -E '^(FAILED|ERROR) ' "$log" | sed 's/^/    /'
  fi
done

stop_hogs
echo "e2e under load: $passed/$RUNS runs passed"
[ "$passed" -eq "$RUNS" ]
