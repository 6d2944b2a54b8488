"""neural-tangents' stax layers, for building any architecture kdntk analyses.

neural-tangents 0.6.5 cannot be imported on current JAX (``import neural_tangents`` fails in its
TensorFlow-interop code), but its stax layers run unchanged; kdntk loads them privately and
re-exports them here. A stax network is a triple ``(init_fn, apply_fn, kernel_fn)``: the finite
network (``init_fn``, ``apply_fn``) and its closed-form infinite-width kernels (``kernel_fn``).
Every kdntk function that takes a network accepts such a triple or a [`kdntk.Network`][kdntk.Network].

Example:
  >>> import jax.numpy as jnp, kdntk
  >>> from kdntk import stax
  >>> cnn = stax.serial(stax.Conv(64, (3, 3), padding="SAME"), stax.Relu(),
  ...                   stax.GlobalAvgPool(), stax.Dense(1))
  >>> kdntk.ntk(cnn, jnp.ones((2, 8, 8, 1))).shape
  (2, 2)

Layers (see neural-tangents' documentation for each): ``Dense``, ``Conv``, ``ConvTranspose``,
``ConvLocal``, ``AvgPool``, ``SumPool``, ``GlobalAvgPool``, ``GlobalSumPool``, ``Flatten``,
``Identity``, ``DotGeneral``, ``Aggregate``, ``LayerNorm``, ``Dropout``, ``ImageResize``, ``Index``;
activations ``Relu``, ``LeakyRelu``, ``Abs``, ``Sign``, ``Erf``, ``Gelu``, ``Sin``, ``Cos``, ``Rbf``,
``Exp``, ``Sigmoid_like``, ``ABRelu``, ``Monomial``, ``RectifiedMonomial``, ``Polynomial``,
``Gaussian``, ``ExpNormalized``, ``Hermite``, ``Elementwise``, ``ElementwiseNumerical``;
combinators ``serial``, ``parallel``, ``FanOut``, ``FanInSum``, ``FanInProd``, ``FanInConcat``,
``repeat``. The names the installed neural-tangents defines are in ``__all__``.
"""

from kdntk._src.nt_loader import stax as _stax

__all__ = sorted(vars(_stax))

globals().update({name: getattr(_stax, name) for name in __all__})
