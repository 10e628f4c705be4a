obj-mgr/queue/start-prog.o: queue/start-prog.c queue/qstart.h
queue/qstart.h:
