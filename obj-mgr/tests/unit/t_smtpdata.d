obj-mgr/tests/unit/t_smtpdata.o: tests/unit/t_smtpdata.c \
 tests/unit/../../smtpd/smtpdata.h tests/unit/tap.h
tests/unit/../../smtpd/smtpdata.h:
tests/unit/tap.h:
