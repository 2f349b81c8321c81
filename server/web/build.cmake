# Included by server/CMakeLists.txt: builds the dashboard's files in
# server/web/ into luoshid (web_files.c, made by embed.cmake).
set(web_c ${CMAKE_CURRENT_BINARY_DIR}/web_files.c)
file(GLOB web_files CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/web/*.html
     ${CMAKE_CURRENT_SOURCE_DIR}/web/*.css ${CMAKE_CURRENT_SOURCE_DIR}/web/*.js
     ${CMAKE_CURRENT_SOURCE_DIR}/web/*.svg)
add_custom_command(
  OUTPUT ${web_c}
  COMMAND ${CMAKE_COMMAND} -DOUT=${web_c} -DDIR=${CMAKE_CURRENT_SOURCE_DIR}/web
          -P ${CMAKE_CURRENT_SOURCE_DIR}/web/embed.cmake
  DEPENDS ${web_files} ${CMAKE_CURRENT_SOURCE_DIR}/web/embed.cmake
  COMMENT "embedding the dashboard"
  VERBATIM)
target_sources(luoshid_core PRIVATE ${web_c})
