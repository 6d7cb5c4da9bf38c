"""Logging helpers that must load before any app: a household's secret link never reaches a
log line."""

import logging
import re

#: A household path in any text: ``/h/`` and one path segment.
TOKEN_IN_PATH = re.compile(r"/h/[^/\s?#\"']+")
MASKED_PATH = "/h/…"


def mask_tokens(text: str) -> str:
    """``text`` with every ``/h/<token>`` replaced by ``/h/…``."""
    return TOKEN_IN_PATH.sub(MASKED_PATH, text)


class MaskHouseholdTokens(logging.Filter):
    """A logging filter that masks household tokens in a record's message and arguments.

    Django logs the path of every 4xx and 5xx response (``django.request``, ``django.server``,
    ``django.security.csrf``); wired on the handlers in ``LOGGING``, this filter keeps the
    tokens of ``/h/<token>/`` out of every log line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                key: mask_tokens(arg) if isinstance(arg, str) else arg
                for key, arg in record.args.items()
            }
        return True
