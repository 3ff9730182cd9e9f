#!/usr/bin/env bash
# usage: scripts/train-shipped-detector.sh [WORK_DIR]
#
# Remakes the region classifier OpenInspect ships for xray.detect
# (plugins/stages/xray_detect/models/xray_detect_parcels.yml.gz; docs/detection.md, "The
# shipped detector"): fits the simulated scanner's material calibration on step wedges,
# simulates the training scans (tuning seed 1000, 1800 parcels) and the scans that choose the
# thresholds (tuning seed 1001, 300 parcels) with the demo's scanner settings, trains with
# oi-train-detector and writes the model with its provenance: the source commit, these
# commands and the calibration's SHA-256. Needs a built tree (build/); takes ~10 minutes on
# 2 cores and ~4 GB of disk in WORK_DIR (default build/shipped-detector), removed at the end.
# Run it from a clean work tree and commit the new model with the change that needed it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work=${1:-$root/build/shipped-detector}
oi="$root/build/bin/oi"
train="$root/build/bin/oi-train-detector"
model="$root/plugins/stages/xray_detect/models/xray_detect_parcels.yml.gz"
for tool in "$oi" "$train"; do
  [ -x "$tool" ] || { echo "train-shipped-detector: $tool is missing; build first (make build)" >&2; exit 1; }
done
commit=$(git -C "$root" rev-parse HEAD)
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
  commit="$commit (work tree with uncommitted changes)"
fi
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

calibrate="oi run samples/cargo_inspection/calibration.yaml --set dataset.dir=WEDGES && oi calibrate-materials WEDGES -o CALIBRATION"
(cd "$root" && "$oi" run --quiet samples/cargo_inspection/calibration.yaml --set dataset.dir="$work/wedges" &&
  "$oi" calibrate-materials "$work/wedges" -o "$work/calibration.json")

scanner=(--set scanner.pixels_per_line=1024 --set scanner.threat_rate=0.5 --set scanner.knives=true
  --set dataset.overwrite=true)
simulate="oi run samples/sim_dataset/pipeline.yaml ${scanner[*]}"
(cd "$root" &&
  "$oi" run --quiet samples/sim_dataset/pipeline.yaml "${scanner[@]}" --set scanner.seed=1000 \
    --set scanner.scans=1800 --set dataset.dir="$work/train" &&
  "$oi" run --quiet samples/sim_dataset/pipeline.yaml "${scanner[@]}" --set scanner.seed=1001 \
    --set scanner.scans=300 --set dataset.dir="$work/validate")

"$train" --calibration "$work/calibration.json" -o "$work/model.yml.gz" --validate "$work/validate" \
  --provenance "source_commit=$commit" \
  --provenance "calibration_command=$calibrate" \
  --provenance "training_command=$simulate --set scanner.seed=1000 --set scanner.scans=1800" \
  --provenance "validation_command=$simulate --set scanner.seed=1001 --set scanner.scans=300" \
  --provenance "trainer_command=oi-train-detector --calibration CALIBRATION -o MODEL --validate VALIDATE -- TRAIN" \
  -- "$work/train"
mv "$work/model.yml.gz" "$model"
echo "wrote $model"
