"""reconciliation: the figures per currency, the period compared, our side of each item

Revision ID: a7c3e91d4b62
Revises: 9c4ee6a63eaf
Create Date: 2026-12-08 10:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision: str = 'a7c3e91d4b62'
down_revision: Union[str, None] = '9c4ee6a63eaf'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('reconciliation_run', sa.Column('since_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('reconciliation_run', sa.Column('totals', postgresql.JSONB(astext_type=sa.Text()),
                                                  server_default='[]', nullable=False))
    op.add_column('reconciliation_item', sa.Column('subject', sa.String(length=8),
                                                   server_default='payment', nullable=False))
    op.add_column('reconciliation_item', sa.Column('ours_minor', sa.BigInteger(),
                                                   server_default='0', nullable=False))


def downgrade() -> None:
    op.drop_column('reconciliation_item', 'ours_minor')
    op.drop_column('reconciliation_item', 'subject')
    op.drop_column('reconciliation_run', 'totals')
    op.drop_column('reconciliation_run', 'since_at')
