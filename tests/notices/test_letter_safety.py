"""Letter safety (issue 8, item 8): nothing typed into a letter can hide or forge its text.

Three layers, each tested alone: values are escaped, the agency's own wording is sanitised to a
small allow-list, and every letter's PDF text must carry its mandatory mentions before it is
stored. On top, a name that would make the letter read as an enforcement act is refused
(REQ-A9): escaped or not, "HUISSIER DE JUSTICE - SAISIE IMMINENTE" printed as the creditor's
name is what the debtor reads, and C. pén. 433-13 punishes the document, not its markup.
"""

from __future__ import annotations

from datetime import date

import pytest

from notices import selectors, services
from notices.linter import MissingMandatoryBlock
from notices.models import Channel, LetterKind, LetterTemplate, Notice
from notices.rendering import letter_html, render_letter
from tests import factories
from tests.notices.conftest import b1_case, pdf_text
from tests.notices.test_letters import L111_8

HOSTILE = (
    'Acme<style>[data-block="gdpr"],[data-block="l111-8"]{display:none}</style>'
    "<h1>HUISSIER DE JUSTICE - SAISIE IMMINENTE</h1> SAS"
)
ON = date(2025, 3, 20)
GDPR_HEADING = "PROTECTION DE VOS DONNÉES PERSONNELLES (ART. 14 DU RGPD)"
CNIL = "Vous pouvez introduire une réclamation auprès de la CNIL"


def _unsaved(case, kind=LetterKind.FIRST_REMINDER) -> Notice:
    """The notice as the services build it, not saved: rendering alone, no gate asked."""
    return Notice(
        agency=case.agency,
        creditor=case.creditor,
        case=case,
        kind=kind,
        channel=Channel.LETTER,
        reference="L-2025-000001",
        statement_on=ON,
        deadline_days=8,
        deadline=date(2025, 3, 28),
    )


def test_a_hostile_creditor_name_renders_as_text_not_markup(scoped):
    """Escaping: the name's markup is printed, literally; it hides nothing and heads nothing."""
    case = b1_case(factories.new_creditor(scoped.agency, HOSTILE))
    context = selectors.notice_context(_unsaved(case))
    html = letter_html(LetterKind.FIRST_REMINDER, context)
    assert "<h1>" not in html and "<style>" not in html
    text = pdf_text(render_letter(LetterKind.FIRST_REMINDER, context).content)
    assert L111_8 in text
    assert GDPR_HEADING in text and CNIL in text
    assert "<h1>HUISSIER DE JUSTICE - SAISIE IMMINENTE</h1>" in text  # as typed, not a heading


def test_a_hostile_creditor_name_blocks_the_letter(scoped):
    """REQ-A9: a lawyer would not let even the escaped text leave; the agent is told why."""
    case = b1_case(factories.new_creditor(scoped.agency, HOSTILE))
    with pytest.raises(selectors.LetterBlocked) as refused:
        services.notice_create(
            case=case, kind=LetterKind.FIRST_REMINDER, channel=Channel.LETTER, actor=None, on=ON
        )
    (reason,) = refused.value.reasons
    assert "The creditor's name carries wording no letter may carry (REQ-A9)" in reason
    assert "« Huissier »" in reason and "« Saisie »" in reason
    assert not Notice.objects.exists()


def test_the_agencys_wording_keeps_only_harmless_markup(scoped):
    """Sanitising: the agency's wording passes the linter (no forbidden word) yet carries a
    stylesheet; nh3 keeps its emphasis and drops the rest, content and all."""
    LetterTemplate.objects.create(
        agency=scoped.agency,
        kind=LetterKind.FIRST_REMINDER,
        body=(
            '<style>[data-block="gdpr"],[data-block="l111-8"]{display:none}</style>'
            '<p class="x" style="color:white">Madame, Monsieur, merci de <strong>régler</strong>'
            ' {{ total_due }}.</p><a href="https://pay.example">Payer ici</a>'
            '<img src="file:///etc/passwd"><h1>Dernier rappel</h1>'
        ),
    )
    case = b1_case(scoped.creditor)
    context = selectors.notice_context(_unsaved(case))
    wording = str(context["wording"])
    assert "<style" not in wording and "display:none" not in wording
    assert "style=" not in wording and "class=" not in wording and "<a" not in wording
    assert "<img" not in wording and "<h1>" not in wording
    assert "<strong>régler</strong>" in wording and "Payer ici" in wording
    text = pdf_text(render_letter(LetterKind.FIRST_REMINDER, context).content)
    assert L111_8 in text and GDPR_HEADING in text and CNIL in text


@pytest.fixture
def hiding_template(settings, tmp_path):
    """A first-reminder template whose every block is there in the HTML, but hidden: the kind
    of change a template edit could make. The HTML check passes; the PDF text must not."""
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "first_reminder.html").write_text(
        '{% extends "letters/base.html" %}'
        "{% block content %}<style>[data-block=gdpr] { display: none }</style>{{ wording }}"
        '{% include "letters/blocks/statement.html" %}{% include "letters/blocks/basis.html" %}'
        '{% include "letters/blocks/payment.html" %}{% endblock %}'
        '{% block legal %}{% include "letters/blocks/l111_8.html" %}'
        '{% include "letters/blocks/gdpr.html" %}{% endblock %}'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]


def test_a_hidden_block_fails_on_the_pdf_text_and_nothing_is_stored(scoped, hiding_template):
    case = b1_case(scoped.creditor)
    notice = services.notice_create(
        case=case, kind=LetterKind.FIRST_REMINDER, channel=Channel.LETTER, actor=None, on=ON
    )
    assert 'data-block="gdpr"' in letter_html(
        LetterKind.FIRST_REMINDER, selectors.notice_context(notice)
    )
    with pytest.raises(MissingMandatoryBlock) as refused:
        services.notice_render(notice=notice)
    assert refused.value.missing == ["gdpr"]
    assert "the GDPR article 14 notice" in refused.value.reason
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT and not notice.pdf and not notice.sha256


def test_the_letter_task_records_why_a_hidden_block_failed(scoped, hiding_template):
    from collectio import outbox
    from collectio.outbox import OutboxMessage

    case = b1_case(scoped.creditor)
    notice = services.notice_create(
        case=case, kind=LetterKind.FIRST_REMINDER, channel=Channel.LETTER, actor=None, on=ON
    )
    message = OutboxMessage.objects.get(kind="notice_process", payload__notice_id=notice.pk)
    assert outbox.deliver(message.pk) == OutboxMessage.Status.FAILED  # final: no retry
    notice.refresh_from_db()
    assert notice.status == Notice.Status.FAILED and notice.attempts == 1  # not retried
    assert "in its PDF text: gdpr" in notice.error
