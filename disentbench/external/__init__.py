"""Models disentbench did not train: external encoders, exported encoders, their scores.

``encoders`` loads and checks an encoder (TorchScript, ``package.module:factory``, ONNX);
``export`` writes a saved model's encoder as TorchScript; ``scoring`` scores a representation
outside a study and builds its result record; ``cli`` holds ``evaluate`` and ``export-encoder``.
"""
