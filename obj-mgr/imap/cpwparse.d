obj-mgr/imap/cpwparse.o: imap/cpwparse.c imap/cpw.h
imap/cpw.h:
