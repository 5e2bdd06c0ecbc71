/*
 * Key pairs made ahead, on a second core (ike_crypto.h: ike_dhpool_start).
 *
 * Every IKE_SA_INIT and every IKE SA rekey needs a fresh key pair; making
 * it is about half of the Diffie-Hellman work of a set-up (the other half,
 * the shared secret, needs the peer's value and stays with the exchange).
 * A worker thread keeps, for each group that has been asked for, a stock of
 * key pairs that ike_dh_new() takes from; the event loop makes one itself
 * only when the stock is out.  Each key pair is used once and freed with
 * its SA, as before: nothing is shared or reused, only made earlier.  The
 * stock is small (IKE_DHPOOL_STOCK per group) and wiped when the daemon
 * stops (EVP_PKEY_free clears private keys).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <ipsecfx/log.h>

#include "ike_crypto.h"
#include "ike_crypto_int.h"

#define IKE_DHPOOL_STOCK 64       /* key pairs kept per group */
#define IKE_DHPOOL_GROUPS 8       /* groups ike_dh.c knows (at most) */

struct stock {
	uint16_t group;           /* 0: a free entry */
	bool wanted;              /* asked for: keep it full */
	unsigned n;
	EVP_PKEY *key[IKE_DHPOOL_STOCK];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stop;
	struct stock s[IKE_DHPOOL_GROUPS];
	unsigned long taken, made_inline;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

/* The stock of group (a new one when asked for the first time); lock held. */
static struct stock *stock_of(uint16_t group)
{
	struct stock *free_one = NULL;

	for (unsigned i = 0; i < IKE_DHPOOL_GROUPS; i++) {
		if (pool.s[i].group == group)
			return &pool.s[i];
		if (!pool.s[i].group && !free_one)
			free_one = &pool.s[i];
	}
	if (free_one)
		free_one->group = group;
	return free_one;
}

/* The next group to make a key for: the emptiest wanted one not full. */
static struct stock *needy(void)
{
	struct stock *best = NULL;

	for (unsigned i = 0; i < IKE_DHPOOL_GROUPS; i++) {
		struct stock *s = &pool.s[i];

		if (s->group && s->wanted && s->n < IKE_DHPOOL_STOCK && (!best || s->n < best->n))
			best = s;
	}
	return best;
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.lock);
	while (!pool.stop) {
		struct stock *s = needy();
		uint16_t group;
		EVP_PKEY *key;

		if (!s) {
			pthread_cond_wait(&pool.wake, &pool.lock);
			continue;
		}
		group = s->group;
		/* the work itself without the lock: the event loop takes
		 * from the stock meanwhile */
		pthread_mutex_unlock(&pool.lock);
		key = ike_dh_keygen(group);
		pthread_mutex_lock(&pool.lock);
		if (!key) {
			s->wanted = false;   /* logged by ike_dh_keygen; inline from now */
			continue;
		}
		if (s->n < IKE_DHPOOL_STOCK && !pool.stop)
			s->key[s->n++] = key;
		else
			EVP_PKEY_free(key);
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

int ike_dhpool_start(void)
{
	int ret;

	if (pool.running)
		return 0;
	pool.stop = false;
	ret = pthread_create(&pool.thread, NULL, worker, NULL);
	if (ret) {
		ipx_warn("IKE key pairs: no worker thread (%s): made as needed", strerror(ret));
		return -ret;
	}
	pool.running = true;
	return 0;
}

void ike_dhpool_stop(void)
{
	if (!pool.running)
		return;
	pthread_mutex_lock(&pool.lock);
	pool.stop = true;
	pthread_cond_signal(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
	pthread_join(pool.thread, NULL);
	pool.running = false;
	for (unsigned i = 0; i < IKE_DHPOOL_GROUPS; i++) {
		while (pool.s[i].n)
			EVP_PKEY_free(pool.s[i].key[--pool.s[i].n]);
		memset(&pool.s[i], 0, sizeof(pool.s[i]));
	}
}

EVP_PKEY *ike_dhpool_take(uint16_t group)
{
	EVP_PKEY *key = NULL;
	struct stock *s;

	if (!pool.running)
		return NULL;
	pthread_mutex_lock(&pool.lock);
	s = stock_of(group);
	if (s) {
		if (s->n) {
			key = s->key[--s->n];
			s->key[s->n] = NULL;
			pool.taken++;
		} else {
			pool.made_inline++;
		}
		if (!s->wanted || s->n < IKE_DHPOOL_STOCK / 2) {
			s->wanted = true;
			pthread_cond_signal(&pool.wake);
		}
	}
	pthread_mutex_unlock(&pool.lock);
	return key;
}

void ike_dhpool_counts(unsigned long *taken, unsigned long *made_inline)
{
	pthread_mutex_lock(&pool.lock);
	*taken = pool.taken;
	*made_inline = pool.made_inline;
	pthread_mutex_unlock(&pool.lock);
}
