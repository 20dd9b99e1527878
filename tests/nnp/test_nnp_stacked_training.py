"""The members trained at once (stacked weights) against the members trained one by one.

The Adam phase is the same computation in another order of floating-point sums: each member keeps
its initialisation, split, mini-batch order and early stopping, so weights and histories agree to
rounding. L-BFGS differs (a backtracking line search per member instead of torch's strong Wolfe
search) and is checked for what it must do: lower each member's validation error.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from landscape.errors import InputError
from landscape.nnp import SimplifiedNNP
from landscape.nnp.descriptors import SymmetryFunctions, propose_grids
from landscape.reference.dataset import load_dataset
from tests.helpers.morse import random_host, write_morse_db


@pytest.fixture(scope="module")
def forces_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stacked") / "f.db"
    return write_morse_db(path, [random_host(1)], [120], forces=True)


def _kw(**changes):
    g2, g4 = propose_grids(6.0, angular_radii=(2.0, 3.5), zetas=(1.0, 4.0))
    kw = dict(
        descriptor=SymmetryFunctions(g2_params=g2, g4_params=g4),
        hidden=(8, 8),
        n_models=3,
        max_epochs=15,
        lbfgs_steps=0,
        patience=15,
        force_weight=1.0,
        random_state=3,
        precision="float64",  # the lone members' arithmetic: the trajectories compare to rounding
    )
    kw.update(changes)
    return kw


def test_adam_phase_equals_members_trained_one_by_one(forces_db) -> None:
    ds = load_dataset(forces_db)
    alone = SimplifiedNNP(train_together=False, **_kw()).fit(ds)
    together = SimplifiedNNP(**_kw()).fit(ds)
    assert together.validation_index_ == alone.validation_index_
    for a, b in zip(
        alone.weights_ + alone.biases_, together.weights_ + together.biases_, strict=True
    ):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-7, atol=1e-9)
    for ha, hb in zip(alone.history_, together.history_, strict=True):
        assert ha["phase"] == hb["phase"] and ha["step"] == hb["step"]
        np.testing.assert_allclose(hb["val_rmse"], ha["val_rmse"], rtol=1e-7)
    assert together.rmse_test_ == pytest.approx(alone.rmse_test_, rel=1e-7)


def test_each_member_stops_early_on_its_own(forces_db) -> None:
    """With a short patience the members stop at different epochs; each history ends where the
    lone member's does, and the best state kept is the same."""
    ds = load_dataset(forces_db)
    kw = _kw(max_epochs=120, patience=3, learning_rate=0.05)
    alone = SimplifiedNNP(train_together=False, **kw).fit(ds)
    together = SimplifiedNNP(**kw).fit(ds)
    ends = [len(h["step"]) for h in alone.history_]
    assert len(set(ends)) > 1, ends  # the members really stop at different epochs
    assert [len(h["step"]) for h in together.history_] == ends
    for ha, hb in zip(alone.history_, together.history_, strict=True):
        assert hb["best_val_rmse"][0] == pytest.approx(ha["best_val_rmse"][0], rel=1e-6)


def test_lbfgs_lowers_every_members_validation_error(forces_db) -> None:
    ds = load_dataset(forces_db)
    ticks: list[tuple[int, int]] = []
    m = SimplifiedNNP(**_kw(max_epochs=30, patience=30, lbfgs_steps=100)).fit(
        ds, progress=lambda d, t: ticks.append((d, t))
    )
    for h in m.history_:
        adam = min(v for p, v in zip(h["phase"], h["val_rmse"], strict=True) if p == "adam")
        assert "lbfgs" in h["phase"]
        assert h["best_val_rmse"][0] < adam, (h["best_val_rmse"][0], adam)
        assert h["best_val_rmse"][0] == min(h["val_rmse"])
    # the bar counts members x (epochs + L-BFGS segments) and ends full
    assert ticks[-1] == (3 * (30 + 5), 3 * (30 + 5))
    assert [d for d, _ in ticks] == sorted(d for d, _ in ticks)
    # the surface equals the best recorded state: its validation RMSE is the best one
    assert m.rmse_test_ < 0.5 * float(np.std(ds.e_insert))


def test_train_together_is_saved_and_old_files_read_as_one_by_one(forces_db, tmp_path) -> None:
    ds = load_dataset(forces_db)
    m = SimplifiedNNP(**_kw(max_epochs=3, patience=3)).fit(ds)
    path = m.save(tmp_path / "m")
    again = SimplifiedNNP.load(path)
    assert again.train_together is True and again.precision == "float64"
    doc = json.loads(path.read_text())
    del doc["params"]["train_together"]  # a file written before the parameters existed
    del doc["params"]["precision"]
    path.write_text(json.dumps(doc, indent=1))
    old = SimplifiedNNP.load(path)
    assert old.train_together is False and old.precision == "float64"


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_train_together_bad_values(forces_db, bad) -> None:
    with pytest.raises(InputError, match="train_together must be True or False"):
        SimplifiedNNP(train_together=bad).fit(load_dataset(forces_db))


@pytest.mark.parametrize("bad", ["float16", "double", None])
def test_precision_bad_values(forces_db, bad) -> None:
    with pytest.raises(InputError, match="precision must be 'float32' or 'float64'"):
        SimplifiedNNP(precision=bad).fit(load_dataset(forces_db))


def test_float32_training_reaches_the_float64_error_and_keeps_float64_weights(forces_db) -> None:
    ds = load_dataset(forces_db)
    kw = _kw(max_epochs=60, patience=60, lbfgs_steps=40)
    kw.pop("precision")
    f64 = SimplifiedNNP(precision="float64", **kw).fit(ds)
    f32 = SimplifiedNNP(precision="float32", **kw).fit(ds)
    assert all(w.dtype == torch.float64 for w in f32.weights_ + f32.biases_)
    assert f32.rmse_test_ == pytest.approx(f64.rmse_test_, rel=0.1)


def test_stacked_weights_evaluate_like_the_separate_members() -> None:
    from landscape.nnp.stacked_training import StackedMembers

    torch.manual_seed(0)
    members = StackedMembers.initialise([1, 2], 5, (4, 3), "tanh", "cpu")
    nets = members.to_members()
    x = torch.randn(7, 5, dtype=torch.float64)
    e = members.energy(x.expand(2, 7, 5))
    for m, net in enumerate(nets):
        torch.testing.assert_close(e[m], net(x)[:, 0], rtol=1e-12, atol=1e-12)


def _small_loss(*, n, F, M, hidden, take, forces=True, seed=0):
    """A stacked loss of ``M`` members (float64) on ``n`` random points, some without a reference
    force, and each member's ``take`` random training points, gathered."""
    from landscape.nnp.networks import TrainSettings
    from landscape.nnp.stacked_training import StackedMembers, _StackedLoss

    g = torch.Generator().manual_seed(seed)
    xs, ys = torch.randn(n, F, generator=g, dtype=torch.float64), torch.randn(n, generator=g)
    ws = torch.rand(n, generator=g, dtype=torch.float64) + 0.5
    jacobians_and_forces = (
        torch.randn(n, 3, F, generator=g, dtype=torch.float64),
        torch.randn(n, 3, generator=g, dtype=torch.float64),
        (torch.rand(n, generator=g) > 0.3).to(torch.float64),  # some points without forces
    )
    data = (xs, ys.to(torch.float64), ws, 0.7, jacobians_and_forces if forces else None)
    settings = TrainSettings("tanh", 1, 1, 1, 8, 0.01, 1e-3, 0.5)
    members = StackedMembers.initialise(list(range(1, M + 1)), F, hidden, "tanh", "cpu")
    loss = _StackedLoss(settings, members, data)
    idx = torch.stack([torch.randperm(n, generator=g)[:take] for _ in range(M)])  # (M, take)
    return loss, loss.take(idx)


@pytest.mark.parametrize("with_forces", [True, False])
@pytest.mark.parametrize("chunk", [7, 50, 64])
def test_chunked_loss_and_gradient_equal_the_whole_sets(with_forces, chunk) -> None:
    """L-BFGS evaluates the whole training set in chunks: the same loss and gradient (float64,
    to 1e-12) as one evaluation of every point, whether or not the chunk divides the points."""
    loss, pts = _small_loss(n=50, F=6, M=3, hidden=(5, 4), take=40, forces=with_forces, seed=0)
    members = loss.members
    whole = loss(pts)
    whole.sum().backward()
    expected = [p.grad.clone() for p in members.parameters()]
    for p in members.parameters():
        p.grad = None
    chunked = loss.backward_chunked(pts, chunk)
    np.testing.assert_allclose(chunked.numpy(), whole.detach().numpy(), rtol=1e-12)
    for p, e in zip(members.parameters(), expected, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), e.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("rows", [[0, 1], [1, 3], [0, 2, 3], [1, 2, 3]])
def test_some_members_loss_and_gradient_are_their_rows_of_all(rows) -> None:
    """A backtracking step evaluates only the members still searching: their losses and
    gradients are those of their rows when every member is evaluated, and the members'
    parameters are left as they were."""
    from landscape.nnp.stacked_training import loss_and_gradient

    loss, pts = _small_loss(n=30, F=5, M=4, hidden=(6, 4), take=20, seed=1)
    before = [p.detach().clone() for p in loss.members.parameters()]
    f_all, g_all = loss_and_gradient(loss, pts, 7)
    f_some, g_some = loss_and_gradient(loss, pts, 7, torch.tensor(rows))
    assert f_some.shape == (len(rows),) and g_some.shape == (len(rows), g_all.shape[1])
    np.testing.assert_allclose(f_some.numpy(), f_all[rows].numpy(), rtol=1e-13)
    np.testing.assert_allclose(g_some.numpy(), g_all[rows].numpy(), rtol=1e-12, atol=1e-15)
    for p, b in zip(loss.members.parameters(), before, strict=True):
        assert torch.equal(p.detach(), b)


def test_armijo_shortens_the_step_of_the_members_that_need_it_alone() -> None:
    """Three members on f_m(x) = a_m |x|² (a = 1, 10, 1), each along d = −x or −2x: members 0 and 2
    take the full step at once (to the minimum), member 1 overshoots and takes half of it. The
    second evaluation asks for member 1 with one other (a lone member rounds differently, so it
    never goes alone), and the minimum of each member is where it ends."""
    from landscape.nnp.stacked_training import _armijo

    a = torch.tensor([1.0, 10.0, 1.0], dtype=torch.float64)
    asked, state = [], {}

    def set_flat(x):
        state["x"] = x.clone()

    def evaluate(rows=None):
        asked.append(None if rows is None else rows.tolist())
        idx = torch.arange(3) if rows is None else rows
        x = state["x"][idx]
        return a[idx] * x.square().sum(1), 2 * a[idx, None] * x

    x = torch.ones(3, 2, dtype=torch.float64)
    f, g = a * x.square().sum(1), 2 * a[:, None] * x
    d = torch.stack([-x[0], -2 * x[1], -x[2]])
    f_new, g_new, x_new = _armijo(x, f, g, d, set_flat, evaluate)
    assert asked == [None, [0, 1]]
    np.testing.assert_allclose(x_new.numpy(), 0.0, atol=1e-15)
    np.testing.assert_allclose(f_new.numpy(), 0.0, atol=1e-15)
    assert torch.equal(state["x"], x_new)
