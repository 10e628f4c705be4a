# smtpd/: sluice-smtpd, the SMTP server for ports 25, 587 and 465
PROGS += sluice-smtpd
sluice-smtpd_OBJS = smtpd/main.c smtpd/session.c smtpd/envelope.c \
	smtpd/message.c smtpd/auth.c smtpd/smtpcmd.c smtpd/smtpdata.c \
	smtpd/received.c smtpd/qpipe.c smtpd/qreply.c smtpd/sasl.c \
	smtpd/tlsload.c smtpd/milter.c smtpd/milterproto.c smtpd/senderok.c \
	smtpd/limits.c smtpd/relaydom.c smtpd/dnsbl.c smtpd/pool.c

UNIT_TESTS += t_smtpcmd t_smtpdata t_smtpmisc
t_smtpcmd_OBJS = tests/unit/t_smtpcmd.c smtpd/smtpcmd.c
t_smtpdata_OBJS = tests/unit/t_smtpdata.c smtpd/smtpdata.c
t_smtpmisc_OBJS = tests/unit/t_smtpmisc.c smtpd/received.c smtpd/qreply.c smtpd/sasl.c

FUZZERS += fuzz_smtpcmd fuzz_smtpdata fuzz_smtpsession
fuzz_smtpcmd_OBJS = tests/fuzz/fuzz_smtpcmd.c smtpd/smtpcmd.c smtpd/sasl.c
fuzz_smtpdata_OBJS = tests/fuzz/fuzz_smtpdata.c smtpd/smtpdata.c
fuzz_smtpsession_OBJS = tests/fuzz/fuzz_smtpsession.c smtpd/session.c \
	smtpd/envelope.c smtpd/message.c smtpd/auth.c smtpd/smtpcmd.c \
	smtpd/smtpdata.c smtpd/received.c smtpd/qpipe.c smtpd/qreply.c \
	smtpd/sasl.c smtpd/tlsload.c smtpd/milter.c smtpd/milterproto.c \
	smtpd/senderok.c smtpd/limits.c smtpd/relaydom.c smtpd/dnsbl.c

# Under tcpserver (smtpdtcpserver=1) sluice-smtpd is exec'd once per
# connection, and loading libcrypto and
# libssl dynamically costs about 1 ms of CPU per connection (measured with
# perf stat: 3.3 ms -> 2.3 ms per session).  `make SMTPD_STATIC=1` links
# OpenSSL and libowfat statically into it.  Not the default: a statically
# linked TLS endpoint misses the distribution's OpenSSL security updates
# until it is rebuilt.
ifeq ($(SMTPD_STATIC),1)
bin/sluice-smtpd: LDLIBS = -l:libowfat.a -l:libssl.a -l:libcrypto.a -lcares -lcrypt
endif

UNIT_TESTS += t_milterproto
t_milterproto_OBJS = tests/unit/t_milterproto.c smtpd/milterproto.c
FUZZERS += fuzz_milter
fuzz_milter_OBJS = tests/fuzz/fuzz_milter.c smtpd/milterproto.c

# sluice-anvil: the counter service every sluice-smtpd asks (lib/anvil.h)
PROGS += sluice-anvil
sluice-anvil_OBJS = smtpd/anvil.c
