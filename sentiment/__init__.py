"""Articles -> sentiment scores: FinBERT / VADER analyzers and `manage.py analyze_sentiment`.

Importing this package (or any module in it) never imports torch or transformers:
only `sentiment.analyzers.FinbertAnalyzer` does, when it loads a model.
"""
