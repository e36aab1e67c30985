"""``{{ event|sentence }}`` and ``{{ event|actor }}``: the timeline as cases.events words it."""

from django import template

from cases import events
from cases.models import CaseEvent

register = template.Library()


@register.filter
def sentence(event: CaseEvent) -> str:
    return events.describe(event)


@register.filter
def actor(event: CaseEvent) -> str:
    return events.actor_name(event)
