from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Notices")

    def ready(self) -> None:
        from django.core import checks

        from notices.checks import check_shipped_letter_templates

        checks.register(check_shipped_letter_templates, "templates")

        from cases.events import register_letter_labels
        from notices import handlers, queues  # noqa: F401  (outbox handlers, queues)
        from notices.models import Channel, LetterKind

        register_letter_labels(kinds=LetterKind.choices, channels=Channel.choices)

        from notices.selectors import cases_of_letter_references
        from payments.selectors import register_letter_resolver

        register_letter_resolver(cases_of_letter_references)
