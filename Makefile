# SPDX-License-Identifier: Apache-2.0
# The front door.  `make demo` runs the main job on the embedded defaults; `make check` runs
# every test (ASan+UBSan unit and CLI tests, fuzzing, static analysis, proofs).
MESON ?= meson
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30

.PHONY: all deps deps-all build demo check proofs fuzz bench clean

all: build

deps:
	@scripts/install-deps.sh build

deps-all:
	@scripts/install-deps.sh all

build: deps
	@test -f $(BUILD)/build.ninja || $(MESON) setup $(BUILD) -Dtests=false --buildtype=release
	@ninja -C $(BUILD)

demo: build
	@$(BUILD)/src/cli/nucleus demo

check: deps-all
	@scripts/check.sh $(ASAN_BUILD) $(FUZZ_BUILD) $(FUZZ_SECONDS)

proofs: deps-all
	@scripts/proofs.sh

fuzz: deps-all
	@FUZZ_ONLY=1 scripts/check.sh $(ASAN_BUILD) $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	@scripts/install-deps.sh bench
	@bench/spawn.sh
	@bench/mcp.sh
	@bench/grep.sh
	@bench/egress.py $(BUILD)/src/cli/nucleus

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
