# imap/: sluice-checkpassword, Dovecot's password check against users.cdb
PROGS += sluice-checkpassword
sluice-checkpassword_OBJS = imap/checkpw.c imap/cpwparse.c

UNIT_TESTS += t_cpwparse
t_cpwparse_OBJS = tests/unit/t_cpwparse.c imap/cpwparse.c

FUZZERS += fuzz_cpwparse
fuzz_cpwparse_OBJS = tests/fuzz/fuzz_cpwparse.c imap/cpwparse.c
