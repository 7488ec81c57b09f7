# The control socket (-control unix:PATH) and percorectl: every command, two clients at
# once, malformed input (each followed by a status on a new connection), the socket
# file's life (0600 in a private directory, refused over a file or a live server, a
# stale one replaced, removed on every way out). The guest is a raw image written
# here: CPU 0 writes one byte to the UART, starts CPU 1 with PSCI CPU_ON (retried while
# CPU 1's process is not up yet), then both count in a register for ever.
BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

CTL_BIN=$BUILD/percorectl
if ! command -v python3 >/dev/null 2>&1; then
    not_ok "python3 is missing (mk/packages.txt)"
    done_testing
    exit 1
fi

# The guest: 0x40010000 onwards (a raw image's entry), little-endian A32 words.
#   movw r6, #0; movt r6, #0x0900; mov r7, #'!'; str r7, [r6]      UART data register
#   1: movw r0, #3; movt r0, #0x8400; mov r1, #1; adr r2, 3f; mov r3, #0; hvc #0
#   cmn r0, #6; beq 1b                                           INTERNAL_FAILURE: retry
#   2: add r4, r4, #1; b 2b                                      CPU 0 for ever
#   3: add r5, r5, #1; b 3b                                      CPU 1 for ever
python3 - "$TMP/spin.bin" <<'PY'
import struct, sys
w = [0xe3006000, 0xe3406900, 0xe3a07021, 0xe5867000,
     0xe3000003, 0xe3480400, 0xe3a01001, 0xe28f2014, 0xe3a03000, 0xe1400070,
     0xe3700006, 0x0afffff7, 0xe2844001, 0xeafffffd, 0xe2855001, 0xeafffffd]
open(sys.argv[1], "wb").write(struct.pack("<%dI" % len(w), *w))
PY

# A raw client for what percorectl never sends: prints "ok" or "error: TEXT" per reply,
# then "closed" when the server ends the connection.
cat >"$TMP/raw.py" <<'PY'
import random, socket, struct, sys

def varint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out

def request(command, **f):  # control.proto's Request, by hand
    body = b"\x08" + varint(command)
    if "addr" in f: body += b"\x18" + varint(f["addr"])
    if "length" in f: body += b"\x20" + varint(f["length"])
    return body

def frame(body):
    return struct.pack(">I", len(body)) + body

def replies(s, limit=None):
    buf, out = b"", []
    while limit is None or len(out) < limit:
        d = s.recv(65536)
        if not d:
            out.append("closed")
            break
        buf += d
        while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
            n = struct.unpack(">I", buf[:4])[0]
            out.append(decode(buf[4:4 + n]))
            buf = buf[4 + n:]
    return out

def decode(msg):  # Reply's ok (1) and error (2); other fields skipped
    ok, err, i = False, "", 0
    while i < len(msg):
        key, i = read_varint(msg, i)
        if key & 7 == 0:
            v, i = read_varint(msg, i)
            if key >> 3 == 1: ok = bool(v)
        elif key & 7 == 2:
            n, i = read_varint(msg, i)
            if key >> 3 == 2: err = msg[i:i + n].decode()
            i += n
        else:
            return "undecodable"
    return "ok" if ok else "error: " + err

def read_varint(b, i):
    v, shift = 0, 0
    while True:
        v |= (b[i] & 0x7f) << shift
        i += 1
        if not b[i - 1] & 0x80:
            return v, i
        shift += 7

def connect():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(sys.argv[1])
    return s

mode = sys.argv[2]
s = connect()
if mode == "truncated":
    s.sendall(struct.pack(">I", 100) + b"\x08\x01" * 5)
    s.shutdown(socket.SHUT_WR)
elif mode == "oversized":
    s.sendall(struct.pack(">I", 0x7fffffff) + b"\x08\x01")
elif mode == "unknown":
    s.sendall(frame(request(99)))
elif mode == "garbage":
    s.sendall(frame(b"\xff" * 8))
elif mode == "random":
    s.sendall(bytes(random.Random(6).randrange(256) for _ in range(512)))
elif mode == "bigread":  # refused, and the connection goes on
    s.sendall(frame(request(5, addr=0x40000000, length=65537)) + frame(request(1)))
    print(" ".join(replies(s, 2)))
    sys.exit(0)
elif mode == "two":  # two connections, answered each on its own
    t = connect()
    t.sendall(frame(request(1)))
    s.sendall(frame(request(10)))
    print(" ".join(replies(s, 1) + replies(t, 1)))
    sys.exit(0)
elif mode == "noread":  # 200 reads of 64 KiB, none taken: dropped past the cap
    s.sendall(b"".join(frame(request(5, addr=0x40000000, length=65536)) for _ in range(200)))
    r = replies(s)
    print("%d replies, %s" % (r.count("ok"), r[-1]))
    sys.exit(0)
print(" ".join(replies(s)))
PY
raw() { python3 "$TMP/raw.py" "$SOCK" "$1" 2>&1; }

SOCK=$TMP/private/ctl.sock
CTL="$CTL_BIN -c $SOCK"
start_machine "$TMP/m.log" -smp 2 -m 64 -kernel "$TMP/spin.bin" -control "unix:$SOCK" \
    --on-core-crash=restart
M=$MPID
check "the control socket appears" wait_until test -S "$SOCK"
check "its new directory is private (0700)" [ "$(stat -c %a "$TMP/private")" = 700 ]
check "the socket is 0600" [ "$(stat -c %a "$SOCK")" = 600 ]

# ---- status ----
field() { # field CPU COLUMN: from the status table
    $CTL status | awk -v c="$1" -v k="$2" '$1 == c && $3 ~ /^(on|off|on-pending)$/ { print $k }'
}
insns() { $CTL stats | awk -v c="$1" 'NF >= 13 && $1 == c { print $3; exit }'; }
both_running() { [ "$(field 0 2)" = running ] && [ "$(field 1 2)" = running ]; }
check "vCPU 1 is started by the guest" wait_until both_running
$CTL status >"$TMP/status" 2>&1
check "status: exit 0, machine running, 2 vCPUs, 64 MiB" \
    grep -q "^machine running: 2 vCPUs, 64 MiB RAM at 0x40000000, up " "$TMP/status"
pids="$(field 0 4) $(field 1 4)"
check "status: the vCPUs' pids are the coordinator's children ($pids)" \
    [ "$(printf '%s\n' $pids | sort -n | tr '\n' ' ')" = "$(children $M | tr '\n' ' ')" ]
check "status: alive, PSCI on, no restarts, not held" \
    [ "$(field 0 5)$(field 1 5) $(field 0 3)$(field 1 3) $(field 0 8)$(field 1 8) $(field 1 9)" = \
      "yesyes onon 00 -" ]
pc0=$(field 0 6)
check "status: vCPU 0's pc is in its loop ($pc0)" sh -c "[ $pc0 = 0x40010030 ] || [ $pc0 = 0x40010034 ]"

# ---- stats ----
$CTL stats >"$TMP/stats" 2>&1
check "stats: exit 0, a row per vCPU" [ "$(awk 'NF >= 13 && $1 ~ /^[01]$/' "$TMP/stats" | wc -l)" -eq 2 ]
check "stats: exits by cause, named" grep -q "^  1  msg=[0-9]* quit=0 self=[0-9]* irq=" "$TMP/stats"
check "stats: the UART counts the guest's write" \
    sh -c "grep -q '^pl011    0x09000000 *0 *1$' '$TMP/stats'"
check "stats: the RTC has a row" grep -q "^pl031    0x09010000 " "$TMP/stats"
a=$(insns 0)
moved() { [ "$(insns "$1")" -gt "$2" ]; }
check "stats: vCPU 0's instruction count moves on" wait_until moved 0 "$a"

# ---- stop and cont, one vCPU and the whole machine ----
check "stop 1 says so" [ "$($CTL stop 1)" = "vCPU 1 stopped" ]
check "status: vCPU 1 is held and parked" [ "$(field 1 9)" = stopped ]
check "status: the machine is partly stopped" sh -c "$CTL status | grep -q '^machine partly stopped'"
h1=$(insns 1)
a=$(insns 0)
check "vCPU 0 runs on while vCPU 1 is stopped" wait_until moved 0 "$a"
check "vCPU 1's instruction count stands still ($h1)" [ "$(insns 1)" = "$h1" ]
r5=$($CTL regs 1 | awk '/^r4 / { print $4 }')
check "vCPU 1's registers stand still too" [ "$($CTL regs 1 | awk '/^r4 / { print $4 }')" = "$r5" ]
check "cont 1 says so" [ "$($CTL cont 1)" = "vCPU 1 continues" ]
check "vCPU 1 runs again" wait_until moved 1 "$h1"
check "stop (the machine) says so" [ "$($CTL stop)" = "machine stopped" ]
check "status: machine stopped, both held" \
    [ "$($CTL status | head -n 1 | cut -d: -f1) $(field 0 9) $(field 1 9)" = "machine stopped stopped stopped" ]
s0=$(insns 0)
s1=$(insns 1)
check "nothing runs while the machine is stopped" [ "$(insns 0) $(insns 1)" = "$s0 $s1" ]
check "cont 0 lets only vCPU 0 go" sh -c "$CTL cont 0 >/dev/null && [ \"\$($CTL status | head -n 1 | cut -d: -f1)\" = 'machine partly stopped' ]"
check "cont (the machine) says so" [ "$($CTL cont)" = "machine continues" ]
check "both run again" sh -c "[ \"\$($CTL status | head -n 1 | cut -d: -f1)\" = 'machine running' ]"
check "vCPU 1 moves after cont" wait_until moved 1 "$s1"

# ---- regs ----
$CTL regs 0 >"$TMP/regs" 2>&1
check "regs: exit 0, vCPU 0 in svc mode" grep -q "^vCPU 0, svc mode$" "$TMP/regs"
check "regs: r0-r15 (r1 = 1, r3 = 0 from the guest's CPU_ON)" \
    grep -q "^r0   0x00000000   r1   0x00000001   r2   0x40010038   r3   0x00000000$" "$TMP/regs"
check "regs: pc in the loop, cpsr, banked registers" \
    sh -c "grep -q '^r12 .* pc   0x4001003[04]$' '$TMP/regs' && grep -q '^cpsr 0x' '$TMP/regs' && grep -q '^  svc    0x' '$TMP/regs'"
check "regs: a vCPU that does not exist: one line, exit 1" \
    sh -c "$CTL regs 7 2>&1 >/dev/null | grep -qx 'percorectl: no vCPU 7 (the machine has 2)'; [ \$? -eq 0 ] && ! $CTL regs 7 2>/dev/null"

# ---- x and w ----
check "w writes bytes" [ "$($CTL w 0x40200ffc 'de ad be ef 01 02 03 04 41 42')" = "wrote 10 bytes at 0x40200ffc" ]
check "x reads them back, across a page" \
    [ "$($CTL x 0x40200ff8 16)" = "0x40200ff8: 00 00 00 00 de ad be ef 01 02 03 04 41 42 00 00  ............AB.." ]
check "x of the guest's code" sh -c "$CTL x 0x40010000 4 | grep -qx '0x40010000: 00 60 00 e3  *[.]\`[.][.]'"
# 70000 bytes in two writes (an argument holds at most 128 KiB), read in two transfers.
head -c 70000 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$TMP/big.hex"
$CTL w 0x40300000 "$(head -c 70000 "$TMP/big.hex")" >/dev/null
$CTL w 0x403088b8 "$(tail -c 70000 "$TMP/big.hex")" >/dev/null
check "x of 70000 bytes (more than one transfer) reads what w wrote" \
    [ "$($CTL x 0x40300000 70000 | cut -c13-59 | tr -d ' \n')" = "$(cat "$TMP/big.hex")" ]
check "x outside RAM: one line, exit 1" \
    sh -c "[ \"\$($CTL x 0x43fffffc 8 2>&1)\" = 'percorectl: 0x43fffffc-0x44000003 is not RAM (0x40000000-0x43ffffff)' ] && ! $CTL x 0x3ffffff0 4 2>/dev/null"
check "w outside RAM: exit 1" sh -c "! $CTL w 0x44000000 00 2>/dev/null"
check "w: not hex is a usage error (exit 2)" sh -c "$CTL w 0x40000000 xyz 2>/dev/null; [ \$? -eq 2 ]"
check "a READ over 64 KiB is refused, the connection goes on" \
    [ "$(raw bigread)" = "error: 65537 bytes: a transfer is 1 to 65536 bytes ok" ]

# ---- two clients at once ----
$CTL top -n 4 -b -d 0.2 >"$TMP/top" 2>&1 &
TOP=$!
PIDS="$PIDS $TOP"
check "two raw connections answered each on its own" [ "$(raw two)" = "ok ok" ]
check "commands are served while top is connected" sh -c "$CTL status >/dev/null && $CTL stats >/dev/null"
reap $TOP
check "top -n 4 -b: four refreshes, exit 0" \
    [ "$STATUS $(grep -c '^percore top: machine running, 2 vCPUs' "$TMP/top")" = "0 4" ]
check "top: a row per vCPU with MIPS, no escape codes" \
    sh -c "[ \$(grep -cE '^  [01]  running   -  +[0-9]+\.[0-9]{2} ' '$TMP/top') -eq 8 ] && ! grep -q \"\$(printf '\\033')\" '$TMP/top'"
check "top without -b clears the screen" \
    sh -c "$CTL top -n 1 -d 0.1 | grep -q \"\$(printf '\\033')\\[H\""

# ---- bad messages: an error reply, the connection closed, the machine answers ----
alive() { $CTL status >/dev/null 2>&1; }
check "truncated frame: error, closed" \
    [ "$(raw truncated)" = "error: truncated frame: the input ended 14 bytes into it closed" ]
check "the machine answers after a truncated frame" alive
check "oversized length: error, closed" \
    [ "$(raw oversized)" = "error: frame of 2147483647 bytes is over the limit (1048576 bytes) closed" ]
check "the machine answers after an oversized length" alive
check "unknown command: error, closed" [ "$(raw unknown)" = "error: unknown command 99 closed" ]
check "the machine answers after an unknown command" alive
check "a frame that is not a Request: error, closed" \
    [ "$(raw garbage)" = "error: a frame of 8 bytes that is not a Request (control.proto) closed" ]
check "the machine answers after garbage" alive
check "random bytes: an error, closed" sh -c "python3 '$TMP/raw.py' '$SOCK' random | grep -q '^error: .* closed$'"
check "the machine answers after random bytes" alive
check "a client that does not read is dropped" sh -c "python3 '$TMP/raw.py' '$SOCK' noread | grep -qE '^([0-9]|[0-9][0-9]|1[0-9][0-9]) replies, closed$'"
check "the machine answers after dropping it" alive
check "the coordinator survived all of it" kill -0 $M

# ---- crash, restart, crashes ----
check "crashes: none yet" [ "$($CTL crashes)" = "no crash reports" ]
old1=$(field 1 4)
check "crash 1 exec is armed" [ "$($CTL crash 1 exec)" = "vCPU 1: exec crash armed" ]
restarted() { [ "$(field "$1" 8)" = "$2" ] && [ "$(field "$1" 5)" = yes ]; }
check "vCPU 1 crashes and is restarted (status: restarts 1)" wait_until restarted 1 1
check "with a new process" [ "$(field 1 4)" != "$old1" ]
h1=$(insns 1)
check "vCPU 1 runs on after the restart" wait_until moved 1 "$h1"
check "crashes: vCPU 1's report" sh -c "$CTL crashes | grep -q '^--- crash report 1 of 1$' && $CTL crashes | grep -q 'vCPU 1'"
check "crash with an unknown kind is a usage error (exit 2)" \
    sh -c "$CTL crash 1 sideways 2>/dev/null; [ \$? -eq 2 ]"
old0=$(field 0 4)
check "restart 0 says so" [ "$($CTL restart 0)" = "vCPU 0 restarted" ]
check "vCPU 0 has a new process (status: restarts 1)" wait_until restarted 0 1
check "its pid changed" [ "$(field 0 4)" != "$old0" ]
check "stats: restarts per vCPU" [ "$($CTL stats | awk 'NF >= 13 && $1 ~ /^[01]$/ { print $13 }' | tr '\n' ' ')" = "1 1 " ]

# ---- reset: new processes, the guest runs again; a held vCPU stays held ----
$CTL stop 1 >/dev/null
before="$(field 0 4) $(field 1 4)"
check "reset says so" [ "$($CTL reset)" = "machine resetting" ]
reset_done() { [ "$(field 0 4)" != "${before% *}" ] && [ "$(field 1 9)" = stopped ] && [ "$(field 0 2)" = running ]; }
check "after the reset: new processes, vCPU 1 still held" wait_until reset_done
check "the UART saw the guest's write again" \
    wait_until sh -c "$CTL stats | grep -q '^pl011    0x09000000 *0 *2$'"
h1=$(insns 1)
$CTL cont 1 >/dev/null
check "vCPU 1 runs once let go (powered on again by the guest)" wait_until moved 1 "$h1"

# ---- the socket file ----
echo notasocket >"$TMP/file"
"$PERCORE" -m 16 -control "unix:$TMP/file" >"$TMP/file.log" 2>&1 </dev/null
check "a path that is a file: exit 1" [ $? -eq 1 ]
check "one line that says why" [ "$(cat "$TMP/file.log")" = "percore: -control unix:$TMP/file: exists and is not a socket" ]
check "the file is left alone" [ "$(cat "$TMP/file")" = notasocket ]
"$PERCORE" -m 16 -control "unix:$SOCK" >"$TMP/busy.log" 2>&1 </dev/null
rc=$?
check "a path where a machine listens: exit 1 ($rc)" [ $rc -eq 1 ]
check "one line that says so" \
    [ "$(cat "$TMP/busy.log")" = "percore: -control unix:$SOCK: a server already listens there" ]
check "the first machine still answers" alive
"$PERCORE" -m 16 -control "tcp::4444" >"$TMP/syntax.log" 2>&1 </dev/null
rc=$?
check "-control tcp::4444: exit 2 ($rc), one line" [ "$rc $(wc -l <"$TMP/syntax.log")" = "2 1" ]
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$TMP/stale.sock"
start_machine "$TMP/stale.log" -m 16 -control "unix:$TMP/stale.sock"
S=$MPID
check "a stale socket is replaced" wait_until sh -c "$CTL_BIN -c '$TMP/stale.sock' status >/dev/null 2>&1"
kill -TERM $S
reap $S
gone() { [ "$1" -eq 0 ] && [ ! -e "$2" ]; }
check "SIGTERM: status 0 ($STATUS), the socket removed" gone "$STATUS" "$TMP/stale.sock"
if [ -f "$BUILD/guest/hello.elf" ]; then
    "$PERCORE" -nographic -kernel "$BUILD/guest/hello.elf" -control "unix:$TMP/hello.sock" \
        >/dev/null 2>&1 </dev/null
    check "a guest's power-off: status 0 ($?), the socket removed" gone $? "$TMP/hello.sock"
else
    ok "guest power-off # SKIP $BUILD/guest/hello.elf missing (make guests)"
fi

# ---- percorectl's own errors ----
check "no -c: a usage error (exit 2)" sh -c "$CTL_BIN status 2>/dev/null; [ \$? -eq 2 ]"
check "an unknown command: exit 2" sh -c "$CTL frob 2>/dev/null; [ \$? -eq 2 ]"
check "no machine at the socket: exit 1, one line" \
    sh -c "$CTL_BIN -c '$TMP/none.sock' status 2>'$TMP/none.err'; [ \$? -eq 1 ] && [ \$(wc -l <'$TMP/none.err') -eq 1 ]"

# ---- quit ----
check "quit says so" [ "$($CTL quit)" = "machine stopping" ]
reap $M
check "quit: percore exits 0" [ "$STATUS" -eq 0 ]
check "quit: the socket file is removed" [ ! -e "$SOCK" ]
check "quit: no shared-memory object is left" no_shm_of $M
done_testing
