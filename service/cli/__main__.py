"""``python -m service.cli``: the same as the ``tipline`` console script."""

from service.cli.main import app

app()
