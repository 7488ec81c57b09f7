#!/bin/sh
# Installs the Debian packages in mk/packages.txt that are missing, and nothing else.
set -eu
list="$(dirname "$0")/packages.txt"
missing=""
for p in $(grep -v '^#' "$list"); do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
