#!/usr/bin/env bash
# Anomaly detection through the CLI on scikit-learn's digits: one digit's 60 images are the
# normal examples (`glimpse train --anomaly`); 30 other images of it are normal and 30 of every
# other digit are anomalies (`glimpse eval`). Writes target/quality/anomaly.md; fails if the ROC
# AUC is below MIN_AUC for any digit.
# DIGITS: which digits to take as normal in turn (default "0", the test command's; the figure in
# docs/benchmarks.md runs "0 1 2 3 4 5 6 7 8 9").
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
glimpse=target/release/glimpse
python=${GLIMPSE_PYTHON:-.venv/bin/python}
out=target/quality/anomaly
digits=(${DIGITS:-0})
min_auc=0.85
rm -rf "$out" && mkdir -p "$out"
"$python" tests/quality/digits_folders.py target/fixtures/digits.csv.gz "$out/digits" 60
table="| normal digit | ROC AUC | false-alarm rate (0.05 chosen) | detection rate |
|---|---|---|---|"
status=0
for d in "${digits[@]}"; do
  mkdir -p "$out/$d/train" "$out/$d/test/normal" "$out/$d/test/anomaly"
  cp -r "$out/digits/train-60/$d" "$out/$d/train/$d"
  cp "$out/digits/test/$d/"* "$out/$d/test/normal/"
  for other in 0 1 2 3 4 5 6 7 8 9; do
    [ "$other" = "$d" ] && continue
    for f in "$out/digits/test/$other/"*; do cp "$f" "$out/$d/test/anomaly/$other-$(basename "$f")"; done
  done
  "$glimpse" train "$out/$d/train" -o "$out/$d.glimpse" --anomaly >"$out/train.log" 2>&1 || { cat "$out/train.log"; exit 1; }
  report=$("$glimpse" eval "$out/$d.glimpse" "$out/$d/test")
  auc=$(echo "$report" | sed -n 's/^auc: //p')
  far=$(echo "$report" | sed -n 's/^false-alarm rate: //p')
  detected=$(echo "$report" | sed -n 's/^detection rate: //p')
  echo "digits, $d normal: AUC $auc, false alarms $far, detected $detected"
  table="$table
| $d | $auc | $far | $detected |"
  if ! python3 -c "import sys; sys.exit(0 if $auc >= $min_auc else 1)"; then
    echo "AUC $auc with $d normal is below $min_auc"
    status=1
  fi
done
echo "$table" > "$out/anomaly.md"
cat "$out/anomaly.md"
exit $status
