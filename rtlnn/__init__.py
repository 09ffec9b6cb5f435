"""rtlnn: small trained neural networks to verified, cycle-exact, pipelined Verilog.

    import rtlnn
    model = rtlnn.load_keras("jet_tagger.keras")
    config = rtlnn.config_from_keras_model(model, granularity="name")
    rm = rtlnn.convert_from_keras_model(model, config=config, output_dir="build/jet")
    rm.write(); rm.predict(x); rm.simulate(x)
"""

from .config import load_config
from .converters import config_from_keras_model, convert_from_keras_model, load_keras
from .fixed import FixedFormatError, FixedType, Overflow, Rounding, parse_type
from .ir import ModelGraph, RtlnnError
from .model import RtlnnModel
from .report import SimulationReport
from . import profiling
from .plot import plot_model

__version__ = "0.1.0"

__all__ = [
    "load_keras",
    "config_from_keras_model",
    "convert_from_keras_model",
    "load_config",
    "RtlnnModel",
    "SimulationReport",
    "ModelGraph",
    "RtlnnError",
    "FixedType",
    "FixedFormatError",
    "Rounding",
    "Overflow",
    "parse_type",
    "profiling",
    "plot_model",
]
