"""The front-ends of seedqa: the ``seedqa`` command line and the Telegram bot."""
