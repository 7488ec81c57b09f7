# Host gdb on one vCPU process (docs/debugging.md): with --cpu-wait-attach=2, vCPU 2's
# process says its pid and waits while the other vCPUs run; a scripted gdb batch session
# attaches to it, reads its guest PC through core-proc/percore-gdb.py's percore-regs
# (it must be where PSCI CPU_ON sent it: smp_secondary_entry, which the waiting process
# took from its exit-request word meanwhile) and detaches; the guest then completes.
# (The guest's CPU 0 gives each CPU 5 s to arrive: gdb attaches at once.)
BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

ELF=$BUILD/guest/restart.elf
if [ ! -f "$ELF" ] || ! command -v gdb >/dev/null; then
    not_ok "$ELF or gdb is missing (make guests; mk/packages.txt has gdb)"
    done_testing
    exit
fi
entry=$(arm-none-eabi-nm "$ELF" | sed -n 's/^\([0-9a-f]*\) T smp_secondary_entry$/\1/p')

waiting() { grep -q 'vCPU 2: process [0-9]* waits for a debugger' "$TMP/run.log"; }
start_machine "$TMP/run.log" -smp 4 -m 256 -nographic -no-reboot --cpu-wait-attach=2 \
    -kernel "$ELF"
M=$MPID
check "vCPU 2's process says it waits for a debugger" wait_until waiting
pid=$(sed -n 's/.*vCPU 2: process \([0-9]*\) waits for a debugger.*/\1/p' "$TMP/run.log" | head -n 1)
check "  naming its own pid ($pid)" [ "$(comm_of "$pid")" = percore-cpu2 ]
timeout 60 gdb -batch -nx -p "$pid" -x core-proc/percore-gdb.py -ex percore-regs \
    -ex percore-state -ex detach >"$TMP/gdb.log" 2>&1
check "gdb attached and ran the helper commands" grep -q '^vCPU 2 guest registers:' "$TMP/gdb.log"
check "  the guest PC is smp_secondary_entry (0x$entry)" \
    grep -q "^pc  0x$entry  cpsr 0x[0-9a-f]* (svc, ARM)" "$TMP/gdb.log"
check "  the run state is read too" grep -q '^vCPU 2: running, exit requests' "$TMP/gdb.log"

WAIT_LIMIT=600 wait_until is_gone $M
if is_gone $M; then reap $M; else STATUS=timeout; kill -9 $M; fi
check "after the detach the guest completes (status $STATUS)" [ "$STATUS" = 0 ]
grep -v '^percore' "$TMP/run.log" | tr -d '\r' >"$TMP/transcript"
check "  with the transcript it has without a debugger" \
    diff -u tests/guest/restart-4.expected "$TMP/transcript"

done_testing
