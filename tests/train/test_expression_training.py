from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from genodash.errors import ConfigError, InputError
from genodash.examples import load_example, second_modality
from genodash.jobs import Job, JobQueue
from genodash.models import layer_table
from genodash.predict import latent_for_run
from genodash.train.callbacks import Callbacks
from genodash.train.expression import (
    build_expression_model,
    example_batch,
    pair_modalities,
    prepare_matrix,
    train_expression_model,
)
from genodash.train.loop import TrainConfig
from genodash.train.runs import load_run, save_run
from genodash.train.workflows import model_training

QUICK = TrainConfig(epochs=6, batch_size=64, patience=0, seed=0)


def log_normalized(adata):
    """Counts kept in layers["counts"], X = log1p(counts per 10,000)."""
    result = adata.copy()
    counts = np.asarray(result.X.toarray(), dtype=np.float32)
    result.layers["counts"] = counts.copy()
    result.X = np.log1p(counts / counts.sum(axis=1, keepdims=True) * 1e4).astype(np.float32)
    return result


@pytest.fixture(scope="module")
def counts_matrix():
    return load_example("simulated-counts", n_cells=300, n_genes=300, n_types=3, seed=0)


@pytest.fixture(scope="module")
def processed(counts_matrix):
    return log_normalized(counts_matrix.adata)


@pytest.fixture(scope="module")
def prepared(processed):
    return prepare_matrix(
        processed, source_name="sim", label_column="cell_type", batch_column="batch", seed=0
    )


@pytest.fixture(scope="module")
def vae_run(prepared):
    return train_expression_model(
        prepared, "vae", model_config={"latent_dim": 4, "kl_warmup_epochs": 2}, train_config=QUICK
    )


def test_prepare_reads_values_counts_batches_and_splits_by_label(prepared, processed):
    assert prepared.values.dtype == np.float32 and prepared.values.shape == (300, 300)
    assert np.array_equal(prepared.counts, processed.layers["counts"])
    assert prepared.batch_names == ["batch_1", "batch_2"]
    assert np.array_equal(
        np.asarray(prepared.batch_names)[prepared.batches], processed.obs["batch"].astype(str)
    )
    labels = np.asarray(prepared.labels)
    overall = pd.Series(labels).value_counts(normalize=True)
    in_test = pd.Series(labels[prepared.split.test]).value_counts(normalize=True)
    assert (overall - in_test).abs().max() < 0.05
    everything = np.concatenate([prepared.split.train, prepared.split.val, prepared.split.test])
    assert sorted(everything) == list(range(300))
    again = prepare_matrix(processed, source_name="sim", label_column="cell_type", seed=0)
    other = prepare_matrix(processed, source_name="sim", label_column="cell_type", seed=1)
    assert np.array_equal(again.split.test, prepared.split.test)
    assert not np.array_equal(other.split.test, prepared.split.test)
    assert again.fingerprint == prepared.fingerprint


def test_prepare_finds_counts_in_x_and_none_in_normalized_values(counts_matrix, processed):
    raw = prepare_matrix(counts_matrix.adata, source_name="raw")
    assert raw.counts is not None and np.array_equal(raw.counts, raw.values)
    normalized = processed.copy()
    del normalized.layers["counts"]
    assert prepare_matrix(normalized, source_name="norm").counts is None


def test_unknown_columns_name_the_column_and_list_the_available_ones(processed):
    with pytest.raises(InputError, match=r"no label column 'kind'.*available columns: cell_type"):
        prepare_matrix(processed, source_name="sim", label_column="kind")
    with pytest.raises(InputError, match=r"no batch column 'lane'.*cell_type, batch"):
        prepare_matrix(processed, source_name="sim", batch_column="lane")


def test_small_labels_fall_back_to_a_random_split(processed):
    labels = processed.copy()
    labels.obs["rare"] = ["a"] * 297 + ["b"] * 3
    prepared = prepare_matrix(labels, source_name="sim", label_column="rare")
    assert sum(prepared.split.sizes().values()) == 300 and len(prepared.split.test) == 30
    assert "random split" in prepared.notes[0]


@pytest.mark.parametrize(
    ("name", "config"),
    [("autoencoder", {"latent_dim": 3}), ("autoencoder", {"preset": "course 8-layer"})],
)
def test_autoencoder_training_lowers_the_loss_and_embeds_every_cell(prepared, name, config):
    run = train_expression_model(prepared, name, model_config=config, train_config=QUICK)
    history = run.history
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    latent = run.tables["latent"]
    k = run.metrics["latent_dim"]
    assert list(latent.columns) == ["cell"] + [f"z{i + 1}" for i in range(k)]
    assert latent["cell"].tolist() == prepared.cell_ids
    assert run.config["kind"] == "expression" and run.config["input"] == "values"
    assert run.config["n_outputs"] == 300 and run.config["genes"] == prepared.genes
    for key in (
        "test_loss",
        "n_cells",
        "n_genes",
        "train_seconds",
        "epochs_run",
        "best_epoch",
        "seconds_per_epoch",
        "samples_per_second",
        "parameters",
        "device",
        "stop_reason",
        "message",
    ):
        assert key in run.metrics
    assert np.isfinite(run.metrics["test_loss"])


@pytest.mark.parametrize("name", ["autoencoder", "vae"])
def test_models_built_for_the_data_take_its_example_batch(prepared, name):
    model = build_expression_model(prepared, name, {"latent_dim": 3})
    if name == "vae":
        assert model.config.n_batches == 2  # filled in from the batch column
    (example,) = example_batch(prepared, name)
    assert example.shape == (1, 300)
    assert layer_table(model, example)[-1].output_shape == "300"
    assert np.array_equal(prepared.split_indices()["val"], prepared.split.val)


def test_count_vae_trains_with_the_batch_covariate(vae_run):
    history = vae_run.history
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    assert history[-1]["val_loss"] == pytest.approx(
        history[-1]["val_reconstruction"] + history[-1]["val_kl"], rel=1e-4
    )
    config = vae_run.config
    assert config["model_config"]["n_batches"] == 2
    assert config["model_config"]["likelihood"] == "negative binomial"
    assert config["input"] == "counts" and config["batch_names"] == ["batch_1", "batch_2"]
    assert vae_run.tables["latent"].shape == (300, 5)


def test_saved_run_reloads_and_encodes_the_same_latent(vae_run, processed, tmp_path):
    path = save_run(vae_run, tmp_path / "vae")
    table = pd.read_csv(path / "latent.csv")
    assert list(table.columns) == ["cell", "z1", "z2", "z3", "z4"]
    loaded = load_run(path)
    again = latent_for_run(loaded, processed)
    assert np.allclose(again, table.iloc[:, 1:].to_numpy(), atol=1e-5)
    shuffled = processed[:, processed.var_names[::-1]].copy()  # gene order does not matter
    assert np.allclose(latent_for_run(loaded, shuffled), again, atol=1e-5)
    # the batch covariate matters
    other = processed.copy()
    other.obs["batch"] = "batch_1"
    assert not np.allclose(latent_for_run(loaded, other), again, atol=1e-3)


def test_latent_for_run_rejects_missing_genes_batches_and_counts(vae_run, processed):
    fewer = processed[:, 7:].copy()
    with pytest.raises(InputError, match=r"7 of the run's 300 genes are missing .*MT-1, MT-2"):
        latent_for_run(vae_run, fewer)
    strange = processed.copy()
    strange.obs["batch"] = "lane_9"
    with pytest.raises(InputError, match="batches lane_9 were not in the training data"):
        latent_for_run(vae_run, strange)
    no_counts = processed.copy()
    del no_counts.layers["counts"]
    with pytest.raises(InputError, match="reads raw counts"):
        latent_for_run(vae_run, no_counts)


def test_same_seed_same_vae_and_another_seed_differs(prepared):
    config = {"latent_dim": 3}
    settings = TrainConfig(epochs=2, patience=0, seed=3)
    first = train_expression_model(prepared, "vae", model_config=config, train_config=settings)
    second = train_expression_model(prepared, "vae", model_config=config, train_config=settings)
    assert [r["val_loss"] for r in first.history] == [r["val_loss"] for r in second.history]
    for a, b in zip(
        first.model.state_dict().values(), second.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    other = train_expression_model(
        prepared, "vae", model_config=config, train_config=TrainConfig(epochs=2, seed=4)
    )
    assert other.history[-1]["val_loss"] != first.history[-1]["val_loss"]


def test_stop_signal_and_divergence_end_training_with_a_usable_run(prepared):
    calls = {"n": 0}

    def stop_after_three() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    stopped = train_expression_model(
        prepared,
        "autoencoder",
        train_config=QUICK,
        callbacks=Callbacks(should_stop=stop_after_three),
    )
    assert stopped.metrics["stop_reason"] == "stopped" and stopped.config["status"] == "stopped"
    assert stopped.tables["latent"].shape[0] == 300
    diverged = train_expression_model(
        prepared, "vae", train_config=TrainConfig(epochs=3, learning_rate=1e6)
    )
    assert diverged.metrics["stop_reason"] == "diverged"
    assert "the last good weights were kept" in diverged.metrics["message"]
    assert np.isfinite(diverged.tables["latent"].iloc[:, 1:].to_numpy()).all()


def test_bad_model_choices_raise_config_errors(prepared, processed):
    normalized = processed.copy()
    del normalized.layers["counts"]
    no_counts = prepare_matrix(normalized, source_name="scaled.csv", batch_column="batch")
    with pytest.raises(ConfigError, match="scaled.csv has none.*choose the gaussian likelihood"):
        train_expression_model(no_counts, "vae", train_config=QUICK)
    run = train_expression_model(
        no_counts, "vae", model_config={"likelihood": "gaussian"}, train_config=QUICK
    )
    assert run.config["input"] == "values"
    with pytest.raises(ConfigError, match="unknown expression model 'cnn'"):
        train_expression_model(prepared, "cnn")
    with pytest.raises(ConfigError, match="needs a second modality"):
        train_expression_model(prepared, "integration")
    with pytest.raises(ConfigError, match="n_batches=3 but the data has 2 batches"):
        train_expression_model(prepared, "vae", model_config={"n_batches": 3})
    with pytest.raises(ConfigError, match="has no setting depth"):
        train_expression_model(prepared, "autoencoder", model_config={"depth": 3})


@pytest.fixture(scope="module")
def cite_seq():
    matrix = load_example("simulated-cite-seq", n_cells=300, n_genes=300, seed=0)
    return matrix, log_normalized(matrix.adata), second_modality(matrix)


def test_integration_gives_joint_and_single_modality_latents(cite_seq, tmp_path):
    matrix, rna, protein = cite_seq
    assert protein.shape == (300, 24) and protein.var_names[0] == "CD3"
    prepared = prepare_matrix(
        rna, source_name=matrix.name, label_column="cell_type", second=protein
    )
    assert prepared.second_transform == "clr"
    assert np.allclose(prepared.second.mean(axis=1), 0, atol=1e-5)
    run = train_expression_model(
        prepared, "integration", model_config={"latent_dim": 4}, train_config=QUICK
    )
    assert run.history[-1]["val_loss"] < run.history[0]["val_loss"]
    assert run.config["model_config"]["n_inputs_second"] == 24
    assert set(run.tables) == {"latent", "latent_first", "latent_second"}
    (example,) = example_batch(prepared, "integration")
    assert layer_table(run.model, example)[-1].output_shape == "24"
    loaded = load_run(save_run(run, tmp_path / "integration"))
    joint = latent_for_run(loaded, rna, second=protein)
    assert np.allclose(joint, run.tables["latent"].iloc[:, 1:].to_numpy(), atol=1e-5)
    first_only = latent_for_run(loaded, rna)
    assert np.allclose(first_only, run.tables["latent_first"].iloc[:, 1:].to_numpy(), atol=1e-5)


def test_pair_modalities_keeps_shared_cells_and_says_what_it_dropped(cite_seq):
    matrix, _rna, protein = cite_seq
    from dataclasses import replace

    import anndata

    second = replace(matrix, adata=protein[50:].copy(), name="adt.csv")
    first, paired, notes = pair_modalities(matrix, second)
    assert first.n_obs == paired.n_obs == 250
    assert list(first.obs_names) == list(paired.obs_names) == list(matrix.adata.obs_names[50:])
    assert notes == ["50 cells of Simulated RNA + protein have no partner and were dropped"]
    strangers = replace(
        second, adata=anndata.AnnData(protein.X[:5], obs=pd.DataFrame(index=list("abcde")))
    )
    with pytest.raises(InputError, match="share no cell IDs"):
        pair_modalities(matrix, strangers)
    with pytest.raises(InputError, match="50 cells are missing from the second modality"):
        prepare_matrix(matrix.adata, source_name="x", second=protein[50:].copy())


def test_background_job_trains_and_saves_each_expression_model(prepared, tmp_path):
    work = model_training(
        prepared,
        [("autoencoder", {"latent_dim": 2}), ("vae", {"latent_dim": 2})],
        train_config=TrainConfig(epochs=2, patience=0),
        device="cpu",
        runs_root=tmp_path,
    )
    job = JobQueue(1).submit(Job("train", work))
    assert job.wait(60).status == "done"
    saved = job.result
    assert [s.run.model_name for s in saved] == ["autoencoder", "vae"]
    for item in saved:
        assert (item.path / "latent.csv").is_file()
        assert load_run(item.path).config["kind"] == "expression"
    assert set(job.snapshot().history) == {"Autoencoder", "VAE"}


def test_sequence_features_are_the_models_penultimate_layer(small_prepared, small_motif_data):
    from genodash.encoding import one_hot_tensor
    from genodash.predict import sequence_features
    from genodash.train.sequence import train_sequence_model

    run = train_sequence_model(
        small_prepared, "cnn", model_config={"filters": 8}, train_config=TrainConfig(epochs=1)
    )
    features = sequence_features(run, small_motif_data)
    assert features.shape == (small_motif_data.n_obs, 8)
    with torch.no_grad():
        direct = run.model.features(one_hot_tensor(torch.from_numpy(small_prepared.codes[:5])))
    assert np.allclose(features[:5], direct.numpy(), atol=1e-6)
