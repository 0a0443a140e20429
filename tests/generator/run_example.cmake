# generator.example.<dot>: a DOT file becomes a project that builds, passes its tests, and runs and stops cleanly.
#   cmake -DSTEADY_GEN=... -DDOT=... -DWORK_DIR=... -DMODE=find_package|add_subdirectory -DPREFIX=...
#         -DSTEADY_SOURCE_DIR=... [-DGENERATOR= -DMAKE_PROGRAM= -DCXX_COMPILER= -DLAUNCHER= -DFLAGS=] -P run_example.cmake
cmake_minimum_required(VERSION 3.25)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")

get_filename_component(name "${DOT}" NAME_WE)
set(project "${WORK_DIR}/${name}")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

run("steady-gen ${name}" COMMAND "${STEADY_GEN}" -d "${DOT}" -n "${name}" -o "${project}" OUTPUT out)
message("${out}")
configure_build_test("${project}" "${project}/build" "${MODE}")

# The service itself: runs for a few seconds, then stops by itself; exit status 0 means a clean stop. When it was
# linked with telemetry (the installed package has it; the add_subdirectory build leaves it out), the traffic on
# every channel is checked from outside too, in its telemetry snapshot (/snapshot.json on a free port).
set(require_telemetry 0)
if(MODE STREQUAL "find_package")
  set(require_telemetry 1)
endif()
run("${name} service" COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/run_service.sh" "${project}/build/${name}"
    "${project}/generated/graph.hpp" ${require_telemetry} TIMEOUT 60 OUTPUT out)
message("${out}")
message(STATUS "generator.example.${name}: OK")
