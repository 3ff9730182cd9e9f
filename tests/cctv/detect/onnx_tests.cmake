# The ONNX person detector of cctv.detect (plugins/stages/cctv_detect/onnx, parameter
# `model:`). make_tiny_detector.py writes tiny ONNX models whose outputs encode known boxes
# (both YOLO layouts, a bad output shape, corrupt files) into the build tree at build time;
# nothing is downloaded. Needs Debian's python3-onnx and python3-numpy (scripts/install-deps.sh)
# under /usr/bin/python3: the pyenv python3 on PATH does not see Debian's modules.
if(NOT TARGET oi_cctv_onnx)
  return()
endif()

set(OI_ONNX_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with the onnx and numpy modules, used to generate the ONNX detector's test models")
execute_process(COMMAND ${OI_ONNX_PYTHON} -c "import onnx, numpy"
                RESULT_VARIABLE oi_onnx_python_result OUTPUT_QUIET ERROR_QUIET)
if(NOT oi_onnx_python_result EQUAL 0)
  message(WARNING "${OI_ONNX_PYTHON} cannot import onnx and numpy: the ONNX person detector tests "
                  "(oi_cctv_onnx_tests) are not built. Run scripts/install-deps.sh (python3-onnx, "
                  "python3-numpy) or set OI_ONNX_PYTHON.")
  return()
endif()

set(oi_onnx_models_dir ${CMAKE_CURRENT_BINARY_DIR}/onnx_models)
set(oi_onnx_models
  ${oi_onnx_models_dir}/yolov5_tiny.onnx ${oi_onnx_models_dir}/yolov8_tiny.onnx
  ${oi_onnx_models_dir}/bad_shape.onnx ${oi_onnx_models_dir}/truncated.onnx
  ${oi_onnx_models_dir}/not_onnx.onnx ${oi_onnx_models_dir}/unknown_op.onnx
  ${oi_onnx_models_dir}/future_opset.onnx)
add_custom_command(
  OUTPUT ${oi_onnx_models}
  COMMAND ${OI_ONNX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/make_tiny_detector.py ${oi_onnx_models_dir}
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/make_tiny_detector.py
  COMMENT "Generating the tiny ONNX person detectors for oi_cctv_onnx_tests"
  VERBATIM)
add_custom_target(oi_cctv_onnx_test_models DEPENDS ${oi_onnx_models})

oi_add_gtest(oi_cctv_onnx_tests SOURCES ${CMAKE_CURRENT_LIST_DIR}/onnx_detector_test.cpp
  LIBRARIES oi_cctv_onnx)
add_dependencies(oi_cctv_onnx_tests oi_cctv_onnx_test_models)
target_compile_definitions(oi_cctv_onnx_tests PRIVATE OI_ONNX_TEST_MODELS="${oi_onnx_models_dir}")
