"""The settings of the benchmark server (``bench.submissions``): production settings, with
the benchmark's floor view beside the site and no rate limits (the load comes from one
address, loopback, and would be refused as an attack: the benchmark measures the work of an
answer, not the limiter)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
RATELIMIT_ENABLE = False
