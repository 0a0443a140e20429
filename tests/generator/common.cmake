# Shared by the generator test scripts: run a command, fail with its output, configure/build/test a project.
include_guard(GLOBAL)

# run(<what> COMMAND ... [WORKING_DIRECTORY dir] [EXPECT code] [OUTPUT var] [TIMEOUT s])
function(run what)
  cmake_parse_arguments(R "" "WORKING_DIRECTORY;EXPECT;OUTPUT;TIMEOUT" "COMMAND" ${ARGN})
  if(NOT DEFINED R_EXPECT)
    set(R_EXPECT 0)
  endif()
  if(NOT R_WORKING_DIRECTORY)
    set(R_WORKING_DIRECTORY "${WORK_DIR}")
  endif()
  set(extra "")
  if(R_TIMEOUT)
    set(extra TIMEOUT ${R_TIMEOUT})
  endif()
  string(TIMESTAMP t0 "%s")
  execute_process(COMMAND ${R_COMMAND} WORKING_DIRECTORY "${R_WORKING_DIRECTORY}" RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE out ${extra})
  string(TIMESTAMP t1 "%s")
  math(EXPR secs "${t1} - ${t0}")
  if(NOT rc STREQUAL "${R_EXPECT}")
    message(FATAL_ERROR "${what}: exit status '${rc}', expected ${R_EXPECT}\n  command: ${R_COMMAND}\n${out}")
  endif()
  message(STATUS "${what}: ok (${secs} s)")
  if(R_OUTPUT)
    set(${R_OUTPUT} "${out}" PARENT_SCOPE)
  endif()
endfunction()

include("${CMAKE_CURRENT_LIST_DIR}/../cmake/child_build.cmake")

# configure_build_test(<project dir> <build dir> <find_package|add_subdirectory>) — uses the toolchain variables
# of child_build.cmake (BUILD_TYPE, GENERATOR, ...) and PREFIX, STEADY_SOURCE_DIR from the caller.
function(configure_build_test project build mode)
  steady_child_configure_args(args "${project}" "${build}")
  if(mode STREQUAL "add_subdirectory")
    # The library is built along, from this source tree: the second way a project finds steady_state. With the
    # build type and flags of this build, ccache serves most of it (CTest sets CCACHE_NOHASHDIR); telemetry is left
    # out here to spare CI its Boost.Beast compile (the find_package projects link the installed one).
    # steady::actors (Beast too) is left out for the same reason; the sketches built this way use no prebuilt actors.
    list(APPEND args "-DSTEADY_STATE_SOURCE_DIR=${STEADY_SOURCE_DIR}" -DSTEADY_BUILD_TELEMETRY=OFF
         -DSTEADY_BUILD_ACTORS=OFF)
  else()
    # Unity builds cut the compile time of the generated tests on a small CI machine (the generated code keeps
    # every translation unit's names in its own namespace, so it builds either way).
    list(APPEND args "-DCMAKE_PREFIX_PATH=${PREFIX}" -DCMAKE_UNITY_BUILD=ON)
  endif()
  run("configure ${project}" COMMAND "${CMAKE_COMMAND}" ${args})
  run("build ${project}" COMMAND "${CMAKE_COMMAND}" --build "${build}" --parallel 2)
  run("generated tests of ${project}" COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${build}" --output-on-failure
      --timeout 120)
endfunction()
