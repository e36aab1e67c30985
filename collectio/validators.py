"""Identifier validators shared by agencies, creditors and debtors (python-stdnum, schwifty)."""

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


def compact_identifier(value: str) -> str:
    """Store identifiers without spaces so lookups and de-duplication compare like with like."""
    return "".join(value.split()).upper()
