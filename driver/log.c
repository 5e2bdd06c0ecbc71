/* Logging: one sink, replaceable, with a level filter. */
#include <stdio.h>
#include <string.h>

#include <ipsecfx/log.h>

static ipx_log_fn log_fn;
static void *log_arg;
static int log_level = IPX_LOG_INFO;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

const char *ipx_log_level_name(int level)
{
	if (level < 0 || level > IPX_LOG_DEBUG)
		return "?";
	return level_names[level];
}

void ipx_log_set_handler(ipx_log_fn fn, void *arg)
{
	log_fn = fn;
	log_arg = arg;
}

void ipx_log_set_level(int level)
{
	log_level = level;
}

int ipx_log_get_level(void)
{
	return log_level;
}

void ipx_vlog(int level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_fn) {
		log_fn(level, msg, log_arg);
		return;
	}
	fprintf(stderr, "%s: %s\n", ipx_log_level_name(level), msg);
}

void ipx_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ipx_vlog(level, fmt, ap);
	va_end(ap);
}
