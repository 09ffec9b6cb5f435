"""One module per ``rtlnn`` verb, each with ``register(subparsers)`` and ``run(args) -> exit code``."""

#: The verbs, in the order ``rtlnn --help`` lists them.
VERBS = ("convert", "simulate", "report", "demo", "boards", "synth", "build", "profile", "explore", "compress")
