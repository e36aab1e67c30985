"""When an agent may call a debtor (legal-fr.md REQ-F1): hours, days and caps per debtor.

No statute sets call hours for debt collection; the limits that bind are "sollicitations
répétées et non souhaitées" (C. conso L121-7 3°) and repeated malicious calls (C. pén. 222-16).
The agency picks a policy (``Agency.call_policy``): the default one, or a strict one that applies
the prospecting rules of D223-9. Either way no call on Sundays or public holidays, in the
debtor's local time (the calendar of its postcode, REQ-G1 and G4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from collectio.models import Agency
from debtors.models import REACHED_OUTCOMES, ContactLogEntry, Debtor
from law.calendar import FrenchCalendar, subdivision_for_postcode

PARIS = ZoneInfo("Europe/Paris")
# Overseas departments call in their own time (REQ-G4); metropolitan France in Paris time.
_ZONES = {
    "971": "America/Guadeloupe",
    "BL": "America/St_Barthelemy",
    "MF": "America/Marigot",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
}


@dataclass(frozen=True)
class CallPolicy:
    weekdays: frozenset[int]  # Monday is 0
    windows: tuple[tuple[time, time], ...]
    max_attempts: int
    attempts_days: int
    max_conversations: int
    conversations_days: int


POLICIES = {
    Agency.CallPolicy.STANDARD: CallPolicy(
        weekdays=frozenset(range(6)),
        windows=((time(8), time(20)),),
        max_attempts=3,
        attempts_days=7,
        max_conversations=1,
        conversations_days=3,
    ),
    Agency.CallPolicy.STRICT: CallPolicy(
        weekdays=frozenset(range(5)),
        windows=((time(10), time(13)), (time(14), time(20))),
        max_attempts=4,
        attempts_days=30,
        max_conversations=1,
        conversations_days=3,
    ),
}


def debtor_zone(debtor: Debtor) -> ZoneInfo:
    return ZoneInfo(_ZONES.get(subdivision_for_postcode(debtor.postcode) or "", "Europe/Paris"))


def _policy(agency: Agency) -> CallPolicy:
    return POLICIES[Agency.CallPolicy(agency.call_policy)]


def _in_hours(policy: CallPolicy, calendar: FrenchCalendar, local: datetime) -> bool:
    if local.weekday() not in policy.weekdays or calendar.is_holiday(local.date()):
        return False
    return any(start <= local.time() < end for start, end in policy.windows)


def _hours_text(policy: CallPolicy) -> str:
    return _(" and ").join(
        f"{formats.time_format(start, 'H:i')}-{formats.time_format(end, 'H:i')}"
        for start, end in policy.windows
    )


def call_refusals(
    *, agency: Agency, debtor: Debtor, at: datetime | None = None, callback: bool = False
) -> list[str]:
    """Why a call to ``debtor`` may not be made at ``at`` (empty: it may).

    A callback the debtor asked for is a call it wants: the conversation cap does not apply,
    the hours and the attempts cap do.
    """
    policy = _policy(agency)
    at = at or timezone.now()
    local = at.astimezone(debtor_zone(debtor))
    calendar = FrenchCalendar.for_postcode(debtor.postcode)
    refusals = []
    if calendar.is_holiday(local.date()):
        refusals.append(_("No call on a public holiday (REQ-F1)."))
    elif local.weekday() not in policy.weekdays:
        refusals.append(
            _("No call on Sundays (REQ-F1).")
            if local.weekday() == 6
            else _("The agency's call policy allows calls on weekdays only (REQ-F1).")
        )
    elif not _in_hours(policy, calendar, local):
        refusals.append(
            _("Outside the call hours: %(hours)s in the debtor's time, now %(now)s (REQ-F1).")
            % {"hours": _hours_text(policy), "now": formats.time_format(local.time(), "H:i")}
        )
    log = ContactLogEntry.objects.filter(
        agency_id=agency.pk,
        debtor=debtor,
        channel=ContactLogEntry.Channel.PHONE,
        direction=ContactLogEntry.Direction.OUTBOUND,
    )
    attempts = log.filter(at__gt=at - timedelta(days=policy.attempts_days), at__lte=at).count()
    if attempts >= policy.max_attempts:
        refusals.append(
            _(
                "This debtor was already called %(count)s times in %(days)s days, the most the "
                "call policy allows (REQ-F1)."
            )
            % {"count": attempts, "days": policy.attempts_days}
        )
    if not callback:
        talked = log.filter(
            outcome__in=REACHED_OUTCOMES,
            at__gt=at - timedelta(days=policy.conversations_days),
            at__lte=at,
        ).exists()
        if talked:
            refusals.append(
                _(
                    "The debtor was spoken to less than %(days)s days ago: one conversation per "
                    "%(days)s days at most, unless the debtor asked to be called back (REQ-F1)."
                )
                % {"days": policy.conversations_days}
            )
    return refusals


def next_call_time(*, agency: Agency, debtor: Debtor, at: datetime) -> datetime:
    """``at`` if a call is allowed then by the hours and days, else the next moment it is: a
    callback asked for a Sunday or Pentecost Monday is moved to the next allowed opening."""
    policy = _policy(agency)
    zone = debtor_zone(debtor)
    calendar = FrenchCalendar.for_postcode(debtor.postcode)
    local = at.astimezone(zone)
    for _day in range(15):
        day = local.date()
        if day.weekday() in policy.weekdays and not calendar.is_holiday(day):
            for start, end in policy.windows:
                if local.time() < end:
                    return max(local, datetime.combine(day, start, tzinfo=zone))
        local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    raise ValueError("no call slot within 15 days")  # pragma: no cover - policies open weekly
