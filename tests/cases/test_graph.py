"""docs/state-machine.md is generated from the code; this keeps the committed copy honest."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from cases.management.commands.graph_case_states import edges
from cases.models import Case, CaseState

DOC = Path(settings.BASE_DIR) / "docs" / "state-machine.md"


def test_committed_diagram_is_the_commands_output():
    out = StringIO()
    call_command("graph_case_states", stdout=out)
    assert DOC.read_text(encoding="utf-8") == out.getvalue(), (
        "docs/state-machine.md is stale: run "
        "`python manage.py graph_case_states --output docs/state-machine.md`"
    )


def test_every_transition_and_state_is_drawn():
    drawn = {label.rstrip("*") for labels in edges().values() for label in labels}
    declared = {t.name for t in Case._meta.get_field("state").get_all_transitions(Case)}
    assert drawn == declared
    text = DOC.read_text(encoding="utf-8")
    for state in CaseState.values:
        assert f" as {state}\n" in text


def test_computed_targets_use_their_allowed_states():
    graph = edges()
    assert graph[(CaseState.ON_HOLD, CaseState.FORMAL_NOTICE)] == ["resume*"]
    assert graph[(CaseState.REMINDER, CaseState.PHONE_FOLLOWUP)] == ["escalate"]
    assert (CaseState.REMINDER, CaseState.FORMAL_NOTICE) not in graph  # no impossible edge
    assert graph[(CaseState.NEW, CaseState.REMINDER)] == ["accept"]
    assert not any(src in (CaseState.PAID, CaseState.CLOSED) for src, _ in graph)


def test_output_option_writes_the_same_document(tmp_path):
    target = tmp_path / "graph.md"
    call_command("graph_case_states", output=target)
    assert target.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")
