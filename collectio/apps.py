from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectioConfig(AppConfig):
    name = "collectio"
    verbose_name = _("Tenancy")
