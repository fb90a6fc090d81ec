# libFuzzer target for the HTTP request/query parsers (library annal_http_parse, no Boost).
# Included from fuzz/CMakeLists.txt:  include(${CMAKE_CURRENT_LIST_DIR}/request_parse_fuzz.cmake)
if(COMMAND annal_fuzz_target)
  annal_fuzz_target(request_parse_fuzz ${CMAKE_CURRENT_LIST_DIR}/request_parse_fuzz.cc)
else()
  add_executable(request_parse_fuzz ${CMAKE_CURRENT_LIST_DIR}/request_parse_fuzz.cc)
  target_link_options(request_parse_fuzz PRIVATE -fsanitize=fuzzer)
endif()
target_link_libraries(request_parse_fuzz PRIVATE annal_http_parse)
