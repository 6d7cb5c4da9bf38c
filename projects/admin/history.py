"""The change history of a project's records (全过程跟踪审计), read within the user's scope."""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class ScopedHistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's History pages, kept to the rows the user may see, and
    read-only: reverting would write old values past the services that guard them."""

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to the history of a row outside get_queryset(); keep the
        # scope: a row the user may not see is as missing as on its change page.
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True
