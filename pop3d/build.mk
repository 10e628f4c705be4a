# pop3d/: sluice-pop3d, the POP3 server (ports 110 and 995); see main.c
PROGS += sluice-pop3d
sluice-pop3d_OBJS = pop3d/main.c pop3d/auth.c pop3d/ctl.c pop3d/front.c \
	pop3d/relay.c pop3d/trans.c pop3d/mailbox.c pop3d/confine.c \
	pop3d/pop3cmd.c pop3d/pop3msg.c
# libseccomp: the allowlist filters of confine.c
sluice-pop3d_LIBS = -lseccomp

UNIT_TESTS += t_pop3cmd
t_pop3cmd_OBJS = tests/unit/t_pop3cmd.c pop3d/pop3cmd.c pop3d/pop3msg.c \
	pop3d/ctl.c

UNIT_TESTS += t_confine
t_confine_OBJS = tests/unit/t_confine.c pop3d/confine.c
t_confine_LIBS = -lseccomp

FUZZERS += fuzz_pop3cmd
fuzz_pop3cmd_OBJS = tests/fuzz/fuzz_pop3cmd.c pop3d/pop3cmd.c pop3d/pop3msg.c \
	pop3d/ctl.c
