# bench/gdb.sh: the guest debugger's round trips, under qemu-system-arm's gdbstub and
# percore's two stubs, in the same run.
#
#   sh bench/gdb.sh [-n RUNS] [BUILD]
#
# Runs $BUILD/guest/gdbwork.elf (make guests builds it; -smp 2: CPU 1 calls
# gdbwork_step() in a loop) RUNS times (default 3) under each of
#   qemu     qemu-system-arm -gdb tcp::PORT           (all-stop; vCPU 1 is thread 2)
#   allstop  percore -gdb tcp::0                      (all-stop, in the coordinator)
#   percpu   percore -gdb-cpu 1,tcp::0                (vCPU 1's own stub; vCPU 0 runs on)
# and has gdb-multiarch time, from a Python loop inside gdb, 100 breakpoint hits
# (`continue` to a breakpoint on gdbwork_step, which vCPU 1 reaches again at once) and
# 200 `stepi`. Prints the median over the runs of the microseconds per hit and per step,
# and each percore stub's ratio to qemu (below 1: percore is faster). Figures only.
# QEMU=... and PERCORE=... override the emulators.

NAME=gdb.sh
. "$(dirname "$0")/args.sh"
GDB=${GDB:-gdb-multiarch}
ELF=$BUILD/guest/gdbwork.elf
[ -f "$ELF" ] || { echo "gdb.sh: $ELF not found (make guests)" >&2; exit 1; }
for p in "$QEMU" "$PERCORE" "$GDB"; do
    command -v "$p" >/dev/null 2>&1 || { echo "gdb.sh: $p not found" >&2; exit 1; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/percore-gdbbench.XXXXXX") || exit 1
EMU_PID=
trap '[ -n "$EMU_PID" ] && kill -9 $EMU_PID 2>/dev/null; rm -rf "$TMP"' EXIT
printf l >"$TMP/long.in" # gdbwork: run until told

cat >"$TMP/bench.gdb" <<'EOF2'
set pagination off
set confirm off
python
import time
gdb.execute("target remote 127.0.0.1:" + PORT_TO_BE_SET, to_string=True)
gdb.execute("break gdbwork_step", to_string=True)
gdb.execute("continue", to_string=True)  # the first hit: not timed
def per_op_us(command, n):
    t = time.monotonic()
    for i in range(n):
        gdb.execute(command, to_string=True)
    return (time.monotonic() - t) / n * 1e6
print("BREAK_US %.1f" % per_op_us("continue", 100))
gdb.execute("delete", to_string=True)
print("STEP_US %.1f" % per_op_us("stepi", 200))
gdb.execute("detach", to_string=True)
end
EOF2

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# one KIND RUN: starts the emulator, runs the gdb script, appends "KIND BREAK STEP".
one() {
    kind=$1
    err=$TMP/$kind.$2.err
    case $kind in
    qemu)
        port=$(free_port)
        "$QEMU" -M virt -cpu cortex-a15 -smp 2 -nographic -no-reboot -gdb "tcp:127.0.0.1:$port" \
            -kernel "$ELF" <"$TMP/long.in" >/dev/null 2>"$err" &
        EMU_PID=$!
        sleep 1
        ;;
    *)
        if [ "$kind" = allstop ]; then opt="-gdb tcp::0"; else opt="-gdb-cpu 1,tcp::0"; fi
        # shellcheck disable=SC2086
        "$PERCORE" -M virt -cpu cortex-a15 -smp 2 -nographic -no-reboot $opt -kernel "$ELF" \
            <"$TMP/long.in" >/dev/null 2>"$err" &
        EMU_PID=$!
        i=0
        while ! grep -qs "waits for GDB on" "$err" && [ $i -lt 100 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        port=$(sed -n 's/.*waits for GDB on .*:\([0-9][0-9]*\)$/\1/p' "$err" | head -n 1)
        ;;
    esac
    sed "s/PORT_TO_BE_SET/\"$port\"/" "$TMP/bench.gdb" >"$TMP/run.gdb"
    timeout -k 5 300 "$GDB" -batch -nx -ex "file $ELF" -x "$TMP/run.gdb" >"$TMP/gdb.out" 2>&1
    kill -9 $EMU_PID 2>/dev/null
    wait $EMU_PID 2>/dev/null
    EMU_PID=
    b=$(sed -n 's/^BREAK_US //p' "$TMP/gdb.out")
    s=$(sed -n 's/^STEP_US //p' "$TMP/gdb.out")
    if [ -z "$b" ] || [ -z "$s" ]; then
        echo "gdb.sh: $kind run $2 failed:" >&2
        tail -n 5 "$TMP/gdb.out" "$err" >&2
        FAILED=1
        return
    fi
    echo "$kind $b $s" >>"$TMP/results"
}

FAILED=0
r=1
while [ $r -le "$RUNS" ]; do
    for kind in qemu allstop percpu; do one $kind $r; done
    r=$((r + 1))
done
median() { # median KIND COLUMN
    awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$TMP/results" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
qb=$(median qemu 2)
qs=$(median qemu 3)
printf "%-30s %12s %12s\n" "gdbstub, $RUNS runs (median)" "break hit us" "stepi us"
printf "%-30s %12s %12s\n" "qemu-system-arm -gdb" "$qb" "$qs"
for kind in allstop percpu; do
    b=$(median $kind 2)
    s=$(median $kind 3)
    label="percore -gdb"
    [ $kind = percpu ] && label="percore -gdb-cpu 1"
    printf "%-30s %12s %12s\n" "$label" "$b" "$s"
    [ -n "$qb" ] && [ -n "$b" ] &&
        printf "%-30s %12s %12s\n" "  percore/qemu" "$(echo "$b $qb" | awk '{ printf "%.2f", $1 / $2 }')" \
            "$(echo "$s $qs" | awk '{ printf "%.2f", $1 / $2 }')"
done
exit $FAILED
