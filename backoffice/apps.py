from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The agency admin's pages; the Django admin stays for platform operators."""

    name = "backoffice"
    verbose_name = _("Back-office")
