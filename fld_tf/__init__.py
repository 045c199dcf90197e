"""fld-tf: train, quantise and ship a facial-landmark detector with Keras and LiteRT."""
import os

# TFMOT only works with Keras 2 (tf_keras). The switch must be set before TensorFlow is
# imported anywhere in the process, so importing fld_tf sets it first.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from fld_tf import logs  # noqa: E402  (after the Keras switch; imports nothing heavy)

# TF/absl/LiteRT start-up noise off unless --verbose or FLD_TF_VERBOSE=1 (see fld_tf.logs).
logs.install()

__version__ = "0.1.0"
