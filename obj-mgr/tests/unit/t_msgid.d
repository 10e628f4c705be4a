obj-mgr/tests/unit/t_msgid.o: tests/unit/t_msgid.c tests/unit/tap.h \
 tests/unit/../../manager/msgid.h
tests/unit/tap.h:
tests/unit/../../manager/msgid.h:
