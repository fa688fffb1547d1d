#!/usr/bin/env bash
# Fault injection against the release binary (see docs/Reliability.md):
#   kill     kill -9 `match` and `classify` at N random moments each (default 20); each killed run is resumed
#            (--resume) until it finishes and must end with checkpoints bit-identical (tensors, epoch, seed, model,
#            optimizer) to an uninterrupted run with the same seed, and the same deterministic metrics; no `.tmp-`
#            file may survive the resumed run.
#   full     a file-size limit (ulimit -f, the same EFBIG a full disk gives) and, where mounting is allowed, a full
#            tmpfs: the run fails with one line, exit 1, no `.tmp-` file, and an earlier checkpoint stays intact.
#   readonly --output on a read-only file system (/sys or /proc): one line, exit 1.
#   truncate the SHD file, a PNG target, a .npy target and a checkpoint cut at N random lengths each: every run
#            exits 1 with one line naming the file (never a trap: 132, 133, 134, 139).
#
#   tools/faults/run.sh [--kills N] [--cuts N] [kill|full|readonly|truncate ...]   (default: all)
#
# Prints one line per fault and a summary table; exit 0 when everything survived.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${SPIKEKIT:-$ROOT/.build/release/spikekit}
kills=20 cuts=20 parts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills=$2; shift 2 ;;
    --cuts) cuts=$2; shift 2 ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) parts+=("$1"); shift ;;
  esac
done
[ ${#parts[@]} -gt 0 ] || parts=(kill full readonly truncate)
[ -x "$BIN" ] || { echo "no $BIN: swift build -c release --product spikekit" >&2; exit 2; }
WORK=$(mktemp -d /tmp/spikekit-faults.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
failures=0
declare -a table
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
compare() { python3 "$ROOT/tools/faults/compare_checkpoints.py" "$1" "$2"; }

# Short runs that still last long enough to be killed in the middle of training and of checkpoint writes.
MATCH=(match --epochs 150 --neurons 12 --steps 50 --hidden 24 --trials 3 --seed 3 --threads 1 --checkpoint-every 1)
CLASSIFY=(classify --dataset randman --classes 3 --units 10 --steps 20 --samples-per-class 100 --hidden 16 --epochs 4
          --batch 8 --checkpoint-every 1 --fano-trials 0 --seed 2 --threads 1)

# The columns of metrics-<variant>.csv that do not record wall-clock time.
deterministic_metrics() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) keep[i] = ($i !~ /seconds/) } { s = ""; for (i = 1; i <= NF; i++) if (keep[i]) s = s $i ","; print s }' "$1"; }

# kill_test NAME ARGS...: reference run, then `kills` runs killed at random moments and resumed.
kill_test() {
  local name=$1; shift
  local ref=$WORK/$name-ref
  local t0=$(date +%s.%N)
  "$BIN" "$@" --output "$ref" > "$WORK/$name-ref.log" 2>&1 || { fail "$name: reference run failed"; return; }
  local dur=$(echo "$(date +%s.%N) - $t0" | bc)
  local identical=0 resumed_from_checkpoint=0 tmp_left=0
  for i in $(seq 1 "$kills"); do
    local out=$WORK/$name-$i
    # A random moment in [0, 1.1 × the reference duration) (the last ones land after the end or in the last writes).
    local r=$((RANDOM % 1100))
    local delay=$(echo "scale=3; $dur * $r / 1000" | bc)
    "$BIN" "$@" --output "$out" > "$out.log" 2>&1 &
    local pid=$!
    sleep "$delay"
    kill -9 "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    local resume_flag=(--resume)
    [ "$name" = match ] && resume_flag=(--resume "$out")
    "$BIN" "$@" "${resume_flag[@]}" --output "$out" > "$out.resume.log" 2>&1 || { fail "$name #$i: resumed run failed: $(tail -1 "$out.resume.log")"; continue; }
    grep -q "resumed from" "$out.resume.log" && resumed_from_checkpoint=$((resumed_from_checkpoint + 1))
    local same=1
    for ck in "$ref"/checkpoint-*.safetensors; do
      local b=$(basename "$ck")
      compare "$ck" "$out/$b" > "$out.cmp" 2>&1 || { same=0; fail "$name #$i (killed at $delay s): $b: $(cat "$out.cmp")"; }
    done
    for m in "$ref"/metrics-*.csv; do
      cmp -s <(deterministic_metrics "$m") <(deterministic_metrics "$out/$(basename "$m")") || { same=0; fail "$name #$i: $(basename "$m") differs"; }
    done
    [ $same = 1 ] && identical=$((identical + 1))
    if ls -a "$out" | grep -q '\.tmp-'; then tmp_left=$((tmp_left + 1)); fail "$name #$i: a .tmp- file survived"; fi
  done
  echo "kill -9 $name: $kills kills in a $(printf %.1f "$dur") s run, $resumed_from_checkpoint resumed from a checkpoint, $identical bit-identical, $tmp_left with a .tmp- file left"
  table+=("| kill -9 \`$name\` at $kills random moments, then \`--resume\` | $identical of $kills runs end bit-identical to the uninterrupted run ($resumed_from_checkpoint resumed from a checkpoint, the rest started afresh); $tmp_left left a \`.tmp-\` file |")
}

# expect_clean_failure LABEL LOG STATUS: a non-zero exit that is not a signal, and the error as the one
# `Error: ` line of LOG (the run's standard error), which is its last line.
expect_clean_failure() {
  local label=$1 log=$2 status=$3
  if [ "$status" -eq 0 ]; then fail "$label: succeeded"; return 1; fi
  if [ "$status" -ge 128 ]; then fail "$label: died of a signal (exit $status): $(tail -3 "$log")"; return 1; fi
  if [ "$(grep -c '^Error: ' "$log")" -ne 1 ] || ! tail -1 "$log" | grep -q '^Error: '; then
    fail "$label: the error is not one last line: $(tail -3 "$log")"; return 1
  fi
  return 0
}

full_test() {
  local out=$WORK/full
  "$BIN" "${MATCH[@]}" --epochs 2 --output "$out" > "$WORK/full-first.log" 2>&1 || { fail "full: first run failed"; return; }
  cp "$out/checkpoint-det.safetensors" "$WORK/det-before"
  # A limit below the size of a checkpoint: every checkpoint write fails (EFBIG, as a full disk gives ENOSPC).
  local size=$(stat -c %s "$out/checkpoint-det.safetensors")
  (ulimit -f $(( size / 2048 )); exec "$BIN" "${MATCH[@]}" --epochs 4 --resume "$out" --output "$out") > "$WORK/full.out" 2> "$WORK/full.log"
  local status=$?
  local ok=1
  expect_clean_failure "full (ulimit -f)" "$WORK/full.log" $status || ok=0
  grep -q "checkpoint-det.safetensors: cannot write (File too large)" "$WORK/full.log" || { ok=0; fail "full: message: $(tail -1 "$WORK/full.log")"; }
  ls -a "$out" | grep -q '\.tmp-' && { ok=0; fail "full: a .tmp- file survived"; }
  cmp -s "$out/checkpoint-det.safetensors" "$WORK/det-before" || { ok=0; fail "full: the earlier checkpoint changed"; }
  echo "disk full (ulimit -f): exit $status, '$(tail -1 "$WORK/full.log")', earlier checkpoint intact: $ok"
  table+=("| file-size limit below a checkpoint (\`ulimit -f\`, EFBIG) | exit $status, one line \`$(tail -1 "$WORK/full.log" | sed "s#$WORK#…#" | cut -c1-90)\`; no \`.tmp-\` file; the previous checkpoint unchanged |")
  # A real full file system, where this process may mount one.
  local mnt=$WORK/tmpfs
  mkdir -p "$mnt"
  if mount -t tmpfs -o size=64k tmpfs "$mnt" 2> /dev/null; then
    "$BIN" "${MATCH[@]}" --epochs 2 --output "$mnt/out" > "$WORK/tmpfs.out" 2> "$WORK/tmpfs.log"
    status=$?
    expect_clean_failure "full (tmpfs)" "$WORK/tmpfs.log" $status
    local left=$(ls -a "$mnt/out" 2> /dev/null | grep -c '\.tmp-')
    [ "$left" -eq 0 ] || fail "full (tmpfs): $left .tmp- files survived"
    echo "disk full (64 kB tmpfs): exit $status, '$(tail -1 "$WORK/tmpfs.log")', .tmp- files left: $left"
    table+=("| a full file system (64 kB tmpfs) | exit $status, one line \`$(tail -1 "$WORK/tmpfs.log" | sed "s#$WORK#…#" | cut -c1-90)\`; $left \`.tmp-\` files left |")
    umount "$mnt"
  else
    echo "disk full (tmpfs): not run, mounting is not permitted here"
  fi
}

readonly_test() {
  local ro="" mnt=$WORK/ro-mount
  mkdir -p "$mnt"
  # A read-only file system: a tmpfs mounted read-only where mounting is allowed, else /sys or /proc.
  if mount -t tmpfs -o ro,size=64k tmpfs "$mnt" 2> /dev/null; then ro=$mnt/spikekit-out; fi
  for d in /sys /proc; do
    [ -n "$ro" ] && break
    if ! mkdir "$d/spikekit-probe" 2> /dev/null; then ro=$d/spikekit-out; break; fi
    rmdir "$d/spikekit-probe"
  done
  [ -n "$ro" ] || { echo "read-only output: no read-only file system found"; return; }
  "$BIN" "${MATCH[@]}" --epochs 1 --output "$ro" > "$WORK/ro.out" 2> "$WORK/ro.log"
  local status=$?
  expect_clean_failure "read-only output" "$WORK/ro.log" $status
  "$BIN" "${CLASSIFY[@]}" --epochs 1 --output "$ro" > "$WORK/ro2.out" 2> "$WORK/ro2.log"
  local status2=$?
  expect_clean_failure "read-only output (classify)" "$WORK/ro2.log" $status2
  echo "read-only output: match exit $status '$(tail -1 "$WORK/ro.log")', classify exit $status2"
  table+=("| \`--output\` on a read-only file system | match and classify exit $status/$status2, one line \`$(tail -1 "$WORK/ro.log" | sed "s#$WORK#…#" | cut -c1-90)\` |")
  mountpoint -q "$mnt" && umount "$mnt"
}

# truncate_test LABEL FILE COMMAND...: the command (with FILE replaced by @) on `cuts` random prefixes of FILE.
truncate_test() {
  local label=$1 file=$2; shift 2
  local size=$(stat -c %s "$file") clean=0
  for i in $(seq 1 "$cuts"); do
    local cut=$(( (RANDOM * 32768 + RANDOM) % size ))
    local t=$WORK/cut-$i-$(basename "$file")
    head -c "$cut" "$file" > "$t"
    local args=()
    for a in "$@"; do args+=("${a//@/$t}"); done
    "$BIN" "${args[@]}" > "$WORK/cut.out" 2> "$WORK/cut.log"
    local status=$?
    if expect_clean_failure "truncated $label at $cut bytes" "$WORK/cut.log" $status; then
      if grep -q "$(basename "$t")" "$WORK/cut.log"; then clean=$((clean + 1)); else fail "truncated $label: error does not name the file: $(tail -1 "$WORK/cut.log")"; fi
    fi
    rm -f "$t"
  done
  echo "truncated $label: $clean of $cuts cuts gave a clean one-line error naming the file"
  table+=("| $label truncated at $cuts random lengths | $clean of $cuts: exit 1, one line naming the file |")
}

truncate_tests() {
  local shd=$ROOT/Tests/SpikeKitTests/Fixtures/hdf5/default.h5
  truncate_test "SHD file (.h5)" "$shd" classify --dataset @ --epochs 1 --output "$WORK/cut-out"
  truncate_test "SHD file (.h5.gz)" "$ROOT/Tests/SpikeKitTests/Fixtures/hdf5/default.h5.gz" data info @
  "$BIN" "${MATCH[@]}" --epochs 1 --output "$WORK/seedrun" > /dev/null 2>&1
  truncate_test "PNG target" "$WORK/seedrun/target.png" match --target @ --epochs 1 --hidden 4 --output "$WORK/cut-out"
  local npy=$ROOT/Tests/SpikeKitTests/Fixtures/cases/dense-stochastic-sigmoid/target.npy
  truncate_test ".npy target" "$npy" match --target @ --epochs 1 --hidden 4 --output "$WORK/cut-out"
  truncate_test "checkpoint" "$WORK/seedrun/checkpoint-det.safetensors" evaluate @
}

for p in "${parts[@]}"; do
  case "$p" in
    kill) kill_test match "${MATCH[@]}"; kill_test classify "${CLASSIFY[@]}" ;;
    full) full_test ;;
    readonly) readonly_test ;;
    truncate) truncate_tests ;;
    *) echo "unknown part '$p'" >&2; exit 2 ;;
  esac
done
echo
echo "| fault | what survives |"
echo "|---|---|"
for r in "${table[@]}"; do echo "$r"; done
echo
echo "$failures failures"
[ $failures -eq 0 ]
