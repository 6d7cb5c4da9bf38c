"""Forms of the household's pages: an opinion (with needs and a photo), an objection."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from projects.images import process_upload
from projects.models import CatalogueKind

from .models import ResidentRequest

#: The longest text a resident may send in one form (about two pages of Chinese).
MAX_TEXT = 2000


class OpinionForm(forms.Form):
    """What a household wants renovated, in ticks and in words (the words are required), with
    an optional photo.

    The photo is checked and re-encoded by ``projects.images.process_upload`` while the form
    is cleaned, so a refused photo is reported beside the form and nothing is stored;
    ``cleaned_data["photo"]`` is then the processed image (or None).
    """

    category = forms.ChoiceField(
        label=_("This is"),
        choices=ResidentRequest.Category.choices,
        initial=ResidentRequest.Category.OPINION,
        widget=forms.RadioSelect,
    )
    needs = forms.ModelMultipleChoiceField(
        label=_("What should be renovated?"),
        queryset=CatalogueKind.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick everything your household needs."),
    )
    text = forms.CharField(
        label=_("Your opinion"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What you want, or do not want, and why."),
        error_messages={"required": _("Write your opinion in a few words.")},
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("A photo of the problem: JPEG, PNG or WebP."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "opinion-%s")  # the page holds two forms: distinct ids
        super().__init__(*args, **kwargs)

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        return process_upload(upload)


class ObjectionForm(forms.Form):
    """An objection to the posted plan. ``notice`` names the notice the resident read: an
    objection to a notice that is no longer the current one is refused."""

    notice = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("Your objection"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What in the plan you object to, and why. Every objection gets an answer."),
        error_messages={"required": _("Write what you object to.")},
    )

    def __init__(self, *args, current_notice=None, **kwargs):
        kwargs.setdefault("auto_id", "objection-%s")
        super().__init__(*args, **kwargs)
        self.current_notice = current_notice
        if current_notice is not None:
            self.fields["notice"].initial = current_notice.pk

    def clean_notice(self):
        pk = self.cleaned_data["notice"]
        if self.current_notice is None or pk != self.current_notice.pk:
            raise ValidationError(
                _("The posted plan has changed since you opened the page: read it again."),
                code="stale_notice",
            )
        return self.current_notice
