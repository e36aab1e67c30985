"""Identifier validators shared by agencies, creditors and debtors (python-stdnum, schwifty)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret


def validate_siren(value: str) -> None:
    try:
        siren.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid SIREN."), params={"value": value}
        ) from exc


def validate_siret(value: str) -> None:
    try:
        siret.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid SIRET."), params={"value": value}
        ) from exc


def validate_vat_number(value: str) -> None:
    try:
        vat.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid EU VAT number."), params={"value": value}
        ) from exc


def validate_iban(value: str) -> None:
    try:
        IBAN(value)
    except SchwiftyException as exc:
        raise ValidationError(_("%(value)s is not a valid IBAN."), params={"value": value}) from exc


# Five digits: a metropolitan department 01-95 (Corsica's are 20xxx), an overseas department
# 971-976 (Guadeloupe, Martinique, Guyane, La Réunion, Saint-Pierre-et-Miquelon, Mayotte; Saint-
# Barthélemy and Saint-Martin use 971) or a Pacific or southern territory served by La Poste's
# numbering: 984 (TAAF), 986 (Wallis-et-Futuna), 987 (Polynésie), 988 (Nouvelle-Calédonie).
# 980xx is Monaco: another country.
FRENCH_POSTCODE = re.compile(r"(?:0[1-9]|[1-8]\d|9[0-5])\d{3}|97[1-6]\d{2}|98[4678]\d{2}")


def validate_french_postcode(value: str) -> None:
    if not FRENCH_POSTCODE.fullmatch(value or ""):
        raise ValidationError(
            _(
                "%(value)s is not a French postcode: five digits, 01000 to 95999 in mainland "
                "France and Corsica, 971xx to 976xx and 984xx to 988xx overseas."
            ),
            params={"value": value},
            code="postcode",
        )


def compact_identifier(value: str) -> str:
    """Store identifiers without spaces so lookups and de-duplication compare like with like."""
    return "".join(value.split()).upper()
