# The device tree and the boot that goes with it. `-machine virt,dumpdtb=FILE` writes
# the tree and exits 0; decompiled with dtc, it must hold every node and property the
# board issue lists, with the right values, and (where qemu-system-arm is installed)
# the same nodes, properties, values and order as qemu's own dumpdtb for the same
# command line, less the devices percore's board does not have and the random seeds.
# Malformed -dtb files are refused with one line and status 2. A raw guest, assembled
# here, prints the registers and what it finds at r2 and at the initrd, under percore
# and under qemu: the transcripts must be the same.
BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

QEMU=${QEMU:-qemu-system-arm}
have_qemu=false
command -v "$QEMU" >/dev/null 2>&1 && have_qemu=true
# Nodes of qemu's tree for devices percore's board does not have (yet).
LACKS='^/(flash@0|fw-cfg@9020000|gpio-keys|intc@8000000/v2m@8020000|pcie@10000000|pl061@9030000|platform-bus@c000000|pmu|virtio_mmio@[0-9a-f]*)( |/)'

comment() { sed 's/^/# /' "$1" | head -n 40; }

# flatten DTS: dtc's output as one line per property ("PATH PROPERTY-LINE") and one
# per node ("PATH {"), so that greps and diffs see whole entries.
flatten() {
    awk '
    /^\/dts-v1\/;/ || /^[ \t]*$/ { next }
    /\{$/ {
        name = $0; sub(/^[ \t]*/, "", name); sub(/ \{$/, "", name)
        if (name == "/") { depth = 0 } else { depth++; path[depth] = path[depth - 1] "/" name }
        print (depth ? path[depth] : "/") " {"
        next
    }
    /^[ \t]*\};$/ { depth--; next }
    { line = $0; sub(/^[ \t]*/, "", line); print (depth ? path[depth] : "/") " " line }
    ' "$1"
}

# dump NAME EMULATOR ARGS...: writes $TMP/NAME.flat from EMULATOR's dumpdtb; false
# (with a result) when it fails.
dump() {
    name=$1 emu=$2
    shift 2
    rm -f "$TMP/$name.dtb"
    "$emu" -M virt,dumpdtb="$TMP/$name.dtb" "$@" </dev/null >"$TMP/$name.out" 2>&1
    status=$?
    if [ $status -ne 0 ] || [ ! -s "$TMP/$name.dtb" ]; then
        not_ok "$name: $emu dumpdtb: status $status"
        comment "$TMP/$name.out"
        return 1
    fi
    if ! dtc -I dtb -O dts -q -o "$TMP/$name.dts" "$TMP/$name.dtb" 2>"$TMP/$name.dtc"; then
        not_ok "$name: dtc cannot decompile the tree"
        comment "$TMP/$name.dtc"
        return 1
    fi
    flatten "$TMP/$name.dts" >"$TMP/$name.flat"
}

# expect_tree NAME: every line of $TMP/NAME.want is in $TMP/NAME.flat; one result
# per node.
expect_tree() {
    for path in $(cut -d' ' -f1 "$TMP/$1.want" | uniq); do
        grep "^$path " "$TMP/$1.want" | while IFS= read -r line; do
            grep -qxF -- "$line" "$TMP/$1.flat" || echo "$line"
        done >"$TMP/missing"
        if [ -s "$TMP/missing" ]; then
            not_ok "$1: $path"
            sed 's/^/# missing: /' "$TMP/missing"
        else
            ok "$1: $path"
        fi
    done
}

# same_as_qemu NAME ARGS...: percore's tree (NAME.flat, dumped with ARGS) against
# qemu's for ARGS, seeds left out.
same_as_qemu() {
    case=$1
    shift
    if ! $have_qemu; then
        ok "$case: same as qemu-system-arm # SKIP $QEMU not found"
        return
    fi
    dump "$case-qemu" "$QEMU" -cpu cortex-a15 "$@" || return
    grep -v -e ' rng-seed = ' -e ' kaslr-seed = ' "$TMP/$case.flat" >"$TMP/p"
    grep -v -e ' rng-seed = ' -e ' kaslr-seed = ' "$TMP/$case-qemu.flat" | grep -Ev "$LACKS" >"$TMP/q"
    if cmp -s "$TMP/p" "$TMP/q"; then
        ok "$case: the same nodes, properties and order as qemu-system-arm's"
    else
        not_ok "$case: differs from qemu-system-arm's tree (< percore, > qemu)"
        diff "$TMP/p" "$TMP/q" >"$TMP/d"
        comment "$TMP/d"
    fi
}

if ! command -v dtc >/dev/null 2>&1; then
    not_ok "dtc not found (Debian: device-tree-compiler, in mk/packages.txt)"
    done_testing
    exit 1
fi

printf 'kernel' >"$TMP/kernel.bin"
printf 'INIT' >"$TMP/initrd"
head -c 2999996 /dev/zero >>"$TMP/initrd" # 3000000 bytes: ends at 0x482dc6c0

# ---- -smp 4 -m 512 -append: every node and property of the issue -------------------

cat >"$TMP/virt.want" <<'EOF'
/ compatible = "linux,dummy-virt";
/ model = "linux,dummy-virt";
/ #address-cells = <0x02>;
/ #size-cells = <0x02>;
/ interrupt-parent = <0x8005>;
/memory@40000000 device_type = "memory";
/memory@40000000 reg = <0x00 0x40000000 0x00 0x20000000>;
/cpus #address-cells = <0x01>;
/cpus #size-cells = <0x00>;
/cpus/cpu@0 device_type = "cpu";
/cpus/cpu@0 compatible = "arm,cortex-a15";
/cpus/cpu@0 enable-method = "psci";
/cpus/cpu@0 reg = <0x00>;
/cpus/cpu@1 device_type = "cpu";
/cpus/cpu@1 compatible = "arm,cortex-a15";
/cpus/cpu@1 enable-method = "psci";
/cpus/cpu@1 reg = <0x01>;
/cpus/cpu@2 device_type = "cpu";
/cpus/cpu@2 compatible = "arm,cortex-a15";
/cpus/cpu@2 enable-method = "psci";
/cpus/cpu@2 reg = <0x02>;
/cpus/cpu@3 device_type = "cpu";
/cpus/cpu@3 compatible = "arm,cortex-a15";
/cpus/cpu@3 enable-method = "psci";
/cpus/cpu@3 reg = <0x03>;
/psci compatible = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";
/psci method = "hvc";
/psci cpu_suspend = <0x84000001>;
/psci cpu_off = <0x84000002>;
/psci cpu_on = <0x84000003>;
/psci migrate = <0x84000005>;
/timer compatible = "arm,armv7-timer";
/timer always-on;
/timer interrupts = <0x01 0x0d 0xf04 0x01 0x0e 0xf04 0x01 0x0b 0xf04 0x01 0x0a 0xf04>;
/intc@8000000 compatible = "arm,cortex-a15-gic";
/intc@8000000 reg = <0x00 0x8000000 0x00 0x10000 0x00 0x8010000 0x00 0x10000>;
/intc@8000000 #interrupt-cells = <0x03>;
/intc@8000000 interrupt-controller;
/intc@8000000 phandle = <0x8005>;
/apb-pclk compatible = "fixed-clock";
/apb-pclk #clock-cells = <0x00>;
/apb-pclk clock-frequency = <0x16e3600>;
/apb-pclk clock-output-names = "clk24mhz";
/apb-pclk phandle = <0x8000>;
/pl011@9000000 compatible = "arm,pl011\0arm,primecell";
/pl011@9000000 reg = <0x00 0x9000000 0x00 0x1000>;
/pl011@9000000 interrupts = <0x00 0x01 0x04>;
/pl011@9000000 clocks = <0x8000 0x8000>;
/pl011@9000000 clock-names = "uartclk\0apb_pclk";
/pl031@9010000 compatible = "arm,pl031\0arm,primecell";
/pl031@9010000 reg = <0x00 0x9010000 0x00 0x1000>;
/pl031@9010000 interrupts = <0x00 0x02 0x04>;
/pl031@9010000 clocks = <0x8000>;
/pl031@9010000 clock-names = "apb_pclk";
/chosen bootargs = "console=ttyAMA0";
/chosen stdout-path = "/pl011@9000000";
EOF
cat >"$TMP/virt.nodes" <<'EOF'
/ {
/apb-pclk {
/chosen {
/cpus {
/cpus/cpu-map {
/cpus/cpu-map/socket0 {
/cpus/cpu-map/socket0/cluster0 {
/cpus/cpu-map/socket0/cluster0/core0 {
/cpus/cpu-map/socket0/cluster0/core1 {
/cpus/cpu-map/socket0/cluster0/core2 {
/cpus/cpu-map/socket0/cluster0/core3 {
/cpus/cpu@0 {
/cpus/cpu@1 {
/cpus/cpu@2 {
/cpus/cpu@3 {
/intc@8000000 {
/memory@40000000 {
/pl011@9000000 {
/pl031@9010000 {
/psci {
/timer {
EOF

VIRT_ARGS="-smp 4 -m 512 -kernel $TMP/kernel.bin"
if dump virt "$PERCORE" $VIRT_ARGS -append console=ttyAMA0; then
    check "virt: dumpdtb says where it wrote the tree, as qemu does" \
        grep -q "dtb dumped to $TMP/virt.dtb. Exiting." "$TMP/virt.out"
    expect_tree virt
    grep ' {$' "$TMP/virt.flat" | sort >"$TMP/nodes"
    check "virt: no other node" cmp -s "$TMP/nodes" "$TMP/virt.nodes"
    check "virt: no initrd named in /chosen" sh -c "! grep -q 'linux,initrd' '$TMP/virt.flat'"
    check "virt: /chosen has an rng-seed of 32 bytes" \
        grep -Eqx '/chosen rng-seed = <(0x[0-9a-f]+ ){7}0x[0-9a-f]+>;' "$TMP/virt.flat"
    check "virt: /chosen has a kaslr-seed of 8 bytes" \
        grep -Eqx '/chosen kaslr-seed = <0x[0-9a-f]+ 0x[0-9a-f]+>;' "$TMP/virt.flat"
    same_as_qemu virt $VIRT_ARGS -append console=ttyAMA0
fi

# ---- with -initrd: its range in /chosen ------------------------------------------

cp "$TMP/virt.want" "$TMP/initrd.want"
cat >>"$TMP/initrd.want" <<'EOF'
/chosen linux,initrd-start = <0x48000000>;
/chosen linux,initrd-end = <0x482dc6c0>;
EOF
if dump initrd "$PERCORE" $VIRT_ARGS -initrd "$TMP/initrd" -append console=ttyAMA0; then
    expect_tree initrd
    same_as_qemu initrd $VIRT_ARGS -initrd "$TMP/initrd" -append console=ttyAMA0
fi

# ---- other shapes of the machine, against qemu ------------------------------------

# One CPU (no enable-method, timer mask 0x1) and no kernel; eight CPUs and 3 GiB; an
# empty -append (no bootargs).
if dump smp1 "$PERCORE" -smp 1 -m 128; then
    check "smp1: one CPU has no enable-method" sh -c "! grep -q enable-method '$TMP/smp1.flat'"
    check "smp1: the timer's PPIs go to CPU 0 only" grep -qxF \
        '/timer interrupts = <0x01 0x0d 0x104 0x01 0x0e 0x104 0x01 0x0b 0x104 0x01 0x0a 0x104>;' \
        "$TMP/smp1.flat"
    same_as_qemu smp1 -smp 1 -m 128
fi
if dump smp8 "$PERCORE" -smp 8 -m 3G; then
    check "smp8: 3 GiB of memory" grep -qxF \
        '/memory@40000000 reg = <0x00 0x40000000 0x00 0xc0000000>;' "$TMP/smp8.flat"
    same_as_qemu smp8 -smp 8 -m 3G
fi
if dump noargs "$PERCORE" -m 256 -kernel "$TMP/kernel.bin" -append ""; then
    check "noargs: an empty -append adds no bootargs" sh -c "! grep -q bootargs '$TMP/noargs.flat'"
    same_as_qemu noargs -m 256 -kernel "$TMP/kernel.bin" -append ""
fi

# ---- -dtb FILE: qemu replaces the memory nodes and /psci, and fills /chosen ----------
# (mine.dtb: the user's file; user.dtb is what percore dumps for it)

cat >"$TMP/mine.dts" <<'EOF'
/dts-v1/;
/ {
	#address-cells = <1>;
	#size-cells = <1>;
	compatible = "test,board";
	memory { device_type = "memory"; reg = <0x90000000 0x1000>; };
	memory@80000000 { device_type = "memory"; reg = <0x80000000 0x1000>; };
	psci { compatible = "arm,psci"; method = "smc"; cpu_on = <0x1234>; };
	chosen { bootargs = "old"; foo = "bar"; };
	soc { #address-cells = <1>; #size-cells = <1>; memory@1 { reg = <1 1>; }; };
};
EOF
dtc -I dts -O dtb -q -o "$TMP/mine.dtb" "$TMP/mine.dts"
cat >"$TMP/user.want" <<'EOF'
/ compatible = "test,board";
/memory@40000000 reg = <0x40000000 0x20000000>;
/memory@40000000 device_type = "memory";
/psci method = "hvc";
/psci cpu_on = <0x84000003>;
/chosen bootargs = "new args";
/chosen foo = "bar";
/chosen linux,initrd-start = <0x48000000>;
/chosen linux,initrd-end = <0x482dc6c0>;
/soc/memory@1 reg = <0x01 0x01>;
EOF
USER_ARGS="-m 512 -kernel $TMP/kernel.bin -dtb $TMP/mine.dtb -initrd $TMP/initrd"
if dump user "$PERCORE" $USER_ARGS -append "new args"; then
    expect_tree user
    check "user: its own memory nodes are gone" sh -c \
        "! grep -qE '^/memory( |@80000000)' '$TMP/user.flat'"
    same_as_qemu user $USER_ARGS -append "new args"
fi

# ---- malformed -dtb files and -machine properties: one line, status 2 -------------

# bad STATUS TEXT ARGS...: percore exits with STATUS and one stderr line holding TEXT.
bad() {
    want=$1 text=$2
    shift 2
    "$PERCORE" "$@" </dev/null >"$TMP/out" 2>"$TMP/err"
    status=$?
    lines=$(wc -l <"$TMP/err")
    if [ $status -eq "$want" ] && [ "$lines" -eq 1 ] && grep -qF -- "$text" "$TMP/err"; then
        ok "refused: $(cat "$TMP/err")"
    else
        not_ok "$*: status $status, $lines lines (wanted $want, '$text')"
        comment "$TMP/err"
    fi
}

head -c 64 /dev/urandom | tr '\320' x >"$TMP/junk.dtb"
head -c 20 "$TMP/mine.dtb" >"$TMP/short.dtb"
head -c 200 "$TMP/mine.dtb" >"$TMP/truncated.dtb"
printf '/dts-v1/;\n/ { #size-cells = <1>; };\n' | dtc -I dts -O dtb -q -o "$TMP/nocells.dtb"
printf '/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <3>; };\n' |
    dtc -I dts -O dtb -q -o "$TMP/cells3.dtb"
# The root's FDT_BEGIN_NODE tag (big-endian 1 at off_dt_struct) made FDT_END_NODE (2).
cp "$TMP/mine.dtb" "$TMP/broken.dtb"
struct=$(od -An -tu1 -j8 -N4 "$TMP/mine.dtb" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
printf '\002' | dd of="$TMP/broken.dtb" bs=1 seek=$((struct + 3)) conv=notrunc 2>/dev/null
K="-kernel $TMP/kernel.bin"
bad 2 "-dtb '$TMP/junk.dtb': not a flattened device tree: FDT_ERR_BADMAGIC" $K -dtb "$TMP/junk.dtb"
bad 2 "is too short for a device tree header" $K -dtb "$TMP/short.dtb"
bad 2 "truncated: its header says" $K -dtb "$TMP/truncated.dtb"
bad 2 "a malformed device tree: FDT_ERR_BADSTRUCTURE" $K -dtb "$TMP/broken.dtb"
bad 2 "the root node has no #address-cells property" $K -dtb "$TMP/nocells.dtb"
bad 2 "the root's #size-cells is 3" $K -dtb "$TMP/cells3.dtb"
dtc -I dts -O dtb -q -p 8192 -o "$TMP/padded.dtb" "$TMP/mine.dts"
bad 2 "a device tree of 8" -m 4k -dtb "$TMP/padded.dtb"
bad 2 "-machine: dumpdtb needs a file name" -M virt,dumpdtb=
bad 2 "-machine: property 'foo=bar' is not supported" -M virt,dumpdtb="$TMP/x.dtb",foo=bar
bad 2 "-initrd '$TMP/initrd': an initrd of 3000000 bytes does not fit in RAM" -m 4M $K \
    -initrd "$TMP/initrd"
bad 1 "-machine dumpdtb: cannot write '$TMP/no/such/dir.dtb'" -M virt,dumpdtb="$TMP/no/such/dir.dtb"
"$PERCORE" -machine type=virt,dumpdtb="$TMP/a,,b.dtb" </dev/null >/dev/null 2>&1
check "dumpdtb: ',,' is a comma in the file name, as in qemu's option syntax" test -s "$TMP/a,b.dtb"

# ---- the guest's view: registers, the tree at r2, the initrd -----------------------

AS=${GUEST_AS:-arm-none-eabi-as}
OBJCOPY=${GUEST_OBJCOPY:-arm-none-eabi-objcopy}
if ! command -v "$AS" >/dev/null 2>&1 || ! $have_qemu; then
    ok "raw guest under percore and qemu # SKIP $AS or $QEMU not found"
    done_testing
    exit
fi
cat >"$TMP/bootregs.S" <<'EOF'
@ A raw image: prints r0, r1, r2, the word at r2 (0xedfe0dd0: the tree's magic read
@ little-endian) and the first word at 0x48000000 (the initrd, with -m 512), then
@ powers off through PSCI.
    .arch armv7-a
    .arch_extension virt
    .arm
_start:
    mov r4, r1
    mov r5, r2
    ldr r7, uart
    bl hex
    mov r0, r4
    bl hex
    mov r0, r5
    bl hex
    ldr r0, [r5]
    bl hex
    ldr r0, initrd
    ldr r0, [r0]
    bl hex
    ldr r0, system_off
    hvc #0
1:  b 1b
hex:                            @ r0 as 8 hex digits and a newline
    mov r3, #28
2:  mov r1, r0, lsr r3
    and r1, r1, #15
    cmp r1, #10
    addlt r1, r1, #'0'
    addge r1, r1, #('a' - 10)
    str r1, [r7]
    subs r3, r3, #4
    bge 2b
    mov r1, #'\n'
    str r1, [r7]
    bx lr
uart:       .word 0x09000000
initrd:     .word 0x48000000
system_off: .word 0x84000008
EOF
"$AS" -o "$TMP/bootregs.o" "$TMP/bootregs.S" && "$OBJCOPY" -O binary "$TMP/bootregs.o" "$TMP/bootregs.bin"

# run_raw NAME EXPECTED ARGS...: percore's and qemu's transcripts both equal EXPECTED.
run_raw() {
    name=$1
    printf '%s\n' $2 >"$TMP/$name.expected"
    shift 2
    for emu in "$PERCORE" "$QEMU"; do
        timeout -k 5 60 "$emu" -M virt -cpu cortex-a15 -m 512 -nographic -no-reboot \
            -kernel "$TMP/bootregs.bin" "$@" </dev/null 2>"$TMP/err" | tr -d '\r' >"$TMP/got"
        if cmp -s "$TMP/got" "$TMP/$name.expected"; then
            ok "$name: $(basename "$emu") starts the raw guest as expected"
        else
            not_ok "$name: $(basename "$emu"): transcript differs"
            diff "$TMP/$name.expected" "$TMP/got" >"$TMP/d"
            comment "$TMP/d"
            comment "$TMP/err"
        fi
    done
}
# r0 = 0, r1 = ~0, r2 = the tree: after the initrd (0x482dc6c0, 4 KiB aligned), or at
# the initrd's place without one.
run_raw raw-initrd "00000000 ffffffff 482dd000 edfe0dd0 54494e49" -initrd "$TMP/initrd" \
    -append console=ttyAMA0
run_raw raw "00000000 ffffffff 48000000 edfe0dd0 edfe0dd0" -dtb "$TMP/mine.dtb"
done_testing
