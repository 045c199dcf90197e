"""Shared by the AFLW benchmark scripts: a run's model and the 2,995 AFLW test crops."""
import argparse
import dataclasses
from typing import Callable

import fld_tf  # noqa: F401
import numpy as np
import tf_keras as keras

from fld_tf import evaluate, geometry, metrics, pipeline
from fld_tf.config import Config
from fld_tf.model import landmark_model
from fld_tf.schemes import PointScheme, get_scheme


@dataclasses.dataclass
class AflwTest:
    cfg: Config
    scheme: PointScheme
    model: keras.Model          # the landmark model (`landmark_model`: no flip averaging)
    arrays: dict                # `pipeline.sample_arrays` of the test list (points, squares, attributes)
    images: np.ndarray          # `(N, S, S, 3)` eval crops, float32 pixels
    to_image: Callable          # `(N, 2K)` crop outputs -> `(N, K, 2)` image pixels

    def errors(self, crop_points: np.ndarray) -> np.ndarray:
        """Per-image NME in % for `(N, 2K)` (or `(N, K, 2)`) normalised crop outputs."""
        return 100 * metrics.nme(self.to_image(crop_points), self.arrays["points"], self.scheme)


def parse_args(doc: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("--data-root", required=True)
    return parser.parse_args()


def load(run: str, data_root: str) -> AflwTest:
    cfg = evaluate.run_config(run)
    scheme = get_scheme(cfg.data.scheme)
    size = cfg.model.input_size
    arrays = pipeline.read_split(cfg.data, data_root, "testing.txt", "mtfl", "image", scheme)
    dataset = pipeline.build_dataset(cfg.data, scheme, size, arrays, training=False)
    images = np.concatenate([x for x, _ in dataset.as_numpy_iterator()])

    def to_image(crop_points):
        return geometry.decode_faces(crop_points, arrays["square"], size)

    return AflwTest(cfg, scheme, landmark_model(evaluate.load_model(run)), arrays, images, to_image)
