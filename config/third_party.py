"""What Anju's staff see of the packages it uses, in Chinese.

django-axes (the login lockout) has no Simplified Chinese catalogue and django-import-export's
lacks a few words: the app gets a name here, and the words of their admin pages are marked
below so that ``make messages`` keeps them in Anju's catalogue, which Django reads before any
package's.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class LoginRecordsConfig(AxesAppConfig):
    verbose_name = _("Login records")


#: django-import-export's words that its Chinese catalogue leaves untranslated.
IMPORT_EXPORT_WORDS = [
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
]

AXES_WORDS = [
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Expires At"),
    gettext_noop("Logout Time"),
    gettext_noop("Locked Out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
]
