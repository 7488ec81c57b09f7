# Crash recovery (docs/operations.md): --on-core-crash=restart brings a killed vCPU
# back in a new process that takes its state from the control region.
#  1. restart.elf (tests/guest/restart.c) counts with LDREX/STREX on 4 vCPUs while vCPU
#     processes are SIGKILLed at random moments of the counting: the guest finishes, each
#     CPU's own count is exact, and the shared word is at most one increment per kill
#     above their sum (a kill after a STREX succeeded re-runs its block: the residual
#     inexactness restart.c explains), never below it (nothing lost).
#  2. Every restart is reported with the guest registers and the policy's words.
BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

ELF=$BUILD/guest/restart.elf
EXPECTED=tests/guest/restart-4.expected
if [ ! -f "$ELF" ]; then
    not_ok "$ELF is missing (make guests builds it)"
    done_testing
    exit
fi

# The transcript but its last line (the shared word's), which a kill may change.
head_of() { grep -v '^shared word' "$1" | tr -d '\r'; }
counting() { grep -q '^counting' "$1"; }

kills=0
start_machine "$TMP/kill.log" -smp 4 -m 256 -nographic -no-reboot --on-core-crash=restart \
    -kernel "$ELF"
M=$MPID
wait_until counting "$TMP/kill.log"
# Six kills at random moments in the first ~1.2 s of the counting (which lasts longer
# than that even in the release build), on random vCPUs, vCPU 0 included.
for i in 1 2 3 4 5 6; do
    sleep "0.$(shuf -i 3-15 -n 1 | awk '{printf "%02d", $1}')"
    grep -q '^shared word' "$TMP/kill.log" && break
    v=$(shuf -i 0-3 -n 1)
    p=$(pgrep -P $M -x "percore-cpu$v")
    [ -n "$p" ] && kill -9 "$p" && kills=$((kills + 1))
done
WAIT_LIMIT=600 wait_until is_gone $M
if is_gone $M; then reap $M; else STATUS=timeout; kill -9 $M; fi
check "killed $kills times while counting, the guest finishes (status $STATUS)" [ "$STATUS" = 0 ]
check "  at least 3 kills landed while it counted" [ "$kills" -ge 3 ]
head_of "$EXPECTED" >"$TMP/want"
head_of "$TMP/kill.log" | grep -v '^percore' | grep -v '^ ' >"$TMP/got"
check "  every CPU's own count is exact" diff -u "$TMP/want" "$TMP/got"
line=$(grep '^shared word' "$TMP/kill.log" | tr -d '\r')
extra=0
case "$line" in
*"the sum of the CPUs' counts") extra=0 ;;
*"above the sum"*) extra=$(echo "$line" | sed 's/.*, \([0-9]*\) above.*/\1/') ;;
*) extra=lost ;;
esac
check "  the shared word lost nothing and is at most $kills above the sum ($line)" \
    sh -c "[ '$extra' != lost ] && [ '$extra' -le '$kills' ]"
check "  each kill is reported with the policy's words" \
    [ "$(grep -c 'killed by signal 9 (SIGKILL); last PC=0x[0-9a-f]* CPSR=0x[0-9a-f]*; on-core-crash=restart: starting a new process' "$TMP/kill.log")" -eq "$kills" ]
check "  and the guest registers" grep -q '^    r0 =' "$TMP/kill.log"

done_testing
