"""One measurement layer: the vocabulary of quantities and the cached engine runner.

`quiz.measure.quantities` is pure data (the bank parser validates names with it);
`quiz.measure.runner` runs nets through the engine (NumPy loads only when a net first runs).
Importing this package loads neither.
"""
