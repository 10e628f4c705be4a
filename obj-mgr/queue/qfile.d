obj-mgr/queue/qfile.o: queue/qfile.c lib/logmsg.h lib/decimal.h \
 queue/qfile.h
lib/logmsg.h:
lib/decimal.h:
queue/qfile.h:
