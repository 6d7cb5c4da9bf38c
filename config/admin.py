"""The login lockout's records in the admin (django-axes), with words the county reads."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class PausedLoginsAdmin(AccessAttemptAdmin):
    @admin.display(description=_("state"))
    def status(self, obj):
        return super().status(obj)
