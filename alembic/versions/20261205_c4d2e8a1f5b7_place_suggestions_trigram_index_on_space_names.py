"""place suggestions: trigram index on published spaces' names and addresses

`services/catalog/places.py` suggests our spaces by the words of their name and address as
people type. Each typed word is looked up with `LIKE '%word%'` on the lower-cased text with
ё read as е; this GIN trigram index (pg_trgm, created by the foundation migration) answers
that for published spaces, so a suggestion stays a few milliseconds on 100k spaces instead
of a scan of the whole `space` table. The expression is the one `places.space_place_text()`
writes.

Revision ID: c4d2e8a1f5b7
Revises: 7f3a2c9e5d10
Create Date: 2026-12-05 09:00:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = 'c4d2e8a1f5b7'
down_revision: Union[str, None] = '7f3a2c9e5d10'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX ix_space_place_text ON space USING gin "
        "((translate(lower((name || ' ') || address), 'ё', 'е')) gin_trgm_ops) "
        "WHERE status = 'published' AND deleted_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_space_place_text")
