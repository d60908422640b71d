/* notify: sd_notify(3) messages to systemd; see notify.h.  A message that
 * cannot be sent is logged and otherwise ignored: the server serves
 * either way, and systemd reports its own timeout. */
#include <systemd/sd-daemon.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "server/notify.h"

static void send_state(const char *what, const char *state)
{
	/* 0: not under systemd (no NOTIFY_SOCKET), nothing to do. */
	int rc = sd_notify(0, state);

	if (rc < 0)
		log_warn("cannot tell systemd '%s': %s", what, strerror(-rc));
}

void notify_ready(void)
{
	/* MAINPID: the pid systemd should watch is ours, whoever started us. */
	char msg[64];

	snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%ld", (long)getpid());
	send_state("READY=1", msg);
}

void notify_stopping(void)
{
	send_state("STOPPING=1", "STOPPING=1");
}

void notify_reloading(void)
{
	/* systemd 253 and later (Type=notify-reload) want the reload's start
	 * time along with RELOADING=1; older ones ignore it. */
	struct timespec ts;
	char msg[96];

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
		send_state("RELOADING=1", "RELOADING=1");
		return;
	}
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL);
	send_state("RELOADING=1", msg);
}
