#!/usr/bin/env bash
# usage: install_and_build_skeleton.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR
#
# Installs the SDK, then builds the two out-of-tree stage samples against it, each with only
# the package components it asks for:
#   samples/stage_skeleton      COMPONENTS xray      a CPU stage: links neither Vulkan nor OpenCV
#   samples/gpu_stage_skeleton  COMPONENTS gpu xray  a PixelStage with an embedded shader
# and a tiny program written here that reads tracks with the camera contract (COMPONENTS cctv),
# and runs their pipelines with the installed `oi`; the GPU stage runs on both backends and
# its masks must agree.
set -euo pipefail
build_dir=$1 source_dir=$2 scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
prefix="$scratch/prefix"
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== install the SDK into $prefix"
cmake --install "$build_dir" --prefix "$prefix" > "$scratch/install.log"
test -x "$prefix/bin/oi"
ls "$prefix"/lib*/openinspect/plugins/*.so > /dev/null
test -f "$prefix/include/oi/xray/contract.hpp" || fail "the X-ray contract header is not installed"
test -f "$prefix/include/oi/cctv/contract.hpp" || fail "the camera contract header is not installed"
ls "$prefix"/lib*/openinspect/models/xray_detect_parcels.yml.gz > /dev/null ||
  fail "xray.detect's shipped region classifier is not installed next to the plugins"

echo "== a program using only the camera contract (COMPONENTS cctv)"
mkdir -p "$scratch/cctv_reader"
cat > "$scratch/cctv_reader/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.22)
project(cctv_reader CXX)
find_package(OpenInspect REQUIRED COMPONENTS cctv)
add_executable(cctv_reader main.cpp)
target_link_libraries(cctv_reader PRIVATE OpenInspect::cctv)
CMAKE
cat > "$scratch/cctv_reader/main.cpp" <<'CPP'
#include <oi/cctv/contract.hpp>
#include <cstdio>
int main() {
  oi::FrameMetadata m;
  oi::cctv::Track t;
  t.id = 3;
  t.box = {10, 20, 30, 90};
  m.attributes[oi::cctv::attr::kTracks] = oi::cctv::to_json_list(std::vector<oi::cctv::Track>{t});
  const auto tracks = oi::cctv::tracks_of(m);
  std::printf("contract %d: %zu track(s), id %lld\n", oi::cctv::kContractVersion, tracks.size(),
              static_cast<long long>(tracks.at(0).id));
  return tracks.at(0).id == 3 ? 0 : 1;
}
CPP
cmake -S "$scratch/cctv_reader" -B "$scratch/cctv_reader/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  > "$scratch/cctv_reader-configure.log" 2>&1 || { cat "$scratch/cctv_reader-configure.log"; fail "configure the cctv reader"; }
cmake --build "$scratch/cctv_reader/build" > "$scratch/cctv_reader-build.log" 2>&1 ||
  { cat "$scratch/cctv_reader-build.log"; fail "build the cctv reader"; }
"$scratch/cctv_reader/build/cctv_reader" || fail "the cctv reader did not read its track back"

build_sample() {  # NAME: configure and build samples/NAME into $scratch/NAME
  cmake -S "$source_dir/samples/$1" -B "$scratch/$1" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$scratch/$1-configure.log" 2>&1 ||
    { cat "$scratch/$1-configure.log"; fail "configure samples/$1"; }
  cmake --build "$scratch/$1" -j2 > "$scratch/$1-build.log" 2>&1 ||
    { cat "$scratch/$1-build.log"; fail "build samples/$1"; }
}

echo "== build samples/stage_skeleton against it (COMPONENTS xray)"
build_sample stage_skeleton
gain="$scratch/stage_skeleton/plugins/skeleton_gain.so"
test -f "$gain"
needed=$(readelf -d "$gain" | grep NEEDED || true)
echo "$needed"
if grep -Eq 'libvulkan|libopencv' <<< "$needed"; then fail "the CPU-only stage links Vulkan or OpenCV"; fi
grep -q 'libopeninspect_sdk' <<< "$needed" || fail "the stage does not link the SDK"

echo "== the installed oi finds its own plugins and the skeleton through OI_PLUGIN_PATH"
export OI_PLUGIN_PATH="$scratch/stage_skeleton/plugins"
"$prefix/bin/oi" plugins --json > "$scratch/plugins.json"
grep -q '"image.gain"' "$scratch/plugins.json"
grep -q '"test.pattern"' "$scratch/plugins.json"
"$prefix/bin/oi" inspect image.gain > /dev/null

echo "== run the skeleton pipeline"
"$prefix/bin/oi" run "$source_dir/samples/stage_skeleton/pipeline.yaml" \
  --set sink.dir="$scratch/out" --stats "$scratch/stats.json" --quiet
test "$(ls "$scratch"/out/*_high.png | wc -l)" -eq 4
grep -q '"gain"' "$scratch/stats.json"

echo "== build samples/gpu_stage_skeleton against it (COMPONENTS gpu xray)"
build_sample gpu_stage_skeleton
dense="$scratch/gpu_stage_skeleton/plugins/dense_mask.so"
test -f "$dense"
readelf -d "$dense" | grep -q 'libopeninspect_gpu' || fail "the GPU stage does not link OpenInspect::gpu"
if readelf -d "$dense" | grep -q libopencv; then fail "the GPU stage links OpenCV, which it does not use"; fi

echo "== run it on both backends: the masks agree"
export OI_PLUGIN_PATH="$scratch/gpu_stage_skeleton/plugins"
for backend in cpu auto; do
  "$prefix/bin/oi" run "$source_dir/samples/gpu_stage_skeleton/pipeline.yaml" \
    --set sink.dir="$scratch/dense-$backend" --set dense.backend=$backend \
    --stats "$scratch/dense-$backend.json" --quiet
  test "$(ls "$scratch/dense-$backend"/*_dense.png | wc -l)" -eq 2 || fail "backend $backend wrote no masks"
done
grep -q '"backend": "cpu"' "$scratch/dense-cpu.json" || fail "backend: cpu did not run on the CPU"
for f in "$scratch"/dense-cpu/*_dense.png; do
  cmp "$f" "$scratch/dense-auto/$(basename "$f")" || fail "the GPU and CPU masks differ: $(basename "$f")"
done
echo "both stage samples built against the install with only their components and ran in oi"
