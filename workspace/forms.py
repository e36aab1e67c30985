from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dunning.models import JudicialStep
from payments.models import Payment


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (€)"), min_value=0.01, max_digits=14, decimal_places=2
    )
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    bank_reference = forms.CharField(label=_("Bank reference"), max_length=100, required=False)

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError(_("A payment cannot be received in the future."))
        return received_on


class JudicialStepForm(forms.Form):
    """An injunction order issued or served, as the judicial partner reports it (REQ-E5)."""

    step = forms.ChoiceField(label=_("Step"), choices=JudicialStep.choices)
    on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("For a service not made to the debtor in person: the first act that was."),
    )
