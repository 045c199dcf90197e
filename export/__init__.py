"""fld-tf export: TFLite variants with an embedded model card, a LiteRT parity gate, golden vectors.

  python -m export.tflite runs/default            # convert, write cards, run the parity gate
  python -m export.parity runs/default/export     # re-run the gate on exported models
  python -m export.golden runs/default/export/<name>.int8.tflite --out DIR
"""
import fld_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS and quiets TF's logs before TensorFlow loads)
