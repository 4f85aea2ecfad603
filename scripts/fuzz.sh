#!/usr/bin/env bash
# Runs every reader's fuzz target (and the check-expression language's, the query filters' and the
# report compiler's) for a short time (CI) or longer: scripts/fuzz.sh [seconds per target] [README.md]
# With a README, the table of what ran replaces the one between its `fuzz` markers.
# cargo-fuzz is installed once; the build is instrumented for coverage only (no sanitizer), which the
# stable toolchain supports with RUSTC_BOOTSTRAP for cargo-fuzz's -Z flags.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-15}"
readme="${2:-}"
table="| target | seconds | inputs tried | corpus | failures |\n|---|---:|---:|---:|---:|\n"
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
# The query-filter target builds the engine with its database code: its queries come from the
# workspace's committed cache, which the fuzz crate (a workspace of its own) would not find.
export SQLX_OFFLINE=true SQLX_OFFLINE_DIR="$PWD/.sqlx"
target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/dgs/target}/../fuzz-target"
for t in csv json jsonl workbook zip check_expr query_filter report_spec; do
  mkdir -p "$target_dir/corpus/$t"
  # Committed seeds (valid inputs to mutate from) join the kept corpus.
  [ -d "fuzz/seeds/$t" ] && cp -n fuzz/seeds/$t/* "$target_dir/corpus/$t/" 2>/dev/null || true
  echo "fuzzing $t for ${secs}s"
  log="$target_dir/$t.log"
  if ! cargo fuzz run --fuzz-dir fuzz --sanitizer none --target-dir "$target_dir" "$t" "$target_dir/corpus/$t" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"; echo "fuzz target $t failed (inputs that fail are kept under fuzz/artifacts/$t)"; exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "$t: ${runs:-?} inputs"
  table+="| $t | $secs | ${runs:-?} | $(ls "$target_dir/corpus/$t" | wc -l) | 0 |\n"
done
if [ -n "$readme" ]; then
  body="Ran $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1)).\n\n$table"
  FUZZ_TABLE="$body" python3 - "$readme" <<'PY'
import os, sys
path = sys.argv[1]
text = open(path).read()
begin, end = "<!-- fuzz:begin -->", "<!-- fuzz:end -->"
a, b = text.index(begin), text.index(end)
body = os.environ["FUZZ_TABLE"].encode().decode("unicode_escape")
open(path, "w").write(text[:a] + begin + "\n" + body + text[b:])
PY
fi
