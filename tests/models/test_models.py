from __future__ import annotations

import numpy as np
import pytest
import torch

from genodash.encoding import one_hot
from genodash.errors import ConfigError
from genodash.models import MODELS, build_model, count_parameters, layer_table
from genodash.models.layers import valid_mask
from genodash.models.sequence import KmerEmbedding, TransformerConfig

SEQUENCE_MODELS = [name for name, spec in MODELS.items() if spec.kind == "sequence"]


def random_one_hot(n: int, length: int, seed: int = 0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    sequences = ["".join(rng.choice(list("ACGT"), size=length)) for _ in range(n)]
    return torch.from_numpy(one_hot(sequences))


@pytest.mark.parametrize("name", SEQUENCE_MODELS)
@pytest.mark.parametrize(("length", "classes"), [(20, 2), (57, 3), (301, 5)])
def test_shapes_for_short_and_long_reads(name, length, classes):
    model = build_model(name, n_outputs=classes)
    x = random_one_hot(4, length)
    assert model(x).shape == (4, classes)
    assert model.features(x).ndim == 2


@pytest.mark.parametrize("name", SEQUENCE_MODELS)
def test_backward_reaches_every_parameter(name):
    model = build_model(name, n_outputs=2)
    loss = torch.nn.functional.cross_entropy(model(random_one_hot(8, 40)), torch.tensor([0, 1] * 4))
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert missing == []


@pytest.mark.parametrize("name", SEQUENCE_MODELS)
def test_seed_decides_the_initial_weights(name):
    first, same, other = (build_model(name, n_outputs=2, seed=s) for s in (1, 1, 2))
    for (k, a), b, _c in zip(
        first.state_dict().items(),
        same.state_dict().values(),
        other.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(a, b), k
    assert any(
        not torch.equal(a, c)
        for a, c in zip(first.state_dict().values(), other.state_dict().values(), strict=True)
    )


def test_building_does_not_touch_the_global_random_state():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_model("cnn", n_outputs=2, seed=7)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("name", SEQUENCE_MODELS)
def test_padding_is_masked(name):
    model = build_model(name, n_outputs=2).eval()
    x = random_one_hot(3, 30)
    padded = torch.nn.functional.pad(x, (0, 25))
    with torch.no_grad():
        assert torch.allclose(model(x), model(padded), atol=1e-5)


def test_valid_mask_keeps_inner_n_and_drops_trailing_padding():
    x = torch.from_numpy(one_hot(["ACNGT", "AC"], 6))
    assert valid_mask(x).tolist() == [[True] * 5 + [False], [True, True] + [False] * 4]


def test_kmer_embedding_is_a_table_lookup():
    embed = KmerEmbedding(k=2, stride=2, width=3)
    x = torch.from_numpy(one_hot(["ACGTTA"]))
    tokens = embed(x)[0]
    table = embed.table.weight.T  # (16, 3)
    for t, kmer in enumerate(["AC", "GT", "TA"]):
        index = "ACGT".index(kmer[0]) * 4 + "ACGT".index(kmer[1])
        assert torch.allclose(tokens[t], table[index])
    with_n = embed(torch.from_numpy(one_hot(["ANGT"])))[0]
    assert torch.equal(with_n[0], torch.zeros(3))


def test_transformer_keeps_attention_when_asked():
    model = build_model("transformer", n_outputs=2, layers=2, heads=4, stride=4, k=4).eval()
    model.record_attention(True)
    model(random_one_hot(1, 40))
    maps = model.attention()
    assert len(maps) == 2 and maps[0].shape == (1, 4, 10, 10)
    assert torch.allclose(maps[0].sum(dim=-1), torch.ones(1, 4, 10), atol=1e-5)


def test_registry_describes_models_and_rejects_bad_settings():
    for name in SEQUENCE_MODELS:
        assert len(MODELS[name].description.split()) > 30
    with pytest.raises(ConfigError, match="unknown model 'gru'; choose one of cnn, lstm"):
        build_model("gru", n_outputs=2)
    with pytest.raises(ConfigError, match="has no setting colour"):
        build_model("cnn", n_outputs=2, colour=3)
    with pytest.raises(ConfigError, match="not divisible"):
        build_model("transformer", n_outputs=2, width=30, heads=4)


def test_layer_table_and_parameter_count():
    model = build_model("cnn", n_outputs=2, filters=8, blocks=1, dense=0)
    rows = layer_table(model, random_one_hot(1, 20))
    assert rows[0].name == "blocks.0.conv" and rows[0].output_shape == "8 × 20"
    assert rows[0].parameters == 8 * 4 * 12 + 8
    assert sum(r.parameters for r in rows) == count_parameters(model) == 8 * 4 * 12 + 8 + 8 * 2 + 2


def test_layer_table_names_each_layer_once_in_words():
    model = build_model("cnn", n_outputs=2, filters=8, blocks=2, dense=16)
    rows = layer_table(model, random_one_hot(1, 40))
    names = [r.name for r in rows]
    assert len(names) == len(set(names))  # the pool that also shrinks the mask: one row
    assert [(r.title, r.part) for r in rows[:4]] == [
        ("Convolution", "convolution block 1"),
        ("ReLU activation", "convolution block 1"),
        ("Max-pooling", "convolution block 1"),
        ("Dropout", "convolution block 1"),
    ]
    pooled = next(r for r in rows if r.title.startswith("Global max-pooling"))
    assert pooled.output_shape == "8"  # how 8 × positions become the dense layer's input
    assert "Identity" not in {r.title for r in rows}  # a layer that does nothing is left out
    assert rows[-1] == rows[-1].__class__("head.3", "Dense", "classifier head", "2", 16 * 2 + 2)


BOUNDED = [
    (name, field)
    for name, spec in MODELS.items()
    for field in spec.fields()
    if field.metadata.get("min") is not None and field.metadata.get("max") is not None
]


@pytest.mark.parametrize(
    ("name", "field"), BOUNDED, ids=[f"{name}-{field.name}" for name, field in BOUNDED]
)
def test_every_bounded_setting_is_checked_against_its_range(name, field):
    low, high = field.metadata["min"], field.metadata["max"]
    step = 1 if isinstance(field.default, int) else 0.5
    shown = (lambda v: f"{v:,}") if isinstance(field.default, int) else (lambda v: f"{v:g}")
    for value in (low - step, high + step):
        with pytest.raises(ConfigError) as info:
            MODELS[name].config(**{field.name: value})
        assert str(info.value) == (
            f"model {name!r}: {field.name} must be between {shown(low)} and {shown(high)}, "
            f"got {value}"
        )
    assert getattr(MODELS[name].config(**{field.name: high}), field.name) == high


@pytest.mark.parametrize(
    ("name", "settings", "message"),
    [
        ("cnn", {"filters": 0}, "model 'cnn': filters must be between 4 and 512, got 0"),
        ("cnn", {"filters": -5}, "model 'cnn': filters must be between 4 and 512, got -5"),
        ("cnn", {"filters": 200000}, "model 'cnn': filters must be between 4 and 512, got 200000"),
        (
            "cnn",
            {"filters": 16.5},
            "model 'cnn': filters must be a whole number between 4 and 512, got 16.5",
        ),
        (
            "cnn",
            {"filters": True},
            "model 'cnn': filters must be a whole number between 4 and 512, got True",
        ),
        (
            "cnn",
            {"filters": "64"},
            "model 'cnn': filters must be a whole number between 4 and 512, got '64'",
        ),
        (
            "cnn",
            {"dropout": float("nan")},
            "model 'cnn': dropout must be a number between 0 and 0.8, got nan",
        ),
        ("lstm", {"bidirectional": "yes"}, "model 'lstm': bidirectional must be true or false"),
        ("lstm", {"bidirectional": 1}, "model 'lstm': bidirectional must be true or false"),
        (
            "transformer",
            {"tokens": "words"},
            "model 'transformer': unknown tokens 'words'; choose one of conv-stem, k-mer",
        ),
        ("vae", {"hidden": 128}, "model 'vae': hidden must be text, got 128"),
        (
            "integration",
            {"n_inputs_second": 10**9},
            "model 'integration': n_inputs_second must be between 1 and 100,000, got 1000000000",
        ),
    ],
)
def test_settings_of_the_wrong_kind_or_out_of_range_are_refused(name, settings, message):
    with pytest.raises(ConfigError) as info:
        build_model(name, n_outputs=2, **settings)
    assert str(info.value).startswith(message)


def test_whole_numbers_from_json_are_accepted_as_ints():
    config = MODELS["cnn"].config(filters=16.0, dropout=0, dense=np.int64(8))
    assert (config.filters, config.dense, config.dropout) == (16, 8, 0.0)
    assert isinstance(config.filters, int) and isinstance(config.dropout, float)


def test_layers_frame_reads_as_a_table_of_the_layers():
    from genodash.models.summary import layers_frame

    model = build_model("cnn", n_outputs=2)
    table = layers_frame(model, torch.from_numpy(one_hot(["ACGT" * 25])))
    assert list(table.columns) == ["Layer", "Part of the model", "Output shape", "Parameters"]
    assert table["Parameters"].sum() == count_parameters(model)
    assert len(table) == len(layer_table(model, torch.from_numpy(one_hot(["ACGT" * 25]))))


def test_layer_table_counts_the_attention_output_projection():
    model = build_model("transformer", n_outputs=2)
    rows = layer_table(model, random_one_hot(1, 40))
    attention = next(r for r in rows if r.title == "Self-attention")
    width = TransformerConfig().width
    assert attention.parameters == 4 * width * width + 4 * width  # q, k, v and output
    direct = sum(p.numel() for p in model.parameters(recurse=False))
    assert sum(r.parameters for r in rows) + direct == count_parameters(model)
