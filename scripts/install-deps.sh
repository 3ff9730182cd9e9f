#!/usr/bin/env bash
# Installs every build, test and run-time dependency of OpenInspect from Debian 12 packages.
# Idempotent: when every package is already installed it does nothing (no apt-get call at all).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang libclang-rt-14-dev clang-format
  # core SDK
  libboost-dev libboost-filesystem-dev libboost-system-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libopencv-dev
  # Vulkan compute runtime (lavapipe runs it on the CPU) and shader tool chain
  libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
  glslang-dev glslang-tools spirv-tools libspirv-cross-c-shared-dev spirv-cross
  # hardware abstraction layer: GigE Vision / USB3 Vision cameras (Aravis) and the fake
  # GigE Vision camera the tests start; video/RTSP through OpenCV, and the GStreamer RTSP
  # server the tests build (videotestsrc -> x264enc -> rtph264pay)
  libaravis-dev aravis-tools libusb-1.0-0-dev
  # record/replay: SHA-256 of recorded data and pipeline files (OpenSSL libcrypto)
  libssl-dev
  # inspection ledger: Ed25519-signed checkpoints
  libsodium-dev
  # events to a message broker: libmosquitto, the SQLite outbox, and the broker and client the
  # tests start (mosquitto, mosquitto_sub)
  libmosquitto-dev libsqlite3-dev mosquitto mosquitto-clients
  # DICOS export and import (DCMTK), and the tools the tests read the files back with
  # (dcmdump, dcmftest; pydicom)
  libdcmtk-dev dcmtk python3-pydicom
  libgstrtspserver-1.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
  gstreamer1.0-plugins-bad
  # simulated X-ray scanner: NIST-grade cross sections
  libxrl-dev
  # CCTV: vtest.avi (real pedestrian footage, opencv-doc), ffprobe for the annotated videos,
  # and python3-onnx + numpy to generate the small ONNX person detector the tests load
  opencv-doc ffmpeg python3-onnx python3-numpy
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-deps: not root and sudo is missing; install these packages as root: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
