# Crash recovery (docs/operations.md): --on-core-crash=restart brings a killed vCPU
# back in a new process that takes its state from the control region.
#  1. restart.elf (tests/guest/restart.c) counts with LDREX/STREX on 4 vCPUs while vCPU
#     processes are SIGKILLed at random moments of the counting: the guest finishes, each
#     CPU's own count is exact, and the shared word is at most one increment per kill
#     above their sum (a kill after a STREX succeeded re-runs its block: the residual
#     inexactness restart.c explains), never below it (nothing lost).
#  2. Every restart is reported with the guest registers and the policy's words.
#  3. Injected translator crashes (percorectl crash N translate) on every vCPU while it
#     counts are recovered exactly: the transcript is restart-4.expected to the letter.
#  4. A translation that crashes every time at one pc (translate-sticky) crashes twice,
#     then that pc is built in step mode and the guest finishes, exactly.
#  5. A crash loop (exec-sticky: every new process crashes at once) falls back to halt
#     after limit restarts; the machine keeps running and answers; disarmed and
#     restarted by hand (percorectl restart), the vCPU finishes the guest, exactly.
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
head_of "$TMP/kill.log" | grep -v '^percore' | grep -v '^ ' | grep -v '^/' >"$TMP/got"
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

CTL=$BUILD/percorectl
reports() { grep -c "$2" "$1"; }
# run_ctl NAME ARGS...: restart.elf under percore with a control socket, up to "counting".
run_ctl() {
    name=$1
    shift
    SOCK=$TMP/$name/sock
    start_machine "$TMP/$name.log" -smp 4 -m 256 -nographic -no-reboot -control "unix:$SOCK" \
        "$@" -kernel "$ELF"
    M=$MPID
    wait_until counting "$TMP/$name.log"
}
# finish NAME: waits for the machine's end; checks status 0 and the exact transcript.
finish() {
    WAIT_LIMIT=600 wait_until is_gone $M
    if is_gone $M; then reap $M; else STATUS=timeout; kill -9 $M; fi
    # (the log has the reports, and the dying processes' backtraces: percore-cpuN(...)
    # and /lib/...(...) lines)
    grep -v '^percore' "$TMP/$1.log" | grep -v '^ ' | grep -v '^/' | tr -d '\r' >"$TMP/$1.out"
    check "  the guest finishes (status $STATUS) with its exact transcript" \
        sh -c "[ '$STATUS' = 0 ] && diff -u '$EXPECTED' '$TMP/$1.out'"
}

run_ctl translate --on-core-crash=restart
want=0
for v in 1 2 3 0; do
    "$CTL" -c "$SOCK" crash $v translate >/dev/null
    want=$((want + 1))
    wait_until sh -c "[ \$(grep -c 'crashed in the translator' '$TMP/translate.log') -ge $want ]"
done
check "a translator crash injected into each vCPU is reported as one, state exact" \
    [ "$(reports "$TMP/translate.log" 'the block had not run, the state is exact')" -eq 4 ]
check "  with the block disassembled" grep -q '^    0x[0-9a-f]*:  [0-9a-f]\{8\}  [a-z]' "$TMP/translate.log"
check "  and a host backtrace" grep -q '^  host backtrace (addr2line' "$TMP/translate.log"
check "  whole, to its frames" grep -q '^    #3 ' "$TMP/translate.log"
"$CTL" -c "$SOCK" crashes >"$TMP/crashes.out"
check "  the control socket has the 4 reports" [ "$(grep -c '^--- crash report' "$TMP/crashes.out")" -eq 4 ]
finish translate

run_ctl sticky --on-core-crash=restart
"$CTL" -c "$SOCK" crash 2 translate-sticky >/dev/null
check "a sticky translator crash (the same pc each time) crashes vCPU 2 twice" \
    wait_until grep -q 'step mode for that pc from now on' "$TMP/sticky.log"
finish sticky
check "  and no more than twice" [ "$(reports "$TMP/sticky.log" 'killed by signal 11')" -eq 2 ]

run_ctl loop --on-core-crash=restart,limit=3,window=60
"$CTL" -c "$SOCK" crash 1 exec-sticky >/dev/null
check "a crash loop falls back to halt after 3 restarts" \
    wait_until grep -q 'on-core-crash=restart: 3 restarts within 60 s, a crash loop: falling back to halt: vCPUs 0,2,3 keep running' "$TMP/loop.log"
check "  after exactly 4 crashes" [ "$(reports "$TMP/loop.log" 'killed by signal 11')" -eq 4 ]
"$CTL" -c "$SOCK" status >"$TMP/status.out"
check "  the machine answers, vCPU 1 crashed" grep -q '^  1  crashed' "$TMP/status.out"
"$CTL" -c "$SOCK" crash 1 none >/dev/null
"$CTL" -c "$SOCK" restart 1 >/dev/null
check "  disarmed and restarted by hand, vCPU 1 runs" \
    wait_until sh -c "'$CTL' -c '$SOCK' status | grep -q '^  1  running'"
finish loop

done_testing
