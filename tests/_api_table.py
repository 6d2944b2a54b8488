"""The public API as a table: one minimal valid call per public callable, with what may go wrong.

The bad-input suite (tests/test_bad_input*.py) generates its cases from this table: for every
array argument NaN, inf, 0 rows, 0 features and a wrong shape; for every PRNG key a legacy key
(the same numbers as the typed key), an int seed and a batch of keys; for every user callable an
(n, 1) output (the same numbers as (n,)), a wrong output shape and NaN outputs; the explicit
out-of-range cases listed per entry; and, for traceable functions, jit and vmap (the same numbers)
and NaN under jit (a NaN in the result or an error, never a plausible number). Sizes are tiny and
arrays are numpy (nothing compiles at import), so the suite stays fast.

The oracle of every generated case is the error contract of docs/errors.md: a ValueError or
TypeError (or kdntk.KernelError / NumericalError) whose message names the argument, or a
documented special value, and never an internal JAX message.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

import kdntk
from kdntk import ji_zhu, nagarajan, tasks, teachers

# ---- tiny valid inputs (numpy, float64) -------------------------------------------------------

_rng = np.random.default_rng(0)
X = 2.0 * _rng.normal(size=(4, 2))              # 4 inputs in 2-D, well separated
X2 = 2.0 * _rng.normal(size=(3, 2))
_A = _rng.normal(size=(4, 4))
THETA = _A @ _A.T + 4.0 * np.eye(4)             # a well-conditioned SPD "kernel"
L = np.linalg.cholesky(THETA)
KXX = _rng.normal(size=(3, 4))                  # Theta(x_test, X)
V4 = np.array([0.5, -1.0, 2.0, 0.25])           # a right-hand side / logit vector of length N = 4
V4B = np.array([1.0, 0.5, -0.5, 1.5])
Z3 = np.array([-2.0, 0.5, 3.0])
Y3 = np.array([0.0, 1.0, 0.3])
PATH16 = np.sqrt(1.0 - 0.5 ** np.arange(1, 17))  # a converging norm path ||dw_n||, n = 1..16
ANGLES = np.array([0.0, 0.4, 1.2])
W3 = np.array([1.0, -0.5, 0.25])
X3D = _rng.normal(size=(2, 3))                  # n = 2 < d = 3
XT3D = _rng.normal(size=(5, 3))
CH_X = _rng.normal(size=(6, 3, 2))              # channel data (n, K, D)
CH_MU = _rng.normal(size=(3, 2))
CH_T = np.eye(3)[[0, 1, 2, 0, 1, 2]]
CH_P = np.full((6, 3), 1.0 / 3.0)
CH_Y = np.array([0, 1, 2, 0, 1, 2])
FEAT = np.abs(_rng.normal(size=(4, 6)))         # random features (N, F)
ONEHOT = np.eye(2)[[0, 1, 1, 0]]                # (N, K) one-hot targets
EIG = np.array([3.0, 1.0, 0.5])
SM_Z = np.array([[1.0, -0.5, 0.25], [0.0, 2.0, -1.0]])   # softmax logits (n = 2, C = 3)
SM_Y = np.array([[0.7, 0.2, 0.1], [0.0, 1.0, 0.0]])
KEY = jax.random.key(0)

NET = kdntk.mlp(2)
NET_TINY = kdntk.mlp(1, width=2)


def _stax_triple():
    return kdntk.stax.serial(kdntk.stax.Dense(8), kdntk.stax.Relu(), kdntk.stax.Dense(1))


TRIPLE = _stax_triple()


# Callables at module level, so that the sweeps' compiled programs are reused across cases.
def target(x):
    return jnp.sin(x[:, 0]) + 0.5 * x[:, 1]


def labels(x):
    return (x[:, 0] > 0).astype(x.dtype)


def linear_apply(params, x):
    return x @ params


def two_output_apply(params, x):
    return jnp.stack([x @ params, -(x @ params)], axis=-1)


def three_axes_apply(params, x):
    return jnp.stack([two_output_apply(params, x)] * 2, axis=-1)


def user_trial(x, key):
    return jnp.sum(x[:, 0]) + 0.0 * jax.random.normal(key)


def reverse_cdf_1(theta):
    return tasks.kappa_reverse_cdf(theta, kappa=1.0)


def sampler(key, n):
    return jax.random.normal(key, (n, 2))


# The (n,) and (n, 1) forms of a callable, and broken ones; hashable (static in the sweeps).
@dataclasses.dataclass(frozen=True)
class Column:
    """``fn`` returning (n, 1), as a stax or flax apply_fn does."""

    fn: Callable

    def __call__(self, x):
        return self.fn(x)[:, None]


@dataclasses.dataclass(frozen=True)
class MissingRow:
    """One value fewer than inputs: a wrong shape under every contract ((n,), (n, 1), (n, C))."""

    fn: Callable

    def __call__(self, x):
        return self.fn(x)[1:]


@dataclasses.dataclass(frozen=True)
class WithNaN:
    fn: Callable

    def __call__(self, x):
        return self.fn(x).at[0].set(jnp.nan)


@dataclasses.dataclass(frozen=True)
class Times:
    fn: Callable
    factor: float

    def __call__(self, x):
        return self.factor * self.fn(x)


def _tiny_params(epochs: int):
    """Parameters of NET_TINY (Dense(2), Relu, Dense(1)), stacked on an epoch axis, from numpy."""
    r = np.random.default_rng(1)
    return [(r.normal(size=(epochs, 2, 2)), r.normal(size=(epochs, 1, 2))), (),
            (r.normal(size=(epochs, 2, 1)), r.normal(size=(epochs, 1, 1)))]


SNAPSHOTS = teachers.TeacherSnapshots(_tiny_params(2), jnp.array([1, 4]), jnp.asarray(0.5), NET_TINY)
SINGLE_PARAMS = jax.tree_util.tree_map(lambda p: p[0], _tiny_params(1))
FLOW = teachers.FlowTeacher(X, np.stack([V4, V4B]), jnp.asarray(1.0), NET)
GMM = tasks.GaussianMixture(np.array([1.0, -1.0]), np.array([[0.0, 0.0], [2.0, 1.0]]), np.array([2.0, 3.0]))
CONFIG = dict(depth=1, width=4, batch_size=4, num_epochs=2)
DATA = tasks.Dataset(X, np.array([0, 1, 1, 0]), 2, "tiny")
_TINY_TEACHER = teachers.TeacherConfig(depth=1, width=4, batch_size=4, num_epochs=2)
ES_TINY = dict(num_modes=1, oracle=_TINY_TEACHER, teacher=_TINY_TEACHER, stop_epochs=(1, 2), student_depth=1,
               sample_sizes=(2, 3), init="zero", num_test=4)
HL_TINY = dict(ES_TINY, hard_label_trials=2)


def small_mlp(width):
    return kdntk.mlp(1, width=width)


def _nnx_model():
    from flax import nnx
    return nnx.Sequential(nnx.Linear(2, 4, rngs=nnx.Rngs(0)), nnx.relu, nnx.Linear(4, 1, rngs=nnx.Rngs(1)))


C5_TINY = dict(num_classes=3, dim=2, num_similar=1, num_train=4, num_test=2, epochs=1, batch_size=2)


# ---- the table ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Entry:
    """One public callable and a minimal valid call ``fn(**kwargs)``.

    Attributes:
      name: the public path, e.g. "kdntk.weight_norm_path".
      kwargs: a valid call.
      arrays: array arguments: NaN, inf, 0 rows, 0 features and a wrong shape are generated.
      shape: the arrays whose shape is constrained (by the others or by the function), with the
        axis to shorten by one; default every array of rank >= 1 on its last axis.
      keys: PRNG-key arguments.
      callables: user callables (logits, or "labels" with values in [0, 1]).
      bad: explicit cases (label, overrides, argument named in the message).
      expect: generated cases whose outcome is not an error: case id -> "valid" (must work) or
        "nan" (documented NaN result).
      traceable: jit and vmap over ``arrays`` give the eager numbers, and NaN under jit is never
        a plausible number.
      known: case id -> reason: a known failure in a file this suite's author may not edit
        (xfail, not strict).
      pairs: argument -> the other arguments its wrong shape may be reported under (a clash
        between two arguments names one of them).
    """

    name: str
    kwargs: dict
    arrays: tuple = ()
    shape: dict | None = None
    keys: tuple = ()
    callables: dict = dataclasses.field(default_factory=dict)
    bad: tuple = ()
    expect: dict = dataclasses.field(default_factory=dict)
    traceable: bool = False
    known: dict = dataclasses.field(default_factory=dict)
    pairs: dict = dataclasses.field(default_factory=dict)

    @property
    def fn(self) -> Callable:
        if self.name in CALL_OBJECTS:
            return CALL_OBJECTS[self.name]
        obj = kdntk
        for part in self.name.split(".")[1:]:
            obj = getattr(obj, part)
        return obj

    def call(self, **overrides):
        return self.fn(**{**self.kwargs, **overrides})

    def constrained(self) -> dict:
        if self.shape is not None:
            return self.shape
        return {a: -1 for a in self.arrays if np.ndim(self.kwargs[a]) >= 1}


NAN = float("nan")
INF = float("inf")

_SWEEP = dict(key=KEY, num_trials=2)
_INPUTS = np.asarray(2.0 * _rng.normal(size=(2, 5, 2)))   # explicit inputs (K, N', d), each sweep's N exactly

ENTRIES: list[Entry] = [
    # ---- kdntk: networks and kernels ----
    Entry("kdntk.Network", dict(init_fn=TRIPLE[0], apply_fn=TRIPLE[1], kernel_fn=TRIPLE[2]),
          bad=(("init_fn", dict(init_fn=None), "init_fn"),
               ("kernel_fn", dict(kernel_fn="ntk"), "kernel_fn"),
               ("spec", dict(spec=["mlp"]), "spec"))),
    Entry("kdntk.mlp", dict(depth=2),
          bad=(("depth0", dict(depth=0), "depth"), ("depth_frac", dict(depth=1.5), "depth"),
               ("depth_str", dict(depth="3"), "depth"), ("width0", dict(width=0), "width"),
               ("W_std", dict(W_std=-1.0), "W_std"), ("W_std_nan", dict(W_std=NAN), "W_std"),
               ("b_std", dict(b_std=-1.0), "b_std"), ("b_std_nan", dict(b_std=NAN), "b_std"),
               ("activation", dict(activation="tanhh"), "activation"))),
    Entry("kdntk.ntk", dict(net=NET, x1=X, x2=X2), arrays=("x1", "x2"), traceable=True,
          bad=(("net", dict(net=object()), "net"), ("block_rows", dict(block_rows=0), "block_rows"),
               ("x1_1d", dict(x1=X[:, 0]), "x1"))),
    Entry("kdntk.nngp", dict(net=NET, x1=X, x2=X2), arrays=("x1", "x2"), traceable=True,
          bad=(("net", dict(net=(1, 2)), "net"),)),
    Entry("kdntk.nnx_apply", dict(module=_nnx_model()), bad=(("module", dict(module=object()), "module"),)),
    Entry("kdntk.empirical_ntk", dict(apply_fn=linear_apply, params=np.ones(2), x1=X, x2=X2),
          arrays=("x1", "x2"),
          bad=(("three_axes", dict(apply_fn=three_axes_apply), "apply_fn"),
               ("apply_fn", dict(apply_fn=None), "apply_fn"))),
    # ---- kdntk: solves ----
    Entry("kdntk.cholesky", dict(theta=THETA), arrays=("theta",), traceable=True,
          bad=(("jitter_neg", dict(jitter=-1.0), "jitter"), ("jitter_nan", dict(jitter=NAN), "jitter"),
               ("jitter_inf", dict(jitter=INF), "jitter"), ("jitter_str", dict(jitter="a"), "jitter"),
               ("empty", dict(theta=np.zeros((0, 0))), "theta"),
               ("asymmetric", dict(theta=THETA + np.triu(np.ones((4, 4)), 1)), "theta"),
               ("nan_upper", dict(theta=np.where(np.triu(np.ones((4, 4)), 1) > 0, NAN, THETA)), "theta"),
               ("singular", dict(theta=np.ones((4, 4))), "theta"))),
    Entry("kdntk.weight_norm_path", dict(theta=THETA, dz=V4), arrays=("theta", "dz"), traceable=True,
          bad=(("batched_theta", dict(theta=np.stack([THETA, THETA])), "dz"),
               ("singular", dict(theta=np.ones((4, 4))), "theta"))),
    Entry("kdntk.weight_norm", dict(theta=THETA, dz=V4), arrays=("theta", "dz"), traceable=True),
    Entry("kdntk.weight_norm_mixed", dict(theta=THETA, dz=V4, sample_sizes=[2, 4]), arrays=("theta", "dz"),
          traceable=True,
          bad=(("float32", dict(theta=THETA.astype(np.float32)), "theta"),
               ("batched_theta", dict(theta=np.stack([THETA, THETA])), "theta"),
               ("size_high", dict(sample_sizes=[2, 5]), "sample_sizes"),
               ("size0", dict(sample_sizes=[0]), "sample_sizes"),
               ("size_scalar", dict(sample_sizes=4), "sample_sizes"),
               # positive definite in float64, singular once rounded to float32
               ("singular_float32", dict(theta=np.ones((4, 4)) + 1e-9 * np.eye(4)), "theta"))),
    Entry("kdntk.weight_norm_path_from_cholesky", dict(L=L, dz=V4), arrays=("L", "dz"), traceable=True,
          bad=(("upper", dict(L=L.T), "L"), ("not_a_factor", dict(L=-L), "L"))),
    Entry("kdntk.theta_inner", dict(theta=THETA, a=V4, b=V4B), arrays=("theta", "a", "b"), traceable=True,
          bad=(("batched_theta", dict(theta=np.stack([THETA, THETA])), "theta"),)),
    Entry("kdntk.theta_cosine", dict(theta=THETA, a=V4, b=V4B), arrays=("theta", "a", "b"), traceable=True),
    Entry("kdntk.theta_angle", dict(theta=THETA, a=V4, b=V4B), arrays=("theta", "a", "b"), traceable=True),
    Entry("kdntk.predict", dict(theta_test_train=KXX, theta=THETA, dz=V4, z0_test=Z3),
          arrays=("theta_test_train", "theta", "dz", "z0_test"), traceable=True,
          bad=(("batched_theta", dict(theta=np.stack([THETA, THETA])), "theta"),)),
    Entry("kdntk.prefix_predictions", dict(L=L, theta_test_train=KXX, dz=V4),
          arrays=("L", "theta_test_train", "dz"), traceable=True,
          bad=(("upper", dict(L=L.T), "L"),)),
    Entry("kdntk.gradient_flow", dict(theta=THETA, y=V4, t=np.array([0.5, 2.0])), arrays=("theta", "y", "t"),
          shape={"theta": -1, "y": -1}, traceable=True,
          expect={"inf:t": "valid"},
          bad=(("t_neg", dict(t=-1.0), "t"), ("t_2d", dict(t=np.ones((2, 2))), "t"),
               ("batched_theta", dict(theta=np.stack([THETA, THETA])), "theta"))),
    Entry("kdntk.gradient_flow_predict", dict(theta_test_train=KXX, theta=THETA, y=V4, t=1.0),
          arrays=("theta_test_train", "theta", "y"), traceable=True,
          bad=(("t_nan", dict(t=NAN), "t"),)),
    # ---- kdntk: effective logits and losses ----
    Entry("kdntk.effective_logits", dict(z_t=Z3, y_g=Y3, soft_ratio=np.array([0.2, 0.5, 0.9]),
                                         temperature=np.array([1.0, 2.0, 5.0])),
          arrays=("z_t", "y_g", "soft_ratio", "temperature"), traceable=True,
          bad=(("rho_high", dict(soft_ratio=1.5), "soft_ratio"), ("rho_neg", dict(soft_ratio=-0.1), "soft_ratio"),
               ("T0", dict(temperature=0.0), "temperature"), ("T_neg", dict(temperature=-1.0), "temperature"),
               ("y_high", dict(y_g=1.2), "y_g"), ("y_str", dict(y_g="a"), "y_g"))),
    Entry("kdntk.correction_logits", dict(z_t=Z3, y_g=Y3, temperature=np.array([1.0, 2.0, 5.0])),
          arrays=("z_t", "y_g", "temperature"), traceable=True,
          bad=(("T0", dict(temperature=0.0), "temperature"), ("y_neg", dict(y_g=-0.5), "y_g"))),
    Entry("kdntk.distillation_loss", dict(z_s=Z3, z_t=-Z3, y_g=Y3, soft_ratio=0.5, temperature=2.0),
          arrays=("z_s", "z_t", "y_g"), traceable=True,
          bad=(("y_2", dict(y_g=2.0), "y_g"), ("rho", dict(soft_ratio=1.5), "soft_ratio"),
               ("T", dict(temperature=0.0), "temperature"))),
    Entry("kdntk.distillation_loss_per_sample", dict(z_s=Z3, z_t=-Z3, y_g=Y3, soft_ratio=0.5, temperature=2.0),
          arrays=("z_s", "z_t", "y_g"), traceable=True,
          bad=(("y_2", dict(y_g=2.0), "y_g"), ("T_nan", dict(temperature=NAN), "temperature"))),
    Entry("kdntk.distillation_loss_grad", dict(z_s=Z3, z_t=-Z3, y_g=Y3, soft_ratio=0.5, temperature=2.0),
          arrays=("z_s", "z_t", "y_g"), traceable=True,
          bad=(("y_neg", dict(y_g=-1.0), "y_g"), ("rho_nan", dict(soft_ratio=NAN), "soft_ratio"))),
    Entry("kdntk.softmax_effective_logits", dict(z_t=SM_Z, y=SM_Y, soft_ratio=np.array([0.5, 0.8]), temperature=2.0),
          arrays=("z_t", "y"), traceable=True, pairs={"z_t": ("y",), "z_s": ("z_t", "y")},
          bad=(("rho", dict(soft_ratio=1.5), "soft_ratio"), ("T", dict(temperature=0.0), "temperature"),
               ("y_sum", dict(y=2 * SM_Y), "y"), ("y_int", dict(y=np.array([0, 3])), "y"))),
    Entry("kdntk.softmax_distillation_loss", dict(z_s=-SM_Z, z_t=SM_Z, y=SM_Y, soft_ratio=0.5, temperature=2.0),
          arrays=("z_s", "z_t", "y"), traceable=True, pairs={"z_t": ("y",), "z_s": ("z_t", "y")},
          bad=(("rho", dict(soft_ratio=1.5), "soft_ratio"), ("y_neg", dict(y=-SM_Y), "y"))),
    Entry("kdntk.softmax_distillation_loss_per_sample", dict(z_s=-SM_Z, z_t=SM_Z, y=SM_Y, soft_ratio=0.5,
                                                            temperature=2.0),
          arrays=("z_s", "z_t", "y"), traceable=True, pairs={"z_t": ("y",), "z_s": ("z_t", "y")}, bad=(("T", dict(temperature=-1.0), "temperature"),)),
    Entry("kdntk.softmax_distillation_loss_grad", dict(z_s=-SM_Z, z_t=SM_Z, y=SM_Y, soft_ratio=0.5, temperature=2.0),
          arrays=("z_s", "z_t", "y"), traceable=True, pairs={"z_t": ("y",), "z_s": ("z_t", "y")}, bad=(("y_int", dict(y=np.array([5, 0])), "y"),)),
    Entry("kdntk.binary_cross_entropy", dict(p=Y3, logits=Z3), arrays=("p", "logits"), traceable=True,
          bad=(("p_2", dict(p=2.0), "p"),)),
    Entry("kdntk.student_logit_changes", dict(target=target, net=NET, x=X, key=KEY, labels=labels,
                                              soft_ratio=0.5, init="zero"),
          arrays=("x",), shape={}, keys=("key",), callables={"target": "logits", "labels": "labels"},
          bad=(("init", dict(init="bogus"), "init"), ("reduction", dict(reduction=-1.0), "reduction"),
               ("rho", dict(soft_ratio=2.0), "soft_ratio"), ("net", dict(net="mlp"), "net"))),
    # ---- kdntk: transfer risk and Monte-Carlo statistics ----
    Entry("kdntk.transfer_risk", dict(z_teacher=V4, z_student=V4B), arrays=("z_teacher", "z_student"),
          traceable=True),
    Entry("kdntk.log_mean_ratio", dict(a=np.array([1.0, 2.0, 3.0]), b=np.array([2.0, 2.5, 1.0])),
          arrays=("a", "b"), traceable=True,
          bad=(("one_trial", dict(a=np.ones(1), b=np.ones(1)), "a"),
               ("negative", dict(a=-np.ones(3)), "a"))),
    Entry("kdntk.log_log_slope", dict(norms_small=np.array([1.0, 2.0, 3.0]), norms_large=np.array([2.0, 2.5, 4.0]),
                                      n_small=2, n_large=8),
          arrays=("norms_small", "norms_large"),
          bad=(("n_small0", dict(n_small=0), "n_small"), ("order", dict(n_large=1), "n_large"))),
    Entry("kdntk.windowed_slope", dict(paths=np.stack([PATH16, 2 * PATH16]), sizes=[2, 4]), arrays=("paths",), shape={},
          bad=(("window", dict(window=0.5), "window"), ("window_nan", dict(window=NAN), "window"),
               ("sizes0", dict(sizes=[0]), "sizes"), ("sizes_big", dict(sizes=[16]), "sizes"),
               ("one_trial", dict(paths=PATH16[None]), "paths"))),
    # ---- kdntk: the engine and its sweeps ----
    Entry("kdntk.run_trials", dict(trial=user_trial, num_points=3, **_SWEEP), keys=("key",),
          bad=(("num_points", dict(num_points=0), "num_points"), ("trial", dict(trial=3), "trial"),
               ("num_trials", dict(num_trials=1), "num_trials"), ("dtype", dict(dtype=jnp.int32), "dtype"),
               ("devices", dict(devices=[]), "devices"), ("progress", dict(progress="yes"), "progress"))),
    Entry("kdntk.trial_inputs", dict(key=KEY, num_trials=2, num_points=3), keys=("key",),
          bad=(("num_points", dict(num_points=0), "num_points"), ("num_trials", dict(num_trials=0), "num_trials"),
               ("input_std", dict(input_std=-1.0), "input_std"), ("input_dim", dict(input_dim=0), "input_dim"),
               ("inputs_nan", dict(inputs=np.full((2, 3, 2), NAN)), "inputs"),
               ("inputs_short", dict(inputs=np.ones((2, 2, 2))), "inputs"))),
    Entry("kdntk.trial_mesh", dict(devices=None),
          bad=(("empty", dict(devices=[]), "devices"), ("strings", dict(devices=["cpu"]), "devices"))),
    Entry("kdntk.data_inefficiency", dict(target=target, net=NET, sample_sizes=[2], soft_ratio=np.array([0.5, 1.0]),
                                          labels=labels,
                                          init="zero", window=1.0, inputs=_INPUTS[:, :3], **_SWEEP),
          arrays=("soft_ratio", "inputs"), shape={"inputs": 1}, keys=("key",),
          callables={"target": "logits", "labels": "labels"},
          bad=(("rho", dict(soft_ratio=2.0), "soft_ratio"), ("T", dict(temperature=-1.0), "temperature"),
               ("sizes0", dict(sample_sizes=[0, 2]), "sample_sizes"), ("sizes_empty", dict(sample_sizes=[]), "sample_sizes"),
               ("sizes_scalar", dict(sample_sizes=2), "sample_sizes"), ("sizes_frac", dict(sample_sizes=[1.5]), "sample_sizes"),
               ("init", dict(init="bogus"), "init"), ("window", dict(window=0.5), "window"),
               ("num_trials", dict(num_trials=1, inputs=None), "num_trials"), ("trial_batch", dict(trial_batch=0), "trial_batch"),
               ("dtype", dict(dtype=np.int32), "dtype"), ("input_std", dict(input_std=-1.0, inputs=None), "input_std"),
               ("reduction", dict(reduction=0.0), "reduction"), ("block_rows", dict(block_rows=0), "block_rows"),
               ("devices", dict(devices="cpu"), "devices"), ("progress", dict(progress="no"), "progress"),
               ("net", dict(net=None), "net"), ("target", dict(target=3.0), "target"),
               ("rho_T_shapes", dict(soft_ratio=np.array([0.5, 1.0]), temperature=np.array([1.0, 2.0, 3.0])), "temperature"),
               ("huge", dict(num_trials=10 ** 9, inputs=None), "num_trials"))),
    Entry("kdntk.transfer_risk_curve", dict(target=target, net=NET, sample_sizes=[2], num_test=3,
                                            ground_truth=target, labels=labels,
                                            inputs=_INPUTS, **_SWEEP),
          arrays=("inputs",), shape={"inputs": 1}, keys=("key",),
          callables={"target": "logits", "ground_truth": "logits", "labels": "labels"},
          bad=(("num_test", dict(num_test=0), "num_test"), ("init", dict(init="prior_"), "init"),
               ("rho0_hard", dict(soft_ratio=0.0), "soft_ratio"))),
    Entry("kdntk.finite_width_check", dict(target=target, make_net=small_mlp, x_train=X, x_test=X2, widths=[16],
                                           key=KEY, num_seeds=1, max_steps=20),
          arrays=("x_train", "x_test"), keys=("key",), callables={"target": "logits"},
          pairs={"x_train": ("x_test",), "x_test": ("x_train",)},
          bad=(("widths", dict(widths=[0]), "widths"), ("seeds", dict(num_seeds=0), "num_seeds"),
               ("steps", dict(max_steps=0), "max_steps"), ("tol", dict(tol=-1.0), "tol"),
               ("rho", dict(soft_ratio=2.0), "soft_ratio"), ("make_net", dict(make_net=None), "make_net"))),
    # ---- kdntk.ji_zhu ----
    Entry("kdntk.ji_zhu.cutoff_error", dict(z_t=Z3, soft_ratio=0.5, temperature=2.0), arrays=("z_t",), shape={},
          bad=(("rho", dict(soft_ratio=1.5), "soft_ratio"),)),
    Entry("kdntk.ji_zhu.cutoff_logits", dict(z_t=Z3, soft_ratio=0.5, temperature=2.0), arrays=("z_t",), shape={},
          bad=(("T", dict(temperature=0.0), "temperature"),)),
    Entry("kdntk.ji_zhu.label_smoothing_threshold", dict(soft_ratio=0.5, temperature=2.0),
          bad=(("rho", dict(soft_ratio=1.5), "soft_ratio"), ("T", dict(temperature=-2.0), "temperature"))),
    Entry("kdntk.ji_zhu.effective_logit_curves", dict(z_t=Z3, soft_ratio=np.array([0.2, 1.0]), temperature=5.0),
          arrays=("z_t", "soft_ratio"), shape={},
          bad=(("rho", dict(soft_ratio=[0.5, 1.5]), "soft_ratio"), ("z_2d", dict(z_t=np.ones((2, 2))), "z_t"))),
    Entry("kdntk.ji_zhu.feature_cosines", dict(z_eff=Z3, theta_diag=np.array([1.0, 2.0, 3.0]), oracle_norm=4.0),
          arrays=("z_eff", "theta_diag"), traceable=True,
          bad=(("norm0", dict(oracle_norm=0.0), "oracle_norm"), ("diag0", dict(theta_diag=np.zeros(3)), "theta_diag"))),
    Entry("kdntk.ji_zhu.ntk_reverse_angle_cdf", dict(z_eff=Z3, theta_diag=np.array([1.0, 2.0, 3.0]),
                                                     theta=ANGLES, oracle_norm=4.0),
          arrays=("z_eff", "theta_diag", "theta"), shape={"z_eff": -1, "theta_diag": -1},
          bad=(("theta_big", dict(theta=np.array([2.0])), "theta"),)),
    Entry("kdntk.ji_zhu.hard_label_effect", dict(theta=THETA, z_t=V4, y_g=np.array([1.0, 0.0, 1.0, 1.0]),
                                                 z_g=V4B, z0=0.1 * V4B),
          arrays=("theta", "z_t", "y_g", "z_g", "z0"), traceable=True,
          bad=(("y_2", dict(y_g=2 * np.ones(4)), "y_g"), ("T", dict(temperature=0.0), "temperature"))),
    Entry("kdntk.ji_zhu.hard_label_effect_path", dict(theta=THETA, z_t=V4, y_g=np.array([1.0, 0.0, 1.0, 1.0]),
                                                      z_g=V4B, z0=0.1 * V4B),
          arrays=("theta", "z_t", "y_g", "z_g", "z0"), traceable=True,
          bad=(("batched_theta", dict(theta=np.stack([THETA, THETA])), "theta"),)),
    Entry("kdntk.ji_zhu.student_oracle_cosine", dict(theta=THETA, z_t=V4, y_g=np.array([1.0, 0.0, 1.0, 1.0]),
                                                     z_g=V4B, z0=0.1 * V4B, soft_ratio=np.array([0.5, 1.0])),
          arrays=("theta", "z_t", "y_g", "z_g", "z0"),
          bad=(("rho", dict(soft_ratio=1.5), "soft_ratio"), ("y_neg", dict(y_g=-np.ones(4)), "y_g"))),
    Entry("kdntk.ji_zhu.ntk_alpha_bar", dict(norm_path=PATH16, oracle_norm=1.0), arrays=("norm_path",), shape={},
          traceable=True, bad=(("norm", dict(oracle_norm=-1.0), "oracle_norm"),)),
    Entry("kdntk.ji_zhu.ntk_diagonal", dict(net=NET, x=X), arrays=("x",), shape={}, traceable=True,
          bad=(("net", dict(net=None), "net"),)),
    Entry("kdntk.ji_zhu.ntk_risk_bound", dict(p=reverse_cdf_1, alpha_bar_n=np.array([0.1, 0.5])),
          arrays=("alpha_bar_n",), shape={},
          bad=(("alpha", dict(alpha_bar_n=2.0), "alpha_bar_n"), ("p", dict(p=(np.ones(3),)), "p"),
               ("p_values", dict(p=(np.linspace(0, np.pi / 2, 3), np.array([1.0, 2.0, 0.0]))), "p"))),
    Entry("kdntk.ji_zhu.oracle_norm_estimate", dict(norm_path=PATH16), arrays=("norm_path",), shape={},
          bad=(("doublings", dict(num_doublings=1), "num_doublings"), ("short", dict(norm_path=PATH16[:4]), "norm_path"),
               ("decreasing", dict(norm_path=PATH16[::-1]), "norm_path"))),
    Entry("kdntk.ji_zhu.vacuous_threshold", dict(cosines=np.array([0.1, 0.5])), arrays=("cosines",), shape={},
          traceable=True),
    Entry("kdntk.ji_zhu.hard_label_effect_curve", dict(teachers=FLOW, oracle=target, net=NET, sample_sizes=[2],
                                                       inputs=_INPUTS[:, :2], **_SWEEP),
          arrays=("inputs",), shape={"inputs": 1}, keys=("key",), callables={"oracle": "logits"},
          bad=(("T", dict(temperature=0.0), "temperature"), ("teachers", dict(teachers=None), "teachers"))),
    Entry("kdntk.ji_zhu.inefficiency_by_epoch", dict(snapshots=SNAPSHOTS, net=NET, sample_sizes=[2], init="zero",
                                                     inputs=_INPUTS[:, :3], **_SWEEP),
          arrays=("inputs",), shape={"inputs": 1}, keys=("key",),
          bad=(("snapshots", dict(snapshots=target), "snapshots"), ("rho", dict(soft_ratio=-1.0), "soft_ratio"))),
    Entry("kdntk.ji_zhu.zero_function_comparison", dict(target=target, net=NET, sample_sizes=[2], inputs=_INPUTS[:, :3],
                                                        **_SWEEP),
          arrays=("inputs",), shape={"inputs": 1}, keys=("key",), callables={"target": "logits"},
          bad=(("init", dict(init="zero"), "init"), ("reduction", dict(reduction=-1.0), "reduction"))),
    Entry("kdntk.ji_zhu.zero_function_flow", dict(target=target, net=NET, x=X, times=np.array([0.0, 1.0]), key=KEY),
          arrays=("x", "times"), shape={}, keys=("key",), callables={"target": "logits"},
          expect={"inf:times": "valid"},
          bad=(("init", dict(init="zero"), "init"), ("reduction", dict(reduction=0.0), "reduction"),
               ("times", dict(times=-1.0), "times"), ("net", dict(net=None), "net"))),
    Entry("kdntk.ji_zhu.EarlyStoppingConfig", dict(ES_TINY),
          bad=(("teacher", dict(teacher="cpu"), "teacher"), ("epochs", dict(stop_epochs=(2, 1)), "stop_epochs"),
               ("one_epoch", dict(stop_epochs=(2,)), "stop_epochs"), ("epochs_big", dict(stop_epochs=(1, 5)), "stop_epochs"),
               ("sizes", dict(sample_sizes=(3,)), "sample_sizes"), ("modes", dict(num_modes=0), "num_modes"),
               ("init", dict(init="zeros"), "init"), ("num_test", dict(num_test=0), "num_test"))),
    Entry("kdntk.ji_zhu.early_stopping_experiment",
          dict(config=ji_zhu.EarlyStoppingConfig(**ES_TINY), key=KEY, num_seeds=1, num_trials=2), keys=("key",),
          bad=(("config", dict(config=dict(ES_TINY)), "config"), ("seeds", dict(num_seeds=0), "num_seeds"),
               ("trials", dict(num_trials=1), "num_trials"))),
    Entry("kdntk.ji_zhu.HardLabelConfig", dict(HL_TINY),
          bad=(("oracle", dict(oracle=None), "oracle"), ("sizes", dict(sample_sizes=(3, 2)), "sample_sizes"),
               ("T", dict(temperature=0.0), "temperature"), ("trials", dict(hard_label_trials=1), "hard_label_trials"))),
    Entry("kdntk.ji_zhu.hard_label_experiment",
          dict(config=ji_zhu.HardLabelConfig(**HL_TINY), key=KEY, num_seeds=1, num_trials=2), keys=("key",),
          bad=(("config", dict(config=ji_zhu.EarlyStoppingConfig(**ES_TINY)), "config"),
               ("seeds", dict(num_seeds=1.5), "num_seeds"))),
    # ---- kdntk.phuong_lampert ----
    Entry("kdntk.phuong_lampert.approximate_distillation_bound",
          dict(p=reverse_cdf_1, n=np.array([2.0, 8.0]), epsilon=0.01, w_hat_norm=1.0, num_beta=33), arrays=("n",),
          shape={},
          bad=(("eps", dict(epsilon=-1.0), "epsilon"), ("eps_nan", dict(epsilon=NAN), "epsilon"),
               ("w_hat_norm0", dict(w_hat_norm=0.0), "w_hat_norm"), ("num_beta", dict(num_beta=0), "num_beta"))),
    Entry("kdntk.phuong_lampert.balanced_init", dict(key=KEY, dim=3, depth=2, width=4), keys=("key",),
          bad=(("dim0", dict(dim=0), "dim"), ("width0", dict(width=0), "width"), ("depth0", dict(depth=0), "depth"),
               ("scale", dict(scale=0.0), "scale"))),
    Entry("kdntk.phuong_lampert.deep_linear_distance_bound", dict(w0_norm=0.1, w_hat_norm=1.0, depth=2),
          bad=(("w0_nan", dict(w0_norm=NAN), "w0_norm"), ("w_hat_nan", dict(w_hat_norm=NAN), "w_hat_norm"),
               ("order", dict(w0_norm=2.0), "w_hat_norm"), ("depth", dict(depth=0), "depth"))),
    Entry("kdntk.phuong_lampert.deep_linear_flow",
          dict(weights=[0.1 * np.ones((1, 3))], x=X3D, targets=np.array([0.2, 0.9]), step_size=0.1, num_steps=4,
               record_every=2),
          arrays=("x", "targets"),
          bad=(("chain", dict(weights=[np.ones((2, 3)), np.ones((1, 4))]), "weights"),
               ("weights_nan", dict(weights=[np.full((1, 3), NAN)]), "weights"),
               ("num_steps0", dict(num_steps=0), "num_steps"), ("record", dict(record_every=3), "record_every"),
               ("targets", dict(targets=np.array([0.2, 1.5])), "targets"), ("step", dict(step_size=0.0), "step_size"))),
    Entry("kdntk.phuong_lampert.isotropic_reverse_angle_cdf", dict(theta=ANGLES, dim=3), arrays=("theta",), shape={},
          traceable=True, bad=(("dim", dict(dim=1), "dim"), ("theta", dict(theta=2.0), "theta"))),
    Entry("kdntk.phuong_lampert.isotropic_transfer_risk", dict(w=W3, w_star=np.array([1.0, 0.0, 0.0])),
          arrays=("w", "w_star"), traceable=True),
    Entry("kdntk.phuong_lampert.linear_distillation_loss", dict(w=W3, x=X3D, w_star=np.array([1.0, 0.0, 0.5])),
          arrays=("w", "x", "w_star"), traceable=True),
    Entry("kdntk.phuong_lampert.linear_distillation_loss_grad", dict(w=W3, x=X3D, w_star=np.array([1.0, 0.0, 0.5])),
          arrays=("w", "x", "w_star"), traceable=True),
    Entry("kdntk.phuong_lampert.linear_distillation_solution", dict(x=X3D, w_star=np.array([1.0, 0.0, 0.5])),
          arrays=("x", "w_star"), traceable=True),
    Entry("kdntk.phuong_lampert.linear_transfer_risk", dict(w=W3, w_star=np.array([1.0, 0.0, 0.5]), x_test=XT3D),
          arrays=("w", "w_star", "x_test"), traceable=True),
    Entry("kdntk.phuong_lampert.margin_bound", dict(gamma=np.array([0.5, 0.9, 0.2]), n=np.array([2.0, 4.0, 3.0])),
          arrays=("gamma", "n"), traceable=True, bad=(("gamma", dict(gamma=1.5), "gamma"), ("n", dict(n=-1.0), "n"))),
    Entry("kdntk.phuong_lampert.monotonicity_index",
          dict(w_star=np.array([1.0, 0.0, 0.5]), w_before=np.ones((2, 3)), w_after=np.array([[1.0, 0.1, 0.5], [0.0, 1.0, 0.0]])),
          arrays=("w_star", "w_before", "w_after"), traceable=True),
    Entry("kdntk.phuong_lampert.perturbed_minimizer", dict(key=KEY, x=X3D[:1], w_hat=W3, delta=0.5),
          arrays=("x", "w_hat"), keys=("key",),
          bad=(("delta_nan", dict(delta=NAN), "delta"), ("delta_neg", dict(delta=-1.0), "delta"),
               ("n_ge_d", dict(x=XT3D), "x"))),
    Entry("kdntk.phuong_lampert.polynomial_bound", dict(kappa=np.array([1.0, 2.0, 0.5]), n=np.array([2.0, 4.0, 3.0])),
          arrays=("kappa", "n"), traceable=True, bad=(("c", dict(c=2.0), "c"), ("n", dict(n=0.5), "n"))),
    Entry("kdntk.phuong_lampert.reverse_angle_cdf", dict(w=W3, x=XT3D, theta=ANGLES), arrays=("w", "x", "theta"),
          shape={"w": -1, "x": -1}, traceable=True),
    Entry("kdntk.phuong_lampert.reverse_cdf", dict(angles=np.array([0.1, 0.5, 1.5]), theta=ANGLES),
          arrays=("angles", "theta"), shape={}, traceable=True,
          bad=(("angles_2d", dict(angles=np.ones((2, 2))), "angles"), ("theta", dict(theta=np.array([-1.0])), "theta"))),
    Entry("kdntk.phuong_lampert.risk_bound", dict(p=reverse_cdf_1, n=np.array([2.0, 8.0]), num_beta=33),
          arrays=("n",), shape={},
          bad=(("n", dict(n=-1.0), "n"), ("num_beta", dict(num_beta=1), "num_beta"), ("p", dict(p="p"), "p"))),
    Entry("kdntk.phuong_lampert.risk_bound_curve", dict(p=reverse_cdf_1, beta=ANGLES, n=np.array([2.0, 8.0])),
          arrays=("beta", "n"), shape={}, bad=(("beta", dict(beta=np.array([3.0])), "beta"),)),
    Entry("kdntk.phuong_lampert.signed_angle", dict(u=W3, v=np.array([1.0, 0.0, 0.5])), arrays=("u", "v"),
          traceable=True),
    Entry("kdntk.phuong_lampert.unsigned_angle", dict(u=W3, v=np.array([1.0, 0.0, 0.5])), arrays=("u", "v"),
          traceable=True),
    # ---- kdntk.nagarajan ----
    Entry("kdntk.nagarajan.channel_accuracy", dict(weights=CH_MU, inputs=CH_X, labels=CH_Y),
          arrays=("weights", "inputs"), traceable=True,
          bad=(("labels_range", dict(labels=CH_Y + 3), "labels"), ("labels_shape", dict(labels=CH_Y[:5]), "labels"))),
    Entry("kdntk.nagarajan.channel_logits", dict(weights=CH_MU, inputs=CH_X), arrays=("weights", "inputs"),
          traceable=True),
    Entry("kdntk.nagarajan.class_cosines", dict(weights=CH_MU + 0.1, class_vectors=CH_MU),
          arrays=("weights", "class_vectors"), traceable=True),
    Entry("kdntk.nagarajan.gradient_sign_fraction", dict(inputs=CH_X, class_vectors=CH_MU, targets=CH_T, probs=CH_P),
          arrays=("inputs", "class_vectors", "targets", "probs"), traceable=True),
    Entry("kdntk.nagarajan.support_agreement_fraction", dict(inputs=CH_X, class_vectors=CH_MU, targets=CH_T),
          arrays=("inputs", "class_vectors", "targets"), traceable=True,
          bad=(("threshold", dict(threshold=2.0), "threshold"),)),
    Entry("kdntk.nagarajan.train_channel_classifier", dict(key=KEY, inputs=CH_X, targets=CH_T, epochs=2, batch_size=3),
          arrays=("inputs", "targets"), shape={"inputs": 1, "targets": 1}, keys=("key",),
          bad=(("batch", dict(batch_size=0), "batch_size"), ("epochs", dict(epochs=-1), "epochs"),
               ("lr", dict(learning_rate=0.0), "learning_rate"), ("init", dict(init=np.ones((2, 2))), "init"))),
    Entry("kdntk.nagarajan.GradientSpaceConfig", dict(C5_TINY),
          bad=(("classes", dict(num_classes=1), "num_classes"), ("margin", dict(margin=2.0), "margin"),
               ("epochs", dict(epochs=-1), "epochs"), ("scaling", dict(scaling="x"), "scaling"))),
    Entry("kdntk.nagarajan.gradient_space_experiment",
          dict(config=nagarajan.GradientSpaceConfig(**C5_TINY), key=KEY, num_seeds=2), keys=("key",),
          bad=(("num_seeds", dict(num_seeds=0), "num_seeds"), ("config", dict(config=dict(C5_TINY)), "config"))),
    Entry("kdntk.nagarajan.cross_entropy_feature_trajectory",
          dict(features=FEAT, targets=ONEHOT, steps=2, learning_rate=0.1, directions=(0, 1)),
          arrays=("features", "targets"), shape={"targets": 0},
          bad=(("steps", dict(steps=0), "steps"), ("link", dict(link="relu"), "link"),
               ("directions", dict(directions=(9,)), "directions"), ("lr", dict(learning_rate=-1.0), "learning_rate"))),
    Entry("kdntk.nagarajan.distilled_flow", dict(theta=THETA, y=V4, t=np.array([0.5, 1.0]), t_teacher=2.0),
          arrays=("theta", "y", "t"), shape={"theta": -1, "y": -1}, expect={"inf:t": "valid"}, traceable=True,
          bad=(("t", dict(t=-1.0), "t"), ("t_teacher", dict(t_teacher=NAN), "t_teacher"))),
    Entry("kdntk.nagarajan.distilled_flow_predict", dict(theta_test_train=KXX, theta=THETA, y=V4, t=1.0),
          arrays=("theta_test_train", "theta", "y"), traceable=True),
    Entry("kdntk.nagarajan.distilled_sparsifier", dict(eigenvalues=EIG, t=np.array([0.5, 1.0]), t_teacher=2.0),
          arrays=("eigenvalues", "t"), shape={}, expect={"inf:t": "valid"}, traceable=True,
          bad=(("eig", dict(eigenvalues=-EIG), "eigenvalues"),)),
    Entry("kdntk.nagarajan.eigensystem", dict(theta=THETA), arrays=("theta",), traceable=True,
          bad=(("asymmetric", dict(theta=THETA + np.triu(np.ones((4, 4)), 1)), "theta"),)),
    Entry("kdntk.nagarajan.linear_flow_weights", dict(x=X3D, y=np.array([1.0, -1.0]), t=1.0), arrays=("x", "y"),
          shape={"y": -1}, traceable=True),
    Entry("kdntk.nagarajan.weight_projections", dict(theta=THETA, y=V4, t=1.0, directions=(0, 2)),
          arrays=("theta", "y"), traceable=True,
          bad=(("directions", dict(directions=(4,)), "directions"), ("directions_neg", dict(directions=(-1,)), "directions"))),
    Entry("kdntk.nagarajan.gradient_quality", dict(key=KEY, alpha=0.5, alpha_teacher=2.0, tau=1.0, m=2, dim=3,
                                                   num_classes=3),
          keys=("key",),
          bad=(("m", dict(m=0), "m"), ("dim", dict(dim=1), "dim"), ("classes", dict(num_classes=2), "num_classes"),
               ("tau", dict(tau=0.0), "tau"), ("eps", dict(eps=2.0), "eps"), ("alpha_nan", dict(alpha=NAN), "alpha"))),
    Entry("kdntk.nagarajan.similarity_probabilities", dict(alpha=np.array([0.5, 1.0]), tau=1.0, num_classes=3),
          arrays=("alpha",), shape={}, traceable=True,
          bad=(("classes", dict(num_classes=1), "num_classes"), ("classes_frac", dict(num_classes=2.5), "num_classes"))),
    Entry("kdntk.nagarajan.logit_transformed_probability", dict(logits=np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 2.0]]),
                                                                labels=np.array([0, 2])),
          arrays=("logits",), shape={"logits": 0}, traceable=True,
          bad=(("labels_range", dict(labels=np.array([0, 3])), "labels"),
               ("labels_float", dict(labels=np.array([0.5, 1.0])), "labels"))),
    Entry("kdntk.nagarajan.random_relu_features", dict(key=KEY, x=X, num_features=5), arrays=("x",), shape={},
          keys=("key",), bad=(("features", dict(num_features=0), "num_features"),)),
    Entry("kdntk.nagarajan.sparsification_theorem", dict(eigenvalue_top=np.array([2.0, 3.0]), eigenvalue_bottom=1.0,
                                                         alpha_star=0.5),
          arrays=("eigenvalue_top",), shape={}, traceable=True,
          bad=(("alpha", dict(alpha_star=1.0), "alpha_star"), ("order", dict(eigenvalue_bottom=5.0), "eigenvalue_top"))),
    Entry("kdntk.nagarajan.sparsifier", dict(eigenvalues=EIG, t=np.array([0.5, 1.0])), arrays=("eigenvalues", "t"),
          shape={}, expect={"inf:t": "valid"}, traceable=True,
          bad=(("t", dict(t=-1.0), "t"), ("eig", dict(eigenvalues=-EIG), "eigenvalues"))),
    Entry("kdntk.nagarajan.switched_flow", dict(theta=THETA, y_first=V4, y_second=V4B, t=np.array([0.5, 2.0]),
                                               t_switch=1.0),
          arrays=("theta", "y_first", "y_second", "t"), shape={"theta": -1, "y_first": -1, "y_second": -1},
          expect={"inf:t": "valid"},
          bad=(("t_switch", dict(t_switch=-1.0), "t_switch"), ("kxX", dict(theta_test_train=np.ones((2, 3))), "theta_test_train"))),
    Entry("kdntk.nagarajan.switching_gain_recovered",
          dict(theta=THETA, labels=V4, teacher_targets=V4B, t_switch=np.array([0.0, 1.0]), t_end=2.0, eval_targets=V4),
          arrays=("theta", "labels", "teacher_targets", "t_switch", "eval_targets"), shape={"theta": -1, "labels": -1,
                                                                                           "teacher_targets": -1, "eval_targets": -1},
          bad=(("t_end", dict(t_end=-1.0), "t_end"), ("t_switch", dict(t_switch=np.array([3.0])), "t_switch"))),
    Entry("kdntk.nagarajan.teacher_student_deviations", dict(theta=THETA, theta_test_train=KXX, targets=V4,
                                                             t_teacher=1.0, t_student=2.0),
          arrays=("theta", "theta_test_train", "targets"),
          bad=(("t", dict(t_student=-1.0), "t_student"),)),
    # ---- kdntk.tasks ----
    Entry("kdntk.tasks.sample_inputs", dict(key=KEY, n=3), keys=("key",),
          bad=(("n0", dict(n=0), "n"), ("dim0", dict(dim=0), "dim"), ("std", dict(std=-1.0), "std"),
               ("std_nan", dict(std=NAN), "std"), ("dtype", dict(dtype=jnp.int32), "dtype"))),
    Entry("kdntk.tasks.gaussian_mixture", dict(key=KEY, num_modes=2), keys=("key",),
          bad=(("modes0", dict(num_modes=0), "num_modes"), ("dim0", dict(dim=0), "dim"),
               ("amplitude", dict(amplitude=NAN), "amplitude"), ("center_std", dict(center_std=-1.0), "center_std"),
               ("width", dict(width=0.0), "width"), ("spread", dict(spread=1.0), "spread"))),
    Entry("kdntk.tasks.GaussianMixture", dict(amplitudes=GMM.amplitudes, centers=GMM.centers, widths=GMM.widths)),
    Entry("kdntk.tasks.sign_flip", dict(key=KEY, target=target, p_flip=0.25), keys=("key",),
          bad=(("p_flip", dict(p_flip=1.5), "p_flip"), ("target", dict(target=1.0), "target"))),
    Entry("kdntk.tasks.SignFlip", dict(target=target, key=KEY, p_flip=np.asarray(0.25))),
    Entry("kdntk.tasks.random_logits", dict(key=KEY, scale=2.0), keys=("key",),
          bad=(("scale", dict(scale=-1.0), "scale"), ("scale_inf", dict(scale=INF), "scale"))),
    Entry("kdntk.tasks.RandomLogits", dict(key=KEY, scale=np.asarray(2.0))),
    Entry("kdntk.tasks.hard_labels", dict(target=target), bad=(("target", dict(target="f"), "target"),)),
    Entry("kdntk.tasks.HardLabels", dict(target=target)),
    Entry("kdntk.tasks.kappa_reverse_cdf", dict(theta=ANGLES, kappa=2.0), arrays=("theta",), shape={}, traceable=True,
          bad=(("kappa", dict(kappa=0.0), "kappa"), ("theta", dict(theta=np.array([2.0])), "theta"))),
    Entry("kdntk.tasks.kappa_task", dict(key=KEY, kappa=1.0, w_star=np.array([1.0, 0.5]), n=3), arrays=("w_star",),
          shape={}, keys=("key",),
          bad=(("n0", dict(n=0), "n"), ("kappa", dict(kappa=-1.0), "kappa"), ("w0", dict(w_star=np.zeros(2)), "w_star"))),
    Entry("kdntk.tasks.logit_grid", dict(fn=target, extent=1.0, resolution=3), callables={"fn": "logits"},
          bad=(("extent", dict(extent=0.0), "extent"), ("resolution", dict(resolution=1), "resolution"))),
    Entry("kdntk.tasks.noisy_mnist_standin", dict(key=KEY, n=3, side=4, num_classes=3), keys=("key",),
          bad=(("n0", dict(n=0), "n"), ("n_frac", dict(n=1.5), "n"), ("label_noise", dict(label_noise=2.0), "label_noise"),
               ("pixel_noise", dict(pixel_noise=NAN), "pixel_noise"))),
    Entry("kdntk.tasks.class_similarity_dataset", dict(key=KEY, n=3, num_classes=3, dim=2, num_similar=1), keys=("key",),
          bad=(("n0", dict(n=0), "n"), ("margin", dict(margin=1.0), "margin"), ("scaling", dict(scaling="x"), "scaling"))),
    Entry("kdntk.tasks.digits", dict(), bad=(("images", dict(images="yes"), "images"),)),
    Entry("kdntk.tasks.without_replacement", dict(data=X), arrays=("data",), shape={},
          bad=(("type", dict(data="digits"), "data"), ("labels", dict(data=DATA._replace(labels=np.arange(4))), "data"))),
    Entry("kdntk.tasks.dataset_labels", dict(data=DATA),
          bad=(("type", dict(data=X), "data"), ("one_hot", dict(one_hot="yes"), "one_hot"),
               ("classes", dict(classes=[5]), "classes"), ("classes_empty", dict(classes=[]), "classes"),
               ("labels_range", dict(data=DATA._replace(labels=np.array([0, 1, 2, 0]))), "data"),
               ("labels_shape", dict(data=DATA._replace(labels=np.array([0, 1]))), "data"),
               ("inputs_nan", dict(data=DATA._replace(inputs=np.where(X > 1e9, 0, np.nan))), "data"),
               ("duplicates", dict(data=DATA._replace(inputs=np.ones((4, 2)))), "data"))),
    # ---- kdntk.teachers ----
    Entry("kdntk.teachers.train_on_data", dict(inputs=X, labels=np.array([0.0, 1.0, 1.0, 0.0]), key=KEY, net=NET_TINY,
                                               num_epochs=2),
          arrays=("inputs", "labels"), shape={"labels": -1}, keys=("key",),
          pairs={"labels": ("inputs",)},
          bad=(("epochs", dict(num_epochs=0), "num_epochs"), ("lr", dict(learning_rate=0.0), "learning_rate"),
               ("batch", dict(batch_size=10), "batch_size"), ("labels_range", dict(labels=np.array([0, 1, 2, 0.5])), "labels"),
               ("stop", dict(stop_epochs=[3]), "stop_epochs"), ("reduction", dict(reduction=0.0), "reduction"),
               ("net", dict(net=None), "net"))),
    Entry("kdntk.teachers.TeacherConfig", dict(CONFIG),
          bad=(("depth", dict(depth=0), "depth"), ("width", dict(width=1.5), "width"),
               ("lr", dict(learning_rate=0.0), "learning_rate"), ("reduction", dict(reduction=-1.0), "reduction"),
               ("epochs", dict(num_epochs=0), "num_epochs"), ("std", dict(input_std=0.0), "input_std"))),
    Entry("kdntk.teachers.train_teacher", dict(ground_truth=target, key=KEY,
                                               config=teachers.TeacherConfig(**CONFIG), stop_epochs=[1, 2]),
          keys=("key",), callables={"ground_truth": "logits"},
          bad=(("stop", dict(stop_epochs=[2, 1]), "stop_epochs"), ("stop_big", dict(stop_epochs=[5]), "stop_epochs"),
               ("config", dict(config=dict(CONFIG)), "config"))),
    Entry("kdntk.teachers.flow_teacher", dict(net=NET, x_train=X, labels=V4, t=np.array([1.0, 10.0])),
          arrays=("x_train", "labels", "t"), shape={"labels": -1}, expect={"inf:t": "valid"},
          bad=(("reduction", dict(reduction=0.0), "reduction"), ("t", dict(t=-1.0), "t"))),
    Entry("kdntk.teachers.hard_label_loss", dict(net=NET_TINY, params=SINGLE_PARAMS, x=X, y=labels(X)),
          arrays=("x", "y"), shape={"y": -1}, traceable=True,
          bad=(("y_2", dict(y=2.0 * np.ones(4)), "y"),)),
    Entry("kdntk.teachers.Teacher", dict(params=SINGLE_PARAMS, reduction=np.asarray(0.5), net=NET_TINY)),
    Entry("kdntk.teachers.TeacherSnapshots", dict(params=_tiny_params(2), epochs=np.array([1, 4]),
                                                  reduction=np.asarray(0.5), net=NET_TINY)),
    Entry("kdntk.teachers.FlowTeacher", dict(x_train=X, coefficients=V4, reduction=np.asarray(1.0), net=NET)),
]

# ---- kdntk.plotting: figures of given results (numpy only; valid calls also in test_plotting_*.py) ----
_N3 = np.array([4, 8, 16])
_E13 = np.ones((1, 1, 2))
_INPUTS = "Gaussian N(0, 5^2 I_2), fresh draws per trial (17 points each)"   # the sweep results' inputs field
CURVES = ji_zhu.EffectiveLogitCurves(z_t=Z3, soft_ratio=np.ones(1), temperature=np.ones(1),
                                     correct=Z3[None], wrong=-Z3[None])
RISK_CURVE = kdntk.TransferRiskCurve(
    sample_sizes=_N3, soft_ratio=np.ones(1), temperature=np.ones(1), risk=np.array([[[0.3, 0.2, 0.1]]]),
    risk_stderr=np.full((1, 1, 3), 0.01), error=np.zeros((1, 1, 3)), error_stderr=np.zeros((1, 1, 3)),
    trial_risk=np.zeros((1, 1, 2, 3)), trial_error=np.zeros((1, 1, 2, 3)), inputs=_INPUTS)
_P = np.array([[1.0, 2.0, 3.0], [-0.1, -0.2, -0.3]])
HARD_CURVE = ji_zhu.HardLabelCurve(sample_sizes=_N3, projection=_P, projection_stderr=0.1 * np.abs(_P),
                                   derivative=_P, derivative_stderr=_P, trial_projection=_P[:, None],
                                   trial_derivative=_P[:, None], inputs=_INPUTS)
INEFFICIENCY = kdntk.DataInefficiency(
    sample_sizes=np.array([2, 4]), soft_ratio=np.ones(1), temperature=np.ones(1), inefficiency=0.5 * _E13,
    inefficiency_stderr=0.1 * _E13, mean_norm=_E13, std_norm=0.1 * _E13, norms=np.ones((1, 1, 2, 2)),
    next_norms=np.ones((1, 1, 2, 2)), slope=0.5 * _E13, slope_stderr=0.1 * _E13, window=np.asarray(1.0),
    inputs=_INPUTS)
ZERO = ji_zhu.ZeroFunctionComparison(sample_sizes=_N3, task_sq=np.ones((1, 2, 3)), zero_sq=0.1 * np.ones((1, 2, 3)),
                                     log_ratio=np.zeros((1, 3)), log_ratio_stderr=np.zeros((1, 3)), inputs=_INPUTS)
GRID = tasks.LogitGrid(np.linspace(-1.0, 1.0, 3), np.arange(9.0).reshape(3, 3) - 4)
DEVIATIONS = nagarajan.Deviations(Z3, 0.5 * Z3, Z3, 0.5 * Z3, np.array([0, 1, 1]), np.array([0, 1, 1]))
THEOREM = nagarajan.SparsificationTheorem(*(np.array([0.1, 0.2]) for _ in range(6)))
_T3 = np.array([0.5, 1.0, 2.0])
_W2K2 = np.array([[0.3, 0.2], [0.1, 0.12]])
FINITE = kdntk.FiniteWidthCheck(widths=np.array([16, 256]), train_gap=_W2K2, test_gap=_W2K2, test_gap_empirical=_W2K2,
                                norm_gap=_W2K2, norm_gap_empirical=_W2K2, class_mean_gap=0 * _W2K2,
                                steps=np.full((2, 2), 10), gradient_norm=1e-8 + 0 * _W2K2)

FIGURES: list[Entry] = [
    Entry("kdntk.plotting.plot_finite_width", dict(check=FINITE),
          bad=(("type", dict(check=ZERO), "check"), ("fields", dict(fields=("gap",)), "check"))),
    Entry("kdntk.plotting.plot_class_cosines", dict(teacher_cosines=Z3, student_cosines=Y3),
          bad=(("length", dict(student_cosines=Y3[:2]), "student_cosines"), ("type", dict(teacher_cosines="a"), "teacher_cosines"))),
    Entry("kdntk.plotting.plot_deviations", dict(deviations=DEVIATIONS), bad=(("type", dict(deviations=Z3), "deviations"),)),
    Entry("kdntk.plotting.plot_eigen_trajectories", dict(teacher=np.ones((3, 2)), student=np.ones((2, 2))),
          bad=(("shape", dict(student=np.ones((2, 3))), "student"), ("type", dict(teacher=None), "teacher"))),
    Entry("kdntk.plotting.plot_loss_switching", dict(t=_T3, curves={"one-hot": Z3, "distilled": Y3}),
          bad=(("length", dict(curves={"one-hot": Z3[:2]}), "curves"), ("type", dict(curves=Z3), "curves"))),
    Entry("kdntk.plotting.plot_sparsification", dict(alpha_star=np.array([0.3, 0.6]), theorem=THEOREM),
          bad=(("type", dict(theorem=(1, 2)), "theorem"), ("length", dict(alpha_star=_T3), "alpha_star"))),
    Entry("kdntk.plotting.plot_inefficiency", dict(curves=INEFFICIENCY),
          bad=(("type", dict(curves=Z3), "curves"), ("label", dict(curves={"a": RISK_CURVE}), "curves"))),
    Entry("kdntk.plotting.plot_effective_logits_fig1", dict(by_soft_ratio=CURVES, by_temperature=CURVES),
          bad=(("type", dict(by_temperature=Z3), "by_temperature"),)),
    Entry("kdntk.plotting.plot_transfer_risk", dict(curve=RISK_CURVE), bad=(("type", dict(curve=INEFFICIENCY), "curve"),)),
    Entry("kdntk.plotting.plot_teacher_and_student_1d",
          dict(x=Z3, ground_truth=Z3, teacher_logits=np.stack([Z3, 2 * Z3]), epochs=[1, 2], z_eff=Z3[None],
               soft_ratios=[0.5]),
          bad=(("epochs", dict(epochs=[1]), "epochs"), ("z_eff", dict(z_eff=np.ones((1, 2))), "z_eff"))),
    Entry("kdntk.plotting.plot_inefficiency_by_epoch", dict(result=INEFFICIENCY, epochs=[4]),
          bad=(("epochs", dict(epochs=[1, 2]), "epochs"), ("type", dict(result=RISK_CURVE), "result"))),
    Entry("kdntk.plotting.plot_imperfect_distillation", dict(soft_ratios=Y3, error=Y3, stderr=0.1 * Y3),
          bad=(("length", dict(error=Y3[:2]), "error"),)),
    Entry("kdntk.plotting.plot_hard_label_projection", dict(curve=HARD_CURVE, teachers=[4, 1024]),
          bad=(("teachers", dict(teachers=[4]), "teachers"), ("type", dict(curve=RISK_CURVE), "curve"))),
    Entry("kdntk.plotting.plot_teacher_boundary", dict(grid=GRID), bad=(("type", dict(grid=np.ones((3, 3))), "grid"),)),
    Entry("kdntk.plotting.plot_zero_function", dict(comparison=ZERO), bad=(("type", dict(comparison=INEFFICIENCY), "comparison"),)),
    Entry("kdntk.plotting.plot_reverse_angle_cdf", dict(curves={"p": (ANGLES, np.array([1.0, 0.5, 0.1]))}),
          bad=(("pair", dict(curves={"p": ANGLES}), "curves"), ("length", dict(curves={"p": (ANGLES, Y3[:2])}), "curves"))),
    Entry("kdntk.plotting.plot_risk_vs_kappa", dict(kappas=_T3, risk=Y3, stderr=0.1 * Y3, bound=Y3),
          bad=(("bound", dict(bound=Y3[:2]), "bound"), ("type", dict(risk={"a": 1}), "risk"))),
    Entry("kdntk.plotting.plot_optimization_bias", dict(deltas=_T3, risk=Y3, stderr=0.1 * Y3),
          bad=(("length", dict(stderr=Y3[:1]), "stderr"),)),
    Entry("kdntk.plotting.plot_monotonicity", dict(points={"w_hat": (0.5, 0.1, 0.01, 0.01)}),
          bad=(("point", dict(points={"w_hat": (0.5, 0.1)}), "points"), ("type", dict(points=[0.5]), "points"))),
    Entry("kdntk.plotting.plot_ntk_risk_bound", dict(n=_T3, risk=Y3 + 0.1, risk_stderr=0.01 * Y3, bound=Y3 + 0.2,
                                                     alpha_bar_n=Y3),
          bad=(("length", dict(alpha_bar_n=Y3[:2]), "alpha_bar_n"),)),
    Entry("kdntk.plotting.plot_ntk_diagonal_ratio", dict(scales=[0.1, 1.0], ratios=[Y3 + 0.1, Y3 + 0.2]),
          bad=(("length", dict(scales=[0.1]), "scales"), ("type", dict(ratios=[None, Y3]), "ratios"))),
]

# Calls of callable objects a user builds or receives: their argument is the inputs x.
CALLS: list[Entry] = [
    Entry("kdntk.tasks.GaussianMixture.__call__", dict(x=X), arrays=("x",), traceable=True),
    Entry("kdntk.teachers.TeacherSnapshots.__call__", dict(x=X), arrays=("x",), traceable=True),
    Entry("kdntk.teachers.FlowTeacher.__call__", dict(x=X), arrays=("x",), traceable=True),
]
CALL_OBJECTS = {"kdntk.tasks.GaussianMixture.__call__": GMM,
                "kdntk.teachers.TeacherSnapshots.__call__": SNAPSHOTS,
                "kdntk.teachers.FlowTeacher.__call__": FLOW}

NO_USER_INPUT = {
    # namespaces: their names have entries of their own
    "kdntk.ji_zhu", "kdntk.nagarajan", "kdntk.phuong_lampert", "kdntk.tasks", "kdntk.teachers",
    # neural-tangents' stax layers, re-exported as they are (tests/test_kernels.py, test_nt_loader.py)
    "kdntk.stax",
    # functions without arguments
    "kdntk.phuong_lampert.linear", "kdntk.tasks.zero_function", "kdntk.tasks.breast_cancer", "kdntk.tasks.ZeroFunction",
    # constants
    "kdntk.tasks.INPUT_STD", "kdntk.teachers.CPU", "kdntk.ji_zhu.FIG4_CPU", "kdntk.ji_zhu.FIG4_PAPER",
    "kdntk.ji_zhu.FIG5_CPU", "kdntk.ji_zhu.FIG5_PAPER", "kdntk.teachers.PAPER", "kdntk.nagarajan.C5_LITERAL",
    "kdntk.nagarajan.C5_PAPER_MATCH",
    # error and warning types
    "kdntk.KernelError", "kdntk.NumericalError", "kdntk.PrecisionWarning", "kdntk.InsufficientMemoryError",
}
RESULT_TYPES = {
    # results: frozen dataclasses / named tuples that kdntk returns (and JAX rebuilds as pytrees,
    # with placeholders or transformed leaves, so they are not validated on construction)
    "kdntk.DataInefficiency", "kdntk.Estimate", "kdntk.TransferRisk", "kdntk.TransferRiskCurve", "kdntk.Trials",
    "kdntk.ji_zhu.EffectiveLogitCurves", "kdntk.ji_zhu.HardLabelCurve", "kdntk.ji_zhu.HardLabelEffect",
    "kdntk.ji_zhu.OracleNorm", "kdntk.ji_zhu.ZeroFunctionComparison",
    "kdntk.nagarajan.ChannelClassifier", "kdntk.nagarajan.Deviations", "kdntk.nagarajan.Eigensystem",
    "kdntk.nagarajan.FeatureTrajectory", "kdntk.nagarajan.GradientQuality", "kdntk.nagarajan.SparsificationTheorem",
    "kdntk.nagarajan.SwitchingGain", "kdntk.nagarajan.GradientSpaceResult", "kdntk.tasks.ClassSimilarityData", "kdntk.tasks.LogitGrid",
    "kdntk.tasks.NoisyImages", "kdntk.FiniteWidthCheck", "kdntk.ji_zhu.EarlyStoppingExperiment",
    "kdntk.ji_zhu.HardLabelExperiment", "kdntk.ji_zhu.ZeroFunctionFlow",
    # callables that kdntk.tasks builds from a data set (validated there: without_replacement,
    # dataset_labels), and the data-set record they read (validated by them)
    "kdntk.tasks.DatasetLabels", "kdntk.tasks.WithoutReplacement", "kdntk.tasks.Dataset",
}

KNOWN = {}
