# portcullis_fuzz_targets(TARGETS name… LIBRARIES lib… LABEL label [LINK lib…])
# Each fuzz target <name>_fuzz.cpp (next to the calling CMakeLists.txt), two ways: a replay
# test (fuzz_replay_<name>, any compiler) that runs the checked-in corpus/<name>/ as an
# ordinary test, and with PORTCULLIS_FUZZ and clang a real libFuzzer binary <name>_fuzz,
# linked against a coverage-instrumented rebuild of LIBRARIES' sources (fuzzing the
# ordinary libraries would see only the harness's edges); LINK is what those sources need.
function(portcullis_fuzz_targets)
  cmake_parse_arguments(F "" "LABEL" "TARGETS;LIBRARIES;LINK" ${ARGN})
  foreach(name ${F_TARGETS})
    add_executable(fuzz_replay_${name} ${name}_fuzz.cpp
                   ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_replay_main.cpp)
    target_link_libraries(fuzz_replay_${name} PRIVATE ${F_LIBRARIES})
    add_test(NAME fuzz_replay_${name}
             COMMAND fuzz_replay_${name} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${name})
    set_tests_properties(fuzz_replay_${name} PROPERTIES LABELS ${F_LABEL})
  endforeach()
  if(NOT (PORTCULLIS_FUZZ AND CMAKE_CXX_COMPILER_ID MATCHES "Clang"))
    return()
  endif()
  set(sources)
  foreach(lib ${F_LIBRARIES})
    get_target_property(lib_sources ${lib} SOURCES)
    get_target_property(lib_dir ${lib} SOURCE_DIR)
    list(TRANSFORM lib_sources PREPEND "${lib_dir}/")
    list(APPEND sources ${lib_sources})
  endforeach()
  list(GET F_TARGETS 0 first)
  set(instrumented portcullis_fuzzing_${first})
  add_library(${instrumented} STATIC ${sources})
  target_include_directories(${instrumented} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${instrumented} PUBLIC ${F_LINK})
  target_compile_options(${instrumented} PRIVATE
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined)
  foreach(name ${F_TARGETS})
    add_executable(${name}_fuzz ${name}_fuzz.cpp)
    target_link_libraries(${name}_fuzz PRIVATE ${instrumented})
    target_compile_options(${name}_fuzz PRIVATE
      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
    target_link_options(${name}_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  endforeach()
endfunction()
