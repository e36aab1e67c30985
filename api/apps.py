from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The partners' REST API and outbound webhooks."""

    name = "api"
    verbose_name = _("REST API")

    def ready(self) -> None:
        # Registers the event hook and the outbox handlers of the webhooks.
        from api import webhooks  # noqa: F401
