"""The one way to number things per agency and year (cases C-…, letters L-…), gapless."""

from django.db import connection

from collectio.models import ReferenceSequence


def next_reference(*, agency_id: int, prefix: str, year: int) -> str:
    """Take the next number atomically: one upsert, so concurrent callers never share one."""
    table = ReferenceSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (agency_id, prefix, year, last_value) "  # noqa: S608
            "VALUES (%s, %s, %s, 1) ON CONFLICT (agency_id, prefix, year) "
            f"DO UPDATE SET last_value = {table}.last_value + 1 RETURNING last_value",
            [agency_id, prefix, year],
        )
        (number,) = cursor.fetchone()
    return f"{prefix}-{year}-{number:06d}"


def next_references(*, agency_id: int, prefix: str, year: int, count: int) -> list[str]:
    """Take ``count`` consecutive numbers in one upsert (a bulk import's cases)."""
    if count <= 0:
        return []
    table = ReferenceSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (agency_id, prefix, year, last_value) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (agency_id, prefix, year) "
            f"DO UPDATE SET last_value = {table}.last_value + %s RETURNING last_value",
            [agency_id, prefix, year, count, count],
        )
        (last,) = cursor.fetchone()
    return [f"{prefix}-{year}-{number:06d}" for number in range(last - count + 1, last + 1)]
