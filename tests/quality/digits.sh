#!/usr/bin/env bash
# Few-shot accuracy of each head on scikit-learn's digits, through the CLI: train on 1, 5 and 10
# images per digit, evaluate on 30 others per digit. Writes target/quality/digits.md and fails
# if the default head is not the best of the fixed heads (within one test image) at every number
# of shots, if `--head auto` is worse than it by more than AUTO_MARGIN, or if fine-tuning the
# backbone's last layer with it does not beat it at 10 per class.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
glimpse=target/release/glimpse
out=target/quality
rm -rf "$out/digits" && mkdir -p "$out"
python3 tests/quality/digits_folders.py target/fixtures/digits.csv.gz "$out/digits" 1 5 10
default=softmax
heads=(softmax prototype knn auto)
fixed=(softmax prototype knn)
auto_margin=0.02
table="| examples per class | softmax (default) | prototype | knn | auto |
|---|---|---|---|---|"
status=0
for shots in 1 5 10; do
  row="| $shots |"
  declare -A acc=()
  for head in "${heads[@]}"; do
    # No held-out split: with this few examples every one is needed for training.
    "$glimpse" train "$out/digits/train-$shots" -o "$out/digits-$head-$shots.glimpse" --head "$head" --k 3 --validation 0 >"$out/train-$head-$shots.out" 2>"$out/train.log" \
      || { cat "$out/train.log"; exit 1; }
    acc[$head]=$("$glimpse" eval "$out/digits-$head-$shots.glimpse" "$out/digits/test" | tail -1 | cut -d' ' -f2)
    row="$row ${acc[$head]} |"
  done
  echo "digits, $shots per class: softmax ${acc[softmax]}, prototype ${acc[prototype]}, knn ${acc[knn]}, auto ${acc[auto]} ($(grep '^auto' "$out/train-auto-$shots.out" | tail -1))"
  table="$table
$row"
  if ! python3 -c "import sys; sys.exit(0 if ${acc[auto]} + $auto_margin >= ${acc[$default]} else 1)"; then
    echo "auto (${acc[auto]}) is worse than the default head ($default, ${acc[$default]}) by more than $auto_margin at $shots per class"
    status=1
  fi
  for head in "${fixed[@]}"; do
    # One test image in 300 is 0.0033.
    if python3 -c "import sys; sys.exit(0 if ${acc[$default]} + 0.0034 >= ${acc[$head]} else 1)"; then :; else
      echo "the default head ($default, ${acc[$default]}) is worse than $head (${acc[$head]}) at $shots per class"
      status=1
    fi
  done
done
# Fine-tuning: these glyphs are far from ImageNet, where retraining the top layer should pay.
"$glimpse" train "$out/digits/train-10" -o "$out/digits-fine-tuned-10.glimpse" --fine-tune 1 --validation 0 >/dev/null 2>"$out/train.log" \
  || { cat "$out/train.log"; exit 1; }
tuned=$("$glimpse" eval "$out/digits-fine-tuned-10.glimpse" "$out/digits/test" | tail -1 | cut -d' ' -f2)
echo "digits, 10 per class: softmax with the last layer fine-tuned $tuned (head alone ${acc[softmax]})"
table="$table

| 10 per class | softmax, head alone | softmax + fine-tuning the last layer |
|---|---|---|
| | ${acc[softmax]} | $tuned |"
if ! python3 -c "import sys; sys.exit(0 if $tuned > ${acc[softmax]} + 0.0034 else 1)"; then
  echo "fine-tuning the last layer ($tuned) does not beat the head alone (${acc[softmax]}) at 10 per class"
  status=1
fi
echo "$table" > "$out/digits.md"
cat "$out/digits.md"
exit $status
