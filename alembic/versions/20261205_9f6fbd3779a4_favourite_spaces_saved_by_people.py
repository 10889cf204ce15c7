"""favourite: spaces people saved ("Сохранить" on a space page, "Избранное" in the cabinet)

One row per person and space (the primary key: saving twice keeps one row); it goes with
the person or the space (ON DELETE CASCADE). Read newest first per person
(ix_favourite_user_created). Written only by services/catalog/favourites.py.

Revision ID: 9f6fbd3779a4
Revises: 7b496ccf4964
Create Date: 2026-12-05 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '9f6fbd3779a4'
down_revision: Union[str, None] = '7b496ccf4964'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('favourite',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'space_id')
    )
    op.create_index('ix_favourite_space', 'favourite', ['space_id'], unique=False)
    op.create_index('ix_favourite_user_created', 'favourite', ['user_id', sa.literal_column('created_at DESC')], unique=False)


def downgrade() -> None:
    op.drop_index('ix_favourite_user_created', table_name='favourite')
    op.drop_index('ix_favourite_space', table_name='favourite')
    op.drop_table('favourite')
