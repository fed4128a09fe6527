"""Surges: a ticker talked about far above its own usual level (issue 29).

`detection` judges hours against each ticker's seasonal baseline (jobs only: numpy, scipy),
`services` records the events (`Surge`), `selectors` reads them for the pages, API and feeds.
See docs/design/surges.md.
"""
