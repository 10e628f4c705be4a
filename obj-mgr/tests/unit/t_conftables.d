obj-mgr/tests/unit/t_conftables.o: tests/unit/t_conftables.c \
 tests/unit/tap.h tests/unit/../../conf/conf.h
tests/unit/tap.h:
tests/unit/../../conf/conf.h:
