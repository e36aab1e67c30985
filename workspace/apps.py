from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The agents' pages (and, until the portal app, the creditor's view of a case)."""

    name = "workspace"
    verbose_name = _("Workspace")
