# Runs one consumer smoke project: configure, build, run. Invoked by CTest as
#   cmake -DMODE=find_package|add_subdirectory -DSTEADY_SOURCE_DIR=... -DSTEADY_BINARY_DIR=... -DWORK_DIR=...
#         [the toolchain variables of tests/cmake/child_build.cmake: -DGENERATOR=... -DBUILD_TYPE=... -DFLAGS=...]
#         -P run_consumer.cmake
# find_package mode first installs the already-built steady_state from STEADY_BINARY_DIR into WORK_DIR/prefix.
# Everything happens under WORK_DIR, which is wiped first so a stale cache cannot hide a broken package.
cmake_minimum_required(VERSION 3.25)

foreach(required MODE STEADY_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${required} OR "${${required}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${required}=... is required")
  endif()
endforeach()
if(NOT BUILD_TYPE)
  set(BUILD_TYPE RelWithDebInfo)
endif()

set(consumer_dir "${CMAKE_CURRENT_LIST_DIR}/${MODE}")
set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# Same toolchain as the parent build.
include("${CMAKE_CURRENT_LIST_DIR}/../cmake/child_build.cmake")
steady_child_configure_args(configure_args "${consumer_dir}" "${build}")

if(MODE STREQUAL "find_package")
  if(NOT STEADY_BINARY_DIR)
    message(FATAL_ERROR "run_consumer.cmake: find_package mode needs -DSTEADY_BINARY_DIR=<built steady_state>")
  endif()
  message(STATUS "consumer: installing ${STEADY_BINARY_DIR} into ${prefix}")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" --install "${STEADY_BINARY_DIR}" --prefix "${prefix}" --config "${BUILD_TYPE}"
    COMMAND_ERROR_IS_FATAL ANY)
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${prefix}")
elseif(MODE STREQUAL "add_subdirectory")
  # Only the core is needed here: with add_subdirectory, steady::telemetry is the very target this build tests.
  list(APPEND configure_args "-DSTEADY_SOURCE_DIR=${STEADY_SOURCE_DIR}" -DSTEADY_BUILD_OPS=OFF -DSTEADY_BUILD_TELEMETRY=OFF)
else()
  message(FATAL_ERROR "run_consumer.cmake: MODE must be find_package or add_subdirectory (got '${MODE}')")
endif()

message(STATUS "consumer: configuring ${MODE} consumer")
execute_process(COMMAND "${CMAKE_COMMAND}" ${configure_args} COMMAND_ERROR_IS_FATAL ANY)

message(STATUS "consumer: building")
cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
execute_process(
  COMMAND "${CMAKE_COMMAND}" --build "${build}" --config "${BUILD_TYPE}" --parallel ${jobs}
  COMMAND_ERROR_IS_FATAL ANY)

# Single-config generators put the program in the build root, multi-config ones in a per-config folder.
set(program "${build}/consumer${CMAKE_EXECUTABLE_SUFFIX}")
if(NOT EXISTS "${program}")
  set(program "${build}/${BUILD_TYPE}/consumer${CMAKE_EXECUTABLE_SUFFIX}")
endif()

message(STATUS "consumer: running ${program}")
execute_process(COMMAND "${program}" RESULT_VARIABLE result TIMEOUT 60)
if(NOT result STREQUAL "0")
  message(FATAL_ERROR "consumer (${MODE}): program exited with '${result}', expected 0 "
                      "(graph did not stop cleanly or the sum was wrong)")
endif()
message(STATUS "consumer (${MODE}): OK")
