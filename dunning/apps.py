from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DunningConfig(AppConfig):
    name = "dunning"
    verbose_name = _("Dunning")

    def ready(self) -> None:
        from dunning import queues, signals  # noqa: F401  (its queue, its signals)
        from dunning.statement import database_rates
        from law.interest import register_published_rates

        register_published_rates(database_rates)
