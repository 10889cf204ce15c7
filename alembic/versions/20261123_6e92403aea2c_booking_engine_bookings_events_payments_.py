"""booking engine: bookings, events, payments, refunds, promo codes, add-ons, documents

Revision ID: 6e92403aea2c
Revises: 22d8f8b5d0ff
Create Date: 2026-11-23 12:56:28.521191
"""
from typing import Sequence, Union

from alembic import op
import geoalchemy2
import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

revision: str = '6e92403aea2c'
down_revision: Union[str, None] = '22d8f8b5d0ff'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# Peak number of seats held on one resource at any moment of [p_start, p_end): the
# occupancy can only rise where a booking starts, so it is enough to sum the overlapping
# bookings at p_start and at every booking start inside the interval. Uses the partial
# GiST index ix_booking_resource_period. Kept in sync with services/booking/availability.py.
BOOKED_SEATS_FUNCTION = """
CREATE OR REPLACE FUNCTION booked_seats(p_resource integer, p_start timestamptz, p_end timestamptz)
RETURNS integer LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH held AS (
    SELECT b.start_at, b.end_at, b.seats FROM booking b
    WHERE b.resource_id = p_resource
      AND b.status IN ('pending_payment', 'paid', 'confirmed')
      AND (b.status <> 'pending_payment' OR b.expires_at > now())
      AND tstzrange(b.start_at, b.end_at, '[)') && tstzrange(p_start, p_end, '[)')
  ), points AS (
    SELECT p_start AS t UNION SELECT start_at FROM held WHERE start_at > p_start
  )
  SELECT coalesce(max(occ), 0)::integer FROM (
    SELECT (SELECT coalesce(sum(h.seats), 0) FROM held h
            WHERE h.start_at <= points.t AND h.end_at > points.t) AS occ
    FROM points
  ) x
$$
"""


def upgrade() -> None:
    # The exclusion constraint on bookings mixes = (integer) and && (range) in one GiST index.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table('document_counter',
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind')
    )
    op.create_table('webhook_event',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('addon',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('price_minor', sa.Integer(), nullable=False),
    sa.Column('resource_kinds', postgresql.ARRAY(sa.String(length=16)), server_default='{}', nullable=False),
    sa.Column('max_quantity', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("unit IN ('booking', 'hour', 'seat')", name='ck_addon_unit'),
    sa.CheckConstraint('price_minor >= 0', name='ck_addon_price'),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_addon_space_id'), 'addon', ['space_id'], unique=False)
    op.create_index('uq_addon_space_code', 'addon', ['space_id', 'code'], unique=True)
    op.create_table('promo_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('max_uses_total', sa.Integer(), nullable=True),
    sa.Column('max_uses_per_user', sa.Integer(), nullable=True),
    sa.Column('min_amount_minor', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('percent', 'fixed')", name='ck_promo_kind'),
    sa.CheckConstraint("value > 0 AND (kind <> 'percent' OR value <= 100)", name='ck_promo_value'),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('uq_promo_code_code', 'promo_code', [sa.literal_column('upper(code)')], unique=True)
    op.create_table('booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('whole', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('price', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('addons', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('promo_id', sa.Integer(), nullable=True),
    sa.Column('policy', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('paid_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('refunded_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('balance_due_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('cancel_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    postgresql.ExcludeConstraint((sa.column('resource_id'), '='), (sa.text("tstzrange(start_at, end_at, '[)')"), '&&'), where=sa.text("whole AND status IN ('pending_payment', 'paid', 'confirmed')"), using='gist', name='ex_booking_whole_resource'),
    sa.CheckConstraint("status IN ('pending_payment', 'paid', 'confirmed', 'cancelled', 'expired', 'completed', 'no_show')", name='ck_booking_status'),
    sa.CheckConstraint('end_at > start_at', name='ck_booking_interval'),
    sa.CheckConstraint('seats >= 1', name='ck_booking_seats'),
    sa.ForeignKeyConstraint(['promo_id'], ['promo_code.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_booking_hold_expiry', 'booking', ['expires_at'], unique=False, postgresql_where=sa.text("status = 'pending_payment'"))
    op.create_index('ix_booking_resource_period', 'booking', ['resource_id', sa.literal_column("tstzrange(start_at, end_at, '[)')")], unique=False, postgresql_using='gist', postgresql_where=sa.text("status IN ('pending_payment', 'paid', 'confirmed')"))
    op.create_index('ix_booking_space_start', 'booking', ['space_id', sa.literal_column('start_at DESC')], unique=False)
    op.create_index('ix_booking_user_start', 'booking', ['user_id', sa.literal_column('start_at DESC')], unique=False)
    op.create_table('booking_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_booking_event_booking_id'), 'booking_event', ['booking_id'], unique=False)
    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('provider_session_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('provider_payment_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('refunded_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('payment_url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('failure', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('amount_minor > 0', name='ck_payment_amount'),
    sa.CheckConstraint('refunded_minor >= 0 AND refunded_minor <= amount_minor', name='ck_payment_refunded'),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key'),
    sa.UniqueConstraint('provider_session_id')
    )
    op.create_index(op.f('ix_payment_booking_id'), 'payment', ['booking_id'], unique=False)
    op.create_table('refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('provider_refund_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('amount_minor > 0', name='ck_refund_amount'),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_refund_booking_id'), 'refund', ['booking_id'], unique=False)
    op.create_index(op.f('ix_refund_payment_id'), 'refund', ['payment_id'], unique=False)
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_document_booking_id'), 'document', ['booking_id'], unique=False)
    op.create_index('uq_document_kind_number', 'document', ['kind', 'number'], unique=True)
    op.add_column('space', sa.Column('instant_book', sa.Boolean(), server_default='true', nullable=False))
    op.add_column('space', sa.Column('cancellation_policy', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='flexible', nullable=False))
    op.add_column('space', sa.Column('vat_rate_bp', sa.Integer(), server_default='0', nullable=False))
    op.add_column('space', sa.Column('prices_include_vat', sa.Boolean(), server_default='true', nullable=False))
    op.execute(BOOKED_SEATS_FUNCTION)
    op.create_check_constraint('ck_space_cancellation_policy', 'space',
                               "cancellation_policy IN ('flexible', 'moderate', 'strict')")
    op.create_check_constraint('ck_space_vat_rate', 'space', 'vat_rate_bp >= 0 AND vat_rate_bp <= 5000')
    # ### end Alembic commands ###


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS booked_seats(integer, timestamptz, timestamptz)")
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_constraint('ck_space_vat_rate', 'space')
    op.drop_constraint('ck_space_cancellation_policy', 'space')
    op.drop_column('space', 'prices_include_vat')
    op.drop_column('space', 'vat_rate_bp')
    op.drop_column('space', 'cancellation_policy')
    op.drop_column('space', 'instant_book')
    op.drop_index('uq_document_kind_number', table_name='document')
    op.drop_index(op.f('ix_document_booking_id'), table_name='document')
    op.drop_table('document')
    op.drop_index(op.f('ix_refund_payment_id'), table_name='refund')
    op.drop_index(op.f('ix_refund_booking_id'), table_name='refund')
    op.drop_table('refund')
    op.drop_index(op.f('ix_payment_booking_id'), table_name='payment')
    op.drop_table('payment')
    op.drop_index(op.f('ix_booking_event_booking_id'), table_name='booking_event')
    op.drop_table('booking_event')
    op.drop_index('ix_booking_user_start', table_name='booking')
    op.drop_index('ix_booking_space_start', table_name='booking')
    op.drop_index('ix_booking_resource_period', table_name='booking', postgresql_using='gist', postgresql_where=sa.text("status IN ('pending_payment', 'paid', 'confirmed')"))
    op.drop_index('ix_booking_hold_expiry', table_name='booking', postgresql_where=sa.text("status = 'pending_payment'"))
    op.drop_table('booking')
    op.drop_index('uq_promo_code_code', table_name='promo_code')
    op.drop_table('promo_code')
    op.drop_index('uq_addon_space_code', table_name='addon')
    op.drop_index(op.f('ix_addon_space_id'), table_name='addon')
    op.drop_table('addon')
    op.drop_table('webhook_event')
    op.drop_table('document_counter')
    # ### end Alembic commands ###
