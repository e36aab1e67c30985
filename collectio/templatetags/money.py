"""``{{ amount|euros }}`` in pages: the one money formatter (collectio.money), French style."""

from django import template

from collectio.money import amount, euros

register = template.Library()
register.filter("amount", amount)
register.filter("euros", euros)
