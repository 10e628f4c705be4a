obj-mgr/tests/unit/t_srs.o: tests/unit/t_srs.c lib/srs.h tests/unit/tap.h
lib/srs.h:
tests/unit/tap.h:
