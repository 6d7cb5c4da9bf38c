"""Consultation: visits, discussions, public notices and household links (not yet modelled)."""
