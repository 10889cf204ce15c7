"""Shared kernel of the services: refusals, field types, validation messages, text rules, query helpers, file storage and media keys."""
