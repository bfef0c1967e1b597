#!/usr/bin/env bash
# Installs everything, builds portcullis once with ASan+UBSan, and runs every test
# (unit, fuzz-corpus replay, integration against real smtp-sink/Postfix tools) through ctest.
# Prints how long each phase took. Used by the README and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

phase_start=$(date +%s)
declare -a timings=()
phase() {  # phase NAME: records the time since the previous phase ended
  local now; now=$(date +%s)
  timings+=("$1: $((now - phase_start)) s")
  phase_start=$now
}
report() {
  echo "== phase timings =="
  printf '  %s\n' "${timings[@]}"
}
trap report EXIT

bash deploy/install-deps.sh --test
phase install

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPORTCULLIS_SANITIZE=ON -DPORTCULLIS_TESTS=ON >/dev/null
phase configure

cmake --build "$BUILD_DIR" -j "$JOBS"
phase build

# Sanitizers: fail on the first report; leaks count.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
set +e
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 600
status=$?
set -e
phase tests
exit $status
