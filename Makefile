# The two commands of the README, plus helpers. Everything builds in ./build (preset "default").
BUILD_DIR := build
JOBS ?= 2
OI := $(BUILD_DIR)/bin/oi
DEMO_OUT := $(CURDIR)/$(BUILD_DIR)/demo-output

.PHONY: all deps configure build demo test bench reference format clean

all: build

deps:
	./scripts/install-deps.sh

configure: deps
	cmake --preset default

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Runs the main demo pipeline on its embedded default source and says where the output went.
# Builds only what the demo runs; `make test` builds the rest.
DEMO_TARGETS := oi oi_driver_sim_xray oi_stages_basic oi_sink_image

demo: configure
	cmake --build $(BUILD_DIR) -j$(JOBS) --target $(DEMO_TARGETS)
	rm -rf $(DEMO_OUT)
	$(OI) run samples/demo/pipeline.yaml --set sink.dir=$(DEMO_OUT)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS)

bench: build
	$(BUILD_DIR)/bin/bench_scheduler

# Regenerates docs/reference.md from the shipped plugins' declarations.
reference: build
	$(OI) reference docs/reference.md

format:
	find sdk hal plugins samples tests -name '*.cpp' -o -name '*.hpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
