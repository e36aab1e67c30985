"""What the OpenAPI document says beyond the operations: how to integrate, from /api/docs/."""

from __future__ import annotations

from typing import Any

from api.problems import PROBLEMS
from api.webhooks import event_type_choices

GUIDE = """
Push debt-collection cases, follow them, and receive their events.

## Authentication
Send `Authorization: Api-Key <key>` with every request. The agency's administrators create keys
in the back-office (*API & webhooks*); a key is shown once, can expire and be revoked. An
**agency key** sees the whole agency; a **creditor key** sees only that creditor's cases and opens
cases for it. An object the key may not see answers `404`, exactly as one that does not exist.

## Requests
- JSON in, JSON out. Amounts are strings in euros with two decimals (`"1285.83"`); dates are
  `YYYY-MM-DD` (days in Europe/Paris); instants are ISO 8601.
- Lists are cursor-paginated: follow `next` (`page_size` up to 500).
- Send an `Idempotency-Key` header (a UUID) on every POST: a retry with the same key and body gets
  the first response again (`Idempotent-Replayed: true`) for 24 hours; the same key with another
  body is refused (`422`).
- Each key has a rate limit: `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` come
  with every answer, `429` and `Retry-After` past it.

## Errors
Errors are `application/problem+json` (RFC 9457) with a stable `type`,
`/api/problems/<slug>/`, which explains it. A `validation` problem has `errors[]`: a JSON
`pointer` into your body (`#/claims/0/principal`), a `detail` and a `code` for each field; a
`transition-refused` problem has `reasons[]`. The types:

{problems}

## Amounts
`GET /api/v1/cases/{id}/balance/?at=YYYY-MM-DD` is the statement of account that letters and
the judicial dossier print: per invoice, principal still due, interest accrued and interest still
owed (two fields), each period with its rate, the €40 indemnities, payments imputed (interest
first, C. civ. 1343-1), outstanding. The case's `principal_due` is the principal still owed only.

## Webhooks
The administrators subscribe URLs for a key; each subscription has its own secret
(`whsec_…`). Every event of a case the key may see is POSTed as
`{"type": "case.state_changed", "timestamp": "…", "data": {"event": {…}, "case": {…}}}` with the
Standard Webhooks headers `webhook-id` (the same on every attempt: use it to ignore a repeat),
`webhook-timestamp` and `webhook-signature`. Verify them with any Standard Webhooks library, e.g.
in Python:

```python
from standardwebhooks.webhooks import Webhook
message = Webhook(secret).verify(request.body, request.headers)  # raises if forged or stale
```

Answer 2xx within 10 seconds. Anything else is retried 1 minute later, then after waits that
double up to 12 hours, for three days; the delivery log in the back-office shows every attempt
and can replay one.

Event types: {types}.
"""


def describe(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the integration guide as the API's description."""
    types = ", ".join(f"`{t}`" for t in event_type_choices())
    problems = "\n".join(
        f"- `{slug}` ({code}): {meaning}" for slug, (code, _title, meaning) in PROBLEMS.items()
    )
    guide = GUIDE.replace("{types}", types).replace("{problems}", problems)
    result["info"]["description"] = guide.strip()
    return result
