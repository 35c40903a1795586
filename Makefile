# dothi: `make run` and `make test` do all set-up on a fresh Debian bookworm machine (as root).
BUILD_DIR ?= build/release
JOBS ?= $(shell nproc)
DATA_DIR ?= ./data
PORT ?= 8080
DOTHI := $(BUILD_DIR)/src/app/dothi

.PHONY: deps build demo-data run test unit e2e fuzz tsan bench clean

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDOTHI_WERROR=ON
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The demo tenant's 34 provinces of 2025: the 63 old ones (npm @highcharts/map-collection)
# joined by the 2025 merge map; the generated district's planning layers load with --demo.
demo-data: build
	@mkdir -p build/demo
	node scripts/demo/provinces.mjs build/demo/provinces-63.geojson
	$(DOTHI) import build/demo/provinces-63.geojson --data-dir $(DATA_DIR) --tenant demo \
	  --layer tinh-thanh --title "Tỉnh, thành phố 2025 / Provinces 2025" --dissolve ma_tinh \
	  --role administrative --field name=ten_tinh --id-field ma_iso_cu --replace --no-progress

run: build demo-data
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
