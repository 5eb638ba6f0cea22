from tests.aws_fixtures import aws, dynamodb_requests, moto_server  # noqa: F401
