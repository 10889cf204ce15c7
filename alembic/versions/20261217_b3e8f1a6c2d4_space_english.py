"""A space's English name and description, written by its owner and shown to English readers
when given (docs/i18n.md)

Revision ID: b3e8f1a6c2d4
Revises: 7e2c5a1d9b84
Create Date: 2026-12-05 00:10:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'b3e8f1a6c2d4'
down_revision: Union[str, None] = '7e2c5a1d9b84'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('space', sa.Column('name_en', sa.String(160), server_default='', nullable=False))
    op.add_column('space', sa.Column('description_en', sa.String(5000), server_default='', nullable=False))


def downgrade() -> None:
    op.drop_column('space', 'description_en')
    op.drop_column('space', 'name_en')
