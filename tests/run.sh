#!/bin/sh
# The test runner: every GTest binary in BUILD/tests and every tests/system/*.sh,
# each speaking TAP. Prints each result, then "N passed, N failed"; exits 1 on any
# failure. A program that dies, or exits non-zero without a failed result, or
# reports fewer results than it planned, counts as a failure too.
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
skip=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run_tap() {
    name=$1
    shift
    echo "# $name"
    timeout -k 5 "${TEST_TIMEOUT:-600}" "$@" >"$out" 2>&1
    status=$?
    grep -v '^ok ' "$out" | grep -v '^1\.\.' | sed 's/^/    /' | grep -v '^    $' | head -n 200
    grep -E '^(not )?ok ' "$out" | sed "s|^|$name: |"
    p=$(grep '^ok ' "$out" | grep -vc '# SKIP')
    k=$(grep '^ok ' "$out" | grep -c '# SKIP')
    f=$(grep -c '^not ok ' "$out")
    plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
    if [ -n "$plan" ] && [ $((p + k + f)) -lt "$plan" ]; then
        echo "not ok - $name: $((p + k + f)) of $plan planned results (exit status $status)"
        f=$((f + 1))
    elif [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name: exit status $status"
        f=$((f + 1))
    fi
    pass=$((pass + p))
    skip=$((skip + k))
    fail=$((fail + f))
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_tap "$(basename "$t")" "$t" --tap
done
for t in tests/system/*.sh; do
    run_tap "$(basename "$t" .sh)" sh "$t" "$BUILD"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
