"""Debtors and how to reach them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from collectio.models import Agency, PostalAddress
from collectio.scoping import TenantManager
from collectio.validators import validate_siren


class Debtor(PostalAddress):
    """Whoever owes; shared by the creditors, shown to a creditor only through its cases."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Private person")
        PUBLIC = "public", _("Public body")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    name = models.CharField(_("name"), max_length=200, help_text=_("Legal name or surname."))
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    # REQ-E1: an electronic registered letter needs a private person's prior consent.
    consents_to_electronic_registered_mail = models.BooleanField(
        _("consents to electronic registered mail"), default=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "cases__creditor"

    class Meta:
        verbose_name = _("debtor")
        verbose_name_plural = _("debtors")
        constraints = [
            models.CheckConstraint(
                name="debtor_company_has_siren",
                condition=~models.Q(kind="company") | ~models.Q(siren=""),
                violation_error_message=_("A company debtor needs its SIREN."),
            ),
            models.UniqueConstraint(
                fields=["agency", "siren"],
                condition=~models.Q(siren=""),
                name="debtor_unique_siren_per_agency",
                violation_error_message=_("Your agency already has a debtor with this SIREN."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.PERSON and self.first_name:
            return f"{self.first_name} {self.name}"
        return self.name

    @property
    def is_consumer(self) -> bool:
        return self.kind == self.Kind.PERSON


class ContactPoint(models.Model):
    """An e-mail or phone; personal details are used before professional ones (REQ-F2)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    debtor = models.ForeignKey(
        Debtor, on_delete=models.CASCADE, related_name="contact_points", verbose_name=_("debtor")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    value = models.CharField(_("value"), max_length=254)
    is_professional = models.BooleanField(_("professional"), default=False)

    objects = TenantManager()
    creditor_path = "debtor__cases__creditor"

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["is_professional", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["debtor", "channel", "value"],
                name="contact_point_unique",
                violation_error_message=_("This debtor already has this contact point."),
            )
        ]

    def __str__(self) -> str:
        return self.value
