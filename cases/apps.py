from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases import calls, handlers, notifications, queues  # noqa: F401  (outbox handlers, event hooks, queues)
