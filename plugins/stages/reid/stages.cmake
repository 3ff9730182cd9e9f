# The re-identification stages (included by CMakeLists.txt beside this file, after
# oi_reid_core). reid.embed (embed/): LOMO descriptors and the learnt metric's projection as
# Vulkan kernels (shaders/reid/, embedded at build time) with oi_reid_core as their CPU
# reference; crops are cut and resized on the host.
include(OpenInspectShaders)

# The Vulkan half, shared by the plugin, the GPU tests and the benchmark.
add_library(oi_reid_embed_gpu STATIC ${CMAKE_CURRENT_SOURCE_DIR}/embed/lomo_gpu.cpp)
target_include_directories(oi_reid_embed_gpu PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/embed)
target_link_libraries(oi_reid_embed_gpu PUBLIC oi_reid_core OpenInspect::gpu)
set_target_properties(oi_reid_embed_gpu PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
  POSITION_INDEPENDENT_CODE ON)
target_compile_options(oi_reid_embed_gpu PRIVATE -Wall -Wextra)
oi_add_shaders(oi_reid_embed_gpu
  BASE_DIR ${PROJECT_SOURCE_DIR}/shaders
  SHADERS reid/lomo_white.comp reid/lomo_pyramid.comp reid/lomo_rows.comp reid/lomo_scales.comp
          reid/lomo_descriptors.comp reid/reid_project.comp reid/reid_normalise.comp)

# The plugin. reid.embed finds the shipped model at <plugin folder>/../models (dladdr).
oi_add_plugin(oi_stages_reid
  SOURCES embed/embed_stage.cpp embed/plugin.cpp
  LIBRARIES oi_reid_embed_gpu spdlog::spdlog)
target_compile_options(oi_stages_reid PRIVATE -Wall -Wextra)

# reid.embed's optional ONNX embedding network (`model:` an .onnx file), run by OpenCV's DNN
# module: built when the module is there.
if(TARGET opencv_dnn)
  add_library(oi_reid_onnx STATIC ${CMAKE_CURRENT_SOURCE_DIR}/embed/onnx_embedder.cpp)
  target_include_directories(oi_reid_onnx PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/embed)
  target_link_libraries(oi_reid_onnx PUBLIC OpenInspect::sdk opencv_core opencv_imgproc PRIVATE opencv_dnn)
  set_target_properties(oi_reid_onnx PROPERTIES POSITION_INDEPENDENT_CODE ON CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_options(oi_reid_onnx PRIVATE -Wall -Wextra)
  target_link_libraries(oi_stages_reid PRIVATE oi_reid_onnx)
  target_compile_definitions(oi_stages_reid PRIVATE OI_REID_HAVE_ONNX=1)
endif()
