# bench/board.sh: the board's latencies and the memory model's costs, measured by the
# guest with CNTVCT, under qemu-system-arm and under percore in the same run.
#
#   sh bench/board.sh [-n RUNS] [BUILD]
#
# Runs each $BUILD/bench/latency/NAME.elf (make bench-guests builds them) RUNS times
# (default 3) under each emulator, alternating, with the same command line
#   EMU -M virt -cpu cortex-a15 -smp N -nographic -no-reboot -kernel NAME.elf
# where N is the "bench-smp: N" its source (bench/latency/NAME.c) names. Each run prints
# lines "MEASURE samples=S median=X p90=Y min=Z" in nanoseconds (the sources say what a
# sample is); this prints the median over the runs of each figure and percore/qemu
# (below 1: percore is faster). A run that fails (status, timeout, no figures, a FAIL
# line) is reported and the script exits 1. Figures only: there is no verdict on speed.
# QEMU=... and PERCORE=... override the emulators.

NAME=board.sh
. "$(dirname "$0")/args.sh"
ELFS=$(ls "$BUILD"/bench/latency/*.elf 2>/dev/null)
[ -n "$ELFS" ] || { echo "board.sh: no $BUILD/bench/latency/*.elf (make BUILD=$BUILD bench-guests)" >&2; exit 1; }
[ -x "$PERCORE" ] || { echo "board.sh: $PERCORE not found" >&2; exit 1; }
command -v "$QEMU" >/dev/null 2>&1 || { echo "board.sh: $QEMU not found" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/percore-boardbench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
failed=0

# run ENGINE EMU ELF SMP I: one run; its figure lines go to $TMP/ENGINE.figures.
run() {
    out=$TMP/$1.$(basename "$3" .elf).$5
    timeout -k 5 300 "$2" -M virt -cpu cortex-a15 -smp "$4" -nographic -no-reboot \
        -kernel "$3" </dev/null >"$out" 2>"$out.err"
    status=$?
    tr -d '\r' <"$out" | grep -E '^[a-z0-9-]+ samples=' >>"$TMP/$1.figures"
    if [ "$status" -ne 0 ] || ! grep -q ' samples=' "$out" || grep -q '^FAIL' "$out"; then
        echo "board.sh: $1 $(basename "$3") run $5: exit status $status:" >&2
        head -n 20 "$out" "$out.err" >&2
        failed=1
    fi
}

# fig ENGINE NAME FIELD: the median over the runs of FIELD (median, p90, min).
fig() {
    grep "^$2 " "$TMP/$1.figures" | sed -n "s/.* $3=\([0-9]*\).*/\1/p" | sort -n |
        awk '{ v[NR] = $1 } END { if (!NR) print 0; else if (NR % 2) print v[(NR + 1) / 2];
            else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for elf in $ELFS; do
    src=bench/latency/$(basename "$elf" .elf).c
    smp=$(sed -n 's/.*bench-smp: \([0-9]*\).*/\1/p' "$src" 2>/dev/null | head -n 1)
    i=1
    while [ "$i" -le "$RUNS" ]; do
        run qemu "$QEMU" "$elf" "${smp:-1}" "$i"
        run percore "$PERCORE" "$elf" "${smp:-1}" "$i"
        i=$((i + 1))
    done
done
NAMES=$(sed 's/ .*//' "$TMP/qemu.figures" "$TMP/percore.figures" 2>/dev/null | awk '!seen[$0]++')

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "Board benchmark: $(echo $ELFS | xargs -n 1 basename | tr '\n' ' ')- $RUNS run(s) under each emulator; nanoseconds"
echo "qemu:    $("$QEMU" --version | head -n 1) ($QEMU)"
echo "percore: $PERCORE"
echo "host:    ${cpu_model:-unknown CPU}, $(nproc) CPUs"
printf '%-24s %-6s %10s %10s %13s\n' measure stat qemu percore percore/qemu
for n in $NAMES; do
    stats="median p90 min"
    grep -q "^$n samples=1 " "$TMP/qemu.figures" && stats=median # one figure a run
    for f in $stats; do
        q=$(fig qemu "$n" "$f")
        p=$(fig percore "$n" "$f")
        printf '%-24s %-6s %10s %10s %13s\n' "$n" "$f" "$q" "$p" \
            "$(awk -v q="$q" -v p="$p" 'BEGIN { if (q > 0) printf "%.2f", p / q; else print "-" }')"
    done
done
exit $failed
