"""The Telegram bot: ``seedqa bot`` (``application.run``), its flags (``config.add_arguments``).

Nothing is imported here, so that ``seedqa``'s parser can read the bot's flags without loading
python-telegram-bot.
"""
