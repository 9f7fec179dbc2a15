"""Idempotent Alembic helpers written as the seed writes them (its
migration_utils.py): every check builds a new SQLAlchemy inspector, so every
call reads the catalog afresh. Unlike the seed, a failed check is not
swallowed: the bench must not time a run that silently did nothing.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import inspect, text


def table_exists(table_name):
    inspector = inspect(op.get_bind())
    return table_name in inspector.get_table_names()


def column_exists(table_name, column_name):
    inspector = inspect(op.get_bind())
    if table_name not in inspector.get_table_names():
        return False
    return column_name in [c["name"] for c in inspector.get_columns(table_name)]


def index_exists(table_name, index_name):
    inspector = inspect(op.get_bind())
    if table_name not in inspector.get_table_names():
        return False
    return index_name in [i["name"] for i in inspector.get_indexes(table_name)]


def safe_create_table(table_name, *columns, **kwargs):
    if table_exists(table_name):
        print(f"Table {table_name} already exists, skipping")
        return False
    op.create_table(table_name, *columns, **kwargs)
    print(f"Created table {table_name}")
    return True


def safe_add_column(table_name, column_name, column_type, nullable=True, unique=False):
    if column_exists(table_name, column_name):
        print(f"Column {table_name}.{column_name} already exists, skipping")
        return False
    op.add_column(table_name, sa.Column(column_name, column_type, nullable=nullable, unique=unique))
    print(f"Added column {table_name}.{column_name}")
    return True


def safe_create_index(index_name, table_name, columns, unique=False):
    if index_exists(table_name, index_name):
        print(f"Index {index_name} already exists, skipping")
        return False
    op.create_index(index_name, table_name, columns, unique=unique)
    print(f"Created index {index_name}")
    return True


def execute_sql_if_condition(sql, condition_sql, description=""):
    connection = op.get_bind()
    if connection.execute(text(condition_sql)).scalar():
        connection.execute(text(sql))
        print(f"Executed: {description}")
        return True
    print(f"Skipped: {description} (condition not met)")
    return False
