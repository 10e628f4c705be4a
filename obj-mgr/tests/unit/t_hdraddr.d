obj-mgr/tests/unit/t_hdraddr.o: tests/unit/t_hdraddr.c tests/unit/tap.h \
 tests/unit/../../queue/hdraddr.h
tests/unit/tap.h:
tests/unit/../../queue/hdraddr.h:
