"""The training loop's row sources: tensors in memory or :class:`Rows` read batch by batch."""

from __future__ import annotations

import numpy as np
import torch

from genodash.models import build_model
from genodash.train.loop import Rows, TensorRows, TrainConfig, fit
from genodash.train.sequence import classification_step


class ArrayRows:
    """Rows kept as numpy arrays (as a file on disk would be) and turned into tensors per
    batch; it records the index of every call."""

    def __init__(self, codes: np.ndarray, targets: np.ndarray) -> None:
        self.codes, self.targets = codes, targets
        self.calls: list[torch.Tensor] = []

    @property
    def n_rows(self) -> int:
        return len(self.targets)

    def take(self, index: torch.Tensor, device: str) -> list[torch.Tensor]:
        self.calls.append(index)
        rows = index.numpy()
        return [
            torch.from_numpy(self.codes[rows]).to(device),
            torch.from_numpy(self.targets[rows]).to(device),
        ]


def _arrays(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 5, (n, 30), dtype=np.uint8), rng.integers(0, 3, n).astype(np.int64)


def _fit(train, val) -> tuple[torch.nn.Module, list[dict[str, float]]]:
    model = build_model("cnn", n_outputs=3, filters=8, seed=1)  # dropout on: its draws count
    config = TrainConfig(epochs=2, batch_size=16, patience=0, seed=4)
    result = fit(model, train, val, classification_step, config=config)
    return model, [{k: v for k, v in row.items() if k != "seconds"} for row in result.history]


def test_rows_read_batch_by_batch_train_exactly_as_tensors():
    train, val = _arrays(70, 0), _arrays(300, 1)
    from_tensors = _fit(tuple(map(torch.from_numpy, train)), tuple(map(torch.from_numpy, val)))
    train_rows, val_rows = ArrayRows(*train), ArrayRows(*val)
    assert isinstance(train_rows, Rows)
    from_rows = _fit(train_rows, val_rows)
    assert from_rows[1] == from_tensors[1]
    for a, b in zip(
        from_rows[0].state_dict().values(), from_tensors[0].state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    # training: CPU int64 shuffled batches covering every row once per epoch
    first_epoch = train_rows.calls[:5]
    assert [len(i) for i in first_epoch] == [16, 16, 16, 16, 6]
    assert all(i.dtype == torch.int64 and i.device.type == "cpu" for i in first_epoch)
    assert sorted(torch.cat(first_epoch).tolist()) == list(range(70))
    # validation: contiguous ranges of at least 256 rows
    assert [(int(i[0]), int(i[-1])) for i in val_rows.calls[:2]] == [(0, 255), (256, 299)]


def test_tensor_rows_take_the_rows_asked_for():
    rows = TensorRows([torch.arange(10) * 2, torch.arange(10)], "cpu")
    assert rows.n_rows == 10
    inputs, targets = rows.take(torch.tensor([3, 0, 7]), "cpu")
    assert inputs.tolist() == [6, 0, 14]
    assert targets.tolist() == [3, 0, 7]
    assert isinstance(rows, Rows)
    assert not isinstance((torch.zeros(2), torch.zeros(2)), Rows)
