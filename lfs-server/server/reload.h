/* reload: what SIGHUP does to a running server.  The access log is
 * reopened (logrotate's postrotate), then the config file is read again
 * and checked as a start would check it; if it is good, its users file and
 * repo rules replace the old ones, and repos newly marked mirrored get
 * their objects into the feed.  A bad file changes nothing and logs one
 * line.  Any other setting that changed is kept as it was, with a line
 * naming it: those take a restart. */
#ifndef LFS_RELOAD_H
#define LFS_RELOAD_H

struct server;

/* Runs in the main thread (the signal loop); requests go on meanwhile. */
void reload_run(struct server *srv);

#endif
