"""Finance: a company's invoice paid by card online: payment.invoice_id (a payment pays a
booking or an invoice, never both), payment.booking_id and refund.booking_id nullable

Revision ID: 5d2e8f1a9c37
Revises: bce6a8cb852c
Create Date: 2026-12-04 16:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '5d2e8f1a9c37'
down_revision: Union[str, None] = 'bce6a8cb852c'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('payment', sa.Column('invoice_id', sa.Integer(), nullable=True))
    op.create_foreign_key('payment_invoice_id_fkey', 'payment', 'invoice', ['invoice_id'], ['id'],
                          ondelete='RESTRICT')
    op.create_index('ix_payment_invoice_id', 'payment', ['invoice_id'], unique=False)
    op.alter_column('payment', 'booking_id', existing_type=sa.Integer(), nullable=True)
    op.create_check_constraint('ck_payment_target', 'payment', 'num_nonnulls(booking_id, invoice_id) = 1')
    op.alter_column('refund', 'booking_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM refund WHERE booking_id IS NULL")
    op.alter_column('refund', 'booking_id', existing_type=sa.Integer(), nullable=False)
    op.drop_constraint('ck_payment_target', 'payment', type_='check')
    op.execute("DELETE FROM payment WHERE invoice_id IS NOT NULL")
    op.alter_column('payment', 'booking_id', existing_type=sa.Integer(), nullable=False)
    op.drop_index('ix_payment_invoice_id', table_name='payment')
    op.drop_constraint('payment_invoice_id_fkey', 'payment', type_='foreignkey')
    op.drop_column('payment', 'invoice_id')
