obj-mgr/queue/envelope.o: queue/envelope.c queue/envelope.h queue/qfile.h
queue/envelope.h:
queue/qfile.h:
