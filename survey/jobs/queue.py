"""The queue that hands a job's id to a worker: Huey, set by SURVEY_JOBS.

- `thread` (the default): a queue in memory and a worker thread in each app process, started
  with its first job. The process that took the upload runs it; any process shows its
  progress (it is in the database). Enough for one server.
- `redis://host:6379/0`: a queue in Redis, run by `survey worker` processes on any machine
  with the same settings: the app servers only queue. For several app servers.
- `immediate` (the tests' default): the job runs inside the call that queues it.

Whatever the queue, the job's state is in the database, and a job is run once (see
survey.jobs.services.run). A queue that died with its process is refilled from the database
when a worker starts (`recover`).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey
from huey.consumer import Consumer
from sqlmodel import Session

from survey.config import ConfigError
from survey.db import get_engine
from survey.jobs import services

MODES = ("thread", "immediate")


class _InProcessConsumer(Consumer):
    """A consumer started from inside the app: it leaves the signals to the app server."""

    def _set_signal_handlers(self) -> None:
        pass


def make_huey(setting: str) -> Huey:
    if setting == "immediate":
        return MemoryHuey("survey", immediate=True)
    if setting == "thread":
        return MemoryHuey("survey")
    if setting.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("survey", url=setting)
    raise ConfigError(
        f"SURVEY_JOBS is {setting!r}; use thread (one server), a redis:// URL (several, with "
        "`survey worker`) or immediate"
    )


class Queue:
    """The app's queue (app.extensions["survey.jobs"])."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.setting = str(app.config["JOBS"])
        self.huey = make_huey(self.setting)
        self.task = self.huey.task(name="survey.run_job", retries=0)(self._run)
        self._consumer_pid: int | None = None
        self._lock = threading.Lock()

    def _run(self, job_id: int) -> None:
        with self.app.app_context():
            services.run(job_id)

    def enqueue(self, job_id: int) -> None:
        if self.setting == "thread":
            self._ensure_consumer()
        self.task(job_id)

    def _ensure_consumer(self) -> None:
        """Start this process's worker thread once (again in a forked child: threads do not
        survive a fork), and queue what the database says is waiting."""
        with self._lock:
            if self._consumer_pid == os.getpid():
                return
            self._consumer_pid = os.getpid()
            consumer = _InProcessConsumer(self.huey, workers=1, periodic=False)
            consumer.start()
        for job_id in self.waiting():
            self.task(job_id)

    def waiting(self) -> list[int]:
        with self.app.app_context(), Session(get_engine()) as session:
            return services.recover(session, int(self.app.config["JOBS_STALE_MINUTES"]))

    def consumer(self, workers: int) -> Consumer:
        """For `survey worker`: a consumer of the Redis queue, after queueing what waits."""
        for job_id in self.waiting():
            self.task(job_id)
        return Consumer(self.huey, workers=workers, periodic=False)


def init_app(app: Flask) -> None:
    app.extensions["survey.jobs"] = Queue(app)


def queue_of(app: Any) -> Queue:
    return app.extensions["survey.jobs"]
