# generator.regeneration: regenerating after a DOT change keeps the user's code.
#   1. generate pipeline.dot; the user implements doubling in actors/doubler.cpp and updates its test
#   2. the DOT gains an actor (Auditor, fed by Logger); regenerate: the edits are intact, Auditor's stubs appear,
#      Logger's untouched stub is refreshed for its new output, and everything builds and passes
#   3. regenerate with no change: nothing is written
#   4. Doubler gains a channel while its behaviour is edited: the fresh stub goes to actors/doubler.cpp.new
#   cmake -DSTEADY_GEN=... -DDOT=<pipeline.dot> -DWORK_DIR=... -DPREFIX=... [toolchain -D...] -P regeneration.cmake
cmake_minimum_required(VERSION 3.25)
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(dot "${WORK_DIR}/service.dot")
set(project "${WORK_DIR}/service")
file(COPY_FILE "${DOT}" "${dot}")

function(expect_in text what)
  string(FIND "${text}" "${what}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected to find '${what}' in:\n${text}")
  endif()
endfunction()
function(replace_in file from to)
  file(READ "${file}" content)
  string(FIND "${content}" "${from}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${file}: '${from}' not found (did the stub change?)")
  endif()
  string(REPLACE "${from}" "${to}" content "${content}")
  file(WRITE "${file}" "${content}")
endfunction()

# 1. generate, then edit like a user
run("generate" COMMAND "${STEADY_GEN}" -d "${dot}" -n pipeline -o "${project}")
replace_in("${project}/actors/doubler.cpp" "pass_on(next_output, m.value," "pass_on(next_output, 2 * m.value /* user edit */,")
replace_in("${project}/tests/doubler_test.cpp" "std::uint64_t{0}), 6u)" "std::uint64_t{0}), 12u)")
file(READ "${project}/actors/doubler.cpp" edited_behaviour)

# 2. a new actor in the DOT
file(READ "${dot}" text)
string(REGEX REPLACE "}[ \t\n]*$" [=[
    Auditor [label="checks what was logged\nmod::auditor\nOnEvent(audited:16)"];
    Logger -> Auditor [label="name::audited <Value> >>TakeCopy #256"];
}
]=] text "${text}")
file(WRITE "${dot}" "${text}")
run("regenerate after adding Auditor" COMMAND "${STEADY_GEN}" -d "${dot}" -n pipeline -o "${project}" OUTPUT out)
message("${out}")
expect_in("${out}" "kept      actors/doubler.cpp")
expect_in("${out}" "kept      tests/doubler_test.cpp")
expect_in("${out}" "created   actors/auditor.cpp")
expect_in("${out}" "created   tests/auditor_test.cpp")
expect_in("${out}" "refreshed actors/logger.cpp")
expect_in("${out}" "updated   generated/graph.cpp")
file(READ "${project}/actors/doubler.cpp" after)
if(NOT after STREQUAL edited_behaviour)
  message(FATAL_ERROR "actors/doubler.cpp changed although the user had edited it")
endif()
file(READ "${project}/generated/graph.cpp" wiring)
expect_in("${wiring}" "graph.actor(\"auditor\")")
configure_build_test("${project}" "${project}/build" find_package)

# 3. nothing changed: nothing written
run("regenerate unchanged" COMMAND "${STEADY_GEN}" -d "${dot}" -n pipeline -o "${project}" OUTPUT out)
expect_in("${out}" "the project was up to date")

# 4. the edited kind's channels change: its fresh stub is offered beside the user's file
file(READ "${dot}" text)
string(REGEX REPLACE "}[ \t\n]*$" [=[
    Doubler -> Auditor [label="name::side <Value> >>TakeCopy #64"];
}
]=] text "${text}")
file(WRITE "${dot}" "${text}")
run("regenerate after Doubler gained an output" COMMAND "${STEADY_GEN}" -d "${dot}" -n pipeline -o "${project}"
    OUTPUT out)
message("${out}")
expect_in("${out}" "review    actors/doubler.cpp.new")
if(NOT EXISTS "${project}/actors/doubler.cpp.new")
  message(FATAL_ERROR "no actors/doubler.cpp.new")
endif()
file(READ "${project}/actors/doubler.cpp" after)
if(NOT after STREQUAL edited_behaviour)
  message(FATAL_ERROR "actors/doubler.cpp changed although the user had edited it")
endif()
message(STATUS "generator.regeneration: OK")
