"""Every new agency starts with the default French scenario (issue 3)."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from collectio.models import Agency
from collectio.scoping import tenant_scope


@receiver(post_save, sender=Agency, dispatch_uid="dunning_default_scenario")
def create_default_scenario(
    sender: type[Agency], instance: Agency, created: bool, **_: Any
) -> None:
    if created:
        from dunning.services import scenario_create_default

        with tenant_scope(instance.pk):
            scenario_create_default(agency=instance)
