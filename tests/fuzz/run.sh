#!/usr/bin/env bash
# Runs libFuzzer targets for SECONDS each from their seed corpus, as many at
# once as there are cores (each is one process, so two cores run two), and
# fails if any target finds a crash, leak or undefined behaviour, or if one
# of a target's property checks was never reached.
#   tests/fuzz/run.sh SECONDS TARGET...
# New inputs go to build/fuzz/corpus/T, crashes to build/fuzz/artifacts/T-*,
# each target's output to build/fuzz/T.log.
set -uo pipefail
seconds=$1
shift
mkdir -p build/fuzz/artifacts

one() {
  local t=$1 seconds=$2
  mkdir -p "build/fuzz/corpus/$t"
  rm -rf "build/fuzz/tmp/$t" && mkdir -p "build/fuzz/tmp/$t"
  if CHAT_FUZZ_TMP="build/fuzz/tmp/$t" ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$t-" \
    "build/fuzz/corpus/$t" "tests/fuzz/corpus/$t" 2>"build/fuzz/$t.log"; then
    echo "fuzz: $t for $seconds s: $(grep -E '^stat::number_of_executed_units|^Done' "build/fuzz/$t.log" | tr '\n' ' ')"
    # A target's property checks report how often they ran (harness.h
    # Property); one that never ran checked nothing, which is a failure.
    grep -E '^fuzz property ' "build/fuzz/$t.log" | sed "s/^/fuzz: $t: /"
    if grep -qE '^fuzz property .*: reached 0 times' "build/fuzz/$t.log"; then
      echo "fuzz: $t FAILED: a property check was never reached (log build/fuzz/$t.log)"
      return 1
    fi
  else
    tail -60 "build/fuzz/$t.log"
    echo "fuzz: $t FAILED (log build/fuzz/$t.log)"
    return 1
  fi
}
export -f one

printf '%s\n' "$@" | xargs -P "$(nproc)" -I{} bash -c 'one "$1" "$2"' _ {} "$seconds"
