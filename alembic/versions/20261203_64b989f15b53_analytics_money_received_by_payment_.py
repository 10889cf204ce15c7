"""analytics money received by payment date; offer limit index

- `payment.succeeded_at`: when the money arrived, so the owner and operator dashboards can
  count money received today / this month by payment date (services/admin/analytics.py). Payments
  that succeeded before this revision get their `created_at` (the checkout began; the money
  came within the 15-minute hold), the closest stored moment: `updated_at` moves with refunds.
- `ix_refund_created_at`: refunds by day, subtracted from the money received.
- `ix_offer_space_created`: owners send at most one offer per space a week (services/messaging/offers.py).

Revision ID: 64b989f15b53
Revises: 3e4634a9acb0
Create Date: 2026-12-03 09:29:15.518818
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '64b989f15b53'
down_revision: Union[str, None] = '3e4634a9acb0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_offer_space_created', 'offer', ['space_id', 'created_at'], unique=False)
    op.add_column('payment', sa.Column('succeeded_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE payment SET succeeded_at = created_at WHERE status = 'succeeded'")
    op.create_index('ix_payment_succeeded_at', 'payment', ['succeeded_at'], unique=False, postgresql_where=sa.text('succeeded_at IS NOT NULL'))
    op.create_index('ix_refund_created_at', 'refund', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_refund_created_at', table_name='refund')
    op.drop_index('ix_payment_succeeded_at', table_name='payment', postgresql_where=sa.text('succeeded_at IS NOT NULL'))
    op.drop_column('payment', 'succeeded_at')
    op.drop_index('ix_offer_space_created', table_name='offer')
