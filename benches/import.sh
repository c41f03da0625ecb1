#!/usr/bin/env bash
# Import throughput, as the closing notes report it: wall time, rows/s and CPU use of the cores
# for 1,000 users at the service's hash profile and 100,000 at the test profile.
#
#   bash benches/import.sh            (builds the release binary first)
#   ROWS_SERVICE=200 ROWS_TEST=20000 bash benches/import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin=$PWD/target/release/authctl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cores=$(nproc)

bench() { # label rows profile
  local label=$1 rows=$2 profile=$3
  local csv=$work/$label.csv db=$work/$label.db
  { echo "username,email,password"; seq 1 "$rows" | awk '{printf "user%d,user%d@example.com,pw-%d-secret\n", $1, $1, $1}'; } > "$csv"
  "$bin" --db "$db" -q init-db
  local TIMEFORMAT='%R %U %S'
  local times
  times=$( { time "$bin" --db "$db" -q import "$csv" --hash-profile "$profile" 2>/dev/null; } 2>&1 )
  read -r real user sys <<< "$times"
  awk -v l="$label" -v n="$rows" -v r="$real" -v u="$user" -v s="$sys" -v c="$cores" 'BEGIN {
    printf "%-8s %7d rows  wall %7.2fs  %9.0f rows/s  cpu %6.2fs  = %5.1f%% of %d cores\n",
      l, n, r, n / r, u + s, 100 * (u + s) / (r * c), c }'
  local count
  count=$("$bin" --db "$db" list-users --format jsonl | wc -l)
  [ "$count" -eq "$rows" ] || { echo "expected $rows users, found $count" >&2; exit 1; }
}

bench service "${ROWS_SERVICE:-1000}" service
bench test "${ROWS_TEST:-100000}" test
