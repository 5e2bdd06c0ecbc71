/*
 * What a run measured: set-ups per second (the median of the 1-second
 * windows of the set-up phase: the ramp at the start and the stragglers at
 * the end do not drag it), latency from the first IKE_SA_INIT sent to the
 * IKE_AUTH answer (cookies and INVALID_KE round trips included), and why
 * set-ups failed, by reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ikegen.h"

static void count_reason(struct gen_reason *r, unsigned *n, const char *name)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if (strcmp(r[i].name, name) == 0)
			break;
	if (i == *n) {
		if (*n == GEN_REASONS_MAX)
			i = *n - 1; /* the last one takes the rest */
		else
			snprintf(r[(*n)++].name, sizeof(r[i].name), "%s", name);
	}
	r[i].n++;
}

void gen_fail(struct tun *t, const char *reason)
{
	gen_log(t, "failed: %s", reason);
	count_reason(G->st.reasons, &G->st.n_reasons, reason);
	G->st.failed++;
	gen_request_done(t);
	t->state = T_FAILED;
	gen_tunnel_done(t);
}

void gen_fail_notify(struct tun *t, uint16_t type)
{
	const char *name = ikev2_notify_name(type);
	char buf[32];

	if (strcmp(name, "UNKNOWN") == 0) {
		snprintf(buf, sizeof(buf), "notify %u", type);
		name = buf;
	}
	gen_fail(t, name);
}

void gen_td_fail(struct tun *t, const char *reason)
{
	gen_log(t, "teardown failed: %s", reason);
	count_reason(G->st.td_reasons, &G->st.n_td_reasons, reason);
	G->st.teardown_failed++;
	gen_request_done(t);
	t->state = T_GONE;
	gen_teardown_done(t);
}

void gen_count_up(struct tun *t)
{
	struct gen_stats *s = &G->st;
	uint64_t now = gen_now_ns();
	uint64_t sec = (now - s->t0_ns) / 1000000000ull;

	s->up++;
	s->lat_us[s->n_lat++] = (uint32_t)((now - t->t_start_ns) / 1000);
	if (sec >= s->n_per_s) {
		unsigned n = (unsigned)sec + 16;
		uint32_t *p = realloc(s->per_s, n * sizeof(*p));

		if (!p)
			return;
		memset(p + s->n_per_s, 0, (n - s->n_per_s) * sizeof(*p));
		s->per_s = p;
		s->n_per_s = n;
	}
	s->per_s[sec]++;
	s->t_setup_end_ns = now;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_ms(const uint32_t *v, unsigned n, double p)
{
	unsigned i;

	if (!n)
		return 0;
	i = (unsigned)(p * (n - 1) + 0.5);
	return v[i] / 1000.0;
}

/* Median of the full seconds between the first start and the last tunnel
 * up; a run shorter than a second is its mean rate. */
static double setups_per_s(void)
{
	const struct gen_stats *s = &G->st;
	double span = (double)(s->t_setup_end_ns - s->t0_ns) / 1e9;
	unsigned full = (unsigned)span;
	uint32_t *v;
	double med;

	if (!s->up)
		return 0;
	if (full < 1)
		return span > 0 ? s->up / span : 0;
	v = malloc(full * sizeof(*v));
	if (!v)
		return 0;
	memcpy(v, s->per_s, full * sizeof(*v));
	qsort(v, full, sizeof(*v), cmp_u32);
	med = full % 2 ? v[full / 2] : (v[full / 2 - 1] + v[full / 2]) / 2.0;
	free(v);
	return med;
}

static json_t *reasons_json(const struct gen_reason *r, unsigned n)
{
	json_t *o = json_object();

	for (unsigned i = 0; i < n; i++)
		json_object_set_new(o, r[i].name, json_integer(r[i].n));
	return o;
}

static void print_reasons(const char *what, const struct gen_reason *r, unsigned n)
{
	if (!n)
		return;
	printf("%s:", what);
	for (unsigned i = 0; i < n; i++)
		printf("%s %s %u", i ? "," : "", r[i].name, r[i].n);
	printf("\n");
}

int gen_report(void)
{
	struct gen_stats *s = &G->st;
	const struct gen_opts *o = &G->o;
	double rate, p50, p99, setup_s, td_s, churn_s;
	json_t *j;

	qsort(s->lat_us, s->n_lat, sizeof(*s->lat_us), cmp_u32);
	rate = setups_per_s();
	p50 = pct_ms(s->lat_us, s->n_lat, 0.50);
	p99 = pct_ms(s->lat_us, s->n_lat, 0.99);
	setup_s = s->t_setup_end_ns > s->t0_ns ? (double)(s->t_setup_end_ns - s->t0_ns) / 1e9 : 0;
	td_s = s->t_td_end_ns > s->t_td0_ns ? (double)(s->t_td_end_ns - s->t_td0_ns) / 1e9 : 0;
	churn_s = s->t_churn_end_ns > s->t_churn0_ns ?
		  (double)(s->t_churn_end_ns - s->t_churn0_ns) / 1e9 : 0;
	if (!o->json || o->verbose) {
		printf("set-up: %u of %u up, %u failed in %.2f s: %.0f set-ups/s "
		       "(median of 1 s windows), latency p50 %.1f ms, p99 %.1f ms\n",
		       s->up, o->tunnels, s->failed, setup_s, rate, p50, p99);
		printf("        %u cookies, %u INVALID_KE_PAYLOAD, %u retransmissions, "
		       "%u floated to NAT-T, %u datagrams dropped\n",
		       s->cookies, s->invalid_ke, s->retransmits, s->natt, s->rx_dropped);
		print_reasons("failures", s->reasons, s->n_reasons);
		if (o->no_auth)
			printf("        %u left half-open (IKE_SA_INIT answered, no IKE_AUTH sent)\n",
			       s->half_open);
		if (o->churn)
			printf("churn:  %u of %u Child SAs made and deleted, %u failed, %u "
			       "TEMPORARY_FAILURE retried, in %.2f s (%.0f cycles/s)\n",
			       s->churn_done, o->churn, s->churn_failed, s->churn_retried, churn_s,
			       churn_s > 0 ? s->churn_done / churn_s : 0);
		printf("held:   answered %u liveness checks, %u Child SA rekeys, %u IKE SA "
		       "rekeys, %u Child SA Deletes; %u deleted by the responder\n",
		       s->liveness, s->child_rekeys, s->ike_rekeys, s->child_deletes, s->gone);
		printf("teardown: %u deleted, %u unanswered in %.2f s\n", s->closed,
		       s->teardown_failed, td_s);
		print_reasons("teardown failures", s->td_reasons, s->n_td_reasons);
	}
	if (o->json) {
		j = json_pack("{s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:o, s:i, s:i, s:i, s:i}",
			      "tunnels", o->tunnels, "up", s->up, "failed", s->failed,
			      "setups_per_s", rate, "p50_ms", p50, "p99_ms", p99,
			      "setup_s", setup_s,
			      "failures", reasons_json(s->reasons, s->n_reasons),
			      "cookies", s->cookies, "invalid_ke", s->invalid_ke,
			      "retransmits", s->retransmits, "natt", s->natt);
		json_object_update_new(j, json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:o}",
			"liveness", s->liveness, "child_rekeys", s->child_rekeys,
			"ike_rekeys", s->ike_rekeys, "child_deletes", s->child_deletes,
			"deleted_by_responder", s->gone, "closed", s->closed,
			"teardown_failed", s->teardown_failed, "teardown_s", td_s,
			"teardown_failures", reasons_json(s->td_reasons, s->n_td_reasons)));
		json_object_update_new(j, json_pack("{s:i, s:i, s:i, s:i, s:f}",
			"half_open_left", s->half_open, "churn_done", s->churn_done,
			"churn_failed", s->churn_failed, "churn_retried", s->churn_retried,
			"churn_s", churn_s));
		json_t *per = json_array();
		unsigned secs = (unsigned)setup_s + 1;

		/* the set-up phase second by second: where the rate went */
		for (unsigned i = 0; i < secs && i < s->n_per_s; i++)
			json_array_append_new(per, json_integer(s->per_s[i]));
		json_object_set_new(j, "per_second", per);
		char *txt = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));

		printf("%s\n", txt ? txt : "{}");
		free(txt);
		json_decref(j);
	}
	fflush(stdout);
	return s->failed || s->teardown_failed || s->gone || s->churn_failed ? 1 : 0;
}
