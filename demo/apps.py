from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for ``make run``: built through every app's services, so it sits above them."""

    name = "demo"
    verbose_name = _("Demo data")
