"""Fixed-point numbers with the semantics of Xilinx ``ap_fixed`` / ``ap_ufixed`` / ``ap_int``.

A :class:`FixedType` is ``width`` bits of which ``integer`` are integer bits (the sign bit
included when signed), so a value is ``raw * 2**-frac`` with ``frac = width - integer``.
Values are carried around as *raw* integers in numpy arrays: ``int64`` while every value
fits in 62 bits, Python integers in an ``object`` array beyond that, so no width ever
silently loses bits.  Quantization (rounding) happens first, on the exact value; overflow
handling then applies to the rounded value, exactly as ``ap_fixed`` does.

This module is the one definition of numbers in rtlnn: the emulator computes with it and
the hardware generators derive every bit width and every cast from it.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, replace

import numpy as np

__all__ = [
    "Rounding",
    "Overflow",
    "FixedType",
    "FixedFormatError",
    "parse_type",
    "raw_array",
]

#: Values whose magnitude needs more bits than this are kept as Python integers.
_INT64_SAFE_BITS = 62


class FixedFormatError(ValueError):
    """A precision string or fixed-point parameter that cannot be understood."""


class Rounding(enum.Enum):
    """Quantization modes of ``ap_fixed`` (the ``AP_`` prefix dropped)."""

    TRN = "TRN"  #: truncate toward minus infinity (the default)
    TRN_ZERO = "TRN_ZERO"  #: truncate toward zero
    RND = "RND"  #: round to nearest, ties toward plus infinity
    RND_ZERO = "RND_ZERO"  #: round to nearest, ties toward zero
    RND_MIN_INF = "RND_MIN_INF"  #: round to nearest, ties toward minus infinity
    RND_INF = "RND_INF"  #: round to nearest, ties away from zero
    RND_CONV = "RND_CONV"  #: round to nearest, ties to even


class Overflow(enum.Enum):
    """Overflow modes of ``ap_fixed`` (the ``AP_`` prefix dropped)."""

    WRAP = "WRAP"  #: keep the low ``width`` bits (two's complement wrap; the default)
    SAT = "SAT"  #: clamp to the largest / smallest value
    SAT_ZERO = "SAT_ZERO"  #: an out-of-range value becomes zero
    SAT_SYM = "SAT_SYM"  #: signed: clamp to +-max, so the most negative code is never produced by overflow


def _mode(enum_cls, text: str, what: str):
    name = text.strip().upper()
    if name.startswith("AP_"):
        name = name[3:]
    try:
        return enum_cls(name)
    except ValueError:
        valid = ", ".join(m.value for m in enum_cls)
        raise FixedFormatError(f"unknown {what} mode {text.strip()!r}; valid: {valid}") from None


@dataclass(frozen=True, order=True)
class FixedType:
    """A fixed-point type: ``width`` bits, ``integer`` integer bits, sign, rounding, overflow."""

    width: int
    integer: int
    signed: bool = True
    rounding: Rounding = Rounding.TRN
    overflow: Overflow = Overflow.WRAP

    def __post_init__(self):
        if not isinstance(self.width, (int, np.integer)) or isinstance(self.width, bool):
            raise FixedFormatError(f"width must be an integer, not {self.width!r}")
        if not isinstance(self.integer, (int, np.integer)) or isinstance(self.integer, bool):
            raise FixedFormatError(f"integer bits must be an integer, not {self.integer!r}")
        if self.width < 1:
            raise FixedFormatError(f"width must be at least 1, not {self.width}")
        if self.signed and self.width < 2 and self.overflow is Overflow.SAT_SYM:
            raise FixedFormatError("SAT_SYM needs a signed width of at least 2 bits")
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "integer", int(self.integer))
        object.__setattr__(self, "rounding", Rounding(self.rounding))
        object.__setattr__(self, "overflow", Overflow(self.overflow))

    # ---------------------------------------------------------------- properties
    @property
    def frac(self) -> int:
        """Number of fractional bits (may be negative, as for ``ap_fixed<8,10>``)."""
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        """The value of one least significant bit."""
        return math.ldexp(1.0, -self.frac)

    @property
    def min_raw(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_raw(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def min_value(self) -> float:
        return math.ldexp(self.min_raw, -self.frac)

    @property
    def max_value(self) -> float:
        return math.ldexp(self.max_raw, -self.frac)

    @property
    def is_default_modes(self) -> bool:
        return self.rounding is Rounding.TRN and self.overflow is Overflow.WRAP

    def with_modes(self, rounding=None, overflow=None) -> "FixedType":
        return replace(
            self,
            rounding=self.rounding if rounding is None else Rounding(rounding),
            overflow=self.overflow if overflow is None else Overflow(overflow),
        )

    # ---------------------------------------------------------------- text
    def __str__(self) -> str:
        base = "fixed" if self.signed else "ufixed"
        args = [str(self.width), str(self.integer)]
        if not self.is_default_modes:
            args += [self.rounding.value, self.overflow.value]
        return f"{base}<{','.join(args)}>"

    def ap_str(self) -> str:
        """The equivalent Vivado/Vitis HLS C++ type, e.g. ``ap_fixed<16,6,AP_RND,AP_SAT>``."""
        base = "ap_fixed" if self.signed else "ap_ufixed"
        args = [str(self.width), str(self.integer)]
        if not self.is_default_modes:
            args += ["AP_" + self.rounding.value, "AP_" + self.overflow.value]
        return f"{base}<{','.join(args)}>"

    @classmethod
    def parse(cls, text: "str | FixedType") -> "FixedType":
        return parse_type(text)

    # ---------------------------------------------------------------- conversions
    def quantize(self, values) -> np.ndarray:
        """Float values to raw integers of this type (rounding, then overflow)."""
        x = np.asarray(values, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise FixedFormatError(f"cannot quantize non-finite values to {self}")
        with np.errstate(over="ignore", under="ignore"):
            scaled = np.ldexp(x, self.frac)  # exact unless it leaves the double range
            lost = ~np.isfinite(scaled) | (np.ldexp(scaled, -self.frac) != x)
        scaled = np.where(lost, 0.0, scaled)
        floor = np.floor(scaled)
        rest = scaled - floor  # exact, in [0, 1), except for -1 < scaled < 0
        small = (scaled < 0) & (scaled > -1)  # there 1 + scaled may round: compare scaled
        qb = np.where(small, scaled >= -0.5, rest >= 0.5)
        r = np.where(small, scaled != -0.5, rest != np.where(qb, 0.5, 0.0))
        q = _float_ints(floor)
        if np.any(lost):  # |x| * 2**frac beyond the double range: exact integer arithmetic
            q = np.array(q, dtype=object)
            for i in np.flatnonzero(lost):
                n, d = float(x.flat[i]).as_integer_ratio()  # d is a power of two
                if self.frac >= 0:
                    n <<= self.frac
                else:
                    d <<= -self.frac
                fl, rem = divmod(n, d)
                q.flat[i], qb.flat[i], r.flat[i] = fl, 2 * rem >= d, rem != 0 and 2 * rem != d
        return self._finish(q, qb, r, x < 0)

    def cast(self, raw, source: "FixedType") -> np.ndarray:
        """Raw integers of ``source`` to raw integers of this type."""
        raw = raw_array(raw)
        shift = source.frac - self.frac
        if shift <= 0:
            wide = _fit(raw, source.width - shift + 1)
            q = wide * (1 << -shift) if shift < 0 else wide
            zeros = np.zeros(np.shape(q), dtype=bool)
            return self._finish(q, zeros, zeros, raw < 0)
        if shift >= _INT64_SAFE_BITS:  # the step 2**shift does not fit int64
            raw = raw.astype(object)
        step = 1 << shift
        q = raw // step
        rest = raw - q * step
        half = step >> 1
        qb = rest >= half
        r = (rest != 0) & (rest != half)
        return self._finish(q, qb, r, raw < 0)

    def to_float(self, raw) -> np.ndarray:
        """Raw integers to float64 (exact while the value fits a double's 53 bits)."""
        raw = raw_array(raw)
        if raw.dtype == object:
            return np.array([math.ldexp(int(v), -self.frac) for v in raw.ravel()], dtype=np.float64).reshape(raw.shape)
        return np.ldexp(raw.astype(np.float64), -self.frac)

    def round_trip(self, values) -> np.ndarray:
        """Quantize floats and return the representable floats."""
        return self.to_float(self.quantize(values))

    def representable(self, raw) -> np.ndarray:
        raw = raw_array(raw)
        return (raw >= self.min_raw) & (raw <= self.max_raw)

    # ---------------------------------------------------------------- internals
    def _finish(self, q, qb, r, negative) -> np.ndarray:
        """Apply the rounding carry to the floor value ``q`` and then the overflow mode.

        ``qb`` is the first dropped bit, ``r`` the OR of all dropped bits below it, and
        ``negative`` the sign of the source value: the same inputs as ``ap_fixed``'s
        quantization_adjust.
        """
        mode = self.rounding
        if mode is Rounding.TRN:
            carry = np.zeros(np.shape(q), dtype=bool)
        elif mode is Rounding.TRN_ZERO:
            carry = negative & (qb | r)
        elif mode is Rounding.RND:
            carry = qb
        elif mode is Rounding.RND_ZERO:
            carry = qb & (negative | r)
        elif mode is Rounding.RND_MIN_INF:
            carry = qb & r
        elif mode is Rounding.RND_INF:
            carry = qb & (~negative | r)
        else:  # RND_CONV
            carry = qb & (r | (q % 2 == 1))
        q = _fit(q, _bits_needed(q) + 1)
        q = q + np.where(carry, 1, 0).astype(q.dtype)
        return self._overflow(q)

    def _overflow(self, q) -> np.ndarray:
        q = _fit(q, max(_bits_needed(q), self.width + 1))
        lo, hi = self.min_raw, self.max_raw
        over = q > hi
        under = q < lo
        mode = self.overflow
        if mode is Overflow.WRAP:
            span = 1 << self.width
            q = (q - lo) % span + lo
        elif mode is Overflow.SAT:
            q = np.where(over, hi, np.where(under, lo, q))
        elif mode is Overflow.SAT_ZERO:
            q = np.where(over | under, 0, q)
        else:  # SAT_SYM
            low = lo + 1 if self.signed else lo
            q = np.where(over, hi, np.where(under, low, q))
        return _fit(raw_array(q), self.width + 1)


def _bits_needed(values) -> int:
    """Bits (sign included) to hold every value of an integer array."""
    a = raw_array(values)
    if a.size == 0:
        return 1
    lo, hi = int(a.min()), int(a.max())
    return max(lo.bit_length(), hi.bit_length()) + 1


def _fit(raw, bits: int) -> np.ndarray:
    """The same integers, as int64 if ``bits`` fit there, else as Python integers."""
    raw = np.asarray(raw)
    if bits <= _INT64_SAFE_BITS:
        if raw.dtype == object:
            return raw.astype(np.int64)
        return raw.astype(np.int64, copy=False)
    return raw.astype(object)


def _float_ints(floats: np.ndarray) -> np.ndarray:
    """Integral floats to an exact integer array."""
    if floats.size == 0 or np.max(np.abs(floats)) < 2.0**_INT64_SAFE_BITS:
        return floats.astype(np.int64)
    return np.array([int(v) for v in floats.ravel()], dtype=object).reshape(floats.shape)


def raw_array(raw) -> np.ndarray:
    """An integer array (int64 or object of Python ints) from integers of any kind."""
    a = np.asarray(raw)
    if a.dtype == object or a.dtype == np.int64:
        return a
    if a.dtype == np.uint64:  # also Python ints in [2**63, 2**64): keep them exact
        return a.astype(object)
    if a.dtype.kind == "f" and not isinstance(raw, np.ndarray):
        o = np.array(raw, dtype=object)  # Python ints that numpy would round to float64
        if all(isinstance(v, (int, np.integer)) for v in o.flat):
            return _fit(np.array([int(v) for v in o.flat], dtype=object).reshape(o.shape), 64)
    if a.dtype.kind in "iub":
        return a.astype(np.int64)
    if a.dtype.kind == "f":
        if not np.all(a == np.floor(a)):
            raise FixedFormatError("raw fixed-point values must be integers")
        return _float_ints(a)
    raise FixedFormatError(f"raw fixed-point values must be integers, not {a.dtype}")


_TYPE_RE = re.compile(
    r"^\s*(?P<base>ap_fixed|ap_ufixed|fixed|ufixed|ap_int|ap_uint|int|uint)\s*"
    r"<\s*(?P<args>[^<>]*)>\s*$",
    re.IGNORECASE,
)


def parse_type(text: "str | FixedType") -> FixedType:
    """Parse ``fixed<16,6>``, ``ufixed<8,0>``, ``ap_fixed<16,6,AP_RND,AP_SAT>``, ``ap_int<8>``, ``int<8>``.

    As in hls4ml, ``fixed`` and ``ap_fixed`` are the same type; a fifth argument (the
    number of saturation bits of ``AP_WRAP``) is only accepted as 0.
    """
    if isinstance(text, FixedType):
        return text
    if not isinstance(text, str):
        raise FixedFormatError(f"a precision must be a string such as 'fixed<16,6>', not {text!r}")
    m = _TYPE_RE.match(text)
    if not m:
        raise FixedFormatError(
            f"malformed precision {text!r}: expected e.g. 'fixed<16,6>', 'ufixed<8,0>', "
            "'ap_fixed<16,6,AP_RND,AP_SAT>', 'ap_int<8>' or 'int<8>'"
        )
    base = m.group("base").lower()
    args = [a.strip() for a in m.group("args").split(",")] if m.group("args").strip() else []
    signed = base in ("ap_fixed", "fixed", "ap_int", "int")
    is_int = base in ("ap_int", "ap_uint", "int", "uint")

    def number(s: str, what: str) -> int:
        try:
            return int(s)
        except ValueError:
            raise FixedFormatError(f"malformed precision {text!r}: {what} {s!r} is not an integer") from None

    if is_int:
        if len(args) != 1:
            raise FixedFormatError(f"malformed precision {text!r}: {base}<W> takes exactly one width")
        width = number(args[0], "width")
        try:
            return FixedType(width, width, signed)
        except FixedFormatError as e:
            raise FixedFormatError(f"malformed precision {text!r}: {e}") from None
    if not 2 <= len(args) <= 5:
        raise FixedFormatError(f"malformed precision {text!r}: {base}<W,I[,Q[,O[,N]]]> takes 2 to 5 arguments")
    width = number(args[0], "width")
    integer = number(args[1], "integer bits")
    if len(args) > 4 and number(args[4], "saturation bits") != 0:
        raise FixedFormatError(f"precision {text!r}: saturation bits other than 0 are not supported")
    try:
        rounding = _mode(Rounding, args[2], "rounding") if len(args) > 2 else Rounding.TRN
        overflow = _mode(Overflow, args[3], "overflow") if len(args) > 3 else Overflow.WRAP
        return FixedType(width, integer, signed, rounding, overflow)
    except FixedFormatError as e:
        raise FixedFormatError(f"malformed precision {text!r}: {e}") from None
