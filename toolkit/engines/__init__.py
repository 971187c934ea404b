"""Scoring where the customers live: the scorecard and the ruleset run inside a database.

* :mod:`toolkit.engines.connect` -- ``postgresql://...`` and ``duckdb:///path`` URLs to an
  open :class:`~toolkit.engines.connect.Database`; every refusal (connection, missing table
  or column, privileges) is one :class:`~toolkit.errors.SegkitError` line.
* :mod:`toolkit.engines.inplace` -- ``segkit score --db URL --table T --into S``: the
  scorecard SQL and the run's ruleset SQL as one ``CREATE TABLE ... AS`` in the database,
  renamed into place in one transaction.
* :mod:`toolkit.engines.dbt` -- ``segkit export dbt``: the same SQL as dbt models with
  ``schema.yml`` tests.

The SQL itself is :mod:`toolkit.sql` (scorecard) and :meth:`toolkit.ruleset.Ruleset.to_sql`;
this package only runs and packages it. Database drivers are imported when first used
(``pip install segkit[postgres]`` / ``segkit[duckdb]``), so the core install needs neither.
"""
