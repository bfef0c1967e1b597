#!/usr/bin/env bash
# Installs everything portcullis needs to build, run and test, from Debian 12 packages only.
# Used by both README commands and by CI; safe to run again (apt skips what is present).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
APT="$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends"

build_pkgs=(cmake make g++ ninja-build pkg-config ccache
  libboost1.81-dev libssl-dev libhyperscan-dev libpcre2-dev libclamav-dev librocksdb-dev
  libgtest-dev libgmock-dev libbenchmark-dev libc-ares-dev libpsl-dev publicsuffix
  libgmime-3.0-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev libhiredis-dev)
test_pkgs=(postfix swaks libnet-ssleay-perl redis-server dnsmasq-base clamav-daemon
  clang libclang-rt-14-dev python3 python3-dkim python3-dnspython spamassassin)

want=("${build_pkgs[@]}")
if [ "${1:-}" = "--test" ]; then want+=("${test_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Boost 1.74's unversioned -dev conflicts with 1.81; drop it if an image carries it.
remove=()
if dpkg-query -W -f='${Status}' libboost-dev 2>/dev/null | grep -q "install ok installed"; then
  remove=(libboost-dev- libboost1.74-dev-)
fi
if [ ${#missing[@]} -gt 0 ] || [ ${#remove[@]} -gt 0 ]; then
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
  $APT "${missing[@]}" "${remove[@]}"
fi
echo "install-deps: all ${#want[@]} packages present"
