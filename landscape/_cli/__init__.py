"""Command groups of the ``landscape`` CLI; each module defines ``register(app)``."""


def console():
    """A rich console for result tables: the terminal's width, or 160 columns when the output is a
    pipe or a file (rich would otherwise cut tables, sample names included, to 80 columns)."""
    from rich.console import Console

    out = Console()
    return out if out.is_terminal else Console(width=160)
