#!/usr/bin/env bash
# The two networks side by side (issue 34), through the CLI: the default head (refit on every
# example) on Lite0's and on Lite2's features, on scikit-learn's digits and on the photo task made
# from scikit-image's photos (tests/quality/photo_folders.py), at 1, 5, 10 and 30 examples per
# class, evaluated on 30 others per class; and each network's time per image, extracting the
# training set's features. A benchmark (~15 minutes on 2 cores; not in the test command): writes
# target/quality/backbones.md. SHOTS overrides the numbers of examples.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
glimpse=${GLIMPSE:-target/release/glimpse}
python=${GLIMPSE_PYTHON:-.venv/bin/python}
out=target/quality/backbones
shots=(${SHOTS:-1 5 10 30})
networks=(lite0 lite2)
rm -rf "$out" && mkdir -p "$out"
"$python" tests/quality/digits_folders.py target/fixtures/digits.csv.gz "$out/digits" "${shots[@]}"
"$python" tests/quality/photo_folders.py target/fixtures "$out/photos" "${shots[@]}"
accuracy() { "$glimpse" eval "$1" "$2" 2>/dev/null | tail -1 | cut -d' ' -f2; }
header="| dataset | examples per class |"
rule="|---|---|"
for n in "${networks[@]}"; do header="$header $n |"; rule="$rule---|"; done
table="$header
$rule"
declare -A seconds images
for data in digits photos; do
  for k in "${shots[@]}"; do
    row="| $data | $k |"
    for n in "${networks[@]}"; do
      model="$out/$data-$n-$k.glimpse"
      start=$(date +%s.%N)
      "$glimpse" train "$out/$data/train-$k" -o "$model" --backbone "$n" >"$out/$data-$n-$k.out" 2>"$out/train.log" || { cat "$out/train.log"; exit 1; }
      seconds[$n]=$(echo "${seconds[$n]:-0} + $(date +%s.%N) - $start" | bc)
      acc=$(accuracy "$model" "$out/$data/test")
      row="$row $acc |"
      echo "$data, $k per class, $n: $acc"
    done
    table="$table
$row"
  done
done
echo "$table" > target/quality/backbones.md
cat target/quality/backbones.md
for n in "${networks[@]}"; do echo "$n: ${seconds[$n]} s training in all"; done
