"""Admin of requests (filled in below)."""
