"""auth session public id, sign-up requests

- `auth_session.public_id`: tokens (the API's JWT `sid`, refresh tokens) name their session
  by this random id instead of the serial id, which could be guessed by counting. Existing
  sessions get a random one (gen_random_uuid, 122 random bits).
- `sign_up_request`: a sign-up waiting for its email to be confirmed by a code or a link,
  and the mail that answers it (for a free or a taken address alike).

Revision ID: 3e4634a9acb0
Revises: 8d41c7e2f0b3
Create Date: 2026-12-03 09:12:34.380063
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '3e4634a9acb0'
down_revision: Union[str, None] = '8d41c7e2f0b3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('sign_up_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('link_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('next_path', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('failed_codes', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('new', 'taken')", name='ck_sign_up_request_kind'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('link_hash')
    )
    op.create_index('ix_sign_up_request_email', 'sign_up_request', [sa.literal_column('lower(email)'), 'created_at'], unique=False)
    op.add_column('auth_session', sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.execute("UPDATE auth_session SET public_id = replace(gen_random_uuid()::text, '-', '')")
    op.alter_column('auth_session', 'public_id', nullable=False)
    op.create_unique_constraint('auth_session_public_id_key', 'auth_session', ['public_id'])


def downgrade() -> None:
    op.drop_constraint('auth_session_public_id_key', 'auth_session', type_='unique')
    op.drop_column('auth_session', 'public_id')
    op.drop_index('ix_sign_up_request_email', table_name='sign_up_request')
    op.drop_table('sign_up_request')
