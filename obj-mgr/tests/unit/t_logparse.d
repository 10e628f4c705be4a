obj-mgr/tests/unit/t_logparse.o: tests/unit/t_logparse.c tests/unit/tap.h \
 tests/unit/../../queue/logparse.h
tests/unit/tap.h:
tests/unit/../../queue/logparse.h:
