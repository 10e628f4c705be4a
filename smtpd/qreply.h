/*
 * qreply.h -- what sluice-smtpd answers after the queue program (or a
 * QMAILQUEUE filter) exits, from its qmail-queue exit code.  Pure.
 *
 * qmail-queue's convention: 0 queued; 11..40 permanent failure (5xx);
 * anything else, including death by a signal, temporary (4xx).
 */
#ifndef SLUICE_QREPLY_H
#define SLUICE_QREPLY_H

/* code: the exit status 0..255, or -1 when the program could not be run
 * or was killed.  Returns a full reply line without CRLF ("451 4.3.0 ...");
 * for 0 it is "250 2.0.0 Ok: queued" (the caller may add " as ID"). */
const char *smtp_reply_for_queue_exit(int code);
/* 1 if code means the message was refused for good (5xx) */
int queue_exit_permanent(int code);

#endif
