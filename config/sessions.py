"""Staff sessions that end after ``SESSION_COOKIE_AGE`` without a request.

A session's expiry is counted from its last save. Django's ``SESSION_SAVE_EVERY_REQUEST`` would
write the session on every request; this middleware writes it at most once a minute while its
user keeps working, so an idle session ends on time and a busy one costs a write a minute.
"""

import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

#: The session key of the last time the session was written for activity, in epoch seconds.
SEEN = "anju_seen"
#: How stale the last write may be before a request writes the session again.
REFRESH_SECONDS = 60


class SessionIdleTimeout:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session that exists and was read (the logged-in user's): a resident's visit
        # without a session neither opens nor reads one here.
        if session is not None and session.session_key and session.accessed:
            now = int(time.time())
            if now - session.get(SEEN, 0) >= REFRESH_SECONDS:
                session[SEEN] = now
        return response


@receiver(user_logged_in)
def note_login(sender, request, user, **kwargs):
    """A fresh login counts as activity: the session written at login needs no second write."""
    if request is not None and hasattr(request, "session"):
        request.session[SEEN] = int(time.time())
