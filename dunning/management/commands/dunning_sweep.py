"""Run the escalation sweep now, in this process (operations, benchmarks and tests)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django_scopes import scopes_disabled

from cases.models import ACTIVE_STATES, Case
from collectio.scoping import tenant_scope
from dunning.sweep import BATCH_SIZE, sweep_agency


class Command(BaseCommand):
    help = "Advance every due case by one step (all agencies, or one with --agency)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", type=int, help="only this agency id")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args: Any, agency: int | None, batch_size: int, **options: Any) -> None:
        if agency is None:
            with scopes_disabled():
                agencies = list(
                    Case.objects.filter(state__in=ACTIVE_STATES)
                    .order_by()
                    .values_list("agency_id", flat=True)
                    .distinct()
                )
        else:
            agencies = [agency]
        for agency_id in agencies:
            with tenant_scope(agency_id):
                result = sweep_agency(agency_id=agency_id, batch_size=batch_size)
            self.stdout.write(f"agency {agency_id}: {vars(result)}")
