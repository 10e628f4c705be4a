obj-mgr/tests/unit/t_tcpenv.o: tests/unit/t_tcpenv.c tests/unit/tap.h \
 lib/tcpenv.h
tests/unit/tap.h:
lib/tcpenv.h:
