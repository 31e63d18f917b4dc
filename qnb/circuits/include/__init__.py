"""The bundled OpenQASM include directory (``qnb.circuits.limits.BUNDLED_INCLUDE_DIR``).

Always on the include search path, for text and files alike (docs/circuit-limits.md). It holds
``qnbgates.inc``: OpenQASM 3 definitions of the IR gates ``stdgates.inc`` lacks (the ones
:func:`qnb.circuits.to_qasm3` writes), which the loader maps back to single library gates. This file
only makes the directory a package, so the ``.inc`` files ship with qnb.
"""
