#!/usr/bin/env bash
# Benchmarks the engine and the methods on full-size VGG16 and ResNet-50 (random weights),
# as ratios to a plain ONNX Runtime forward measured in the same process.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-/tmp/xgradcam-bench}
[ -f "$dir/vgg16.onnx" ] && [ -f "$dir/resnet50.onnx" ] || /usr/bin/python3 tools/bench/export_full_models.py "$dir"
[ -f xgradcam-cli/target/xgradcam.jar ] || mvn -B -q package -DskipTests
jar=xgradcam-cli/target/xgradcam.jar
for batch in 1 8; do
  java -jar "$jar" bench --model "$dir/vgg16.onnx" --batch "$batch" --iterations "${ITER:-10}" "${@:2}"
  java -jar "$jar" bench --model "$dir/resnet50.onnx" --batch "$batch" --iterations "${ITER:-10}" "${@:2}"
done
