#!/usr/bin/env bash
# Builds the concurrency core's tests (StripeLocks, EntityService, SubscriptionService, the stores,
# TemporalService, LayerService, TileService, Open311Reports) with
# ThreadSanitizer and runs them: a data race in the asynchronous write path (commit
# callbacks on the store's reporter thread, lock hand-over between threads) fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/tsan
cmake -S . -B $dir -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -g" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
targets=(dothi_stripe_locks_test dothi_service_test dothi_subscription_service_test dothi_storage_test
         dothi_temporal_service_test dothi_layer_service_test dothi_tile_service_test
         dothi_open311_reports_test)
cmake --build $dir -j "$(nproc)" --target "${targets[@]}"
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
$dir/tests/unit/service/dothi_stripe_locks_test --gtest_brief=1
$dir/tests/unit/service/dothi_service_test --gtest_brief=1
$dir/tests/unit/service/dothi_subscription_service_test --gtest_brief=1
$dir/tests/unit/storage/dothi_storage_test --gtest_brief=1
$dir/tests/unit/service/dothi_temporal_service_test --gtest_brief=1
$dir/tests/unit/service/dothi_layer_service_test --gtest_brief=1
$dir/tests/unit/service/dothi_tile_service_test --gtest_brief=1
$dir/tests/unit/service/dothi_open311_reports_test --gtest_brief=1
echo "tsan: 8 test binaries passed without a race report"
