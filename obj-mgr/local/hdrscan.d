obj-mgr/local/hdrscan.o: local/hdrscan.c local/hdrscan.h
local/hdrscan.h:
