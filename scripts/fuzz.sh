#!/usr/bin/env bash
# The long fuzzing mode (docs/fuzzing.md); not part of CI, whose `cargo test` runs a short
# smoke of the same targets (tests/fuzz_smoke.rs).
#
#   scripts/fuzz.sh [--afl-seconds S] [--execs N] [--jobs J] [--timeout-ms T] [--no-afl] [TARGET...]
#
# For each target (default: all, see fuzz/src/targets.rs), J at a time (default: the
# number of cores):
#  1. AFL++ through cargo-afl (coverage-guided, on the stable toolchain; cargo-afl is
#     installed from crates.io when missing) for S seconds (default 300), starting from
#     fuzz/corpus/<target>/; each input is bounded by T ms (default 1000), past which
#     AFL++ records a hang. It grows a queue of inputs that reach new code.
#  2. The mutation loop of fuzz/src/mutate.rs over the seeds and that queue for N
#     executions (default 10,000,000; FUZZ_EXECS_<target>=N overrides one target), each
#     input bounded by 1 s. It is not coverage-guided but an order of magnitude faster
#     than the instrumented binary, so it gives the volume.
# Prints executions, crashes, hangs and time per target for both phases, as a Markdown
# table for docs/fuzzing.md. Crashing and hanging inputs are copied to fuzz/crashes/.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
EXECS=10000000
AFL_SECONDS=300
JOBS=$(nproc)
TIMEOUT_MS=1000
ENGINE=afl
TARGETS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --execs) EXECS=$2; shift 2 ;;
        --jobs) JOBS=$2; shift 2 ;;
        --timeout-ms) TIMEOUT_MS=$2; shift 2 ;;
        --afl-seconds) AFL_SECONDS=$2; shift 2 ;;
        --no-afl) ENGINE=mutate; shift ;;
        -h|--help) sed -n 2,20p "$0"; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) TARGETS+=("$1"); shift ;;
    esac
done
if [[ ${#TARGETS[@]} -eq 0 ]]; then
    # The names, in order, from the TARGETS table.
    mapfile -t TARGETS < <(grep -oP '^\s+name: "\K[a-z_]+(?=",$)' fuzz/src/targets.rs)
fi

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=$ROOT/fuzz/out
mkdir -p "$OUT" "$ROOT/fuzz/crashes"
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)

if [[ $ENGINE == afl ]]; then
    if ! cargo afl --version >/dev/null 2>&1; then
        echo "== installing cargo-afl from crates.io"
        cargo install --locked cargo-afl || ENGINE=mutate
    fi
fi
if [[ $ENGINE == afl ]]; then
    echo "== building the AFL++ harness"
    (cd fuzz && CARGO_TARGET_DIR=$TARGET_DIR/afl cargo afl build --release --features afl --bin afl)
    AFL_BIN=$TARGET_DIR/afl/release/afl
fi
echo "== building the mutation loop"
(cd fuzz && CARGO_TARGET_DIR=$TARGET_DIR/fuzz cargo build --release --bin mutate)
MUTATE=$TARGET_DIR/fuzz/release/mutate

execs_for() {
    local var="FUZZ_EXECS_$1"
    echo "${!var:-$EXECS}"
}

# One target; its result line goes to $OUT/<target>.result:
# name afl-execs afl-crashes afl-hangs afl-seconds afl-queue loop-execs loop-failures loop-seconds
run_one() {
    local t=$1 n
    n=$(execs_for "$t")
    local a_execs=- a_crashes=- a_hangs=- a_secs=- a_queue=- queue=()
    if [[ $ENGINE == afl ]]; then
        local began=$SECONDS
        rm -rf "${OUT:?}/$t"
        AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
            AFL_SUPPRESS_LOGO=1 \
            cargo afl fuzz -i "fuzz/corpus/$t" -o "$OUT/$t" -V "$AFL_SECONDS" -t "$TIMEOUT_MS" \
            -- "$AFL_BIN" "$t" >"$OUT/$t.afl.log" 2>&1 || true
        a_secs=$((SECONDS - began))
        local stats=$OUT/$t/default/fuzzer_stats
        stat() { awk -F' *: *' -v k="$1" '$1==k {print $2}' "$stats" 2>/dev/null; }
        a_execs=$(stat execs_done)
        a_crashes=$(stat saved_crashes)
        a_hangs=$(stat saved_hangs)
        a_queue=$(stat corpus_count)
        mkdir -p "fuzz/crashes/$t"
        cp "$OUT/$t"/default/crashes/id* "fuzz/crashes/$t/" 2>/dev/null || true
        cp "$OUT/$t"/default/hangs/id* "fuzz/crashes/$t/" 2>/dev/null || true
        queue=("$OUT/$t/default/queue")
    fi
    local began=$SECONDS line
    # Not `| head -1`: that would end the loop by SIGPIPE before it saved its failures.
    "$MUTATE" "$t" "$n" 1 "${queue[@]}" >"$OUT/$t.loop.log" || true
    line=$(head -1 "$OUT/$t.loop.log")
    local l_execs l_failures
    l_execs=$(awk '{print $3}' <<<"$line")
    l_failures=$(awk '{print $5}' <<<"$line")
    echo "$t ${a_execs:-?} ${a_crashes:-?} ${a_hangs:-?} $a_secs ${a_queue:-?} ${l_execs:-?} ${l_failures:-?} $((SECONDS - began))" >"$OUT/$t.result"
    printf '%-12s AFL++ execs %9s crashes %2s hangs %2s time %4s s queue %5s | loop execs %9s failures %2s time %4s s\n' \
        $(cat "$OUT/$t.result")
}

echo "== fuzzing ${TARGETS[*]} with $ENGINE, $EXECS executions each, $JOBS at a time"
running=0
for t in "${TARGETS[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if [[ $running -ge $JOBS ]]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

# The random-input test that used to run in every `cargo test` (src/jsonpos.rs).
echo "== random_input_never_panics (moved here from cargo test)"
cargo test --quiet --lib -- --ignored random_input_never_panics

echo
echo "Run of $START: $(nproc) cores, $JOBS targets at a time, AFL++ ${AFL_SECONDS}s per target (-t $TIMEOUT_MS ms), then the loop."
echo
echo "| target | AFL++ execs | crashes | hangs | time (s) | queue | loop execs | failures | time (s) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
bad=0
for t in "${TARGETS[@]}"; do
    read -r name ae ac ah as aq le lf ls <"$OUT/$t.result"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$ae" "$ac" "$ah" "$as" "$aq" "$le" "$lf" "$ls"
    for v in "$ac" "$ah" "$lf"; do
        if [[ $v != 0 && $v != - ]]; then bad=$((bad + 1)); fi
    done
done
if [[ $bad -gt 0 ]]; then
    echo
    echo "crashes, hangs or failures: inputs in fuzz/crashes/"
    exit 1
fi
