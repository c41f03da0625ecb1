#!/usr/bin/env bash
# Import throughput on PostgreSQL against SQLite, in one run: N_SERVICE users at the service's
# hash profile (hashing dominates: the engines should tie) and N_TEST users at the test profile
# (the engine shows). Needs a PostgreSQL database to use: AUTHCTL_BENCH_POSTGRES_URL
# (postgresql://user:password@host:port/db; its users table is dropped and made anew).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${AUTHCTL_BENCH_POSTGRES_URL:?name a scratch PostgreSQL database}"
N_SERVICE=${N_SERVICE:-1000}
N_TEST=${N_TEST:-100000}
cargo build --release --locked -q
bin=$PWD/target/release/authctl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

users() {
    echo "username,email,password"
    for ((i = 0; i < $1; i++)); do echo "user$i,user$i@example.com,pass phrase number $i"; done
}
users "$N_SERVICE" >"$work/service.csv"
users "$N_TEST" >"$work/test.csv"

# Seconds of one import into a fresh table.
run() { # engine file profile
    local start end
    if [[ $1 == sqlite ]]; then
        rm -f "$work/users.db"
        "$bin" --db "$work/users.db" -q init-db
        set -- --db "$work/users.db" "$2" "$3"
    else
        psql -q "$AUTHCTL_BENCH_POSTGRES_URL" -c 'DROP TABLE IF EXISTS users' >/dev/null
        "$bin" --database-url "$AUTHCTL_BENCH_POSTGRES_URL" -q init-db
        set -- --database-url "$AUTHCTL_BENCH_POSTGRES_URL" "$2" "$3"
    fi
    start=$(date +%s.%N)
    "$bin" "$1" "$2" -q import "$3" --hash-profile "$4"
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

printf '| import | SQLite | PostgreSQL | PostgreSQL / SQLite |\n|---|---|---|---|\n'
for spec in "service:$N_SERVICE" "test:$N_TEST"; do
    profile=${spec%%:*} n=${spec##*:}
    sqlite=$(run sqlite "$work/$profile.csv" "$profile")
    postgres=$(run postgres "$work/$profile.csv" "$profile")
    printf '| %s users, %s profile | %.2f s (%.0f/s) | %.2f s (%.0f/s) | %.2f× |\n' \
        "$n" "$profile" "$sqlite" "$(echo "$n / $sqlite" | bc -l)" \
        "$postgres" "$(echo "$n / $postgres" | bc -l)" "$(echo "$postgres / $sqlite" | bc -l)"
done
