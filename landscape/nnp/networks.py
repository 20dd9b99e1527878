"""The networks of the simplified NNP's ensemble: one member's feed-forward network (:func:`mlp`),
the members stacked for evaluation (:class:`StackedEnsemble`), and the settings of their training.

Units: the networks work in standardised units (features minus their mean over the training
points, divided by their standard deviation; energies likewise).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = [
    "ACTIVATIONS",
    "StackedEnsemble",
    "TrainSettings",
    "TrainingData",
    "mlp",
    "stack_members",
    "stacked_ensemble",
]


ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "tanh": nn.Tanh,
    "softplus": nn.Softplus,
    "silu": nn.SiLU,
}

#: ``(xs (n, F), ys (n,), ws (n,), y_scale, forces)`` in standardised units; ``forces`` is
#: ``(d xs/d r (n, F, 3), reference force / y_scale (n, 3), has forces (n,))`` or ``None``.
TrainingData = tuple[Tensor, Tensor, Tensor, float, tuple[Tensor, Tensor, Tensor] | None]


class StackedEnsemble(nn.Module):
    """``M`` feed-forward networks evaluated at once with stacked weights.

    ``weights[l]`` has shape (M, n_in, n_out) and ``biases[l]`` (M, n_out); the last layer has one
    output. ``forward(x (n, F)) -> (M, n)`` in the network's (standardised) units.
    """

    def __init__(self, weights: list[Tensor], biases: list[Tensor], activation: str) -> None:
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(w, requires_grad=False) for w in weights])
        self.biases = nn.ParameterList([nn.Parameter(b, requires_grad=False) for b in biases])
        self.act = ACTIVATIONS[activation]()

    def forward(self, x: Tensor) -> Tensor:
        h = (
            torch.einsum("nf,mfh->mnh", x, self.weights[0]) + self.biases[0][:, None, :]
        )  # (M, n, H)
        for w, b in zip(self.weights[1:], self.biases[1:], strict=True):
            h = torch.baddbmm(b[:, None, :], self.act(h), w)  # (M, n, H')
        return h[..., 0]  # (M, n)


def stacked_ensemble(
    weights: list[Tensor], biases: list[Tensor], activation: str, device: str | torch.device = "cpu"
) -> StackedEnsemble:
    """The fitted members' stacked weights as one :class:`StackedEnsemble` on ``device``."""
    return StackedEnsemble(
        [w.to(device) for w in weights], [b.to(device) for b in biases], activation
    ).to(device)


def mlp(n_in: int, hidden: tuple[int, ...], activation: str) -> nn.Sequential:
    """One member: ``n_in`` features, the ``hidden`` widths with ``activation``, one output."""
    layers: list[nn.Module] = []
    sizes = [n_in, *hidden]
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b, dtype=torch.float64), ACTIVATIONS[activation]()]
    layers.append(nn.Linear(sizes[-1], 1, dtype=torch.float64))
    return nn.Sequential(*layers)


def stack_members(members: list[nn.Sequential]) -> tuple[list[Tensor], list[Tensor]]:
    """Weights (M, n_in, n_out) and biases (M, n_out) of every layer of the trained members."""
    linears = [[m for m in seq if isinstance(m, nn.Linear)] for seq in members]
    weights = [
        torch.stack([ls[k].weight.detach().T for ls in linears]) for k in range(len(linears[0]))
    ]
    biases = [torch.stack([ls[k].bias.detach() for ls in linears]) for k in range(len(linears[0]))]
    return weights, biases


@dataclass(frozen=True)
class TrainSettings:
    """The estimator's parameters that one member's training reads (values as given to it)."""

    activation: str
    max_epochs: int
    lbfgs_steps: int
    patience: int
    batch_size: int
    learning_rate: float
    alpha: float
    force_weight: float
    precision: str = "float64"


# ---------------------------------------------------------------- splits and training data
