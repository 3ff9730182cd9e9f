# Runs COMMAND with ARGS (a ;-list) and passes when it exits non-zero and its output
# contains every text in EXPECT (a ;-list).
execute_process(COMMAND ${COMMAND} ${ARGS} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
set(all "${out}${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a failure, got exit status 0:\n${all}")
endif()
foreach(text IN LISTS EXPECT)
  string(FIND "${all}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "output lacks \"${text}\":\n${all}")
  endif()
endforeach()
message(STATUS "failed as expected (exit ${rc})")
