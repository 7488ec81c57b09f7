# bench/cpu.sh: CPU-bound guests under qemu-system-arm and under percore, timed.
#
#   sh bench/cpu.sh [-n RUNS] [-t TIMEOUT] [BUILD]
#
# Runs every $BUILD/bench/guest/NAME.elf (make bench-guests builds them), RUNS times
# (default 3) under each emulator with the same command line
#   EMU -M virt -cpu cortex-a15 -nographic -no-reboot -kernel NAME.elf </dev/null
# alternating the two, and prints the median wall time of each, their ratio, and the
# geometric mean of the ratios. The start-up cost is measured the same way on
# $BUILD/guest/hello.elf (a guest that prints six lines and powers off) and printed
# as the first row; "net of start-up" is (percore - its start-up) / (qemu - its start-up).
# A second table gives the CPU time (user + sys of the emulator and all its processes),
# which a busy host inflates less than the wall time.
#
# Every run must exit with status 0 and print the same console output (\r removed) as
# the first qemu run of that guest: a difference, a non-zero status or a timeout
# (TIMEOUT seconds per run, default 600) is a failure, listed after the tables with the
# difference and stderr, and the script exits 1. A percore run stopped by a signal that
# neither the guest nor this script sent (percore prints "terminating on signal") is not
# a failure of the guest: it is noted and run again, up to twice.
# Prints figures only: there is no verdict on speed. QEMU=... and PERCORE=... override
# the emulators (default qemu-system-arm and $BUILD/percore).

usage() {
    echo "usage: sh bench/cpu.sh [-n RUNS] [-t TIMEOUT] [BUILD]" >&2
    exit 2
}

RUNS=3
TIMEOUT=600
while getopts n:t:h opt; do
    case $opt in
    n) RUNS=$OPTARG ;;
    t) TIMEOUT=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
case $RUNS in '' | *[!0-9]* | 0*) echo "cpu.sh: -n wants a positive integer" >&2; exit 2 ;; esac
case $TIMEOUT in '' | *[!0-9]* | 0*) echo "cpu.sh: -t wants a positive integer" >&2; exit 2 ;; esac

BUILD=${1:-build}
QEMU=${QEMU:-qemu-system-arm}
PERCORE=${PERCORE:-$BUILD/percore}
STARTUP_ELF=$BUILD/guest/hello.elf

if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "cpu.sh: $QEMU not found" >&2
    exit 1
fi
if [ ! -x "$PERCORE" ]; then
    echo "cpu.sh: $PERCORE not found (make BUILD=$BUILD all)" >&2
    exit 1
fi
ELFS=$(ls "$BUILD"/bench/guest/*.elf 2>/dev/null)
if [ -z "$ELFS" ] || [ ! -f "$STARTUP_ELF" ]; then
    echo "cpu.sh: no guests in $BUILD/bench/guest/ or no $STARTUP_ELF" \
        "(make BUILD=$BUILD bench-guests)" >&2
    exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/percore-cpubench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
FAILS=$TMP/failures
NOTES=$TMP/notes
: >"$FAILS"
: >"$NOTES"
: >"$TMP/failed-outputs"

# cpu_secs FILE: the CPU time (user + sys, seconds) of reaped children in the output of
# `times` saved in FILE. `times` is a builtin: it must run in this shell, redirected to a
# file, and not in a $(...) subshell, whose children are its own.
cpu_secs() {
    awk 'function s(x) { sub(/s$/, "", x); split(x, a, "m"); return a[1] * 60 + a[2] }
        NR == 2 { printf "%.4f\n", s($1) + s($2) }' "$1"
}

# median: of the numbers on stdin, one a line.
median() {
    sort -n | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run ENGINE EMU ELF NAME I: one timed run. Appends its wall and CPU seconds to
# $TMP/NAME.ENGINE.wall and .cpu and returns 0; or records a failure and returns 0;
# or returns 2 when something outside stopped the run (to be run again).
run() {
    engine=$1 emu=$2 elf=$3 name=$4 i=$5
    out=$TMP/$name.$engine.$i
    times >"$TMP/times0"
    t0=$(date +%s%N)
    timeout -k 5 "$TIMEOUT" "$emu" -M virt -cpu cortex-a15 -nographic -no-reboot \
        -kernel "$elf" </dev/null >"$out.raw" 2>"$out.err"
    status=$?
    t1=$(date +%s%N)
    times >"$TMP/times1"
    tr -d '\r' <"$out.raw" >"$out.out"
    if [ "$status" -ne 0 ] && grep -q 'terminating on signal' "$out.err" 2>/dev/null; then
        echo "$name: $engine run $i stopped from outside ($(grep -m 1 -o 'signal [0-9]* ([A-Z]*)' \
            "$out.err")) after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s" \
            >>"$NOTES"
        return 2
    fi
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }' >>"$TMP/$name.$engine.wall"
    awk -v a="$(cpu_secs "$TMP/times0")" -v b="$(cpu_secs "$TMP/times1")" \
        'BEGIN { printf "%.4f\n", b - a }' >>"$TMP/$name.$engine.cpu"
    why=
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        why="timed out after ${TIMEOUT}s"
    elif [ "$status" -ne 0 ]; then
        why="exit status $status"
    fi
    if ! cmp -s "$TMP/$name.qemu.1.out" "$out.out"; then
        why="${why:+$why, }output differs from qemu run 1"
    fi
    if [ -n "$why" ]; then
        echo "$name: $engine run $i: $why" >>"$FAILS"
        echo "$out" >>"$TMP/failed-outputs"
    fi
    return 0
}

# run_retry ARGS: run, again (at most twice more) when stopped from outside.
run_retry() {
    tries=0
    while :; do
        run "$@" && return 0
        tries=$((tries + 1))
        if [ "$tries" -gt 2 ]; then
            echo "$4: $1 run $5: stopped from outside three times, no figure" >>"$FAILS"
            return 0
        fi
    done
}

# bench NAME ELF: RUNS runs under each emulator, alternating; sets q, p (median wall)
# and qc, pc (median CPU).
bench() {
    name=$1 elf=$2
    echo "cpu.sh: $name ($RUNS runs under each emulator)" >&2
    rm -f "$TMP/$name".*.wall "$TMP/$name".*.cpu
    i=1
    while [ "$i" -le "$RUNS" ]; do
        run_retry qemu "$QEMU" "$elf" "$name" "$i"
        run_retry percore "$PERCORE" "$elf" "$name" "$i"
        i=$((i + 1))
    done
    q=$(median <"$TMP/$name.qemu.wall" 2>/dev/null)
    p=$(median <"$TMP/$name.percore.wall" 2>/dev/null)
    qc=$(median <"$TMP/$name.qemu.cpu" 2>/dev/null)
    pc=$(median <"$TMP/$name.percore.cpu" 2>/dev/null)
    echo "$name ${q:-0} ${p:-0} ${qc:-0} ${pc:-0}" >>"$TMP/figures"
}

# table COLUMN_Q COLUMN_P: the table of $TMP/figures (name q p qc pc; start-up first).
table() {
    awk -v cq="$1" -v cp="$2" '
    function row(n, q, p, net) {
        printf "%-10s %9.3f %11.3f %14s %17s\n", n, q, p, (q > 0 ? sprintf("%.2f", p / q) : "-"), net
    }
    { q = $cq; p = $cp }
    NR == 1 { q0 = q; p0 = p; row($1, q, p, "-"); next }
    {
        net = "-"
        if (q > 0 && p > 0) { k++; s += log(p / q) }
        if (q - q0 > 0 && p - p0 > 0) { m++; t += log((p - p0) / (q - q0)); net = sprintf("%.2f", (p - p0) / (q - q0)) }
        row($1, q, p, net)
    }
    END {
        printf "%-10s %9s %11s %14s %17s\n", "geomean", "", "", (k ? sprintf("%.2f", exp(s / k)) : "-"),
            (m && m == k ? sprintf("%.2f", exp(t / m)) : "-")
    }' "$TMP/figures"
}

header() {
    printf '%-10s %9s %11s %14s %17s\n' program qemu percore percore/qemu "net of start-up"
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "CPU benchmark: $RUNS run(s) of each guest under each emulator, alternating; medians, in seconds"
echo "qemu:    $("$QEMU" --version | head -n 1) ($QEMU)"
echo "percore: $PERCORE"
echo "host:    ${cpu_model:-unknown CPU}, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

: >"$TMP/figures"
bench start-up "$STARTUP_ELF"
names=
for elf in $ELFS; do
    name=$(basename "$elf" .elf)
    bench "$name" "$elf"
    names="$names $name"
done

echo
echo "wall time"
header
table 2 3
echo
echo "CPU time (user + sys)"
header
table 4 5
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"

echo
echo "result lines (qemu run 1):"
for name in $names; do
    echo "  $(grep -v '^[[:space:]]*$' "$TMP/$name.qemu.1.out" | tail -n 1)"
done

if [ -s "$NOTES" ]; then
    echo
    echo "runs stopped from outside and run again:"
    sed 's/^/  /' "$NOTES"
fi

if [ -s "$FAILS" ]; then
    echo
    echo "FAILED:"
    sed 's/^/  /' "$FAILS"
    while read -r out; do
        name=${out##*/}
        name=${name%%.*}
        echo
        echo "--- $out.out against qemu run 1 (diff -u, first 40 lines):"
        diff -u "$TMP/$name.qemu.1.out" "$out.out" | head -n 40
        if [ -s "$out.err" ]; then
            echo "--- stderr (first 20 lines):"
            head -n 20 "$out.err"
        fi
    done <"$TMP/failed-outputs"
    exit 1
fi
exit 0
