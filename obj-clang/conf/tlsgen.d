obj-clang/conf/tlsgen.o: conf/tlsgen.c conf/conf.h

conf/conf.h:
