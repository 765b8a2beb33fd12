/*
 * json.c - writing JSON text.
 *
 * Reading JSON is left to SQLite's JSON functions (see store.c); writing
 * needs only correct string escaping, which lives here once.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

int rl_json_string(rl_buf *b, const char *s, size_t len)
{
	if (rl_buf_putc(b, '"') != RL_OK)
		return RL_ENOMEM;
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char tmp[8];
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(tmp, sizeof tmp, "\\u%04x", c);
				esc = tmp;
			}
		}
		if (!esc)
			continue;
		if (rl_buf_append(b, s + start, i - start) != RL_OK ||
		    rl_buf_append(b, esc, strlen(esc)) != RL_OK)
			return RL_ENOMEM;
		start = i + 1;
	}
	if (rl_buf_append(b, s + start, len - start) != RL_OK ||
	    rl_buf_putc(b, '"') != RL_OK)
		return RL_ENOMEM;
	return RL_OK;
}
