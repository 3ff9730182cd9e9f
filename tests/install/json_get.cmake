# Prints one value of a JSON file, for the shell-script install tests (no jq or Python
# needed, only the cmake that built the project):
#   cmake -DFILE=stats.json -DKEYS="summaries;scanner;frames" -P json_get.cmake
#   cmake -DFILE=devices.json -DKEYS="" -DOP=LENGTH -P json_get.cmake
# OP is GET (default) or LENGTH; KEYS is the member/index path. Booleans print ON or OFF.
# A missing file or key fails with the reason, so a check that uses it cannot pass silently.
if(NOT DEFINED OP)
  set(OP GET)
endif()
if(NOT EXISTS "${FILE}")
  message(FATAL_ERROR "json_get: ${FILE} does not exist")
endif()
file(READ "${FILE}" text)
string(JSON value ERROR_VARIABLE problem ${OP} "${text}" ${KEYS})
if(problem)
  message(FATAL_ERROR "json_get: ${FILE}: ${OP} [${KEYS}] failed: ${problem}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E echo "${value}")
