"""python manage.py task_worker [db_worker's options]

The background-task worker `make run` and `make serve` start: django-tasks-db's `db_worker`,
made patient. A worker has nobody waiting on it, so where a request gives up on a lock after
DJANGO_DB_LOCK_TIMEOUT_MS (5 s), the worker waits TASK_WORKER_LOCK_TIMEOUT_MS (10 minutes):
an import another worker is writing (on SQLite it holds the one write lock) or a site row two
imports both write. And where db_worker would stop when claiming a task meets a locked
database, this one says so and tries again: a worker must outlive the work of others.
"""

import logging
import time

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.utils import OperationalError
from django_tasks_db.management.commands import db_worker
from django_tasks_db.utils import is_locked_database_exception

logger = logging.getLogger("django_tasks_db")


def _patient(sender=None, *, connection, **kwargs):
    _set_lock_wait(connection, settings.TASK_WORKER_LOCK_TIMEOUT_MS)


def _set_lock_wait(connection, wait: int) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout = {int(wait)}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"SET lock_timeout = {int(wait)}")


class PatientWorker(db_worker.Worker):
    def run(self) -> None:
        while True:
            try:
                return super().run()
            except OperationalError as exc:
                if not is_locked_database_exception(exc) or not self.running:
                    raise
                logger.warning("Database locked while claiming a task; trying again (%s)", exc)
                time.sleep(min(self.interval or 1, 5))


class Command(db_worker.Command):
    help = (
        "Run background tasks (imports uploaded at /imports/): db_worker, waiting for locks "
        "instead of failing on them."
    )

    def handle(self, *args, **options):
        connection_created.connect(_patient, dispatch_uid="task_worker.patient")
        self._each_open_connection(settings.TASK_WORKER_LOCK_TIMEOUT_MS)
        original = db_worker.Worker
        db_worker.Worker = PatientWorker
        try:
            return super().handle(*args, **options)
        finally:  # run within another process (a test): it is as patient as before after
            db_worker.Worker = original
            connection_created.disconnect(dispatch_uid="task_worker.patient")
            self._each_open_connection(settings.DB_LOCK_TIMEOUT_MS)

    @staticmethod
    def _each_open_connection(wait: int) -> None:
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None:
                _set_lock_wait(connection, wait)
