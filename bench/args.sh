# Sourced by bench/board.sh and bench/gdb.sh with NAME set: parses "[-n RUNS] [BUILD]"
# from "$@" into RUNS (default 3) and BUILD (default build), and sets QEMU and PERCORE
# (the environment may override both). Bad arguments: a usage line, exit status 2.
bench_usage() {
    echo "usage: sh bench/$NAME [-n RUNS] [BUILD]" >&2
    exit 2
}
RUNS=3
while getopts n:h opt; do
    case $opt in
    n) RUNS=$OPTARG ;;
    *) bench_usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || bench_usage
case $RUNS in '' | *[!0-9]* | 0*) echo "$NAME: -n wants a positive integer" >&2; exit 2 ;; esac
BUILD=${1:-build}
QEMU=${QEMU:-qemu-system-arm}
PERCORE=${PERCORE:-$BUILD/percore}
