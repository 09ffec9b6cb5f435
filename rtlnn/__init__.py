"""rtlnn."""
