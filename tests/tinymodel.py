"""A tiny sentence-transformers model built on disk in about a second, for tests.

One BERT layer over a character-level WordLevel vocabulary: a real transformer path (tokenizer,
``max_seq_length``, pooling, ``save``/``load``) with random weights. Its vectors mean little, which
is the point for fusion tests: a dense leg that cannot read the corpus.
"""

from __future__ import annotations

from pathlib import Path


def build_tiny_model(
    folder: Path,
    text: str,
    name: str = "tiny-e5",
    max_seq_length: int = 64,
    prompts: dict[str, str] | None = None,
    dimension: int = 32,
    seed: int = 0,
) -> Path:
    """Save a tiny model whose vocabulary is the characters and words of ``text``; returns its folder.

    The folder is named ``name``: ``tiny-e5`` gets the e5 prompts by its name, like a real e5 model.
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocabulary = {token: i for i, token in enumerate(specials)}
    for token in sorted(set(text.lower().split()) | set(text.lower())):
        if token.strip() and token not in vocabulary:
            vocabulary[token] = len(vocabulary)
    tokenizer = Tokenizer(models.WordLevel(vocabulary, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(handle_chinese_chars=True, lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_seq_length,
    )
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocabulary),
        hidden_size=dimension,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=2 * dimension,
        max_position_embeddings=max_seq_length + 8,
    )
    raw = folder / "hf"
    BertModel(config).save_pretrained(raw)
    fast.save_pretrained(raw)
    transformer = Transformer(str(raw), max_seq_length=max_seq_length)
    model = SentenceTransformer(
        modules=[transformer, Pooling(dimension, "mean")], prompts=prompts or {}, device="cpu"
    )
    target = folder / name
    model.save(str(target))
    return target
