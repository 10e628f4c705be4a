#!/bin/bash
# make demo: build sluice and run a demo instance in the foreground under
# svscan until Ctrl-C, on unprivileged ports of 127.0.0.1:
#   SMTP 2525, submission 5587, SMTPS 4465, POP3 1110, POP3S 9995,
#   IMAP 1143, IMAPS 9993 (Dovecot), webmail https://127.0.0.1:8443/ (Roundcube)
# with the domain example.test and the users alice and bob.
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)

if [ "$(id -u)" = 0 ]; then
	bash conf/install-deps.sh
else
	bash conf/install-deps.sh || { echo "demo: run 'sudo bash conf/install-deps.sh' first" >&2; exit 1; }
fi
make -j2 >/dev/null

for p in 2525 5587 4465 1110 9995 1143 9993 8443; do
	if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
		echo "demo: port $p on 127.0.0.1 is already in use" >&2
		exit 1
	fi
done

# The system users (as root) must reach the programs and the instance;
# when the tree is not reachable (e.g. under /root), run from /var/tmp.
reachable() {
	local p
	p=$(readlink -f "$1")
	while [ "$p" != / ]; do
		[ $(( 0$(stat -c %a "$p") & 1 )) = 1 ] || return 1
		p=$(dirname "$p")
	done
}
BIN=$TOP/bin
ROOT=$TOP/demo
if [ "$(id -u)" = 0 ] && ! reachable "$TOP"; then
	ROOT=/var/tmp/sluice-demo
	BIN=$ROOT.bin
	rm -rf "$BIN"
	make install PREFIX="$BIN" >/dev/null
	BIN=$BIN/bin
	chmod 755 "$ROOT.bin"
	echo "demo: $TOP is not reachable by the sluice system users; using $ROOT (./demo links to it)"
fi

if [ -e "$ROOT" ] || [ -L "$TOP/demo" ]; then
	echo "demo: removing the previous demo instance"
	rm -rf "$ROOT"
	rm -f "$TOP/demo" 2>/dev/null || true
fi
genpw() { head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 12; }
ALICE=$(genpw)
BOB=$(genpw)
"$BIN/sluice-conf" -d "$ROOT" init --me mail.example.test \
	--ports smtp=2525,submission=5587,smtps=4465,pop3=1110,pop3s=9995,imap=1143,imaps=9993,webmail=8443 \
	--bind 127.0.0.1
[ "$ROOT" = "$TOP/demo" ] || ln -sfn "$ROOT" "$TOP/demo"
"$BIN/sluice-conf" -d "$ROOT" domain add example.test
echo "$ALICE" | "$BIN/sluice-conf" -d "$ROOT" user add alice@example.test
echo "$BOB" | "$BIN/sluice-conf" -d "$ROOT" user add bob@example.test
"$BIN/sluice-conf" -d "$ROOT" set pop3plaintext 1

cat <<MSG

sluice demo instance in $ROOT (domain example.test)
  alice@example.test  password $ALICE
  bob@example.test    password $BOB

Try, in another terminal:
  # an outside server delivers to bob on port 25 (here 2525):
  swaks --server 127.0.0.1:2525 --from someone@elsewhere.test --to bob@example.test
  # alice submits on 587 (here 5587) with STARTTLS and AUTH:
  swaks --server 127.0.0.1:5587 -tls --auth PLAIN --auth-user alice@example.test \\
        --auth-password '$ALICE' --from alice@example.test --to bob@example.test
  # bob reads his mail over POP3 with STLS (here 1110) or implicit TLS (9995):
  openssl s_client -quiet -starttls pop3 -connect 127.0.0.1:1110
      USER bob@example.test / PASS $BOB / LIST / RETR 1 / QUIT
  # IMAP (Dovecot) with STARTTLS on 1143 or implicit TLS on 9993:
  openssl s_client -quiet -starttls imap -connect 127.0.0.1:1143
      a LOGIN alice@example.test "$ALICE" / b SELECT INBOX / c LOGOUT
  # webmail (Roundcube): open https://127.0.0.1:8443/ in a browser and log in
  # as alice@example.test with her password (the certificate is self-signed)
  $BIN/sluice-conf -d $ROOT check   # one line per problem, silence when all is well
  $BIN/sluice-qread          # the queue (SLUICE_ROOT=$ROOT)
  tail -f $ROOT/log/*/current

Running under svscan; press Ctrl-C to stop.
MSG

export SLUICE_ROOT=$ROOT
svscan "$ROOT/service" &
SVSCAN=$!
stop() {
	trap - INT TERM EXIT
	echo
	echo "demo: stopping"
	kill "$SVSCAN" 2>/dev/null || true
	wait "$SVSCAN" 2>/dev/null || true
	svc -dx "$ROOT"/service/* "$ROOT"/service/*/log 2>/dev/null || true
	for i in $(seq 50); do
		alive=0
		for d in "$ROOT"/service/* "$ROOT"/service/*/log; do
			svok "$d" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	echo "demo: stopped; the instance stays in $ROOT"
	exit 0
}
trap stop INT TERM EXIT
wait "$SVSCAN"
