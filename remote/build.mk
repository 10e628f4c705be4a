# remote/: sluice-remote, outbound SMTP delivery
REMOTE_SRCS = remote/deliver.c remote/smtpsess.c remote/smtpreply.c \
	remote/dotstuff.c remote/route.c remote/remoteauth.c \
	remote/mxorder.c remote/connect.c remote/plan.c remote/smtptxn.c
PROGS += sluice-remote
sluice-remote_OBJS = remote/main.c $(REMOTE_SRCS)
UNIT_TESTS += t_remote
t_remote_OBJS = tests/unit/t_remote.c remote/smtpreply.c remote/dotstuff.c \
	remote/route.c remote/remoteauth.c remote/mxorder.c
FUZZERS += fuzz_remote_reply fuzz_remote_dotstuff fuzz_remote_route
fuzz_remote_reply_OBJS = tests/fuzz/fuzz_remote_reply.c remote/smtpreply.c
fuzz_remote_dotstuff_OBJS = tests/fuzz/fuzz_remote_dotstuff.c remote/dotstuff.c
fuzz_remote_route_OBJS = tests/fuzz/fuzz_remote_route.c remote/route.c remote/remoteauth.c
FUZZERS += fuzz_remote_session
fuzz_remote_session_OBJS = tests/fuzz/fuzz_remote_session.c $(REMOTE_SRCS)
