from spark_session import spark  # noqa: F401  (the session-scoped local SparkSession)
