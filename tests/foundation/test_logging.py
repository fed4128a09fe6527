import json
import logging

from marketpulse.logging import JsonFormatter


def test_json_formatter_is_one_object_per_line_with_extras():
    record = logging.LogRecord("ingest", logging.WARNING, __file__, 1, "rate limited %s", ("r/wsb",), None)
    record.retry_after = 7
    line = JsonFormatter().format(record)
    assert "\n" not in line
    payload = json.loads(line)
    assert payload["level"] == "WARNING"
    assert payload["logger"] == "ingest"
    assert payload["message"] == "rate limited r/wsb"
    assert payload["retry_after"] == 7
    assert payload["time"].endswith("+00:00")


def test_json_formatter_keeps_exceptions_on_one_line():
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exc_info"]
