obj-mgr/tests/unit/t_qfile.o: tests/unit/t_qfile.c tests/unit/tap.h \
 tests/unit/../../manager/dsn.h tests/unit/../../queue/envelope.h \
 tests/unit/../../queue/qfile.h
tests/unit/tap.h:
tests/unit/../../manager/dsn.h:
tests/unit/../../queue/envelope.h:
tests/unit/../../queue/qfile.h:
