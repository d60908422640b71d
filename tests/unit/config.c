/* Unit tests for lfs-server/core/config.c: defaults, file values, and the
 * errors a config can have (a table: one TAP line per row, each checking
 * the exit code, the line and the words of the message). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
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

static const struct bad {
	const char *text, *want1, *want2, *why;
} bads[] = {
	{ "[sever]\n\tlisten = 127.0.0.1:1\n", ":1: unknown section [sever]", "did you mean [server]", "misspelt section" },
	{ "[server]\n\tlistne = 127.0.0.1:1\n", ":2: unknown key 'server.listne'", "'server.listen'", "misspelt key" },
	{ "[repo \"tock/*\"]\n\tread = *\n\traed = alice\n", ":3: unknown key 'repo.tock/*.raed'", "'repo.tock/*.read'", "misspelt repo key" },
	{ "[mirror \"uni\"]\n\tulr = https://x\n", ":2: unknown key 'mirror.uni.ulr'", "'mirror.uni.url'", "misspelt mirror key" },
	{ "[server]\n\tfrobnicate = 1\n", ":2: unknown key 'server.frobnicate'", "", "unknown key, nothing near" },
	{ "[sever]\n", ":1: unknown section [sever]", "", "an empty unknown section" },
	{ "[include]\n\tpath = other.cfg\n", "unknown section [include]", "", "includes are refused" },
	{ "[server \"x\"]\n\tlisten = 127.0.0.1:1\n", ":1: [server \"x\"]", "takes no name", "a name on a plain section" },
	{ "[repo]\n", ":1: [repo] needs a name", "", "repo section without a pattern" },
	{ "[server]\n\tlisten = 127.0.0.1:99999\n", ":2: bad value for 'server.listen'", "outside 1-65535", "port too big" },
	{ "[server]\n\tlisten = 127.0.0.1:-1\n", ":2: bad value for 'server.listen'", "", "negative port" },
	{ "[server]\n\tlisten = 127.0.0.1\n", ":2: bad value for 'server.listen'", "HOST:PORT", "no port" },
	{ "[server]\n\tmax-object-size = 4gb\n", ":2: bad value for 'server.max-object-size'", "'4gb' is not a number", "unknown size suffix" },
	{ "[server]\n\tmax-json-bytes = 1t\n", "'server.max-json-bytes'", "'1t'", "t is no suffix" },
	{ "[server]\n\n\trequest-timeout = abc\n", ":3: bad value for 'server.request-timeout'", "not a number", "not a number" },
	{ "[server]\n\tidle-timeout = 0\n", ":2: bad value for 'server.idle-timeout'", "outside 1..86400", "out of range" },
	{ "[server]\n\tbehind-proxy = maybe\n", ":2: bad value for 'server.behind-proxy'", "boolean", "not a boolean" },
	{ "[server]\n\tpublic-url = ftp://x\n", ":2: bad value for 'server.public-url'", "http://", "non-http public url" },
	{ "[server]\n\tdata\n", ":2: bad value for 'server.data'", "needs a value", "a key without a value" },
	{ "[mirror \"a\"]\n\turl = https://x\n\tweight = 2k\n", ":3: bad value for 'mirror.a.weight'", "whole number", "weight with a suffix" },
	{ "[mirror \"a\"]\n\tweight = 2\n", ":2: 'mirror.a.weight' set but 'mirror.a.url' missing", "", "mirror without url" },
	{ "[storage]\n\ttype = s3\n", ":2: storage.type = s3 needs s3.endpoint and s3.bucket", "", "s3 without endpoint and bucket" },
	{ "[storage]\n\ttype = s4\n", ":2: bad value for 'storage.type'", "not one of local|s3", "unknown storage type" },
	{ "[s3]\n\tpresign-ttl = 0\n", ":2: bad value for 's3.presign-ttl'", "outside 1..604800", "presign ttl out of range" },
	{ "[meta]\n\ttype = mysql\n", "'meta.type'", "'mysql' is not one of sqlite|postgresql", "unknown meta type" },
	{ "[server]\n\ttls-cert = c.pem\n", "tls-key go together", "", "tls cert without key" },
	{ "[repo \"a/*\"]\n\tread = alice\n\tmirror = true\n", ":3: repo.a/*.mirror", "needs read = *", "mirror without read = *" },
	{ "[repo \"a/*.git\"]\n\tread = *\n", ":2: repo.a/*.git.read", ".git", "pattern ending in .git" },
	{ "# a comment \\\n[server]\n\tdata = a \\\n  listen = b\n\tnope = 1\n", ":5: unknown key 'server.nope'", "", "line count past a continued value" },
	{ "[server] listne = 127.0.0.1:1\n", ":1: unknown key 'server.listne'", "", "a key on the header line" },
	{ "[Server]\n\tListne = 1\n", ":2: unknown key 'server.listne'", "", "section and key names ignore case" },
};

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
	is_int(cfg.s3_presign_ttl, 600, "default presign ttl");
	ok(cfg.users == NULL && cfg.public_url == NULL, "auth off and no public url by default");
	config_release(&cfg);

	path = write_cfg("[server]\n\tlisten = 127.0.0.1:9999\n\tmax-json-bytes = 2k\n"
			 "\tpublic-url = https://lfs.example.org/\n[auth]\n\ttoken-ttl = 600\n");
	if (config_init(&cfg, &err) < 0)
		abort(); /* setup: nothing to test without it */
	ok(config_load(&cfg, path, &err) == 0, "file loads");
	is_str(cfg.listen, "127.0.0.1:9999", "listen from file");
	is_int(cfg.max_json_bytes, 2048, "k suffix");
	is_str(cfg.public_url, "https://lfs.example.org", "public url loses its trailing slash");
	is_int(cfg.token_ttl, 600, "token ttl from file");
	config_release(&cfg);

	/* Every key of the contract's table is known. */
	path = write_cfg("[server]\n\tlisten = [::1]:0\n\tdata = d\n\tpublic-url = http://x\n\tbehind-proxy\n"
			 "\ttls-cert = c\n\ttls-key = k\n\trequest-timeout = 5\n\tidle-timeout = 5\n"
			 "\tshutdown-grace = 0\n\tmax-batch-objects = 10\n\tmax-json-bytes = 1m\n"
			 "\tmax-object-size = 4g\n[auth]\n\tusers = u\n\tsecret-file = s\n\ttoken-ttl = 60\n"
			 "\tlockout-failures = 1\n\tlockout-window = 1\n\tlockout-time = 1\n"
			 "[locks]\n\tanonymous-owner = me\n[repo \"a/*\"]\n\tread = *\n\twrite = w\n\tadmin = a\n"
			 "\tmirror = true\n[mirror]\n\tcheck-interval = 2\n[mirror \"m\"]\n\turl = https://m\n"
			 "\tweight = 0\n[journal]\n\treaders = *\n[storage]\n\ttype = local\n"
			 "[s3]\n\tendpoint = http://127.0.0.1:4568\n\tbucket = b\n\tregion = r\n\tprefix = p\n"
			 "\tpath-style = true\n\taccess-key-id = i\n\tsecret-key-file = f\n"
			 "\tpublic-url = https://b\n\tpresign-ttl = 600\n"
			 "[meta]\n\ttype = sqlite\n\turl = host=x\n[metrics]\n\treaders = ops\n");
	if (config_init(&cfg, &err) < 0)
		abort(); /* setup: nothing to test without it */
	ok(config_load(&cfg, path, &err) == 0, "every contract key loads (%s)", err.msg);
	ok(cfg.behind_proxy && cfg.max_object_size == 4LL << 30 && cfg.mirror_check_interval == 2 &&
	   strcmp(cfg.listen, "[::1]:0") == 0 && strcmp(cfg.journal_readers, "*") == 0 &&
	   cfg.metrics_readers && strcmp(cfg.metrics_readers, "ops") == 0 &&
	   strcmp(cfg.meta_type, "sqlite") == 0 && strcmp(cfg.meta_url, "host=x") == 0,
	   "and lands in its field");
	ok(cfg.s3_endpoint && strcmp(cfg.s3_endpoint, "http://127.0.0.1:4568") == 0 && cfg.s3_bucket &&
	   strcmp(cfg.s3_bucket, "b") == 0 && cfg.s3_region && strcmp(cfg.s3_region, "r") == 0 &&
	   cfg.s3_prefix && strcmp(cfg.s3_prefix, "p") == 0 && cfg.s3_path_style &&
	   cfg.s3_access_key_id && strcmp(cfg.s3_access_key_id, "i") == 0 && cfg.s3_secret_key_file &&
	   strcmp(cfg.s3_secret_key_file, "f") == 0 && cfg.s3_public_url &&
	   strcmp(cfg.s3_public_url, "https://b") == 0 && cfg.s3_presign_ttl == 600, "s3 keys land in their fields");
	ok(config_section_line(&cfg, "repo", "a/*") == 23, "section line of [repo \"a/*\"] is 23 (%d)",
	   config_section_line(&cfg, "repo", "a/*"));
	config_release(&cfg);

	path = write_cfg("[meta]\n\ttype = postgresql\n\turl = postgresql://lfs@db/lfs\n");
	if (config_init(&cfg, &err) < 0)
		abort(); /* setup: nothing to test without it */
	ok(config_load(&cfg, path, &err) == 0 && strcmp(cfg.meta_type, "postgresql") == 0 &&
	   strcmp(cfg.meta_url, "postgresql://lfs@db/lfs") == 0, "meta.type = postgresql and its url load (%s)",
	   err.msg);
	config_release(&cfg);

	for (size_t i = 0; i < sizeof(bads) / sizeof(*bads); i++) {
		int rc;
		path = write_cfg(bads[i].text);
		if (config_init(&cfg, &err) < 0)
			abort(); /* setup: nothing to test without it */
		rc = config_load(&cfg, path, &err);
		ok(rc == ERR_INVALID && strstr(err.msg, path) == err.msg && strstr(err.msg, bads[i].want1) &&
		   strstr(err.msg, bads[i].want2) && !strchr(err.msg, '\n'),
		   "refused: %s (%s)", bads[i].why, err.msg);
		config_release(&cfg);
	}

	ok(config_check_listen("127.0.0.1:0", &err) == 0, "listen: port 0 is any free port");
	ok(config_check_listen("[::1]:65535", &err) == 0, "listen: 65535");
	ok(config_check_listen("127.0.0.1:65536", &err) < 0, "listen: 65536 refused");
	ok(config_check_listen("127.0.0.1:0000099999", &err) < 0, "listen: leading zeros do not hide a big port");

	path = write_cfg("[server\n\tlisten = 1\n");
	if (config_init(&cfg, &err) < 0)
		abort(); /* setup: nothing to test without it */
	ok(config_load(&cfg, path, &err) < 0, "syntax error refused");
	ok(strstr(err.msg, "line 1") != NULL || strstr(err.msg, ":1") != NULL, "syntax error names the line (%s)", err.msg);
	config_release(&cfg);

	path = write_cfg("[server]\n\tpublic-url = ftp://x\n");
	if (config_init(&cfg, &err) < 0)
		abort(); /* setup: nothing to test without it */
	ok(config_load(&cfg, path, &err) == ERR_INVALID, "non-http public url refused");
	config_release(&cfg);

	unlink(path);
	if (config_init(&cfg, &err) < 0)
		abort(); /* setup: nothing to test without it */
	ok(config_load(&cfg, path, &err) < 0, "missing file is an error, not an empty config");
	config_release(&cfg);
	return tap_done();
}
