#!/usr/bin/env bash
# authctl against the Python way (benches/python_way.py: the service's own libraries over a
# thread pool) and the sqlite3 shell, in the same run on the same machine. Prints each time and
# the ratio; the table of docs/performance.md comes from this script.
#
#   bash benches/compare.sh                      (builds the release binary and a venv first)
#   N_SERVICE=32 N_TEST=20000 N_LIST=200000 bash benches/compare.sh
#
# Needs python3 with venv (the interop tests' pinned packages are installed under target/) and the
# sqlite3 shell (Debian: apt-get install sqlite3).
set -euo pipefail
cd "$(dirname "$0")/.."
N_SERVICE=${N_SERVICE:-64}
N_TEST=${N_TEST:-100000}
N_LIST=${N_LIST:-1000000}
RUNS=${RUNS:-3}

command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (Debian: apt-get install sqlite3)" >&2; exit 1; }
cargo build --release --locked --quiet
bin=$PWD/target/release/authctl
venv=$PWD/target/bench-venv
if ! cmp -s tests/interop/requirements.txt "$venv/requirements.txt" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
  cp tests/interop/requirements.txt "$venv/requirements.txt"
fi
py() { "$venv/bin/python" benches/python_way.py "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() { # command…: wall seconds of one run, output discarded
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", e - s }'
}
fastest() { # runs command…: the fastest of `runs` runs
  local runs=$1 best="" t
  shift
  for _ in $(seq "$runs"); do
    t=$(seconds "$@")
    best=$(awk -v b="$best" -v t="$t" 'BEGIN { print (b == "" || t < b) ? t : b }')
  done
  echo "$best"
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
users_csv() { # rows file
  { echo "username,email,password"; seq 1 "$1" | awk '{printf "user%d,user%d@example.com,pw-%d-secret\n", $1, $1, $1}'; } > "$2"
}
row() { # label authctl-seconds baseline-seconds ratio meaning
  printf "%-46s %9.3fs %9.3fs %7sx %s\n" "$1" "$2" "$3" "$4" "$5"
}

printf "%-46s %10s %10s %8s\n" "work" "authctl" "baseline" "ratio"

# 1. Import at the service's hash profile.
users_csv "$N_SERVICE" "$work/service.csv"
"$bin" --db "$work/a-service.db" -q init-db
a=$(seconds "$bin" --db "$work/a-service.db" -q import "$work/service.csv")
p=$(py import-service "$work/service.csv" "$work/p-service.db")
row "import $N_SERVICE users, service profile" "$a" "$p" "$(div "$p" "$a")" "faster (Python: pwdlib, thread pool)"

# 2. Import at the test profile.
users_csv "$N_TEST" "$work/test.csv"
"$bin" --db "$work/a-test.db" -q init-db
a=$(seconds "$bin" --db "$work/a-test.db" -q import "$work/test.csv" --hash-profile test)
p=$(py import-test "$work/test.csv" "$work/p-test.db")
row "import $N_TEST users, test profile" "$a" "$p" "$(div "$p" "$a")" "faster (Python: argon2-cffi, thread pool)"

# 3. One login check: the whole authctl process against pwdlib's in-process verify of the same hash.
"$bin" --db "$work/login.db" -q init-db
printf 'correct horse\n' | "$bin" --db "$work/login.db" -q add-user alice --password-stdin
hash=$(sqlite3 "$work/login.db" "SELECT hashed_password FROM users WHERE username = 'alice'")
login() { printf 'correct horse\n' | "$bin" --db "$work/login.db" -q verify-login alice --password-stdin; }
a=$(fastest 5 login)
p=$(py verify "$hash" "correct horse" 5)
row "one login check (whole process vs in-process)" "$a" "$p" "$(div "$a" "$p")" "of pwdlib's time"

# 4. Listing a million users, against the sqlite3 shell on the same file.
"$bin" --db "$work/big.db" -q init-db
sqlite3 "$work/big.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N_LIST)
  INSERT INTO users (id, username, email, full_name, disabled, hashed_password)
  SELECT i, 'user' || i, 'user' || i || '@example.com', 'User ' || i, i % 7 = 0, '$hash' FROM n;"
a=$(fastest "$RUNS" "$bin" --db "$work/big.db" list-users --format csv)
s=$(fastest "$RUNS" sqlite3 -csv -header "$work/big.db" "SELECT id, username, email, full_name, disabled FROM users ORDER BY id")
row "list $N_LIST users as CSV" "$a" "$s" "$(div "$a" "$s")" "of sqlite3 -csv's time"
t=$(fastest "$RUNS" "$bin" --db "$work/big.db" list-users)
row "list $N_LIST users as a table (vs our CSV)" "$t" "$a" "$(div "$t" "$a")" "of the CSV time"
for format in table csv jsonl json; do
  rss=$( { /usr/bin/time -f %M "$bin" --db "$work/big.db" list-users --format "$format" >/dev/null; } 2>&1 | tail -1)
  printf "%-46s %9s MiB peak resident\n" "list $N_LIST users, $format" "$(mib "$rss")"
done
rss=$( { /usr/bin/time -f %M "$bin" --db "$work/a-service.db" -q verify-login user1 --password-stdin <<< "pw-1-secret" >/dev/null; } 2>&1 | tail -1)
printf "%-46s %9s MiB peak resident\n" "one login check" "$(mib "$rss")"
rss=$( { /usr/bin/time -f %M "$bin" --db "$work/a-service2.db" -q init-db >/dev/null; /usr/bin/time -f %M "$bin" --db "$work/a-service2.db" -q import "$work/service.csv" >/dev/null; } 2>&1 | tail -1)
printf "%-46s %9s MiB peak resident\n" "import $N_SERVICE users, service profile" "$(mib "$rss")"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
