obj-mgr/queue/qsign.o: queue/qsign.c queue/qsign.h lib/dkim.h \
 queue/hdraddr.h lib/logmsg.h
queue/qsign.h:
lib/dkim.h:
queue/hdraddr.h:
lib/logmsg.h:
