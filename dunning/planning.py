"""When a step is due: business-day arithmetic on Paris dates, never on UTC instants (REQ-G4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dunning.models import Action, DelayUnit, Step
from law.calendar import FrenchCalendar, debtor_deadline

PARIS = ZoneInfo("Europe/Paris")
SENDING_TIME = time(9, 0)
RECHECK_AFTER = timedelta(days=1)


def at_sending_time(day: date) -> datetime:
    """Steps go out at 09:00 local time on their day."""
    return datetime.combine(day, SENDING_TIME, tzinfo=PARIS)


def step_due_on(*, step: Step, anchor: date, calendar: FrenchCalendar) -> date:
    """The day a step is due after ``anchor`` (the previous step, or the notice deadline).

    Nothing is sent on Sundays and holidays (REQ-G3): a day that falls on one moves later.
    """
    if step.delay_unit == DelayUnit.BUSINESS_DAYS:
        day = calendar.add_business_days(anchor, step.delay)
    else:
        day = anchor + timedelta(days=step.delay)
    if step.action == Action.JUDICIAL_HANDOFF:
        # The deadline is the last day granted; the handoff can only come the day after.
        day = max(day, anchor + timedelta(days=1))
    return calendar.next_sending_day(day)


@dataclass(frozen=True)
class PlannedStep:
    step: Step
    on: date
    deadline: date | None = None  # a formal notice's last day to pay


def scenario_schedule(
    steps: list[Step], *, accepted_on: date, calendar: FrenchCalendar
) -> list[PlannedStep]:
    """The days a case accepted on ``accepted_on`` would get each step, if nothing stops it
    (no payment, no dispute, no agent's wait): the sweep's own arithmetic, step after step.

    A formal notice's deadline counts here from its sending day; counted from the
    acknowledgement of receipt, it ends a few days later (the post's delay).
    """
    planned: list[PlannedStep] = []
    anchor = accepted_on
    for step in steps:
        on = step_due_on(step=step, anchor=anchor, calendar=calendar)
        deadline = None
        if step.action == Action.FORMAL_NOTICE:
            deadline = debtor_deadline(on, step.payment_deadline_days, calendar=calendar)
        planned.append(PlannedStep(step=step, on=on, deadline=deadline))
        anchor = deadline or on
    return planned
