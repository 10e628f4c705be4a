#!/bin/bash
# Install the Debian 12 packages sluice needs to build, run and test.
# INSTALL (section 1) says why each one is there.  Installs only what is
# missing; needs root for that, and without root it names the missing
# packages and the command that installs them.  Both README commands
# (make demo, make check) and CI's .ci/run call it, so a fresh machine
# needs nothing done by hand.
set -eu
# build
BUILD="build-essential clang pkg-config libowfat-dev libssl-dev tinycdb libc-ares-dev
libcrypt-dev libseccomp-dev libclang-rt-14-dev"
# run: supervisors, TCP front end, IMAP and webmail
RUN="ucspi-tcp-ipv6 daemontools openssl
dovecot-core dovecot-imapd roundcube-core roundcube-sqlite3 nginx-light php8.2-fpm"
# tests: real clients and peers, DKIM/SPF verifiers, milters, browser
TEST="swaks libnet-ssleay-perl libio-socket-ssl-perl msmtp mpop fetchmail isync
dnsmasq-base bind9-dnsutils python3 python3-aiosmtpd faketime postfix
python3-dkim python3-nacl python3-spf rspamd opendkim opendkim-tools
chromium chromium-driver python3-selenium fail2ban
groff-base util-linux procps strace systemd"
# one dpkg-query for all: this runs before every make check
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $BUILD $RUN $TEST 2>/dev/null |
	awk '/ install ok installed$/ { print $1 }') || true
missing=""
for p in $BUILD $RUN $TEST; do
	case " $(echo $installed) " in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: install them as root with: sudo bash conf/install-deps.sh" >&2
	echo "install-deps: (it preseeds postfix's and roundcube's questions and starts no service)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Answer the questions postfix and roundcube would ask: sluice uses neither
# one's system configuration (postfix is only a test peer and bench baseline,
# roundcube is configured per instance under ROOT).
debconf-set-selections <<'SEL'
postfix postfix/main_mailer_type select No configuration
roundcube-core roundcube/dbconfig-install boolean false
roundcube-core roundcube/reconfigure-webserver multiselect
SEL
# No package may start a system service while we install (a system Dovecot,
# nginx or rspamd would take ports the tests expect to be free).
policy_added=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	policy_added=1
fi
trap '[ -z "$policy_added" ] || rm -f /usr/sbin/policy-rc.d' EXIT
echo "install-deps: installing:$missing" >&2
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
