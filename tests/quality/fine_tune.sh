#!/usr/bin/env bash
# Fine-tuning depth against accuracy and training time on scikit-learn's digits, through the CLI:
# 10 and 30 images per digit (a fifth held out for early stopping), evaluated on 30 others per
# digit, for each number of fine-tuned layers in DEPTHS (default "0 1 2 3 4"; 0 = the head alone).
# A benchmark, not part of the test command (about 15 minutes on 2 cores); writes
# target/quality/fine-tune.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
glimpse=target/release/glimpse
out=target/quality
depths=(${DEPTHS:-0 1 2 3 4})
rm -rf "$out/fine-tune" && mkdir -p "$out/fine-tune"
python3 tests/quality/digits_folders.py target/fixtures/digits.csv.gz "$out/fine-tune" 10 30
table="| examples per class | fine-tuned layers | test accuracy | training (s, 2 cores) |
|---|---|---|---|"
for shots in 10 30; do
  for depth in "${depths[@]}"; do
    project="$out/fine-tune/digits-$shots-$depth.glimpse"
    start=$(date +%s.%N)
    "$glimpse" train "$out/fine-tune/train-$shots" -o "$project" --fine-tune "$depth" >"$out/fine-tune/train.log" 2>&1 \
      || { cat "$out/fine-tune/train.log"; exit 1; }
    seconds=$(python3 -c "print(f'{$(date +%s.%N) - $start:.0f}')")
    accuracy=$("$glimpse" eval "$project" "$out/fine-tune/test" | tail -1 | cut -d' ' -f2)
    kept=$(grep -q "kept the head alone" "$out/fine-tune/train.log" && echo " (head alone kept)" || true)
    echo "digits, $shots per class, $depth layers: $accuracy$kept in ${seconds} s"
    table="$table
| $shots | $depth | $accuracy$kept | $seconds |"
  done
done
echo "$table" > "$out/fine-tune.md"
cat "$out/fine-tune.md"
