"""Telegram: a person's linked chat, one-time link codes, the telegram channel of notices

Revision ID: 5e1b7c9d2a40
Revises: 43602f9e8984
Create Date: 2026-12-06 10:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '5e1b7c9d2a40'
down_revision: Union[str, None] = '43602f9e8984'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('app_user', sa.Column('telegram_chat_id', sa.BigInteger(), nullable=True))
    op.add_column('app_user', sa.Column('telegram_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.add_column('app_user', sa.Column('telegram_linked_at', sa.DateTime(timezone=True), nullable=True))
    op.create_unique_constraint('app_user_telegram_chat_id_key', 'app_user', ['telegram_chat_id'])

    op.add_column('notification', sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint('ck_notification_channel', 'notification', type_='check')
    op.create_check_constraint('ck_notification_channel', 'notification',
                               "channel IN ('in_app', 'email', 'telegram')")
    op.create_index('ix_notification_telegram_pending', 'notification', ['id'],
                    postgresql_where=sa.text("status = 'pending' AND channel = 'telegram'"))

    op.create_table(
        'telegram_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code_digest', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('chat_id', sa.BigInteger(), nullable=True),
        sa.Column('chat_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('user_id IS NOT NULL OR chat_id IS NOT NULL', name='ck_telegram_link_side'),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code_digest'),
    )
    op.create_index('ix_telegram_link_user_created', 'telegram_link', ['user_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_telegram_link_user_created', table_name='telegram_link')
    op.drop_table('telegram_link')
    op.drop_index('ix_notification_telegram_pending', table_name='notification')
    op.execute("DELETE FROM notification WHERE channel = 'telegram'")
    op.drop_constraint('ck_notification_channel', 'notification', type_='check')
    op.create_check_constraint('ck_notification_channel', 'notification', "channel IN ('in_app', 'email')")
    op.drop_column('notification', 'retry_at')
    op.drop_constraint('app_user_telegram_chat_id_key', 'app_user', type_='unique')
    op.drop_column('app_user', 'telegram_linked_at')
    op.drop_column('app_user', 'telegram_name')
    op.drop_column('app_user', 'telegram_chat_id')
