/*
 * Prometheus metrics (metrics.h): GET /metrics, the text exposition format
 * 0.0.4, with libevent's evhttp on the daemon's loop.
 *
 * The values come from where `ipsecfx stats`, `list-sas` and `ipsecfx
 * engine` take theirs: ike_mgr_stats_json() and ipx_dp_stats_json() read
 * through tables that name each key's metric, the SAs walked with a
 * list-sas listing (ike_list_next_sa), the engine's counters, placement and
 * health.  Nothing here counts anything of its own but the scrapes.
 *
 * The text format wants every sample of a metric together, so the
 * per-Child-SA metrics are one walk over the SAs each (bytes, packets,
 * drops).  A walk goes on in slices of at most CHUNK_BYTES of text or
 * CHUNK_US of time, the next slice only once the last left the socket
 * (evhttp_send_reply_chunk_with_cb): a scrape at 100,000 SAs costs the
 * loop a few milliseconds at a time, and a client that stops reading stops
 * costing anything until the timeout drops it.
 *
 * Bounds on what a client can make the daemon do: request headers up to
 * REQ_HEADERS_MAX, a body up to REQ_BODY_MAX, REQ_TIMEOUT_S without
 * progress reading or writing, SCRAPES_MAX scrapes at once (more are
 * answered 503).  libevent 2.1 (Debian 12) has no cap on connections
 * (evhttp_set_max_connections is 2.2's); each idle one costs a descriptor
 * until the timeout, and when descriptors run out the listener pauses for
 * a second instead of spinning on accept().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include <ipsecfx/log.h>
#include <ipsecfx/place.h>

#include "../ike/ike_crypto.h"
#include "metrics.h"

#define REQ_HEADERS_MAX 8192
#define REQ_BODY_MAX 1024
#define REQ_TIMEOUT_S 5
#define SCRAPES_MAX 4
#define CHUNK_BYTES (64 * 1024)
#define CHUNK_US 2000
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics {
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *lst;
	struct event *resume;             /* the listener again after EMFILE */
	char listen[64];
	struct ike_mgr *ike;
	struct ipx_dp *dp;
	struct ipx_engine *eng;
	unsigned scrapes;                 /* in progress */
	double started;                   /* Unix time of metrics_open: the daemon's start */
	/* about the scrapes themselves (ipsecfx_metrics_*) */
	uint64_t scrapes_done, scrapes_refused, accept_pauses;
	uint64_t last_us, last_busy_us, last_slice_us, last_cpu_us, last_slice_cpu_us,
		last_bytes;
};

/* The per-Child-SA metrics, one walk each, in this order. */
enum walk { W_BYTES, W_PACKETS, W_DROPS, W__COUNT };

/* list-sas' states (ike_state_name, ike_child_show_state) */
static const char *const ike_states[] = {
	"new", "connecting", "authenticating", "established", "rekeyed", "deleting",
};
static const char *const child_states[] = { "installed", "rekeying", "rekeyed", "deleting" };
#define N_IKE_STATES (sizeof(ike_states) / sizeof(ike_states[0]))
#define N_CHILD_STATES (sizeof(child_states) / sizeof(child_states[0]))

struct scrape {
	struct metrics *m;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct event *more;               /* the next slice when the last sent nothing */
	struct evbuffer *buf;
	struct ike_list *list;            /* the walk in progress; NULL between walks */
	int walk;                         /* enum walk; W__COUNT: done */
	unsigned n_ike[N_IKE_STATES], n_child[N_CHILD_STATES];
	uint64_t t0, busy_us, slice_us, bytes;
	uint64_t cpu_us, slice_cpu_us;    /* the same in CPU time */
};

static uint64_t clock_us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

/* the loop's own time: a slice's wall time also has what other processes
 * took of the CPU meanwhile */
static uint64_t cpu_us(void)
{
	return clock_us(CLOCK_THREAD_CPUTIME_ID);
}

/* ---- the text format ---- */

/* s as a label value: \, " and newline escaped */
static const char *esc(const char *s, char *out, size_t n)
{
	size_t o = 0;

	for (; *s && o + 3 < n; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			out[o++] = '\\';
			out[o++] = *s == '\n' ? 'n' : *s;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = 0;
	return out;
}

/* # HELP and # TYPE: a counter when the name ends in _total */
static void family(struct evbuffer *b, const char *name, const char *help)
{
	size_t n = strlen(name);
	bool counter = n > 6 && strcmp(name + n - 6, "_total") == 0;

	evbuffer_add_printf(b, "# HELP ipsecfx_%s %s\n# TYPE ipsecfx_%s %s\n", name, help, name,
			    counter ? "counter" : "gauge");
}

static void sample(struct evbuffer *b, const char *name, const char *labels, uint64_t v)
{
	if (labels && *labels)
		evbuffer_add_printf(b, "ipsecfx_%s{%s} %" PRIu64 "\n", name, labels, v);
	else
		evbuffer_add_printf(b, "ipsecfx_%s %" PRIu64 "\n", name, v);
}

static void sample_f(struct evbuffer *b, const char *name, double v)
{
	evbuffer_add_printf(b, "ipsecfx_%s %.6f\n", name, v);
}

/* ---- ipsecfx stats' counters, key by key ---- */

/* One key of a stats object and its metric: entries of one metric follow
 * each other, the first has the help. */
struct stat_key {
	const char *key;
	const char *name;                 /* after "ipsecfx_" */
	const char *labels;               /* fixed labels, or NULL */
	const char *help;
};

static const struct stat_key ike_keys[] = {
	{ "half_open", "ike_sas_half_open", NULL,
	  "IKE SAs half-open now: IKE_SA_INIT answered, IKE_AUTH not yet" },
	{ "established", "ike_sa_setups_total", NULL, "IKE SAs established" },
	{ "child_rekeys", "rekeys_total", "sa=\"child\"",
	  "Rekeys done: Child SAs, IKE SAs, and reauthentications" },
	{ "ike_rekeys", "rekeys_total", "sa=\"ike\"", NULL },
	{ "reauths", "rekeys_total", "sa=\"reauthentication\"", NULL },
	{ "rekey_collisions", "rekey_collisions_total", NULL,
	  "Simultaneous rekeys resolved (RFC 7296 2.8.1)" },
	{ "dead_peers", "dead_peers_total", NULL,
	  "IKE SAs dropped because the peer stopped answering" },
	{ "cookies_sent", "ike_cookies_sent_total", NULL, "COOKIE notifies sent (RFC 7296 2.6)" },
	{ "cookies_accepted", "ike_cookies_received_total", "result=\"accepted\"",
	  "IKE_SA_INITs that came back with a COOKIE, by its verdict" },
	{ "cookies_rejected", "ike_cookies_received_total", "result=\"rejected\"", NULL },
	{ "half_open_dropped", "ike_init_dropped_total", "limit=\"max_half_open\"",
	  "IKE_SA_INITs dropped at a half-open limit" },
	{ "half_open_source_dropped", "ike_init_dropped_total",
	  "limit=\"max_half_open_per_source\"", NULL },
	{ "child_sa_limit", "ike_limit_refusals_total", "limit=\"max_child_sas\"",
	  "Requests refused at a configured SA limit" },
	{ "ike_sa_limit", "ike_limit_refusals_total", "limit=\"max_ike_sas_per_peer\"", NULL },
	{ "rx", "ike_messages_received_total", NULL, "IKE messages received" },
	{ "tx", "ike_messages_sent_total", NULL, "IKE messages sent, retransmissions included" },
	{ "rx_malformed", "ike_messages_dropped_total", "reason=\"malformed\"",
	  "IKE messages received and dropped, by why" },
	{ "rx_unknown_spi", "ike_messages_dropped_total", "reason=\"unknown_spi\"", NULL },
	{ "rx_bad_message_id", "ike_messages_dropped_total", "reason=\"bad_message_id\"", NULL },
	{ "rx_integrity_failed", "ike_messages_dropped_total", "reason=\"integrity_failed\"", NULL },
	{ "rx_out_of_state", "ike_messages_dropped_total", "reason=\"out_of_state\"", NULL },
	{ "retransmits", "ike_retransmits_total", NULL,
	  "IKE requests sent again for want of an answer" },
	{ "responses_resent", "ike_responses_resent_total", NULL,
	  "IKE responses sent again for a retransmitted request" },
	{ "fragments_tx", "ike_fragments_sent_total", NULL, "IKE fragments sent (RFC 7383)" },
	{ "fragments_rx", "ike_fragments_received_total", NULL, "IKE fragments received" },
	{ "reassembled", "ike_messages_reassembled_total", NULL,
	  "IKE messages reassembled from fragments" },
	{ "rekeyed_ike_deleted", "ike_rekeyed_sas_deleted_total", NULL,
	  "IKE SAs the peer rekeyed without deleting them, deleted by us" },
	{ "timer_runs", "ike_timer_runs_total", NULL, "IKE SAs looked at by the clock" },
	{ "flood_guard", "ike_flood_guard_active", NULL,
	  "1 while the flood guard holds cookie-less IKE_SA_INITs back" },
	{ "flood_guard_activations", "ike_flood_guard_activations_total", NULL,
	  "Times the flood guard came on" },
	{ "init_deferred", "ike_init_deferred_total", NULL,
	  "Cookie-less IKE_SA_INITs only remembered by the flood guard" },
	{ "init_repeated", "ike_init_repeated_total", NULL,
	  "IKE_SA_INITs answered by the flood guard because they came again" },
	{ "dh_keys_made_ahead", "ike_dh_keys_total", "made=\"ahead\"",
	  "Diffie-Hellman key pairs: made ahead on the second core, or inline" },
	{ "dh_keys_made_inline", "ike_dh_keys_total", "made=\"inline\"", NULL },
	{ "cert_fetch_ok", "cert_fetches_total", "result=\"ok\"",
	  "Hash and URL certificate fetches, by outcome" },
	{ "cert_fetch_failed", "cert_fetches_total", "result=\"failed\"", NULL },
	{ "cert_fetch_timed_out", "cert_fetches_total", "result=\"timed_out\"", NULL },
	{ "cert_fetch_hash_mismatch", "cert_fetches_total", "result=\"hash_mismatch\"", NULL },
	{ "cert_fetch_too_big", "cert_fetches_total", "result=\"too_big\"", NULL },
	{ "cert_cache_hits", "cert_cache_hits_total", NULL,
	  "Certificates found in the Hash and URL cache" },
	{ "cert_cache_evicted", "cert_cache_evictions_total", NULL,
	  "Certificates pushed out of the Hash and URL cache" },
	{ "cert_cache_size", "cert_cache_entries", NULL,
	  "Certificates in the Hash and URL cache now" },
	{ NULL, NULL, NULL, NULL },
};

static const struct stat_key dp_keys[] = {
	{ "children", "dataplane_child_sas", NULL, "Child SA policies in the data plane" },
	{ "tun_rx_packets", "dataplane_tun_rx_packets_total", NULL,
	  "Packets read from the TUN, to encrypt" },
	{ "tun_rx_bytes", "dataplane_tun_rx_bytes_total", NULL, "Bytes read from the TUN" },
	{ "tun_rx_reads", "dataplane_tun_rx_reads_total", NULL, "Reads from the TUN" },
	{ "tun_rx_super", "dataplane_tun_rx_super_packets_total", NULL,
	  "TUN reads that were GSO super-packets" },
	{ "tun_tx_packets", "dataplane_tun_tx_packets_total", NULL,
	  "Decrypted packets written to the TUN" },
	{ "tun_tx_bytes", "dataplane_tun_tx_bytes_total", NULL, "Bytes written to the TUN" },
	{ "tun_tx_writes", "dataplane_tun_tx_writes_total", NULL, "Writes to the TUN" },
	{ "tun_tx_super", "dataplane_tun_tx_super_packets_total", NULL,
	  "TUN writes that were GRO super-packets" },
	{ "esp_tx_packets", "dataplane_esp_tx_packets_total", NULL, "ESP packets sent" },
	{ "esp_tx_bytes", "dataplane_esp_tx_bytes_total", NULL, "ESP bytes sent" },
	{ "esp_tx_calls", "dataplane_esp_tx_calls_total", NULL, "Send calls for ESP" },
	{ "esp_tx_gso", "dataplane_esp_tx_gso_total", NULL, "ESP sends with UDP GSO" },
	{ "esp_rx_packets", "dataplane_esp_rx_packets_total", NULL, "ESP packets received" },
	{ "esp_rx_bytes", "dataplane_esp_rx_bytes_total", NULL, "ESP bytes received" },
	{ "esp_rx_held", "dataplane_esp_rx_held_total", NULL,
	  "ESP packets held for an SA being negotiated" },
	{ "net_rx_calls", "dataplane_net_rx_calls_total", NULL, "Receive calls on the sockets" },
	{ "net_rx_gro", "dataplane_net_rx_gro_total", NULL, "UDP GRO segments received" },
	{ "net_rx_copied", "dataplane_net_rx_copied_total", NULL,
	  "Received datagrams copied out of a GRO segment" },
	{ "ike_rx", "dataplane_ike_datagrams_total", "direction=\"in\"",
	  "IKE datagrams through the data plane's sockets" },
	{ "ike_tx", "dataplane_ike_datagrams_total", "direction=\"out\"", NULL },
	{ "keepalive_rx", "dataplane_nat_keepalives_total", "direction=\"in\"",
	  "NAT-T keepalives (RFC 3948 2.3)" },
	{ "keepalive_tx", "dataplane_nat_keepalives_total", "direction=\"out\"", NULL },
	{ "acquires", "dataplane_acquires_total", NULL,
	  "Packets that asked for an SA (start_action: trap)" },
	{ "udp_rx_overflows", "dataplane_udp_rx_overflows_total", NULL,
	  "IKE and NAT-T datagrams the kernel dropped: socket buffer full" },
	{ "events_lost", "dataplane_engine_events_lost_total", NULL,
	  "Engine events lost: their queue was full" },
	{ "spd_cache_hits", "dataplane_spd_cache_lookups_total", "result=\"hit\"",
	  "Policy lookups, by whether the flow cache answered" },
	{ "spd_cache_misses", "dataplane_spd_cache_lookups_total", "result=\"miss\"", NULL },
	{ "tun_offload", "dataplane_offload", "feature=\"tun\"",
	  "1 when an offload is on: TUN GSO/checksum, UDP GSO, UDP GRO" },
	{ "udp_gso", "dataplane_offload", "feature=\"udp_gso\"", NULL },
	{ "udp_gro", "dataplane_offload", "feature=\"udp_gro\"", NULL },
	{ NULL, NULL, NULL, NULL },
};

static void stat_keys(struct evbuffer *b, const json_t *o, const struct stat_key *t)
{
	const char *last = "";

	for (; t->key; t++) {
		const json_t *v = json_object_get(o, t->key);

		if (strcmp(t->name, last) != 0)
			family(b, t->name, t->help);
		last = t->name;
		if (json_is_integer(v))
			sample(b, t->name, t->labels, (uint64_t)json_integer_value(v));
		else if (json_is_boolean(v))
			sample(b, t->name, t->labels, json_is_true(v));
	}
}

/* Every integer of o under one metric, its key as the label lname. */
static void stat_object(struct evbuffer *b, const json_t *o, const char *name,
			const char *lname, const char *more, const char *help, bool head)
{
	const char *k;
	json_t *v;
	char lab[160], e[64];

	if (head)
		family(b, name, help);
	json_object_foreach((json_t *)o, k, v) {
		if (!json_is_integer(v))
			continue;
		snprintf(lab, sizeof(lab), "%s%s%s=\"%s\"", more ? more : "", more ? "," : "",
			 lname, esc(k, e, sizeof(e)));
		sample(b, name, lab, (uint64_t)json_integer_value(v));
	}
}

static void ike_stats(struct scrape *s)
{
	json_t *o = ike_mgr_stats_json(s->m->ike);
	unsigned long ahead, inl;

	if (!o)
		return;
	/* as cmd_stats adds them */
	ike_dhpool_counts(&ahead, &inl);
	json_object_set_new(o, "dh_keys_made_ahead", json_integer((json_int_t)ahead));
	json_object_set_new(o, "dh_keys_made_inline", json_integer((json_int_t)inl));
	stat_keys(s->buf, o, ike_keys);
	stat_object(s->buf, json_object_get(o, "failed_by_reason"), "ike_sa_failures_total",
		    "reason", NULL, "IKE SA set-ups that failed, by why", true);
	json_decref(o);
}

static void dp_stats(struct scrape *s)
{
	json_t *o = ipx_dp_stats_json(s->m->dp), *drops;

	if (!o)
		return;
	stat_keys(s->buf, o, dp_keys);
	drops = json_object_get(o, "drops");
	stat_object(s->buf, drops, "dataplane_drops_total", "reason", NULL,
		    "Packets the data plane dropped, by why", true);
	stat_object(s->buf, json_object_get(drops, "encrypt"), "dataplane_esp_drops_total",
		    "reason", "direction=\"out\"",
		    "Packets the ESP engine refused, by direction and verdict", true);
	stat_object(s->buf, json_object_get(drops, "decrypt"), "dataplane_esp_drops_total",
		    "reason", "direction=\"in\"", NULL, false);
	json_decref(o);
}

/* ---- the engine: `ipsecfx stats`' engine and `ipsecfx engine` ---- */

static void engine_placement(struct evbuffer *b, struct ipx_engine *eng)
{
	static const enum ipx_fault faults[] = {
		IPX_FAULT_NONE, IPX_FAULT_STALL, IPX_FAULT_DMA, IPX_FAULT_RESET,
	};
	struct ipx_place_info pi;
	char lab[64];

	if (ipx_place_info(eng, &pi) < 0)
		return;
	family(b, "engine_sas", "ESP SAs by where they run: on the card or in software");
	sample(b, "engine_sas", "placement=\"card\"", pi.sas_card);
	sample(b, "engine_sas", "placement=\"software\"", pi.sas_soft);
	family(b, "engine_card_serving", "1 while new SAs are placed on the card");
	sample(b, "engine_card_serving", NULL, pi.card_serving);
	family(b, "engine_card_healthy", "1 while the card serves packets");
	sample(b, "engine_card_healthy", NULL, pi.health.ok);
	family(b, "engine_card_fault", "The card's current (or last) fault: 1 for it");
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		snprintf(lab, sizeof(lab), "fault=\"%s\"", ipx_fault_name(faults[i]));
		sample(b, "engine_card_fault", lab, pi.health.fault == faults[i]);
	}
	family(b, "engine_card_faults_total", "Card faults since start");
	sample(b, "engine_card_faults_total", NULL, pi.health.faults);
	family(b, "engine_card_heartbeat", "The card's heartbeat counter");
	sample(b, "engine_card_heartbeat", NULL, pi.health.heartbeat);
	family(b, "engine_fallbacks_total", "Falls back from the card to software");
	sample(b, "engine_fallbacks_total", NULL, pi.fallbacks);
	family(b, "engine_moves_back_total", "SAs moved to the card again");
	sample(b, "engine_moves_back_total", NULL, pi.moves_back);
	family(b, "engine_last_fallback_duration_seconds",
	       "How long the last fallback took to move the SAs' state");
	sample_f(b, "engine_last_fallback_duration_seconds", (double)pi.last_fallback_us / 1e6);
	family(b, "engine_card_max_sas", "The card's SA table, each way");
	sample(b, "engine_card_max_sas", NULL, pi.card_max_sas);
	family(b, "engine_card_full", "1 when the card's last refusal was for room");
	sample(b, "engine_card_full", NULL, pi.card_full);
	family(b, "engine_sas_no_room", "SAs in software now because the card was full");
	sample(b, "engine_sas_no_room", NULL, pi.sas_soft_no_room);
	family(b, "engine_card_full_sas_total", "SAs sent to software because the card was full");
	sample(b, "engine_card_full_sas_total", NULL, pi.card_full_sas);
}

static void engine_stats(struct scrape *s)
{
	struct evbuffer *b = s->buf;
	struct ipx_caps caps;
	uint64_t drops[IPX_ST__COUNT];
	char lab[320], e1[64], e2[160];

	ipx_engine_caps(s->m->eng, &caps);
	family(b, "engine_info", "The ESP engine: its backend and implementation");
	snprintf(lab, sizeof(lab), "backend=\"%s\",impl=\"%s\",hardware=\"%s\"",
		 esc(caps.backend, e1, sizeof(e1)), esc(caps.impl, e2, sizeof(e2)),
		 caps.hardware ? "yes" : "no");
	sample(b, "engine_info", lab, 1);
	family(b, "engine_placement", "1 when the engine places SAs on a card with a software "
	       "fallback");
	sample(b, "engine_placement", NULL, ipx_place_is(s->m->eng));
	ipx_engine_drops(s->m->eng, drops);
	family(b, "engine_drops_no_sa_total", "Packets the engine dropped before finding an SA, "
	       "by verdict");
	for (int i = 1; i < IPX_ST__COUNT; i++) {
		snprintf(lab, sizeof(lab), "reason=\"%s\"", ipx_status_name(i));
		sample(b, "engine_drops_no_sa_total", lab, drops[i]);
	}
	engine_placement(b, s->m->eng);
}

/* the scrapes themselves, as of the last one finished */
static void self_stats(struct scrape *s)
{
	struct evbuffer *b = s->buf;
	const struct metrics *m = s->m;

	family(b, "start_time_seconds", "When the daemon started, Unix time");
	sample_f(b, "start_time_seconds", m->started);
	family(b, "metrics_scrapes_total", "Scrapes of /metrics answered in full");
	sample(b, "metrics_scrapes_total", NULL, m->scrapes_done);
	family(b, "metrics_scrapes_in_progress", "Scrapes being answered, this one included");
	sample(b, "metrics_scrapes_in_progress", NULL, m->scrapes);
	family(b, "metrics_scrapes_refused_total", "Scrapes answered 503: too many at once");
	sample(b, "metrics_scrapes_refused_total", NULL, m->scrapes_refused);
	family(b, "metrics_accept_pauses_total", "Times the listener paused: out of descriptors");
	sample(b, "metrics_accept_pauses_total", NULL, m->accept_pauses);
	family(b, "metrics_last_scrape_duration_seconds", "The last scrape, first byte to last");
	sample_f(b, "metrics_last_scrape_duration_seconds", (double)m->last_us / 1e6);
	family(b, "metrics_last_scrape_busy_seconds", "Loop time the last scrape took, in all");
	sample_f(b, "metrics_last_scrape_busy_seconds", (double)m->last_busy_us / 1e6);
	family(b, "metrics_last_scrape_slice_seconds",
	       "The longest the last scrape held the loop at once");
	sample_f(b, "metrics_last_scrape_slice_seconds", (double)m->last_slice_us / 1e6);
	family(b, "metrics_last_scrape_cpu_seconds", "CPU time the last scrape took, in all");
	sample_f(b, "metrics_last_scrape_cpu_seconds", (double)m->last_cpu_us / 1e6);
	family(b, "metrics_last_scrape_slice_cpu_seconds",
	       "CPU time of the last scrape's longest slice (without what others took)");
	sample_f(b, "metrics_last_scrape_slice_cpu_seconds", (double)m->last_slice_cpu_us / 1e6);
	family(b, "metrics_last_scrape_bytes", "The size of the last scrape's answer");
	sample(b, "metrics_last_scrape_bytes", NULL, m->last_bytes);
}

/* ---- the walks over the SAs ---- */

static const char *const walk_names[W__COUNT] = {
	"child_sa_bytes_total", "child_sa_packets_total", "child_sa_drops_total",
};
static const char *const walk_help[W__COUNT] = {
	"Inner bytes through a Child SA, by direction",
	"Inner packets through a Child SA, by direction",
	"Packets of a Child SA's policy dropped, by direction and why (only those not 0)",
};

static void count(unsigned *n, const char *const *names, size_t k, const char *state)
{
	for (size_t i = 0; i < k; i++)
		if (strcmp(names[i], state) == 0) {
			n[i]++;
			return;
		}
}

static void child_drops(struct scrape *s, const char *lab, uint32_t h)
{
	struct ipx_dp_child_stats st;
	char l[512];

	if (h == IPX_DP_CHILD_NONE || ipx_dp_child_stats(s->m->dp, h, &st) < 0)
		return;
	if (st.selector_drops) {
		snprintf(l, sizeof(l), "%s,direction=\"in\",reason=\"selector_mismatch\"", lab);
		sample(s->buf, walk_names[W_DROPS], l, st.selector_drops);
	}
	if (st.tx_errors) {
		snprintf(l, sizeof(l), "%s,direction=\"out\",reason=\"tx_error\"", lab);
		sample(s->buf, walk_names[W_DROPS], l, st.tx_errors);
	}
	for (int i = 1; i < IPX_ST__COUNT; i++) {
		if (st.enc_drops[i]) {
			snprintf(l, sizeof(l), "%s,direction=\"out\",reason=\"%s\"", lab,
				 ipx_status_name(i));
			sample(s->buf, walk_names[W_DROPS], l, st.enc_drops[i]);
		}
		if (st.dec_drops[i]) {
			snprintf(l, sizeof(l), "%s,direction=\"in\",reason=\"%s\"", lab,
				 ipx_status_name(i));
			sample(s->buf, walk_names[W_DROPS], l, st.dec_drops[i]);
		}
	}
}

/* in and out of one Child SA, as list-sas' bytes_in/out, packets_in/out */
static void child_traffic(struct scrape *s, const char *lab, const struct ike_child_info *ci)
{
	struct ipx_sa_state in, out;
	char l[512];
	bool bytes = s->walk == W_BYTES;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	ipx_sa_query(s->m->eng, ci->eng_in, &in);
	ipx_sa_query(s->m->eng, ci->eng_out, &out);
	snprintf(l, sizeof(l), "%s,direction=\"in\"", lab);
	sample(s->buf, walk_names[s->walk], l, bytes ? in.ctr.bytes : in.ctr.packets);
	snprintf(l, sizeof(l), "%s,direction=\"out\"", lab);
	sample(s->buf, walk_names[s->walk], l, bytes ? out.ctr.bytes : out.ctr.packets);
}

static void walk_sa(struct scrape *s, const struct ikesa *sa)
{
	struct ike_sa_info si;
	char conn[2 * CFG_NAME_MAX], name[2 * CFG_NAME_MAX], lab[5 * CFG_NAME_MAX];

	ike_sa_get(sa, &si);
	if (s->walk == W_BYTES)
		count(s->n_ike, ike_states, N_IKE_STATES, si.state);
	esc(si.conn, conn, sizeof(conn));
	for (const struct child_sa *c = ike_sa_child_next(sa, NULL); c;
	     c = ike_sa_child_next(sa, c)) {
		struct ike_child_info ci;

		ike_child_get(c, &ci);
		snprintf(lab, sizeof(lab), "conn=\"%s\",child=\"%s\",child_sa=\"%u\"", conn,
			 esc(ci.name, name, sizeof(name)), ci.unique_id);
		if (s->walk == W_DROPS) {
			child_drops(s, lab, ike_child_dp(c));
			continue;
		}
		if (s->walk == W_BYTES)
			count(s->n_child, child_states, N_CHILD_STATES, ci.state);
		child_traffic(s, lab, &ci);
	}
}

/* after the first walk: what it counted */
static void states(struct scrape *s)
{
	char lab[64];

	family(s->buf, "ike_sas", "IKE SAs by state, as list-sas shows them");
	for (size_t i = 0; i < N_IKE_STATES; i++) {
		snprintf(lab, sizeof(lab), "state=\"%s\"", ike_states[i]);
		sample(s->buf, "ike_sas", lab, s->n_ike[i]);
	}
	family(s->buf, "child_sas", "Child SAs by state, as list-sas shows them");
	for (size_t i = 0; i < N_CHILD_STATES; i++) {
		snprintf(lab, sizeof(lab), "state=\"%s\"", child_states[i]);
		sample(s->buf, "child_sas", lab, s->n_child[i]);
	}
}

/* Walk on within one slice; false once the walks are done. */
static bool walk_on(struct scrape *s, uint64_t t0)
{
	static const struct ike_list_query all = { .conn = "" };

	while (s->walk < W__COUNT) {
		const struct ikesa *sa;
		int r;

		if (evbuffer_get_length(s->buf) >= CHUNK_BYTES || now_us() - t0 >= CHUNK_US)
			return true;
		if (!s->list) {
			s->list = ike_list_open(s->m->ike, &all);
			if (!s->list) {
				s->walk = W__COUNT;   /* out of memory: the answer so far */
				break;
			}
			family(s->buf, walk_names[s->walk], walk_help[s->walk]);
		}
		/* a few SAs between looks at the clock */
		for (int i = 0; i < 32; i++) {
			r = ike_list_next_sa(s->list, &sa);
			if (r == -EAGAIN)
				continue;
			if (r <= 0) {
				ike_list_close(s->list);
				s->list = NULL;
				if (s->walk == W_BYTES)
					states(s);
				s->walk++;
				break;
			}
			walk_sa(s, sa);
		}
	}
	return false;
}

/* ---- scrapes ---- */

static void scrape_free(struct scrape *s)
{
	s->m->scrapes--;
	ike_list_close(s->list);
	if (s->more)
		event_free(s->more);
	if (s->buf)
		evbuffer_free(s->buf);
	free(s);
}

/* The connection went (the client left, the timeout, or metrics_free):
 * a request it left behind half answered is ours to free. */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
	struct scrape *s = arg;

	(void)evcon;
	if (!evhttp_request_get_connection(s->req))
		evhttp_request_free(s->req);
	scrape_free(s);
}

static void scrape_done(struct scrape *s)
{
	struct metrics *m = s->m;

	m->scrapes_done++;
	m->last_us = now_us() - s->t0;
	m->last_busy_us = s->busy_us;
	m->last_slice_us = s->slice_us;
	m->last_cpu_us = s->cpu_us;
	m->last_slice_cpu_us = s->slice_cpu_us;
	m->last_bytes = s->bytes;
	/* first: with HTTP/1.0 the end may free the connection at once */
	evhttp_connection_set_closecb(s->evcon, NULL, NULL);
	evhttp_send_reply_end(s->req);
	scrape_free(s);
}

static void chunk_sent(struct evhttp_connection *evcon, void *arg);

/* One slice: as much as CHUNK_BYTES and CHUNK_US allow, sent. */
static void slice_end(struct scrape *s, uint64_t t0, uint64_t c0)
{
	uint64_t dt = now_us() - t0, dc = cpu_us() - c0;

	s->busy_us += dt;
	s->cpu_us += dc;
	if (dt > s->slice_us)
		s->slice_us = dt;
	if (dc > s->slice_cpu_us)
		s->slice_cpu_us = dc;
}

static void scrape_more(struct scrape *s)
{
	uint64_t t0 = now_us(), c0 = cpu_us();
	bool more = walk_on(s, t0);
	size_t len = evbuffer_get_length(s->buf);

	s->bytes += len;
	slice_end(s, t0, c0);
	if (!more) {
		if (len)
			evhttp_send_reply_chunk(s->req, s->buf);
		scrape_done(s);
	} else if (len) {
		/* the next slice once this one left the socket */
		evhttp_send_reply_chunk_with_cb(s->req, s->buf, chunk_sent, s);
	} else {
		static const struct timeval now = { 0, 0 };

		/* a slice that found nothing to say (SAs without Child
		 * SAs): the next one after the loop polled for I/O */
		event_add(s->more, &now);
	}
}

static void chunk_sent(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	scrape_more(arg);
}

static void more_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	scrape_more(arg);
}

static void scrape_start(struct metrics *m, struct evhttp_request *req)
{
	struct scrape *s = calloc(1, sizeof(*s));
	uint64_t t0 = now_us(), c0 = cpu_us();

	if (!s || !(s->buf = evbuffer_new()) ||
	    !(s->more = event_new(m->base, -1, 0, more_cb, s))) {
		if (s && s->buf)
			evbuffer_free(s->buf);
		free(s);
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	m->scrapes++;
	s->m = m;
	s->req = req;
	s->evcon = evhttp_request_get_connection(req);
	s->t0 = t0;
	evhttp_connection_set_closecb(s->evcon, on_close, s);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", CONTENT_TYPE);
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	/* the fixed-size part first, at once */
	ike_stats(s);
	dp_stats(s);
	engine_stats(s);
	self_stats(s);
	/* a slice of its own: the walks begin once it left the socket */
	s->bytes += evbuffer_get_length(s->buf);
	slice_end(s, t0, c0);
	evhttp_send_reply_chunk_with_cb(req, s->buf, chunk_sent, s);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	enum evhttp_cmd_type t = evhttp_request_get_command(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (!path || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics is here");
		return;
	}
	if (t != EVHTTP_REQ_GET && t != EVHTTP_REQ_HEAD) {
		evhttp_add_header(h, "Allow", "GET, HEAD");
		evhttp_send_error(req, HTTP_BADMETHOD, "GET /metrics");
		return;
	}
	if (t == EVHTTP_REQ_HEAD) {
		evhttp_add_header(h, "Content-Type", CONTENT_TYPE);
		evhttp_send_reply(req, HTTP_OK, "OK", NULL);
		return;
	}
	if (m->scrapes >= SCRAPES_MAX) {
		m->scrapes_refused++;
		evhttp_add_header(h, "Retry-After", "1");
		evhttp_send_error(req, HTTP_SERVUNAVAIL, "too many scrapes at once");
		return;
	}
	scrape_start(m, req);
}

/* ---- the listener ---- */

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct metrics *m = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(m->lst);
}

/* The listener's error callback gets evhttp's argument, not ours: the one
 * metrics listener of the daemon is found here. */
static struct metrics *the_metrics;

/* accept() failed: out of descriptors (or memory) most likely; a
 * level-triggered listener would try again at once, forever */
static void accept_error(struct evconnlistener *lst, void *arg)
{
	struct metrics *m = the_metrics;
	static const struct timeval pause = { 1, 0 };
	int e = EVUTIL_SOCKET_ERROR();

	(void)arg;
	if (!m || m->lst != lst)
		return;
	if (e == EAGAIN || e == EINTR || e == ECONNABORTED)
		return;
	if (!m->accept_pauses++ || m->accept_pauses % 100 == 0)
		ipx_warn("metrics %s: accept: %s: listener paused for 1s (%llu times)", m->listen,
			 strerror(e), (unsigned long long)m->accept_pauses);
	evconnlistener_disable(lst);
	event_add(m->resume, &pause);
}

static int listen_on(const struct sockaddr_storage *ss)
{
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, e;

	if (fd < 0)
		return -errno;
	/* a restart binds again while the last one's connections linger */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, 64) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int metrics_open(struct event_base *base, const struct cfg *cfg, struct ike_mgr *ike,
		 struct ipx_dp *dp, struct ipx_engine *eng, struct metrics **out)
{
	struct evhttp_bound_socket *bound;
	struct timespec ts;
	struct metrics *m;
	int fd;

	*out = NULL;
	if (!cfg->metrics_listen[0])
		return 0;
	fd = listen_on(&cfg->metrics_addr);
	if (fd < 0) {
		ipx_err("metrics.listen %s in %s: cannot listen: %s%s", cfg->metrics_listen,
			cfg->file, strerror(-fd), fd == -EADDRINUSE ?
			" (another program has the port: choose another, or remove metrics:)" : "");
		return fd;
	}
	m = calloc(1, sizeof(*m));
	if (!m || !(m->http = evhttp_new(base)) ||
	    !(m->resume = event_new(base, -1, 0, resume_cb, m))) {
		close(fd);
		metrics_free(m);
		return -ENOMEM;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	m->started = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	m->base = base;
	m->ike = ike;
	m->dp = dp;
	m->eng = eng;
	snprintf(m->listen, sizeof(m->listen), "%s", cfg->metrics_listen);
	evhttp_set_max_headers_size(m->http, REQ_HEADERS_MAX);
	evhttp_set_max_body_size(m->http, REQ_BODY_MAX);
	evhttp_set_timeout(m->http, REQ_TIMEOUT_S);
	/* every method reaches on_request, which answers 405 itself
	 * (evhttp's own answer would be 501) */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(m->http, on_request, m);
	bound = evhttp_accept_socket_with_handle(m->http, fd);
	if (!bound) {
		close(fd);
		metrics_free(m);
		return -ENOMEM;
	}
	m->lst = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(m->lst, accept_error);
	the_metrics = m;
	ipx_info("metrics: http://%s/metrics", m->listen);
	*out = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	if (the_metrics == m)
		the_metrics = NULL;
	/* frees the connections: scrapes in progress end in on_close */
	if (m->http)
		evhttp_free(m->http);
	if (m->resume)
		event_free(m->resume);
	free(m);
}
