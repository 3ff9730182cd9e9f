# cmake -DFUZZER=... -DCORPUS=... -DRUNS=... -DWORK_DIR=... [-DDICT=...] [-DMAX_LEN=...]
#       -P run_fuzzer.cmake
#
# Copies the seed corpus to a scratch folder and runs the fuzzer over it for RUNS inputs.
# Any crash, sanitizer report, leak, timeout or unexpected exception fails the test; the
# offending input is left in WORK_DIR (rerun it with `FUZZER WORK_DIR/crash-...`).
foreach(var FUZZER CORPUS RUNS WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT EXISTS ${FUZZER})
  message(FATAL_ERROR "fuzzer ${FUZZER} is not built; build the 'oi_fuzzers' target")
endif()

set(options -runs=${RUNS} -timeout=10 -max_total_time=150 -rss_limit_mb=2048 -print_final_stats=1)
if(DICT)
  list(APPEND options -dict=${DICT})
endif()
if(NOT MAX_LEN)
  set(MAX_LEN 4096)
endif()
list(APPEND options -max_len=${MAX_LEN})

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/corpus)
file(GLOB seeds ${CORPUS}/*)
file(COPY ${seeds} DESTINATION ${WORK_DIR}/corpus)

execute_process(
  COMMAND ${FUZZER} ${WORK_DIR}/corpus ${options} -artifact_prefix=${WORK_DIR}/
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found a problem (exit ${result}); the input is in ${WORK_DIR}/")
endif()
