"""The front-ends of seedqa: the ``seedqa`` command line (``cli``, one module of ``commands`` a
subcommand, each declaring its ``settings``) and the Telegram bot (``telegram``)."""
