"""Sanitizing spread over the machine's cores, for importers of big files.

bleach takes a few hundred microseconds per comment of HTML, far more than reading and
writing it: an export of HTML comments is sanitized in worker processes, a chunk of
comments per task, while the importing process reads the next chunk and writes the last.
Each chunk's results come back in the order the chunks were given, and cleaning one piece
of content (`archive.sanitize.clean`) depends on nothing but that content, so the result
is the same, byte for byte, with any number of workers or none.

Workers start from a fork server that has imported only `archive.sanitize` (bleach), not
Django: they never touch the database or its connections, and forking stays safe in a
process with threads (a background task's worker).
"""

import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor

from archive.sanitize import Job, clean_all, plain

Result = tuple[str, str, tuple[str, ...]]  # html, text, cuts


def usable_cpus() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer than the
    machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["archive.sanitize"])
    return context


class Cleaning:
    """Cleans chunks of content: in `workers` processes, or here when `workers` is 0.

    `submit(jobs)` gives a handle whose `result()` is the chunk's results in order; at most
    `ahead` chunks are being cleaned at once (the caller waits for the oldest before giving
    more), so memory stays bounded whatever the file's size. Close it to stop the workers.
    """

    def __init__(self, workers: int):
        self.workers = max(0, workers)
        self.ahead = 2 * self.workers
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, jobs: list[Job]) -> "_Chunk":
        """Start cleaning `jobs`. Plain text is cleaned here and now: its short way costs
        less than sending it to a worker and back."""
        if not self.workers:
            return _Chunk(clean_all(jobs))
        hard = [i for i, job in enumerate(jobs) if not plain(job)]
        if not hard:
            return _Chunk(clean_all(jobs))
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_context())
        future = self._pool.submit(clean_all, [jobs[i] for i in hard])
        hard_set = set(hard)
        easy = clean_all([job for i, job in enumerate(jobs) if i not in hard_set])
        return _Chunk(easy, future, hard)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class _Chunk:
    """A chunk's results, some cleaned here (`done`, in order) and some (`hard`, their
    places in the chunk) by a worker (`future`)."""

    def __init__(self, done: list[Result], future: Future | None = None, hard=()):
        self.done, self.future, self.hard = done, future, hard

    def result(self) -> list[Result]:
        if self.future is None:
            return self.done
        worked = iter(self.future.result())
        easy = iter(self.done)
        places = set(self.hard)
        return [
            next(worked) if i in places else next(easy)
            for i in range(len(self.done) + len(self.hard))
        ]


class Pipeline:
    """Items, each with its jobs, cleaned in chunks of about `chunk` jobs and handed back in
    their order, finished: `feed(item, jobs)` returns the items whose chunk is done (none
    while chunks are still being cleaned ahead), `drain()` the rest at the end."""

    def __init__(self, cleaning: Cleaning, finish, chunk: int):
        self.cleaning, self.finish, self.chunk = cleaning, finish, chunk
        self.items: list = []
        self.jobs: list[Job] = []
        self.pending: deque = deque()

    def feed(self, item, jobs: list[Job]) -> list:
        self.items.append((item, len(jobs)))
        self.jobs.extend(jobs)
        if len(self.jobs) < self.chunk:
            return []
        self._submit()
        done = []
        while len(self.pending) > self.cleaning.ahead:
            done.extend(self._finished())
        return done

    def drain(self) -> list:
        if self.items:
            self._submit()
        done = []
        while self.pending:
            done.extend(self._finished())
        return done

    def _submit(self) -> None:
        self.pending.append((self.items, self.cleaning.submit(self.jobs)))
        self.items, self.jobs = [], []

    def _finished(self) -> list:
        items, future = self.pending.popleft()
        results = future.result()
        done, at = [], 0
        for item, count in items:
            done.append(self.finish(item, results[at : at + count]))
            at += count
        return done
