/* Unit tests for say: control characters of server text defanged. */
#include <stdlib.h>
#include <string.h>

#include "say.h"
#include "tap.h"

int main(void)
{
	static const struct {
		const char *in, *out, *name;
	} rows[] = {
		{ "plain text", "plain text", "plain text kept" },
		{ "\x1b[2Jcleared", "?[2Jcleared", "ESC replaced" },
		{ "a\rb\nc\td", "a?b?c?d", "CR, LF, TAB replaced" },
		{ "bell\x07", "bell?", "BEL replaced" },
		{ "del\x7f", "del?", "DEL replaced" },
		{ "c1 \xc2\x9b" "2J", "c1 ?2J", "UTF-8 C1 CSI replaced" },
		{ "caf\xc3\xa9 \xc2\xa0nbsp", "caf\xc3\xa9 \xc2\xa0nbsp", "other UTF-8 kept" },
		{ "", "", "empty" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *s = strdup(rows[i].in);
		if (!s)
			return 1;
		say_sanitize(s);
		is_str(s, rows[i].out, rows[i].name);
		free(s);
	}
	return tap_done();
}
