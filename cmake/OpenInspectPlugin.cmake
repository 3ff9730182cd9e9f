# oi_add_plugin(<target> SOURCES <src>... [LIBRARIES <lib>...] [OUTPUT_DIR <dir>] [NO_INSTALL])
#
# Builds one OpenInspect plugin: a MODULE library named <target>.so that links the SDK,
# hides every symbol except the entry point, lands in the plugin directory of the build tree
# (or OUTPUT_DIR) and installs into the plugin directory of the install. Used in this
# repository and, through find_package(OpenInspect), by out-of-tree plugin projects.
function(oi_add_plugin target)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "oi_add_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE OpenInspect::sdk ${ARG_LIBRARIES})
  if(NOT ARG_OUTPUT_DIR)
    if(DEFINED OI_PLUGIN_OUTPUT_DIR)
      set(ARG_OUTPUT_DIR ${OI_PLUGIN_OUTPUT_DIR})
    else()
      set(ARG_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
    endif()
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIR})
  if(NOT ARG_NO_INSTALL)
    if(NOT DEFINED OI_PLUGIN_INSTALL_DIR)
      include(GNUInstallDirs)
      set(OI_PLUGIN_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/openinspect/plugins)
    endif()
    install(TARGETS ${target} LIBRARY DESTINATION ${OI_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
