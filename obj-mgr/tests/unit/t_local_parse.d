obj-mgr/tests/unit/t_local_parse.o: tests/unit/t_local_parse.c \
 tests/unit/tap.h tests/unit/../../local/dotfile.h \
 tests/unit/../../local/hdrscan.h tests/unit/../../local/mdsize.h
tests/unit/tap.h:
tests/unit/../../local/dotfile.h:
tests/unit/../../local/hdrscan.h:
tests/unit/../../local/mdsize.h:
