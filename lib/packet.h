/*
 * packet.h -- the one transport for sluice's packet links: whole packets
 * over a SOCK_SEQPACKET (or SOCK_DGRAM) unix socket, each optionally
 * carrying one open descriptor (SCM_RIGHTS).
 *
 * Links that use it (their packet formats are in the header named):
 *   sluice-send <-> sluice-local, sluice-remote   job.h (jobs, results)
 *   spawner parent <-> delivery worker            job.h, spawner.h
 *   keeper <-> scheduler inside sluice-send       manager/send.h
 *   sluice-pop3d's root parent <-> its front      pop3d/ctl.h
 *
 * Contract:
 * - A packet is never cut: the receiver names the most it takes (max), and
 *   a longer packet is an error (EMSGSIZE), not a shorter packet.  Its
 *   descriptor, if any, is closed then.
 * - The receiver gets at most one descriptor: with fd NULL, or a second
 *   one in the same packet, the extra descriptors are closed at once, so a
 *   peer cannot make us hold descriptors we did not ask for.  Received
 *   descriptors are close-on-exec.
 * - Empty packets are not sent (packet_send refuses len 0 with EINVAL), so
 *   a receive of 0 bytes always means the peer closed its end.
 * - EINTR is retried; sends never raise SIGPIPE (EPIPE instead).
 * Return values:
 *   send: 0 sent whole, -1 error (errno; EAGAIN from the try variant when
 *         the socket's buffer is full).
 *   recv: >0 the packet's length, 0 the peer closed, -1 error (errno;
 *         EMSGSIZE truncated, EAGAIN from the try variant when no packet
 *         is waiting); *fd is the received descriptor or -1.
 */
#ifndef SLUICE_PACKET_H
#define SLUICE_PACKET_H

#include <stddef.h>

/* blocking (unless the socket itself is nonblocking) */
int packet_send(int sock, const void *buf, size_t len, int fd);
long packet_recv(int sock, void *buf, size_t max, int *fd);

/* never blocking, whatever the socket's mode (MSG_DONTWAIT) */
int packet_trysend(int sock, const void *buf, size_t len, int fd);
long packet_tryrecv(int sock, void *buf, size_t max, int *fd);

#endif
