"""Running a service step from the admin and telling the user what came of it."""

from collections.abc import Callable

from django.contrib import messages

from ..services import Refused


def report_step(
    model_admin,
    request,
    step: Callable[[], object],
    *,
    refused: Callable[[str], str],
    done: Callable[[object], str] | None = None,
) -> bool:
    """Run ``step()``. If it is refused, show ``refused(reasons)`` as an error; otherwise show
    ``done(result)`` (when given) as a success. Whether the step was taken."""
    try:
        result = step()
    except Refused as refusal:
        reasons = " ".join(str(reason) for reason in refusal.reasons)
        model_admin.message_user(request, refused(reasons), messages.ERROR)
        return False
    if done is not None:
        model_admin.message_user(request, done(result), messages.SUCCESS)
    return True
