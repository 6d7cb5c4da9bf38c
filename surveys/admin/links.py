"""Admin of links (filled in below)."""
