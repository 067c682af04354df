/* The bounded work queue of the -r walks (get -r, put -r): see cli.h. */
#include <pthread.h>
#include <time.h>

#include "cli.h"

/* An item's first member is its next pointer. */
struct wq_item {
  struct wq_item *next;
};

int dfsc__cli_wq_offer(struct dfsc__cli_wq *q, void *item) {
  struct wq_item *it = item;
  int taken = 0;

  pthread_mutex_lock(q->mu);
  if (q->queued < q->max) {
    it->next = NULL;
    if (q->tail != NULL)
      ((struct wq_item *)q->tail)->next = it;
    else
      q->head = it;
    q->tail = it;
    q->queued++;
    pthread_cond_signal(&q->cv);
    taken = 1;
  }
  pthread_mutex_unlock(q->mu);
  return taken;
}

void dfsc__cli_wq_work(struct dfsc__cli_wq *q, void (*fn)(void *arg, void *item),
                       void *arg) {
  for (;;) {
    struct wq_item *it;

    pthread_mutex_lock(q->mu);
    /* Idle with others busy: they may still queue more. The timeout lets
     * a signal end the wait. */
    while (q->head == NULL && q->busy > 0 && dfsc__cli_signal == 0) {
      struct timespec until;

      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_nsec += 100 * 1000 * 1000;
      if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&q->cv, q->mu, &until);
    }
    if (q->head == NULL || dfsc__cli_signal != 0) {
      pthread_cond_broadcast(&q->cv);
      pthread_mutex_unlock(q->mu);
      return;
    }
    it = q->head;
    q->head = it->next;
    if (q->head == NULL)
      q->tail = NULL;
    q->queued--;
    q->busy++;
    pthread_mutex_unlock(q->mu);

    fn(arg, it);

    pthread_mutex_lock(q->mu);
    q->busy--;
    if (q->busy == 0 && q->head == NULL)
      pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(q->mu);
  }
}

void *dfsc__cli_wq_pop(struct dfsc__cli_wq *q) {
  struct wq_item *it = q->head;

  if (it != NULL) {
    q->head = it->next;
    if (q->head == NULL)
      q->tail = NULL;
    q->queued--;
  }
  return it;
}

void dfsc__cli_wq_run(struct dfsc__cli_wq *q, pthread_mutex_t *mu, size_t max, void *root,
                      int jobs, void *(*worker)(void *), void *arg) {
  pthread_t th[DFSC_CLI_JOBS_MAX];
  int i, started = 0;

  q->mu = mu;
  q->max = max;
  (void)dfsc__cli_wq_offer(q, root);
  for (i = 0; i < jobs && i < DFSC_CLI_JOBS_MAX; i++)
    if (pthread_create(&th[i], NULL, worker, arg) == 0)
      started++;
  if (started == 0)
    (void)worker(arg); /* no thread: the caller does the work */
  for (i = 0; i < started; i++)
    pthread_join(th[i], NULL);
}
