#!/usr/bin/env bash
# usage: install_and_build_skeleton.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR
set -euo pipefail
build_dir=$1 source_dir=$2 scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
prefix="$scratch/prefix"

echo "== install the SDK into $prefix"
cmake --install "$build_dir" --prefix "$prefix" > "$scratch/install.log"
test -x "$prefix/bin/oi"
ls "$prefix"/lib*/openinspect/plugins/*.so > /dev/null

echo "== build samples/stage_skeleton against it"
cmake -S "$source_dir/samples/stage_skeleton" -B "$scratch/skeleton" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$scratch/configure.log"
cmake --build "$scratch/skeleton" -j2 > "$scratch/build.log"
test -f "$scratch/skeleton/plugins/skeleton_gain.so"

echo "== the installed oi finds its own plugins and the skeleton through OI_PLUGIN_PATH"
export OI_PLUGIN_PATH="$scratch/skeleton/plugins"
"$prefix/bin/oi" plugins --json > "$scratch/plugins.json"
grep -q '"image.gain"' "$scratch/plugins.json"
grep -q '"test.pattern"' "$scratch/plugins.json"
"$prefix/bin/oi" inspect image.gain > /dev/null

echo "== run the skeleton pipeline"
"$prefix/bin/oi" run "$source_dir/samples/stage_skeleton/pipeline.yaml" \
  --set sink.dir="$scratch/out" --stats "$scratch/stats.json" --quiet
test "$(ls "$scratch"/out/*_high.png | wc -l)" -eq 4
grep -q '"gain"' "$scratch/stats.json"
echo "skeleton built against the install and ran in oi"
