# dothi: `make run` and `make test` do all set-up on a fresh Debian bookworm machine (as root).
BUILD_DIR ?= build/release
JOBS ?= $(shell nproc)
DATA_DIR ?= ./data
PORT ?= 8080
DOTHI := $(BUILD_DIR)/src/app/dothi

.PHONY: deps build run test unit e2e fuzz tsan bench clean

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDOTHI_WERROR=ON
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(DOTHI) serve --demo --data-dir $(DATA_DIR) --port $(PORT)

# Every test: unit, storage and API tests (ctest), black-box tests against the real binary
# (node --test, including the ngsijs client), the concurrency core under ThreadSanitizer,
# then each fuzz target for a short run.
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	DOTHI_BIN=$(abspath $(DOTHI)) node --test tests/e2e/
	scripts/tsan.sh
	$(MAKE) fuzz

FUZZ_TIME ?= 20
fuzz: deps
	scripts/fuzz.sh $(FUZZ_TIME)

tsan: deps
	scripts/tsan.sh

bench: build
	bench/run_all.sh

clean:
	rm -rf build
