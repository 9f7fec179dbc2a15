"""`alembic upgrade head`, as a deploy step runs it, for the bench.

usage: python3 up.py <script_location> <sqlalchemy url>

With IDEM_BENCH_SQL_TRACE=<file> (SQLite only), every statement SQLite runs
is appended to that file, one JSON object per line, for the statement counts.
"""
import atexit
import json
import os
import sys

from alembic import command
from alembic.config import Config


def trace_sqlite_statements(path):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    statements = []

    @event.listens_for(Engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(statements.append)

    def write():
        with open(path, "a", encoding="utf-8") as out:
            for statement in statements:
                out.write(json.dumps({"sql": statement}) + "\n")

    atexit.register(write)


def main(script_location, url):
    if os.environ.get("IDEM_BENCH_SQL_TRACE"):
        trace_sqlite_statements(os.environ["IDEM_BENCH_SQL_TRACE"])
    config = Config()
    config.set_main_option("script_location", script_location)
    # ConfigParser interpolates %, which a percent-encoded password may hold.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.stderr.write("usage: python3 up.py <script_location> <sqlalchemy url>\n")
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
