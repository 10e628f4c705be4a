/*
 * start-prog.c -- start_program of the installed sluice-start (qstart.h):
 * always the sibling program, never anything the environment names.
 */
#include "qstart.h"

char *
start_program(const char *name)
{
	return start_sibling(name);
}
