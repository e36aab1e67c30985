"""``manage.py graph_case_states``: docs/state-machine.md, generated from ``Case.state``.

The diagram is read from django-fsm's transitions, never drawn by hand, so the documentation
cannot drift from the code (tests/cases/test_graph.py compares the committed file).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation
from django_fsm import State

from cases.models import ACTIVE_STATES, PAUSED_STATES, TERMINAL_STATES, Case, CaseState

REGENERATE = "python manage.py graph_case_states --output docs/state-machine.md"


def _names(states: Any) -> list[str]:
    """django-fsm sources: one state, a list, ``*`` (any) or ``+`` (any but the target)."""
    if isinstance(states, str | CaseState):
        states = [states]
    return [str(s) for s in states]


def _sources(transition: Any) -> list[str]:
    if transition.source == "*":
        return list(CaseState.values)
    if transition.source == "+":
        return [s for s in CaseState.values if s not in _targets(transition)]
    return _names(transition.source)


def _targets(transition: Any) -> list[str]:
    """A computed target (GET_STATE, RETURN_VALUE) may end in any of its allowed states."""
    target = transition.target
    if isinstance(target, State):
        return _names(target.allowed_states)
    if target is None:  # a transition that keeps the state
        return _sources(transition)
    return _names(target)


def _ordered(states: Iterable[str]) -> list[str]:
    order = list(CaseState.values)
    return sorted(set(states), key=order.index)


def edges() -> dict[tuple[str, str], list[str]]:
    """(source, target) → transition labels, in the order the model declares them.

    A computed target's name carries a ``*``: the edge is declared possible, not certain.
    """
    found: dict[tuple[str, str], list[str]] = {}
    state_field = Case._meta.get_field("state")
    for transition in state_field.get_all_transitions(Case):  # type: ignore[attr-defined]
        label = transition.name + ("*" if isinstance(transition.target, State) else "")
        for source in _sources(transition):
            for target in _targets(transition):
                labels = found.setdefault((source, target), [])
                if label not in labels:
                    labels.append(label)
    order = list(CaseState.values)
    return dict(sorted(found.items(), key=lambda e: (order.index(e[0][0]), order.index(e[0][1]))))


def mermaid() -> str:
    graph = edges()
    lines = ["stateDiagram-v2", "    direction LR"]
    with translation.override("en"):
        lines += [f'    state "{CaseState(s).label}" as {s}' for s in CaseState.values]
    lines.append(f"    [*] --> {Case._meta.get_field('state').default}")
    lines += [f"    {src} --> {dst}: {', '.join(names)}" for (src, dst), names in graph.items()]
    with_exit = {src for src, _ in graph}
    lines += [f"    {s} --> [*]" for s in CaseState.values if s not in with_exit]
    lines += [
        "    classDef active fill:#dbe8f7,stroke:#1f5fa8",
        "    classDef paused fill:#fdf1d6,stroke:#a87a1f",
        "    classDef terminal fill:#e4e7eb,stroke:#5b6776",
    ]
    for name, states in (
        ("active", ACTIVE_STATES),
        ("paused", PAUSED_STATES),
        ("terminal", TERMINAL_STATES),
    ):
        lines.append(f"    class {','.join(_ordered(states))} {name}")
    return "\n".join(lines)


def _table() -> list[str]:
    """One row per transition: what it needs and who may fire it."""
    rows = [
        "| transition | from | to | conditions | permission |",
        "|---|---|---|---|---|",
    ]
    state_field = Case._meta.get_field("state")
    seen: dict[str, dict[str, Any]] = {}
    for transition in state_field.get_all_transitions(Case):  # type: ignore[attr-defined]
        row = seen.setdefault(
            transition.name,
            {
                "sources": [],
                "targets": [],
                "conditions": [c.__name__ for c in transition.conditions],
                "permission": getattr(transition.permission, "__name__", "—"),
            },
        )
        row["sources"] += _sources(transition)
        row["targets"] += _targets(transition)
    for name, row in seen.items():
        rows.append(
            f"| `{name}` | {', '.join(_ordered(row['sources']))} "
            f"| {', '.join(_ordered(row['targets']))} "
            f"| {', '.join(row['conditions']) or '—'} | {row['permission']} |"
        )
    return rows


def document() -> str:
    """The whole of docs/state-machine.md."""
    return "\n".join(
        [
            "# The case state machine",
            "",
            "Generated from `Case.state` (django-fsm-2 transitions in `cases/models.py`); "
            f"do not edit by hand. Regenerate with `{REGENERATE}`; "
            "`tests/cases/test_graph.py` fails when this file is out of date.",
            "",
            "Active states (blue) are worked by the sweep and the agents, paused states (yellow) "
            "remember the active state they return to, terminal states (grey) have no way out. "
            "A transition marked `*` computes its target (`GET_STATE`, `RETURN_VALUE`): it is "
            "drawn to every state it declares it may return, and picks one at run time "
            "(`resume`, `break_plan` and `reject_dispute` go back to the state the pause left).",
            "",
            "```mermaid",
            mermaid(),
            "```",
            "",
            "## Transitions",
            "",
            *_table(),
            "",
        ]
    )


class Command(BaseCommand):
    help = "Print docs/state-machine.md (a Mermaid diagram of Case.state) from the code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", type=Path, help="Write to this file instead.")

    def handle(self, *args: Any, output: Path | None = None, **options: Any) -> None:
        text = document()
        if output is None:
            self.stdout.write(text, ending="")
        else:
            output.write_text(text, encoding="utf-8")
