# Tests that configure and build a separate CMake project (steady-gen's generated projects, the consumer smoke
# projects) build it with this build's toolchain: same generator, make program, compiler, launcher (ccache),
# build type and sanitizer flags. Two halves:
#   steady_child_toolchain(<out var>)                     in a CMakeLists.txt: the -D arguments to pass to a
#                                                         `cmake -P` test script (GENERATOR, MAKE_PROGRAM, ...)
#   steady_child_configure_args(<out var> <source> <build>)  in that script: the `cmake -S -B` arguments built
#                                                         from those variables
include_guard(GLOBAL)

function(steady_child_toolchain out)
  string(JOIN " " flags ${STEADY_SANITIZER_FLAGS})
  set(${out}
      "-DGENERATOR=${CMAKE_GENERATOR}"
      "-DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
      "-DCXX_COMPILER=${CMAKE_CXX_COMPILER}"
      "-DLAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}"
      "-DBUILD_TYPE=$<CONFIG>"
      "-DFLAGS=${flags}"
      PARENT_SCOPE)
endfunction()

function(steady_child_configure_args out source build)
  if(NOT BUILD_TYPE)
    set(BUILD_TYPE RelWithDebInfo)
  endif()
  set(args -S "${source}" -B "${build}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
  if(GENERATOR)
    list(APPEND args -G "${GENERATOR}")
  endif()
  if(MAKE_PROGRAM)
    list(APPEND args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
  endif()
  if(CXX_COMPILER)
    list(APPEND args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
  endif()
  if(LAUNCHER)
    list(APPEND args "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}")
  endif()
  if(FLAGS)
    # A sanitizer build's library needs its users compiled and linked with the same runtime.
    list(APPEND args "-DCMAKE_CXX_FLAGS=${FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${FLAGS}"
         "-DCMAKE_SHARED_LINKER_FLAGS=${FLAGS}")
  endif()
  set(${out} "${args}" PARENT_SCOPE)
endfunction()
