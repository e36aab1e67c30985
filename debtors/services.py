"""Writes on debtors: finding the debtor a creditor names, without ever duplicating one."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from collectio.models import Agency
from collectio.validators import compact_identifier, validate_french_postcode, validate_siren
from debtors.models import ContactPoint, Debtor


@dataclass(frozen=True, kw_only=True)
class DebtorInput:
    """The debtor as the creditor describes it. A company is known by its SIREN; a person (or a
    public body without one) by name and address."""

    kind: str
    name: str
    address_line1: str
    postcode: str
    city: str
    first_name: str = ""
    siren: str = ""
    address_line2: str = ""
    country: str = "FR"
    email: str = ""
    phone: str = ""
    email_is_professional: bool = False

    @property
    def compact_siren(self) -> str:
        return compact_identifier(self.siren)


def debtor_input_errors(debtor: DebtorInput) -> dict[str, list[str]]:
    """What is wrong with the description, field by field, in French (empty: nothing)."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if debtor.kind not in Debtor.Kind.values:
        refuse("kind", _("Say whether the debtor is a company, a person or a public body."))
    if not debtor.name.strip():
        refuse("name", _("Give the debtor's legal name or surname."))
    if debtor.kind == Debtor.Kind.COMPANY and not debtor.compact_siren:
        refuse("siren", _("A company debtor needs its SIREN (9 digits)."))
    if debtor.compact_siren:
        try:
            validate_siren(debtor.compact_siren)
        except ValidationError as error:
            refuse("siren", error.messages[0])
    if not debtor.address_line1.strip():
        refuse("address_line1", _("Give the debtor's postal address."))
    if not debtor.city.strip():
        refuse("city", _("Give the debtor's city."))
    if debtor.country == "FR":
        try:
            validate_french_postcode(debtor.postcode.strip())
        except ValidationError as error:
            refuse("postcode", error.messages[0])
    elif not debtor.postcode.strip():
        refuse("postcode", _("Give the debtor's postcode."))
    return errors


def debtor_find(*, agency: Agency, debtor: DebtorInput) -> Debtor | None:
    """The agency's existing debtor this description names, if any.

    A SIREN names one legal person: whoever entered it first, the same debtor is used for every
    creditor. Without a SIREN, a person is the same when surname, first name, address and
    postcode all match (case-insensitively); anything less is another person.
    """
    rows = Debtor.objects.filter(agency=agency)
    if debtor.compact_siren:
        return rows.filter(siren=debtor.compact_siren).first()
    return (
        rows.filter(siren="", kind=debtor.kind, postcode=debtor.postcode.strip())
        .annotate(
            name_ci=Lower("name"), first_ci=Lower("first_name"), line_ci=Lower("address_line1")
        )
        .filter(
            name_ci=debtor.name.strip().lower(),
            first_ci=debtor.first_name.strip().lower(),
            line_ci=debtor.address_line1.strip().lower(),
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def debtor_match(*, agency: Agency, debtor: DebtorInput) -> tuple[Debtor, bool]:
    """The debtor to open a case against: the existing one, or a new one; ``(debtor, created)``.

    An existing debtor keeps its name and address (another creditor may have given them, and
    letters already went there); the contact points given are added to it. Two intakes naming
    the same new SIREN at once create it once (the unique constraint decides, the loser reads).
    """
    errors = debtor_input_errors(debtor)
    if errors:
        raise ValidationError(errors)
    found = debtor_find(agency=agency, debtor=debtor)
    created = False
    if found is None:
        row = Debtor(
            agency=agency,
            kind=debtor.kind,
            name=debtor.name.strip(),
            first_name=debtor.first_name.strip(),
            siren=debtor.compact_siren,
            address_line1=debtor.address_line1.strip(),
            address_line2=debtor.address_line2.strip(),
            postcode=debtor.postcode.strip(),
            city=debtor.city.strip(),
            country=debtor.country or "FR",
        )
        row.full_clean(exclude=["agency"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                row.save()
            found, created = row, True
        except IntegrityError:
            found = debtor_find(agency=agency, debtor=debtor)
            if found is None:
                raise
    debtor_add_contacts(
        debtor=found,
        email=debtor.email,
        phone=debtor.phone,
        email_is_professional=debtor.email_is_professional,
    )
    return found, created


def debtor_add_contacts(
    *, debtor: Debtor, email: str = "", phone: str = "", email_is_professional: bool = False
) -> None:
    """Add the e-mail and phone given, unless the debtor has them already."""
    for channel, value, professional in (
        (ContactPoint.Channel.EMAIL, email.strip().lower(), email_is_professional),
        (ContactPoint.Channel.PHONE, "".join(phone.split()), debtor.kind != Debtor.Kind.PERSON),
    ):
        if value:
            ContactPoint.objects.get_or_create(
                agency_id=debtor.agency_id,
                debtor=debtor,
                channel=channel,
                value=value,
                defaults={"is_professional": professional},
            )
