"""``python -m nuanxin`` is the ``nuanxin`` command."""

from nuanxin.cli import app

app()
