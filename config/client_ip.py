"""The visitor's address, for the rate limits of the residents' pages and the login lockout.

Behind a reverse proxy every request comes from the proxy: ``ANJU_CLIENT_IP_HEADER`` names the
request header in which the proxy passes the visitor's address (``HTTP_X_REAL_IP``, or
``HTTP_X_FORWARDED_FOR``, whose last entry is the one the proxy itself saw: the ones before it
are whatever the visitor sent). Without it, or when the header is missing or malformed, the
address is the connection's own (``REMOTE_ADDR``).
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    header = settings.ANJU_CLIENT_IP_HEADER
    if header:
        candidate = request.META.get(header, "").rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    # An address to count by when the connection has none (a Unix socket), not one to bind.
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # nosec B104
