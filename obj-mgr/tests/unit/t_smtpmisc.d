obj-mgr/tests/unit/t_smtpmisc.o: tests/unit/t_smtpmisc.c \
 tests/unit/../../smtpd/qreply.h tests/unit/../../smtpd/received.h \
 tests/unit/../../smtpd/sasl.h tests/unit/tap.h
tests/unit/../../smtpd/qreply.h:
tests/unit/../../smtpd/received.h:
tests/unit/../../smtpd/sasl.h:
tests/unit/tap.h:
