#!/usr/bin/env bash
# conformance_over_rtsp.sh RTSP_TEST_SERVER OI_CONFORMANCE [gtest flags...]
# Runs oi-conformance on opencv.camera against a live stream: starts rtsp_test_server on a
# free port, waits for its ready file, runs the suite, stops the server. Exit status is the
# suite's; 77 (ctest: skipped) when the server cannot run here (a GStreamer element missing).
set -u
server=$1 conformance=$2
shift 2
dir=$(mktemp -d "${TMPDIR:-/tmp}/oi-rtsp-conformance-XXXXXX")
"$server" --port 0 --path /cam --ready-file "$dir/ready" >"$dir/server.out" 2>"$dir/server.err" &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 300); do
  [ -f "$dir/ready" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ ! -f "$dir/ready" ]; then
  wait "$pid"; code=$?
  cat "$dir/server.err" >&2
  [ "$code" -eq 3 ] && exit 77
  echo "conformance_over_rtsp.sh: rtsp_test_server did not become ready" >&2
  exit 1
fi
url=$(grep -o 'rtsp://[^ ]*' "$dir/ready")
"$conformance" --driver opencv.camera --uri "$url" --param open_timeout_ms=15000 "$@"
