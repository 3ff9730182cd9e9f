# The two commands of the README, plus helpers. Everything builds in ./build (preset "default").
BUILD_DIR := build
JOBS ?= 2
OI := $(BUILD_DIR)/bin/oi
DEMO_OUT := $(CURDIR)/$(BUILD_DIR)/demo-output

.PHONY: all deps configure build demo demo-xray cargo-calibration demo-customs detector-model demo-cctv demo-reid test bench reference format format-check clean

all: build

deps:
	./scripts/install-deps.sh

configure: deps
	cmake --preset default

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Runs the cargo inspection demo (samples/cargo_inspection, docs/reports.md "Demo"): the
# material calibration is fitted once on simulated step wedges and kept in
# $(CARGO_CALIBRATION) (delete it to refit; a calibration belongs to its scanner); xray.detect
# uses the region classifier that ships with OpenInspect
# (plugins/stages/xray_detect/models, docs/detection.md "The shipped detector"); then ~50
# parcels run through correct -> materials -> detect -> colorize -> report + summary; `oi run`
# ends with the summary table and the path of summary.html. Builds only what the demo runs;
# `make test` builds the rest. `make detector-model` remakes the shipped classifier (~10 min).
DEMO_TARGETS := oi oi_driver_sim_xray oi_stages_basic oi_stages_xray_gpu oi_stages_xray_materials \
	oi_stages_xray_detect oi_sink_dataset oi_sink_report
CARGO_CALIBRATION := $(CURDIR)/$(BUILD_DIR)/cargo-calibration.json
CARGO_WEDGES := $(CURDIR)/$(BUILD_DIR)/cargo-wedges

# `make demo` runs both demos: the X-ray one first, then the CCTV one.
demo: demo-xray demo-cctv

demo-xray: configure cargo-calibration
	rm -rf $(DEMO_OUT)
	$(OI) run samples/cargo_inspection/pipeline.yaml --set materials.calibration=$(CARGO_CALIBRATION) \
	  --set report.dir=$(DEMO_OUT)/scans --set summary.dir=$(DEMO_OUT)

# Builds the X-ray demo's targets and fits the material calibration once.
cargo-calibration: configure
	cmake --build $(BUILD_DIR) -j$(JOBS) --target $(DEMO_TARGETS)
	@if [ ! -f $(CARGO_CALIBRATION) ]; then \
	  echo "material calibration: fitting on step wedges (once; kept in $(CARGO_CALIBRATION))"; \
	  rm -rf $(CARGO_WEDGES) && \
	  $(OI) run --quiet samples/cargo_inspection/calibration.yaml --set dataset.dir=$(CARGO_WEDGES) && \
	  $(OI) calibrate-materials $(CARGO_WEDGES) -o $(BUILD_DIR)/cargo-calibration.partial.json && \
	  mv $(BUILD_DIR)/cargo-calibration.partial.json $(CARGO_CALIBRATION); \
	fi

# Runs the customs lane sample (samples/customs_lane, docs/integration.md) with
# scripts/demo-customs.sh: a local Mosquitto broker, the X-ray chain's decisions into the
# signed inspection ledger and as events to the broker, then the ledger verified, one scan's
# inclusion proven and the proof checked on its own. The signing key is made once in
# build/customs-ledger.key (mode 0600).
demo-customs: cargo-calibration
	cmake --build $(BUILD_DIR) -j$(JOBS) --target oi_sink_ledger oi_sink_mqtt oi_sink_dicos oi_stages_risk_declaration
	./scripts/demo-customs.sh $(BUILD_DIR) $(CARGO_CALIBRATION)

# Remakes xray.detect's shipped region classifier from tuning seeds 1000-1001
# (scripts/train-shipped-detector.sh); commit the new model with the change that needed it.
detector-model: configure
	cmake --build $(BUILD_DIR) -j$(JOBS) --target oi oi_driver_sim_xray oi_stages_basic oi_sink_dataset oi_train_detector
	./scripts/train-shipped-detector.sh

# Runs the CCTV demo (samples/cctv, docs/cctv.md): four simulated cameras of one site through
# cctv.detect -> cctv.track -> annotated videos + the tracking evaluation; `oi run` ends with
# the per-camera table and the path of summary.html.
CCTV_TARGETS := oi oi_driver_sim_cctv oi_stages_cctv_detect oi_stages_cctv_track oi_sink_video oi_sink_cctv_summary
CCTV_OUT := $(CURDIR)/$(BUILD_DIR)/cctv-demo-output

demo-cctv: configure
	cmake --build $(BUILD_DIR) -j$(JOBS) --target $(CCTV_TARGETS)
	rm -rf $(CCTV_OUT)
	$(OI) run samples/cctv/pipeline.yaml --set summary.dir=$(CCTV_OUT) --set video.dir=$(CCTV_OUT)/videos

# Runs the re-identification demo (samples/cctv_reid, docs/reid.md): the same four cameras
# through detect -> embed -> track -> associate -> watchlist, three persons enrolled, privacy
# on; `oi run` ends with the re-ID table and the path of summary.html. The watchlist, the
# alerts and the audit log are written under $(REID_OUT).
REID_TARGETS := $(CCTV_TARGETS) oi_stages_reid oi_stages_reid_associate oi_stages_reid_watchlist oi_reid_model
REID_OUT := $(CURDIR)/$(BUILD_DIR)/cctv-reid-output

demo-reid: configure
	cmake --build $(BUILD_DIR) -j$(JOBS) --target $(REID_TARGETS)
	rm -rf $(REID_OUT)
	$(OI) run samples/cctv_reid/pipeline.yaml --set summary.dir=$(REID_OUT) --set video.dir=$(REID_OUT)/videos \
	  --set watch.watchlist=$(REID_OUT)/watchlist.json --set watch.alerts_dir=$(REID_OUT)/run \
	  --set watch.audit_log=$(REID_OUT)/audit.jsonl
	$(OI) watchlist alerts $(REID_OUT)/run/alerts.jsonl
	$(OI) audit verify $(REID_OUT)/audit.jsonl

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS)

bench: build
	$(BUILD_DIR)/bin/bench_scheduler

# Regenerates docs/reference.md from the shipped plugins' declarations.
reference: build
	$(OI) reference docs/reference.md

# Formats every tracked C++ file; `make format-check` (and CI) fails on an unformatted one.
format:
	git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format -i

format-check:
	./scripts/check-format.sh

clean:
	rm -rf $(BUILD_DIR)
