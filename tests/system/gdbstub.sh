# The guest gdbstub (docs/debugging.md): gdb-multiarch in batch mode against
#  - vCPU 1's own stub (-gdb-cpu 1,tcp::0) of a 2-vCPU gdbwork guest, where CPU 1 loops
#    over gdbwork_step() and CPU 0 prints a progress line every 10 ms: a breakpoint, the
#    registers, a step, a watchpoint, a memory write, detach; CPU 0's transcript must
#    grow while vCPU 1 is held (and CPU 1's loop count must not); Ctrl-C (0x03) through a
#    raw RSP client; vCPU 1 runs again after the detach;
#  - the all-stop stub of the whole machine (-gdb tcp::0): both vCPUs as threads, both
#    held while GDB has the machine stopped, a breakpoint hit by thread 2, detach.
# Port 0: percore binds a free port and prints it ("... waits for GDB on HOST:PORT").
# Waits are bounded and look for progress, never at speed.
BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

GDB=${GDB:-gdb-multiarch}
ELF=$BUILD/guest/gdbwork.elf
PY=${PYTHON:-python3}

if ! command -v "$GDB" >/dev/null 2>&1; then
    ok "# SKIP $GDB not found"
    done_testing
    exit 0
fi
if [ ! -f "$ELF" ]; then
    not_ok "$ELF is missing (make guests builds it)"
    done_testing
    exit 1
fi
printf l >"$TMP/long.in"

# gdb_machine NAME ARGS...: a long gdbwork run with ARGS; sets MPID, OUT, ERR and PORT.
gdb_machine() {
    name=$1
    shift
    OUT=$TMP/$name.out
    ERR=$TMP/$name.err
    "$PERCORE" -M virt -cpu cortex-a15 -nographic -no-reboot -smp 2 "$@" -kernel "$ELF" \
        <"$TMP/long.in" >"$OUT" 2>"$ERR" &
    MPID=$!
    PIDS="$PIDS $MPID"
    wait_until grep -qs "waits for GDB on" "$ERR"
    PORT=$(sed -n 's/.*waits for GDB on .*:\([0-9][0-9]*\)$/\1/p' "$ERR" | head -n 1)
}

# grows.sh OUT: waits (bounded) until OUT has 5 more progress lines; prints both counts.
# still.sh OUT: prints the count, then again after a moment (for a held machine).
cat >"$TMP/grows.sh" <<'EOS'
a=$(grep -c 'gdbwork: progress' "$1")
i=0
while [ "$(grep -c 'gdbwork: progress' "$1")" -lt $((a + 5)) ] && [ $i -lt 200 ]; do
    sleep 0.1
    i=$((i + 1))
done
echo "PROGRESS $a $(grep -c 'gdbwork: progress' "$1")"
EOS
cat >"$TMP/still.sh" <<'EOS'
a=$(grep -c 'gdbwork: progress' "$1")
sleep 0.5
echo "STILL $a $(grep -c 'gdbwork: progress' "$1")"
EOS

progress() { grep -c 'gdbwork: progress' "$OUT"; }
run_gdb() { # run_gdb SCRIPT LOG
    timeout -k 5 60 "$GDB" -batch -nx -ex "file $ELF" -x "$1" >"$2" 2>&1
}
field() { sed -n "s/^$1=\\([0-9a-fx]*\\).*/\\1/p" "$2" | head -n 1; }

# ---- vCPU 1's own stub ----
gdb_machine percpu -gdb-cpu 1,tcp::0
check "vCPU 1's stub printed its port" [ -n "$PORT" ]
wait_until grep -q 'progress 3' "$OUT"
cat >"$TMP/percpu.gdb" <<GDBEOF
set pagination off
target remote 127.0.0.1:$PORT
info threads
break *gdbwork_step
continue
printf "PC=%x\n", \$pc
printf "FN=%x\n", gdbwork_step
info registers
printf "ROUNDS1=%u\n", worker_rounds
shell sh $TMP/grows.sh $OUT
printf "ROUNDS2=%u\n", worker_rounds
stepi
printf "STEP=%x\n", \$pc
delete
watch gdbwork_result
continue
delete
set var gdbwork_result = 0x1234
printf "POKE=%x\n", gdbwork_result
printf "ROUNDS3=%u\n", worker_rounds
detach
GDBEOF
run_gdb "$TMP/percpu.gdb" "$TMP/percpu.log"
LOG=$TMP/percpu.log
check "one thread: vCPU 1" grep -q '^\* 1 *Thread 1 (vCPU 1)' "$LOG"
check "breakpoint hit" grep -q '^Breakpoint 1, gdbwork_step' "$LOG"
pc=$(field PC "$LOG")
fn=$(field FN "$LOG")
check "pc at the breakpoint is gdbwork_step ($pc, $fn)" [ -n "$pc" ] && [ "$pc" = "$fn" ]
check "info registers: r0-r12, sp, lr, pc, cpsr" \
    [ "$(grep -cE '^(r[0-9]+|sp|lr|pc|cpsr) +0x' "$LOG")" -eq 17 ]
set -- $(sed -n 's/^PROGRESS //p' "$LOG")
check "vCPU 0 printed on while vCPU 1 was stopped (${1:-?} -> ${2:-?} lines)" \
    [ -n "$2" ] && [ "$2" -ge $(($1 + 5)) ]
check "vCPU 1 did not run while stopped" [ "$(field ROUNDS1 "$LOG")" = "$(field ROUNDS2 "$LOG")" ]
step=$(field STEP "$LOG")
check "stepi went one instruction on ($step)" [ -n "$pc" ] && [ "$step" = "$(printf %x $((0x$pc + 4)))" ]
check "write watchpoint hit" grep -q '^Hardware watchpoint 2: gdbwork_result' "$LOG"
check "watchpoint reports the new value" grep -q '^New value = ' "$LOG"
check "memory write through the stub" [ "$(field POKE "$LOG")" = 1234 ]
check "detached" grep -q 'detached' "$LOG"
rounds3=$(field ROUNDS3 "$LOG")

# After the detach vCPU 1 runs again: a second session finds its loop count higher.
cat >"$TMP/again.gdb" <<GDBEOF
target remote 127.0.0.1:$PORT
printf "ROUNDS4=%u\n", worker_rounds
detach
GDBEOF
wait_until grep -q 'GDB detached' "$ERR"
rounds4=
for i in 1 2 3 4 5 6 7 8 9 10; do # until vCPU 1 has been scheduled (bounded)
    run_gdb "$TMP/again.gdb" "$TMP/again.log"
    rounds4=$(field ROUNDS4 "$TMP/again.log")
    [ -n "$rounds4" ] && [ "$rounds4" -gt "${rounds3:-0}" ] && break
    sleep 0.1
done
check "vCPU 1 ran on after the detach ($rounds3 -> $rounds4)" \
    [ -n "$rounds4" ] && [ "$rounds4" -gt "${rounds3:-0}" ]

# Ctrl-C while vCPU 1 runs: a raw client sends 0x03 and must get a SIGINT stop.
cat >"$TMP/ctrlc.py" <<'PYEOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
def pkt(p):
    return b"$" + p + b"#" + b"%02x" % (sum(p) & 0xff)
def reply():
    buf = b""
    while b"$" not in buf or b"#" not in buf.split(b"$", 1)[1]:
        buf += s.recv(4096)
    return buf.split(b"$", 1)[1].split(b"#", 1)[0].decode()
s.sendall(pkt(b"?")); print("ATTACH", reply())
s.sendall(b"+" + pkt(b"vCont;c"))
time.sleep(0.2)
s.sendall(b"\x03"); print("CTRLC", reply())
s.sendall(b"+" + pkt(b"D")); print("DETACH", reply())
PYEOF
wait_until [ "$(grep -c 'GDB detached' "$ERR")" -ge 2 ]
timeout -k 5 30 "$PY" "$TMP/ctrlc.py" "$PORT" >"$TMP/ctrlc.log" 2>&1
check "Ctrl-C stops vCPU 1 with SIGINT" grep -q '^CTRLC T02thread:1;' "$TMP/ctrlc.log"
check "raw detach answered OK" grep -q '^DETACH OK' "$TMP/ctrlc.log"
check "the machine survived its debugger" kill -0 "$MPID"
check "both vCPU processes live" has_children "$MPID" 2
kill -TERM "$MPID"
reap "$MPID"
check "percore exits 0 on SIGTERM" [ "$STATUS" -eq 0 ]

# ---- the all-stop stub of the whole machine ----
gdb_machine allstop -gdb tcp::0
check "the all-stop stub printed its port" [ -n "$PORT" ]
wait_until grep -q 'progress 3' "$OUT"
cat >"$TMP/allstop.gdb" <<GDBEOF
set pagination off
target remote 127.0.0.1:$PORT
info threads
printf "ROUNDS1=%u\n", worker_rounds
shell sh $TMP/still.sh $OUT
printf "ROUNDS2=%u\n", worker_rounds
break *gdbwork_step
continue
printf "PC=%x\n", \$pc
printf "FN=%x\n", gdbwork_step
shell sh $TMP/still.sh $OUT
thread 1
printf "CPU0PC=%x\n", \$pc
delete
detach
GDBEOF
run_gdb "$TMP/allstop.gdb" "$TMP/allstop.log"
LOG=$TMP/allstop.log
check "info threads lists vCPU 0 and vCPU 1" \
    grep -q '^\* 1 *Thread 1 (vCPU 0)' "$LOG" && grep -q '^  2 *Thread 2 (vCPU 1)' "$LOG"
set -- $(sed -n 's/^STILL //p' "$LOG")
check "vCPU 0 held while GDB has the machine (${1:-?} -> ${2:-?} lines)" \
    [ -n "$2" ] && [ "$1" = "$2" ]
check "vCPU 1 held too" [ "$(field ROUNDS1 "$LOG")" = "$(field ROUNDS2 "$LOG")" ]
check "thread 2 hit the breakpoint" grep -q '^Thread 2 hit Breakpoint 1, gdbwork_step' "$LOG"
check "at gdbwork_step" [ -n "$(field PC "$LOG")" ] && [ "$(field PC "$LOG")" = "$(field FN "$LOG")" ]
set -- $(sed -n 's/^STILL //p' "$LOG" | sed -n 2p)
check "a breakpoint in vCPU 1 holds vCPU 0 too (${1:-?} -> ${2:-?} lines)" \
    [ -n "$2" ] && [ "$1" = "$2" ]
check "thread 1 has its own registers" [ -n "$(field CPU0PC "$LOG")" ] &&
    [ "$(field CPU0PC "$LOG")" != "$(field PC "$LOG")" ]
check "detached" grep -q 'detached' "$LOG"
before=$(progress)
wait_until [ "$(progress)" -ge $((before + 5)) ]
check "the machine runs again after the detach" [ "$(progress)" -ge $((before + 5)) ]
kill -TERM "$MPID"
reap "$MPID"
check "percore exits 0 on SIGTERM" [ "$STATUS" -eq 0 ]

done_testing
