"""The linter: forbidden wording refused (REQ-A9), mandatory blocks enforced (REQ-A3, F3...)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import get_template

from notices.checks import check_shipped_letter_templates, lint_letter_template
from notices.linter import debt_wording_in_preview, forbidden_wording, wording_errors
from notices.models import LetterKind, LetterTemplate
from notices.rendering import letter_html
from notices.samples import sample_context


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("DERNIER AVIS AVANT SAISIE", ["Avis avant saisie", "Saisie"]),
        ("Au nom de la republique  FRANÇAISE", ["République française"]),
        ("Un huissier passera.", ["Huissier"]),
        ("Nos HUISSIERS sont prêts.", ["Huissier"]),
        ("Saisine du Tribunal de commerce", ["Tribunal"]),
        ("devant les tribunaux", ["Tribunaux"]),
        ("un commissaire de justice", ["Commissaire de justice"]),
        ("Signification d'un acte", ["Acte", "Signification"]),
        ("Commandement de payer", ["Commandement"]),
        ("Sommation", ["Sommation"]),
        ("Ordonnance", ["Ordonnance"]),
        ("Le greffe", ["Greffe"]),
        ("nous allons saisir vos biens", ["Saisir"]),
        ("exécution forcée", ["Exécution forcée"]),
        ("une procédure judiciaire", ["Procédure judiciaire"]),
    ],
)
def test_forbidden_wording_is_found_case_and_accent_insensitively(text, found):
    assert forbidden_wording(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "Merci de nous contacter.",  # "acte" inside a word
        "Le montant exact est indiqué ci-dessous.",
        "Nous avons été saisis par votre créancier.",  # referred to, not a seizure
        "Votre réactivité est appréciée.",
    ],
)
def test_whole_words_only(text):
    assert forbidden_wording(text) == []


def test_a_template_with_forbidden_wording_cannot_be_saved(scoped):
    template = LetterTemplate(
        agency=scoped.agency,
        kind=LetterKind.SECOND_REMINDER,
        body="DERNIER AVIS AVANT SAISIE de vos biens.",
    )
    with pytest.raises(ValidationError) as refused:
        template.full_clean()
    assert "Avis avant saisie" in str(refused.value)
    with pytest.raises(ValidationError):
        template.save()  # the guard holds without full_clean() too
    assert not LetterTemplate.objects.exists()


def test_lawful_wording_is_saved(scoped):
    body = "Sauf erreur, {{ debtor_name }} doit {{ total_due }} à {{ creditor_name|upper }}."
    LetterTemplate.objects.create(agency=scoped.agency, kind=LetterKind.FIRST_REMINDER, body=body)
    assert LetterTemplate.objects.get().body == body


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{% include "letters/blocks/gdpr.html" %}', "tag {% include %}"),
        ("{% load static %}", "tag {% load %}"),
        ("{{ total_due|safe }}", "filter |safe"),
        ("{{ agency.collection_iban }}", "Unknown variable"),
        ("{% if debtor_name %}sans fin", "syntax"),
    ],
)
def test_wording_is_plain_text_with_a_few_variables(body, error):
    assert any(error in message for message in wording_errors(body)), wording_errors(body)


def test_shipped_default_wordings_are_lawful():
    for kind in LetterKind:
        source = get_template(f"letters/wording/{kind}.txt").template.source
        assert wording_errors(source) == [], kind


def test_wording_cannot_inject_markup_into_the_letter():
    context = sample_context(LetterKind.FIRST_REMINDER)
    context["wording"] = '<style>[data-block="gdpr"]{display:none}</style>'
    assert "&lt;style&gt;" in letter_html(LetterKind.FIRST_REMINDER, context)


def test_shipped_letter_templates_carry_their_mandatory_blocks():
    assert check_shipped_letter_templates() == []
    for kind in LetterKind:
        source = get_template(f"letters/{kind}.html").template.source
        assert lint_letter_template(kind, source) == [], kind


@pytest.mark.parametrize(
    ("kind", "include", "block"),
    [
        (LetterKind.FIRST_REMINDER, '{% include "letters/blocks/gdpr.html" %}', "gdpr"),
        (LetterKind.SECOND_REMINDER, '{% include "letters/blocks/l111_8.html" %}', "l111-8"),
        (
            LetterKind.FORMAL_NOTICE,
            '{% include "letters/blocks/formal_notice.html" %}',
            "formal-notice",
        ),
        (LetterKind.JUDICIAL_HANDOFF, '{% include "letters/blocks/payment.html" %}', "payment"),
    ],
)
def test_a_broken_copy_missing_a_block_is_refused(kind, include, block):
    source = get_template(f"letters/{kind}.html").template.source
    assert include in source
    assert lint_letter_template(kind, source.replace(include, "")) == [block]


def test_a_block_hidden_behind_a_condition_is_missing_too():
    source = get_template("letters/first_reminder.html").template.source
    include = '{% include "letters/blocks/gdpr.html" %}'
    broken = source.replace(include, "{% if False %}" + include + "{% endif %}")
    assert lint_letter_template(LetterKind.FIRST_REMINDER, broken) == ["gdpr"]


def test_sms_preview_debt_wording():
    assert debt_wording_in_preview("Rappel de votre dette : 1 200 € impayés") == ["dette", "impaye"]
    assert debt_wording_in_preview("Bonjour, merci de nous rappeler au 01 02 03 04 05") == []
