# Supervision: five processes for -smp 4, a vCPU killed with SIGKILL is reported
# while the others run on, SIGTERM then stops the machine cleanly; with
# --on-core-crash=poweroff the same kill stops the machine with a non-zero status.
BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

start_machine "$TMP/halt.log" -smp 4 -m 256 -nographic -S
M=$MPID
check "-smp 4 starts four vCPU processes" wait_until has_children $M 4
check "the coordinator is titled percore-coord" [ "$(comm_of $M)" = percore-coord ]
titles=$(for p in $(children $M); do comm_of $p; done | sort | tr '\n' ' ')
check "vCPU processes are titled percore-cpu0..3 ($titles)" \
    [ "$titles" = "percore-cpu0 percore-cpu1 percore-cpu2 percore-cpu3 " ]

victim=$(pgrep -P $M -x percore-cpu2)
others=$(children $M | grep -vx "$victim" | tr '\n' ' ')
kill -9 "$victim"
check "the coordinator reports the dead vCPU" \
    wait_until grep -q "vCPU 2 (pid $victim) killed by signal 9 (SIGKILL); last PC=0x" "$TMP/halt.log"
check "the report names the policy and the survivors" \
    grep -q "on-core-crash=halt: vCPUs 0,1,3 keep running" "$TMP/halt.log"
alive=0
for p in $others; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
check "the three other vCPU processes stay alive ($others)" [ $alive -eq 3 ]
check "the coordinator stays alive" kill -0 $M
kill -TERM $M
reap $M
check "SIGTERM stops the machine with status 0 (got $STATUS)" [ "$STATUS" -eq 0 ]
gone=0
for p in $others; do is_gone "$p" && gone=$((gone + 1)); done
check "every vCPU process is gone after the stop" [ $gone -eq 3 ]
check "no shared-memory object is left" no_shm_of $M

# Any vCPU, including the boot CPU, may die without taking the machine down.
start_machine "$TMP/cpu0.log" -smp 2 -m 64
M=$MPID
wait_until has_children $M 2
kill -9 "$(pgrep -P $M -x percore-cpu0)"
check "killing vCPU 0 is reported" wait_until grep -q "vCPU 0 (pid" "$TMP/cpu0.log"
check "vCPU 1 and the coordinator live on" has_children $M 1
kill -INT $M
reap $M
check "SIGINT stops the machine with status 0 (got $STATUS)" [ "$STATUS" -eq 0 ]

start_machine "$TMP/poweroff.log" -smp 4 -m 256 -nographic --on-core-crash=poweroff
M=$MPID
wait_until has_children $M 4
victim=$(pgrep -P $M -x percore-cpu1)
kids=$(children $M)
kill -9 "$victim"
check "with poweroff the machine stops by itself" wait_until is_gone $M
reap $M
check "with poweroff percore exits non-zero (got $STATUS)" [ "$STATUS" -ne 0 ]
check "the poweroff report names the policy" \
    grep -q "vCPU 1 (pid $victim) killed by signal 9 (SIGKILL).*on-core-crash=poweroff" \
    "$TMP/poweroff.log"
left=0
for p in $kids; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
check "no vCPU process outlives the poweroff" [ $left -eq 0 ]
check "no shared-memory object is left after poweroff" no_shm_of $M

# A hung vCPU (stopped, never answering) cannot wedge the machine's stop: after the
# grace period the coordinator kills it and says so (invariant 5).
start_machine "$TMP/hung.log" -smp 2 -m 64
M=$MPID
wait_until has_children $M 2
hung=$(pgrep -P $M -x percore-cpu1)
kill -STOP "$hung"
kill -TERM $M
check "a machine with a hung vCPU still stops" wait_until is_gone $M
reap $M
check "it stops with status 0 (got $STATUS)" [ "$STATUS" -eq 0 ]
check "the hung vCPU is named in the log" grep -q "vCPU 1 (pid $hung) did not stop in time" "$TMP/hung.log"
check "the hung vCPU process is gone" wait_until is_gone "$hung"
check "no shared-memory object is left" no_shm_of $M
# Ctrl-C on a terminal sends SIGINT to the whole process group, timeout(1) SIGTERM: the
# vCPUs must not die of either; the coordinator stops the machine cleanly.
for sig in INT TERM; do
    setsid "$PERCORE" -smp 4 -m 64 -d sup >"$TMP/pgrp-$sig.log" 2>&1 </dev/null &
    M=$!
    PIDS="$PIDS $M"
    wait_until has_children $M 4
    kill -$sig -"$M"
    reap $M
    check "SIG$sig to the process group stops the machine with status 0 (got $STATUS)" \
        [ "$STATUS" -eq 0 ]
    check "and no vCPU is reported as crashed" sh -c "! grep -q 'killed by signal' '$TMP/pgrp-$sig.log'"
    check "every vCPU exited by itself (asked to), none died of the SIG$sig" \
        [ "$(grep -c 'vCPU [0-3]: process [0-9]* exited$' "$TMP/pgrp-$sig.log")" -eq 4 ]
done

# A closed stderr (percore ... 2>&1 | head) is not a reason to die and leak objects.
"$PERCORE" -smp 1 -m 16 -D "$TMP/pipe-marker.log" 2>&1 </dev/null | true &
wait_until pgrep -f "pipe-marker.log" >/dev/null
P=$(pgrep -f "^$PERCORE -smp 1 -m 16 -D $TMP/pipe-marker.log" | head -n 1)
check "with its stderr closed the machine keeps running" wait_until has_children "$P" 1
kill -TERM "$P"
check "and still stops, leaving no object" wait_until is_gone "$P"
check "no object of it is left" no_shm_of "$P"
done_testing
