#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 120 s each): bash fuzz/run.sh [SECONDS].
# Needs cargo-fuzz (installed when missing); the machine's stable toolchain is told to accept the
# sanitizer flags with RUSTC_BOOTSTRAP=1. A crash leaves its input in fuzz/artifacts/TARGET/ and
# makes this script exit 1: add the input to the suite (tests/cli/) as a regression test.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz || exit 1
export RUSTC_BOOTSTRAP=1
failed=0
for target in $(cargo fuzz list); do
  mkdir -p "fuzz/corpus/$target"
  echo "== $target ($seconds s)"
  cargo fuzz run "$target" "fuzz/corpus/$target" -- -max_total_time="$seconds" \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"fuzz/$target.log" 2>&1
  status=$?
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|ERROR|SUMMARY|Test unit written" \
    "fuzz/$target.log" || true
  echo "corpus: $(find "fuzz/corpus/$target" -type f | wc -l) inputs; exit $status"
  [ "$status" -eq 0 ] || failed=1
done
exit "$failed"
