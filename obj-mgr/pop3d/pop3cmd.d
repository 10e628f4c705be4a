obj-mgr/pop3d/pop3cmd.o: pop3d/pop3cmd.c lib/decimal.h pop3d/pop3cmd.h
lib/decimal.h:
pop3d/pop3cmd.h:
