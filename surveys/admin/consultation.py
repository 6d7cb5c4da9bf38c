"""Admin of consultation (filled in below)."""
