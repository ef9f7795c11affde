#!/usr/bin/env bash
# Adapting to a new camera, through the CLI, on scikit-learn's digits: a head trained on 30 clean
# images per digit is evaluated on 30 others per digit as another camera would show them
# (tests/quality/shift.py), before and after `glimpse adapt` on 30 more per digit, unlabelled,
# from that camera. Also adapts to unlabelled images of the training camera itself, which should
# change little. Writes target/quality/adapt.md; fails if adapting does not gain at least
# MIN_GAIN on each shift, or costs more than SAME_TOLERANCE without one.
# SHIFTS: space-separated shift.py arguments (default "dark,cast", the test command's; the
# benchmark in docs/benchmarks.md runs "dark contrast cast blur noise dark,contrast,cast,blur,noise").
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
glimpse=target/release/glimpse
python=${GLIMPSE_PYTHON:-.venv/bin/python}
out=target/quality/adapt
shifts=(${SHIFTS:-dark,cast})
min_gain=0.05
same_tolerance=0.03
rm -rf "$out" && mkdir -p "$out"
"$python" tests/quality/digits_folders.py target/fixtures/digits.csv.gz "$out/digits" 30 unlabelled:30
"$glimpse" train "$out/digits/train-30" -o "$out/trained.glimpse" >"$out/train.log" 2>&1 || { cat "$out/train.log"; exit 1; }
accuracy() { "$glimpse" eval "$1" "$2" 2>/dev/null | tail -1 | cut -d' ' -f2; }
status=0
clean=$(accuracy "$out/trained.glimpse" "$out/digits/test")
"$glimpse" adapt "$out/trained.glimpse" "$out/digits/unlabelled" -o "$out/same.glimpse" >/dev/null 2>"$out/adapt.log" || { cat "$out/adapt.log"; exit 1; }
same=$(accuracy "$out/same.glimpse" "$out/digits/test")
echo "digits, no shift: $clean, adapted to the same camera $same"
if ! python3 -c "import sys; sys.exit(0 if abs($same - $clean) <= $same_tolerance else 1)"; then
  echo "adapting to unlabelled images of the training camera moved accuracy from $clean to $same (tolerance $same_tolerance)"
  status=1
fi
table="| shift | before adapting | after adapting |
|---|---|---|
| none (adapted to the training camera) | $clean | $same |"
for shift in "${shifts[@]}"; do
  "$python" tests/quality/shift.py "$shift" "$out/digits/test" "$out/$shift/test"
  "$python" tests/quality/shift.py "$shift" "$out/digits/unlabelled" "$out/$shift/unlabelled"
  before=$(accuracy "$out/trained.glimpse" "$out/$shift/test")
  "$glimpse" adapt "$out/trained.glimpse" "$out/$shift/unlabelled" -o "$out/$shift/adapted.glimpse" >/dev/null 2>"$out/adapt.log" || { cat "$out/adapt.log"; exit 1; }
  after=$(accuracy "$out/$shift/adapted.glimpse" "$out/$shift/test")
  echo "digits, shift $shift: $before before adapting, $after after"
  table="$table
| $shift | $before | $after |"
  if ! python3 -c "import sys; sys.exit(0 if $after >= $before + $min_gain else 1)"; then
    echo "adapting to $shift gained less than $min_gain ($before -> $after)"
    status=1
  fi
done
echo "$table" > "target/quality/adapt.md"
cat "target/quality/adapt.md"
exit $status
