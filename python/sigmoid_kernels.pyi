"""Logistic sigmoid kernels on NumPy arrays (type stub; docstrings live in the module)."""

from typing import Any, Dict, Literal, Optional, Tuple, TypeVar, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Float = TypeVar("_Float", np.float16, np.float32, np.float64)

def sigmoid(
    x: npt.ArrayLike, out: Optional[npt.NDArray[_Float]] = None
) -> npt.NDArray[_Float]:
    """Exact tier: float32 ≤ 1 ULP; float64 in double precision (≤ 2.5 ULP);
    float16 and ml_dtypes.bfloat16 correctly rounded, same dtype out."""

def sigmoid_fast(
    x: npt.NDArray[np.float32], out: Optional[npt.NDArray[np.float32]] = None
) -> npt.NDArray[np.float32]:
    """Fast tier, float32: relative error ≤ 1e-4 where σ(x) ≥ 2^-126."""

def sigmoid_cr(
    x: npt.NDArray[np.float32], out: Optional[npt.NDArray[np.float32]] = None
) -> npt.NDArray[np.float32]:
    """Correctly rounded tier, float32: σ(x) rounded to the nearest float32, the same bits everywhere."""

def sigmoid_backward(
    y: npt.NDArray[np.float32],
    dy: npt.NDArray[np.float32],
    out: Optional[npt.NDArray[np.float32]] = None,
) -> npt.NDArray[np.float32]:
    """dx = dy·y·(1−y) from the forward output y, ≤ 2 ULP."""

def hard_sigmoid(
    x: npt.NDArray[np.float32], out: Optional[npt.NDArray[np.float32]] = None
) -> npt.NDArray[np.float32]:
    """PyTorch hardsigmoid, bit for bit: min(max(x + 3, 0), 6) / 6."""

def hard_sigmoid_backward(
    x: npt.NDArray[np.float32],
    dy: npt.NDArray[np.float32],
    out: Optional[npt.NDArray[np.float32]] = None,
) -> npt.NDArray[np.float32]:
    """dx = dy/6 where −3 < x < 3, else +0."""

def hard_sigmoid_affine(
    x: npt.NDArray[np.float32],
    alpha: float = 0.2,
    beta: float = 0.5,
    out: Optional[npt.NDArray[np.float32]] = None,
) -> npt.NDArray[np.float32]:
    """ONNX HardSigmoid: max(0, min(1, alpha·x + beta))."""

def hard_sigmoid_affine_backward(
    x: npt.NDArray[np.float32],
    dy: npt.NDArray[np.float32],
    alpha: float = 0.2,
    beta: float = 0.5,
    out: Optional[npt.NDArray[np.float32]] = None,
) -> npt.NDArray[np.float32]:
    """dx = dy·alpha where 0 < alpha·x + beta < 1, else +0."""

def plan_sigmoid(
    x: npt.NDArray[np.float32], out: Optional[npt.NDArray[np.float32]] = None
) -> npt.NDArray[np.float32]:
    """PLAN piecewise-linear σ (power-of-two slopes)."""

def plan_sigmoid_backward(
    x: npt.NDArray[np.float32],
    dy: npt.NDArray[np.float32],
    out: Optional[npt.NDArray[np.float32]] = None,
) -> npt.NDArray[np.float32]:
    """Slope of the PLAN piece times dy."""

def softplus(
    x: npt.NDArray[np.float32], out: Optional[npt.NDArray[np.float32]] = None
) -> npt.NDArray[np.float32]:
    """log(1 + e^x), float32, ≤ 2 ULP for every input, no overflow."""

def log_sigmoid(
    x: npt.NDArray[np.float32], out: Optional[npt.NDArray[np.float32]] = None
) -> npt.NDArray[np.float32]:
    """log σ(x) = −softplus(−x), float32, ≤ 2 ULP for every input."""

def softplus_fast(
    x: npt.NDArray[np.float32], out: Optional[npt.NDArray[np.float32]] = None
) -> npt.NDArray[np.float32]:
    """Fast softplus, float32: relative error ≤ 1e-4 where the result is ≥ 2^-126."""

def log_sigmoid_fast(
    x: npt.NDArray[np.float32], out: Optional[npt.NDArray[np.float32]] = None
) -> npt.NDArray[np.float32]:
    """Fast log-sigmoid, float32: relative error ≤ 1e-4 where |result| ≥ 2^-126."""

def sigmoid_backward_from_input(
    x: npt.NDArray[np.float32],
    dy: npt.NDArray[np.float32],
    out: Optional[npt.NDArray[np.float32]] = None,
) -> npt.NDArray[np.float32]:
    """dx = dy·σ(x)·σ(−x) from the forward input x, ≤ 2 ULP, no cancellation."""

def backend() -> str:
    """The CPU instruction set in use, e.g. "avx2+fma"."""

def parallel_threshold() -> int:
    """Length from which the kernels use all threads."""

def set_parallel_threshold(n: Optional[int]) -> None:
    """Set parallel_threshold(); None turns threads off."""

class Int8Sigmoid:
    """σ on int8 codes through a table: exact for every code."""

    def __init__(
        self,
        scale: float,
        zero_point: int,
        out_scale: float = 1 / 256,
        out_zero_point: int = -128,
    ) -> None: ...
    def __call__(
        self, q: npt.NDArray[np.int8], out: Optional[npt.NDArray[np.int8]] = None
    ) -> npt.NDArray[np.int8]: ...
    @property
    def scale(self) -> float: ...
    @property
    def zero_point(self) -> int: ...
    @property
    def out_scale(self) -> float: ...
    @property
    def out_zero_point(self) -> int: ...

class Uint8Sigmoid:
    """σ on uint8 codes through a table: exact for every code."""

    def __init__(
        self,
        scale: float,
        zero_point: int,
        out_scale: float = 1 / 256,
        out_zero_point: int = 0,
    ) -> None: ...
    def __call__(
        self, q: npt.NDArray[np.uint8], out: Optional[npt.NDArray[np.uint8]] = None
    ) -> npt.NDArray[np.uint8]: ...
    @property
    def scale(self) -> float: ...
    @property
    def zero_point(self) -> int: ...
    @property
    def out_scale(self) -> float: ...
    @property
    def out_zero_point(self) -> int: ...

class Q15Sigmoid:
    """Integer-only σ on int16 Qm.n codes, Q0.15 out, ≤ 1 LSB."""

    def __init__(self, frac_bits: int) -> None: ...
    def __call__(
        self, q: npt.NDArray[np.int16], out: Optional[npt.NDArray[np.int16]] = None
    ) -> npt.NDArray[np.int16]: ...
    @property
    def frac_bits(self) -> int: ...

_Reduction = Literal["none", "mean", "mean_last_axis", "sum"]
_Loss = Union[float, npt.NDArray[np.float32]]

def bce_with_logits(
    x: npt.NDArray[np.float32],
    t: npt.NDArray[np.float32],
    weight: Optional[npt.NDArray[np.float32]] = None,
    pos_weight: Optional[npt.NDArray[np.float32]] = None,
    reduction: _Reduction = "mean",
    label_smoothing: float = 0.0,
    grad: bool = False,
) -> Union[_Loss, Tuple[_Loss, npt.NDArray[np.float32]]]:
    """BCE on logits (PyTorch semantics), fused with dL/dx when grad=True: (loss, dx)."""

def bce(
    p: npt.NDArray[np.float32],
    t: npt.NDArray[np.float32],
    weight: Optional[npt.NDArray[np.float32]] = None,
    pos_weight: Optional[npt.NDArray[np.float32]] = None,
    reduction: _Reduction = "mean",
    label_smoothing: float = 0.0,
    grad: bool = False,
) -> Union[_Loss, Tuple[_Loss, npt.NDArray[np.float32]]]:
    """BCE on probabilities p in [0, 1] (PyTorch BCELoss: logs clamped at -100)."""

def silu(
    x: npt.NDArray[np.float32], out: Optional[npt.NDArray[np.float32]] = None
) -> npt.NDArray[np.float32]:
    """SiLU x·σ(x), ≤ 2 ULP; −inf → −0."""

def silu_backward(
    x: npt.NDArray[np.float32],
    dy: npt.NDArray[np.float32],
    out: Optional[npt.NDArray[np.float32]] = None,
) -> npt.NDArray[np.float32]:
    """dx = dy·σ(x)·(1 + x·(1−σ(x))) from the forward input x."""

def grad_stats(
    g: npt.NDArray[np.float32], threshold: Optional[float] = None
) -> Dict[str, Any]:
    """count, nan, pos_inf, neg_inf, l2_norm, max_abs, mean_abs, threshold,
    below, fraction_below, histogram [(label, count)]."""
