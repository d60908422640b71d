/* notify: readiness and state changes for systemd (Type=notify), through
 * sd_notify(3).  Compiled into lfs-server only: it is the one binary that
 * links libsystemd, so the tools and a CGI build never need it.  Outside
 * systemd (no NOTIFY_SOCKET) every call does nothing. */
#ifndef LFS_NOTIFY_H
#define LFS_NOTIFY_H

/* The server listens and serves: READY=1 (ends `systemctl start`; after a
 * reload, ends the reload). */
void notify_ready(void);
/* The server stops: STOPPING=1, before it drains its connections. */
void notify_stopping(void);
/* The server re-reads its config: RELOADING=1; notify_ready() when done. */
void notify_reloading(void);

#endif
