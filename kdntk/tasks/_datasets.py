"""Real data sets that ship inside scikit-learn (no download), and the engine's way to use them:
each trial draws its n inputs from the data set without replacement, and the labels of any drawn
input are looked up by its value.

- [`digits`][kdntk.tasks.digits]: the UCI handwritten digits in scikit-learn, 1797 images of 8 x 8 pixels
  (values 0..16), 10 classes; as images (N, 8, 8, 1) or flat (N, 64).
- [`breast_cancer`][kdntk.tasks.breast_cancer]: the Wisconsin diagnostic breast-cancer set, 569 x 30 features, 2 classes
  (0 = malignant, 1 = benign, scikit-learn's coding).

Both come standardized (documented per loader) in float64 numpy arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from kdntk._src.checks import check_array, check_flag, check_integer, check_range
from kdntk._src.pytrees import dataclass_pytree

__all__ = ["Dataset", "digits", "breast_cancer", "WithoutReplacement", "without_replacement",
           "DatasetLabels", "dataset_labels"]


class Dataset(NamedTuple):
    """A finite labelled data set.

    Attributes:
      inputs: the points, shape (P, *features), standardized, float64.
      labels: their classes, shape (P,), integers in [0, num_classes).
      num_classes: C.
      name: where it comes from.
    """

    inputs: np.ndarray
    labels: np.ndarray
    num_classes: int
    name: str


def _load(name):
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError(f"kdntk.tasks.{name} needs scikit-learn, which ships the data set: "
                          "pip install 'kdntk[data]' (or scikit-learn).") from None
    return getattr(datasets, f"load_{name}")()


def digits(*, images: bool = True) -> Dataset:
    """scikit-learn's handwritten digits: 1797 images of 8 x 8 pixels, 10 classes.

    Pixels (0..16) are standardized with one mean and one standard deviation over all pixels of
    all images (so that an image stays an image: convolutions see the same contrast everywhere).

    Args:
      images: (N, 8, 8, 1) images for convolutional networks; False gives flat (N, 64) inputs.

    Example:
      >>> import kdntk
      >>> d = kdntk.tasks.digits()
      >>> d.inputs.shape, d.num_classes, round(float(d.inputs.std()), 6)
      ((1797, 8, 8, 1), 10, 1.0)
    """
    check_flag(images, "images")
    raw = _load("digits")
    x = np.asarray(raw.data, np.float64)
    x = (x - x.mean()) / x.std()
    x = x.reshape(-1, 8, 8, 1) if images else x
    return Dataset(x, np.asarray(raw.target, np.int64), 10, "scikit-learn digits")


def breast_cancer() -> Dataset:
    """scikit-learn's Wisconsin diagnostic breast-cancer set: 569 x 30, classes 0 (malignant) and
    1 (benign). Each feature is standardized to mean 0 and standard deviation 1.

    Example:
      >>> import kdntk
      >>> d = kdntk.tasks.breast_cancer()
      >>> d.inputs.shape, int(d.labels.sum())
      ((569, 30), 357)
    """
    raw = _load("breast_cancer")
    x = np.asarray(raw.data, np.float64)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return Dataset(x, np.asarray(raw.target, np.int64), 2, "scikit-learn breast cancer")


def _pool(data, name):
    if isinstance(data, Dataset):
        return _check_dataset(data, name)[0]
    return np.asarray(check_array(data, name, min_ndim=2))


def _check_dataset(data, name):
    """(inputs, labels) of a Dataset built by a user: finite points (P, *features) and P integer
    classes in [0, num_classes)."""
    if not isinstance(data, Dataset):
        raise TypeError(f"{name} must be a kdntk.tasks.Dataset, got {type(data).__name__}.")
    x = np.asarray(check_array(data.inputs, f"{name}.inputs", min_ndim=2))
    num_classes = check_integer(data.num_classes, f"{name}.num_classes", low=2)
    y = np.asarray(data.labels)
    if y.shape != x.shape[:1] or not (np.issubdtype(y.dtype, np.integer) or np.all(np.mod(y, 1) == 0)):
        raise ValueError(f"{name}.labels must be {x.shape[0]} integer classes, one per input, got shape "
                         f"{y.shape} and dtype {y.dtype}.")
    check_range(y, f"{name}.labels", low=0, high=num_classes - 1)
    return x, y.astype(np.int64)


@dataclass_pytree(["pool"], ["source"])
class WithoutReplacement:
    """An input sampler for the engine: ``sampler(key, n)`` returns n distinct rows of ``pool``,
    uniformly at random (a random permutation's first n). ``source`` names the data set in
    ``description``, which the sweeps record in their results' ``inputs``."""

    pool: Float[Array, "P *features"]
    source: str = "an array"

    @property
    def description(self) -> str:
        """How it draws, in words, e.g. "without replacement from a data set of 1797 points
        (scikit-learn digits)"."""
        return f"without replacement from a data set of {self.pool.shape[0]} points ({self.source})"

    def __call__(self, key, n: int):
        if n > self.pool.shape[0]:
            raise ValueError(f"a trial needs n = {n} inputs but the data set has only "
                             f"{self.pool.shape[0]}: lower the sample sizes.")
        return self.pool[jax.random.permutation(key, self.pool.shape[0])[:n]]


def without_replacement(data) -> WithoutReplacement:
    """The sampler that draws each trial's inputs from a finite data set without replacement;
    pass it as ``inputs=`` to any sweep.

    A sweep run with it records in its result's ``inputs`` where its inputs came from, e.g.
    "without replacement from a data set of 569 points (scikit-learn breast cancer), fresh draws
    per trial (9 points each)".

    Args:
      data: a [`Dataset`][kdntk.tasks.Dataset] (named by its ``name``) or an array of points
        (P, *features).

    Example:
      >>> import jax, kdntk
      >>> s = kdntk.tasks.without_replacement(kdntk.tasks.breast_cancer())
      >>> s(jax.random.key(0), 5).shape
      (5, 30)
      >>> s.description
      'without replacement from a data set of 569 points (scikit-learn breast cancer)'
    """
    pool = jnp.asarray(_pool(data, "data"))
    return WithoutReplacement(pool, str(data.name)) if isinstance(data, Dataset) else WithoutReplacement(pool)


def _row_hashes(x):
    """Two FNV-1a hashes of each row's float32 bits: (n, 2) uint32."""
    bits = jax.lax.bitcast_convert_type(jnp.asarray(x, jnp.float32).reshape(x.shape[0], -1), jnp.uint32)

    def mix(h, b):
        return (h ^ b) * jnp.uint32(16777619), None

    h1, _ = jax.lax.scan(mix, jnp.full(x.shape[:1], 2166136261, jnp.uint32), bits.T)
    h2, _ = jax.lax.scan(mix, jnp.full(x.shape[:1], 374761393, jnp.uint32), bits[:, ::-1].T)
    return h1, h2


@dataclass_pytree(["hashes", "pool", "values"])
class DatasetLabels:
    """``labels(x)``: the label of each row of x, found in the data set by its value (two 32-bit
    hashes of the row's float32 bits, then the row itself compared). Rows not in the data set get
    NaN, which the sweeps reject. A callable for the ``labels`` argument of the sweeps."""

    hashes: Int[Array, "2 P"]
    pool: Float[Array, "P *features"]
    values: Array      # (P,) classes or (P, C) one-hot rows

    def __call__(self, x):
        h1, h2 = _row_hashes(x)
        match = (h1[:, None] == self.hashes[0][None, :]) & (h2[:, None] == self.hashes[1][None, :])
        rows = jnp.argmax(match, axis=1)            # (n,): an n x P comparison, cheap for P ~ 1e3
        same = jnp.all(self.pool[rows].reshape(x.shape[0], -1).astype(jnp.float32)
                       == x.reshape(x.shape[0], -1).astype(jnp.float32), axis=1)
        labels = self.values[rows].astype(x.dtype)
        found = same.reshape(same.shape + (1,) * (labels.ndim - 1))
        return jnp.where(found, labels, jnp.nan)


def dataset_labels(data: Dataset, *, one_hot: bool = False, classes=None) -> DatasetLabels:
    """The data set's labels as a function of the input, for a sweep's ``labels`` argument.

    Args:
      data: a [`Dataset`][kdntk.tasks.Dataset] (its points and labels).
      one_hot: return one-hot rows (n, C) instead of the class (n,).
      classes: keep the class as is (None), or map it to 0/1 for a binary sweep: the classes in
        this sequence become 1, the others 0 (e.g. ``classes=[1]`` for breast_cancer's benign).

    Example:
      >>> import jax, kdntk, numpy as np
      >>> d = kdntk.tasks.breast_cancer()
      >>> labels = kdntk.tasks.dataset_labels(d)
      >>> x = np.asarray(kdntk.tasks.without_replacement(d)(jax.random.key(0), 4))
      >>> nearest = [int(np.abs(d.inputs - row).sum(axis=1).argmin()) for row in x]
      >>> labels(x).tolist() == d.labels[nearest].tolist()
      True
    """
    inputs, values = _check_dataset(data, "data")
    check_flag(one_hot, "one_hot")
    if classes is not None:
        chosen = np.asarray(classes)
        if chosen.ndim != 1 or chosen.size == 0 or not np.issubdtype(chosen.dtype, np.integer):
            raise ValueError(f"classes must be a non-empty sequence of class indices, got {classes!r}.")
        check_range(chosen, "classes", low=0, high=data.num_classes - 1)
        values = np.isin(values, chosen).astype(np.int64)
    if one_hot:
        values = np.eye(data.num_classes if classes is None else 2)[values]
    pool = jnp.asarray(inputs)
    hashes = np.stack([np.asarray(h) for h in _row_hashes(pool)])
    if len({(int(a), int(b)) for a, b in hashes.T}) < hashes.shape[1]:
        raise ValueError("the data set has rows that coincide in float32 (duplicate points): their "
                         "labels cannot be told apart by value.")
    return DatasetLabels(jnp.asarray(hashes), pool, jnp.asarray(values))
