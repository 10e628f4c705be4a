obj-mgr/tests/unit/t_milterproto.o: tests/unit/t_milterproto.c \
 tests/unit/../../smtpd/milterproto.h tests/unit/tap.h
tests/unit/../../smtpd/milterproto.h:
tests/unit/tap.h:
