"""Landmarks on a photo, a video or a camera with an exported `.tflite`, the way the Android demo does it.

Usage:
  python -m fld_tf.predict photo.jpg                          # writes photo_landmarks.png, prints points
  python -m fld_tf.predict clip.mp4 --model models/mnv2-a050-mtfl5-96.int8.tflite --json
  python -m fld_tf.predict --camera 0 --show

Every number comes from the model card embedded in the `.tflite` (input size and dtype, crop rule,
point names). Per face in a photo: the Haar box (`fld_tf.detect`) -> the detector's own box rule ->
model -> the card's landmark rule around the predicted points -> model again (`--refine` passes, as
MediaPipe re-crops from landmarks). Video and camera follow the phone (`LandmarkerHelper.kt`): one face,
tracked from the previous frame's landmarks (`detect.FaceTracker`), re-detected every `--redetect`
frames or when the crop drifts, smoothed with the same One-Euro filter. The model input is made as
`fld_tf` evaluation makes it (see `sample_crop`). Exit 0 on success, 2 on bad input (one line `error: ...`).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import glob
import json
import math
import os
import sys
import time
from typing import Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np

import fld_tf
from fld_tf import model_card, runtime
from fld_tf import geometry
from fld_tf.plots import draw_points
from fld_tf.detect import DetectorError, FaceDetector, FaceTracker, OneEuroFilter, plausible_step
from fld_tf.io import atomic_path, write_bytes

DEFAULT_MODEL_DIR = os.path.normpath(os.path.join(os.path.dirname(fld_tf.__file__), "..", "models"))
DEFAULT_MODEL_GLOB = "*.int8.tflite"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".jp2")
VIDEO_CODECS = {".mp4": "mp4v", ".avi": "MJPG"}
REDETECT_EVERY = 10  # as LandmarkerHelper.kt
WINDOW = "fld-tf"


class PredictError(ValueError):
    """Bad input: the message names the path or option at fault."""


def default_model(folder: Optional[str] = None) -> str:
    """The first `*.int8.tflite` in `folder` (default: the repository's `models/`), by name."""
    folder = folder or DEFAULT_MODEL_DIR
    found = sorted(glob.glob(os.path.join(glob.escape(folder), DEFAULT_MODEL_GLOB)))
    if not found:
        raise PredictError(f"{folder}: no {DEFAULT_MODEL_GLOB} model here; pass --model M.tflite")
    return found[0]


def sample_crop(image: np.ndarray, square: np.ndarray, size: int) -> np.ndarray:
    """The model input for `square`: uint8 `(size, size, 3)`, as `fld_tf` evaluation makes it.

    The numpy twin of `fld_tf.warp.warp` + `round_pixels` (TF's ImageProjectiveTransformV3, BILINEAR,
    fill 0) and of `InputTensorizer.java`: float32 transform coefficients, the kernel's float32
    arithmetic in its order, neighbours outside the image read as black, then `floor(v + 0.5)`.

    Args:
      image: RGB uint8 `(H, W, 3)`.
      square: `(cx, cy, side)` in image pixels.
    """
    t = geometry.sampling_matrix(square, size).astype(np.float32)
    grid = np.arange(size, dtype=np.float32)
    x = t[0, 0] * grid[None, :] + t[0, 1] * grid[:, None] + t[0, 2]
    y = t[1, 0] * grid[None, :] + t[1, 1] * grid[:, None] + t[1, 2]
    x0, y0 = np.floor(x), np.floor(y)
    x1, y1 = x0 + 1, y0 + 1
    height, width = image.shape[:2]

    def read(yy, xx):
        inside = (yy >= 0) & (yy < height) & (xx >= 0) & (xx < width)
        rows = np.clip(yy, 0, height - 1).astype(np.intp)
        cols = np.clip(xx, 0, width - 1).astype(np.intp)
        return image[rows, cols].astype(np.float32) * inside[..., None]

    wx0, wx1, wy0, wy1 = [w[..., None] for w in (x1 - x, x - x0, y1 - y, y - y0)]
    top = wx0 * read(y0, x0) + wx1 * read(y0, x1)
    bottom = wx0 * read(y1, x0) + wx1 * read(y1, x1)
    return geometry.to_uint8(wy0 * top + wy1 * bottom)


class Landmarker:
    """A `.tflite` landmark model in LiteRT, fed and decoded as its card says."""

    def __init__(self, model: bytes, card: Dict, threads: Optional[int] = None):
        self.card, self.size = card, model_card.input_size(card)
        self.crop_cfg, self.scheme = model_card.crop_config(card), model_card.scheme_of(card)
        self.dtype = card["input"]["dtype"]
        self._interp = runtime.interpreter(model, threads)
        self._input = self._interp.get_input_details()[0]
        self._output = self._interp.get_output_details()[0]
        actual = np.dtype(self._input["dtype"]).name
        if actual != self.dtype or list(self._input["shape"]) != card["input"]["shape"]:
            raise PredictError(f"{card['model_file']}: the card says input {self.dtype} {card['input']['shape']}, "
                               f"the model takes {actual} {list(self._input['shape'])}")

    def run(self, image: np.ndarray, square: np.ndarray) -> np.ndarray:
        """Landmarks `(K, 2)` in image pixels for the face in `square` of the RGB `image`."""
        crop = sample_crop(image, square, self.size)
        self._interp.set_tensor(self._input["index"], runtime.as_input(crop[None], self.dtype))
        self._interp.invoke()
        out = self._interp.get_tensor(self._output["index"]).reshape(-1).astype(np.float32)
        scale, zero_point = self._output["quantization"]
        if np.issubdtype(self._output["dtype"], np.integer) and scale:
            out = (out - zero_point) * scale
        return geometry.decode(out.reshape(-1, 2), square, self.size)

    def landmark_square(self, points: np.ndarray) -> np.ndarray:
        return geometry.square_from_points(points, self.crop_cfg.landmark_scale, self.crop_cfg.landmark_shift)


@dataclasses.dataclass
class Face:
    """One face: `points` `(K, 2)` image pixels, the `square` they came from, the detector's `box`/`score`,
    and where that square came from: `detector`, `refined` (landmark rule), `image` (whole), `tracking`."""

    points: np.ndarray
    square: np.ndarray
    box: Optional[np.ndarray] = None
    score: Optional[float] = None
    source: str = "detector"


def predict_image(landmarker: Landmarker, detector: Optional[FaceDetector], image: np.ndarray,
                  refine: int = 1) -> List[Face]:
    """Every face in an RGB image (largest first); `detector=None` treats the whole image as one face."""
    if detector is None:
        starts = [(None, None, geometry.square_from_image(image.shape[1], image.shape[0]))]
    else:
        starts = [(d.box, d.score, FaceDetector.square(d.box)) for d in detector.detect(image)]
    faces = []
    for box, score, square in starts:
        points, source = landmarker.run(image, square), "image" if box is None else "detector"
        for _ in range(refine):  # a pass that would jump off the face is not taken
            nxt = landmarker.landmark_square(points)
            if not plausible_step(square, nxt):
                break
            square, points, source = nxt, landmarker.run(image, nxt), "refined"
        faces.append(Face(points, square, box, score, source))
    return faces


def track_video(frames: Iterator[Tuple[float, np.ndarray]], landmarker: Landmarker, detector: FaceDetector,
                redetect: int = REDETECT_EVERY, smooth: bool = True) -> Iterator[Tuple[np.ndarray, Optional[Face]]]:
    """`(frame, face or None)` per `(time seconds, RGB frame)`, one face tracked as `LandmarkerHelper.kt` does."""
    tracker = FaceTracker(landmarker.crop_cfg, redetect)
    smoother = OneEuroFilter()
    for t, frame in frames:
        ran = tracker.needs_detection()
        found = detector.detect(frame) if ran else []
        box = found[0].box if found else None
        square = tracker.choose_crop(box, ran)
        if square is None:
            smoother.reset()
            yield frame, None
            continue
        source = "tracking" if tracker.tracked is not None else "detector"
        points = landmarker.run(frame, square)
        tracker.update(points, square)
        shown = smoother(points, t) if smooth else points
        yield frame, Face(shown, square, box, found[0].score if found else None, source)


def annotate(image: np.ndarray, faces: List[Face]) -> np.ndarray:
    """A copy of the RGB image with each face's points (green), crop square (yellow) and box (blue)."""
    out = np.ascontiguousarray(image).copy()
    for face in faces:
        cx, cy, side = [float(v) for v in face.square]
        thick = max(1, round(side / 150))
        cv2.rectangle(out, (round(cx - side / 2), round(cy - side / 2)), (round(cx + side / 2), round(cy + side / 2)),
                      (255, 220, 0), thick)
        if face.box is not None:
            x0, y0, x1, y1 = [round(float(v)) for v in face.box]
            cv2.rectangle(out, (x0, y0), (x1, y1), (0, 128, 255), thick)
        out = draw_points(out, face.points, radius=max(2.0, side / 80))
    return out


def face_record(item: Face, names, **where) -> Dict:
    """One face as JSON types: `where` (source, face or frame index), points, square, box."""
    face, record = item, dict(where)
    record.update({"points": np.round(face.points.astype(float), 2).tolist(), "names": list(names),
                   "square": np.round(face.square.astype(float), 2).tolist(), "crop": face.source})
    if face.box is not None:
        record.update({"box": np.round(face.box.astype(float), 2).tolist(), "score": face.score})
    return record


def describe(face: Face, names) -> str:
    return "  ".join(f"{n} ({x:.1f}, {y:.1f})" for n, (x, y) in zip(names, face.points))


def read_image(path: str) -> np.ndarray:
    """RGB uint8 `(H, W, 3)`; OpenCV applies the EXIF orientation, so phone photos come upright."""
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise PredictError(f"{path}: not an image OpenCV can decode")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def write_image(path: str, rgb: np.ndarray) -> None:
    ok, data = cv2.imencode(os.path.splitext(path)[1].lower(), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise PredictError(f"{path}: OpenCV cannot encode this image format")
    write_bytes(path, data.tobytes())


def open_video(source, name: str) -> Tuple[cv2.VideoCapture, float]:
    """An opened capture and its frame rate (30 when the file does not say)."""
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        cap.release()
        what = "cannot open this camera" if isinstance(source, int) else "cannot open it as an image or a video"
        raise PredictError(f"{name}: {what} (OpenCV {cv2.__version__})")
    fps = cap.get(cv2.CAP_PROP_FPS)
    return cap, (fps if math.isfinite(fps) and 0 < fps <= 240 else 30.0)


def frames_of(cap: cv2.VideoCapture, fps: float, live: bool, max_frames: int) -> Iterator[Tuple[float, np.ndarray]]:
    """`(time seconds, RGB frame)`: file time from the frame index, camera time from the clock."""
    start, index = time.monotonic(), 0
    while max_frames <= 0 or index < max_frames:
        ok, bgr = cap.read()
        if not ok:
            return
        yield (time.monotonic() - start if live else index / fps), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        index += 1


@contextlib.contextmanager
def video_writer(path: Optional[str], fps: float):
    """Yields `write(rgb)`; the video appears at `path` only when the block completes (None: no file)."""
    if path is None:
        yield lambda rgb: None
        return
    ext = os.path.splitext(path)[1].lower()
    with atomic_path(path) as tmp:
        staged, writer = tmp + ext, []  # OpenCV picks the container from the name's extension

        def write(rgb):
            if not writer:
                writer.append(cv2.VideoWriter(staged, cv2.VideoWriter_fourcc(*VIDEO_CODECS[ext]), fps,
                                              (rgb.shape[1], rgb.shape[0])))
                if not writer[0].isOpened():
                    raise PredictError(f"{path}: OpenCV cannot write {VIDEO_CODECS[ext]} video here")
            writer[0].write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

        try:
            yield write
            if not writer:
                raise PredictError(f"{path}: no frames to write")
            writer[0].release()
            os.replace(staged, tmp)
        finally:
            if writer:
                writer[0].release()
            if os.path.exists(staged):
                os.remove(staged)


def check_display() -> None:
    """Raises `PredictError` unless `cv2.imshow` can open a window here."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise PredictError("--show needs a display and none is set (DISPLAY); write a file with --out instead")
    try:
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL)
    except cv2.error:
        raise PredictError(f"--show: this OpenCV {cv2.__version__} has no GUI (the -headless build); "
                           f"install opencv-python or write a file with --out instead") from None


def show(rgb: np.ndarray, wait_ms: int) -> bool:
    """Shows a frame; False once the user pressed q or Esc."""
    cv2.imshow(WINDOW, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return cv2.waitKey(wait_ms) & 0xFF not in (ord("q"), 27)


def run_image(args, landmarker: Landmarker, log) -> None:
    image = read_image(args.input)
    faces = predict_image(landmarker, None if args.whole_image else FaceDetector(), image, args.refine)
    names = landmarker.scheme.point_names
    for i, face in enumerate(faces):
        print(json.dumps(face_record(face, names, source=args.input, face=i)) if args.json
              else f"{args.input} face {i + 1}/{len(faces)}: {describe(face, names)}")
    if not faces:
        print(f"{args.input}: no face found", file=sys.stderr)
    drawn = annotate(image, faces)
    if args.out:
        write_image(args.out, drawn)
        log(f"Wrote {args.out}")
    if args.show:
        show(drawn, 0)


def run_video(args, landmarker: Landmarker, log) -> None:
    live = args.camera is not None
    name = f"camera {args.camera}" if live else args.input
    cap, fps = open_video(args.camera if live else args.input, name)
    counts = {"frames": 0, "detector": 0, "tracking": 0}
    names = landmarker.scheme.point_names
    try:
        detector = FaceDetector()
        with video_writer(args.out, fps) as write:
            stream = track_video(frames_of(cap, fps, live, args.max_frames), landmarker, detector,
                                 args.redetect, not args.no_smooth)
            try:
                for frame, face in stream:
                    drawn = annotate(frame, [face] if face else [])
                    write(drawn)
                    if face is not None:
                        counts[face.source] += 1
                        if args.json:
                            print(json.dumps(face_record(face, names, source=name, frame=counts["frames"])))
                    counts["frames"] += 1
                    if args.show and not show(drawn, 1):
                        break
            except KeyboardInterrupt:  # Ctrl-C ends a camera session; the video so far is kept
                if not live:
                    raise
            if counts["frames"] == 0:
                raise PredictError(f"{name}: no frame could be read (not a video OpenCV can decode?)")
    finally:
        cap.release()
    log(f"{name}: {counts['frames']} frames, a face in {counts['detector'] + counts['tracking']} "
        f"({counts['detector']} from the detector, {counts['tracking']} tracked)"
        + (f"; wrote {args.out}" if args.out else ""))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fld_tf.predict", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.split("\n")[2:6]))
    parser.add_argument("input", nargs="?", help="an image or a video file")
    parser.add_argument("--camera", type=int, default=None, metavar="N", help="read camera N instead of a file")
    parser.add_argument("--model", default=None, help=f"a .tflite with its card, or the card .json "
                        f"(default: {os.path.join(DEFAULT_MODEL_DIR, DEFAULT_MODEL_GLOB)})")
    parser.add_argument("--out", default=None, help="annotated output (default: <input stem>_landmarks.png/.mp4)")
    parser.add_argument("--show", action="store_true", help="show the result in a window (needs a display)")
    parser.add_argument("--json", action="store_true", help="print one JSON line per face (per frame for video)")
    parser.add_argument("--refine", type=int, default=1, help="landmark re-crop passes per photo face")
    parser.add_argument("--whole-image", action="store_true", help="photo is one pre-cropped face: no detector")
    parser.add_argument("--redetect", type=int, default=REDETECT_EVERY, help="video: detect every N frames")
    parser.add_argument("--no-smooth", action="store_true", help="video: no One-Euro smoothing")
    parser.add_argument("--max-frames", type=int, default=0, help="video: stop after N frames (0: all)")
    parser.add_argument("--threads", type=int, default=None, help="LiteRT threads")
    return parser


def resolve_output(args) -> Optional[str]:
    """Checks the input and `--out`; the output path, or None when only showing."""
    if (args.input is None) == (args.camera is None):
        raise PredictError("give exactly one of an input file or --camera N")
    if args.input is not None and not os.path.isfile(args.input):
        raise PredictError(f"{args.input}: no such file")
    is_image = args.input is not None and args.input.lower().endswith(IMAGE_EXTENSIONS)
    if args.whole_image and not is_image:
        raise PredictError("--whole-image is for photos, not video")
    if args.refine < 0 or args.redetect < 1:
        raise PredictError("--refine must be >= 0 and --redetect >= 1")
    out = args.out
    if out is None and not args.show:
        stem = os.path.splitext(args.input)[0] if args.input else f"camera{args.camera}"
        out = f"{stem}_landmarks" + (".png" if is_image else ".mp4")
    allowed = IMAGE_EXTENSIONS if is_image else tuple(VIDEO_CODECS)
    if out is not None and not out.lower().endswith(allowed):
        raise PredictError(f"--out {out}: must end in one of {', '.join(allowed)}")
    return out


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(cv2, "utils") and hasattr(cv2.utils, "logging"):  # our error line, not OpenCV's warnings
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    try:
        args.out = resolve_output(args)
        model_path = args.model or default_model()
        model, card = model_card.read_model(model_path)
        landmarker = Landmarker(model, card, args.threads)
        if args.show:
            check_display()
        if args.input is not None and args.input.lower().endswith(IMAGE_EXTENSIONS):
            run_image(args, landmarker, log)
        else:
            run_video(args, landmarker, log)
    except (PredictError, model_card.CardError, DetectorError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
