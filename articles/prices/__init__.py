"""Prices beside the talk (issue 25): daily and intraday OHLCV bars per ticker.

`parse` reads a price CSV (`symbol,date,open,high,low,close,volume`) into checked rows,
`services` upserts them as `PriceBar` rows. `manage.py import_prices` is the command.
"""
