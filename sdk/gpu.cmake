# The Vulkan compute runtime, OpenInspect::gpu: device selection, run-time GLSL compilation
# with glslang, on-disk SPIR-V and pipeline caches, pooled GPU memory, GPU planes and
# command recording. A library of its own so the core SDK does not depend on Vulkan.
#
# Installed package config needs: find_dependency(Vulkan) (glslang is linked statically into
# the library and is not part of its interface).
find_package(Vulkan REQUIRED)
find_package(glslang CONFIG REQUIRED)

# Shared GLSL includes (shaders/*.glsl) and shader sources: read from the source tree by a
# build-tree library, from share/openinspect/shaders by an installed one.
set(OI_SHADER_SUBDIR openinspect/shaders)
set(OI_SHADER_INSTALL_DIR ${CMAKE_INSTALL_DATADIR}/${OI_SHADER_SUBDIR})
# Where the installed library finds the shaders, relative to its own folder.
file(RELATIVE_PATH OI_SHADER_DIR_FROM_LIB ${CMAKE_INSTALL_FULL_LIBDIR}
     ${CMAKE_INSTALL_FULL_DATADIR}/${OI_SHADER_SUBDIR})

file(GLOB OI_GPU_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/gpu/*.cpp)
oi_add_component_library(oi_gpu EXPORT_NAME gpu SOURCES ${OI_GPU_SOURCES}
  PRIVATE_INCLUDE ${CMAKE_CURRENT_SOURCE_DIR}/src/gpu)
target_link_libraries(oi_gpu
  PUBLIC oi_sdk Vulkan::Vulkan
  PRIVATE glslang::glslang glslang::SPIRV glslang::glslang-default-resource-limits
          spdlog::spdlog fmt::fmt ${CMAKE_DL_LIBS})
target_compile_definitions(oi_gpu PRIVATE
  OI_SHADER_DIR_FROM_LIB="${OI_SHADER_DIR_FROM_LIB}"
  OI_SHADER_SOURCE_DIR="${PROJECT_SOURCE_DIR}/shaders")

# include/oi/gpu is installed with the rest of include/oi by sdk/CMakeLists.txt.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/shaders/ DESTINATION ${OI_SHADER_INSTALL_DIR}
  FILES_MATCHING PATTERN "*.comp" PATTERN "*.glsl")
