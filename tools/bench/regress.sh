#!/usr/bin/env bash
# The benchmark regression check: the key ratios of docs/benchmarks.md, measured now on this
# machine, in one table, each against its goal. Run it before any note that claims speed.
#
#   tools/bench/regress.sh [DIR]        (DIR: where the exported models go, default /tmp/xgradcam-bench)
#   ROWS="gradients topk detections first folder" FOLDER=path/to/photos ITER=15 tools/bench/regress.sh
#
# Models: torchvision VGG16, ResNet-50 (opset 13) and ViT-B/16 (opset 17) with random weights and a
# dynamic batch axis (export_full_models.py), a YOLO-shaped dense head on ResNet-50 at 640x640
# (export_dense_head.py); weights do not change timings. Rows:
#   gradients   Grad-CAM and XGrad-CAM, whole explain call, over a plain forward (goal <= 1.1x)
#   topk        top-5, Grad-CAM + XGrad-CAM, over a plain forward (goal <= 1.3x)
#   detections  all 20 detections of the dense head against one, fresh processes (goal <= 1.5x)
#   first       first picture (VGG16, fresh process) against the PyTorch script when torch is
#               present (goal <= 0.5x), and against loading the model plus one forward
#   folder      a folder image over decoding + forward (goal <= 1.05x), with FOLDER set
#   vitlayers   ViT-B/16's augmented session at three layers (what its backward crosses), not in the default ROWS
#   selecting   torchvision's RetinaNet (ResNet-50 FPN, 800x800 inside) and SSDlite (320x320) with random weights
#               (export_detectors.py --full): all 20 (SSDlite: 24, at threshold 0) detections against one, fresh
#               processes, at the default layer and (RetinaNet) at its classification head's last hidden map;
#               not in the default ROWS (the export takes minutes and 230 MB)
#   methods     every gradient and activation method over a plain forward, VGG16 and ResNet-50 at
#               batch 1 and 8 (the table of docs/benchmarks.md; not in the default ROWS: it is long)
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-/tmp/xgradcam-bench}
rows=${ROWS:-gradients topk detections first folder}
iter=${ITER:-15}
py=/usr/bin/python3
[ -f "$dir/vgg16.onnx" ] && [ -f "$dir/resnet50.onnx" ] && [ -f "$dir/vit_b_16.onnx" ] || $py tools/bench/export_full_models.py "$dir" >&2
[ -f "$dir/dense_head.onnx" ] || $py tools/bench/export_dense_head.py "$dir" >&2
[ -f xgradcam-cli/target/xgradcam.jar ] || mvn -B -q -ntp package -DskipTests >&2
jar=xgradcam-cli/target/xgradcam.jar
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
table=()
row() { table+=("| $1 | $2 | $3 | $4 |"); }
# the ratio a bench line reports ("Grad-CAM   58.1 ms   1.105x")
ratio() { grep -m1 "^$1 " "$2" | awk '{print $(NF)}' | tr -d x; }
ms() { grep -m1 "^$1 " "$2" | awk '{print $(NF-2)}'; }
check() { awk -v v="$1" -v g="$2" 'BEGIN { print (v <= g) ? "yes" : "no" }'; }
seconds() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }'; }

if [[ " $rows " == *" gradients "* ]]; then
  for model in vgg16 resnet50 vit_b_16; do
    java -jar "$jar" bench --model "$dir/$model.onnx" --methods gradcam,xgradcam --iterations "$iter" --quiet > "$out/$model.txt"
    for m in Grad-CAM XGrad-CAM; do
      r=$(ratio "$m" "$out/$model.txt")
      row "$m over a plain forward, $model, batch 1" "${r}x ($(ms "$m" "$out/$model.txt") ms)" "<= 1.1x" "$(check "$r" 1.1)"
    done
  done
fi
if [[ " $rows " == *" topk "* ]]; then
  for model in vgg16 resnet50; do
    java -jar "$jar" bench --model "$dir/$model.onnx" --top-k 5 --iterations "$iter" --quiet > "$out/top5-$model.txt"
    r=$(ratio "Grad-CAM + XGrad-CAM, top-5" "$out/top5-$model.txt")
    row "top-5, Grad-CAM + XGrad-CAM, over a plain forward, $model" "${r}x ($(ms "Grad-CAM + XGrad-CAM, top-5" "$out/top5-$model.txt") ms)" "<= 1.3x" "$(check "$r" 1.3)"
  done
fi
if [[ " $rows " == *" detections "* ]]; then
  $py -c "import numpy as np; from PIL import Image; np.random.seed(1); Image.fromarray((np.random.rand(640, 640, 3) * 255).astype('uint8')).save('$out/noise.png')"
  det=(java -jar "$jar" --model "$dir/dense_head.onnx" --image-path "$out/noise.png" --no-pictures --json --quiet --output-dir "$out/det")
  "${det[@]}" --box 0 > /dev/null 2>&1 || true # untimed: shapes measured and cached
  one=$(seconds "${det[@]}" --box 0); all=$(seconds "${det[@]}" --max-detections 20)
  one2=$(seconds "${det[@]}" --box 0); all2=$(seconds "${det[@]}" --max-detections 20)
  r=$(awk -v a="$all" -v b="$all2" -v c="$one" -v d="$one2" 'BEGIN { printf "%.2f", (a + b) / (c + d) }')
  row "20 detections against one, dense head (fresh processes)" "${r}x (${all}/${all2} s against ${one}/${one2} s)" "<= 1.5x" "$(check "$r" 1.5)"
fi
if [[ " $rows " == *" selecting "* ]]; then
  [ -f "$dir/det/full-retinanet/model.onnx" ] && [ -f "$dir/det/full-ssdlite/model.onnx" ] \
    || $py tools/fixtures/export_detectors.py "$dir/det" --full >&2
  $py -c "import numpy as np; from PIL import Image; np.random.seed(1); Image.fromarray((np.random.rand(512, 512, 3) * 255).astype('uint8')).save('$out/noise512.png')"
  selecting() { # label, model, image, args for all, args for one
    local cmd=(java -jar "$jar" --model "$2" --image-path "$3" --no-pictures --json --quiet --output-dir "$out/sel")
    "${cmd[@]}" $5 > /dev/null 2>&1 || true # untimed: shapes measured and cached
    local one all one2 all2 r
    one=$(seconds "${cmd[@]}" $5); all=$(seconds "${cmd[@]}" $4); one2=$(seconds "${cmd[@]}" $5); all2=$(seconds "${cmd[@]}" $4)
    r=$(awk -v a="$all" -v b="$all2" -v c="$one" -v d="$one2" 'BEGIN { printf "%.2f", (a + b) / (c + d) }')
    row "$1 (fresh processes)" "${r}x (${all}/${all2} s against ${one}/${one2} s)" "<= 1.5x" "$(check "$r" 1.5)"
  }
  head=/head/classification_head/conv/conv.3/conv.3.1/Relu_output_0
  selecting "20 detections against one, RetinaNet, default layer" "$dir/det/full-retinanet/model.onnx" "$out/noise512.png" \
    "--max-detections 20" "--box 0"
  selecting "20 detections against one, RetinaNet, its head's last hidden map" "$dir/det/full-retinanet/model.onnx" \
    "$out/noise512.png" "--max-detections 20 --layer $head" "--box 0 --layer $head"
  selecting "24 detections against one, SSDlite, default layer" "$dir/det/full-ssdlite/model.onnx" "$out/noise512.png" \
    "--max-detections 24 --score-threshold 0" "--box 0 --score-threshold 0"
fi
if [[ " $rows " == *" first "* ]]; then
  $py -c "import numpy as np; from PIL import Image; np.random.seed(2); Image.fromarray((np.random.rand(480, 640, 3) * 255).astype('uint8')).save('$out/photo.jpg')"
  first=(java -jar "$jar" --model "$dir/vgg16.onnx" --image-path "$out/photo.jpg" --output-dir "$out/first")
  "${first[@]}" > /dev/null 2>&1 # untimed
  x1=$(seconds "${first[@]}"); x2=$(seconds "${first[@]}")
  fwd=$(java -jar "$jar" bench --model "$dir/vgg16.onnx" --iterations 3 --quiet | grep -m1 "^plain forward " | awk '{print $(NF-2)}')
  row "first picture, VGG16, fresh process" "${x1}/${x2} s (one plain forward: ${fwd} ms)" "as close to load + forward as the JVM allows" "-"
  if $py -c "import torch, torchvision" 2> /dev/null && [ -f tools/bench/pytorch_first_picture.py ]; then
    [ -f "$dir/vgg16.pth" ] || $py tools/bench/pytorch_first_picture.py --save "$dir/vgg16.pth"
    mkdir -p "$out/pt"
    pt=($py tools/bench/pytorch_first_picture.py "$dir/vgg16.pth" "$out/photo.jpg" "$out/pt")
    "${pt[@]}" > /dev/null 2>&1 # untimed
    p1=$(seconds "${pt[@]}"); p2=$(seconds "${pt[@]}")
    r=$(awk -v a="$x1" -v b="$x2" -v c="$p1" -v d="$p2" 'BEGIN { printf "%.2f", (a + b) / (c + d) }')
    row "first picture against the PyTorch script" "${r}x (${p1}/${p2} s)" "<= 0.5x" "$(check "$r" 0.5)"
  fi
fi
if [[ " $rows " == *" folder "* ]] && [ -n "${FOLDER:-}" ]; then
  for model in resnet50 vgg16; do
    for variant in --no-figure --no-pictures; do
      java -jar "$jar" bench --folder "$FOLDER" --model "$dir/$model.onnx" $variant > "$out/folder-$model.txt" 2>&1
      r=$(grep -m1 "x decoding, then plain forward)" "$out/folder-$model.txt" | sed -E 's/.*\(([0-9.]+)x decoding.*/\1/')
      ms=$(grep -m1 "^folder run" "$out/folder-$model.txt" | sed -E 's/.*explain\)[[:space:]]+([0-9.]+) ms.*/\1/')
      row "a folder image over decoding + forward, $model, $variant" "${r:-?}x (${ms:-?} ms an image)" "<= 1.05x" "$(check "${r:-99}" 1.05)"
    done
  done
fi
if [[ " $rows " == *" vitlayers "* ]]; then
  for layer in /encoder/layers/encoder_layer_11/ln_1/LayerNormalization_output_0 \
      /encoder/layers/encoder_layer_11/ln_2/LayerNormalization_output_0 /encoder/ln/LayerNormalization_output_0; do
    java -jar "$jar" bench --model "$dir/vit_b_16.onnx" --layer "$layer" --methods gradcam --iterations "$iter" --quiet > "$out/vit.txt"
    row "ViT-B/16 at $layer: augmented session, Grad-CAM call" "$(ratio "augmented session (fwd + bwd)" "$out/vit.txt")x, $(ratio Grad-CAM "$out/vit.txt")x" "-" "-"
  done
fi
if [[ " $rows " == *" methods "* ]]; then
  fast=xgradcam,gradcam,gradcamplusplus,hirescam,gradcamelementwise,layercam,finercam,fem,eigencam,eigengradcam,kpcacam,segeigencam,fullgrad,guidedbackprop,guidedxgradcam,randomcam,shapleycam
  for model in vgg16 resnet50; do
    for batch in 1 8; do
      java -jar "$jar" bench --model "$dir/$model.onnx" --batch "$batch" --methods "$fast" --iterations 5 --warmup 1 --quiet
    done
    java -jar "$jar" bench --model "$dir/$model.onnx" --methods ablationcam,fasterscorecam --iterations 3 --warmup 1 --quiet
  done > "$out/methods.txt"
  methods_table=$($py tools/bench/table.py "$out/methods.txt")
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -m); $(java -version 2>&1 | head -1)"
echo
echo "| what | now | goal | met |"
echo "|---|---|---|---|"
[ ${#table[@]} -gt 0 ] && printf '%s\n' "${table[@]}"
if [ -n "${methods_table:-}" ]; then
  echo
  echo "$methods_table"
fi
