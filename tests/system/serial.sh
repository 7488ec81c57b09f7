# The console's input side and mon:stdio's Ctrl-A keys, fed through a pipe (qemu's mux
# takes its keys from any input, not only a terminal). No terminal is involved, so
# raw mode is never set here. Uses the echo guest ($BUILD/guest/echo.elf, from
# `make guests`), which reads 16 bytes and prints them upper-cased.
BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"

ELF=$BUILD/guest/echo.elf
T=${GUEST_TIMEOUT:-60}
if [ ! -f "$ELF" ]; then
    not_ok "$ELF is missing (\`make guests\` builds it)"
    done_testing
    exit 1
fi

# C-a x: one line, status 0, even while the guest still waits for input.
printf 'abc\001x' | timeout -k 5 "$T" "$PERCORE" -nographic -kernel "$ELF" >"$TMP/x.out" 2>&1
check "C-a x exits with status 0" [ $? -eq 0 ]
check "C-a x says so" grep -q 'terminated by C-a x' "$TMP/x.out"

# C-a h lists the keys; C-a c says there is no monitor; C-a C-a reaches the guest as
# one C-a; other keys after C-a are swallowed; then 14 more bytes end the guest.
printf '\001h\001c\001\001\001zabcdefghijklmno' |
    timeout -k 5 "$T" "$PERCORE" -nographic -kernel "$ELF" >"$TMP/h.out" 2>&1
check "mon:stdio guest run exits with status 0" [ $? -eq 0 ]
check "C-a h lists C-a x" grep -q 'C-a x    exit emulator' "$TMP/h.out"
check "C-a c says there is no monitor" grep -q 'no monitor' "$TMP/h.out"
check "C-a C-a sends one C-a, C-a z is swallowed" \
    grep -q "$(printf 'echo: \\[\001ABCDEFGHIJKLMNO\\]')" "$TMP/h.out"

# Plain stdio: no Ctrl-A keys, every byte goes to the guest.
printf 'a\001xbcdefghijklmn' |
    timeout -k 5 "$T" "$PERCORE" -serial stdio -kernel "$ELF" >"$TMP/s.out" 2>&1
check "-serial stdio passes C-a to the guest" \
    grep -q "$(printf 'echo: \\[A\001XBCDEFGHIJKLMN\\]')" "$TMP/s.out"

# More input than the FIFO holds is kept, not dropped; the rest is read after the
# guest ends (it powers off with input left over).
head -c 5000 /dev/zero | tr '\0' 'q' >"$TMP/big.in"
timeout -k 5 "$T" "$PERCORE" -nographic -kernel "$ELF" <"$TMP/big.in" >"$TMP/b.out" 2>&1
check "a 5000-byte file on stdin: status 0" [ $? -eq 0 ]
check "a 5000-byte file on stdin: 16 bytes read in order" grep -q 'echo: \[QQQQQQQQQQQQQQQQ\]' "$TMP/b.out"

# unix:PATH: the socket's bytes reach the guest.
if command -v python3 >/dev/null 2>&1; then
    python3 - "$TMP/sock" "$TMP/u.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
c.sendall(b"unix socket in!\n")
out = b""
while True:
    d = c.recv(4096)
    if not d:
        break
    out += d
open(sys.argv[2], "wb").write(out)
PY
    SPID=$!
    PIDS="$PIDS $SPID"
    wait_until test -S "$TMP/sock"
    timeout -k 5 "$T" "$PERCORE" -serial "unix:$TMP/sock" -kernel "$ELF" </dev/null >/dev/null 2>&1
    check "unix: guest run exits with status 0" [ $? -eq 0 ]
    wait "$SPID"
    check "unix: the socket's bytes reach the guest" grep -q 'echo: \[UNIX SOCKET IN!|\]' "$TMP/u.out"
else
    ok "unix: input # SKIP python3 not found"
    ok "unix: input # SKIP python3 not found"
fi

done_testing
