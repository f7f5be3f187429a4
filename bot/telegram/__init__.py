"""The Telegram bot: ``seedqa bot`` (``application.run``), its settings (``config.SETTINGS``).

Nothing is imported here, so that ``seedqa``'s parser can read the bot's flags without loading
python-telegram-bot.
"""
