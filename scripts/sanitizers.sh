#!/usr/bin/env bash
# Builds OpenInspect with sanitizers and runs its tests under them (docs/reliability.md,
# "Sanitizers"). Usage: scripts/sanitizers.sh asan|tsan [ctest arguments...]
#
#   asan  ASan + UBSan (preset "asan", build-asan/): the whole tree and the whole test suite.
#   tsan  TSan (preset "tsan", build-tsan/): the threaded parts — the scheduler, the HAL
#         supervisor and streaming drivers, the GPU runtime, record/replay, the sinks that write
#         from their own threads (events, ledger, reports) — built and run alone.
#
# Suppressions (tests/sanitizers/*.supp) name third-party code only, each with its reason.
# Any report fails the test that produced it. Extra arguments go to ctest (e.g. -R Scheduler).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-}
shift || true
supp=$PWD/tests/sanitizers
jobs=${JOBS:-2}

case "$kind" in
  asan)
    cmake --preset asan
    cmake --build --preset asan
    # detect_leaks: leaks fail too (third-party ones are suppressed in lsan.supp).
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0:strict_string_checks=1:check_initialization_order=1"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
    # Not the soak: ASan's quarantine holds freed memory back on purpose, so resident memory is
    # no measure of leaks there (LeakSanitizer is).
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE '^soak$' "$@"
    ;;
  tsan)
    # Test programs of the threaded parts; their plugins come with them (add_dependencies).
    programs=(oi_scheduler_tests oi_hal_tests oi_gpu_tests oi_record_replay_tests oi_mqtt_tests oi_sink_ledger_tests
      oi_sink_report_tests oi_audit_tests oi_sim_xray_driver_tests oi_sim_cctv_tests)
    cmake --preset tsan
    cmake --build --preset tsan --target "${programs[@]}"
    labels=$(IFS='|'; echo "^(${programs[*]})\$")
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
    ctest --test-dir build-tsan --output-on-failure -j"$jobs" -L "$labels" "$@"
    ;;
  *)
    echo "usage: scripts/sanitizers.sh asan|tsan [ctest arguments...]" >&2
    exit 2
    ;;
esac
