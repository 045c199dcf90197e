"""fld-tf export: TFLite variants with an embedded model card, a LiteRT parity gate, golden vectors.

  python -m export.tflite runs/default            # convert, write cards, run the parity gate
  python -m export.parity runs/default/export     # re-run the gate on exported models
  python -m export.golden runs/default/export/<name>.int8.tflite --out DIR
"""
import os

import fld_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)

# TensorFlow's C++ log lines (oneDNN, CUDA probing, converter chatter) are noise for export's users.
# A placeholder until fld_tf has one log-quieting function every CLI calls; set before TF loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
