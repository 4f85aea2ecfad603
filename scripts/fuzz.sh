#!/usr/bin/env bash
# Runs every reader's fuzz target (and the check-expression language's) for a short time (CI) or longer: scripts/fuzz.sh [seconds per target].
# cargo-fuzz is installed once; the build is instrumented for coverage only (no sanitizer), which the
# stable toolchain supports with RUSTC_BOOTSTRAP for cargo-fuzz's -Z flags.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-15}"
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/dgs/target}/../fuzz-target"
for t in csv json jsonl workbook zip check_expr; do
  mkdir -p "$target_dir/corpus/$t"
  echo "fuzzing $t for ${secs}s"
  log="$target_dir/$t.log"
  if ! cargo fuzz run --fuzz-dir fuzz --sanitizer none --target-dir "$target_dir" "$t" "$target_dir/corpus/$t" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"; echo "fuzz target $t failed (inputs that fail are kept under fuzz/artifacts/$t)"; exit 1
  fi
  grep -E "^stat::number_of_executed_units" "$log" || true
done
