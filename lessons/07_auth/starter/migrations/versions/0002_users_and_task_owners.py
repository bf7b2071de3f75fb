"""users, and an owner for every new task

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-19 09:00:00

Adds the users table and tasks.owner_id, a foreign key to users.id. The column is
nullable on purpose: tasks created before accounts existed have no owner, and a
migration cannot invent one. The app gives every new task its owner, and every query
asks for owner_id = the signed-in user, so ownerless tasks are visible to nobody. This
is the "expand" half of an expand/contract change; once old rows are given owners (or
deleted), a later migration can make the column NOT NULL.

Deleting a user deletes their tasks (ON DELETE CASCADE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("hashed_password", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tasks_owner_id"), ["owner_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_tasks_owner_id_users"), "users", ["owner_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tasks_owner_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_tasks_owner_id"))
        batch_op.drop_column("owner_id")
    op.drop_table("users")
