#!/usr/bin/env bash
# Learning from every example (issue 34), through the CLI: the default head trained with a fifth
# of each class held out, then refit on every example (the default) or not (`--no-refit`); and
# fine-tuning 2 layers likewise. On scikit-learn's digits and on a photo task made from
# scikit-image's photos (tests/quality/photo_folders.py: train views from each photo's left half,
# test views from its right half), at 1, 5, 10 and 30 examples per class, evaluated on 30 others
# per class. A benchmark (~10 minutes on 2 cores; not in the test command): writes
# target/quality/refit.md. SHOTS and FINE_TUNE_SHOTS override the numbers of examples.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
glimpse=${GLIMPSE:-target/release/glimpse}
python=${GLIMPSE_PYTHON:-.venv/bin/python}
out=target/quality/refit
shots=(${SHOTS:-1 5 10 30})
tune_shots=(${FINE_TUNE_SHOTS:-10 30})
rm -rf "$out" && mkdir -p "$out"
"$python" tests/quality/digits_folders.py target/fixtures/digits.csv.gz "$out/digits" "${shots[@]}"
"$python" tests/quality/photo_folders.py target/fixtures "$out/photos" "${shots[@]}"
accuracy() { "$glimpse" eval "$1" "$2" 2>/dev/null | tail -1 | cut -d' ' -f2; }
run() { # dataset shots name options...
  local data=$1 k=$2 name=$3; shift 3
  "$glimpse" train "$out/$data/train-$k" -o "$out/$data-$name-$k.glimpse" "$@" >"$out/$data-$name-$k.out" 2>"$out/train.log" || { cat "$out/train.log"; exit 1; }
  accuracy "$out/$data-$name-$k.glimpse" "$out/$data/test"
}
table="| dataset | examples per class | head, refit (default) | head, no refit | fine-tune 2, refit | fine-tune 2, no refit |
|---|---|---|---|---|---|"
for data in digits photos; do
  for k in "${shots[@]}"; do
    refit=$(run "$data" "$k" refit)
    plain=$(run "$data" "$k" plain --no-refit)
    tuned=– tuned_plain=–
    if [[ " ${tune_shots[*]} " == *" $k "* ]]; then
      tuned=$(run "$data" "$k" tuned --fine-tune 2)
      tuned_plain=$(run "$data" "$k" tuned-plain --fine-tune 2 --no-refit)
      kept=$(grep -E '^fine-tun' "$out/$data-tuned-$k.out" || true)
      echo "$data, $k per class, fine-tuning: $kept"
    fi
    echo "$data, $k per class: head $refit refit, $plain not; fine-tune 2 $tuned refit, $tuned_plain not"
    table="$table
| $data | $k | $refit | $plain | $tuned | $tuned_plain |"
  done
done
echo "$table" > target/quality/refit.md
cat target/quality/refit.md
