"""pg_dump and pg_restore get the database without its password on their command line (others can read it)."""

from vinculo.node.pg_tools import libpq


def test_the_password_goes_in_the_environment_not_the_command_line():
    dsn, env = libpq("postgresql+psycopg://vin:s3cr%40t@db.internal:5433/vinculo?options=-csearch_path%3Dt_x")
    assert dsn == "postgresql://vin@db.internal:5433/vinculo?options=-csearch_path%3Dt_x"
    assert "s3cr" not in dsn and env["PGPASSWORD"] == "s3cr@t"
