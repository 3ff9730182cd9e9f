#!/usr/bin/env bash
# Measures risk.declaration on simulated parcels with their declarations (docs/integration.md,
# "Declarations and risk"): sim.xray (the demo's settings, `declarations` on) -> scan.assemble ->
# xray.correct -> xray.materials -> risk.declaration, and prints the stage's evaluation
# (precision and recall of its flags against the declarations' truth).
# Usage: risk-evaluate.sh OUT_DIR SEED SCANS [--set risk.PARAM=VALUE ...]
# Needs a built tree and the demo's calibration (make demo-xray fits build/cargo-calibration.json).
set -euo pipefail
out=$(realpath -m "$1")
seed=$2
scans=$3
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
calibration=${CALIBRATION:-$root/build/cargo-calibration.json}
mkdir -p "$out"
cat > "$out/risk-$seed.yaml" <<YAML
name: risk-evaluation
devices:
  scanner:
    driver: sim.xray
    params: { scene: parcels, seed: $seed, scans: $scans, threat_rate: 0.5, knives: true, references: start,
              declarations: declarations-$seed.jsonl }
stages:
  assemble: { type: scan.assemble }
  correct: { type: xray.correct }
  materials: { type: xray.materials, params: { calibration: $calibration } }
  risk: { type: risk.declaration, params: { declarations: declarations-$seed.jsonl, store: store-$seed.sqlite } }
  summary: { type: sink.summary, params: { dir: summary-$seed, overwrite: true } }
connections:
  - { from: scanner.out, to: assemble.in, capacity: 8 }
  - { from: assemble.out, to: correct.in }
  - { from: correct.out, to: materials.in }
  - { from: materials.out, to: risk.in }
  - { from: risk.out, to: summary.in }
YAML
rm -f "$out/store-$seed.sqlite"*
"$root/build/bin/oi" run "$out/risk-$seed.yaml" "$@" > "$out/run-$seed.txt" 2>&1 || { cat "$out/run-$seed.txt"; exit 1; }
grep '^risk: ' "$out/run-$seed.txt" | sed 's/^risk: //' | SEED=$seed python3 -c '
import json, os, sys
s = json.load(sys.stdin)
e = s["evaluation"]
lies = ", ".join("%s %d/%d" % (k, v["flagged"], v["lies"]) for k, v in e["by_lie"].items())
print("seed %s: %d scans, %d lies, %d flagged, %d false flags of %d honest; precision %.3f, recall %.3f; by lie %s; "
      "true/measured mass median %.3f" % (os.environ["SEED"], s["scans"], e["lies"], e["true_positive"],
      e["false_positive"], e["honest"], e["precision"], e["recall"], lies, e["true_mass_over_measured_median"]))'
