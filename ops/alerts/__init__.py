"""Surge alerts (issue 29): each new surge POSTed once per webhook URL, logged in `AlertDelivery`.

`services.alerts_deliver` is the entry point; see docs/design/alerts.md.
"""
