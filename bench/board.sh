# bench/board.sh: the board's interrupt latencies, measured by the guest with CNTVCT,
# under qemu-system-arm and under percore in the same run.
#
#   sh bench/board.sh [-n RUNS] [BUILD]
#
# Runs $BUILD/bench/latency/irqlat.elf (make bench-guests builds it) RUNS times (default
# 3) under each emulator, alternating, with the same command line
#   EMU -M virt -cpu cortex-a15 -smp 2 -nographic -no-reboot -kernel irqlat.elf
# Each run prints, per measurement, the median, 90th percentile and minimum of 2000
# samples (bench/latency/irqlat.c says what a sample is); this prints the median over
# the runs of each figure and percore/qemu (below 1: percore is faster). A run that
# fails (status, timeout, a missing line) is reported and the script exits 1. Figures
# only: there is no verdict on speed. QEMU=... and PERCORE=... override the emulators.

usage() {
    echo "usage: sh bench/board.sh [-n RUNS] [BUILD]" >&2
    exit 2
}

RUNS=3
while getopts n:h opt; do
    case $opt in
    n) RUNS=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
case $RUNS in '' | *[!0-9]* | 0*) echo "board.sh: -n wants a positive integer" >&2; exit 2 ;; esac

BUILD=${1:-build}
QEMU=${QEMU:-qemu-system-arm}
PERCORE=${PERCORE:-$BUILD/percore}
ELF=$BUILD/bench/latency/irqlat.elf
[ -f "$ELF" ] || { echo "board.sh: no $ELF (make BUILD=$BUILD bench-guests)" >&2; exit 1; }
[ -x "$PERCORE" ] || { echo "board.sh: $PERCORE not found" >&2; exit 1; }
command -v "$QEMU" >/dev/null 2>&1 || { echo "board.sh: $QEMU not found" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/percore-boardbench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
failed=0
NAMES="ipi-roundtrip-ns timer-latency-ns"

# run ENGINE EMU I: one run; its figure lines go to $TMP/ENGINE.figures.
run() {
    out=$TMP/$1.$3
    timeout -k 5 120 "$2" -M virt -cpu cortex-a15 -smp 2 -nographic -no-reboot \
        -kernel "$ELF" </dev/null >"$out" 2>"$out.err"
    status=$?
    tr -d '\r' <"$out" | grep -E '^[a-z-]+ samples=' >>"$TMP/$1.figures"
    for n in $NAMES; do
        if [ "$status" -ne 0 ] || ! grep -q "^$n " "$out"; then
            echo "board.sh: $1 run $3: exit status $status, $n missing:" >&2
            head -n 20 "$out" "$out.err" >&2
            failed=1
            return
        fi
    done
}

# fig ENGINE NAME FIELD: the median over the runs of FIELD (median, p90, min).
fig() {
    grep "^$2 " "$TMP/$1.figures" | sed -n "s/.* $3=\([0-9]*\).*/\1/p" | sort -n |
        awk '{ v[NR] = $1 } END { if (!NR) print 0; else if (NR % 2) print v[(NR + 1) / 2];
            else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

i=1
while [ "$i" -le "$RUNS" ]; do
    run qemu "$QEMU" "$i"
    run percore "$PERCORE" "$i"
    i=$((i + 1))
done

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "Board latency benchmark: irqlat.elf, -smp 2, $RUNS run(s) under each emulator; nanoseconds"
echo "qemu:    $("$QEMU" --version | head -n 1) ($QEMU)"
echo "percore: $PERCORE"
echo "host:    ${cpu_model:-unknown CPU}, $(nproc) CPUs"
printf '%-18s %-6s %10s %10s %13s\n' measure stat qemu percore percore/qemu
for n in $NAMES; do
    for f in median p90 min; do
        q=$(fig qemu "$n" "$f")
        p=$(fig percore "$n" "$f")
        printf '%-18s %-6s %10s %10s %13s\n' "$n" "$f" "$q" "$p" \
            "$(awk -v q="$q" -v p="$p" 'BEGIN { if (q > 0) printf "%.2f", p / q; else print "-" }')"
    done
done
exit $failed
