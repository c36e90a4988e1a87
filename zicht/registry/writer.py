"""Group commit: one writer thread per process runs the registry's write jobs, many jobs per
transaction.

Why: every request writes (a report, or at least an audit entry), each write must be durable
before it is acknowledged, and one durable commit costs a disk flush (about 3 ms here on SQLite
with ``synchronous=FULL``) plus the audit chain's head lock.  One commit per request caps intake
near 300 per second whatever the CPU; one commit per *batch* of the requests waiting at that
moment does not.  SQLAlchemy and the databases offer no such batching across sessions, so it is
done here.

Each job runs in its own SAVEPOINT inside the batch's transaction: a job that raises (a
conflict, a refused input) is rolled back alone and its caller gets the exception; the others
commit.  Submissions of reports go further: the writer hands all those waiting to one
``combine(session, payloads)`` function (one query for known references, one INSERT, one audit
append for the lot), which answers each payload with a result or an exception; if it raises
(a database error), each payload is retried alone.  A caller's future is resolved only after
the batch's COMMIT returned, so "acknowledged" still means "on disk".  If the COMMIT itself
fails, the batch's jobs are re-run one per transaction so that one bad job cannot fail the
others.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

MAX_BATCH = 256
_STOP = object()


class GroupWriter:
    def __init__(self, sessions: sessionmaker[Session], max_batch: int = MAX_BATCH,
                 combine: Callable[[Session, list], list[tuple[bool, Any]]] | None = None):
        self._sessions = sessions
        self._combine = combine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0  # counters, for the benchmark
        self.jobs = 0

    def run(self, job: Callable[[Session], Any], timeout: float = 120.0) -> Any:
        """Run ``job(session)`` in the next batch; its result once committed (or its error)."""
        return self._put(job, None, timeout)

    def submit_combined(self, payload: Any) -> Future:
        """Hand ``payload`` to ``combine`` with the others of the next batch; the future of
        its answer, resolved once committed (or with its error)."""
        return self._enqueue(None, payload)

    def _put(self, job, payload, timeout: float) -> Any:
        return self._enqueue(job, payload).result(timeout)

    def _enqueue(self, job, payload) -> Future:
        if self._thread is None or not self._thread.is_alive():
            self._start()
        future: Future = Future()
        self._queue.put((job, payload, future))
        return future

    def close(self) -> None:
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(30)
        self._thread = None

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="zicht-writer",
                                                daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[Callable | None, Any, Future]]) -> None:
        live = [item for item in batch if item[2].set_running_or_notify_cancel()]
        outcomes: list[tuple[Future, bool, Any]] = []
        try:
            with self._sessions.begin() as session:
                combined = [item for item in live if item[0] is None]
                if combined:
                    try:
                        with session.begin_nested():
                            answers = self._combine(session, [p for _, p, _ in combined])
                        outcomes.extend((fut, ok, value) for (_, _, fut), (ok, value)
                                        in zip(combined, answers, strict=True))
                    except Exception:  # a database error: each payload alone
                        for _, payload, fut in combined:
                            outcomes.append(self._attempt(
                                session, fut, lambda s, p=payload: _unwrap(
                                    self._combine(s, [p])[0])))
                for job, _, fut in live:
                    if job is not None:
                        outcomes.append(self._attempt(session, fut, job))
        except Exception as exc:  # the COMMIT failed: nothing of this batch is stored
            if len(live) == 1:
                live[0][2].set_exception(exc)
                return
            for job, payload, fut in live:  # again, one per transaction
                try:
                    with self._sessions.begin() as session:
                        result = (job(session) if job is not None
                                  else _unwrap(self._combine(session, [payload])[0]))
                except Exception as single:
                    fut.set_exception(single)
                else:
                    fut.set_result(result)
            return
        self.batches += 1
        self.jobs += len(outcomes)
        for fut, ok, value in outcomes:
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)

    @staticmethod
    def _attempt(session: Session, fut: Future, job: Callable) -> tuple[Future, bool, Any]:
        try:
            with session.begin_nested():
                return fut, True, job(session)
        except Exception as exc:  # this job only; the batch goes on
            return fut, False, exc


def _unwrap(answer: tuple[bool, Any]) -> Any:
    ok, value = answer
    if not ok:
        raise value
    return value
