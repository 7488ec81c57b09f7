# Bare-metal guests (tests/guest/): each tests/guest/RUN.expected is the exact console
# transcript of one run of a guest ELF. Every run is made under qemu-system-arm, the
# reference, and under percore when RUN is named in PERCORE_GUESTS, with the same
# arguments; its output, with \r removed, must equal the transcript, and the emulator
# must exit with status 0 (each guest ends with PSCI SYSTEM_OFF).
#
# RUN names the ELF and the number of CPUs:
#   NAME.expected    $BUILD/guest/NAME.elf, without -smp (one CPU);
#   NAME-N.expected  (N a decimal number) $BUILD/guest/NAME.elf with -smp N, so that
#                    smp-1, smp-2, smp-4 and smp-8 are four runs of smp.elf.
# The arguments are -M virt -cpu cortex-a15 -nographic, then the extra arguments, then
# -smp N if RUN asks for it, then -kernel ELF. The extra arguments are -no-reboot unless
# tests/guest/RUN.args or else tests/guest/NAME.args exists: then they are that file's
# words, with #-comments removed (an empty list is allowed: reset.args drops -no-reboot
# so that the guest's SYSTEM_RESET restarts it). A guest that reads the console gets
# RUN.input or else NAME.input on stdin (others get /dev/null).
#
# Where qemu-system-arm 7.2 departs from the architecture in a way a whole run depends on
# (its STREX is a compare-and-swap, so it gets llscaba's ABA cases wrong), the run has a
# tests/guest/RUN.qemu-differs or else NAME.qemu-differs: then the run is not made under
# qemu, and its qemu result reads "ok N - qemu RUN # SKIP qemu-system-arm differs: " and the
# file's first line; the rest of the file says what qemu prints instead. The transcript
# is still the architecture's, and percore must match it.
#
# Nothing is built here: `make guests` builds the ELFs before the tests run. Each run is
# bounded by GUEST_TIMEOUT seconds (default 60). Every tests/guest/NAME.c must have a
# NAME.expected or a NAME-N.expected.

# Runs percore makes (RUN names, as smp-4), separated by spaces (the others are skipped).
PERCORE_GUESTS="hello align selfmod bigendian exceptions arith rtc echo devirq smp-1 smp-2 smp-4 smp-8 ipi-4 timer-2 gic-2 cpuoff-2 reset-2 wfi-2 spinlock-4 llsc-4 llsc-8 llscaba-4 xmodify-2 hammer-4 mmu xtlb-2 restart-4 gdbwork-2"

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

GUEST_DIR=$(dirname "$0")/../guest
QEMU=${QEMU:-qemu-system-arm}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-60}

# comment FILE: a file's lines as TAP comments (at most 60).
comment() { head -n 60 "$1" | sed 's/^/# /'; }

# guest_file RUN NAME EXT: tests/guest/RUN.EXT, or else NAME.EXT; nothing if neither.
guest_file() {
    for f in "$GUEST_DIR/$1.$3" "$GUEST_DIR/$2.$3"; do
        if [ -f "$f" ]; then
            echo "$f"
            return
        fi
    done
}

# guest_name RUN: the guest that RUN runs (NAME for NAME-N, N a number; else RUN).
guest_name() {
    case ${1##*-} in
    "$1" | "" | *[!0-9]*) echo "$1" ;;
    *) echo "${1%-*}" ;;
    esac
}

# run_guest ENGINE RUN EMULATOR: one result line, with a diff on a mismatch.
run_guest() {
    engine=$1
    run=$2
    emu=$3
    # NAME-N: NAME.elf with -smp N
    name=$(guest_name "$run")
    smp=
    [ "$name" = "$run" ] || smp="-smp ${run##*-}"
    elf=$BUILD/guest/$name.elf
    out=$TMP/$engine-$run
    if [ ! -f "$elf" ]; then
        not_ok "$engine $run: $elf is missing (\`make guests\` builds it)"
        return
    fi
    if ! command -v "$emu" >/dev/null 2>&1; then
        not_ok "$engine $run: $emu not found"
        return
    fi
    input=$(guest_file "$run" "$name" input)
    [ -n "$input" ] || input=/dev/null
    extra=-no-reboot
    argsfile=$(guest_file "$run" "$name" args)
    [ -z "$argsfile" ] || extra=$(sed 's/#.*//' "$argsfile")
    # $extra and $smp are split into words on purpose.
    # shellcheck disable=SC2086
    timeout -k 5 "$GUEST_TIMEOUT" "$emu" -M virt -cpu cortex-a15 -nographic $extra $smp \
        -kernel "$elf" <"$input" >"$out.raw" 2>"$out.err"
    status=$?
    tr -d '\r' <"$out.raw" >"$out.out"
    if [ "$status" -eq 0 ] && cmp -s "$GUEST_DIR/$run.expected" "$out.out"; then
        ok "$engine $run"
        return
    fi
    why="exit status $status"
    [ "$status" -eq 124 ] && why="timed out after ${GUEST_TIMEOUT}s"
    cmp -s "$GUEST_DIR/$run.expected" "$out.out" || why="$why, transcript differs"
    not_ok "$engine $run: $why"
    diff -u "$GUEST_DIR/$run.expected" "$out.out" >"$out.diff"
    comment "$out.diff"
    if [ -s "$out.err" ]; then
        echo "# stderr:"
        comment "$out.err"
    fi
}

found=0
for exp in "$GUEST_DIR"/*.expected; do
    [ -f "$exp" ] || continue
    found=$((found + 1))
    run=$(basename "$exp" .expected)
    differs=$(guest_file "$run" "$(guest_name "$run")" qemu-differs)
    if [ -n "$differs" ]; then
        ok "qemu $run # SKIP qemu-system-arm differs: $(head -n 1 "$differs")"
    else
        run_guest qemu "$run" "$QEMU"
    fi
    case " $PERCORE_GUESTS " in
    *" $run "*) run_guest percore "$run" "$PERCORE" ;;
    *) ok "percore $run # SKIP percore's CPU core does not run $run yet" ;;
    esac
done
[ "$found" -gt 0 ] || not_ok "no tests/guest/*.expected found"

# A guest without a transcript would never be checked.
for src in "$GUEST_DIR"/*.c; do
    [ -f "$src" ] || continue
    name=$(basename "$src" .c)
    has=
    for exp in "$GUEST_DIR/$name.expected" "$GUEST_DIR/$name"-*.expected; do
        [ -f "$exp" ] || continue
        suffix=${exp#"$GUEST_DIR/$name"}
        suffix=${suffix%.expected}
        case ${suffix#-} in
        *[!0-9]*) ;; # NAME-x-y.expected belongs to another guest
        *) has=1 ;;
        esac
    done
    [ -n "$has" ] || not_ok "tests/guest/$name.c has no $name.expected or $name-N.expected"
done

done_testing
