# smtpd/: sluice-smtpd, the SMTP server for ports 25, 587 and 465
PROGS += sluice-smtpd
sluice-smtpd_OBJS = smtpd/main.c smtpd/session.c smtpd/envelope.c \
	smtpd/message.c smtpd/auth.c smtpd/smtpcmd.c smtpd/smtpdata.c \
	smtpd/received.c smtpd/qpipe.c smtpd/qreply.c smtpd/sasl.c

UNIT_TESTS += t_smtpcmd t_smtpdata t_smtpmisc
t_smtpcmd_OBJS = tests/unit/t_smtpcmd.c smtpd/smtpcmd.c
t_smtpdata_OBJS = tests/unit/t_smtpdata.c smtpd/smtpdata.c
t_smtpmisc_OBJS = tests/unit/t_smtpmisc.c smtpd/received.c smtpd/qreply.c smtpd/sasl.c

FUZZERS += fuzz_smtpcmd fuzz_smtpdata
fuzz_smtpcmd_OBJS = tests/fuzz/fuzz_smtpcmd.c smtpd/smtpcmd.c smtpd/sasl.c
fuzz_smtpdata_OBJS = tests/fuzz/fuzz_smtpdata.c smtpd/smtpdata.c
