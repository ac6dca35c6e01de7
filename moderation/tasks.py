"""Background tasks (Django's tasks framework, the django-tasks backport; run by
`manage.py task_worker`, which `make run` and `make serve` start)."""

from django_tasks import task


@task()
def run_import(job_id: int) -> str:
    """Import an uploaded file (moderation.services.imports.run); returns the job's state."""
    from moderation.services import imports

    return imports.run(job_id)


@task()
def rescore_site(site_id: int) -> int:
    """Screen a site's comments again against its word lists in force (they changed);
    returns how many have a score (moderation.screening.scoring.rescore_site)."""
    from moderation.screening import scoring

    return scoring.rescore_site(site_id)


@task()
def retrain_site(site_id: int) -> int:
    """Learn a site's categories again from its moderators' labels, then screen its
    comments with the new models; returns how many models were trained."""
    from moderation.screening import scoring, training

    trained = [model for _, model in training.train_site(site_id) if model is not None]
    if trained:
        scoring.rescore_site(site_id)
    return len(trained)
