from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The creditor's pages: intake, bulk import, cases, dashboard. Views, forms, templates only."""

    name = "portal"
    verbose_name = _("Creditor portal")
