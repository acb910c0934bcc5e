"""The staff JSON API under /api/v1: the console's casework operations, described by OpenAPI."""
