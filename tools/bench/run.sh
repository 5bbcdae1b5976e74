#!/usr/bin/env bash
# Benchmarks the engine and the methods on full-size VGG16, ResNet-50 and ViT-B/16 (random weights),
# as ratios to a plain ONNX Runtime forward measured in the same process, interleaved.
#   tools/bench/run.sh [DIR] [extra bench options]
# With FOLDER=path/to/images, also the folder runs (bench --folder) at batch 1 and 8.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-/tmp/xgradcam-bench}
[ -f "$dir/vgg16.onnx" ] && [ -f "$dir/resnet50.onnx" ] && [ -f "$dir/vit_b_16.onnx" ] || /usr/bin/python3 tools/bench/export_full_models.py "$dir"
[ -f xgradcam-cli/target/xgradcam.jar ] || mvn -B -q -ntp package -DskipTests
jar=xgradcam-cli/target/xgradcam.jar
for model in vgg16 resnet50 vit_b_16; do
  for batch in 1 8; do
    java -Xmx12g -jar "$jar" bench --model "$dir/$model.onnx" --batch "$batch" --iterations "${ITER:-10}" --quiet "${@:2}"
  done
done
if [ -n "${FOLDER:-}" ]; then
  for model in vgg16 resnet50; do
    for batch in 1 8; do
      java -Xmx12g -jar "$jar" bench --folder "$FOLDER" --model "$dir/$model.onnx" --batch-size "$batch" --no-figure
    done
  done
fi
