"""The household's evaluation of its property firm (``/h/<token>/property/``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.forms import MAX_TEXT

from .models import Rating

ASPECTS = ("cleaning", "security", "repairs", "greenery")


def _rating(label, *, required):
    return forms.ChoiceField(
        label=label,
        choices=Rating.choices,
        required=required,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one answer.")},
    )


class EvaluationForm(forms.Form):
    """The overall rating (required), four aspects of the service (optional) and a comment.
    ``evaluation`` names the round the page was shown for: an answer never slips into
    another round."""

    evaluation = forms.IntegerField(widget=forms.HiddenInput)
    overall = _rating(
        _("Overall, are you satisfied with your property firm's service?"), required=True
    )
    cleaning = _rating(_("Cleaning of the compound and the stairs"), required=False)
    security = _rating(_("Order and security: gate, parking, fire lanes"), required=False)
    repairs = _rating(_("Repairs: how fast and how well"), required=False)
    greenery = _rating(_("Greenery and shared facilities"), required=False)
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the firm does well, or should do better."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "evaluation-%s")
        super().__init__(*args, **kwargs)
