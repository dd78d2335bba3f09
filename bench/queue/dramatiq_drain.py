"""bench/queue.sh's Dramatiq side, as the seed ran it: a Redis broker, one no-op actor.

`enqueue` sends --jobs messages; the worker (`dramatiq dramatiq_drain --processes 1 --threads 2`)
runs them, each run counted in a Redis hash (job number -> runs); `wait` watches that hash and
prints the same key=value line as Cofee's side. Its clock starts when the first job has run and
stops when the last has, so neither the worker's start-up nor the enqueueing is counted.
"""

import os
import sys
import time

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

NAMESPACE = os.environ["QUEUE_BENCH_NAMESPACE"]
URL = os.environ.get("QUEUE_BENCH_REDIS", "redis://127.0.0.1:6379/0")
RUNS = f"{NAMESPACE}:runs"

dramatiq.set_broker(RedisBroker(url=URL, namespace=NAMESPACE))
counter = redis.Redis.from_url(URL)


@dramatiq.actor(max_retries=0)
def noop(n):
    counter.hincrby(RUNS, n, 1)


def enqueue(jobs):
    for n in range(jobs):
        noop.send(n)


def wait(jobs):
    first = last = None
    seen, since = 0, time.monotonic()
    while True:
        done = counter.hlen(RUNS)
        now = time.monotonic()
        if done and first is None:
            first = now
        if done != seen:
            seen, since, last = done, now, now
        # Give up when nothing moved for 10 s (60 s while the worker starts).
        if done >= jobs or now - since > (10 if first else 60):
            break
        time.sleep(0.005)
    runs = [int(v) for v in counter.hvals(RUNS)]
    duplicates = sum(1 for r in runs if r > 1)
    lost = jobs - len(runs)
    if first is None:
        sys.exit("no job ran within 60 s: is the worker running?")
    secs = last - first
    rate = (len(runs) - 1) / secs if secs > 0 else 0.0
    print(f"jobs={jobs} seconds={secs:.3f} jobs_per_s={rate:.1f} duplicates={duplicates} lost={lost}")


if __name__ == "__main__":
    command, jobs = sys.argv[1], int(sys.argv[2])
    {"enqueue": enqueue, "wait": wait}[command](jobs)
