obj-mgr/tests/queue/start-hooks.o: tests/queue/start-hooks.c \
 tests/queue/../../queue/qstart.h
tests/queue/../../queue/qstart.h:
