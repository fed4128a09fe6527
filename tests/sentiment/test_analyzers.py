"""The analyzers on a tiny real BERT classifier: labels, scores, truncation, odd text, CPUs, int8."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from sentiment import analyzers
from sentiment.analyzers import (
    FinbertAnalyzer,
    ModelBroken,
    ModelUnavailable,
    VaderAnalyzer,
    analyzer_load,
    effective_cpu_count,
    is_local_path,
    normalise_labels,
)
from sentiment.text import scoring_text, scoring_text_clean
from tests.sentiment.conftest import FINBERT_ID2LABEL, ROOT_DIR


def _softmax(values):
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    return [e / sum(exps) for e in exps]


@pytest.mark.parametrize("favour", [0, 1, 2])
def test_label_comes_from_id2label(model_factory, favour):
    analyzer = FinbertAnalyzer(str(model_factory(favour=favour)), max_tokens=32, batch_size=4)
    results = analyzer.score(["TSLA to the moon", "terrible crash", "the market opens at nine"])
    expected = FINBERT_ID2LABEL[favour]
    assert {r[0] for r in results} == {expected}
    # bias 4.0 on one logit, 0 on the others: softmax -> e^4/(e^4+2)
    p_top = math.exp(4) / (math.exp(4) + 2)
    p_other = 1 / (math.exp(4) + 2)
    for _label, score, confidence in results:
        assert confidence == pytest.approx(p_top, abs=1e-5)
        want = {
            "positive": p_top - p_other,
            "negative": p_other - p_top,
            "neutral": 0.0,
        }[expected]
        assert score == pytest.approx(want, abs=1e-5)


def test_permuted_and_uppercase_id2label_is_honoured(model_factory):
    # A model whose outputs are in another order, with labels spelled differently.
    id2label = {0: "NEUTRAL", 1: "Negative", 2: "positive"}
    analyzer = FinbertAnalyzer(str(model_factory(id2label=id2label, favour=2)), max_tokens=32)
    label, score, confidence = analyzer.score(["anything at all"])[0]
    assert label == "positive" and score > 0.9
    analyzer = FinbertAnalyzer(str(model_factory(id2label=id2label, favour=1)), max_tokens=32)
    label, score, _ = analyzer.score(["anything at all"])[0]
    assert label == "negative" and score < -0.9


def test_score_is_p_positive_minus_p_negative_of_the_real_logits(tiny_model_dir):
    import torch

    analyzer = FinbertAnalyzer(str(tiny_model_dir), max_tokens=64, batch_size=2)
    texts = [
        "buy calls on TSLA great earnings",
        "sell puts crash terrible",
        "what time is the open",
    ]
    results = analyzer.score(texts)
    for text, (label, score, confidence) in zip(texts, results, strict=False):
        enc = analyzer.tokenizer(text, return_tensors="pt", truncation=True, max_length=64)
        with torch.inference_mode():
            logits = analyzer.model(**enc).logits[0].tolist()
        probs = _softmax(logits)
        assert score == pytest.approx(probs[0] - probs[1], abs=1e-5)
        assert confidence == pytest.approx(max(probs), abs=1e-5)
        assert label == FINBERT_ID2LABEL[probs.index(max(probs))]
        assert -1.0 <= score <= 1.0 and 0.0 <= confidence <= 1.0


def test_batching_and_length_sorting_do_not_change_scores(tiny_model_dir):
    texts = [
        "short",
        "a somewhat longer text about the stock market today " * 3,
        "mid length stock talk",
        "x",
    ] * 5
    batched = FinbertAnalyzer(str(tiny_model_dir), max_tokens=64, batch_size=7).score(texts)
    single = FinbertAnalyzer(str(tiny_model_dir), max_tokens=64, batch_size=1).score(texts)
    assert [r[0] for r in batched] == [r[0] for r in single]
    for a, b in zip(batched, single, strict=False):
        assert a[1] == pytest.approx(b[1], abs=1e-4)


def test_batches_are_sorted_by_token_length(tiny_model_dir):
    analyzer = FinbertAnalyzer(str(tiny_model_dir), max_tokens=128, batch_size=2)
    texts = ["stock " * 40, "a", "stock " * 10, "b c", "stock " * 20, "d"]
    widths = []
    for idx, _scores in analyzer.score_batches(texts):
        widths.append(max(len(analyzer.encode([texts[i]])[0]) for i in idx))
    assert widths == sorted(widths)
    # dynamic padding: far fewer padded tokens than padding everything to the longest
    assert analyzer.tokens_padded < len(texts) * 42
    assert analyzer.tokens_real <= analyzer.tokens_padded


def test_long_post_is_truncated_by_tokens(tiny_model_dir):
    analyzer = FinbertAnalyzer(str(tiny_model_dir), max_tokens=24, batch_size=4)
    long_text = "good stock " * 5000  # 10,000 words
    ids = analyzer.encode([long_text])[0]
    assert len(ids) == 24  # truncation by tokens, [CLS] ... [SEP] included
    assert analyzer.tokenizer.convert_ids_to_tokens(ids)[-1] == "[SEP]"
    # Scores equal those of the text cut to exactly the tokens the model sees.
    head = analyzer.tokenizer.decode(ids[1:-1])
    assert analyzer.score([long_text])[0][1] == pytest.approx(analyzer.score([head])[0][1], abs=1e-5)
    # Truncation is by tokens, not characters: a long word splits into many tokens.
    ids_char_words = analyzer.encode(["zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz " * 3])[0]
    assert len(ids_char_words) == 24


def test_empty_whitespace_and_emoji_only_text(tiny_model_dir):
    analyzer = FinbertAnalyzer(str(tiny_model_dir), max_tokens=32, batch_size=4)
    results = analyzer.score(["", "   \n ", "🚀🚀🚀💎🙌", "🤡"])
    assert results[0] == ("neutral", 0.0, 1.0)
    assert results[1] == ("neutral", 0.0, 1.0)
    for label, score, confidence in results[2:]:  # [UNK] tokens go through the model
        assert label in {"positive", "negative", "neutral"}
        assert -1.0 <= score <= 1.0 and 0.0 <= confidence <= 1.0
    vader = VaderAnalyzer()
    assert vader.score([""])[0] == ("neutral", 0.0, 1.0)
    label, score, _ = vader.score_one("🚀🚀🚀 🔥")
    assert label in {"positive", "negative", "neutral"} and -1 <= score <= 1


@pytest.mark.parametrize(
    "text,label",
    [
        ("This is great, I love it, huge gains!", "positive"),
        ("Terrible, awful, I hate this crash", "negative"),
        ("The meeting is on Tuesday.", "neutral"),
    ],
)
def test_vader_labels_use_the_005_thresholds(text, label):
    vader = VaderAnalyzer()
    got_label, compound, confidence = vader.score_one(text)
    assert got_label == label
    if label == "positive":
        assert compound >= 0.05
    elif label == "negative":
        assert compound <= -0.05
    else:
        assert -0.05 < compound < 0.05
    assert 0.0 <= confidence <= 1.0


def test_vader_threshold_boundaries(monkeypatch):
    vader = VaderAnalyzer()
    for compound, label in [
        (0.05, "positive"),
        (0.0499, "neutral"),
        (-0.0499, "neutral"),
        (-0.05, "negative"),
    ]:
        monkeypatch.setattr(
            vader._sia,
            "polarity_scores",
            lambda _t, c=compound: {"compound": c, "pos": 0.3, "neg": 0.2, "neu": 0.5},
        )
        assert vader.score_one("x")[0] == label


def test_normalise_labels_rejects_generic_labels():
    assert normalise_labels({0: "positive", 1: "negative", 2: "neutral"}) == {
        0: "positive",
        1: "negative",
        2: "neutral",
    }
    with pytest.raises(ModelBroken, match="LABEL_0"):
        normalise_labels({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    with pytest.raises(ModelBroken):
        normalise_labels({0: "positive", 1: "negative"})


def test_model_with_generic_labels_fails_fast(model_factory):
    path = model_factory(id2label={0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    with pytest.raises(ModelBroken, match="not positive/negative/neutral"):
        FinbertAnalyzer(str(path))


def test_missing_local_dir_is_broken_not_a_fallback(tmp_path):
    with pytest.raises(ModelBroken, match="does not exist"):
        analyzer_load(
            backend="finbert",
            model_ref=str(tmp_path / "nope"),
            max_tokens=32,
            batch_size=4,
            quantize=False,
        )


def test_corrupt_weights_are_broken(model_copy):
    (model_copy / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelBroken, match="cannot load"):
        FinbertAnalyzer(str(model_copy))


def test_dir_without_config_is_broken(model_copy):
    (model_copy / "config.json").unlink()
    with pytest.raises(ModelBroken, match="no config.json"):
        FinbertAnalyzer(str(model_copy))


def test_uncached_hub_id_falls_back_to_vader_with_one_warning(caplog, monkeypatch):
    monkeypatch.setattr(analyzers, "_warned_fallback", False)
    warnings_seen = []
    with caplog.at_level("WARNING", logger="sentiment.analyzers"):
        first = analyzer_load(
            backend="finbert",
            model_ref="marketpulse-test/not-cached",
            max_tokens=32,
            batch_size=4,
            quantize=False,
            warn=warnings_seen.append,
        )
        second = analyzer_load(
            backend="finbert",
            model_ref="marketpulse-test/not-cached",
            max_tokens=32,
            batch_size=4,
            quantize=False,
        )
    assert isinstance(first, VaderAnalyzer) and isinstance(second, VaderAnalyzer)
    assert first.name == "vader"
    logged = [r for r in caplog.records if "scoring with VADER" in r.getMessage()]
    assert len(logged) == 1, "the fallback warning is logged once per process"
    assert "not in the local Hugging Face cache" in warnings_seen[0]


def test_missing_transformers_falls_back(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "transformers" or name.startswith("transformers."):
            raise ImportError("No module named 'transformers'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ModelUnavailable):
        FinbertAnalyzer("/any/dir")
    assert isinstance(
        analyzer_load(
            backend="finbert",
            model_ref="/any/dir",
            max_tokens=32,
            batch_size=4,
            quantize=False,
        ),
        VaderAnalyzer,
    )


@pytest.mark.parametrize(
    "ref,local",
    [
        ("ProsusAI/finbert", False),
        ("bert-base-uncased", False),
        ("/opt/models/finbert", True),
        ("./models/finbert", True),
        ("~/models/finbert", True),
        ("not a hub id", True),
    ],
)
def test_is_local_path(ref, local):
    assert is_local_path(ref) is local


def test_effective_cpu_count_reads_cgroup_quota(tmp_path):
    affinity = effective_cpu_count(tmp_path)  # no cgroup files: the affinity mask
    assert affinity >= 1
    (tmp_path / "cpu.max").write_text("50000 100000\n")  # Fargate 0.5 vCPU
    assert effective_cpu_count(tmp_path) == 1
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert effective_cpu_count(tmp_path) == affinity
    (tmp_path / "cpu.max").unlink()
    v1 = tmp_path / "cpu,cpuacct"
    v1.mkdir()
    (v1 / "cpu.cfs_quota_us").write_text("100000\n")
    (v1 / "cpu.cfs_period_us").write_text("100000\n")
    assert effective_cpu_count(tmp_path) == 1
    (v1 / "cpu.cfs_quota_us").write_text("-1\n")
    assert effective_cpu_count(tmp_path) == affinity


def test_torch_threads_follow_the_cpu_budget(tiny_model_dir):
    import torch

    before = torch.get_num_threads()
    try:
        analyzer = FinbertAnalyzer(str(tiny_model_dir), threads=1)
        assert torch.get_num_threads() == 1 and analyzer.threads == 1
        analyzer = FinbertAnalyzer(str(tiny_model_dir))
        assert analyzer.threads == effective_cpu_count()
    finally:
        torch.set_num_threads(before)


def test_int8_quantization_replaces_linear_layers_and_agrees(tiny_model_dir):
    import torch

    texts = [
        "buy calls great",
        "sell puts terrible crash",
        "market open at nine",
        "🚀",
        "stock " * 30,
    ] * 4
    fp32 = FinbertAnalyzer(str(tiny_model_dir), max_tokens=64)
    int8 = FinbertAnalyzer(str(tiny_model_dir), max_tokens=64, quantize=True)
    assert int8.quantized and int8.name.endswith("+int8")
    assert not any(type(m) is torch.nn.Linear for m in int8.model.modules())
    a, b = fp32.score(texts), int8.score(texts)
    for x, y in zip(a, b, strict=False):
        assert x[1] == pytest.approx(y[1], abs=0.05)
    assert analyzers.label_agreement(a, a) == 1.0


def test_quantize_is_refused_when_measured_agreement_is_low(model_copy):
    meta = {"source": "x", "quantization": {"agreement": 0.9, "texts": 10, "ok": False}}
    (model_copy / analyzers.METADATA_FILE).write_text(json.dumps(meta))
    analyzer = analyzer_load(
        backend="finbert",
        model_ref=str(model_copy),
        max_tokens=32,
        batch_size=4,
        quantize=True,
    )
    assert not analyzer.quantized and analyzer.name == "x"
    meta["quantization"]["agreement"] = 0.995
    (model_copy / analyzers.METADATA_FILE).write_text(json.dumps(meta))
    analyzer = analyzer_load(
        backend="finbert",
        model_ref=str(model_copy),
        max_tokens=32,
        batch_size=4,
        quantize=True,
    )
    assert analyzer.quantized and analyzer.name == "x+int8"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("", ""),
        ("[deleted]", ""),
        ("[removed]", ""),
        ("I &amp; you &gt; them", "I & you > them"),
        ("a &amp;gt; b, double escaped", "a > b, double escaped"),
        ("> quoted parent\n\nmy own take", "my own take"),
        ("> only a quote", "only a quote"),
        ("see [the DD](https://example.com/a_(b)) now", "see the DD now"),
        ("link https://x.com/y?z=1 end", "link end"),
        ("**bold** and *it* and ~~gone~~", "bold and it and gone"),
        ("<script>alert(1)</script>hi", "alert(1) hi"),
        ("zero\u200bwidth", "zerowidth"),
        ("# Header\n\n- item one\n- item two", "Header\nitem one\nitem two"),
        ("🚀🚀🚀", "🚀🚀🚀"),
    ],
)
def test_scoring_text_clean(raw, expected):
    assert scoring_text_clean(raw) == expected


def test_scoring_text_post_is_title_plus_body():
    assert scoring_text(kind="post", title="GME &amp; AMC", body="to the moon") == "GME & AMC\nto the moon"
    assert scoring_text(kind="post", title="Title only", body="[removed]") == "Title only"
    assert scoring_text(kind="comment", title="ignored", body="body") == "body"


def test_importing_sentiment_never_imports_torch_or_transformers():
    code = (
        "import sys, django, os;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tests.settings');"
        "django.setup();"
        "import sentiment, sentiment.analyzers, sentiment.services, sentiment.selectors, sentiment.text;"
        "import sentiment.samples, sentiment.download_model;"
        "import sentiment.management.commands.analyze_sentiment;"
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules];"
        "print('HEAVY', heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "HEAVY []" in done.stdout


def test_long_texts_are_batched_by_a_token_budget(tiny_model_dir):
    analyzer = FinbertAnalyzer(str(tiny_model_dir), max_tokens=64, batch_size=8, max_batch_tokens=128)
    texts = ["stock " * 100] * 8 + ["a"] * 8  # 8 texts of 64 tokens, 8 of 3 tokens
    batches = list(analyzer.score_batches(texts))
    sizes = [len(idx) for idx, _ in batches]
    assert sorted(i for idx, _ in batches for i in idx) == list(range(16))
    assert sizes == [
        8,
        2,
        2,
        2,
        2,
    ]  # the short ones fill a batch; the long ones go 2 x 64 = 128 tokens
    assert analyzer.tokens_padded <= 8 * 3 + 8 * 64
