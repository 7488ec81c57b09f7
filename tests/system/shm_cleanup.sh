# Shared memory leaves nothing behind: after a normal stop, after SIGTERM, and after
# SIGKILL of the coordinator once the next machine has started. A machine that is
# alive keeps its objects when another machine starts.
BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

for sig in INT TERM HUP; do
    start_machine "$TMP/$sig.log" -smp 2 -m 32
    M=$MPID
    wait_until has_children $M 2
    check "SIG$sig: the machine has its RAM and control objects" [ "$(shm_of $M | wc -l)" -eq 2 ]
    kill -$sig $M
    reap $M
    check "SIG$sig: status 0 (got $STATUS)" [ "$STATUS" -eq 0 ]
    check "SIG$sig: no object is left" no_shm_of $M
done

# A failed start (the vCPU binary cannot run) unwinds too.
mkdir "$TMP/bin"
cp "$PERCORE" "$TMP/bin/percore"
"$TMP/bin/percore" -smp 1 -m 16 >"$TMP/fail.log" 2>&1 </dev/null &
F=$!
reap $F
check "a machine whose vCPU binary is missing fails with status 1 (got $STATUS)" [ "$STATUS" -eq 1 ]
check "it says which binary it could not start" grep -q "cannot start vCPU 0 process '$TMP/bin/percore-cpu'" "$TMP/fail.log"
check "and leaves no object behind" no_shm_of $F

# SIGKILL of the coordinator: its vCPU processes die with it (death signal), its
# objects stay until the next machine starts and removes them.
start_machine "$TMP/killed.log" -smp 4 -m 64
K=$MPID
wait_until has_children $K 4
kids=$(children $K)
start_machine "$TMP/alive.log" -smp 1 -m 16
A=$MPID
wait_until has_children $A 1
kill -9 $K
reap $K
left=0
for p in $kids; do wait_until is_gone "$p" || left=$((left + 1)); done
check "the vCPU processes of a SIGKILLed coordinator exit" [ $left -eq 0 ]
check "a SIGKILLed coordinator leaves its two objects" [ "$(shm_of $K | wc -l)" -eq 2 ]
start_machine "$TMP/next.log" -smp 1 -m 16 -d shm
N=$MPID
wait_until has_children $N 1
check "the next machine removes the dead machine's objects" no_shm_of $K
check "and says so under -d shm" grep -q "removed stale /percore-$K-" "$TMP/next.log"
check "a live machine's objects are left alone" [ "$(shm_of $A | wc -l)" -eq 2 ]
kill -TERM $A $N
reap $A
reap $N
check "both live machines then stop cleanly" no_shm_of $A
check "leaving nothing" no_shm_of $N
done_testing
