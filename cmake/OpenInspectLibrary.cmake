# oi_add_component_library(<target> EXPORT_NAME <name> SOURCES <src>... [PRIVATE_INCLUDE <dir>])
#
# One OpenInspect component library (sdk, gpu, hal): a shared library
# libopeninspect_<name>.so, aliased OpenInspect::<name>, with public headers under the
# current folder's include/, exported and installed like the others. Used inside this
# repository only; out-of-tree projects use the installed targets.
function(oi_add_component_library target)
  cmake_parse_arguments(ARG "" "EXPORT_NAME;PRIVATE_INCLUDE" "SOURCES" ${ARGN})
  add_library(${target} SHARED ${ARG_SOURCES})
  add_library(OpenInspect::${ARG_EXPORT_NAME} ALIAS ${target})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME openinspect_${ARG_EXPORT_NAME}
    EXPORT_NAME ${ARG_EXPORT_NAME}
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${ARG_PRIVATE_INCLUDE})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  install(TARGETS ${target} EXPORT OpenInspectTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()
