"""Gap-free document numbers (receipts, credit notes, payout statements, invoices)."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session


def next_number(session: Session, kind: str) -> int:
    """The next number of `kind`, without gaps: the counter row is locked by the UPDATE until
    this transaction ends, and a rollback gives the number back (a sequence would not)."""
    session.execute(text("INSERT INTO document_counter (kind, last_number) VALUES (:k, 0) "
                         "ON CONFLICT (kind) DO NOTHING"), {"k": kind})
    return session.execute(text("UPDATE document_counter SET last_number = last_number + 1 "
                                "WHERE kind = :k RETURNING last_number"), {"k": kind}).scalar_one()
