"""Reads of the dunning engine, given the member whose view they serve, and the state of the
reference-rate table that every staff page reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collectio.access import visible
from collectio.models import Membership
from dunning.models import RATE_KIND_LABELS, Deadline, ReferenceRate, StepExecution
from dunning.reference_rates import next_semester
from law.interest import RateKind, RateMissing, semester_bounds, semester_of


def steps_awaiting_confirmation(*, membership: Membership | None) -> QuerySet[StepExecution]:
    return visible(
        StepExecution.objects.filter(status=StepExecution.Status.AWAITING_CONFIRMATION)
        .select_related("case__debtor", "case__creditor", "step")
        .order_by("planned_for"),
        membership,
    )


def deadlines_to_act_on(*, membership: Membership | None) -> QuerySet[Deadline]:
    """The deadlines still open, and the agency's own that were missed and not yet done,
    soonest first."""
    return visible(
        Deadline.objects.filter(status__in=[Deadline.Status.OPEN, Deadline.Status.MISSED])
        .select_related("case__debtor", "case__creditor")
        .order_by("due_on", "pk"),
        membership,
    )


# --- reference rates ------------------------------------------------------------------------
RATE_ALERT_DAYS_BEFORE = 15  # a semester's rates are looked for from 15 days before it begins


@dataclass(frozen=True)
class RateGap:
    """A semester whose rates are missing or only provisional (demo copies, unchecked values)."""

    semester: str
    begins_on: date
    current: bool
    missing: tuple[RateKind, ...]
    provisional: tuple[RateKind, ...]

    def sentences(self) -> list[str]:
        """What is wrong and how to fix it, for the staff banner and the operators' e-mail."""
        said = []
        if self.missing:
            kinds = _kinds(self.missing)
            if self.current:
                said.append(
                    _(
                        "Reference rates for %(semester)s are missing: %(kinds)s. Amounts, "
                        "payments and letters that need them are refused until they are loaded."
                    )
                    % {"semester": self.semester, "kinds": kinds}
                )
            else:
                said.append(
                    _(
                        "Reference rates for %(semester)s, needed from %(begins)s, are not "
                        "loaded yet: %(kinds)s."
                    )
                    % {
                        "semester": self.semester,
                        "begins": formats.date_format(self.begins_on),
                        "kinds": kinds,
                    }
                )
        if self.provisional:
            said.append(
                _(
                    "Reference rates for %(semester)s are provisional, not published values: "
                    "%(kinds)s."
                )
                % {"semester": self.semester, "kinds": _kinds(self.provisional)}
            )
        said.append(str(RATE_FIX))
        return said


RATE_FIX = gettext_lazy(
    "Fix: a platform operator runs “manage.py import_reference_rates --ecb <ECB file> --legal "
    "<legal rates CSV>” or enters the rates in the admin (Reference rates)."
)


def _kinds(kinds: tuple[RateKind, ...]) -> str:
    return ", ".join(str(RATE_KIND_LABELS[kind]) for kind in kinds)


def reference_rate_gaps(*, today: date) -> list[RateGap]:
    """The current semester, and the next one from 15 days before it begins, if any of their
    rates is missing or unverified (one query: it runs on every staff page)."""
    semesters = [semester_of(today)]
    following = next_semester(semesters[0])
    if (semester_bounds(following)[0] - today).days <= RATE_ALERT_DAYS_BEFORE:
        semesters.append(following)
    loaded: dict[str, dict[RateKind, bool]] = {s: {} for s in semesters}
    for semester, kind, verified in ReferenceRate.objects.filter(
        semester__in=semesters
    ).values_list("semester", "kind", "verified"):
        loaded[semester][RateKind(kind)] = verified
    gaps = []
    for semester in semesters:
        missing = tuple(k for k in RateKind if k not in loaded[semester])
        provisional = tuple(k for k in RateKind if loaded[semester].get(k) is False)
        if missing or provisional:
            gaps.append(
                RateGap(
                    semester=semester,
                    begins_on=semester_bounds(semester)[0],
                    current=semester == semesters[0],
                    missing=missing,
                    provisional=provisional,
                )
            )
    return gaps


def rate_missing_message(missing: RateMissing) -> str:
    """``RATE_MISSING`` in words a person can act on, where an amount cannot be computed."""
    return (
        str(
            _(
                "RATE_MISSING(%(semester)s): the %(kind)s for %(semester)s is not loaded, so this "
                "amount cannot be computed."
            )
            % {"semester": missing.semester, "kind": RATE_KIND_LABELS[missing.kind]}
        )
        + " "
        + str(RATE_FIX)
    )
