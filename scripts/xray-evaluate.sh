#!/usr/bin/env bash
# usage: scripts/xray-evaluate.sh OUT_DIR SEED... [-- EXTRA oi run ARGUMENTS]
#
# Runs samples/cargo_inspection/benchmark.yaml (sim.xray parcels -> correct -> materials ->
# detect -> sink.summary) once per scanner seed into OUT_DIR/seed-N and prints one table: per
# class the objects found (all, visible, and the shielded ones that lie inside a shielding
# alarm), false alarms per scan, and scan Pd at fixed Pfa, per seed and pooled over the seeds.
# Seeds 1000-1999 are tuning seeds, 5000 and up evaluation seeds (docs/detection.md,
# "Evaluation protocol"). SCANS (default 100) sets the parcels per seed. Needs the calibration
# `make demo` leaves in build/ (or --set materials.calibration=...); xray.detect uses the shipped
# region classifier (or --set detect.model=FILE, or detect.classifier=false for the rules alone).
# Each run's summary.html has the FROC curves per class; OUT_DIR/froc.svg has them pooled over
# the seeds (recall of all objects solid, of the visible ones dashed), and the table ends with
# the pooled recall per kind of object (loose firearm parts, narcotics concealments, shapes)
# and at fixed false alarms per scan.
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
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
# Where the misses are: pooled recall per kind of object (a loose part, a concealment, a shape).
kinds = {}
for seed in seeds:
    e = json.load(open(f"{out}/seed-{seed}/summary.json"))["evaluation"]
    for c in classes:
        for kind, k in e["classes"][c].get("kinds", {}).items():
            n = kinds.setdefault((c, kind), [0, 0])
            n[0] += k["objects"]; n[1] += k["found"]
if kinds:
    print("pooled recall per kind of object:")
    for c in classes:
        row = [f"{kind} {frac(n[1], n[0])}" for (cc, kind), n in sorted(kinds.items()) if cc == c]
        if row:
            print(f"{'all':>6} {c:<10} " + ", ".join(row))
# Pooled FROC: each seed's curve counts what has a score >= its point's threshold, so the count
# at any threshold t is that of the seed's last point whose threshold is >= t.
def count_at(froc, t, key):
    n = 0
    for p in froc:
        if p["threshold"] >= t:
            n = p[key]
    return n
runs = [json.load(open(f"{out}/seed-{seed}/summary.json"))["evaluation"] for seed in seeds]
curves = {}
for c in classes:
    levels = sorted({p["threshold"] for e in runs for p in e["classes"][c]["froc"]}, reverse=True)
    objects = sum(e["classes"][c]["objects"] for e in runs)
    visible = sum(e["classes"][c]["visible"]["objects"] for e in runs)
    points = []
    for t in levels:
        found = sum(count_at(e["classes"][c]["froc"], t, "found") for e in runs)
        found_v = sum(count_at(e["classes"][c]["froc"], t, "found_visible") for e in runs)
        fa = sum(count_at(e["classes"][c]["froc"], t, "false_alarms") for e in runs)
        points.append((t, found / objects if objects else 0, found_v / visible if visible else None, fa / scans))
    curves[c] = points
print("pooled FROC: recall (visible) at false alarms per scan <=")
limits = [0.01, 0.02, 0.05, 0.10]
print(f"{'':>6} {'class':<10} " + " ".join(f"{x:>15.2f}" for x in limits))
for c in classes:
    if not any(e["classes"][c]["objects"] for e in runs):
        continue
    cells = []
    for x in limits:
        ok = [p for p in curves[c] if p[3] <= x + 1e-12]
        best = max(ok, key=lambda p: p[1]) if ok else None
        cells.append(f"{best[1]:.3f} ({best[2]:.3f})" if best and best[2] is not None else
                     (f"{best[1]:.3f}" if best else "n/a"))
    print(f"{'all':>6} {c:<10} " + " ".join(f"{v:>15}" for v in cells))
# The same as an SVG chart: recall against false alarms per scan, 0 .. 0.2.
W, H, L, T, X = 300, 300, 50, 25, 0.2
colours = {"firearm": "#c00", "narcotics": "#a0a", "knife": "#0aa", "shielding": "#b80"}
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{L + W + 130}" height="{T + H + 45}">',
       f'<text x="{L + W / 2}" y="15" font-size="13" text-anchor="middle">FROC, seeds {" ".join(seeds)} ({scans} scans)</text>',
       f'<rect x="{L}" y="{T}" width="{W}" height="{H}" fill="white" stroke="black"/>']
for i in range(5):
    f = i / 4
    svg.append(f'<line x1="{L + f * W}" y1="{T}" x2="{L + f * W}" y2="{T + H}" stroke="#ddd"/>')
    svg.append(f'<line x1="{L}" y1="{T + (1 - f) * H}" x2="{L + W}" y2="{T + (1 - f) * H}" stroke="#ddd"/>')
    svg.append(f'<text x="{L + f * W}" y="{T + H + 15}" font-size="11" text-anchor="middle">{f * X:.2f}</text>')
    svg.append(f'<text x="{L - 6}" y="{T + (1 - f) * H + 4}" font-size="11" text-anchor="end">{f:.2f}</text>')
svg.append(f'<text x="{L + W / 2}" y="{T + H + 35}" font-size="12" text-anchor="middle">false alarms per scan (the class\'s own)</text>')
svg.append(f'<text x="14" y="{T + H / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 {T + H / 2})">recall</text>')
row = 0
for c in classes:
    if not any(e["classes"][c]["objects"] for e in runs):
        continue
    for index, dash in ((1, ""), (2, ' stroke-dasharray="5,3"')):
        pts = [(min(p[3], X), p[index]) for p in curves[c] if p[index] is not None]
        if not pts:
            continue
        svg.append(f'<polyline fill="none" stroke="{colours[c]}" stroke-width="2"{dash} points="' +
                   " ".join(f"{L + x / X * W:.1f},{T + (1 - y) * H:.1f}" for x, y in pts) + '"/>')
    svg.append(f'<text x="{L + W + 8}" y="{T + 15 + 16 * row}" font-size="12" fill="{colours[c]}">{c}</text>')
    row += 1
svg.append(f'<text x="{L + W + 8}" y="{T + 15 + 16 * row}" font-size="11">dashed: visible</text>')
svg.append("</svg>")
open(f"{out}/froc.svg", "w").write("\n".join(svg) + "\n")
print(f"pooled FROC chart: {out}/froc.svg")
for seed, pd, pfa, at in pd_rows:
    fixed = ", ".join(f"{a['pd']:.3f} at {a['pfa']:.2f}" if a["pd"] is not None else f"n/a at {a['pfa']:.2f}" for a in at)
    print(f"seed {seed}: scan Pd / Pfa {pd:.3f} / {pfa:.3f}; Pd at fixed Pfa: {fixed}")
PY
