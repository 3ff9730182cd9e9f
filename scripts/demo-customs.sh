#!/usr/bin/env bash
# The customs lane demo (make demo-customs): starts a Mosquitto broker on 127.0.0.1 and a
# subscriber, runs samples/customs_lane/pipeline.yaml, stops the broker, then verifies the
# ledger, proves scan 1's inclusion and checks the proof. Usage: demo-customs.sh BUILD_DIR CALIBRATION
set -euo pipefail
build=$(realpath "$1")
calibration=$2
oi=$build/bin/oi
out=$build/customs-output
key=$build/customs-ledger.key
port=${MQTT_PORT:-18830}

[ -f "$key" ] || "$oi" ledger keygen "$key"
rm -rf "$out"
mkdir -p "$out"

printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser %s\n' "$port" "$(id -un)" > "$out/mosquitto.conf"
/usr/sbin/mosquitto -c "$out/mosquitto.conf" > "$out/mosquitto.log" 2>&1 &
broker=$!
subscriber=
cleanup() {
  [ -n "$subscriber" ] && kill "$subscriber" 2> /dev/null || true
  kill "$broker" 2> /dev/null || true
  wait 2> /dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do
  mosquitto_pub -h 127.0.0.1 -p "$port" -t openinspect/ping -m ping -q 1 2> /dev/null && break
  sleep 0.1
done
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'openinspect/#' -q 1 -v > "$out/events.txt" &
subscriber=$!
sleep 0.5

"$oi" run samples/customs_lane/pipeline.yaml --set materials.calibration="$calibration" \
  --set report.dir="$out/scans" --set ledger.path="$out/ledger.jsonl" --set ledger.key="$key" \
  --set events.port="$port" --set events.outbox="$out/mqtt-outbox.sqlite" --set dicos.dir="$out/dicos" \
  --set scanner.declarations="$out/declarations.jsonl" --set risk.declarations="$out/declarations.jsonl" \
  --set risk.store="$out/declarations.sqlite"
sleep 0.5
echo "events received by a subscriber on 127.0.0.1:$port (full messages in $out/events.txt):"
awk '{print $1}' "$out/events.txt" | sort | uniq -c
cleanup
trap - EXIT

"$oi" ledger verify "$out/ledger.jsonl" --public-key "$key.pub"
"$oi" ledger prove "$out/ledger.jsonl" 1 -o "$out/proof-scan-1.json"
"$oi" ledger check-proof "$out/proof-scan-1.json" --public-key "$key.pub"
