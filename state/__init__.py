"""Reflex State classes: thin adapters that call coworking_app.services."""
