/* systemd.c -- placeholder */
#include "conf.h"
int cmd_systemd(int argc, char **argv) { usage_fail("systemd: not yet", NULL); }
