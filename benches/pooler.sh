#!/usr/bin/env bash
# authctl on PostgreSQL directly and behind PgBouncer in transaction mode, in one run, on a
# throw-away cluster and pooler of its own (Debian's postgresql and pgbouncer packages):
#   - per command: the statements the server ran for it (log_statement = all, counted by
#     application_name) and the round trips and transactions PgBouncer counted (SHOW STATS);
#   - import throughput of N users at the test profile (the engine shows, not the hashing),
#     direct and through the pooler, as the median of RUNS imports into a fresh table.
# Usage: bash benches/pooler.sh [BASELINE_BINARY]   (a second authctl to measure beside this one)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
RUNS=${RUNS:-3}
cargo build --release --locked -q
bins=("$PWD/target/release/authctl")
[[ $# -gt 0 ]] && bins+=("$(realpath "$1")")

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d)
as_server() { if [[ $(id -u) == 0 ]]; then setpriv --reuid=65534 --regid=65534 --clear-groups --reset-env "$@"; else "$@"; fi; }
cleanup() {
    [[ -f $work/pgbouncer.pid ]] && kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null || true
    as_server "$pgbin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_port=$(free_port)
pool_port=$(free_port)
echo bench >"$work/pw"
chown -R 65534:65534 "$work" 2>/dev/null || true
as_server "$pgbin/initdb" -D "$work/data" -U bench --auth=scram-sha-256 --pwfile="$work/pw" --no-sync -E UTF8 --locale=C >/dev/null
cat >>"$work/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$work'
log_statement = 'all'
log_line_prefix = '%a|'
log_destination = 'stderr'
EOF
as_server "$pgbin/pg_ctl" -D "$work/data" -l "$work/server.log" -w start >/dev/null
cat >"$work/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$pg_port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $pool_port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $work/userlist.txt
pool_mode = transaction
default_pool_size = 2
admin_users = bench
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
EOF
echo '"bench" "bench"' >"$work/userlist.txt"
chown -R 65534:65534 "$work" 2>/dev/null || true
as_server /usr/sbin/pgbouncer -d "$work/pgbouncer.ini"
export PGPASSWORD=bench
until psql -qAt -h 127.0.0.1 -p "$pool_port" -U bench -d postgres -c 'SELECT 1' >/dev/null 2>&1; do sleep 0.1; done
psql -q -h 127.0.0.1 -p "$pg_port" -U bench -d postgres -c 'CREATE DATABASE bench'
direct="postgresql://bench:bench@127.0.0.1:$pg_port/bench?sslmode=disable"
pooled="postgresql://bench:bench@127.0.0.1:$pool_port/bench?sslmode=disable"

# PgBouncer's counters for the database: round trips (queries) and transactions.
# SHOW STATS: database, total_xact_count, total_query_count, … (PgBouncer 1.18).
stats() { psql -qAt -F ' ' -h 127.0.0.1 -p "$pool_port" -U bench -d pgbouncer -c 'SHOW STATS' | awk '$1 == "bench" { print $3, $2 }'; }
statements() { grep -c '^authctl|' "$work/server.log" || true; }

fresh() { # bin url
    psql -q "$direct" -c 'DROP TABLE IF EXISTS users' >/dev/null
    "$1" --database-url "$2" -q init-db
}

for bin in "${bins[@]}"; do
    echo "== $bin"
    fresh "$bin" "$pooled"
    echo 'pass phrase for alice' | "$bin" --database-url "$pooled" -q add-user alice --password-stdin --hash-profile test 2>/dev/null
    printf '%-44s %10s %11s %12s %s\n' command statements round-trips transactions exit
    measure() { # label stdin args...
        local label=$1 stdin=$2 before_s before_q before_x after_q after_x code=0
        shift 2
        before_s=$(statements)
        read -r before_q before_x < <(stats)
        printf '%s' "$stdin" | "$bin" --database-url "$pooled" -q "$@" >/dev/null 2>&1 || code=$?
        read -r after_q after_x < <(stats)
        printf '%-44s %10s %11s %12s %s\n' "$label" "$(($(statements) - before_s))" \
            "$((after_q - before_q))" "$((after_x - before_x))" "$code"
    }
    measure "verify-login alice" $'pass phrase for alice\n' verify-login alice --password-stdin
    measure "list-users (2 users)" "" list-users
    measure "show-user alice" "" show-user alice
    measure "add-user bob (test profile)" $'pass phrase for bob\n' add-user bob --password-stdin --hash-profile test
    measure "disable-user bob" "" disable-user bob
    measure "set-password bob (test profile)" $'another phrase for bob\n' set-password bob --password-stdin --hash-profile test
    measure "import 3 users (test profile)" $'username,password\nc1,pass-c1-xx\nc2,pass-c2-xx\nc3,pass-c3-xx\n' import - --hash-profile test
    measure "delete-user bob" "" delete-user bob --yes
    measure "init-db (existing table)" "" init-db

    { echo username,password; for ((i = 0; i < N; i++)); do echo "user$i,pass phrase $i"; done; } >"$work/users.csv"
    for target in direct pooled; do
        url=$direct; [[ $target == pooled ]] && url=$pooled
        times=()
        for ((r = 0; r < RUNS; r++)); do
            fresh "$bin" "$url"
            start=$(date +%s.%N)
            if ! "$bin" --database-url "$url" -q import "$work/users.csv" --hash-profile test 2>/dev/null; then
                echo "import $N users $target: failed"
                continue 2
            fi
            end=$(date +%s.%N)
            times+=("$(echo "$end - $start" | bc)")
        done
        median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
        printf 'import %d users %-7s median %6.3f s  (%s)  %8.0f users/s\n' "$N" "$target" "$median" \
            "${times[*]}" "$(echo "$N / $median" | bc -l)"
    done
done
