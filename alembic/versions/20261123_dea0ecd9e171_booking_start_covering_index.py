"""booking start covering index for the dashboard

ix_booking_start_at (start_at) becomes ix_booking_start_cover: the same key, plus the
columns the operator dashboard reads (services/admin/analytics.py), so its figures are counted
by index-only scans. The new index is built before the old one is dropped.

Revision ID: dea0ecd9e171
Revises: 3c1f0a9d2b7e
Create Date: 2026-11-23 17:18:24.000000
"""
from typing import Sequence, Union

from alembic import op
import geoalchemy2
import sqlalchemy as sa
import sqlmodel


revision: str = 'dea0ecd9e171'
down_revision: Union[str, None] = '3c1f0a9d2b7e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INCLUDE = ['end_at', 'space_id', 'status', 'seats', 'timezone', 'paid_minor', 'refunded_minor',
           'created_at']


def upgrade() -> None:
    op.create_index('ix_booking_start_cover', 'booking', ['start_at'], unique=False,
                    postgresql_include=INCLUDE)
    op.drop_index('ix_booking_start_at', table_name='booking')


def downgrade() -> None:
    op.create_index('ix_booking_start_at', 'booking', ['start_at'], unique=False)
    op.drop_index('ix_booking_start_cover', table_name='booking')
