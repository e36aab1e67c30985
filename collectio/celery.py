"""The Celery app. Beat only triggers the sweep; PostgreSQL holds what is due (design.md)."""

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collectio.settings")

app = Celery("collectio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_routes = {"notices.tasks.*": {"queue": "letters"}}
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _beat_schedule(sender: Celery, **_: object) -> None:
    sender.conf.beat_schedule = {
        "dunning-sweep": {
            "task": "dunning.tasks.sweep",
            "schedule": settings.DUNNING_SWEEP_INTERVAL,
        },
        "dunning-prescription-alerts": {
            "task": "dunning.tasks.prescription_alerts",
            "schedule": crontab(hour=6, minute=0),
        },
        "dunning-deadline-alerts": {
            "task": "dunning.tasks.deadline_alerts",
            "schedule": crontab(hour=6, minute=15),
        },
        "dunning-reference-rates-alert": {
            "task": "dunning.tasks.reference_rates_alert",
            "schedule": crontab(hour=7, minute=0),
        },
        "payments-promises-check": {
            "task": "payments.tasks.promises_check",
            "schedule": crontab(hour=6, minute=30),
        },
        "notices-print-batches": {
            "task": "notices.tasks.print_batches",
            "schedule": crontab(hour=16, minute=30),
        },
        "form-submissions-purge": {
            "task": "collectio.submissions.purge",
            "schedule": crontab(hour=3, minute=30),
        },
        "api-idempotency-purge": {
            "task": "api.tasks.purge_idempotency_keys",
            "schedule": crontab(hour=3, minute=45),
        },
        "payments-remittances": {
            "task": "payments.tasks.remittances",
            "schedule": crontab(day_of_week="mon", hour=5, minute=0),
        },
        "payments-plans": {
            "task": "payments.tasks.payment_plans",
            "schedule": crontab(hour=6, minute=30),
        },
        "cases-resume-due-holds": {
            "task": "cases.tasks.resume_due_holds",
            "schedule": crontab(hour=6, minute=30),
        },
        "outbox-relay": {
            "task": "collectio.outbox.relay",
            "schedule": 60.0,
        },
    }
