#!/usr/bin/env bash
# usage: install_and_build_driver_skeleton.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR
#
# What a vendor does with samples/driver_skeleton: install the SDK, build the driver out of
# tree against it, pass the installed oi-conformance, see the unit in `oi devices`, and run
# the sample pipeline (with its pulled cable) through the installed `oi`.
set -euo pipefail
build_dir=$1 source_dir=$2 scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
prefix="$scratch/prefix"
sample="$source_dir/samples/driver_skeleton"
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "FAILED: $*" >&2; exit 1; }
json() { cmake -DFILE="$1" -DKEYS="$2" -DOP="${3:-GET}" -P "$here/json_get.cmake"; }
expect() {  # expect FILE KEYS OPERATOR VALUE
  local got
  got=$(json "$1" "$2") || fail "$1 has no [$2]"
  case $3 in
    -eq | -ge | -gt) test "$got" "$3" "$4" || fail "$1 [$2] = $got, expected $3 $4" ;;
    =) test "$got" = "$4" || fail "$1 [$2] = '$got', expected '$4'" ;;
  esac
}

echo "== install the SDK into $prefix"
# Both install tests install from the same build tree at the same time; that only reads it
# (cmake also rewrites BUILD_DIR/install_manifest.txt, which nothing here uses).
cmake --install "$build_dir" --prefix "$prefix" > "$scratch/install.log"
test -x "$prefix/bin/oi" || fail "the install has no bin/oi"
test -x "$prefix/bin/oi-conformance" ||
  fail "the install has no bin/oi-conformance (tools/conformance is only built when GoogleTest is found)"
test -f "$prefix/include/oi/hal/driver.hpp" || fail "the install has no include/oi/hal/driver.hpp"

echo "== build samples/driver_skeleton against it"
cmake -S "$sample" -B "$scratch/driver" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$scratch/configure.log" 2>&1 ||
  { cat "$scratch/configure.log"; fail "configuring the driver skeleton against the install"; }
cmake --build "$scratch/driver" -j2 > "$scratch/build.log" 2>&1 ||
  { cat "$scratch/build.log"; fail "building the driver skeleton against the install"; }
plugin="$scratch/driver/plugins/acme_xray.so"
test -f "$plugin" || fail "no $plugin"
# A driver links the HAL, and the one of the install, not of the tree the SDK was built in.
ldd "$plugin" | grep "libopeninspect_hal\.so" | grep -qF "$prefix/" ||
  { ldd "$plugin"; fail "$plugin does not link libopeninspect_hal.so from $prefix"; }
# COMPONENTS hal: the HAL, the X-ray contract and the core SDK; neither Vulkan nor OpenCV.
if readelf -d "$plugin" | grep NEEDED | grep -Eq 'libvulkan|libopencv|libopeninspect_gpu'; then
  readelf -d "$plugin" | grep NEEDED
  fail "the driver links Vulkan, OpenCV or the GPU runtime, which it does not use"
fi

export OI_PLUGIN_PATH="$scratch/driver/plugins"

echo "== the installed oi loads it"
"$prefix/bin/oi" plugins --json > "$scratch/plugins.json" || fail "oi plugins --json: a plugin did not load"
grep -q '"acme.xray"' "$scratch/plugins.json" || fail "acme.xray is not in oi plugins --json"

echo "== the installed oi-conformance passes it (dual and single energy units)"
for unit in SIM-0001 SIM-0002; do
  log="$scratch/conformance-$unit.log"
  if ! "$prefix/bin/oi-conformance" --driver acme.xray --uri "acme://$unit" > "$log" 2>&1; then
    cat "$log"
    fail "oi-conformance --driver acme.xray --uri acme://$unit"
  fi
  # Exit 0 with nothing run would prove nothing: the device and scanner checks must have run.
  test "$(grep -c '^\[       OK \] DeviceConformance\.' "$log")" -ge 10 || { cat "$log"; fail "device checks did not run"; }
  test "$(grep -c '^\[       OK \] ScannerConformance\.' "$log")" -ge 4 || { cat "$log"; fail "scanner checks did not run"; }
  grep -q '^\[       OK \] DriverConformance\.RunsAsAPipelineSource' "$log" || { cat "$log"; fail "pipeline check did not run"; }
  tail -n 3 "$log"
done

echo "== the installed oi devices lists its units"
"$prefix/bin/oi" devices --json > "$scratch/devices.json" || fail "oi devices --json"
found=no
count=$(json "$scratch/devices.json" "" LENGTH) || fail "oi devices --json did not print a JSON list"
for ((i = 0; i < count; i++)); do
  if [ "$(json "$scratch/devices.json" "$i;uri")" = "acme://SIM-0001" ]; then
    expect "$scratch/devices.json" "$i;driver" = acme.xray
    expect "$scratch/devices.json" "$i;vendor" = ACME
    expect "$scratch/devices.json" "$i;serial" = SIM-0001
    found=yes
  fi
done
test $found = yes || { cat "$scratch/devices.json"; fail "acme://SIM-0001 is not in oi devices --json"; }

echo "== run the sample pipeline: the cable is pulled once, the supervisor reconnects"
stats="$scratch/stats.json"
if ! "$prefix/bin/oi" run "$sample/pipeline.yaml" --set sink.dir="$scratch/out" \
    --max-frames 80 --stats "$stats" > "$scratch/run.log" 2>&1; then
  cat "$scratch/run.log"
  fail "oi run samples/driver_skeleton/pipeline.yaml"
fi
expect "$stats" "summaries;scanner;device;vendor" = ACME
expect "$stats" "summaries;scanner;device;serial" = SIM-0001
expect "$stats" "summaries;scanner;frames" -ge 80
expect "$stats" "summaries;scanner;faults" -ge 1             # the pulled cable
expect "$stats" "summaries;scanner;restarts" -eq "$(json "$stats" "summaries;scanner;faults")"
expect "$stats" "summaries;scanner;gave_up" = OFF
expect "$stats" "summaries;scanner;incomplete" -ge 1         # the scan the cable cut short
expect "$stats" "summaries;scanner;interlock_events" -ge 2   # light curtain engaged + released
scans=$( (ls "$scratch"/out/*_high.png 2> /dev/null || true) | wc -l)
test "$scans" -ge 5 || fail "expected at least 5 assembled scans in $scratch/out, found $scans"
echo "frames $(json "$stats" "summaries;scanner;frames"), faults $(json "$stats" "summaries;scanner;faults")," \
  "restarts $(json "$stats" "summaries;scanner;restarts"), incomplete $(json "$stats" "summaries;scanner;incomplete")," \
  "interlock events $(json "$stats" "summaries;scanner;interlock_events"), scans written $scans"
echo "driver skeleton built against the install, passed oi-conformance and ran in oi"
