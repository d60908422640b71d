/* Unit tests for lfs-server/config.c: defaults, file values, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static const char *write_cfg(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/lfs-config-test-%ld", (long)getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

int main(void)
{
	struct config cfg;
	struct err err = ERR_INIT;
	const char *path;

	ok(config_init(&cfg, &err) == 0, "defaults");
	is_str(cfg.listen, "127.0.0.1:8080", "default listen");
	is_str(cfg.data, "./lfs-data", "default data");
	is_int(cfg.request_timeout, 30, "default request timeout");
	is_int(cfg.idle_timeout, 60, "default idle timeout");
	is_int(cfg.shutdown_grace, 10, "default grace");
	is_int(cfg.max_batch_objects, 1000, "default max objects");
	is_int(cfg.max_json_bytes, 1 << 20, "default max json");
	is_int(cfg.max_object_size, 0, "default no size limit");
	is_int(cfg.token_ttl, 3600, "default token ttl");
	is_str(cfg.anonymous_owner, "anonymous", "default lock owner");
	ok(cfg.users == NULL && cfg.public_url == NULL, "auth off and no public url by default");
	config_release(&cfg);

	path = write_cfg("[server]\n\tlisten = 127.0.0.1:9999\n\tmax-json-bytes = 2k\n"
			 "\tpublic-url = https://lfs.example.org/\n[auth]\n\ttoken-ttl = 600\n");
	config_init(&cfg, &err);
	ok(config_load(&cfg, path, &err) == 0, "file loads");
	is_str(cfg.listen, "127.0.0.1:9999", "listen from file");
	is_int(cfg.max_json_bytes, 2048, "k suffix");
	is_str(cfg.public_url, "https://lfs.example.org", "public url loses its trailing slash");
	is_int(cfg.token_ttl, 600, "token ttl from file");
	config_release(&cfg);

	path = write_cfg("[server]\n\tlisten = x:1\n\n\trequest-timeout = abc\n");
	config_init(&cfg, &err);
	ok(config_load(&cfg, path, &err) == ERR_INVALID, "bad number refused");
	ok(strstr(err.msg, "server.request-timeout") != NULL, "error names the key");
	ok(strstr(err.msg, ":4:") != NULL, "error names the line (%s)", err.msg);
	config_release(&cfg);

	path = write_cfg("[server]\n\tidle-timeout = 0\n");
	config_init(&cfg, &err);
	ok(config_load(&cfg, path, &err) == ERR_INVALID, "out-of-range refused");
	config_release(&cfg);

	path = write_cfg("[server\n\tlisten = 1\n");
	config_init(&cfg, &err);
	ok(config_load(&cfg, path, &err) < 0, "syntax error refused");
	ok(strstr(err.msg, "line 1") != NULL || strstr(err.msg, ":1") != NULL, "syntax error names the line (%s)", err.msg);
	config_release(&cfg);

	path = write_cfg("[server]\n\tpublic-url = ftp://x\n");
	config_init(&cfg, &err);
	ok(config_load(&cfg, path, &err) == ERR_INVALID, "non-http public url refused");
	config_release(&cfg);

	unlink(path);
	config_init(&cfg, &err);
	ok(config_load(&cfg, path, &err) < 0, "missing file is an error, not an empty config");
	config_release(&cfg);
	return tap_done();
}
