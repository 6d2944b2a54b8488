"""The trial engine: one key schedule and one set of arguments for every sweep.

Oracles: a sweep called with explicit inputs kdntk.trial_inputs(key, K, N) must return exactly
what it returns from the key alone (so every sweep draws the same inputs for a key); legacy and
typed keys of one seed must give identical results; a numpy loop for run_trials' statistics;
XLA's compile log for "compiled once".
"""

import csv
import dataclasses
import functools
import logging

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kdntk

TASK = kdntk.tasks.gaussian_mixture(jax.random.key(0), num_modes=2)
NET = kdntk.mlp(2)
K = 3


@functools.cache
def _snapshots():
    """Two untrained teachers of NET's shapes, built once from numpy (standard normal weights, as
    NET's init draws them): no compiled init program, and the same object for every sweep call."""
    shapes = jax.eval_shape(lambda k: NET.init_fn(k, (-1, 2))[1], jax.random.key(1))
    rng = np.random.default_rng(1)
    params = jax.tree_util.tree_map(lambda s: jnp.asarray(rng.normal(size=(2, *s.shape))), shapes)
    return kdntk.teachers.TeacherSnapshots(params, jnp.array([1, 4]), jnp.asarray(0.3), NET)


# name -> (sweep(key, **engine_kwargs) -> result, its per-trial field, N: the points it draws per trial)
SWEEPS = {
    "data_inefficiency": (lambda key, **kw: kdntk.data_inefficiency(
        TASK, NET, [2, 4], key=key, num_trials=K, init="network", **kw), "norms", 7),   # floor(5 sqrt 2)
    "transfer_risk_curve": (lambda key, **kw: kdntk.transfer_risk_curve(
        TASK, NET, [2, 4], key=key, num_trials=K, num_test=7, init="prior", **kw), "trial_risk", 4 + 7),
    "hard_label_effect_curve": (lambda key, **kw: kdntk.ji_zhu.hard_label_effect_curve(
        _snapshots(), TASK, NET, [2, 4], key=key, num_trials=K, **kw), "trial_projection", 4),
    "inefficiency_by_epoch": (lambda key, **kw: kdntk.ji_zhu.inefficiency_by_epoch(
        _snapshots(), NET, [2, 4], key=key, num_trials=K, init="zero", **kw), "norms", 7),
    "zero_function_comparison": (lambda key, **kw: kdntk.ji_zhu.zero_function_comparison(
        TASK, NET, [2, 4], key=key, num_trials=K, **kw), "zero_sq", 4 + 1),
    "run_trials": (lambda key, **kw: kdntk.run_trials(
        lambda x, k: jnp.sum(x, axis=0) + jax.random.normal(k), 5, key=key, num_trials=K, **kw), "values", 5),
}


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_every_sweep_uses_trial_inputs_and_accepts_legacy_keys(name):
    """Explicit inputs longer than a sweep needs are cut to its N, so one draw of 64 points per
    trial (whose prefixes are every sweep's inputs) serves every sweep; each result says which
    inputs it used."""
    sweep, field, n = SWEEPS[name]
    typed = sweep(jax.random.key(7))
    explicit = sweep(jax.random.key(7), inputs=kdntk.trial_inputs(jax.random.key(7), K, 64))
    legacy = sweep(jax.random.PRNGKey(7))
    np.testing.assert_array_equal(getattr(explicit, field), getattr(typed, field))
    np.testing.assert_array_equal(getattr(legacy, field), getattr(typed, field))
    assert typed.inputs == legacy.inputs == f"Gaussian N(0, 5^2 I_2), fresh draws per trial ({n} points each)"
    assert explicit.inputs == f"explicit: trial k uses inputs[k, :{n}] of the given array of shape ({K}, 64, 2)"


POOL = np.random.default_rng(0).normal(scale=5.0, size=(40, 2))


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_every_sweep_records_that_it_drew_without_replacement(name):
    sweep, _, n = SWEEPS[name]
    res = sweep(jax.random.key(7), inputs=kdntk.tasks.without_replacement(POOL))
    assert res.inputs == (f"without replacement from a data set of 40 points (an array), fresh draws per "
                          f"trial ({n} points each)")


def test_a_user_sampler_is_named_unless_it_describes_itself():
    def draw(key, n):
        return 5.0 * jax.random.normal(key, (n, 2))

    @dataclasses.dataclass(frozen=True)
    class Circle:
        description = "uniform on the circle of radius 5"

        def __call__(self, key, n):
            angle = jax.random.uniform(key, (n,), maxval=2 * jnp.pi)
            return 5.0 * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)

    def sums(inputs):
        return kdntk.run_trials(lambda x, k: jnp.sum(x**2, axis=1), 5, key=jax.random.key(0), num_trials=K,
                                inputs=inputs)

    named, circle = sums(draw), sums(Circle())
    assert named.inputs == ("user sampler test_a_user_sampler_is_named_unless_it_describes_itself.<locals>.draw, "
                            "fresh draws per trial (5 points each)")
    assert circle.inputs == "uniform on the circle of radius 5, fresh draws per trial (5 points each)"
    np.testing.assert_allclose(circle.values, 25.0)


def test_trial_inputs_prefixes_agree_across_sizes_and_trial_counts():
    """Trial k's first n inputs do not depend on N or K (partitionable threefry), so sweeps of
    different sizes built on one key share their inputs."""
    big = np.asarray(kdntk.trial_inputs(jax.random.key(3), 6, 40))
    small = np.asarray(kdntk.trial_inputs(jax.random.key(3), 4, 9))
    np.testing.assert_array_equal(big[:4, :9], small)
    key_input = jax.vmap(jax.random.split)(jax.random.split(jax.random.key(3), 6))[:, 0]
    normal = np.asarray(jax.vmap(lambda k: jax.random.normal(k, (40, 2)))(key_input))
    np.testing.assert_allclose(big, 5.0 * normal, rtol=1e-15)   # 5 x normal(input key): the schedule


def test_a_plain_stax_triple_is_a_network():
    triple = kdntk.stax.serial(kdntk.stax.Dense(64), kdntk.stax.Erf(), kdntk.stax.Dense(1))
    a = kdntk.data_inefficiency(TASK, triple, [2, 3], key=jax.random.key(0), num_trials=2, init="prior")
    b = kdntk.data_inefficiency(TASK, kdntk.Network(*triple), [2, 3], key=jax.random.key(0), num_trials=2,
                                init="prior")
    np.testing.assert_array_equal(a.norms, b.norms)
    with pytest.raises(TypeError, match="net must be a kdntk.Network or a stax triple"):
        kdntk.ntk(triple[:2], jnp.ones((2, 2)))


def test_run_trials_statistics_match_a_numpy_loop_over_the_same_inputs():
    def trial(x, key, scale):
        return {"sum": scale * jnp.sum(x), "noise": jax.random.normal(key, (2,))}

    res = kdntk.run_trials(trial, 6, key=jax.random.key(4), num_trials=5, args=(jnp.asarray(2.0),))
    xs = np.asarray(kdntk.trial_inputs(jax.random.key(4), 5, 6))
    sums = 2.0 * xs.sum(axis=(1, 2))
    np.testing.assert_allclose(res.values["sum"], sums, rtol=1e-12)
    np.testing.assert_allclose(res.mean["sum"], sums.mean(), rtol=1e-12)
    np.testing.assert_allclose(res.stderr["sum"], sums.std(ddof=1) / np.sqrt(5), rtol=1e-12)
    assert res.values["noise"].shape == (5, 2)


def test_the_trial_program_compiles_once_per_student_for_every_target(caplog):
    """A second target of another shape (a 3-mode mixture) recompiles only its own small program
    (evaluate), never the kernel-factorization-solve program of the student."""
    kw = dict(key=jax.random.key(2), num_trials=2, init="prior")
    kdntk.data_inefficiency(TASK, kdntk.mlp(4), [3], **kw)
    other = kdntk.tasks.gaussian_mixture(jax.random.key(9), num_modes=3)
    with caplog.at_level(logging.WARNING), jax.log_compiles():
        kdntk.data_inefficiency(other, kdntk.mlp(4), [3], **kw)
    compiled = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Compiling")]
    assert len(compiled) == 1, compiled            # the evaluate program of the new target
    caplog.clear()
    with caplog.at_level(logging.WARNING), jax.log_compiles():
        kdntk.data_inefficiency(other, kdntk.mlp(4), [3], **{**kw, "key": jax.random.key(5)})
    assert not [r for r in caplog.records if r.getMessage().startswith("Compiling")]


def test_binary_sweeps_solve_their_effective_logits_outside_the_trial_program(monkeypatch):
    """One logit: the engine's host step solves z_eff with the one program of every shape, so
    the trial programs (compiled per N) do not contain the solver, over half of their compile
    time. Checked by making the solver fail wherever a program traces it, except the block
    program, which holds the original (3-D inputs, N = 17 and 21: shapes no other test compiles,
    so the traces are fresh; the memory pre-check, which traces the solver for its shapes, is
    off). The numbers are the inlined ones (tests/test_effective.py) and the sweeps' own tests
    check them against brute force."""
    from kdntk._src import effective

    def traced(*args):
        raise AssertionError("a program traced the effective-logit solver")

    monkeypatch.setattr(effective, "_effective_block", traced)
    kw = dict(key=jax.random.key(3), num_trials=2, init="zero", soft_ratio=[0.5, 1.0], temperature=2.0,
              check_memory=False)
    target = lambda x: x[:, 0] - x[:, 2]   # noqa: E731  (3-D inputs: no other test's shapes)
    res = kdntk.data_inefficiency(target, NET, [16], window=1.0, input_dim=3, **kw)
    assert res.norms.shape == (1, 2, 2, 1) and np.all(np.isfinite(res.norms))
    curve = kdntk.transfer_risk_curve(target, NET, [20], num_test=1, input_dim=3, **kw)
    assert np.all(np.isfinite(curve.risk))


def test_sweep_memory_is_checked_for_the_whole_sweep_before_allocating():
    """10^9 trials: the host would hold ~10^11 bytes of results; the check raises at once,
    naming the bytes, before any key or input is drawn."""
    with pytest.raises(kdntk.InsufficientMemoryError, match="num_trials = 1,000,000,000"):
        kdntk.data_inefficiency(TASK, NET, [8], key=jax.random.key(0), num_trials=10**9)


def test_sweeps_under_jit_raise_a_clear_error():
    with pytest.raises(TypeError, match="call it outside jit"):
        jax.jit(lambda k: kdntk.data_inefficiency(TASK, NET, [2], key=k, num_trials=2).norms)(jax.random.key(0))


@pytest.mark.parametrize("bad,match", [
    (dict(num_trials=1), "num_trials"), (dict(num_trials=2.5), "num_trials"),
    (dict(trial_batch=0), "trial_batch"), (dict(block_rows=-3), "block_rows"),
    (dict(input_dim=0), "input_dim"), (dict(input_std=-1.0), "input_std"),
    (dict(dtype=jnp.int32), "dtype"), (dict(progress="yes"), "progress"),
    (dict(check_memory=None), "check_memory"), (dict(key=0), "key"),
    (dict(inputs=np.ones((3, 4))), "inputs"), (dict(inputs=np.ones((2, 4, 2))), "inputs"),
    (dict(inputs=np.ones((3, 2, 2))), "inputs"), (dict(devices=[]), "devices"),
])
def test_engine_arguments_are_validated_with_the_same_messages_in_every_sweep(bad, match):
    kw = {**dict(key=jax.random.key(0), num_trials=3), **bad}
    for sweep in (lambda: kdntk.data_inefficiency(TASK, NET, [3], **kw),
                  lambda: kdntk.transfer_risk_curve(TASK, NET, [3], num_test=1, **kw),
                  lambda: kdntk.run_trials(lambda x, k: x.sum(), 4, **kw)):
        with pytest.raises((ValueError, TypeError), match=match):
            sweep()


def test_results_have_fixed_rank_and_export_a_long_table(tmp_path):
    # K trials and sizes [2, 4]: the trial program of the data_inefficiency sweep above
    res = kdntk.data_inefficiency(TASK, NET, [2, 4], key=jax.random.key(0), num_trials=K, soft_ratio=0.5)
    assert res.inefficiency.shape == (1, 1, 2) and res.norms.shape == (1, 1, K, 2)
    table = res.to_dict()
    assert list(table)[:4] == ["teacher", "soft_ratio", "temperature", "n"]
    np.testing.assert_array_equal(table["n"], [2, 4])
    np.testing.assert_allclose(table["inefficiency"], np.asarray(res.inefficiency).ravel())
    assert list(table)[-1] == "inputs" and list(table["inputs"]) == [res.inputs] * 2
    res.to_csv(tmp_path / "r.csv")
    rows = (tmp_path / "r.csv").read_text().splitlines()
    assert rows[0].startswith("teacher,soft_ratio,temperature,n,inefficiency") and len(rows) == 3
    with open(tmp_path / "r.csv", newline="") as f:
        read = list(csv.DictReader(f))
    assert [row["inputs"] for row in read] == [res.inputs] * 2           # its commas quoted
    np.testing.assert_array_equal([float(row["inefficiency"]) for row in read], table["inefficiency"])
    # a pytree of its array fields; the description is static (jit and tree_map keep it)
    assert len(jax.tree_util.tree_leaves(res)) == len(dataclasses.fields(res)) - 1
    assert jax.tree_util.tree_map(lambda v: v, res).inputs == res.inputs
