"""Background tasks (Django's tasks framework, the django-tasks backport; run by
`manage.py task_worker`, which `make run` and `make serve` start)."""

from django_tasks import task


@task()
def run_import(job_id: int) -> str:
    """Import an uploaded file (moderation.services.imports.run); returns the job's state."""
    from moderation.services import imports

    return imports.run(job_id)
