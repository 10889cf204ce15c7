"""Recurring bookings: a series (the rule, what each occurrence books, the dates that did not
fit), the bookings that belong to one, and payments sharing one checkout (a series is paid
with one provider session: its id is no longer unique per payment row)

Revision ID: 7e2c5a1d9b84
Revises: 4c7b1e9d2a60
Create Date: 2026-12-04 21:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision: str = '7e2c5a1d9b84'
down_revision: Union[str, None] = '4c7b1e9d2a60'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'booking_series',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('app_user.id', ondelete='RESTRICT'), nullable=False),
        sa.Column('space_id', sa.Integer(), sa.ForeignKey('space.id', ondelete='RESTRICT'), nullable=False),
        sa.Column('resource_id', sa.Integer(), sa.ForeignKey('resource.id', ondelete='RESTRICT'), nullable=False),
        sa.Column('rule', sa.String(300), nullable=False),
        sa.Column('seats', sa.Integer(), nullable=False),
        sa.Column('timezone', sa.String(64), nullable=False),
        sa.Column('addons', postgresql.JSONB(), server_default='[]', nullable=False),
        sa.Column('conflicts', postgresql.JSONB(), server_default='[]', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    )
    op.create_index('ix_booking_series_user', 'booking_series', ['user_id', sa.text('id DESC')])
    op.add_column('booking', sa.Column('series_id', sa.Integer(), nullable=True))
    op.create_foreign_key('booking_series_id_fkey', 'booking', 'booking_series', ['series_id'], ['id'],
                          ondelete='RESTRICT')
    op.create_index('ix_booking_series_id', 'booking', ['series_id'], postgresql_where=sa.text('series_id IS NOT NULL'))
    op.drop_constraint('payment_provider_session_id_key', 'payment', type_='unique')
    op.create_index('ix_payment_provider_session_id', 'payment', ['provider_session_id'])


def downgrade() -> None:
    op.drop_index('ix_payment_provider_session_id', table_name='payment')
    op.create_unique_constraint('payment_provider_session_id_key', 'payment', ['provider_session_id'])
    op.drop_index('ix_booking_series_id', table_name='booking')
    op.drop_constraint('booking_series_id_fkey', 'booking', type_='foreignkey')
    op.drop_column('booking', 'series_id')
    op.drop_index('ix_booking_series_user', table_name='booking_series')
    op.drop_table('booking_series')
