/*
 * qreply.c -- qmail-queue exit codes to SMTP replies (qreply.h).
 */
#include "exitcodes.h"
#include "inject.h"
#include "qreply.h"

int
queue_exit_permanent(int code)
{
	return inject_status_of(code) == INJECT_PERM;
}

const char *
smtp_reply_for_queue_exit(int code)
{
	switch (code) {
	case QX_OK:
		return "250 2.0.0 Ok: queued";
	case QX_ADDRLONG:
		return "554 5.1.3 Envelope address too long for the queue";
	case QX_PERM:
		return "554 5.3.0 Mail server permanently rejected the message";
	case QX_NOMEM:
		return "451 4.3.0 Queue out of memory; try again later";
	case QX_WRITE:
		return "451 4.3.1 Queue write error (disk full?); try again later";
	case QX_READ:
		return "451 4.3.0 Queue could not read the message; try again later";
	case QX_CONFIG:
		return "451 4.3.5 Queue configuration error; try again later";
	case QX_QUEUE:
		return "451 4.3.0 Trouble with the queue directory; try again later";
	case QX_TEMP:
		return "451 4.3.0 Mail server temporarily rejected the message";
	case QX_BUG:
		return "451 4.3.0 Queue internal error; try again later";
	case QX_ENVELOPE:
		return "554 5.6.0 Envelope format error";
	case -1:
		return "451 4.3.0 Queue program failed; try again later";
	}
	if (queue_exit_permanent(code))
		return "554 5.3.0 Message permanently refused by the queue";
	return "451 4.3.0 Temporary queue failure; try again later";
}
