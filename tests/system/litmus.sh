# Litmus tests (tests/litmus/NAME.litmus, docs/litmus.md): every test's guest,
# $LITMUS_ELFS/NAME.elf (default BUILD/litmus, built by `make litmus` or `make guests`),
# runs under percore and under qemu-system-arm with the same arguments:
#
#   EMU -M virt -cpu cortex-a15 -smp N -nographic -no-reboot -kernel NAME.elf
#
# N being the test's number of threads. One result per test and emulator. It fails when
# the guest reports a forbidden outcome (or its histogram holds one), when the run fails
# or times out (LITMUS_TIMEOUT seconds, default 120), or when its log is malformed
# (every part of docs/litmus.md's log, the counts adding up to the iterations).
# An allowed outcome, seen or not, never fails a test. Each histogram is printed as TAP
# comments, to be compared with hardware logs; the result line says how often the threads
# of an iteration started together (low on a loaded host, and with more threads than
# host CPUs: relaxed outcomes need them to overlap).
#
# LITMUS_ENGINES (default "percore qemu") picks the emulators; LITMUS_ONLY (names,
# separated by spaces) the tests.

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

LITMUS_DIR=$(dirname "$0")/../litmus
ELFS=${LITMUS_ELFS:-$BUILD/litmus}
QEMU=${QEMU:-qemu-system-arm}
LITMUS_TIMEOUT=${LITMUS_TIMEOUT:-120}
LITMUS_ENGINES=${LITMUS_ENGINES:-percore qemu}

# check_log NAME LOG: one line, "ok SUMMARY", "forbidden SUMMARY" or "malformed REASON".
check_log() {
    awk -v name="$1" '
    function fail(why) { if (!bad) bad = why }
    $0 ~ "^% Results for " { if (split($0, h, /[( ,]+/) >= 6) iters = h[5] + 0 }
    $1 == "Test" && $2 == name { verdict = $3 }
    $1 == "Histogram" && in_hist == 0 {
        states = substr($2, 2) + 0; in_hist = 1; lines = 0; next
    }
    in_hist == 1 && lines < states {
        if ($0 !~ /^ *[0-9]+[*:!]>/) { fail("bad histogram line: " $0); in_hist = 2; next }
        lines++
        c = $0; sub(/^ */, "", c); mark = c; sub(/[*:!]>.*/, "", c); sub(/^[0-9]+/, "", mark)
        mark = substr(mark, 1, 1)
        total += c
        if (mark == "*") witnesses += c
        if (mark == "!") extra_forbidden += c
        if (lines == states) in_hist = 2
        next
    }
    /^(Ok|No)$/ { okno = $1 }
    /^Positive: / { pos = $2 + 0; neg = $4 + 0; have_pos = 1 }
    $1 == "Observation" && $2 == name { obs = $3; opos = $4; oneg = $5 }
    $1 == "Time" && $2 == name { time = $3 }
    $1 == "Rendezvous" && $2 == name ":" { cpu_iters = $3 + 0; together = $5 + 0 }
    $1 == "Result" && $2 == name ":" {
        if ($3 == "no") result_forbidden = 0
        else if ($3 == "FORBIDDEN") result_forbidden = $6 + 0
        else fail("bad Result line")
        have_result = 1
    }
    /^Error / { fail($0) }
    END {
        if (verdict != "Allowed" && verdict != "Forbidden") fail("no Test line")
        if (!in_hist) fail("no Histogram")
        else if (lines != states) fail("histogram has " lines " of " states " lines")
        if (!iters) fail("no Results header")
        if (total != iters) fail("histogram counts " total ", not " iters)
        if (okno == "") fail("no Ok/No line")
        if (!have_pos) fail("no Positive line")
        if (obs == "") fail("no Observation line")
        if (!have_result) fail("no Result line")
        if (pos != witnesses || opos != witnesses || pos + neg != iters || opos + oneg != iters)
            fail("witness counts disagree with the histogram")
        if ((okno == "Ok") != (witnesses > 0)) fail("Ok/No disagrees with the histogram")
        want = witnesses == 0 ? "Never" : witnesses == iters ? "Always" : "Sometimes"
        if (obs != want) fail("Observation " obs ", histogram says " want)
        forb = extra_forbidden + (verdict == "Forbidden" ? witnesses : 0)
        if (have_result && forb != result_forbidden)
            fail("Result says " result_forbidden " forbidden, histogram " forb)
        if (bad) { print "malformed " bad; exit }
        what = verdict == "Forbidden" ? "forbidden" : "allowed"
        summary = "exists (" what ") " obs " " witnesses + 0 "/" iters ", guest time " time " s"
        if (cpu_iters)
            summary = summary sprintf(", threads together %d%%", 100 * together / cpu_iters)
        if (forb) print "forbidden outcome observed " forb " times: " summary
        else print "ok " summary
    }' "$2"
}

# emulator ENGINE: the program that runs it.
emulator() {
    case $1 in
    percore) echo "$PERCORE" ;;
    qemu) echo "$QEMU" ;;
    esac
}

# run_litmus ENGINE NAME
run_litmus() {
    engine=$1
    name=$2
    emu=$(emulator "$engine")
    elf=$ELFS/$name.elf
    out=$TMP/$engine-$name
    threads=$(python3 "$LITMUS_DIR/gen.py" --threads "$LITMUS_DIR/$name.litmus")
    [ -f "$elf" ] || {
        not_ok "$engine $name: no $elf (\`make litmus\` builds it)"
        return
    }
    start=$(date +%s.%N)
    timeout -k 5 "$LITMUS_TIMEOUT" "$emu" -M virt -cpu cortex-a15 -smp "$threads" -nographic \
        -no-reboot -kernel "$elf" </dev/null >"$out.raw" 2>"$out.err"
    status=$?
    wall=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
    tr -d '\r' <"$out.raw" >"$out.log"
    sed -n '/^Histogram/,/^Observation/p' "$out.log" | grep -v '^Witnesses' |
        sed "s/^/# $engine $name: /"
    grep "^Rendezvous" "$out.log" | sed "s/^/# $engine /"
    verdict=$(check_log "$name" "$out.log")
    if [ "$status" -ne 0 ]; then
        why="exit status $status"
        [ "$status" -eq 124 ] && why="timed out after ${LITMUS_TIMEOUT}s"
        not_ok "$engine $name: $why"
        tail -n 20 "$out.log" | sed 's/^/#   /'
        [ -s "$out.err" ] && head -n 20 "$out.err" | sed 's/^/#   stderr: /'
        return
    fi
    case $verdict in
    ok\ *) ok "$engine $name (-smp $threads): ${verdict#ok }, ${wall} s" ;;
    malformed\ *)
        not_ok "$engine $name: malformed log: ${verdict#malformed }"
        tail -n 20 "$out.log" | sed 's/^/#   /'
        ;;
    *) not_ok "$engine $name (-smp $threads): $verdict" ;;
    esac
}

engines=
for engine in $LITMUS_ENGINES; do
    emu=$(emulator "$engine")
    if [ -z "$emu" ]; then
        not_ok "unknown engine $engine in LITMUS_ENGINES"
    elif command -v "$emu" >/dev/null 2>&1; then
        engines="$engines $engine"
    else
        not_ok "$engine: $emu not found"
    fi
done

found=0
for src in "$LITMUS_DIR"/*.litmus; do
    [ -f "$src" ] || continue
    name=$(basename "$src" .litmus)
    if [ -n "$LITMUS_ONLY" ]; then
        case " $LITMUS_ONLY " in
        *" $name "*) ;;
        *) continue ;;
        esac
    fi
    found=$((found + 1))
    for engine in $engines; do
        run_litmus "$engine" "$name"
    done
done
[ "$found" -gt 0 ] || not_ok "no tests/litmus/*.litmus found"

done_testing
