# Dead-holder safety of the cross-vCPU protocols: hammer.elf (tests/guest/hammer.c) has
# every vCPU doing LDREX/STREX, plain stores to the marked granule, TLBIALLIS + DSB and
# ICIALLUIS + DSB, while CPU 0 finishes on its own. Here vCPU processes are killed with
# SIGKILL at varied moments of the run: whatever protocol they were in the middle of (a
# held monitor bucket, a maintenance request not acknowledged, a page watch), CPU 0
# must still finish and the machine power off with status 0 (--on-core-crash=halt).
# Then the same with a vCPU stopped (SIGSTOP) instead of killed: it is not dead, so a
# DSB waits for it as the architecture says — until it is continued.
BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

ELF=$BUILD/guest/hammer.elf
if [ ! -f "$ELF" ]; then
    not_ok "$ELF is missing (make guests builds it)"
    done_testing
    exit
fi

for delay in 0.05 0.15 0.3 0.5 0.8; do
    start_machine "$TMP/kill-$delay.log" -smp 4 -nographic -no-reboot -kernel "$ELF"
    M=$MPID
    wait_until has_children $M 4
    sleep "$delay"
    for v in 2 3; do
        p=$(pgrep -P $M -x percore-cpu$v)
        [ -n "$p" ] && kill -9 "$p"
    done
    WAIT_LIMIT=600 wait_until is_gone $M
    if is_gone $M; then reap $M; else STATUS=timeout; kill -9 $M; fi
    check "vCPUs 2 and 3 killed after ${delay}s: CPU 0 finishes (status $STATUS)" \
        grep -q "cpu 0 done" "$TMP/kill-$delay.log"
    check "  and the machine powers off with status 0" [ "$STATUS" = 0 ]
    check "  the deaths are reported" grep -q "killed by signal 9" "$TMP/kill-$delay.log"
done

start_machine "$TMP/stop.log" -smp 4 -nographic -no-reboot -kernel "$ELF"
M=$MPID
wait_until has_children $M 4
sleep 0.2
p=$(pgrep -P $M -x percore-cpu2)
kill -STOP "$p"
sleep 2
check "a SIGSTOPped vCPU holds CPU 0's DSB (the architecture's wait)" \
    sh -c "! grep -q 'cpu 0 done' '$TMP/stop.log'"
kill -CONT "$p"
WAIT_LIMIT=600 wait_until is_gone $M
if is_gone $M; then reap $M; else STATUS=timeout; kill -9 $M; fi
check "continued, it lets CPU 0 finish (status $STATUS)" grep -q "cpu 0 done" "$TMP/stop.log"

done_testing
