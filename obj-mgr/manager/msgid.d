obj-mgr/manager/msgid.o: manager/msgid.c manager/msgid.h
manager/msgid.h:
