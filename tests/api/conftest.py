from tests.aws_fixtures import aws, moto_server  # noqa: F401
