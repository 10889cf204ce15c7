"""Telling people: notifications (in-app, email, realtime), mail delivery, the development outbox, conversations and owners' offers."""
