#!/usr/bin/env bash
# The short soak of `make test` (docs/reliability.md, "Soak"): fits a material calibration on
# simulated step wedges, then runs samples/cargo_inspection/soak.yaml for 15 s with an endless
# narrower scanner (the same time on a fast and a slow machine) through scripts/soak.py, which
# fails when resident memory, open files, threads or GPU pool memory grow beyond their bounds
# after warm-up (48 MiB: a scan's planes take megabytes here, so a leaked plane set per scan
# fails it). Usage: soak_short.sh OI SOURCE_DIR WORK_DIR
set -euo pipefail
oi=$1 source=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
"$oi" run -q "$source/samples/cargo_inspection/calibration.yaml" --set "dataset.dir=$work/wedges"
"$oi" calibrate-materials "$work/wedges" -o "$work/calibration.json" > /dev/null
/usr/bin/python3 "$source/scripts/soak.py" --oi "$oi" --pipeline "$source/samples/cargo_inspection/soak.yaml" \
  --out "$work/soak" --interval 0.5 --warmup 0.3 --duration 15 \
  --max-rss-growth-mib 48 --max-open-files-growth 4 --max-threads-growth 2 \
  --set scanner.scans=0 --set scanner.pixels_per_line=256 \
  --set "materials.calibration=$work/calibration.json" --set "report.dir=$work/soak/scans"
