#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/Package.swift: -sanitize=fuzzer,address, Swift's checks on in every module)
# and runs them, one at a time, on seed corpora made from the test fixtures. See docs/Reliability.md.
#
#   Fuzz/run.sh [--seconds N | --runs N] [--jobs J] [--build-only] [--regressions] [HARNESS ...]
#
#   HARNESS        hdf5 inflate png pnm npy safetensors model checkpoint (default: all)
#   --seconds N    run each harness N seconds (default 10)
#   --runs N       run each harness for N executions instead
#   --jobs J       libFuzzer -jobs/-workers (default 1)
#   --regressions  only replay the committed crash inputs (Tests/SpikeKitTests/Fixtures/fuzz/<harness>/)
#   --build-only   build and stop
#
# Work files live under Fuzz/.work (ignored by git): corpus/<harness> grows between runs, artifacts/<harness> holds
# any crash, leak, timeout or out-of-memory input, logs/<harness>.log the libFuzzer log. The last line per harness
# is a summary: executions, coverage (libFuzzer's cov: edges and ft: features), corpus size, and findings.
# Exit status: 0 when no harness found anything, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")"
FUZZ=$PWD
ROOT=$(cd .. && pwd)
FIX=$ROOT/Tests/SpikeKitTests/Fixtures
seconds=10 runs="" jobs=1 build_only=0 regressions=0 harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build-only) build_only=1; shift ;;
    --regressions) regressions=1; shift ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=(hdf5 inflate png pnm npy safetensors model checkpoint)

swift build -c debug --package-path "$FUZZ" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >&2
BIN=$(swift build -c debug --package-path "$FUZZ" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --show-bin-path)
[ $build_only = 1 ] && exit 0

target_of() {
  case "$1" in
    hdf5) echo FuzzHDF5 ;; inflate) echo FuzzInflate ;; png) echo FuzzPNG ;; pnm) echo FuzzPNM ;;
    npy) echo FuzzNpy ;; safetensors) echo FuzzSafetensors ;; model) echo FuzzModel ;; checkpoint) echo FuzzCheckpoint ;;
    *) echo "unknown harness '$1'" >&2; exit 2 ;;
  esac
}

# Largest input libFuzzer may create, per harness (the HDF5 fixtures are up to 38 kB).
max_len_of() {
  case "$1" in hdf5) echo 65536 ;; inflate) echo 32768 ;; png|checkpoint|safetensors) echo 16384 ;; *) echo 8192 ;; esac
}

# Bytes from hex digits (no xxd needed).
hex() { printf "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }

# Seeds from the fixtures (copied on every run; libFuzzer deduplicates), plus the committed regression inputs.
seed() {
  local h=$1 dir=$FUZZ/.work/corpus/$1
  mkdir -p "$dir"
  case "$h" in
    hdf5)
      for f in "$FIX"/hdf5/*.h5 "$FIX"/hdf5/*.h5.gz; do cp "$f" "$dir/fixture-$(basename "$f")"; done ;;
    inflate)
      # The first byte chooses the container (see FuzzInflate): gzip files start with 0x1f, mode 3 = gzip.
      cp "$FIX"/hdf5/default.h5.gz "$dir/fixture-default.h5.gz"
      printf '\x02' > "$dir/zlib"; hex '78da0b2ec8cc4ef5ce2c5128063150c892a2c4cc3c28696068646c626a666e61a9103c28750000c2464285' >> "$dir/zlib"
      printf '\x00' > "$dir/raw-fixed"; hex '0b2ec8cc4ef5ce2c5128063150c892a2c4cc3c28696068646c626a666e61a9103c28750000' >> "$dir/raw-fixed"
      printf '\x01\xc8\x00' > "$dir/raw-stored"; hex '01c80037ff' >> "$dir/raw-stored"
      head -c 200 /dev/zero | tr '\0' 'S' >> "$dir/raw-stored" ;;
    png)
      # The PNG test images (every colour type, depth, filter, interlacing) are base64 strings in PNGFixtures.swift.
      local k=0
      grep -o '("[a-z0-9-]*", [0-9]*, [0-9]*, "[A-Za-z0-9+/=]*"' "$ROOT/Tests/SpikeKitTests/Image/PNGFixtures.swift" \
        | sed 's/.*, "\([A-Za-z0-9+\/=]*\)"$/\1/' | while read -r b; do
          k=$((k + 1)); printf '%s' "$b" | base64 -d > "$dir/fixture-$k.png"; done
      [ -f ../../shared/data/radcliffe-camera-dithered.png ] && cp ../../shared/data/radcliffe-camera-dithered.png "$dir/" || true ;;
    pnm)
      printf 'P1\n# bitmap\n4 3\n0 1 0 1\n1 0 1 0\n0 0 1 1\n' > "$dir/p1"
      printf 'P2\n3 2\n255\n0 128 255\n10 20 30\n' > "$dir/p2"
      printf 'P3\n2 1\n255\n255 0 0 0 0 255\n' > "$dir/p3"
      printf 'P4\n8 2\n\xa5\x5a' > "$dir/p4"
      printf 'P5\n3 2\n255\n\x00\x80\xff\x10\x20\x30' > "$dir/p5"
      printf 'P5\n2 1\n65535\n\x01\x00\xff\xff' > "$dir/p5-16"
      printf 'P6\n2 1\n255\n\xff\x00\x00\x00\x00\xff' > "$dir/p6" ;;
    npy)
      for f in "$FIX"/cases/*/*.npy; do
        [ "$(stat -c %s "$f")" -le 8192 ] && cp "$f" "$dir/fixture-$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
    safetensors)
      cp "$FIX"/safetensors/*.safetensors "$dir/"
      cp "$FUZZ"/seeds/checkpoint/*.safetensors "$dir/" 2>/dev/null || true ;;
    model)
      for f in "$FIX"/cases/*/case.json; do cp "$f" "$dir/fixture-$(basename "$(dirname "$f")").json"; done ;;
    checkpoint)
      cp "$FUZZ"/seeds/checkpoint/*.safetensors "$dir/" ;;
  esac
  if [ -d "$FIX/fuzz/$h" ]; then cp "$FIX/fuzz/$h"/* "$dir/" 2>/dev/null || true; fi
}

status=0
for h in "${harnesses[@]}"; do
  t=$(target_of "$h")
  mkdir -p "$FUZZ/.work/artifacts/$h" "$FUZZ/.work/logs"
  log=$FUZZ/.work/logs/$h.log
  if [ $regressions = 1 ]; then
    if ls "$FIX/fuzz/$h"/* > /dev/null 2>&1; then
      if "$BIN/$t" -rss_limit_mb=2048 -timeout=20 "$FIX/fuzz/$h"/* > "$log" 2>&1; then
        echo "$h: $(ls "$FIX/fuzz/$h" | wc -l) regression inputs replayed, no finding"
      else
        echo "$h: a regression input fails (see $log)"; status=1
      fi
    fi
    continue
  fi
  seed "$h"
  limit=(-max_total_time="$seconds")
  [ -n "$runs" ] && limit=(-runs="$runs")
  set +e
  par=()
  [ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
  "$BIN/$t" "$FUZZ/.work/corpus/$h" "${limit[@]}" "${par[@]}" -max_len="$(max_len_of "$h")" \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=20 -print_final_stats=1 \
    -artifact_prefix="$FUZZ/.work/artifacts/$h/" > "$log" 2>&1
  rc=$?
  set -e
  [ "$jobs" -gt 1 ] && cat "$FUZZ"/fuzz-*.log >> "$log" 2>/dev/null && rm -f "$FUZZ"/fuzz-*.log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s += $2} END {print s + 0}')
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
  findings=$(ls "$FUZZ/.work/artifacts/$h" | wc -l)
  echo "$h: $execs executions, $cov, $findings findings in .work/artifacts/$h (exit $rc)"
  if [ $rc -ne 0 ] || [ "$findings" -gt 0 ]; then status=1; fi
done
exit $status
