"""A sent notice is evidence: PostgreSQL refuses any change to its content, or its deletion,
whatever path the SQL takes (``Notice.save`` refuses it first, with a clearer error)."""

from django.db import migrations

# Columns a sent notice may still learn: its proof of delivery (Notice.AFTER_SENT_FIELDS).
FORWARD = """
CREATE FUNCTION notices_notice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    candidate notices_notice;
BEGIN
    IF OLD.status <> 'sent' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'NOTICE_IMMUTABLE: notice % was sent', OLD.reference
            USING ERRCODE = 'check_violation';
    END IF;
    candidate := NEW;
    candidate.tracking_number := OLD.tracking_number;
    candidate.acknowledged_on := OLD.acknowledged_on;
    candidate.bounced_at := OLD.bounced_at;
    candidate.bounce_reason := OLD.bounce_reason;
    candidate.deadline := OLD.deadline;
    IF candidate IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'NOTICE_IMMUTABLE: notice % was sent', OLD.reference
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER notices_notice_guard BEFORE UPDATE OR DELETE ON notices_notice
    FOR EACH ROW EXECUTE FUNCTION notices_notice_guard();
"""
BACKWARD = """
DROP TRIGGER notices_notice_guard ON notices_notice;
DROP FUNCTION notices_notice_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("notices", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
