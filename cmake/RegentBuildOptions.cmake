# Build-wide settings: language level, build types, ccache, and the `regent_build_options`
# interface target that carries warnings and sanitizer flags.
#
# Flags live on an interface target rather than in CMAKE_CXX_FLAGS so that they reach our own
# targets only: imported libraries (GoogleTest, Google Benchmark) and anything a later issue pulls
# in are compiled by their owners' rules, and -Werror must never fail on someone else's headers.

# C++20 without GNU extensions: the code must build on any conforming compiler.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)

# clangd, clang-tidy and cppcheck read this; `ln -s build/release/compile_commands.json .` to use.
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

# Only the three build types we test are accepted, so a typo ("release") fails loudly instead of
# silently building with no optimisation flags at all.
set(REGENT_BUILD_TYPES Release Debug RelWithDebInfo)
if(NOT CMAKE_BUILD_TYPE)
  # The sanitizer build wants exact stack traces; everything else gets optimised code with symbols.
  if(REGENT_SANITIZE)
    set(CMAKE_BUILD_TYPE Debug CACHE STRING "Build type" FORCE)
  else()
    set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
  endif()
endif()
set_property(CACHE CMAKE_BUILD_TYPE PROPERTY STRINGS ${REGENT_BUILD_TYPES})
if(NOT CMAKE_BUILD_TYPE IN_LIST REGENT_BUILD_TYPES)
  message(FATAL_ERROR
    "CMAKE_BUILD_TYPE='${CMAKE_BUILD_TYPE}' is not one of: ${REGENT_BUILD_TYPES}")
endif()

if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  # The flag spellings below are GCC/Clang ones; Debian 12's g++ is the reference compiler.
  message(FATAL_ERROR "Regent builds with GCC or Clang, not ${CMAKE_CXX_COMPILER_ID}")
endif()

# ccache makes rebuilds after `make clean`, branch switches and CI reruns mostly cache hits.
# Must be set before any target is created, since it only initialises target properties.
if(REGENT_USE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  find_program(REGENT_CCACHE_PROGRAM ccache)
  if(REGENT_CCACHE_PROGRAM)
    set(CMAKE_CXX_COMPILER_LAUNCHER "${REGENT_CCACHE_PROGRAM}")
    message(STATUS "Regent: using ccache (${REGENT_CCACHE_PROGRAM})")
  endif()
endif()

add_library(regent_build_options INTERFACE)
add_library(regent::build_options ALIAS regent_build_options)

# -Wall -Wextra catch the usual mistakes. Shadowing is checked for locals only: a loop variable
# hiding a parameter (`term` inside a function taking `term`) is a real bug in consensus code,
# while GCC's full -Wshadow also flags the harmless `Entry(Term term) : term(term)` constructors
# of plain structs, whose fields carry no trailing underscore in Google style. Clang's -Wshadow
# already leaves those constructors alone. -Wnon-virtual-dtor guards the interfaces (LogStorage,
# Transport, Env) that tests and the simulator implement.
# -Wno-missing-field-initializers: GCC 12 warns on every member a C++20 designated initializer
# leaves out (`Message{.type = t, .to = id, .term = term}`), yet leaving them out is the point of
# the idiom, and the omitted members are default-initialised by the language.
target_compile_options(regent_build_options INTERFACE
  -Wall -Wextra -Wno-missing-field-initializers -Wnon-virtual-dtor
  $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
  # GCC 12 at -O2/-O3 reports impossible memcpy overlaps inside std::string's operator+ (GCC bug
  # 105651), failing -Werror on ordinary `"x" + std::to_string(i)`.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  $<$<CXX_COMPILER_ID:Clang>:-Wshadow>
  $<$<BOOL:${REGENT_WERROR}>:-Werror>)

if(REGENT_SANITIZE OR REGENT_FUZZ)
  # ASan + UBSan together; no recovery, so the first report fails the test instead of scrolling by
  # (and libFuzzer sees a UBSan report as a crash). Frame pointers keep the sanitizers' fast
  # unwinder accurate.
  set(_regent_sanitize_flags -fsanitize=address,undefined -fno-sanitize-recover=all)
  target_compile_options(regent_build_options INTERFACE
    ${_regent_sanitize_flags} -fno-omit-frame-pointer)
  target_link_options(regent_build_options INTERFACE ${_regent_sanitize_flags})
  message(STATUS "Regent: AddressSanitizer + UndefinedBehaviorSanitizer enabled")
endif()

if(REGENT_TSAN)
  if(REGENT_SANITIZE OR REGENT_FUZZ)
    message(FATAL_ERROR "REGENT_TSAN cannot be combined with REGENT_SANITIZE or REGENT_FUZZ")
  endif()
  # Every thread of ours under the race detector; gRPC, protobuf and abseil come uninstrumented
  # from Debian, so races inside them are not seen (tests/tsan-suppressions.txt names what their
  # unseen locks make TSan misread).
  target_compile_options(regent_build_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(regent_build_options INTERFACE -fsanitize=thread)
  message(STATUS "Regent: ThreadSanitizer enabled")
endif()

if(REGENT_FUZZ)
  # libFuzzer ships with clang only. Everything we compile gets the coverage instrumentation
  # libFuzzer steers by (fuzzer-no-link); only the fuzz programs link libFuzzer itself, with its
  # main() (cmake/RegentFuzz.cmake).
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "REGENT_FUZZ needs clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}: "
      "configure a fresh build tree with CXX=clang++ (make build-fuzz)")
  endif()
  target_compile_options(regent_build_options INTERFACE -fsanitize=fuzzer-no-link)
  message(STATUS "Regent: libFuzzer build (fuzz/ only)")
endif()
