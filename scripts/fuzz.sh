#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a short time
# (seconds per target: $1, default 20). A crash fails the script and leaves the input
# that caused it in build/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
dir=build/fuzz
cmake -S . -B $dir -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDOTHI_FUZZ=ON -DDOTHI_BUILD_TESTS=OFF >/dev/null
cmake --build $dir -j "$(nproc)" --target q_fuzz geoq_fuzz entity_fuzz projection_fuzz subscription_fuzz temporal_fuzz ogc_params_fuzz cql2_fuzz srs_fuzz image_fuzz multipart_fuzz
for target in q_fuzz geoq_fuzz entity_fuzz projection_fuzz subscription_fuzz temporal_fuzz ogc_params_fuzz cql2_fuzz srs_fuzz image_fuzz multipart_fuzz; do
  corpus=$dir/corpus-$target
  mkdir -p "$corpus"
  [[ -d tests/fuzz/seeds/$target ]] && cp -n tests/fuzz/seeds/$target/* "$corpus"/ 2>/dev/null || true
  echo "fuzzing $target for ${seconds}s"
  (cd $dir && ./tests/fuzz/$target -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
     -artifact_prefix="$target-" "corpus-$target" 2>&1 | tail -n 3)
done
echo "fuzz: 11 targets passed, 0 failed"
