#!/usr/bin/env bash
# usage: scripts/xray-evaluate.sh OUT_DIR SEED... [-- EXTRA oi run ARGUMENTS]
#
# Runs samples/cargo_inspection/benchmark.yaml (sim.xray parcels -> correct -> materials ->
# detect -> sink.summary) once per scanner seed into OUT_DIR/seed-N and prints one table: per
# class the objects found (all, visible, and the shielded ones that lie inside a shielding
# alarm), false alarms per scan, and scan Pd at fixed Pfa, per seed and pooled over the seeds.
# Seeds 1000-1999 are tuning seeds, 5000 and up evaluation seeds (docs/detection.md,
# "Evaluation protocol"). SCANS (default 100) sets the parcels per seed. Needs the calibration
# and the detector `make demo` leaves in build/ (or --set materials.calibration=... detect.model=...).
# Each run's summary.html has the FROC curves per class.
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
out=$1; shift
seeds=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do seeds+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
scans=${SCANS:-100}
root="$(cd "$(dirname "$0")/.." && pwd)"
oi="$root/build/bin/oi"
mkdir -p "$out"
for seed in "${seeds[@]}"; do
  "$oi" run "$root/samples/cargo_inspection/benchmark.yaml" --set scanner.seed="$seed" \
    --set scanner.scans="$scans" --set summary.dir="$out/seed-$seed" "$@" > "$out/seed-$seed.log" 2>&1 ||
    { cat "$out/seed-$seed.log"; echo "xray-evaluate: seed $seed failed (log: $out/seed-$seed.log)" >&2; exit 1; }
done
/usr/bin/python3 - "$out" "${seeds[@]}" <<'PY'
import json, sys
out, seeds = sys.argv[1], sys.argv[2:]
classes = ["firearm", "narcotics", "knife", "shielding"]
def frac(a, b):
    return f"{a / b:.3f} ({a}/{b})" if b else "n/a"
pooled = {c: dict(objects=0, found=0, visible=0, visible_found=0, shielded=0, covered=0, fa=0) for c in classes}
scans = fa_all = 0
pd_rows = []
print(f"{'seed':>6} {'class':<10} {'recall':>16} {'visible':>16} {'shielded inside alarm':>22} {'FA/scan':>8}")
for seed in seeds:
    e = json.load(open(f"{out}/seed-{seed}/summary.json"))["evaluation"]
    n = e["counts"]["scans_evaluated"]
    scans += n
    fa_all += e["counts"]["false_alarms"]
    for c in classes:
        k = e["classes"][c]
        p = pooled[c]
        p["objects"] += k["objects"]; p["found"] += k["found"]
        p["visible"] += k["visible"]["objects"]; p["visible_found"] += k["visible"]["found"]
        p["shielded"] += k["shielded"]["objects"]; p["covered"] += k["shielded"]["covered_by_shielding_alarm"]
        p["fa"] += k["false_alarms"]
        if k["objects"] == 0 and k["false_alarms"] == 0:
            continue
        print(f"{seed:>6} {c:<10} {frac(k['found'], k['objects']):>16} "
              f"{frac(k['visible']['found'], k['visible']['objects']):>16} "
              f"{frac(k['shielded']['covered_by_shielding_alarm'], k['shielded']['objects']):>22} "
              f"{k['false_alarms'] / n if n else 0:8.3f}")
    pd_rows.append((seed, e["scan_pd"], e["scan_pfa"], e["pd_at_pfa"]))
print(f"pooled over {len(seeds)} seeds, {scans} scans:")
for c in classes:
    p = pooled[c]
    if p["objects"] == 0 and p["fa"] == 0:
        continue
    print(f"{'all':>6} {c:<10} {frac(p['found'], p['objects']):>16} {frac(p['visible_found'], p['visible']):>16} "
          f"{frac(p['covered'], p['shielded']):>22} {p['fa'] / scans if scans else 0:8.3f}")
print(f"false alarms per scan, all classes: {fa_all / scans if scans else 0:.3f}")
for seed, pd, pfa, at in pd_rows:
    fixed = ", ".join(f"{a['pd']:.3f} at {a['pfa']:.2f}" if a["pd"] is not None else f"n/a at {a['pfa']:.2f}" for a in at)
    print(f"seed {seed}: scan Pd / Pfa {pd:.3f} / {pfa:.3f}; Pd at fixed Pfa: {fixed}")
PY
