obj-mgr/pop3d/pop3msg.o: pop3d/pop3msg.c pop3d/pop3cmd.h
pop3d/pop3cmd.h:
