"""The timeline: each kind of event is written by its typed function and reads, in French, as
one sentence a creditor understands."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from cases import events
from cases.models import CaseEvent, CaseState
from collectio.models import User
from tests import factories

NBSP = "\u00a0"


def letter(kind="formal_notice", channel="registered_letter", tracking=""):
    return SimpleNamespace(
        reference="L-2026-000012", pk=12, kind=kind, channel=channel, tracking_number=tracking
    )


WRITE_AND_READ = {
    "opened": (
        lambda c, w: events.case_opened(
            case=c, actor=w.agent, claims=2, principal=Decimal("2143.37")
        ),
        f"Dossier ouvert : 2 facture(s) pour un total de 2{NBSP}143,37{NBSP}€.",
    ),
    "transition": (
        lambda c, w: events.state_changed(
            case=c, actor=w.agent, transition="escalate", from_state=CaseState.PHONE_FOLLOWUP,
            to_state=CaseState.FORMAL_NOTICE, reason="aucune réponse",
        ),
        "Le dossier passe en mise en demeure. Motif : aucune réponse",
    ),
    "note": (
        lambda c, w: events.note_added(case=c, actor=w.agent, text="Rappeler lundi"),
        "Note : Rappeler lundi",
    ),
    "step_awaiting": (
        lambda c, w: events.step_awaiting(case=c, step_id=1, action="formal_notice"),
        "L’étape suivante attend la confirmation d’un chargé de recouvrement.",
    ),
    "step_blocked": (
        lambda c, w: events.step_blocked(case=c, reasons=["La créance est prescrite."]),
        "Une étape automatique n’a pas pu avoir lieu : La créance est prescrite.",
    ),
    "letter_created": (
        lambda c, w: events.letter_created(case=c, notice=letter(), actor=None),
        "Mise en demeure L-2026-000012 : en préparation.",
    ),
    "letter_sent": (
        lambda c, w: events.letter_sent(case=c, notice=letter(tracking="1A00123456789")),
        "Mise en demeure L-2026-000012 : envoi en recommandé n° 1A00123456789.",
    ),
    "letter_failed": (
        lambda c, w: events.letter_failed(case=c, notice=letter(), error="imprimante absente"),
        "Mise en demeure L-2026-000012 : échec de l’envoi (imprimante absente).",
    ),
    "letter_retried": (
        lambda c, w: events.letter_retried(case=c, notice=letter(), actor=w.agent),
        "Mise en demeure L-2026-000012 : nouvel essai d’envoi.",
    ),
    "letter_tracking": (
        lambda c, w: events.letter_tracking_recorded(
            case=c, notice=letter(tracking="1A00123456789"), actor=w.agent
        ),
        "Mise en demeure L-2026-000012 : pli recommandé n° 1A00123456789 remis au transporteur.",
    ),
    "letter_acknowledged": (
        lambda c, w: events.letter_acknowledged(
            case=c, notice=letter(), received_on=date(2026, 3, 1), actor=w.agent
        ),
        "Mise en demeure L-2026-000012 : avis de réception du 1er mars 2026.",
    ),
    "letter_bounced": (
        lambda c, w: events.letter_bounced(
            case=c, notice=letter("first_reminder", "email"), reason="boîte pleine"
        ),
        "Première relance L-2026-000012 : message revenu en erreur (boîte pleine).",
    ),
    "notice_received": (
        lambda c, w: events.formal_notice_received(
            case=c, received_on=date(2025, 12, 17), deadline=date(2025, 12, 26), actor=None
        ),
        "Mise en demeure reçue le 17 décembre 2025 ; le débiteur a jusqu’au 26 décembre 2025 "
        "pour payer.",
    ),
    "call_task_created": (
        lambda c, w: events.call_task_created(case=c, call_task_id=3),
        "Un appel du débiteur est planifié.",
    ),
    "call_logged": (
        lambda c, w: events.call_logged(case=c, actor=w.agent, call_task_id=3),
        "Le débiteur a été appelé.",
    ),
    "promise_made": (
        lambda c, w: events.promise_made(
            case=c, actor=w.agent, promise_id=1, amount=Decimal("300"), due_on=date(2026, 5, 26)
        ),
        f"Le débiteur a promis de payer 300,00{NBSP}€ d’ici le 26 mai 2026 ; les relances "
        "attendent cette date.",
    ),
    "promise_kept": (
        lambda c, w: events.promise_kept(
            case=c, promise_id=1, amount=Decimal("300"), due_on=date(2026, 5, 26),
            paid=Decimal("300"),
        ),
        f"La promesse de payer 300,00{NBSP}€ d’ici le 26 mai 2026 a été tenue.",
    ),
    "promise_broken": (
        lambda c, w: events.promise_broken(
            case=c, promise_id=1, amount=Decimal("300"), due_on=date(2026, 5, 1),
            paid=Decimal("100"),
        ),
        f"La promesse de payer 300,00{NBSP}€ d’ici le 1er mai 2026 n’a pas été tenue "
        f"(100,00{NBSP}€ reçus) ; le recouvrement reprend.",
    ),
    "callback_scheduled": (
        lambda c, w: events.callback_scheduled(
            case=c, actor=w.agent, call_task_id=3,
            at=datetime(2026, 5, 21, 15, 0, tzinfo=UTC),
            asked_for=datetime(2026, 5, 21, 15, 0, tzinfo=UTC),
        ),
        "Le débiteur a demandé à être rappelé ; appel prévu le 21 mai 2026 à 17:00.",
    ),
    "plan_proposed": (
        lambda c, w: events.plan_proposed(
            case=c, actor=w.agent, proposal="200 € par mois pendant 6 mois"
        ),
        "Le débiteur a proposé un échéancier : 200 € par mois pendant 6 mois",
    ),
    "payment": (
        lambda c, w: events.payment_recorded(
            case=c, actor=w.agent, payment_id=1, amount=Decimal("500"),
            received_on=date(2026, 3, 3), method="transfer", principal_due=Decimal("700"),
            balance=Decimal("745.12"),
        ),
        f"Paiement de 500,00{NBSP}€ reçu le 3 mars 2026.",
    ),
    "refund_owed": (
        lambda c, w: events.refund_owed(
            case=c, actor=w.agent, refund_id=1, payment_id=1, amount=Decimal("996873.10")
        ),
        f"996{NBSP}873,10{NBSP}€ reçus au-delà de ce qui était dû : à rembourser au débiteur.",
    ),
    "refund_paid": (
        lambda c, w: events.refund_paid(
            case=c, actor=w.agent, refund_id=1, amount=Decimal("210.64"),
            refunded_on=date(2026, 12, 1),
        ),
        f"Trop-perçu de 210,64{NBSP}€ remboursé au débiteur le 1er décembre 2026.",
    ),
    "creditor_notified": (
        lambda c, w: events.creditor_notified(
            case=c, payment_id=1, recipient="compta@martin.fr", amount=Decimal("500")
        ),
        f"Créancier informé du paiement de 500,00{NBSP}€.",
    ),
    "creditor_not_notified": (
        lambda c, w: events.creditor_not_notified(case=c, payment_id=1, reason="pas d’e-mail"),
        "Le créancier n’a pas pu être informé d’un paiement : pas d’e-mail",
    ),
    "handoff_approved": (
        lambda c, w: events.handoff_approved(case=c, actor=w.creditor_user),
        "Le créancier a approuvé le passage en phase judiciaire.",
    ),
    "dossier_built": (
        lambda c, w: events.dossier_built(case=c, actor=None, dossier_id=1, sha256="0" * 64),
        "Le dossier judiciaire est prêt pour le partenaire.",
    ),
    "prescription_alert": (
        lambda c, w: events.prescription_alert(
            cases=events.Cases(c.agency_id, [c.pk]), limitation_date=date(2026, 3, 15), days_left=30
        ),
        "La créance sera prescrite le 15 mars 2026 (dans 30 jours) : agir avant cette date.",
    ),
    "plan_agreed": (
        lambda c, w: events.payment_plan_agreed(
            case=c, actor=w.agent, plan_id=1, total=Decimal("998.28"), instalments=3,
            first_due_on=date(2026, 3, 2), last_due_on=date(2026, 5, 2), interest="frozen",
        ),
        f"Échéancier convenu : 3 échéance(s) pour un total de 998,28{NBSP}€, du 2 mars 2026 au "
        "2 mai 2026. Aucun intérêt de retard ne court tant qu’il est respecté.",
    ),
    "plan_broken": (
        lambda c, w: events.payment_plan_broken(
            case=c, plan_id=1, position=2, due_on=date(2026, 4, 2), missing=Decimal("120.50")
        ),
        f"Échéancier rompu : l’échéance n° 2 du 2 avril 2026 reste impayée de 120,50{NBSP}€ ; "
        "les relances reprennent.",
    ),
    "settlement_agreed": (
        lambda c, w: events.settlement_agreed(
            case=c, actor=w.agent, settlement_id=1, amount=Decimal("800"),
            owed=Decimal("1285.83"), approved=False,
        ),
        f"Transaction conclue : 800,00{NBSP}€ au lieu de 1{NBSP}285,83{NBSP}€ soldent le dossier "
        "une fois payés.",
    ),
    "judicial_step": (
        lambda c, w: events.judicial_step_recorded(
            case=c, actor=w.agent, step="service", on=date(2026, 1, 30), deadline=date(2026, 3, 2)
        ),
        "Ordonnance d’injonction de payer signifiée le 30 janvier 2026 : le débiteur peut former "
        "opposition jusqu’au 2 mars 2026 (art. 1416 CPC).",
    ),
    "deadline_alert": (
        lambda c, w: events.deadline_alert(
            case=c, deadline_id=1, deadline="remittance", due_on=date(2026, 2, 27), days_left=7,
            amount=Decimal("250"),
        ),
        f"250,00{NBSP}€ encaissés à reverser au créancier au plus tard le 27 février 2026 "
        "(dans 7 jour(s), art. R124-6 CPCE).",
    ),
    "deadline_passed": (
        lambda c, w: events.deadline_passed(
            case=c, deadline_id=1, deadline="service", due_on=date(2026, 8, 10), missed=True
        ),
        "Délai dépassé : l’ordonnance d’injonction de payer devait être signifiée au plus tard "
        "le 10 août 2026 ; non signifiée, elle est non avenue (art. 1411 CPC).",
    ),
    "submitted": (
        lambda c, w: events.case_submitted(
            case=c, actor=w.agent, channel="portal", documents=2, basis="CGV du 1er mars 2025"
        ),
        "Dossier confié par le créancier via le portail, avec 2 document(s). "
        "Fondement de la créance : CGV du 1er mars 2025",
    ),
    "document_added": (
        lambda c, w: events.document_added(
            case=c, actor=w.agent, document_id=1, kind="invoice", name="F-12.pdf"
        ),
        "Document ajouté : facture « F-12.pdf ».",
    ),
}  # fmt: skip


def test_every_kind_is_covered():
    assert set(WRITE_AND_READ) == set(CaseEvent.Kind.values)


@pytest.mark.parametrize("kind", sorted(WRITE_AND_READ))
def test_each_kind_reads_as_a_french_sentence(alpha_scope, kind):
    case = factories.new_case(alpha_scope.creditor)
    write, sentence = WRITE_AND_READ[kind]
    write(case, alpha_scope)
    event = CaseEvent.objects.filter(case=case, kind=kind).latest("pk")
    with translation.override("fr"):
        assert events.describe(event) == sentence


def test_the_actor_is_a_person_an_api_key_or_collectio(alpha_scope):
    case = factories.new_case(alpha_scope.creditor)
    events.note_added(case=case, actor=alpha_scope.agent, text="a")
    events.note_added(case=case, actor="ERP Sage", text="b")  # an API key, by its name
    events.note_added(case=case, actor=None, text="c")
    person, key, system = CaseEvent.objects.filter(case=case, kind="note").order_by("pk")
    assert (person.actor_kind, key.actor_kind, system.actor_kind) == ("user", "api_key", "system")
    with translation.override("fr"):
        assert events.actor_name(person) == User.objects.get(pk=alpha_scope.agent.pk).email
        assert events.actor_name(key) == "Clé d’API ERP Sage"
        assert events.actor_name(system) == "Collectio (automatique)"


def test_a_batch_writes_one_row_per_case_with_the_same_payload(alpha_scope):
    cases = [factories.new_case(alpha_scope.creditor) for _ in range(3)]
    events.step_blocked(
        cases=events.Cases(alpha_scope.agency.pk, [c.pk for c in cases]), reasons=["x"], step_id=7
    )
    rows = CaseEvent.objects.filter(kind="step_blocked")
    assert sorted(rows.values_list("case_id", flat=True)) == sorted(c.pk for c in cases)
    assert [r.payload for r in rows] == [{"reasons": ["x"], "step": 7}] * 3


@pytest.mark.parametrize(
    ("write", "sentence"),
    [
        (
            lambda c: events.judicial_step_recorded(
                case=c, actor=None, step="ordonnance", on=date(2026, 2, 10),
                deadline=date(2026, 8, 10),
            ),
            "Ordonnance d’injonction de payer du 10 février 2026 enregistrée : elle doit être "
            "signifiée au plus tard le 10 août 2026, faute de quoi elle est non avenue "
            "(art. 1411 CPC).",
        ),
        (
            lambda c: events.deadline_alert(
                case=c, deadline_id=1, deadline="service", due_on=date(2026, 8, 10), days_left=1
            ),
            "L’ordonnance d’injonction de payer doit être signifiée au plus tard le 10 août 2026 "
            "(dans 1 jour(s)), faute de quoi elle est non avenue (art. 1411 CPC).",
        ),
        (
            lambda c: events.deadline_alert(
                case=c, deadline_id=1, deadline="opposition", due_on=date(2026, 3, 2), days_left=7
            ),
            "Le délai d’opposition du débiteur expire le 2 mars 2026 (dans 7 jour(s)).",
        ),
        (
            lambda c: events.deadline_passed(
                case=c, deadline_id=1, deadline="remittance", due_on=date(2026, 2, 27),
                missed=True, amount=Decimal("250"),
            ),
            f"Délai dépassé : les 250,00{NBSP}€ encaissés devaient être reversés au créancier au "
            "plus tard le 27 février 2026 (art. R124-6 CPCE).",
        ),
        (
            lambda c: events.deadline_passed(
                case=c, deadline_id=1, deadline="opposition", due_on=date(2026, 3, 2),
                missed=False,
            ),
            "Le délai d’opposition du débiteur a expiré le 2 mars 2026.",
        ),
        (
            lambda c: events.payment_plan_agreed(
                case=c, actor=None, plan_id=1, total=Decimal("1016.29"), instalments=3,
                first_due_on=date(2026, 3, 2), last_due_on=date(2026, 5, 2), interest="accrues",
            ),
            f"Échéancier convenu : 3 échéance(s) pour un total de 1{NBSP}016,29{NBSP}€, du 2 mars "
            "2026 au 2 mai 2026. Les intérêts de retard continuent de courir et sont inclus dans "
            "les échéances.",
        ),
    ],
)  # fmt: skip
def test_each_variant_of_the_deadline_and_plan_sentences(alpha_scope, write, sentence):
    case = factories.new_case(alpha_scope.creditor)
    write(case)
    event = CaseEvent.objects.filter(case=case).latest("pk")
    with translation.override("fr"):
        assert events.describe(event) == sentence


@pytest.mark.parametrize(
    ("outcome", "sentence"),
    [
        ("no_answer", "Appel au débiteur : pas de réponse."),
        ("wrong_number", "Appel au débiteur : le numéro n’est pas le sien."),
        ("third_party", "Appel au débiteur : un tiers a répondu ; rien n’a été divulgué."),
        ("promise", "Appel au débiteur : promesse de paiement."),
        ("plan_proposed", "Appel au débiteur : un échéancier a été proposé."),
        ("dispute", "Appel au débiteur : le débiteur conteste la créance."),
        ("refusal", "Appel au débiteur : le débiteur refuse de payer."),
        ("callback", "Appel au débiteur : demande à être rappelé."),
    ],
)
def test_each_call_outcome_reads_as_its_own_sentence(alpha_scope, outcome, sentence):
    case = factories.new_case(alpha_scope.creditor)
    events.call_logged(case=case, actor=alpha_scope.agent, call_task_id=None, outcome=outcome)
    with translation.override("fr"):
        assert events.describe(CaseEvent.objects.get(case=case, kind="call_logged")) == sentence
