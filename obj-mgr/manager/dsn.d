obj-mgr/manager/dsn.o: manager/dsn.c manager/dsn.h \
 manager/../queue/qfile.h lib/rfcdate.h
manager/dsn.h:
manager/../queue/qfile.h:
lib/rfcdate.h:
