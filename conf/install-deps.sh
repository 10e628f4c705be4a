#!/bin/bash
# Install the Debian packages sluice needs to build, run and test
# (../shared/DEPS.md explains the choices).  Installs only what is missing;
# needs root for that.
set -eu
PKGS="build-essential clang pkg-config libowfat-dev libssl-dev tinycdb libc-ares-dev
libcrypt-dev ucspi-tcp-ipv6 daemontools openssl
swaks msmtp mpop fetchmail dnsmasq-base bind9-dnsutils python3 python3-aiosmtpd faketime
libclang-rt-14-dev groff-base util-linux procps"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
