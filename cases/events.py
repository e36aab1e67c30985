"""The case timeline: the one module that writes ``CaseEvent`` rows, one function per kind.

Every service, and the sweep's set-based insert, records what happened through these functions,
so each kind has one payload shape and one French sentence (:func:`describe`) that a creditor
understands. The API and the webhooks publish the same events. The actor is a user, an API key
or the system (``None``), recorded as such.

Each function takes ``case`` (one ``Case``) or ``cases`` (a :class:`Cases` batch, written with one
INSERT … SELECT FROM unnest, for the sweep) and is meant to run inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from cases.models import Case, CaseDocument, CaseEvent, CaseState, ClosureCode
from collectio.models import Agency, User
from collectio.money import euros

Kind = CaseEvent.Kind


@dataclass(frozen=True)
class Cases:
    """Several cases of one agency that had the same thing happen at the same instant."""

    agency_id: int
    ids: Sequence[int]


def _actor(actor: Any) -> dict[str, Any]:
    if actor is None:
        return {"actor": None, "actor_kind": CaseEvent.ActorKind.SYSTEM, "actor_label": ""}
    if isinstance(actor, User):
        return {"actor": actor, "actor_kind": CaseEvent.ActorKind.USER, "actor_label": ""}
    # An API key (or any other principal that is not a person): recorded by its name.
    return {"actor": None, "actor_kind": CaseEvent.ActorKind.API_KEY, "actor_label": str(actor)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | date | datetime):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# What the apps above do with every event written, in the same transaction: the API publishes
# them to webhook subscriptions, cases.notifications decides the creditor's e-mails.
# ``hook(agency_id=..., case_ids=[...], event_ids=[...], event=...)``: ``event`` is the row
# written, or for a batch one unsaved row with the batch's fields.
EventHook = Callable[..., None]
EVENT_HOOKS: list[EventHook] = []


def on_event(hook: EventHook) -> EventHook:
    if hook not in EVENT_HOOKS:
        EVENT_HOOKS.append(hook)
    return hook


def _written(
    agency_id: int, case_ids: Sequence[int], event_ids: list[int], event: CaseEvent
) -> None:
    for hook in EVENT_HOOKS:
        hook(agency_id=agency_id, case_ids=case_ids, event_ids=event_ids, event=event)


def _write(
    kind: str,
    *,
    case: Case | None,
    cases: Cases | None = None,
    actor: Any,
    payload: dict[str, Any],
    transition: str = "",
    from_state: str = "",
    to_state: str = "",
    at: datetime | None = None,
) -> CaseEvent | None:
    payload = _jsonable({k: v for k, v in payload.items() if v not in (None, "")})
    fields = dict(
        kind=kind,
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        payload=payload,
        at=at or timezone.now(),
        **_actor(actor),
    )
    if case is not None:
        event = CaseEvent.objects.create(agency_id=case.agency_id, case_id=case.pk, **fields)
        _written(case.agency_id, [case.pk], [event.pk], event)
        return event
    if cases is None:
        raise TypeError("an event needs case= or cases=")
    if cases.ids:
        actor_user = fields.pop("actor")
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {CaseEvent._meta.db_table} (agency_id, case_id, actor_id, "  # noqa: S608
                "actor_kind, actor_label, at, kind, transition, from_state, to_state, payload) "
                "SELECT %s, t.case_id, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb "
                "FROM unnest(%s::bigint[]) AS t(case_id) RETURNING id",
                [
                    cases.agency_id,
                    actor_user.pk if actor_user else None,
                    fields["actor_kind"],
                    fields["actor_label"],
                    fields["at"],
                    kind,
                    transition,
                    from_state,
                    to_state,
                    json.dumps(payload, sort_keys=True),
                    list(cases.ids),
                ],
            )
            event_ids = [row[0] for row in cursor.fetchall()]
        _written(
            cases.agency_id,
            list(cases.ids),
            event_ids,
            CaseEvent(
                kind=kind,
                to_state=to_state,
                **{
                    k: v
                    for k, v in fields.items()
                    if k in ("payload", "at", "transition", "from_state")
                },
            ),
        )
    return None


# --- the kinds ---------------------------------------------------------------------------------
def case_opened(*, case: Case, actor: Any, claims: int, principal: Decimal) -> CaseEvent | None:
    return _write(
        Kind.OPENED,
        case=case,
        actor=actor,
        to_state=case.state,
        payload={"claims": claims, "principal": principal},
    )


def _write_each(
    kind: str, *, rows: Sequence[tuple[Case, dict[str, Any]]], actor: Any, to_state: str = ""
) -> None:
    """One event per case, each with its own payload, in one INSERT (a bulk import). The event
    hooks are not called: a case opening is no news to tell the creditor who handed it over."""
    at = timezone.now()
    who = _actor(actor)
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                agency_id=case.agency_id,
                case_id=case.pk,
                kind=kind,
                to_state=to_state or "",
                at=at,
                payload=_jsonable({k: v for k, v in payload.items() if v not in (None, "")}),
                **who,
            )
            for case, payload in rows
        ],
        batch_size=2000,
    )


def cases_opened(*, cases: Sequence[Case], claims: Sequence[int], actor: Any) -> None:
    """``case_opened`` for many new cases at once."""
    _write_each(
        Kind.OPENED,
        rows=[
            (case, {"claims": count, "principal": case.principal_total})
            for case, count in zip(cases, claims, strict=True)
        ],
        actor=actor,
        to_state=CaseState.NEW,
    )


def state_changed(
    *,
    transition: str,
    from_state: str,
    to_state: str,
    actor: Any,
    case: Case | None = None,
    cases: Cases | None = None,
    reason: str = "",
    step_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> CaseEvent | None:
    return _write(
        Kind.TRANSITION,
        case=case,
        cases=cases,
        actor=actor,
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        payload={**(details or {}), "reason": reason, "step": step_id},
    )


def note_added(*, case: Case, actor: Any, text: str) -> CaseEvent | None:
    """A note someone typed, and nothing else."""
    return _write(Kind.NOTE, case=case, actor=actor, payload={"text": text})


def step_awaiting(
    *, step_id: int, action: str, case: Case | None = None, cases: Cases | None = None
) -> CaseEvent | None:
    return _write(
        Kind.STEP_AWAITING,
        case=case,
        cases=cases,
        actor=None,
        payload={"step": step_id, "action": action},
    )


def step_blocked(
    *,
    reasons: Sequence[str],
    case: Case | None = None,
    cases: Cases | None = None,
    step_id: int | None = None,
    letter: str = "",
    notice: str = "",
    code: str = "",
) -> CaseEvent | None:
    return _write(
        Kind.STEP_BLOCKED,
        case=case,
        cases=cases,
        actor=None,
        payload={
            "reasons": list(reasons),
            "step": step_id,
            "letter": letter,
            "notice": notice,
            "code": code,
        },
    )


def _letter(notice: Any) -> dict[str, Any]:
    return {
        "notice": notice.reference,
        "notice_id": notice.pk,
        "kind": notice.kind,
        "channel": notice.channel,
    }


def letter_created(*, case: Case, notice: Any, actor: Any) -> CaseEvent | None:
    return _write(Kind.LETTER_CREATED, case=case, actor=actor, payload=_letter(notice))


def letter_sent(*, case: Case, notice: Any, at: datetime | None = None) -> CaseEvent | None:
    return _write(
        Kind.LETTER_SENT,
        case=case,
        actor=None,
        payload={**_letter(notice), "tracking_number": notice.tracking_number},
        at=at,
    )


def letter_failed(*, case: Case, notice: Any, error: str) -> CaseEvent | None:
    return _write(
        Kind.LETTER_FAILED,
        case=case,
        actor=None,
        payload={**_letter(notice), "error": error},
    )


def letter_retried(*, case: Case, notice: Any, actor: Any) -> CaseEvent | None:
    return _write(Kind.LETTER_RETRIED, case=case, actor=actor, payload=_letter(notice))


def letter_tracking_recorded(*, case: Case, notice: Any, actor: Any) -> CaseEvent | None:
    return _write(
        Kind.LETTER_TRACKING,
        case=case,
        actor=actor,
        payload={**_letter(notice), "tracking_number": notice.tracking_number},
    )


def letter_acknowledged(
    *, case: Case, notice: Any, received_on: date, actor: Any
) -> CaseEvent | None:
    return _write(
        Kind.LETTER_ACKNOWLEDGED,
        case=case,
        actor=actor,
        payload={**_letter(notice), "received_on": received_on},
    )


def letter_bounced(*, case: Case, notice: Any, reason: str) -> CaseEvent | None:
    return _write(
        Kind.LETTER_BOUNCED,
        case=case,
        actor=None,
        payload={**_letter(notice), "reason": reason},
    )


def formal_notice_received(
    *, case: Case, received_on: date, deadline: date | None, actor: Any
) -> CaseEvent | None:
    return _write(
        Kind.NOTICE_RECEIVED,
        case=case,
        actor=actor,
        payload={"received_on": received_on, "deadline": deadline},
    )


def call_task_created(*, case: Case, call_task_id: int) -> CaseEvent | None:
    return _write(
        Kind.CALL_TASK_CREATED,
        case=case,
        actor=None,
        payload={"call_task_id": call_task_id},
    )


def call_logged(
    *,
    case: Case,
    actor: Any,
    call_task_id: int | None,
    outcome: str = "",
    contact_id: int | None = None,
) -> CaseEvent | None:
    """A call made, with its outcome (``debtors.models.CallOutcome``) and its contact log row."""
    return _write(
        Kind.CALL_LOGGED,
        case=case,
        actor=actor,
        payload={"call_task_id": call_task_id, "outcome": outcome, "contact_id": contact_id},
    )


def promise_made(
    *, case: Case, actor: Any, promise_id: int, amount: Decimal, due_on: date
) -> CaseEvent | None:
    """The debtor promised to pay ``amount`` by ``due_on``: escalation waits until then."""
    return _write(
        Kind.PROMISE_MADE,
        case=case,
        actor=actor,
        payload={"promise_id": promise_id, "amount": amount, "due_on": due_on},
    )


def promise_kept(
    *, case: Case, promise_id: int, amount: Decimal, due_on: date, paid: Decimal
) -> CaseEvent | None:
    return _write(
        Kind.PROMISE_KEPT,
        case=case,
        actor=None,
        payload={"promise_id": promise_id, "amount": amount, "due_on": due_on, "paid": paid},
    )


def promise_broken(
    *, case: Case, promise_id: int, amount: Decimal, due_on: date, paid: Decimal
) -> CaseEvent | None:
    """The promised date went by without the money: escalation resumes."""
    return _write(
        Kind.PROMISE_BROKEN,
        case=case,
        actor=None,
        payload={"promise_id": promise_id, "amount": amount, "due_on": due_on, "paid": paid},
    )


def callback_scheduled(
    *, case: Case, actor: Any, call_task_id: int, at: datetime, asked_for: datetime
) -> CaseEvent | None:
    """The debtor asked to be called back; ``at`` differs from ``asked_for`` when the time asked
    for was outside the call hours (REQ-F1)."""
    return _write(
        Kind.CALLBACK_SCHEDULED,
        case=case,
        actor=actor,
        payload={"call_task_id": call_task_id, "at": at, "asked_for": asked_for},
    )


def plan_proposed(*, case: Case, actor: Any, proposal: str) -> CaseEvent | None:
    """The debtor proposed a payment plan: reported to the creditor before it is agreed
    (R124-5, REQ-A7)."""
    return _write(Kind.PLAN_PROPOSED, case=case, actor=actor, payload={"proposal": proposal})


def payment_recorded(
    *,
    case: Case,
    actor: Any,
    payment_id: int,
    amount: Decimal,
    received_on: date,
    method: str,
    principal_due: Decimal,
    balance: Decimal,
) -> CaseEvent | None:
    return _write(
        Kind.PAYMENT,
        case=case,
        actor=actor,
        payload={
            "payment_id": payment_id,
            "amount": amount,
            "received_on": received_on,
            "method": method,
            "principal_due": principal_due,
            "balance": balance,
        },
    )


def refund_owed(
    *, case: Case, actor: Any, refund_id: int, payment_id: int, amount: Decimal
) -> CaseEvent | None:
    """A payment brought more than was owed: the excess is the debtor's (C. civ. 1302)."""
    return _write(
        Kind.REFUND_OWED,
        case=case,
        actor=actor,
        payload={"refund_id": refund_id, "payment_id": payment_id, "amount": amount},
    )


def refund_paid(
    *, case: Case, actor: Any, refund_id: int, amount: Decimal, refunded_on: date
) -> CaseEvent | None:
    return _write(
        Kind.REFUND_PAID,
        case=case,
        actor=actor,
        payload={"refund_id": refund_id, "amount": amount, "refunded_on": refunded_on},
    )


def creditor_notified(
    *, case: Case, payment_id: int, recipient: str, amount: Decimal
) -> CaseEvent | None:
    """Written once the e-mail was handed to the mail backend, never before."""
    return _write(
        Kind.CREDITOR_NOTIFIED,
        case=case,
        actor=None,
        payload={"payment_id": payment_id, "recipient": recipient, "amount": amount},
    )


def creditor_not_notified(*, case: Case, payment_id: int, reason: str) -> CaseEvent | None:
    return _write(
        Kind.CREDITOR_NOT_NOTIFIED,
        case=case,
        actor=None,
        payload={"payment_id": payment_id, "reason": reason},
    )


def handoff_approved(*, case: Case, actor: Any, reason: str = "") -> CaseEvent | None:
    return _write(Kind.HANDOFF_APPROVED, case=case, actor=actor, payload={"reason": reason})


def dossier_built(*, case: Case, actor: Any, dossier_id: int, sha256: str) -> CaseEvent | None:
    return _write(
        Kind.DOSSIER_BUILT,
        case=case,
        actor=actor,
        payload={"dossier_id": dossier_id, "sha256": sha256},
    )


def prescription_alert(*, cases: Cases, limitation_date: date, days_left: int) -> CaseEvent | None:
    return _write(
        Kind.PRESCRIPTION_ALERT,
        case=None,
        cases=cases,
        actor=None,
        payload={"limitation_date": limitation_date, "days_left": days_left},
    )


def payment_plan_agreed(
    *,
    case: Case,
    actor: Any,
    plan_id: int,
    total: Decimal,
    instalments: int,
    first_due_on: date,
    last_due_on: date,
    interest: str,
) -> CaseEvent | None:
    return _write(
        Kind.PLAN_AGREED,
        case=case,
        actor=actor,
        payload={
            "plan_id": plan_id,
            "total": total,
            "instalments": instalments,
            "first_due_on": first_due_on,
            "last_due_on": last_due_on,
            "interest": interest,
        },
    )


def payment_plan_broken(
    *, case: Case, plan_id: int, position: int, due_on: date, missing: Decimal
) -> CaseEvent | None:
    """An instalment stayed unpaid past the grace period: the plan ends, escalation resumes."""
    return _write(
        Kind.PLAN_BROKEN,
        case=case,
        actor=None,
        payload={"plan_id": plan_id, "position": position, "due_on": due_on, "missing": missing},
    )


def settlement_agreed(
    *, case: Case, actor: Any, settlement_id: int, amount: Decimal, owed: Decimal, approved: bool
) -> CaseEvent | None:
    """A reduced amount closes the case once paid; ``approved``: beyond the convention's bounds,
    the creditor approved it."""
    return _write(
        Kind.SETTLEMENT_AGREED,
        case=case,
        actor=actor,
        payload={
            "settlement_id": settlement_id,
            "amount": amount,
            "owed": owed,
            "approved": approved,
        },
    )


def judicial_step_recorded(
    *, case: Case, actor: Any, step: str, on: date, deadline: date
) -> CaseEvent | None:
    """An injunction order issued or served (``step``), and the deadline it starts."""
    return _write(
        Kind.JUDICIAL_STEP,
        case=case,
        actor=actor,
        payload={"step": step, "on": on, "deadline": deadline},
    )


def deadline_alert(
    *,
    case: Case,
    deadline_id: int,
    deadline: str,
    due_on: date,
    days_left: int,
    amount: Decimal | None = None,
) -> CaseEvent | None:
    """A tracked deadline is ``days_left`` days away (D-7, D-1); ``deadline`` is its kind."""
    return _write(
        Kind.DEADLINE_ALERT,
        case=case,
        actor=None,
        payload={
            "deadline_id": deadline_id,
            "deadline": deadline,
            "due_on": due_on,
            "days_left": days_left,
            "amount": amount,
        },
    )


def deadline_passed(
    *,
    case: Case,
    deadline_id: int,
    deadline: str,
    due_on: date,
    missed: bool,
    amount: Decimal | None = None,
) -> CaseEvent | None:
    """A tracked deadline went by: ``missed`` for one of the agency's own obligations."""
    return _write(
        Kind.DEADLINE_PASSED,
        case=case,
        actor=None,
        payload={
            "deadline_id": deadline_id,
            "deadline": deadline,
            "due_on": due_on,
            "missed": missed,
            "amount": amount,
        },
    )


def case_submitted(
    *, case: Case, actor: Any, channel: str, documents: int, basis: str = ""
) -> CaseEvent | None:
    """The creditor handed the case over (portal form, bulk import or API), with its documents
    and the contract or terms the debt rests on (``basis``)."""
    return _write(
        Kind.SUBMITTED,
        case=case,
        actor=actor,
        payload={"channel": channel, "documents": documents, "basis": basis},
    )


def cases_submitted(*, cases: Sequence[Case], actor: Any, channel: str) -> None:
    """``case_submitted`` for many cases handed over at once, without documents."""
    _write_each(
        Kind.SUBMITTED,
        rows=[(case, {"channel": channel, "documents": 0}) for case in cases],
        actor=actor,
    )


def document_added(
    *, case: Case, actor: Any, document_id: int, kind: str, name: str
) -> CaseEvent | None:
    return _write(
        Kind.DOCUMENT_ADDED,
        case=case,
        actor=actor,
        payload={"document_id": document_id, "kind": kind, "name": name},
    )


# --- the French sentences ---------------------------------------------------------------------
# Letter kinds and channels are the letters app's words; it registers their labels at start-up
# (``NoticesConfig.ready``) so this module, below it, can name them without importing it.
LETTER_LABELS: dict[str, Any] = {}
CHANNEL_LABELS: dict[str, Any] = {}


def register_letter_labels(
    *, kinds: Sequence[tuple[str, Any]], channels: Sequence[tuple[str, Any]]
) -> None:
    LETTER_LABELS.update(kinds)
    CHANNEL_LABELS.update(channels)


def _day(value: Any) -> str:
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    text = formats.date_format(day, "j F Y")
    french = (translation.get_language() or "").startswith("fr")
    return text.replace("1 ", "1er ", 1) if french and text.startswith("1 ") else text


def _callback(p: dict[str, Any]) -> str:
    moment = timezone.localtime(datetime.fromisoformat(str(p.get("at"))))
    return _("The debtor asked to be called back; call planned on %(day)s at %(time)s.") % {
        "day": _day(moment.date()),
        "time": formats.time_format(moment, "H:i"),
    }


_CALL_OUTCOMES = {
    "no_answer": gettext_lazy("Call to the debtor: no answer."),
    "wrong_number": gettext_lazy("Call to the debtor: the number is not the debtor's."),
    "third_party": gettext_lazy(
        "Call to the debtor: a third party answered; nothing was disclosed."
    ),
    "promise": gettext_lazy("Call to the debtor: promise to pay."),
    "plan_proposed": gettext_lazy("Call to the debtor: a payment plan was proposed."),
    "dispute": gettext_lazy("Call to the debtor: the debtor disputes the claim."),
    "refusal": gettext_lazy("Call to the debtor: the debtor refuses to pay."),
    "callback": gettext_lazy("Call to the debtor: asked to be called back."),
}


def _call_logged(p: dict[str, Any]) -> str:
    return str(_CALL_OUTCOMES.get(p.get("outcome", ""), _("The debtor was called.")))


def _state(value: str) -> str:
    return str(CaseState(value).label) if value in CaseState.values else value


def _transition_sentence(event: CaseEvent) -> str:
    p = event.payload
    t, to = event.transition, event.to_state
    sentences = {
        "accept": _("The agency accepted the case; collection starts."),
        "reject": _("The agency declined the case."),
        "send_reminder": _("A further reminder is sent."),
        "hand_off": _("The case was handed to the judicial partner."),
        "agree_plan": _("A payment plan was agreed; reminders are paused."),
        "break_plan": _("The payment plan was not kept; collection resumes."),
        "open_dispute": _("The debtor disputes the claim; every step is suspended."),
        "reject_dispute": _("The dispute was rejected; collection resumes."),
        "uphold_dispute": _("The dispute was upheld; the case is closed."),
        "hold": _("The case was put on hold."),
        "resume": _("The case was resumed."),
        "mark_paid": _("The debt is paid in full; the case is closed."),
        "mark_settled": _("The agreed settlement was paid; the case is closed."),
        "withdraw": _("The creditor withdrew the case."),
    }
    if t == "hold" and p.get("until"):
        text = _("The case was put on hold until %(day)s; collection resumes then.") % {
            "day": _day(p["until"])
        }
    elif t == "escalate":
        text = (
            _("The case moves to phone follow-up.")
            if to == CaseState.PHONE_FOLLOWUP
            else _("The case moves to formal notice.")
        )
    elif t == "close":
        code = p.get("code", "")
        label = ClosureCode(code).label if code in ClosureCode.values else code
        text = _("The case was closed: %(why)s.") % {"why": label}
    else:
        text = sentences.get(
            t,
            _("The case went from “%(from)s” to “%(to)s”.")
            % {"from": _state(event.from_state), "to": _state(to)},
        )
    if p.get("reason"):
        text = f"{text} " + _("Reason: %(reason)s") % {"reason": p["reason"]}
    return str(text)


def _letter_name(p: dict[str, Any]) -> str:
    return str(LETTER_LABELS.get(p.get("kind", ""), p.get("kind", "")))


def _letter_sent(p: dict[str, Any]) -> str:
    names = {"letter": _name_kind(p)}
    if p.get("tracking_number"):
        return _("%(letter)s: sent by registered letter no. %(tracking)s.") % {
            **names,
            "tracking": p["tracking_number"],
        }
    channel = p.get("channel", "")
    by = {
        "letter": _("by post"),
        "registered_letter": _("by registered letter"),
        "email": _("by e-mail"),
        "sms": _("by SMS"),
        "electronic_registered_letter": _("by electronic registered letter"),
    }.get(channel, str(CHANNEL_LABELS.get(channel, channel)))
    return _("%(letter)s: sent %(by)s.") % {**names, "by": by}


def _name_kind(p: dict[str, Any]) -> str:
    return f"{_letter_name(p)} {p.get('notice', '')}".strip()


def _plan_agreed(p: dict[str, Any]) -> str:
    text = _(
        "Payment plan agreed: %(count)s instalment(s) totalling %(amount)s, from %(first)s "
        "to %(last)s."
    ) % {
        "count": p.get("instalments", ""),
        "amount": euros(p.get("total", "0")),
        "first": _day(p.get("first_due_on")),
        "last": _day(p.get("last_due_on")),
    }
    rule = (
        _("Late interest keeps running and is included in the instalments.")
        if p.get("interest") == Agency.PlanInterest.ACCRUES
        else _("No late interest runs while it is kept.")
    )
    return f"{text} {rule}"


def _judicial_step(p: dict[str, Any]) -> str:
    days = {"day": _day(p.get("on")), "deadline": _day(p.get("deadline"))}
    if p.get("step") == "service":
        return (
            _(
                "Injunction order served on %(day)s: the debtor may oppose it until %(deadline)s "
                "(art. 1416 CPC)."
            )
            % days
        )
    return (
        _(
            "Injunction order of %(day)s recorded: it must be served by %(deadline)s, or it "
            "lapses (art. 1411 CPC)."
        )
        % days
    )


def _deadline_alert(p: dict[str, Any]) -> str:
    values = {
        "day": _day(p.get("due_on")),
        "days": p.get("days_left", ""),
        "amount": euros(p.get("amount")),
    }
    sentences = {
        "remittance": _(
            "%(amount)s collected to remit to the creditor by %(day)s (in %(days)s day(s), "
            "art. R124-6 CPCE)."
        ),
        "service": _(
            "The injunction order must be served by %(day)s (in %(days)s day(s)), or it lapses "
            "(art. 1411 CPC)."
        ),
        "opposition": _("The debtor's opposition period ends on %(day)s (in %(days)s day(s))."),
    }
    return sentences.get(p.get("deadline", ""), _("A deadline falls on %(day)s.")) % values


def _deadline_passed(p: dict[str, Any]) -> str:
    values = {"day": _day(p.get("due_on")), "amount": euros(p.get("amount"))}
    if not p.get("missed"):
        return _("The debtor's opposition period ended on %(day)s.") % values
    sentences = {
        "remittance": _(
            "Deadline missed: the %(amount)s collected were to be remitted to the creditor by "
            "%(day)s (art. R124-6 CPCE)."
        ),
        "service": _(
            "Deadline missed: the injunction order was to be served by %(day)s; unserved, it "
            "lapses (art. 1411 CPC)."
        ),
    }
    return sentences.get(p.get("deadline", ""), _("Deadline missed: %(day)s.")) % values


def _document_kind(kind: str) -> str:
    labels = dict(CaseDocument.Kind.choices)
    return str(labels.get(kind, kind)).lower()


def _submitted(p: dict[str, Any]) -> str:
    how = {
        "portal": _("through the portal"),
        "import": _("by a bulk import"),
        "api": _("through the API"),
    }.get(p.get("channel", ""), "")
    text = (
        _("Case handed over by the creditor %(how)s, with %(count)s document(s).")
        % {"how": how, "count": p.get("documents", 0)}
    ).replace("  ", " ")
    if p.get("basis"):
        text = f"{text} " + _("Grounds of the debt: %(basis)s") % {"basis": p["basis"]}
    return text


SENTENCES: dict[str, Callable[[dict[str, Any]], str]] = {
    Kind.OPENED: lambda p: (
        _("Case opened with %(count)s invoice(s) totalling %(amount)s.")
        % {"count": p.get("claims", 0), "amount": euros(p.get("principal", "0"))}
    ),
    Kind.NOTE: lambda p: _("Note: %(text)s") % {"text": p.get("text", "")},
    Kind.STEP_AWAITING: lambda p: _("The next step waits for an agent's confirmation."),
    Kind.STEP_BLOCKED: lambda p: (
        _("An automatic step could not go ahead: %(reasons)s")
        % {"reasons": " ".join(p.get("reasons", []))}
    ),
    Kind.LETTER_CREATED: lambda p: _("%(letter)s: being prepared.") % {"letter": _name_kind(p)},
    Kind.LETTER_SENT: _letter_sent,
    Kind.LETTER_FAILED: lambda p: (
        _("%(letter)s: sending failed (%(error)s).")
        % {"letter": _name_kind(p), "error": p.get("error", "")}
    ),
    Kind.LETTER_RETRIED: lambda p: _("%(letter)s: sending again.") % {"letter": _name_kind(p)},
    Kind.LETTER_TRACKING: lambda p: (
        _("%(letter)s: registered letter no. %(tracking)s handed to the carrier.")
        % {"letter": _name_kind(p), "tracking": p.get("tracking_number", "")}
    ),
    Kind.LETTER_ACKNOWLEDGED: lambda p: (
        _("%(letter)s: acknowledgement of receipt dated %(day)s.")
        % {"letter": _name_kind(p), "day": _day(p.get("received_on"))}
    ),
    Kind.LETTER_BOUNCED: lambda p: (
        _("%(letter)s: message returned undelivered (%(reason)s).")
        % {"letter": _name_kind(p), "reason": p.get("reason", "")}
    ),
    Kind.NOTICE_RECEIVED: lambda p: (
        _("Formal notice received on %(day)s; the debtor has until %(deadline)s to pay.")
        % {"day": _day(p.get("received_on")), "deadline": _day(p.get("deadline"))}
        if p.get("deadline")
        else _("Formal notice received on %(day)s.") % {"day": _day(p.get("received_on"))}
    ),
    Kind.CALL_TASK_CREATED: lambda p: _("A call to the debtor is planned."),
    Kind.CALL_LOGGED: lambda p: _call_logged(p),
    Kind.PROMISE_MADE: lambda p: (
        _("The debtor promised to pay %(amount)s by %(day)s; reminders wait until then.")
        % {"amount": euros(p.get("amount", "0")), "day": _day(p.get("due_on"))}
    ),
    Kind.PROMISE_KEPT: lambda p: (
        _("The promise to pay %(amount)s by %(day)s was kept.")
        % {"amount": euros(p.get("amount", "0")), "day": _day(p.get("due_on"))}
    ),
    Kind.PROMISE_BROKEN: lambda p: (
        _(
            "The promise to pay %(amount)s by %(day)s was not kept (%(paid)s received); "
            "collection resumes."
        )
        % {
            "amount": euros(p.get("amount", "0")),
            "day": _day(p.get("due_on")),
            "paid": euros(p.get("paid", "0")),
        }
    ),
    Kind.CALLBACK_SCHEDULED: _callback,
    Kind.PLAN_PROPOSED: lambda p: (
        _("The debtor proposed a payment plan: %(proposal)s") % {"proposal": p.get("proposal", "")}
    ),
    Kind.PAYMENT: lambda p: (
        _("Payment of %(amount)s received on %(day)s.")
        % {"amount": euros(p.get("amount", "0")), "day": _day(p.get("received_on"))}
    ),
    Kind.REFUND_OWED: lambda p: (
        _("%(amount)s received beyond what was owed: to be refunded to the debtor.")
        % {"amount": euros(p.get("amount", "0"))}
    ),
    Kind.REFUND_PAID: lambda p: (
        _("Overpayment of %(amount)s refunded to the debtor on %(day)s.")
        % {"amount": euros(p.get("amount", "0")), "day": _day(p.get("refunded_on"))}
    ),
    Kind.CREDITOR_NOTIFIED: lambda p: (
        _("Creditor informed of the payment of %(amount)s.")
        % {"amount": euros(p.get("amount", "0"))}
    ),
    Kind.CREDITOR_NOT_NOTIFIED: lambda p: (
        _("The creditor could not be informed of a payment: %(reason)s")
        % {"reason": p.get("reason", "")}
    ),
    Kind.HANDOFF_APPROVED: lambda p: (
        _("The creditor approved the judicial handoff.")
        + (" " + _("Reason: %(reason)s") % {"reason": p["reason"]} if p.get("reason") else "")
    ),
    Kind.DOSSIER_BUILT: lambda p: _("The judicial dossier is ready for the partner."),
    Kind.PRESCRIPTION_ALERT: lambda p: (
        _("The debt becomes time-barred on %(day)s (in %(days)s days): act before then.")
        % {"day": _day(p.get("limitation_date")), "days": p.get("days_left", "")}
    ),
    Kind.PLAN_AGREED: _plan_agreed,
    Kind.JUDICIAL_STEP: _judicial_step,
    Kind.DEADLINE_ALERT: _deadline_alert,
    Kind.DEADLINE_PASSED: _deadline_passed,
    Kind.SUBMITTED: _submitted,
    Kind.DOCUMENT_ADDED: lambda p: (
        _("Document added: %(kind)s “%(name)s”.")
        % {"kind": _document_kind(p.get("kind", "")), "name": p.get("name", "")}
    ),
    Kind.PLAN_BROKEN: lambda p: (
        _(
            "Payment plan broken: instalment no. %(position)s due on %(day)s is %(amount)s "
            "short; the reminders resume."
        )
        % {
            "position": p.get("position", ""),
            "day": _day(p.get("due_on")),
            "amount": euros(p.get("missing", "0")),
        }
    ),
    Kind.SETTLEMENT_AGREED: lambda p: (
        _("Settlement agreed: %(amount)s instead of %(owed)s closes the case once paid.")
        % {"amount": euros(p.get("amount", "0")), "owed": euros(p.get("owed", "0"))}
    ),
}


def describe(event: CaseEvent) -> str:
    """The event as one sentence in the active language (French for creditors)."""
    if event.kind == Kind.TRANSITION:
        return _transition_sentence(event)
    render = SENTENCES.get(event.kind)
    return str(render(event.payload)) if render else str(event.get_kind_display())


def actor_name(event: CaseEvent) -> str:
    if event.actor_kind == CaseEvent.ActorKind.SYSTEM:
        return pgettext("event actor", "Collectio (automatic)")
    if event.actor_kind == CaseEvent.ActorKind.API_KEY:
        return _("API key %(name)s") % {"name": event.actor_label}
    return event.actor.get_full_name() or event.actor.email if event.actor else ""
