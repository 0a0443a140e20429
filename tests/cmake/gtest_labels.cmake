# steady_gtest_labels(<target> <label>...) — give every test that gtest_discover_tests(<target> ...) lists these
# labels. Call it after gtest_discover_tests. Needed for more than one label: CMake 3.25's gtest_discover_tests
# splits a list value in PROPERTIES into separate arguments (LABELS "a;b" would set only "a" and read "b" as a
# property name), so the labels are set by a file CTest includes after the discovered tests.
include_guard(GLOBAL)

function(steady_gtest_labels target)
  set(file "${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake")
  file(WRITE "${file}" "if(${target}_TESTS)\n"
                       "  set_tests_properties(\${${target}_TESTS} PROPERTIES LABELS \"${ARGN}\")\n"
                       "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${file}")
endfunction()
