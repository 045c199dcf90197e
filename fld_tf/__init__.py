"""fld-tf: train, quantise and ship a facial-landmark detector with Keras and LiteRT."""
import os

# TFMOT only works with Keras 2 (tf_keras). The switch must be set before TensorFlow is
# imported anywhere in the process, so importing fld_tf sets it first.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

__version__ = "0.1.0"
