/*
 * pool.h -- sluice-smtpd's two ways to run: one session per process
 * (UCSPI, main.c) and a master with long-lived workers (pool.c), and
 * what they share.
 */
#ifndef SLUICE_SMTPD_POOL_H
#define SLUICE_SMTPD_POOL_H

/* main.c */
/* read the TLS certificate and key (as root); build the context too
 * when build is set (the pool master: every worker inherits it) */
void smtpd_tls_load(int build);
/* 1 when every session would be refused at once: SMTPD_MODE=smtps
 * without a certificate (a worker answers 421 itself, and goes on) */
int smtpd_refuses_all(void);
/* become SLUICE_DROP; refuse to go on as root.  0, or -1 (logged) */
int smtpd_drop(void);
/* one whole session on fd 0/1 (process set up, privileges dropped);
 * may exit the process when the configuration cannot be read */
void smtpd_serve(void);
/* forget the session: close its counter-service connection, any TLS
 * object and transaction, free and zero its state and the log context */
void smtpd_session_end(void);

/* pool.c: `sluice-smtpd --pool [IP PORT]`; args are what follows
 * --pool.  Returns the exit status. */
int pool_main(int argc, char **argv);

#endif
