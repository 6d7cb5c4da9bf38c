from django import forms
from django.utils.translation import gettext_lazy as _

from .sources import FORMATS, extension


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(".xlsx or .csv, with the headings of the template on its first row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if extension(upload.name) not in FORMATS:
            raise forms.ValidationError(
                _("Only .xlsx and .csv files can be imported; this file is “%(name)s”."),
                params={"name": upload.name},
                code="format",
            )
        return upload
