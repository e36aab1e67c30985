"""``manage.py seed_demo``: the demo agency `make run` opens on; safe to run on every start."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import translation

from cases.models import CaseState
from demo.seed import PASSWORD, USERS, seed_demo


class Command(BaseCommand):
    help = "Create the demo agency, its creditors, users and about 200 cases (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_demo()
        write = self.stdout.write
        write(
            f"Demo agency “{result.agency}” (slug {result.agency.slug}): "
            f"{result.created_cases} case(s) created, {sum(result.state_counts.values())} in all."
        )
        with translation.override("en"):
            for state, count in result.state_counts.items():
                write(f"  {CaseState(state).label:<18} {count:>4}")
        write(f'Logins (password "{PASSWORD}"):')
        for user in USERS:
            role = user.role or "platform superuser"
            write(f"  {user.email:<28} {role}")
