# Helpers that create every Regent target the same way, so adding a folder is one line in the top
# CMakeLists.txt and no folder needs a CMakeLists.txt of its own.
#
# Sources are globbed with CONFIGURE_DEPENDS: a new .cc file (or a new tests/unit/ folder) is
# picked up by the next `cmake --build` without re-running cmake by hand.

# All libraries created by regent_add_library(), in creation order; test folders without a
# library of their own link all of them (see regent_add_unit_tests).
set_property(GLOBAL PROPERTY REGENT_LIBRARIES "")

# regent_add_library(<name> [DEPS <target>...])
#
# Creates `regent_<name>` (alias `regent::<name>`) from every .cc under src/<name>/, recursively,
# so sub-folders such as src/raft/quorum/ belong to their parent library. A name with a slash
# makes a library of a sub-folder (`server/node` -> `regent_node`), created before its parent,
# whose glob then leaves that folder out. A folder with headers only becomes an INTERFACE
# library, so it can be linked the same way before its first .cc lands.
# DEPS are linked PUBLIC: they are the layering (raft -> common), and users of regent_raft need
# regent_common's headers too. Everything includes from src/ ("raft/raft.h", "common/assert.h").
function(regent_add_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "DEPS")
  set(dir "${PROJECT_SOURCE_DIR}/src/${name}")
  get_filename_component(leaf "${name}" NAME)
  set(target "regent_${leaf}")
  set(name "${leaf}")
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${dir}/*.cc")
  get_property(claimed GLOBAL PROPERTY REGENT_SUBLIBRARY_DIRS)
  foreach(sub IN LISTS claimed)
    list(FILTER sources EXCLUDE REGEX "^${sub}/")
  endforeach()
  set_property(GLOBAL APPEND PROPERTY REGENT_SUBLIBRARY_DIRS "${dir}")
  if(sources)
    add_library(${target} STATIC ${sources})
    target_include_directories(${target} PUBLIC "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(${target} PUBLIC ${arg_DEPS} PRIVATE regent::build_options)
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(${target} INTERFACE ${arg_DEPS})
  endif()
  add_library(regent::${name} ALIAS ${target})
  set_property(GLOBAL APPEND PROPERTY REGENT_LIBRARIES ${target})
endfunction()

# regent_add_executable(<target> SOURCES <file>... [LIBS <target>...])
#
# An executable with our warnings and sanitizer flags (the sanitizer runtime must be linked into
# the executable, not only compiled into the libraries).
function(regent_add_executable target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;LIBS")
  add_executable(${target} ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE ${arg_LIBS} regent::build_options)
endfunction()

# regent_add_unit_tests()
#
# One GoogleTest executable per folder tests/unit/<name>/, named regent_<name>_test, from every
# .cc in that folder (recursively). It links regent_<name> when that library exists; a folder
# named after something that is not a library (tests/unit/quorum/ tests a part of regent_raft)
# links every Regent library instead, which costs nothing with static libraries.
# gtest_discover_tests registers each TEST() as its own ctest test, so ctest's summary counts
# individual tests rather than binaries, and `ctest -R Quorum` selects them.
function(regent_add_unit_tests)
  include(GoogleTest)
  get_property(all_libs GLOBAL PROPERTY REGENT_LIBRARIES)
  get_property(skipped GLOBAL PROPERTY REGENT_SKIPPED_TEST_DIRS)
  file(GLOB children CONFIGURE_DEPENDS LIST_DIRECTORIES true
    "${PROJECT_SOURCE_DIR}/tests/unit/*")
  foreach(child IN LISTS children)
    if(NOT IS_DIRECTORY "${child}")
      continue()
    endif()
    get_filename_component(name "${child}" NAME)
    if(name IN_LIST skipped)
      continue()
    endif()
    file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${child}/*.cc")
    if(NOT sources)
      continue()
    endif()
    if(TARGET regent_${name})
      set(libs regent_${name})
    else()
      set(libs ${all_libs})
    endif()
    set(target regent_${name}_test)
    regent_add_executable(${target} SOURCES ${sources}
      LIBS ${libs} regent_testing GTest::gtest_main GTest::gmock)
    # Tests may include helpers by path relative to tests/ ("unit/raft/fixtures.h").
    target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/tests")
    # Discovery runs the binary after linking; sanitizer builds start slowly, hence 60 s.
    # The prefix keeps equal suite names in two folders apart ("raft.LogTest.Append") and lets
    # `ctest -R '^raft\.'` pick one folder. The per-test TIMEOUT turns a hang (a livelocked
    # election loop) into a failure in CI.
    gtest_discover_tests(${target}
      TEST_PREFIX "${name}."
      DISCOVERY_TIMEOUT 60
      PROPERTIES TIMEOUT ${REGENT_TEST_TIMEOUT})
  endforeach()
endfunction()
