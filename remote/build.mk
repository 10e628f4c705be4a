# remote/: sluice-remote, outbound SMTP delivery
REMOTE_SRCS = remote/deliver.c remote/smtpsess.c remote/smtpreply.c \
	remote/dotstuff.c remote/route.c remote/remoteauth.c remote/dnsres.c \
	remote/mxorder.c remote/connect.c
PROGS += sluice-remote
sluice-remote_OBJS = remote/main.c $(REMOTE_SRCS)
