# The command line: qemu-system-arm spellings are accepted; every bad option gives
# exit status 2 and exactly one line on stderr that names the problem.
BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

printf 'kernel' >"$TMP/kernel.bin"
mkdir "$TMP/dir"
touch "$TMP/unreadable"
chmod 000 "$TMP/unreadable"

# bad ARGS... -- EXPECTED-TEXT: status 2, one stderr line containing the text.
bad() {
    args=""
    while [ "$1" != "--" ]; do args="$args '$1'"; shift; done
    shift
    eval "\"$PERCORE\" $args" >"$TMP/out" 2>"$TMP/err" </dev/null
    status=$?
    lines=$(wc -l <"$TMP/err")
    if [ $status -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$1" "$TMP/err"; then
        ok "$args: $(cat "$TMP/err")"
    else
        not_ok "$args: status $status, $lines lines: $(cat "$TMP/err") (wanted '$1')"
    fi
}

bad -bogus -- "unknown option '-bogus'"
bad --bogus=1 -- "unknown option '--bogus=1'"
bad -x -- "unknown option '-x'"
bad -smp 0 -- "-smp: 0 vCPUs is out of range (1-8)"
bad -smp 9 -- "-smp: 9 vCPUs is out of range (1-8)"
bad -smp cpus=9 -- "-smp: 9 vCPUs is out of range"
bad -smp four -- "-smp: 'four' is not a vCPU count"
bad -smp -- "option '-smp' needs a value"
bad -m 4G -- "-m: 4G of RAM does not fit the virt board's RAM window"
bad -m 0 -- "-m: RAM size must not be zero"
bad -m 12Q -- "-m: '12Q' is not a size"
bad -m -1 -- "-m: '-1' is not a size"
bad -m " -1" -- "-m: ' -1' is not a size"
bad -smp " +2" -- "-smp: ' +2' is not a vCPU count"
bad -M pc -- "-machine: unsupported machine type 'pc'"
bad -machine virt,foo=bar -- "-machine: property 'foo=bar' is not supported"
bad -cpu cortex-a9 -- "-cpu: unsupported CPU model 'cortex-a9'"
bad -kernel "$TMP/missing" -- "-kernel: cannot read '$TMP/missing': No such file or directory"
bad -kernel "$TMP/dir" -- "-kernel: '$TMP/dir' is not a regular file"
if [ "$(id -u)" -ne 0 ]; then
    bad -kernel "$TMP/unreadable" -- "Permission denied"
fi
bad -kernel "$TMP/kernel.bin" -initrd "$TMP/missing" -- "-initrd: cannot read"
bad -kernel "$TMP/kernel.bin" -dtb "$TMP/missing" -- "-dtb: cannot read"
bad -initrd "$TMP/kernel.bin" -- "-initrd is only allowed with -kernel"
bad -append console=ttyAMA0 -- "-append is only allowed with -kernel"
bad -serial tcp::4444 -- "-serial: unsupported backend 'tcp::4444'"
bad -serial unix: -- "-serial: unsupported backend 'unix:'"
bad -d nosuchitem -- "-d: unknown log item 'nosuchitem'"
bad -d sup,bogus -- "-d: unknown log item 'bogus'"
bad -D "$TMP/dir/no/such/log" -- "-D: cannot open '$TMP/dir/no/such/log'"
bad --on-core-crash=explode -- "--on-core-crash: unknown policy 'explode'"
bad -on-core-crash restart,limit=0 -- "--on-core-crash: bad 'limit=0'"
bad --on-core-crash=halt,limit=3 -- "--on-core-crash: bad 'limit=3' (restart takes limit=K"
bad --cpu-wait-attach=4 -smp 2 -- "--cpu-wait-attach: vCPU 4 does not exist (-smp 2)"
bad disk.img -- "unexpected argument 'disk.img'"

good() { # good DESCRIPTION PATTERN ARGS...: status 0 and stdout matches
    d=$1 pat=$2
    shift 2
    "$PERCORE" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    status=$?
    if [ $status -eq 0 ] && grep -q -- "$pat" "$TMP/out"; then ok "$d"; else
        not_ok "$d: status $status: $(head -c 300 "$TMP/out" "$TMP/err")"
    fi
}
good "--version prints the version" "^percore version [0-9]" --version
good "-version (qemu spelling) too" "^percore version" -version
good "--help lists -smp" "smp" --help
good "-h is help" "Usage" -h
good "-d help lists items" "^sup " -d help
good "-M help lists virt" "^virt " -M help
good "-cpu help lists cortex-a15" "cortex-a15" -cpu help

# Good options start a machine (stopped at once with SIGTERM). -serial unix:PATH
# connects to PATH as a client: a listener (perl, which Debian always has) waits there.
perl -MSocket -e 'socket(S, PF_UNIX, SOCK_STREAM, 0) && bind(S, pack_sockaddr_un($ARGV[0])) &&
    listen(S, 1) && accept(C, S) or die "listener: $!"; 1 while sysread(C, $b, 4096)' \
    "$TMP/sö" &
PIDS="$PIDS $!"
wait_until test -S "$TMP/sö"
start_machine "$TMP/utf8.log" -machine type=virt -m 1.5G -smp 2 -kernel "$TMP/kernel.bin" \
    -append "console=ttyAMA0 café" -serial unix:"$TMP/sö"
M=$MPID
check "type=virt, -m 1.5G and non-ASCII values are accepted as qemu does" wait_until has_children $M 2
kill -TERM $M
reap $M
check "and that machine stops with status 0 (got $STATUS)" [ "$STATUS" -eq 0 ]

start_machine "$TMP/run.log" -M virt -cpu cortex-a15 -smp cpus=3 -m size=64M -S -no-reboot \
    -serial none -d sup -D "$TMP/trace.log" -kernel "$TMP/kernel.bin" -append "console=ttyAMA0" \
    --on-core-crash=poweroff
M=$MPID
check "every good option together starts a 3-vCPU machine" wait_until has_children $M 3
check "-D writes one log per vCPU process" wait_until test -s "$TMP/trace.log.cpu2"
kill -TERM $M
reap $M
check "and it stops with status 0 (got $STATUS)" [ "$STATUS" -eq 0 ]
check "the coordinator's -d sup lines go to the -D file" grep -q "vCPU 2: started process" "$TMP/trace.log"
done_testing
