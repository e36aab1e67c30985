"""The bodies providers post to the webhooks, checked field by field (a bad one is a 400)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class PostEventSerializer(serializers.Serializer):
    """``{"notice_id", "tracking_number"}`` once posted (the id comes from the batch
    manifest), then ``{"tracking_number", "acknowledged_on"}`` once presented or delivered."""

    notice_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    tracking_number = serializers.CharField(required=False, max_length=50)
    acknowledged_on = serializers.DateField(required=False, input_formats=["iso-8601"])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "notice_id" not in attrs and "tracking_number" not in attrs:
            raise serializers.ValidationError(_("Give notice_id or tracking_number."))
        if "notice_id" in attrs and "tracking_number" not in attrs:
            raise serializers.ValidationError(_("A posted letter comes with its tracking number."))
        return attrs


class EmailBounceSerializer(serializers.Serializer):
    message_id = serializers.CharField(max_length=200)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
