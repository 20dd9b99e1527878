"""Every ensemble member trained at once: stacked weights, one optimiser step for all members.

The members of :class:`~landscape.nnp.model.SimplifiedNNP` are small networks of identical shape, so
their weights stack into tensors of shape (M, n_in, n_out) and one batched matrix product
(:func:`torch.baddbmm`) evaluates all of them. The members' losses are summed: each weight appears
in one member's loss only, so the gradient of the sum is every member's own gradient, and Adam,
elementwise, updates each member as if it trained alone. Each member keeps what makes it a member:
its initialisation (``torch.manual_seed(seed)``, as :func:`~landscape.nnp.training.train_one`), its
training/validation split, its own mini-batch order (a generator seeded with its seed), its own
early-stopping state and its best validation state. A member that stops early keeps its best
state; the others train on. L-BFGS then polishes every member, still stacked, on the full training
set, each member with its own step length (:func:`lbfgs_stacked`).

Units: the networks work in standardised units (features and energies minus their mean, divided by
their standard deviation); RMSEs are reported in eV.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from .networks import ACTIVATIONS, TrainingData, TrainSettings, mlp

__all__ = ["StackedMembers", "loss_and_gradient", "train_stacked"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class StackedMembers:
    """The weights of ``M`` members: ``weights[l]`` (M, n_in, n_out), ``biases[l]`` (M, 1, n_out)."""

    weights: list[Tensor]
    biases: list[Tensor]
    activation: str

    @classmethod
    def initialise(
        cls, seeds: list[int], n_in: int, hidden: tuple[int, ...], activation: str, device
    ) -> StackedMembers:
        """Each member initialised as a lone member of that seed would be (``torch.manual_seed``
        then :func:`~landscape.nnp.training.mlp`)."""
        nets = []
        for seed in seeds:
            torch.manual_seed(int(seed))
            nets.append(mlp(n_in, hidden, activation))
        return cls.from_members(nets, activation, device)

    @classmethod
    def from_members(cls, nets: list[nn.Sequential], activation: str, device) -> StackedMembers:
        linears = [[m for m in net if isinstance(m, nn.Linear)] for net in nets]
        n_layers = len(linears[0])
        weights = [
            torch.stack([ls[k].weight.detach().T for ls in linears]).to(device).requires_grad_()
            for k in range(n_layers)
        ]
        biases = [
            torch.stack([ls[k].bias.detach()[None, :] for ls in linears])
            .to(device)
            .requires_grad_()
            for k in range(n_layers)
        ]
        return cls(weights, biases, activation)

    def parameters(self) -> list[Tensor]:
        return [*self.weights, *self.biases]

    def state(self) -> list[Tensor]:
        """A detached copy of every parameter (for best-state bookkeeping)."""
        return [p.detach().clone() for p in self.parameters()]

    def load_rows(self, state: list[Tensor], rows: Tensor) -> None:
        """Set the members ``rows`` (bool (M,)) to their values in ``state``."""
        with torch.no_grad():
            for p, s in zip(self.parameters(), state, strict=True):
                p[rows] = s[rows]

    def energy(self, x: Tensor) -> Tensor:
        """Energies (M, b) of the points ``x`` (M, b, F): member m evaluates row m."""
        act = ACTIVATIONS[self.activation]()
        h = x
        for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            h = act(torch.baddbmm(b, h, w))
        return torch.baddbmm(self.biases[-1], h, self.weights[-1])[..., 0]

    def to_members(self) -> list[nn.Sequential]:
        """The members as separate networks (the form the rest of the package uses)."""
        n_in, hidden = self.weights[0].shape[1], tuple(w.shape[2] for w in self.weights[:-1])
        nets = []
        for m in range(self.weights[0].shape[0]):
            net = mlp(n_in, hidden, self.activation)
            linears = [layer for layer in net if isinstance(layer, nn.Linear)]
            with torch.no_grad():
                for layer, w, b in zip(linears, self.weights, self.biases, strict=True):
                    layer.weight.copy_(w[m].T.cpu().to(layer.weight.dtype))
                    layer.bias.copy_(b[m, 0].cpu().to(layer.bias.dtype))
            nets.append(net)
        return nets


class _StackedLoss:
    """Per-member weighted losses (M,) of the points of :meth:`take`: energies, forces, L2."""

    def __init__(self, settings: TrainSettings, members: StackedMembers, data: TrainingData):
        self.xs, self.ys, self.ws, self.y_scale, self.forces = data
        self.members = members
        self.alpha = float(settings.alpha)
        self.wf = float(settings.force_weight)
        self.running: list[Tensor] | None = None  # [sum w err², sum w] (M,) over an epoch

    def take(self, idx: Tensor) -> dict[str, Tensor]:
        """The data of index rows ``idx`` (M, b): member m's points in row m, gathered once
        (``x`` (M, b, F), ``y``, ``w`` (M, b); with forces ``j`` (M, b, 3, F), ``f`` (M, b, 3),
        ``has`` (M, b))."""
        flat = idx.reshape(-1)

        def rows(t: Tensor) -> Tensor:
            return t.index_select(0, flat).reshape(*idx.shape, *t.shape[1:])

        out = {"x": rows(self.xs), "y": rows(self.ys), "w": rows(self.ws)}
        if self.forces is not None:
            out["j"], out["f"], out["has"] = (rows(t) for t in self.forces)
        return out

    def __call__(self, pts: dict[str, Tensor]) -> Tensor:
        """The loss (M,) of each member on its row of ``pts``: weighted mean squared energy
        error (weights of mean 1 per member), plus ``force_weight`` × the weighted mean squared
        force error per component, plus ``alpha`` × the sum of squared weights."""
        penalty = self._penalty()  # first: the order autograd accumulates in rounds the same
        w = pts["w"] / pts["w"].mean(1, keepdim=True)  # (M, b), mean 1 per member
        e2, f2 = self._squared_errors(pts)
        if f2 is None:
            return (w * e2).mean(1) + penalty
        return (w * e2).mean(1) + self.wf * (w * f2).mean(1) / 3.0 + penalty

    def backward_chunked(self, pts: dict[str, Tensor], chunk: int) -> Tensor:
        """The loss (M,) of ``pts`` as :meth:`__call__`, its gradient accumulated into the
        parameters' ``.grad``, evaluated ``chunk`` points at a time: the same sums, with every
        intermediate the size of a mini-batch instead of the whole set (the contraction with
        the Jacobians alone is M × n × 3 × F floats). ``pts`` holds the rows of this loss's
        members (all of them, or those of :meth:`rows`)."""
        total_w = pts["w"].sum(1, keepdim=True)  # (M, 1)
        penalty = self._penalty()
        penalty.sum().backward()
        total = penalty.detach().clone()
        for start in range(0, pts["w"].shape[1], chunk):
            part = {k: v[:, start : start + chunk] for k, v in pts.items()}
            w = part["w"] / total_w  # (M, c): the weights' share of the whole set
            e2, f2 = self._squared_errors(part)
            value = (w * e2).sum(1)
            if f2 is not None:
                value = value + self.wf * (w * f2).sum(1) / 3.0
            value.sum().backward()
            total += value.detach()
        return total

    def rows(self, rows: Tensor) -> _StackedLoss:
        """The same loss for the members ``rows`` (indices) alone, on detached copies of their
        parameters (the gradient lands in the copies)."""
        sub = copy.copy(self)
        m = self.members
        sub.members = StackedMembers(
            [w.detach()[rows].requires_grad_() for w in m.weights],
            [b.detach()[rows].requires_grad_() for b in m.biases],
            m.activation,
        )
        sub.running = None
        return sub

    def _penalty(self) -> Tensor:
        """``alpha`` × the sum of each member's squared weights (M,)."""
        return self.alpha * sum(w.square().sum((1, 2)) for w in self.members.weights)

    def _squared_errors(self, pts: dict[str, Tensor]) -> tuple[Tensor, Tensor | None]:
        """Squared energy errors (M, b) and, with forces, squared force errors summed over the
        3 components (M, b; zero where a point has no reference force), both differentiable."""
        if self.forces is None:
            err = self.members.energy(pts["x"]) - pts["y"]
            self._accumulate(pts, err)
            return err.square(), None
        xb = pts["x"].detach().requires_grad_(True)  # (M, b, F)
        e = self.members.energy(xb)  # (M, b)
        self._accumulate(pts, e - pts["y"])
        (de,) = torch.autograd.grad(e.sum(), xb, create_graph=True)  # (M, b, F)
        f_pred = -(pts["j"] * de[:, :, None, :]).sum(-1)  # (M, b, 3); j is (M, b, 3, F)
        f_err = (f_pred - pts["f"]).square().sum(-1) * pts["has"]  # (M, b)
        return (e - pts["y"]).square(), f_err

    def _accumulate(self, pts: dict[str, Tensor], err: Tensor) -> None:
        """Add the batch's weighted squared energy errors to ``running`` (when it is set)."""
        if self.running is not None:
            with torch.no_grad():
                self.running[0] += (pts["w"] * err.square()).sum(1)
                self.running[1] += pts["w"].sum(1)

    def running_rmse(self) -> Tensor:
        """Weighted energy RMSE (M,) in eV over the mini-batches since ``running`` was reset."""
        err2, w = self.running
        return (err2 / w).sqrt() * self.y_scale

    def rmse(self, pts: dict[str, Tensor]) -> Tensor:
        """Weighted energy RMSE (M,) in eV of each member on its row of gathered points."""
        with torch.no_grad():
            err2 = (self.members.energy(pts["x"]) - pts["y"]).square()
            return ((pts["w"] * err2).sum(1) / pts["w"].sum(1)).sqrt() * self.y_scale


class _History:
    """Each member's recorded RMSEs and its best validation state."""

    def __init__(self, loss: _StackedLoss, tr: Tensor, va: Tensor, patience: int) -> None:
        self.loss, self.patience = loss, patience
        self.tr, self.va = loss.take(tr), loss.take(va)  # gathered once: fixed splits
        m = tr.shape[0]
        self.hist = [{"phase": [], "step": [], "train_rmse": [], "val_rmse": []} for _ in range(m)]
        self.active = torch.ones(m, dtype=torch.bool)
        self.best = torch.full((m,), math.inf, dtype=torch.float64)
        self.best_state = loss.members.state()
        self.since = torch.zeros(m, dtype=torch.long)

    def record(self, phase: str, step: int, train: Tensor | None = None) -> None:
        """Record the active members' RMSEs (``train``: given, or on the whole training set);
        keep the improved members' states."""
        val = self.loss.rmse(self.va).cpu()
        train = (self.loss.rmse(self.tr) if train is None else train).cpu()
        for m in np.flatnonzero(self.active.numpy()):
            h = self.hist[m]
            h["phase"].append(phase)
            h["step"].append(step)
            h["train_rmse"].append(float(train[m]))
            h["val_rmse"].append(float(val[m]))
        finite = torch.isfinite(val)
        better = self.active & finite & (val < self.best)
        if better.any():
            self.best = torch.where(better, val, self.best)
            state = self.loss.members.state()
            for b, s in zip(self.best_state, state, strict=True):
                b[better] = s[better]
        self.since = torch.where(better, 0, self.since + 1)

    def stop_patient(self, limit: int, *, nonfinite: bool = False) -> None:
        """Members without improvement for ``limit`` records stop (and keep their best state);
        with ``nonfinite`` also those whose last validation RMSE is not finite."""
        self.active &= self.since < limit
        if nonfinite:
            last = torch.tensor([h["val_rmse"][-1] for h in self.hist], dtype=torch.float64)
            self.active &= torch.isfinite(last)


def _adam_phase(settings: TrainSettings, loss: _StackedLoss, record: _History, tick, seeds, trs):
    """Adam with each member's own mini-batch order and early stopping; ends on the best states."""
    members = loss.members
    # fused: one kernel per step for all parameters (the same update as the per-tensor loop)
    opt = torch.optim.Adam(members.parameters(), lr=settings.learning_rate, fused=True)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.01 ** (1.0 / settings.max_epochs))
    gens = [torch.Generator(device="cpu").manual_seed(int(s)) for s in seeds]
    n_train, bs = trs.shape[1], int(settings.batch_size)
    for epoch in range(1, int(settings.max_epochs) + 1):
        perms = torch.stack([torch.randperm(n_train, generator=g) for g in gens]).to(trs.device)
        order = torch.gather(trs, 1, perms)  # (M, n_train): each member's shuffled points
        loss.running = [torch.zeros(len(seeds), dtype=loss.xs.dtype) for _ in range(2)]
        for start in range(0, n_train, bs):
            # gathered batch by batch: the epoch's Jacobians at once are M × n × 3 × F floats
            # (150 MB for the demo), a fresh allocation every epoch that cost 10x the batches'
            # gathers (35 against 3.5 ms per epoch, measured)
            opt.zero_grad()
            loss(loss.take(order[:, start : start + bs])).sum().backward()
            opt.step()
        sched.step()
        n_active = int(record.active.sum())
        # the training RMSE of an epoch: over its mini-batches, as each step saw them (a pass
        # over the training set less to pay; the validation RMSE is taken after the epoch)
        record.record("adam", epoch, train=loss.running_rmse())
        loss.running = None
        record.stop_patient(int(settings.patience))
        for _ in range(n_active):
            tick()
        if not record.active.any():
            break
    members.load_rows(record.best_state, torch.ones_like(record.active))


def lbfgs_stacked(
    settings: TrainSettings, loss: _StackedLoss, record: _History, tick, first_step: int
) -> None:
    """L-BFGS on the full training set, every member its own curvature pairs and step length.

    Segments of 20 iterations, as the lone-member trainer; a member stops after 3 segments without
    validation improvement (or a non-finite RMSE). Each iteration takes a backtracking (Armijo)
    step per member along its own two-loop-recursion direction.
    """
    members = loss.members
    params = members.parameters()
    m_count = params[0].shape[0]
    chunk = max(int(settings.batch_size), 512)
    record.active = torch.ones(m_count, dtype=torch.bool)
    record.since = torch.zeros(m_count, dtype=torch.long)

    def evaluate(rows: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return loss_and_gradient(loss, record.tr, chunk, rows)

    def set_flat(x: Tensor) -> None:
        with torch.no_grad():
            i = 0
            for p in params:
                n = p[0].numel()
                p.copy_(x[:, i : i + n].reshape(p.shape))
                i += n

    x = _flat([p.detach() for p in params]).clone()
    f, g = evaluate()
    s_hist: list[Tensor] = []
    y_hist: list[Tensor] = []
    history_size = 20
    for seg in range(math.ceil(int(settings.lbfgs_steps) / 20)):
        for _ in range(20):
            d = _two_loop(g, s_hist, y_hist)  # (M, P)
            d = torch.where(((d * g).sum(1) < 0)[:, None], d, -g)  # descent or steepest
            d = d * record.active[:, None].to(d.dtype)
            f_new, g_new, x_new = _armijo(x, f, g, d, set_flat, evaluate)
            s, y = x_new - x, g_new - g
            ok = (s * y).sum(1) > 1e-10
            if bool(ok.any()):
                s_hist.append(torch.where(ok[:, None], s, 0.0))
                y_hist.append(torch.where(ok[:, None], y, 0.0))
                if len(s_hist) > history_size:
                    s_hist.pop(0)
                    y_hist.pop(0)
            x, f, g = x_new, f_new, g_new
        n_active = int(record.active.sum())
        record.record("lbfgs", first_step + seg + 1)
        record.stop_patient(3, nonfinite=True)
        for _ in range(n_active):
            tick()
        if not record.active.any():
            break
    members.load_rows(record.best_state, torch.ones(m_count, dtype=torch.bool))


def _flat(ts: list[Tensor]) -> Tensor:
    """Each member's tensors as one row: (M, P)."""
    return torch.cat([t.reshape(t.shape[0], -1) for t in ts], 1)


def loss_and_gradient(
    loss: _StackedLoss, pts: dict[str, Tensor], chunk: int, rows: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Each member's loss (M,) on its row of ``pts`` and its gradient (M, P) in the members'
    parameters, flattened (weights then biases, layer by layer); with ``rows`` (indices, at
    least two) those members' alone, (len(rows),) and (len(rows), P).

    A backtracking step evaluates only the members still searching. Two or more members give
    each member the same values to the last bit as all of them together (measured on the demo's
    data, float32: every subset of two to four of its five members, 2026-12-07; the demo's model
    trains to the same bits); one member alone does not (a lone matrix product rounds
    differently), so a lone member is evaluated beside another whose values are dropped
    (:func:`_searching_rows`).
    """
    if rows is not None:
        loss, pts = loss.rows(rows), {k: v[rows] for k, v in pts.items()}
    params = loss.members.parameters()
    for p in params:
        p.grad = None
    f = loss.backward_chunked(pts, chunk)  # (M,)
    return f, _flat([p.grad for p in params]).detach()


def _two_loop(g: Tensor, s_hist: list[Tensor], y_hist: list[Tensor]) -> Tensor:
    """Per-member L-BFGS direction −H g (M, P) from the stored pairs (zero pairs are skipped)."""
    q = g.clone()
    alphas = []
    for s, y in zip(reversed(s_hist), reversed(y_hist), strict=True):
        sy = (s * y).sum(1)
        rho = torch.where(sy > 0, 1.0 / sy.clamp_min(1e-300), 0.0)
        a = rho * (s * q).sum(1)
        q = q - a[:, None] * y
        alphas.append((a, rho, s, y))
    if s_hist:
        s, y = s_hist[-1], y_hist[-1]
        yy = (y * y).sum(1)
        gamma = torch.where(yy > 0, (s * y).sum(1) / yy.clamp_min(1e-300), 1.0)
        q = q * gamma[:, None]
    for a, rho, s, y in reversed(alphas):
        b = rho * (y * q).sum(1)
        q = q + (a - b)[:, None] * s
    return -q


def _armijo(x, f, g, d, set_flat, evaluate, c1: float = 1e-4, shrink: float = 0.5, tries: int = 20):
    """One backtracking step per member: the largest of 1, 1/2, 1/4 ... that lowers that member's
    loss by the Armijo condition; members without such a step stay where they are. A shorter
    step is evaluated for the members still searching alone (``evaluate(rows)``: 177 of the
    demo's 600 steps needed one, mostly for one member of five)."""
    m_count = x.shape[0]
    t = torch.ones(m_count, dtype=x.dtype, device=x.device)
    slope = (g * d).sum(1)  # (M,) < 0 where d descends
    accepted = slope >= 0  # nothing to search for these members
    x_new, f_new, g_new = x.clone(), f.clone(), g.clone()
    for _ in range(tries):
        trial = torch.where(accepted[:, None], x_new, x + t[:, None] * d)
        set_flat(trial)
        rows = _searching_rows(accepted)
        if not len(rows):
            break
        f_t, g_t = torch.full_like(f, math.nan), g.clone()
        f_t[rows], g_t[rows] = evaluate(None if len(rows) == m_count else rows)
        good = ~accepted & torch.isfinite(f_t) & (f_t <= f + c1 * t * slope)
        x_new = torch.where(good[:, None], trial, x_new)
        f_new = torch.where(good, f_t, f_new)
        g_new = torch.where(good[:, None], g_t, g_new)
        accepted |= good
        if bool(accepted.all()):
            break
        t = torch.where(accepted, t, t * shrink)
    set_flat(x_new)
    return f_new, g_new, x_new


def _searching_rows(accepted: Tensor) -> Tensor:
    """The indices of the members still searching, with an accepted one beside a lone member
    (see :func:`loss_and_gradient`)."""
    rows = (~accepted).nonzero().flatten()
    if len(rows) == 1 and len(accepted) > 1:
        rows = torch.sort(torch.cat([rows, accepted.nonzero().flatten()[:1]])).values
    return rows


def train_stacked(
    settings: TrainSettings,
    splits: list[tuple[int, np.ndarray, np.ndarray]],
    data: TrainingData,
    hidden: tuple[int, ...],
    device: torch.device,
    tick: Callable[[], None],
) -> tuple[list[nn.Sequential], list[dict]]:
    """Train every member of ``splits`` (``(seed, train, val)``) at once; returns the members as
    separate networks and each one's history (as :func:`~landscape.nnp.training.train_one`)."""
    seeds = [seed for seed, _, _ in splits]
    dtype = _DTYPES[settings.precision]
    xs, ys, ws, y_scale, forces = data
    if forces is not None:  # the Jacobian as (n, 3, F): contracted along its contiguous last axis
        forces = (forces[0].transpose(1, 2).contiguous(), *forces[1:])
    data = (
        *(t.to(dtype) for t in (xs, ys, ws)),
        y_scale,
        None if forces is None else tuple(t.to(dtype) for t in forces),
    )
    trs = torch.as_tensor(np.stack([train for _, train, _ in splits]), device=device)
    vas = torch.as_tensor(np.stack([val for _, _, val in splits]), device=device)
    members = StackedMembers.initialise(
        seeds, data[0].shape[1], hidden, settings.activation, device
    )
    if dtype != torch.float64:  # initialised in float64 as a lone member, then rounded
        members = StackedMembers(
            [w.detach().to(dtype).requires_grad_() for w in members.weights],
            [b.detach().to(dtype).requires_grad_() for b in members.biases],
            members.activation,
        )
    loss = _StackedLoss(settings, members, data)
    record = _History(loss, trs, vas, int(settings.patience))
    record.record("adam", 0)
    _adam_phase(settings, loss, record, tick, seeds, trs)
    if int(settings.lbfgs_steps) > 0:
        last = max(h["step"][-1] for h in record.hist)
        lbfgs_stacked(settings, loss, record, tick, last)
    for h, best in zip(record.hist, record.best.tolist(), strict=True):
        h["best_val_rmse"] = [best]
    return members.to_members(), record.hist
