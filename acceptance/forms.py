"""The household's satisfaction survey form (``/h/<token>/satisfaction/``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.forms import MAX_TEXT

from .models import Satisfaction

#: The longest comment a household may add to its answer (as an opinion on its page).
MAX_COMMENT = MAX_TEXT


def _level(label, help_text=""):
    return forms.ChoiceField(
        label=label,
        help_text=help_text,
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one answer.")},
    )


class SatisfactionForm(forms.Form):
    """Overall satisfaction, the three dimensions of the national survey (each required here,
    though staff entering a paper form may leave one blank) and an optional comment.

    ``survey_round`` names the round the resident read the page for: an answer is recorded in
    that round only, never in a round opened after the page was shown.
    """

    survey_round = forms.IntegerField(widget=forms.HiddenInput)
    overall = _level(_("Overall, are you satisfied with the renovation?"))
    content = _level(
        _("The renovation content"),
        _("What was renovated: did it meet your household's needs?"),
    )
    process = _level(
        _("The management of the works"),
        _("How the works were run: safety, noise, dust, cleanliness, information."),
    )
    long_term = _level(
        _("The long-term management"),
        _("Upkeep after the works: property management, repairs, rules of the compound."),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Anything you would like to add."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "satisfaction-%s")
        super().__init__(*args, **kwargs)
