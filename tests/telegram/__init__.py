"""The Telegram bot's tests: a fake Bot API on 127.0.0.1 and the real application against it."""
