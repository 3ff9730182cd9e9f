#!/usr/bin/env python3
"""Soak: runs a pipeline with `oi run` for many scans or frames at full speed, samples the
process's resident memory, open files and threads every few seconds, and fails when any of them
grows beyond its bound after warm-up (docs/reliability.md, "Soak").

    scripts/soak.py --oi build/bin/oi --pipeline samples/cargo_inspection/soak.yaml \
        --set scanner.scans=10000 --out build/soak

Writes OUT/samples.csv (time_s, rss_mib, open_files, threads, gpu_reserved_mib), OUT/soak.svg
(the four series against time, warm-up shaded), OUT/soak.json (bounds, growth after warm-up,
verdict), OUT/stats.json (`oi run --stats`: per-stage and per-connection metrics at the end) and
OUT/resources.jsonl (`oi run --resources`: the GPU device's pools and object counters), and
prints one line per bound. Exit status: 0 when `oi run` succeeded and nothing grew beyond its
bound; 1 when something grew; 2 when `oi run` failed or the soak could not run (the message
says which).

Growth is measured from the largest value during warm-up (the first --warmup fraction of the
run's samples, where caches, pools and lazily loaded plugins settle, and queues fill) to the
largest value seen afterwards.
GPU memory is what the SDK's pools reserved on the device (`oi run --resources`); on lavapipe
that memory is host memory and counts in RSS as well.
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import time

SERIES = [("rss_mib", "resident memory (MiB)"), ("open_files", "open files"), ("threads", "threads"),
          ("gpu_reserved_mib", "GPU memory reserved in pools (MiB)")]


def gpu_reserved_mib(resources):
    """The GPU pools' reserved memory from the last line `oi run --resources` wrote (0 without a
    GPU device or before a stage opened it)."""
    try:
        with open(resources, "rb") as f:
            lines = f.read().splitlines()
        for line in reversed(lines):
            try:
                gpu = json.loads(line).get("gpu")
            except ValueError:
                continue  # a line being written
            return (gpu or {}).get("memory_bytes_reserved", 0) / (1024.0 * 1024.0)
    except OSError:
        pass
    return 0.0


def sample(pid):
    """(rss_mib, open_files, threads) of a live process, or None once it has gone."""
    try:
        rss_kib = threads = None
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss_kib = int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
        open_files = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    if rss_kib is None or threads is None:
        return None  # a zombie: the process has ended
    return rss_kib / 1024.0, open_files, threads


def write_svg(path, samples, warm_index, title):
    """A small three-panel line plot; no plotting library needed."""
    width, panel_h, left, right, top = 760, 150, 70, 20, 30
    height = top + len(SERIES) * (panel_h + 40)
    t_end = max(samples[-1][0], 1e-9)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="18" font-size="13">{title}</text>']
    plot_w = width - left - right
    for k, (key, label) in enumerate(SERIES):
        y0 = top + k * (panel_h + 40)
        values = [s[k + 1] for s in samples]
        lo, hi = min(values), max(values)
        if hi - lo < 1e-9:
            lo, hi = lo - 1, hi + 1
        pad = (hi - lo) * 0.1
        lo, hi = lo - pad, hi + pad

        def xy(t, v):
            return left + plot_w * t / t_end, y0 + panel_h - panel_h * (v - lo) / (hi - lo)

        warm_x = left + plot_w * samples[warm_index][0] / t_end
        out.append(f'<rect x="{left}" y="{y0}" width="{warm_x - left:.1f}" height="{panel_h}" fill="#eee"/>')
        out.append(f'<rect x="{left}" y="{y0}" width="{plot_w}" height="{panel_h}" fill="none" stroke="#888"/>')
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(s[0], s[k + 1]) for s in samples))
        out.append(f'<polyline points="{points}" fill="none" stroke="#1f5fa8" stroke-width="1.5"/>')
        out.append(f'<text x="{left}" y="{y0 - 4}">{label}</text>')
        out.append(f'<text x="{left - 6}" y="{y0 + 10}" text-anchor="end">{hi:.0f}</text>')
        out.append(f'<text x="{left - 6}" y="{y0 + panel_h}" text-anchor="end">{lo:.0f}</text>')
        out.append(f'<text x="{left + plot_w}" y="{y0 + panel_h + 14}" text-anchor="end">{t_end:.0f} s</text>')
    out.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--oi", default="build/bin/oi", help="the oi executable")
    parser.add_argument("--pipeline", required=True, help="pipeline file for `oi run`")
    parser.add_argument("--set", action="append", default=[], metavar="NODE.PARAM=VALUE",
                        help="passed to `oi run --set` (the scan or frame count goes here)")
    parser.add_argument("--out", required=True, help="folder for samples.csv, soak.svg, soak.json, oi.log")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between samples")
    parser.add_argument("--duration", type=float, default=0.0,
                        help="stop the run after this many seconds (SIGINT: `oi run` drains and stops); "
                             "0 = run until the sources end. With an endless source (scans=0) the soak "
                             "then takes the same time on a fast and a slow machine")
    parser.add_argument("--warmup", type=float, default=0.2,
                        help="fraction of the samples that is warm-up (growth counts after it)")
    parser.add_argument("--max-rss-growth-mib", type=float, default=64.0)
    parser.add_argument("--max-open-files-growth", type=int, default=4)
    parser.add_argument("--max-threads-growth", type=int, default=2)
    parser.add_argument("--max-gpu-growth-mib", type=float, default=64.0)
    parser.add_argument("--min-samples", type=int, default=10,
                        help="fewer samples than this is an error: lower --interval or run longer")
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    resources = os.path.join(args.out, "resources.jsonl")
    command = [args.oi, "run", "--quiet", "--stats", os.path.join(args.out, "stats.json"),
               "--resources", resources, "--resources-every", str(args.interval), args.pipeline]
    for s in args.set:
        command += ["--set", s]
    log_path = os.path.join(args.out, "oi.log")
    started = time.monotonic()
    samples = []
    try:
        with open(log_path, "w", encoding="utf-8") as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            interrupted = False
            while True:
                if args.duration > 0 and not interrupted and time.monotonic() - started >= args.duration:
                    proc.send_signal(signal.SIGINT)
                    interrupted = True
                s = sample(proc.pid)
                if s is not None and proc.poll() is None:
                    samples.append((time.monotonic() - started,) + s + (gpu_reserved_mib(resources),))
                if proc.poll() is not None:
                    break
                time.sleep(args.interval)
            rc = proc.wait()
    except OSError as e:
        print(f"soak: cannot run {args.oi}: {e}; build it first (make build)", file=sys.stderr)
        return 2
    duration = time.monotonic() - started

    with open(os.path.join(args.out, "samples.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["time_s"] + [k for k, _ in SERIES])
        for s in samples:
            w.writerow([f"{s[0]:.2f}", f"{s[1]:.1f}", s[2], s[3], f"{s[4]:.1f}"])

    if rc != 0:
        print(f"soak: `{' '.join(command)}` failed with exit status {rc} after {duration:.0f} s; "
              f"its output is in {log_path}", file=sys.stderr)
        return 2
    if len(samples) < args.min_samples:
        print(f"soak: only {len(samples)} samples in {duration:.0f} s (need {args.min_samples}); "
              f"run more scans or lower --interval", file=sys.stderr)
        return 2

    warm = min(len(samples) - 2, max(1, int(len(samples) * args.warmup)))
    bounds = {"rss_mib": args.max_rss_growth_mib, "open_files": args.max_open_files_growth,
              "threads": args.max_threads_growth, "gpu_reserved_mib": args.max_gpu_growth_mib}
    report = {"command": command, "duration_s": round(duration, 1), "samples": len(samples),
              "interval_s": args.interval, "warmup_samples": warm, "series": {}}
    failed = False
    for k, (key, label) in enumerate(SERIES):
        at_warm = max(s[k + 1] for s in samples[:warm + 1])
        after = max(s[k + 1] for s in samples[warm + 1:])
        growth = after - at_warm
        ok = growth <= bounds[key]
        failed |= not ok
        report["series"][key] = {"warmup_max": at_warm, "max_after": after, "growth": round(growth, 2),
                                 "bound": bounds[key], "first": samples[0][k + 1], "last": samples[-1][k + 1],
                                 "ok": ok}
        print(f"soak: {label}: at most {at_warm:.1f} during warm-up, at most {after:.1f} after "
              f"(growth {growth:.1f}, bound {bounds[key]}) {'ok' if ok else 'GREW BEYOND ITS BOUND'}")
    report["ok"] = not failed
    with open(os.path.join(args.out, "soak.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    write_svg(os.path.join(args.out, "soak.svg"), samples, warm,
              f"{os.path.basename(args.pipeline)}: {duration:.0f} s, {len(samples)} samples (warm-up shaded)")
    print(f"soak: {duration:.0f} s, {len(samples)} samples; {os.path.join(args.out, 'soak.svg')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
