#!/usr/bin/env bash
# usage: scripts/cctv-evaluate.sh OUT_DIR SEED... [-- EXTRA oi run ARGUMENTS]
#
# Runs samples/cctv/pipeline.yaml (four simulated cameras -> cctv.detect -> cctv.track ->
# sink.cctv_summary) once per site seed into OUT_DIR/seed-N and prints one table of the
# per-camera figures (detection recall and precision at IoU 0.5 on persons >= 50 % visible and
# >= 40 px tall, MOTA, IDF1, HOTA, identity switches) and their mean over the seeds. Seeds 1-20
# are the tuning seeds, 101-105 the evaluation seeds (docs/cctv.md, "Figures"). FRAMES
# (default 300) sets the frames per camera; the first 25 (cctv.detect's warm-up) are skipped.
set -euo pipefail
out=$1; shift
seeds=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do seeds+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
frames=${FRAMES:-300}
oi="$(dirname "$0")/../build/bin/oi"
sample="$(dirname "$0")/../samples/cctv/pipeline.yaml"
for seed in "${seeds[@]}"; do
  sets=()
  for camera in gate corridor baggage exit; do
    sets+=(--set "$camera.seed=$seed" --set "$camera.frames=$frames")
  done
  "$oi" run "$sample" --quiet "${sets[@]}" --set summary.dir="$out/seed-$seed" --set summary.skip_frames=25 \
    --set video.dir="$out/seed-$seed/videos" "$@" > "$out-seed-$seed.log" 2>&1 ||
    { cat "$out-seed-$seed.log"; exit 1; }
done
/usr/bin/python3 - "$out" "${seeds[@]}" <<'PY'
import json, sys
out, seeds = sys.argv[1], sys.argv[2:]
keys = ["det_recall", "det_precision", "mota", "idf1", "hota"]
print(f"{'seed':>5} {'camera':<10} {'recall':>7} {'precis':>7} {'MOTA':>7} {'IDF1':>7} {'HOTA':>7} {'IDSW':>5}")
per_camera = {}
for seed in seeds:
    s = json.load(open(f"{out}/seed-{seed}/summary.json"))
    for name, c in list(s["cameras"].items()) + [("all", s["overall"])]:
        per_camera.setdefault(name, []).append(c)
        print(f"{seed:>5} {name:<10} " + " ".join(f"{c[k]:7.3f}" for k in keys) + f" {c['id_switches']:5d}")
print("mean over seeds:")
for name, cs in per_camera.items():
    print(f"{'':>5} {name:<10} " + " ".join(f"{sum(c[k] for c in cs) / len(cs):7.3f}" for k in keys) +
          f" {sum(c['id_switches'] for c in cs) / len(cs):5.1f}")
PY
