"""Where records live: the database, core's tables, migrations and the audit log."""
