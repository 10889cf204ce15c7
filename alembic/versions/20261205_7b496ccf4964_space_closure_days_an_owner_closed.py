"""space_closure: days an owner closed (holidays, repairs)

- `space_closure` (space, first and last local day inclusive, reason, who, when): booking,
  the calendars and search's free-time filter offer no time on these days
  (services/booking/availability.py). Two closures of one space never overlap
  (`ex_space_closure_overlap`, btree_gist); a closure spans at most two years and its
  reason is 2-200 characters (checks).
- Audited like the other tables the owner edits (`audit_row('closure')`).

Revision ID: 7b496ccf4964
Revises: e7a9b3c5d1f2
Create Date: 2026-12-05 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '7b496ccf4964'
down_revision: Union[str, None] = 'e7a9b3c5d1f2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'space_closure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        postgresql.ExcludeConstraint((sa.column('space_id'), '='),
                                     (sa.text("daterange(first_day, last_day, '[]')"), '&&'),
                                     using='gist', name='ex_space_closure_overlap'),
        sa.CheckConstraint('char_length(reason) BETWEEN 2 AND 200', name='ck_space_closure_reason'),
        sa.CheckConstraint('last_day - first_day < 731', name='ck_space_closure_length'),
        sa.CheckConstraint('last_day >= first_day', name='ck_space_closure_order'),
        sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['space_id'], ['space.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_space_closure_space_last', 'space_closure', ['space_id', 'last_day'], unique=False)
    op.execute("CREATE TRIGGER audit_space_closure AFTER INSERT OR UPDATE OR DELETE ON space_closure "
               "FOR EACH ROW EXECUTE FUNCTION audit_row('closure')")


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_space_closure ON space_closure")
    op.drop_index('ix_space_closure_space_last', table_name='space_closure')
    op.drop_table('space_closure')
