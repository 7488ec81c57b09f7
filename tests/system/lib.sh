# TAP helpers and machine control for the system tests. Sourced with BUILD set.
# Waits are bounded (they check liveness, never speed): a condition not met within
# WAIT_LIMIT tenths of a second fails the test.
n=0
failed=0
WAIT_LIMIT=${WAIT_LIMIT:-200}
PERCORE=${BUILD:-build}/percore
TMP=$(mktemp -d)
trap 'cleanup_all' EXIT

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
    d=$1
    shift
    if "$@"; then ok "$d"; else not_ok "$d"; fi
}
done_testing() { echo "1..$n"; [ "$failed" -eq 0 ]; }

# wait_until COMMAND...: polls every 0.1 s, WAIT_LIMIT times.
wait_until() {
    i=0
    while ! "$@"; do
        i=$((i + 1))
        [ $i -ge "$WAIT_LIMIT" ] && return 1
        sleep 0.1
    done
    return 0
}

# start_machine LOG ARGS...: starts percore in the background; sets MPID.
start_machine() {
    log=$1
    shift
    "$PERCORE" "$@" >"$log" 2>&1 </dev/null &
    MPID=$!
    PIDS="$PIDS $MPID"
}

children() { pgrep -P "$1" 2>/dev/null | sort -n; }
nchildren() { children "$1" | wc -l; }
has_children() { [ "$(nchildren "$1")" -eq "$2" ]; }
is_gone() { ! kill -0 "$1" 2>/dev/null; }
comm_of() { cat "/proc/$1/comm" 2>/dev/null; }
# Shared-memory objects of one coordinator pid.
shm_of() { ls /dev/shm 2>/dev/null | grep "^percore-$1-" || true; }
no_shm_of() { [ -z "$(shm_of "$1")" ]; }
# Waits for the exit of a background job and sets STATUS.
reap() { wait "$1"; STATUS=$?; }

cleanup_all() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
