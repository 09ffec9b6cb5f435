"""`rtlnn profile`: weights and activations against their types (PNG + HTML), and precision advice."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("profile", help="profile weights and activations against the configured types: box plots, "
                                       "flags (overflow, unused integer bits, values below the LSB), an HTML page; "
                                       "optionally advise per-layer precisions")
    p.add_argument("model", help="a Keras model file (.keras / .h5), or an rtlnn output folder (its config.json; "
                                 "give the Keras model with --model)")
    p.add_argument("--model", dest="keras_model", help="the Keras model file when MODEL is an rtlnn output folder")
    p.add_argument("--data", help="inputs as a .npy array (batch first) for the activations; without it, weights only")
    p.add_argument("--labels", help="labels as a .npy array, for --advise with the accuracy metric")
    p.add_argument("--config", help="YAML config (Model / LayerType / LayerName); default: the folder's config.json")
    p.add_argument("--precision", help="model-wide default precision when no config is given (default fixed<16,6>)")
    p.add_argument("-o", "--output-dir", help="where to write index.html, the PNGs and profile.json "
                                              "(default: FOLDER/profile, or MODEL's name + _profile)")
    p.add_argument("--strict", action="store_true", help="exit 1 when any layer overflows")
    p.add_argument("--advise", metavar="CONFIG.yaml", help="also advise per-layer precisions within --tolerance of "
                                                           "float (needs --data) and write them as a config")
    p.add_argument("--tolerance", type=float, default=0.01,
                   help="allowed accuracy drop against float for --advise (default: %(default)s)")
    p.add_argument("--metric", choices=("accuracy", "max_abs_error"), default="accuracy",
                   help="what --tolerance bounds (default: %(default)s)")
    p.set_defaults(func=run)


def _load_model(args):
    """(keras model source, config, default output folder) from the arguments."""
    import json

    from ..config import load_config
    from ..ir import RtlnnError

    src = Path(args.model)
    if src.is_dir():
        if not args.keras_model:
            raise RtlnnError(f"{src} is an output folder: name its Keras model with --model (the folder holds the "
                             "config and the Verilog, not the weights)")
        cfg_file = src / "config.json"
        config = load_config(args.config) if args.config else (
            json.loads(cfg_file.read_text()) if cfg_file.is_file() else {})
        return args.keras_model, config, src / "profile"
    if not src.is_file():
        raise RtlnnError(f"{src} is neither a Keras model file nor an rtlnn output folder")
    config = load_config(args.config)
    if not config:
        config = {"Model": {"Precision": args.precision or "fixed<16,6>"}}
    elif args.precision:
        config.setdefault("Model", {})["Precision"] = args.precision
    return str(src), config, src.with_name(src.stem + "_profile")


def run(args) -> int:
    from ..converters import convert_from_keras_model, load_keras
    from ..ir import RtlnnError
    from ..profiling import numerical

    source, config, default_out = _load_model(args)
    out = Path(args.output_dir) if args.output_dir else default_out
    km = load_keras(source)
    rm = convert_from_keras_model(km, config=config, output_dir=out / "design")
    x = _load_npy(args.data, "--data") if args.data else None
    profile = numerical(km, rm, x, output_dir=out)
    print(profile.table())
    flagged = profile.flagged()
    overflows = profile.flagged("overflow")
    print(f"{len(flagged)} of {len(profile.distributions)} distributions flagged, {len(overflows)} overflow"
          + "".join(f"\n  overflow: {d.layer} {d.what} ({d.precision}): {d.overflow_count} values beyond "
                    f"[{d.type_min:g}, {d.type_max:g}], {d.integer_bits_needed} integer bits needed"
                    for d in overflows))
    print(f"profile page: {out / 'index.html'}")
    if args.advise:
        if x is None:
            raise RtlnnError("--advise needs --data: the advice is checked by running the emulator on it")
        from ..advice import advise_precision

        y = _load_npy(args.labels, "--labels") if args.labels else None
        advice = advise_precision(km, rm, x, y, tolerance=args.tolerance, metric=args.metric, profile=profile,
                                  output=args.advise)
        print(advice.table())
        print(f"advised config: {args.advise} ({args.metric}: float {advice.float_score:.4g}, advised "
              f"{advice.score:.4g}, re-converted {advice.verified_score:.4g}, tolerance {args.tolerance}; weight "
              f"bits {advice.bits['before']['weights']} -> {advice.bits['after']['weights']})")
    return 1 if args.strict and overflows else 0


def _load_npy(path: str, what: str):
    import numpy as np

    from ..ir import RtlnnError

    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise RtlnnError(f"{what} {path}: cannot read it as a .npy array ({e})") from None
