from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectioConfig(AppConfig):
    name = "collectio"
    verbose_name = _("Tenancy")

    def ready(self) -> None:
        from collectio import handlers  # noqa: F401  (registers the outbox handlers)
