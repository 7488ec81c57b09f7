# Bare-metal guests (tests/guest/): each tests/guest/NAME.expected is the exact console
# transcript of $BUILD/guest/NAME.elf. Every guest runs under qemu-system-arm, the
# reference, and under percore when it is named in PERCORE_GUESTS; its output, with \r
# removed, must equal the transcript, and the emulator must exit with status 0 (each
# guest ends with PSCI SYSTEM_OFF). A guest that reads the console gets
# tests/guest/NAME.input on stdin (others get /dev/null). Nothing is built here: `make guests` builds the ELFs
# before the tests run. Each run is bounded by GUEST_TIMEOUT seconds (default 60).

# Guests percore's CPU core runs, separated by spaces (the others are skipped).
PERCORE_GUESTS="hello align selfmod bigendian exceptions arith rtc echo"

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

GUEST_DIR=$(dirname "$0")/../guest
QEMU=${QEMU:-qemu-system-arm}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-60}

# comment FILE: a file's lines as TAP comments (at most 60).
comment() { head -n 60 "$1" | sed 's/^/# /'; }

# run_guest ENGINE NAME EMULATOR: one result line, with a diff on a mismatch.
run_guest() {
    engine=$1
    name=$2
    emu=$3
    elf=$BUILD/guest/$name.elf
    out=$TMP/$engine-$name
    if [ ! -f "$elf" ]; then
        not_ok "$engine $name: $elf is missing (\`make guests\` builds it)"
        return
    fi
    if ! command -v "$emu" >/dev/null 2>&1; then
        not_ok "$engine $name: $emu not found"
        return
    fi
    input=/dev/null
    [ -f "$GUEST_DIR/$name.input" ] && input=$GUEST_DIR/$name.input
    timeout -k 5 "$GUEST_TIMEOUT" "$emu" -M virt -cpu cortex-a15 -nographic -no-reboot \
        -kernel "$elf" <"$input" >"$out.raw" 2>"$out.err"
    status=$?
    tr -d '\r' <"$out.raw" >"$out.out"
    if [ "$status" -eq 0 ] && cmp -s "$GUEST_DIR/$name.expected" "$out.out"; then
        ok "$engine $name"
        return
    fi
    why="exit status $status"
    [ "$status" -eq 124 ] && why="timed out after ${GUEST_TIMEOUT}s"
    cmp -s "$GUEST_DIR/$name.expected" "$out.out" || why="$why, transcript differs"
    not_ok "$engine $name: $why"
    diff -u "$GUEST_DIR/$name.expected" "$out.out" >"$out.diff"
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
    name=$(basename "$exp" .expected)
    run_guest qemu "$name" "$QEMU"
    case " $PERCORE_GUESTS " in
    *" $name "*) run_guest percore "$name" "$PERCORE" ;;
    *) ok "percore $name # SKIP percore's CPU core does not run $name yet" ;;
    esac
done
[ "$found" -gt 0 ] || not_ok "no tests/guest/*.expected found"

# A guest without a transcript would never be checked.
for src in "$GUEST_DIR"/*.c; do
    [ -f "$src" ] || continue
    name=$(basename "$src" .c)
    [ -f "$GUEST_DIR/$name.expected" ] || not_ok "tests/guest/$name.c has no $name.expected"
done

done_testing
