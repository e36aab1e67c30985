from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Notices")

    def ready(self) -> None:
        from django.core import checks

        from notices.linter import check_shipped_letter_templates

        checks.register(check_shipped_letter_templates, "templates")
