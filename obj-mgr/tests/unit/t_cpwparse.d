obj-mgr/tests/unit/t_cpwparse.o: tests/unit/t_cpwparse.c tests/unit/tap.h \
 tests/unit/../../imap/cpw.h
tests/unit/tap.h:
tests/unit/../../imap/cpw.h:
