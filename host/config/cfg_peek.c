/* A top-level scalar of a YAML file, with libyaml's event parser (cfg_peek.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "cfg_peek.h"

int cfg_peek_string(const char *file, const char *key, char *out, size_t n)
{
	yaml_parser_t p;
	yaml_event_t ev;
	FILE *f = fopen(file, "r");
	int depth = 0, ret = 0;
	bool is_key = true, want = false, done = false;

	if (!f)
		return -errno;
	if (!yaml_parser_initialize(&p)) {
		fclose(f);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&p, f);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			ret = -EINVAL;
			break;
		}
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth == 1)
				is_key = true;   /* a top-level value that is a collection */
			want = false;
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (depth != 1)
				break;
			if (is_key) {
				want = strcmp((const char *)ev.data.scalar.value, key) == 0;
				is_key = false;
			} else {
				if (want) {
					snprintf(out, n, "%s", (const char *)ev.data.scalar.value);
					ret = 1;
					done = true;
				}
				is_key = true;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	fclose(f);
	return ret;
}
