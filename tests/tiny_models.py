"""Tiny sentence-transformers models built on disk for tests, with no network.

Nothing here downloads anything: the tokenizer's WordPiece vocabulary is
learnt (see :func:`build_vocab`) on the bundled Chinese article plus English text
(the Alibaba FY2025 annual report from ``<repo>/../shared/corpus/`` when that
folder is present, and always a few English sentences written here), and the
BERT weights are randomly initialised from a fixed seed.

The vectors and scores such models give are meaningless but deterministic:
tests built on them check plumbing (shapes, normalisation, ids, prefixes,
index round trips), never retrieval quality.

* :func:`build_tiny_st_model` -> a ``SentenceTransformer`` directory
  (Transformer + mean Pooling + Normalize), loadable with
  ``SentenceTransformer(path)`` and so with
  ``--embedder sentence-transformers:PATH``.
* :func:`build_tiny_cross_encoder` -> a ``BertForSequenceClassification``
  (``num_labels=1``) directory with its tokenizer, loadable with
  ``CrossEncoder(path)`` and so with ``--reranker sentence-transformers:PATH``.

Needs the ``st`` extra (torch, transformers, tokenizers, sentence-transformers).
Running this file builds both into a folder: ``python tests/tiny_models.py OUT``.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from evals.shared import shared_corpus

REPO = Path(__file__).resolve().parent.parent
ARTICLE = REPO / "corpus" / "article-alibaba-ai-rally.zh.txt"
SHARED_ENGLISH = shared_corpus() / "alibaba-fy2025-annual-report.md"   # optional extra training text

HIDDEN = 64
LAYERS = 2
HEADS = 2
INTERMEDIATE = 128
MAX_POSITIONS = 512
MAX_SEQ_LENGTH = 256
VOCAB_SIZE = 3000
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

ENGLISH_SENTENCES = """\
Alibaba Group reported revenue growth driven by its cloud intelligence business.
The company announced higher capital expenditure on artificial intelligence infrastructure.
American depositary shares rose about eight percent to a four-year high.
Quarterly earnings per share beat analyst expectations, while free cash flow declined.
The board approved a share repurchase program and an annual dividend.
Net income attributable to ordinary shareholders increased year over year.
Operating margin narrowed because of investment in technology and international commerce.
The annual report discusses risk factors, including regulation, competition and currency exchange.
Cloud revenue from public cloud products and AI-related services grew at a triple-digit rate.
Taobao and Tmall customer management revenue reflected improved take rates.
Management expects continued investment in large language models such as Qwen.
The partnership with Nvidia covers software for physical AI and model training.
What was the total revenue for the fiscal year ended March 31, 2025?
How much did the company spend on share repurchases during the quarter?
Which segment contributed most to adjusted EBITA growth?
"""


def require_sentence_transformers():
    """Import sentence_transformers, or skip the calling test module when it is absent.

    The light default test run has no ``st`` extra and skips these tests. Where
    the extra is expected (CI sets ``CI``; or ``RAG_REQUIRE_ST=1``) a missing
    package is an error, not a silent skip.
    """
    import os

    import pytest

    if os.environ.get("RAG_REQUIRE_ST") or (os.environ.get("CI") or "").lower() in ("1", "true", "yes"):
        import sentence_transformers  # noqa: F401  (fails loudly: the st extra must be installed)

        return sentence_transformers
    return pytest.importorskip(
        "sentence_transformers",
        reason="needs the st extra: pip install -e '.[st]' (pins torch==2.13.0, CPU)")


def training_texts() -> list[str]:
    """Lines the vocabulary is trained on: the article, English sentences, the report if present."""
    texts: list[str] = []
    if ARTICLE.is_file():
        texts += ARTICLE.read_text(encoding="utf-8").splitlines()
    texts += ENGLISH_SENTENCES.splitlines()
    if SHARED_ENGLISH.is_file():
        texts += SHARED_ENGLISH.read_text(encoding="utf-8", errors="replace").splitlines()
    return [t for t in (line.strip() for line in texts) if t]


def build_vocab(vocab_size: int = VOCAB_SIZE) -> list[str]:
    """A WordPiece vocabulary learnt from :func:`training_texts`, deterministically.

    The text goes through the same ``tokenizers`` normaliser and pre-tokeniser
    as the final tokenizer, so Chinese characters are single tokens. The
    vocabulary is: special tokens, every character seen (plus its ``##``
    continuation form where one occurs inside a word), then whole words by
    falling frequency (ties by the word itself) up to ``vocab_size``; WordPiece
    splits any other word into its longest known pieces.

    ``tokenizers.trainers.WordPieceTrainer`` is not used because its result
    changes from run to run (ties are broken in hash-map order), and the tests
    need the same files, hence the same embedder id, every time.
    """
    from collections import Counter

    normalizer, pre_tokenizer = _normalizer(), _pre_tokenizer()
    counts: Counter[str] = Counter()
    for line in training_texts():
        for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(line)):
            counts[word] += 1
    chars = sorted({c for w in counts for c in w})
    inner = sorted({c for w in counts for c in w[1:]})
    vocab = list(SPECIAL_TOKENS) + chars + ["##" + c for c in inner]
    words = sorted((w for w, n in counts.items() if len(w) > 1 and n >= 2),
                   key=lambda w: (-counts[w], w))
    vocab += words[: max(0, vocab_size - len(vocab))]
    return vocab


def _normalizer():
    from tokenizers import normalizers

    return normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)


def _pre_tokenizer():
    from tokenizers import pre_tokenizers

    return pre_tokenizers.BertPreTokenizer()


def build_tokenizer(vocab_size: int = VOCAB_SIZE):
    """A BERT-style WordPiece tokenizer (``transformers.PreTrainedTokenizerFast``).

    BertNormalizer puts spaces around CJK characters and BertPreTokenizer splits
    on them, so every Chinese character becomes its own token (or [UNK]).
    """
    from tokenizers import Tokenizer, decoders, models, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(build_vocab(vocab_size))}
    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = _normalizer()
    tok.pre_tokenizer = _pre_tokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
        mask_token="[MASK]", model_max_length=MAX_SEQ_LENGTH,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )


def _config(vocab_size: int, **extra):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size, hidden_size=HIDDEN, num_hidden_layers=LAYERS,
        num_attention_heads=HEADS, intermediate_size=INTERMEDIATE,
        max_position_embeddings=MAX_POSITIONS, type_vocab_size=2, **extra)


def _seeded(seed: int):
    """Context manager: torch's RNG seeded for building, restored afterwards."""
    import torch

    class _Ctx:
        def __enter__(self):
            self._fork = torch.random.fork_rng(devices=[])
            self._fork.__enter__()
            torch.manual_seed(seed)

        def __exit__(self, *exc):
            return self._fork.__exit__(*exc)

    return _Ctx()


def _fresh_dir(directory) -> Path:
    out = Path(directory)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    return out


def _st_modules():
    """(Transformer, Pooling, Normalize) from where this sentence-transformers keeps them."""
    try:  # sentence-transformers >= 5.4
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    except ImportError:  # 3.x - 5.3
        from sentence_transformers.models import Normalize, Pooling, Transformer
    return Transformer, Pooling, Normalize


def build_tiny_st_model(directory, seed: int = 0) -> Path:
    """Build a tiny SentenceTransformer in ``directory`` (replaced if present); returns it.

    Same seed, same files (so the same embedder id); another seed, other weights.
    """
    from sentence_transformers import SentenceTransformer
    from transformers import BertModel

    Transformer, Pooling, Normalize = _st_modules()
    out = _fresh_dir(directory)
    tokenizer = build_tokenizer()
    with tempfile.TemporaryDirectory(prefix="tiny-bert-") as tmp, _seeded(seed):
        bert = BertModel(_config(len(tokenizer)))
        bert.eval()
        bert.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        transformer = Transformer(tmp, max_seq_length=MAX_SEQ_LENGTH)
        model = SentenceTransformer(
            modules=[transformer, Pooling(HIDDEN, "mean"), Normalize()], device="cpu")
        model.save(str(out), create_model_card=False)
    return out


def build_tiny_cross_encoder(directory, seed: int = 0) -> Path:
    """Build a tiny cross-encoder (one relevance logit) in ``directory``; returns it."""
    from transformers import BertForSequenceClassification

    out = _fresh_dir(directory)
    tokenizer = build_tokenizer()
    with _seeded(seed):
        model = BertForSequenceClassification(_config(len(tokenizer), num_labels=1))
        model.eval()
        model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    # Note for humans browsing the folder; no loader reads it.
    (out / "TINY_MODEL.json").write_text(json.dumps(
        {"purpose": "random-init test cross-encoder; scores are meaningless", "seed": seed},
        indent=2) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "tiny-models")
    print(build_tiny_st_model(target / "tiny-st"))
    print(build_tiny_cross_encoder(target / "tiny-cross-encoder"))
