"""The agency's figures as charts (Chart.js configurations, drawn by static/js/app.js) and as
spreadsheets: one row per creditor and month, amounts as numbers, not text."""

from __future__ import annotations

from typing import Any

from django.utils import dateformat
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from backoffice.selectors import Figures


def charts(figures: Figures) -> dict[str, Any]:
    """Chart.js draws numbers: the amounts leave Decimal here only to be drawn."""
    labels = [dateformat.format(m, "N Y") for m in figures.months]
    palette = ["#1f5fa8", "#2a9d8f", "#e9c46a", "#e76f51", "#6c757d", "#8e44ad", "#264653"]
    recovered = {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": str(c.creditor),
                    "data": [
                        float(c.by_month.get(m, {}).get("recovered", 0)) for m in figures.months
                    ],
                    "backgroundColor": palette[i % len(palette)],
                    "stack": "recovered",
                }
                for i, c in enumerate(figures.creditors)
            ],
        },
        "options": {
            "responsive": True,
            "plugins": {"legend": {"position": "bottom"}},
            "scales": {
                "x": {"stacked": True},
                "y": {"stacked": True, "beginAtZero": True, "grace": "5%"},
            },
        },
    }

    def monthly_total(name: str, color: str, label: str) -> dict[str, Any]:
        totals = [
            sum(c.by_month.get(m, {}).get(name, 0) for c in figures.creditors)
            for m in figures.months
        ]
        return {
            "label": label,
            "data": [float(t) for t in totals],
            "borderColor": color,
            "backgroundColor": color,
        }

    entrusted = {
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [
                monthly_total("principal", "#1f5fa8", _("Principal entrusted")),
                monthly_total("recovered", "#2a9d8f", _("Recovered")),
            ],
        },
        "options": {"responsive": True, "plugins": {"legend": {"position": "bottom"}}},
    }
    letters = {
        "type": "bar",
        "data": {
            "labels": [str(row["label"]) for row in figures.letters],
            "datasets": [
                {
                    "label": _("Sent"),
                    "data": [row["sent"] for row in figures.letters],
                    "backgroundColor": "#2a9d8f",
                },
                {
                    "label": _("Failed"),
                    "data": [row["failed"] for row in figures.letters],
                    "backgroundColor": "#e76f51",
                },
                {
                    "label": _("In progress"),
                    "data": [row["pending"] for row in figures.letters],
                    "backgroundColor": "#adb5bd",
                },
            ],
        },
        "options": {
            "responsive": True,
            "indexAxis": "y",
            "maintainAspectRatio": False,
            "plugins": {"legend": {"position": "bottom"}},
        },
    }
    return {"recovered": recovered, "entrusted": entrusted, "letters": letters}


def rows(figures: Figures) -> list[list[Any]]:
    rows = []
    for c in figures.creditors:
        for month in figures.months:
            cell = c.by_month.get(month, {})
            rows.append(
                [
                    c.creditor.legal_name,
                    month.strftime("%Y-%m"),
                    cell.get("cases", 0),
                    cell.get("principal", 0),
                    cell.get("recovered", 0),
                ]
            )
    return rows


def header() -> list[str]:
    return [
        _("Creditor"),
        _("Month"),
        _("Cases entrusted"),
        _("Principal entrusted (€)"),
        _("Recovered (€)"),
    ]


def figures_workbook(figures: Figures) -> Workbook:
    """Three sheets: by creditor and month, letters by channel, each person's activity."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("By creditor and month")[:31]
    sheet.append(header())
    for row in rows(figures):
        sheet.append(row)
    for cell in sheet["D"][1:] + sheet["E"][1:]:
        cell.number_format = "#,##0.00 €"
    letters = book.create_sheet(_("Letters")[:31])
    letters.append([_("Channel"), _("Sent"), _("Failed"), _("In progress")])
    for row in figures.letters:
        letters.append([str(row["label"]), row["sent"], row["failed"], row["pending"]])
    agents = book.create_sheet(_("Activity")[:31])
    agents.append(
        [
            _("Person"),
            _("Role"),
            _("Cases worked"),
            _("Calls"),
            _("Payments recorded"),
            _("State changes"),
            _("Notes"),
            _("Total"),
        ]
    )
    for row in figures.agents:
        agents.append(
            [
                row["user"].email,
                row["role"],
                row["cases"],
                row["calls"],
                row["payments"],
                row["transitions"],
                row["notes"],
                row["total"],
            ]
        )
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for column in ws.columns:
            ws.column_dimensions[column[0].column_letter].width = max(
                12, *(len(str(c.value or "")) + 2 for c in column)
            )
    return book
