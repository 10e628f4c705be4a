obj-mgr/queue/logparse.o: queue/logparse.c queue/logparse.h
queue/logparse.h:
