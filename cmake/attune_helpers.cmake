# attune_module(NAME SOURCES ... DEPS ...): one static library per module,
# with the repository root and generated headers on its include path.
set(ATTUNE_MODULES "" CACHE INTERNAL "")
function(attune_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/attune>)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  target_compile_options(${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  set(ATTUNE_MODULES ${ATTUNE_MODULES} ${name} CACHE INTERNAL "")
endfunction()

# attune_test(NAME SOURCES ... DEPS ... [LABELS ...] [ENVIRONMENT ...]): a
# GoogleTest binary whose tests are registered with CTest one by one, each
# with those labels and environment variables (VAR=value).
function(attune_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS;ENVIRONMENT" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock
                        GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    ATTUNE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # Only non-empty properties: gtest_discover_tests drops empty values, which
  # would shift the next property name into the previous one's value.
  set(properties "")
  if(ARG_LABELS)
    list(APPEND properties LABELS "${ARG_LABELS}")
  endif()
  if(ARG_ENVIRONMENT)
    list(APPEND properties ENVIRONMENT "${ARG_ENVIRONMENT}")
  endif()
  if(properties)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ${properties})
  else()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
