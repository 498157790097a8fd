"""Model commands: ``train`` (sequence classifiers and expression autoencoders), ``predict``
and ``explain`` (sequence models)."""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from genodash.cli._common import (
    Handler,
    add_command,
    add_memory_budget_option,
    add_read_options,
    add_set_option,
    log,
    matrix_from_disk,
    print_json,
    progress_line,
    read_options,
)
from genodash.errors import ConfigError


class _RegisteredModels(Sequence[str]):
    """Model names from the registry, read on first use: the registry imports torch, which
    commands that train nothing (``validate``, ``examples``, ``demo``) should not wait for."""

    def __init__(self, pick: Callable[[], tuple[str, ...]]) -> None:
        self._pick = pick

    @functools.cached_property
    def _names(self) -> tuple[str, ...]:
        return self._pick()

    def __getitem__(self, index: Any) -> Any:
        return self._names[index]

    def __len__(self) -> int:
        return len(self._names)


TRAIN_OPTIONS = {  # TrainConfig field: the option that sets it
    "epochs": "--epochs",
    "batch_size": "--batch-size",
    "learning_rate": "--lr",
    "patience": "--patience",
    "seed": "--seed",
}


def _sequence_models() -> tuple[str, ...]:
    from genodash.models import models_of

    return tuple(models_of("sequence"))


def _matrix_models() -> tuple[str, ...]:
    """Expression models that train on one matrix (the command line reads one)."""
    from genodash.models import MODELS, models_of

    return tuple(n for n in models_of("expression") if not MODELS[n].needs_second_modality)


SEQUENCE_MODELS = _RegisteredModels(_sequence_models)
MATRIX_MODELS = _RegisteredModels(_matrix_models)
TRAINABLE_MODELS = _RegisteredModels(lambda: (*SEQUENCE_MODELS, *MATRIX_MODELS))
SEQUENCE_DEFAULTS = {"epochs": 30, "batch_size": 64, "patience": 5, "learning_rate": 1e-3}


def _add_train(commands: argparse._SubParsersAction) -> None:
    parser = add_command(commands, "train", _train)
    parser.add_argument("path", metavar="PATH", help="data file (as for `validate`)")
    parser.add_argument(
        "--model",
        required=True,
        choices=TRAINABLE_MODELS,
        metavar="MODEL",  # argparse would list the choices, importing torch for every command
        help="architecture to train: cnn, lstm, transformer, kmer (sequences) or autoencoder, "
        "vae, scvis, gene-transformer (expression matrices)",
    )
    parser.add_argument(
        "--epochs", type=int, help="at most this many (default 30; matrices: per model)"
    )
    parser.add_argument(
        "--batch-size", type=int, help="default 64 (matrices: per model, 128 for most, scvis 512)"
    )
    parser.add_argument(
        "--lr", type=float, help="learning rate (default 0.001; matrices: per model)"
    )
    parser.add_argument(
        "--patience",
        type=int,
        help="early-stopping patience in epochs; 0 turns it off (default 5; matrices: per model)",
    )
    parser.add_argument(
        "--latent-dim", type=int, metavar="K", help="latent dimensions of an expression model"
    )
    parser.add_argument("--seed", type=int, default=0, help="split and training seed")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument(
        "--length",
        type=int,
        help="encode sequences at this length (default: the longest, at most 1000)",
    )
    parser.add_argument(
        "--align",
        default="left",
        choices=("left", "right", "center"),
        help="which end to keep when padding or trimming (default: left = 5′)",
    )
    parser.add_argument(
        "--augment-rc", action="store_true", help="add reverse complements to the training set"
    )
    _add_stream_option(parser, "train")
    add_memory_budget_option(parser, "train")
    add_set_option(parser, "a model setting, e.g. --set filters=32 (repeatable)")
    parser.add_argument(
        "--out", metavar="RUN_DIR", help="run folder to create (default: runs/<model>-<time>)"
    )
    add_read_options(parser)


def _add_stream_option(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument(
        "--stream",
        action="store_true",
        help="read a sequence file once into the read cache (GENODASH_CACHE_DIR, default "
        f"~/.cache/genodash/reads) and {verb} from it batch by batch, with memory that does not "
        "grow with the number of reads; automatic for sequence files over 32 MiB",
    )


def _train(args: argparse.Namespace) -> int:
    """train a model on a data file and save the run

    Train a model; progress goes to stderr, and the last line of stdout is one JSON object with
    the results. The run folder holds config.json, metrics.json, history.csv,
    weights.safetensors and data.json; for an expression model also latent.csv (column cell,
    then one column per latent dimension). A matrix of raw counts is preprocessed with the
    default settings first.

    Started by torchrun (``torchrun --nproc_per_node=N -m genodash train ...``), a sequence
    model trains on N processes with DistributedDataParallel (NCCL on GPUs, gloo on the
    CPU); --batch-size is then the batch of all processes together, and rank 0 alone
    writes the run and prints the JSON line.
    """
    from genodash.io import read_dataset
    from genodash.train.runs import new_run_dir

    _check_train_options(args)  # before reading or building anything
    distributed = _join_processes(args)
    try:
        out = Path(args.out) if args.out else new_run_dir("runs", args.model)
        if out.exists():
            raise ConfigError(f"--out {out} already exists; choose a new run folder")
        if args.model not in MATRIX_MODELS and _from_disk(args):
            dataset = _converted(args, distributed)
        elif args.model in MATRIX_MODELS and (matrix := matrix_from_disk(args)) is not None:
            return _train_matrix_from_disk(args, matrix, out)
        else:
            dataset = read_dataset(args.path, read_options(args))
        if args.model in MATRIX_MODELS:
            return _train_matrix(args, dataset, out)
        return _train_sequences(args, dataset, out, distributed)
    finally:
        if distributed is not None:
            distributed.close()


def _from_disk(args: argparse.Namespace) -> bool:
    """Whether to read from the read cache: asked for (``--stream``), or a read file larger
    than :data:`~genodash.io.read_store.LARGE_READ_FILE_BYTES`."""
    from genodash.io.read_store import is_large_read_file

    return args.stream or is_large_read_file(Path(args.path), read_options(args))


def _converted(args: argparse.Namespace, distributed: Any) -> Any:
    """The read file converted once into the read cache (or found there), with progress."""
    from genodash.io import display_name
    from genodash.io.read_store import open_read_store, read_cache_folder

    if args.labels:
        raise ConfigError("--stream reads labels from the file itself; leave out --labels")
    main = distributed is None or distributed.is_main
    name = display_name(Path(args.path).name)
    store = open_read_store(
        args.path,
        read_cache_folder(),
        sequence_column=args.sequence_column,
        label_column=args.label_column,
        progress=progress_line(f"reading {name} into the read cache") if main else None,
    )
    if main:
        for note in store.notes:
            log(f"note: {note}")
    return store


def _join_processes(args: argparse.Namespace) -> Any:
    """Under torchrun: this process's place among the others (a joined
    :class:`~genodash.train.distributed.Distributed`), after refusing what cannot train on
    several processes; rank 0 logs how the work is shared. Else None."""
    from genodash.device import resolve_device
    from genodash.train.distributed import Distributed

    place = Distributed.from_environment()
    if place is None:
        return None
    if args.model in MATRIX_MODELS:
        raise ConfigError(
            f"{args.model} trains in one process: run it without torchrun (several processes "
            f"train the sequence models {', '.join(SEQUENCE_MODELS)})"
        )
    batch_size = args.batch_size or SEQUENCE_DEFAULTS["batch_size"]
    place.check_batch_size(batch_size)
    joined = place.init(resolve_device(args.device))
    if joined.is_main:
        log(f"distributed: {joined.describe(batch_size)}")
    return joined


def _check_train_options(args: argparse.Namespace) -> None:
    """Refuse every out-of-range option (training settings, model settings from ``--set``
    and ``--latent-dim``, ``--length``) with the option's name and the allowed range."""
    from genodash.train.loop import TrainConfig

    given = {**_given_train_settings(args), "seed": args.seed}
    for name, value in given.items():
        problem = TrainConfig.setting_problem(name, value)
        if problem is not None:
            raise ConfigError(f"{TRAIN_OPTIONS[name]} {problem}")
    if args.length is not None and args.length < 1:
        raise ConfigError(f"--length must be a whole number of at least 1, got {args.length}")
    for option, given in (
        ("--latent-dim", args.latent_dim),
        ("--memory-budget", args.memory_budget),
    ):
        if given is not None and args.model not in MATRIX_MODELS:
            raise ConfigError(
                f"{option} applies to the expression models ({', '.join(MATRIX_MODELS)}); "
                f"for {args.model} leave it out"
            )
    if args.memory_budget is not None:
        from genodash.limits import memory_budget_bytes

        memory_budget_bytes(args.memory_budget)
    _model_settings(args)


def _model_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The model settings given by ``--set`` (and ``--latent-dim``), checked against their
    ranges by the model's config."""
    from genodash.cli._common import parse_assignments
    from genodash.models import MODELS

    spec = MODELS[args.model]
    settings = parse_assignments(args.set, {f.name: f.default for f in spec.fields()})
    if args.latent_dim is not None:
        settings["latent_dim"] = args.latent_dim
    spec.config(**settings)
    return settings


def _train_sequences(
    args: argparse.Namespace, dataset: Any, out: Path, distributed: Any = None
) -> int:
    from genodash.data import SequenceSet
    from genodash.io.read_store import ReadStore
    from genodash.train.loop import TrainConfig
    from genodash.train.sequence import (
        EncodingConfig,
        prepare_reads,
        prepare_sequences,
        train_sequence_model,
    )

    if not isinstance(dataset, SequenceSet | ReadStore):
        raise ConfigError(f"{args.model} trains on sequences, but {dataset.name} is a matrix")
    settings = _model_settings(args)
    prepare = prepare_reads if isinstance(dataset, ReadStore) else prepare_sequences
    prepared = prepare(
        dataset,  # type: ignore[arg-type]
        encoding=EncodingConfig(length=args.length, align=args.align, augment_rc=args.augment_rc),
        seed=args.seed,
    )
    config = TrainConfig(**{**SEQUENCE_DEFAULTS, **_given_train_settings(args)}, seed=args.seed)
    described = f"{dataset.name}: {prepared.n_obs:,} sequences, {len(prepared.classes)} classes"
    run, path = _train_and_save(
        args, out, train_sequence_model, prepared, settings, config, described, distributed
    )
    if path is None:
        return 0  # another rank than 0: rank 0 saves and prints
    scores = ("test_accuracy", "test_auroc", "test_auprc")
    print_json(_summary(args, run, path, prepared.split, {key: run.metrics[key] for key in scores}))
    return 0


def _given_train_settings(args: argparse.Namespace) -> dict[str, float]:
    """The training settings given on the command line (the rest keep their defaults)."""
    given = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "patience": args.patience,
        "learning_rate": args.lr,
    }
    return {key: value for key, value in given.items() if value is not None}


def _train_matrix(args: argparse.Namespace, dataset: Any, out: Path) -> int:
    from genodash.data import MatrixSet
    from genodash.train.expression import prepare_matrix

    if not isinstance(dataset, MatrixSet):
        raise ConfigError(
            f"{args.model} trains on an expression matrix, but {dataset.name} holds sequences; "
            f"for sequences choose {', '.join(SEQUENCE_MODELS)}"
        )
    settings = _model_settings(args)
    prepared = prepare_matrix(
        _model_ready(dataset),
        source_name=dataset.name,
        label_column=dataset.label_column,
        batch_column=dataset.batch_column,
        seed=args.seed,
    )
    return _train_prepared_matrix(args, prepared, settings, out)


def _train_matrix_from_disk(args: argparse.Namespace, matrix: Any, out: Path) -> int:
    """``train`` on a matrix read from disk: the default preprocessing's statistics in
    passes over its blocks, then the autoencoder or the VAE on block-shuffled cells."""
    from genodash.train.backed_expression import prepare_backed_matrix
    from genodash.train.stored_cells import FROM_DISK_MODELS

    if args.model not in FROM_DISK_MODELS:
        raise ConfigError(
            f"{args.model} trains on a matrix held in memory, and {matrix.name} is over the "
            f"memory budget: train {' or '.join(FROM_DISK_MODELS)}, which read it from disk, "
            "or give a larger --memory-budget"
        )
    settings = _model_settings(args)
    prepared = prepare_backed_matrix(
        matrix,
        label_column=args.label_column,
        batch_column=args.batch_column,
        seed=args.seed,
        progress=progress_line,
    )
    for note in prepared.notes[1:]:
        log(f"note: {note}")
    return _train_prepared_matrix(args, prepared, settings, out, out_of_core=True)


def _train_prepared_matrix(
    args: argparse.Namespace,
    prepared: Any,
    settings: dict[str, Any],
    out: Path,
    *,
    out_of_core: bool = False,
) -> int:
    """Train an expression model on prepared cells (in memory or on disk), save the run and
    print the JSON line (with ``"out_of_core": true`` for cells read from disk)."""
    from genodash.models import model_spec
    from genodash.train.expression import (
        default_likelihood,
        default_train_config,
        train_expression_model,
    )

    fields = {field.name for field in model_spec(args.model, "expression").fields()}
    if "likelihood" in fields and "likelihood" not in settings:
        settings["likelihood"] = default_likelihood(prepared)
        reason = "raw counts" if prepared.counts is not None else "no raw counts"
        log(f"VAE likelihood: {settings['likelihood']} ({reason}; change with --set likelihood=)")
    if "n_batches" in fields and prepared.batches is not None and settings.get("n_batches") != 0:
        log(
            f"batch covariate: column {prepared.batch_column!r} ({len(prepared.batch_names)} "
            "batches; turn it off with --set n_batches=0)"
        )
    config = default_train_config(args.model, **_given_train_settings(args), seed=args.seed)
    described = f"{prepared.source_name}: {prepared.n_obs:,} cells × {prepared.n_vars:,} genes"
    run, path = _train_and_save(
        args, out, train_expression_model, prepared, settings, config, described
    )
    keys = ("test_loss", "latent_dim", "n_cells", "n_genes")
    task = {key: run.metrics[key] for key in keys}
    extra = {"out_of_core": True} if out_of_core else {}
    print_json(
        _summary(args, run, path, prepared.split, task, model_config=run.model_config, **extra)
    )
    return 0


def _train_and_save(
    args: argparse.Namespace,
    out: Path,
    train: Any,
    prepared: Any,
    settings: dict[str, Any],
    config: Any,
    described: str,
    distributed: Any = None,
) -> tuple[Any, Path | None]:
    """Train with the task's one training function, logging as it goes; save the run.

    Of several processes (``distributed``), only rank 0 logs and saves; the others get
    ``None`` for the path."""
    from genodash.device import resolve_device
    from genodash.train.runs import save_run

    device = distributed.device if distributed else resolve_device(args.device)
    main = distributed is None or distributed.is_main
    sizes = prepared.split.sizes()
    if main:
        log(
            f"{described}; split "
            f"{sizes['train']:,}/{sizes['val']:,}/{sizes['test']:,}; training {args.model} on "
            f"{device}"
        )
    run = train(
        prepared,
        args.model,
        model_config=settings,
        train_config=config,
        device=device,
        callbacks=_progress_callbacks() if main else None,
        distributed=distributed,
    )
    if not main:
        return run, None
    path = save_run(run, out)
    log(f"{run.message}; saved to {path}")
    return run, path


def _summary(
    args: argparse.Namespace,
    run: Any,
    path: Path,
    split: Any,
    task: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    """The JSON line of ``train``: the model, the task's scores, then the keys every task
    prints (sizes, epochs, time, device, parameters, how it stopped, where it is)."""
    sizes, metrics = split.sizes(), run.metrics
    return {
        "model": args.model,
        **task,
        "n_train": sizes["train"],
        "n_val": sizes["val"],
        "n_test": sizes["test"],
        "epochs_run": metrics["epochs_run"],
        "best_epoch": metrics["best_epoch"],
        "train_seconds": round(metrics["train_seconds"], 3),
        "device": metrics["device"],
        "parameters": metrics["parameters"],
        "stop_reason": metrics["stop_reason"],
        **extra,
        "run_dir": str(path),
    }


def _model_ready(matrix: Any) -> Any:
    """The AnnData a model trains on: raw counts get the default preprocessing first."""
    if matrix.value_type != "counts":
        return matrix.adata
    from genodash.expression.preprocess import PreprocessConfig, preprocess

    log("raw counts: preprocessing with the default settings")
    return preprocess(matrix, PreprocessConfig()).adata


def _progress_callbacks() -> Any:
    from genodash.train.callbacks import Callbacks, Progress

    started = time.perf_counter()

    def on_epoch(record: dict[str, float]) -> None:
        accuracy = record.get("val_accuracy")
        extra = f" val_accuracy {accuracy:.4f}" if accuracy is not None else ""
        log(
            f"epoch {int(record['epoch'])}: train_loss {record['train_loss']:.4f} val_loss "
            f"{record['val_loss']:.4f}{extra} ({time.perf_counter() - started:.1f} s)"
        )

    bars: dict[int, Any] = {}

    def on_batch(progress: Progress) -> None:
        if progress.epoch not in bars:
            bars.clear()
            bars[progress.epoch] = progress_line(f"epoch {progress.epoch}/{progress.epochs}")
        bars[progress.epoch](progress.batch, progress.batches)

    return Callbacks(on_batch_end=on_batch, on_epoch_end=on_epoch)


def _load(run_dir: str) -> Any:
    from genodash.train.runs import load_run

    return load_run(run_dir)


def _read_sequences(args: argparse.Namespace) -> Any:
    from genodash.io import ReadOptions, read_dataset

    options = read_options(args)
    return read_dataset(args.path, ReadOptions(**{**options.__dict__, "kind": "sequences"}))


def _add_run_command(
    commands: argparse._SubParsersAction, name: str, handler: Handler
) -> argparse.ArgumentParser:
    """A command over a saved run and a sequence file (``predict``, ``explain``): its parser,
    with the two positional arguments."""
    parser = add_command(commands, name, handler)
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("path", metavar="PATH", help="sequence file")
    return parser


def _add_predict(commands: argparse._SubParsersAction) -> None:
    parser = _add_run_command(commands, "predict", _predict)
    parser.add_argument("--out", required=True, metavar="FILE.csv")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    _add_stream_option(parser, "predict")
    add_read_options(parser)


def _predict(args: argparse.Namespace) -> int:
    """predict classes of sequences with a saved run

    Write one row per sequence: seq_id, predicted class, and p_<class> probabilities (plus the
    file's label when it has one).
    """
    from genodash.device import resolve_device
    from genodash.io.writers import write_text_atomic
    from genodash.predict import predict_sequences

    run = _load(args.run_dir)
    device = resolve_device(args.device)
    if _from_disk(args):
        return _predict_from_disk(args, run, device)
    sequences = _read_sequences(args)
    table = predict_sequences(run, sequences, device=device)
    write_text_atomic(args.out, table.to_csv(index=False))
    counts = table["predicted"].value_counts().to_dict()
    print_json({"run_dir": args.run_dir, "n": len(table), "out": args.out, "predicted": counts})
    return 0


def _predict_from_disk(args: argparse.Namespace, run: Any, device: str) -> int:
    """``predict`` on a large read file: converted once, predicted and written table by table
    into a temporary file renamed into place."""
    from collections import Counter

    from genodash.io.writers import atomic_path
    from genodash.predict import predict_stored_reads

    store = _converted(args, None)
    counts: Counter[str] = Counter()
    report = progress_line("predicting")
    with atomic_path(args.out) as temp, temp.open("w") as out:
        for table in predict_stored_reads(run, store, device=device):
            table.to_csv(out, index=False, header=not counts)
            counts.update(table["predicted"].tolist())
            report(sum(counts.values()), store.n_reads)
    predicted = dict(counts.most_common())
    print_json(
        {"run_dir": args.run_dir, "n": store.n_reads, "out": args.out, "predicted": predicted}
    )
    return 0


def _add_explain(commands: argparse._SubParsersAction) -> None:
    parser = _add_run_command(commands, "explain", _explain)
    parser.add_argument("--method", default="saliency", choices=("saliency", "ism"))
    parser.add_argument(
        "--target",
        metavar="CLASS",
        help="class to explain (default: each sequence's predicted class)",
    )
    parser.add_argument("--out", required=True, metavar="FILE.csv")
    add_read_options(parser)


def _explain(args: argparse.Namespace) -> int:
    """per-position importance scores of sequences under a saved run

    Write one row per sequence position: seq_id, position (0-based), base, score (the
    attribution of the base present, for the target class).
    """
    from genodash.interpret import explain_table
    from genodash.io.writers import write_text_atomic

    run = _load(args.run_dir)
    sequences = _read_sequences(args)
    classes = run.classes
    if args.target is not None and args.target not in classes:
        raise ConfigError(
            f"--target {args.target!r} is not a class of this run; classes: {', '.join(classes)}"
        )
    target = classes.index(args.target) if args.target is not None else None
    table = explain_table(run, sequences, method=args.method, target=target)
    write_text_atomic(args.out, table.to_csv(index=False))
    print_json(
        {
            "run_dir": args.run_dir,
            "method": args.method,
            "n_sequences": sequences.n_obs,
            "rows": len(table),
            "out": args.out,
        }
    )
    return 0


COMMANDS = (_add_train, _add_predict, _add_explain)
