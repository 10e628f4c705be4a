obj-mgr/tests/unit/t_smtpcmd.o: tests/unit/t_smtpcmd.c \
 tests/unit/../../smtpd/smtpcmd.h lib/address.h tests/unit/tap.h
tests/unit/../../smtpd/smtpcmd.h:
lib/address.h:
tests/unit/tap.h:
