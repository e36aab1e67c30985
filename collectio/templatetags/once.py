"""``{% form_token %}`` beside ``{% csrf_token %}`` in every form that writes: a fresh one-time
token per rendered form (collectio.submissions)."""

from django import template
from django.utils.html import format_html

from collectio.submissions import FIELD, new_form_token

register = template.Library()


@register.simple_tag
def form_token() -> str:
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_form_token())
