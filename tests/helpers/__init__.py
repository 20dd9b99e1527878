"""Helpers shared by the test folders (imported as ``tests.helpers.<module>``).

``morse``
    An analytic reference: Morse insertion energies of a rigid random host, a reference database of
    them, and the same energies as an ASE calculator (``tests.helpers.morse:RigidHostMorse``).
``networks``
    Hop networks with a known diffusion coefficient (chains, lattices, traps) for the kinetics.
``cli``
    The CLI in-process and in a subprocess, and snapshots of a folder's files (the bad-input corpus
    checks that a refused command writes nothing).
"""
