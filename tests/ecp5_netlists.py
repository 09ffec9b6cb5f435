"""Hand-made Yosys JSON cells of the ECP5 (TRELLIS_FF, LUT4) for the register-packing tests."""

CLK = 2


def ff(d, q, *, ce=None, lsr="0", srmode=None):
    """A TRELLIS_FF from net ``d`` to net ``q`` on :data:`CLK` (clock enable and reset optional)."""
    params = {"CEMUX": "CE" if ce is not None else "1 ", "CLKMUX": "CLK", "GSR": "DISABLED", "LSRMUX": "LSR",
              "REGSET": "RESET", **({"SRMODE": srmode} if srmode else {})}
    conn = {"CLK": [CLK], "DI": [d], "LSR": [lsr], "Q": [q]}
    dirs = {"CLK": "input", "DI": "input", "LSR": "input", "Q": "output"}
    if ce is not None:
        conn["CE"], dirs["CE"] = [ce], "input"
    return {"type": "TRELLIS_FF", "parameters": params, "attributes": {}, "port_directions": dirs,
            "connections": conn}


def lut(*ins, out):
    """A LUT4 reading nets ``ins`` (up to four) into net ``out``."""
    conn = {p: [b] for p, b in zip("ABCD", ins)}
    conn["Z"] = [out]
    return {"type": "LUT4", "parameters": {}, "attributes": {}, "connections": conn,
            "port_directions": {**{p: "input" for p in "ABCD"[:len(ins)]}, "Z": "output"}}
