/*
 * exitcodes.h -- the exit statuses every sluice program uses.
 *
 * Programs that talk to each other report through these.  sluice-queue
 * uses qmail-queue's codes (see queue/README) so qmail filters keep
 * working; everything else uses the small set below.
 */
#ifndef SLUICE_EXITCODES_H
#define SLUICE_EXITCODES_H

#define EX_SL_OK	0	/* success */
#define EX_SL_USAGE	1	/* bad command line or bad input; nothing changed */
#define EX_SL_PERM	100	/* permanent failure (qmail convention) */
#define EX_SL_TEMP	111	/* temporary failure: try again later (qmail convention) */

/* qmail-queue compatible exit codes of sluice-queue */
#define QX_OK		0
#define QX_ADDRLONG	11	/* address too long */
#define QX_PERM		31	/* permanent refusal (mail server permanently refuses) */
#define QX_NOMEM	51	/* out of memory */
#define QX_WRITE	53	/* write error (disk full, ...) */
#define QX_READ		54	/* unable to read the message or envelope */
#define QX_CONFIG	55	/* unable to read a configuration file */
#define QX_QUEUE	61	/* trouble with the queue directory */
#define QX_TEMP		71	/* temporary refusal */
#define QX_BUG		81	/* internal bug */
#define QX_ENVELOPE	91	/* envelope format error */

#endif
