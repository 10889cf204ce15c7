"""Plans: day-pass packs, memberships and meeting-room hour packs a space sells, their
purchases (one row per period) and usage; bookings, payments, journal entries and receipts
that belong to a purchase

Revision ID: 4c7b1e9d2a60
Revises: 9a61f809b8b7
Create Date: 2026-12-04 20:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision: str = '4c7b1e9d2a60'
down_revision: Union[str, None] = '9a61f809b8b7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'plan',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('space_id', sa.Integer(), sa.ForeignKey('space.id', ondelete='CASCADE'), nullable=False),
        sa.Column('kind', sa.String(12), nullable=False),
        sa.Column('membership_type', sa.String(12), nullable=True),
        sa.Column('name', sa.String(120), nullable=False),
        sa.Column('description', sa.String(1000), nullable=False),
        sa.Column('price_minor', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('vat_rate_bp', sa.Integer(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=True),
        sa.Column('validity_days', sa.Integer(), nullable=True),
        sa.Column('credit_minutes', sa.Integer(), nullable=False),
        sa.Column('resource_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column('max_active_bookings', sa.Integer(), nullable=False),
        sa.Column('renews', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("kind IN ('day_pass', 'membership', 'credits')", name='ck_plan_kind'),
        sa.CheckConstraint(
            "(kind = 'membership') = (membership_type IS NOT NULL) AND "
            "(membership_type IS NULL OR membership_type IN ('hot_desk', 'fixed_desk', 'office'))",
            name='ck_plan_membership_type'),
        sa.CheckConstraint('price_minor > 0', name='ck_plan_price'),
        sa.CheckConstraint("kind <> 'day_pass' OR (days > 0 AND validity_days > 0)", name='ck_plan_day_pass'),
        sa.CheckConstraint("kind <> 'credits' OR (credit_minutes > 0 AND validity_days > 0)", name='ck_plan_credits'),
        sa.CheckConstraint('credit_minutes >= 0 AND max_active_bookings BETWEEN 1 AND 50', name='ck_plan_limits'),
    )
    op.create_index('ix_plan_space', 'plan', ['space_id', 'id'])
    op.create_table(
        'plan_purchase',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('plan_id', sa.Integer(), sa.ForeignKey('plan.id', ondelete='RESTRICT'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('app_user.id', ondelete='RESTRICT'), nullable=False),
        sa.Column('space_id', sa.Integer(), sa.ForeignKey('space.id', ondelete='RESTRICT'), nullable=False),
        sa.Column('kind', sa.String(12), nullable=False),
        sa.Column('membership_type', sa.String(12), nullable=True),
        sa.Column('name', sa.String(120), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('days_total', sa.Integer(), nullable=False),
        sa.Column('days_left', sa.Integer(), nullable=False),
        sa.Column('minutes_total', sa.Integer(), nullable=False),
        sa.Column('minutes_left', sa.Integer(), nullable=False),
        sa.Column('unlimited', sa.Boolean(), nullable=False),
        sa.Column('resource_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column('resource_id', sa.Integer(), sa.ForeignKey('resource.id', ondelete='RESTRICT'), nullable=True),
        sa.Column('hold_booking_id', sa.Integer(), nullable=True),
        sa.Column('max_active_bookings', sa.Integer(), nullable=False),
        sa.Column('renews', sa.Boolean(), nullable=False),
        sa.Column('previous_id', sa.Integer(), sa.ForeignKey('plan_purchase.id', ondelete='RESTRICT'), nullable=True),
        sa.Column('price_minor', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('vat_rate_bp', sa.Integer(), nullable=False),
        sa.Column('stripe_subscription_id', sa.String(255), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("status IN ('pending_payment', 'active', 'ended', 'cancelled')",
                           name='ck_plan_purchase_status'),
        sa.CheckConstraint('ends_at > starts_at', name='ck_plan_purchase_period'),
        sa.CheckConstraint('days_left >= 0 AND minutes_left >= 0', name='ck_plan_purchase_left'),
    )
    op.create_index('ix_plan_purchase_user', 'plan_purchase', ['user_id', sa.text('id DESC')])
    op.create_index('ix_plan_purchase_space', 'plan_purchase', ['space_id', 'status'])
    op.create_index('uq_plan_purchase_previous', 'plan_purchase', ['previous_id'], unique=True,
                    postgresql_where=sa.text('previous_id IS NOT NULL'))
    op.create_index('ix_plan_purchase_renewal', 'plan_purchase', ['ends_at'],
                    postgresql_where=sa.text("status = 'active' AND renews"))
    op.create_table(
        'plan_usage',
        sa.Column('id', sa.BigInteger(), primary_key=True),
        sa.Column('purchase_id', sa.Integer(), sa.ForeignKey('plan_purchase.id', ondelete='CASCADE'), nullable=False),
        sa.Column('booking_id', sa.Integer(), sa.ForeignKey('booking.id', ondelete='SET NULL'), nullable=True),
        sa.Column('kind', sa.String(8), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    )
    op.create_index('ix_plan_usage_purchase', 'plan_usage', ['purchase_id', 'id'])
    for table in ('booking', 'payment', 'journal_entry', 'document'):
        op.add_column(table, sa.Column('plan_purchase_id', sa.Integer(), nullable=True))
        op.create_foreign_key(f'{table}_plan_purchase_id_fkey', table, 'plan_purchase', ['plan_purchase_id'], ['id'],
                              ondelete='RESTRICT')
        op.create_index(f'ix_{table}_plan_purchase_id', table, ['plan_purchase_id'])
    op.drop_constraint('ck_payment_target', 'payment', type_='check')
    op.create_check_constraint('ck_payment_target', 'payment', 'num_nonnulls(booking_id, invoice_id, plan_purchase_id) = 1')
    op.alter_column('document', 'booking_id', nullable=True)
    op.create_check_constraint('ck_document_target', 'document', 'num_nonnulls(booking_id, plan_purchase_id) = 1')


def downgrade() -> None:
    op.drop_constraint('ck_document_target', 'document', type_='check')
    op.execute('DELETE FROM document WHERE plan_purchase_id IS NOT NULL')
    op.alter_column('document', 'booking_id', nullable=False)
    op.drop_constraint('ck_payment_target', 'payment', type_='check')
    op.execute('DELETE FROM payment WHERE plan_purchase_id IS NOT NULL')
    op.create_check_constraint('ck_payment_target', 'payment', 'num_nonnulls(booking_id, invoice_id) = 1')
    for table in ('document', 'journal_entry', 'payment', 'booking'):
        op.drop_index(f'ix_{table}_plan_purchase_id', table_name=table)
        op.drop_constraint(f'{table}_plan_purchase_id_fkey', table, type_='foreignkey')
        op.drop_column(table, 'plan_purchase_id')
    op.drop_index('ix_plan_usage_purchase', table_name='plan_usage')
    op.drop_table('plan_usage')
    op.drop_index('ix_plan_purchase_renewal', table_name='plan_purchase')
    op.drop_index('uq_plan_purchase_previous', table_name='plan_purchase')
    op.drop_index('ix_plan_purchase_space', table_name='plan_purchase')
    op.drop_index('ix_plan_purchase_user', table_name='plan_purchase')
    op.drop_table('plan_purchase')
    op.drop_index('ix_plan_space', table_name='plan')
    op.drop_table('plan')
