"""Landmarks on a photo, a video or a camera: a thin CLI over `fld_tf.landmarker.FaceLandmarker`.

Usage:
  fld-predict photo.jpg                                # writes photo_landmarks.png, prints the points
  fld-predict photo.jpg --model ibug68 --json          # a shipped model by scheme name; JSON on stdout
  fld-predict clip.mp4 --model my.int8.tflite --json   # or any exported .tflite (its card says the rest)
  fld-predict --camera 0 --show

Every number comes from the model card embedded in the `.tflite` (input size and dtype, crop rule,
point names, contours, tracking settings). Photos: every face the Haar detector finds whose presence
score reaches `--min-face-score`; video and camera: one face, tracked as on the phone.
`--json` prints one JSON object per photo or frame: `{"source": ..., "faces": [...]}`, each face with
points, names, score, square, crop source, box.

Exit status: 0 success; 2 bad input (one line `error: ...` on stderr, nothing written);
3 no face found (photo: `{"faces": []}` with --json and no image written; video: no face in any frame).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time
from typing import Iterator, Optional, Tuple

import cv2
import numpy as np

from fld_tf import assets, logs
from fld_tf.io import atomic_path, write_bytes

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".jp2")
VIDEO_CODECS = {".mp4": "mp4v", ".avi": "MJPG"}
EXIT_OK, EXIT_BAD_INPUT, EXIT_NO_FACE = 0, 2, 3
WINDOW = "fld-tf"


class PredictError(ValueError):
    """Bad input: the message names the path or option at fault."""


def describe(face) -> str:
    return f"score {face.score:.2f}  " + "  ".join(f"{n} ({x:.1f}, {y:.1f})" for n, (x, y) in zip(face.point_names, face.points))


def no_face_hint(min_score: float) -> str:
    return (f"no face found (none with presence score >= {min_score:g}); if the photo is one pre-cropped "
            f"face, pass --whole-image; for a weaker face, lower --min-face-score")


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


def frames_of(cap: cv2.VideoCapture, fps: float, live: bool, max_frames: int) -> Iterator[Tuple[int, np.ndarray]]:
    """`(timestamp ms, RGB frame)`: file time from the frame index, camera time from the clock (always rising)."""
    start, index, last = time.monotonic(), 0, -1
    while max_frames <= 0 or index < max_frames:
        ok, bgr = cap.read()
        if not ok:
            return
        ms = round(1000 * (time.monotonic() - start if live else index / fps))
        last = max(ms, last + 1)
        yield last, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
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


def run_image(args, landmarker, log) -> int:
    from fld_tf.landmarker import draw

    image = read_image(args.input)
    result = landmarker.detect(image, whole_image=args.whole_image)
    faces = result.faces
    if args.json:
        print(json.dumps({"source": args.input, **result.as_dict()}))
    for i, face in enumerate(faces if not args.json else ()):
        print(f"{args.input} face {i + 1}/{len(faces)}: {describe(face)}")
    if not faces:
        print(f"{args.input}: {no_face_hint(landmarker.options.min_face_score)}; nothing written", file=sys.stderr)
        return EXIT_NO_FACE
    drawn = draw(image, result)
    if args.out:
        write_image(args.out, drawn)
        log(f"Wrote {args.out}")
    if args.show:
        show(drawn, 0)
    return EXIT_OK


def run_video(args, landmarker, log) -> int:
    from fld_tf.landmarker import draw

    live = args.camera is not None
    name = f"camera {args.camera}" if live else args.input
    cap, fps = open_video(args.camera if live else args.input, name)
    counts = {"frames": 0, "detected": 0, "tracking": 0}
    try:
        with video_writer(args.out, fps) as write:
            try:
                for ms, frame in frames_of(cap, fps, live, args.max_frames):
                    result = landmarker.detect_for_video(frame, ms)
                    drawn = draw(frame, result)
                    write(drawn)
                    for face in result.faces:
                        counts["tracking" if face.source == "tracking" else "detected"] += 1
                    if args.json:
                        print(json.dumps({"source": name, "frame": counts["frames"], **result.as_dict()}))
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
    found = counts["detected"] + counts["tracking"]
    log(f"{name}: {counts['frames']} frames, a face in {found} ({counts['detected']} from the detector, "
        f"{counts['tracking']} tracked)" + (f"; wrote {args.out}" if args.out else ""))
    if not found:
        print(f"{name}: {no_face_hint(landmarker.options.min_face_score)}".replace(
            "if the photo is one pre-cropped face, pass --whole-image; ", ""), file=sys.stderr)
        return EXIT_NO_FACE
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fld-predict", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.split("\n")[2:]))
    parser.add_argument("input", nargs="?", help="an image or a video file")
    parser.add_argument("--camera", type=int, default=None, metavar="N", help="read camera N instead of a file")
    parser.add_argument("--model", default=None, help=f"a shipped model: a scheme name (mtfl5, ibug68: its int8 "
                        f"model) or a file stem; or a .tflite with its card, or the card .json "
                        f"(default: {assets.DEFAULT_MODEL})")
    parser.add_argument("--out", default=None, help="annotated output (default: <input stem>_landmarks.png/.mp4)")
    parser.add_argument("--show", action="store_true", help="show the result in a window (needs a display)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per photo (per frame for video)")
    parser.add_argument("--min-face-score", type=float, default=None, metavar="S",
                        help="drop faces whose presence score is below S, in [0, 1] (default: the model card's "
                             "presence threshold, else fld_tf.landmarker.MIN_FACE_SCORE)")
    parser.add_argument("--refine", type=int, default=1, help="landmark re-crop passes per face")
    parser.add_argument("--whole-image", action="store_true", help="photo is one pre-cropped face: no detector")
    parser.add_argument("--redetect", type=int, default=None, metavar="N",
                        help="video: detect at least every N frames (default: the card's tracking settings)")
    parser.add_argument("--no-smooth", action="store_true", help="video: no One-Euro smoothing")
    parser.add_argument("--max-frames", type=int, default=0, help="video: stop after N frames (0: all)")
    parser.add_argument("--threads", type=int, default=None, help="LiteRT threads")
    logs.add_flag(parser)
    return parser


def check_input(path: str) -> None:
    if not os.path.exists(path):
        raise PredictError(f"{path}: no such file")
    if os.path.isdir(path):
        raise PredictError(f"{path}: is a folder; give an image or a video file")
    if not os.access(path, os.R_OK):
        raise PredictError(f"{path}: cannot read it (permission denied)")
    if os.path.getsize(path) == 0:
        raise PredictError(f"{path}: empty file")


def resolve_output(args) -> Optional[str]:
    """Checks the input and the options; the output path, or None when only showing."""
    if (args.input is None) == (args.camera is None):
        raise PredictError("give exactly one of an input file or --camera N")
    if args.input is not None:
        check_input(args.input)
    is_image = args.input is not None and args.input.lower().endswith(IMAGE_EXTENSIONS)
    if args.whole_image and not is_image:
        raise PredictError("--whole-image is for photos, not video")
    if args.refine < 0 or (args.redetect is not None and args.redetect < 1):
        raise PredictError("--refine must be >= 0 and --redetect >= 1")
    if args.min_face_score is not None and not 0 <= args.min_face_score <= 1:
        raise PredictError(f"--min-face-score {args.min_face_score:g}: must be in [0, 1]")
    out = args.out
    if out is None and not args.show:
        stem = os.path.splitext(args.input)[0] if args.input else f"camera{args.camera}"
        out = f"{stem}_landmarks" + (".png" if is_image else ".mp4")
    allowed = IMAGE_EXTENSIONS if is_image else tuple(VIDEO_CODECS)
    if out is not None and not out.lower().endswith(allowed):
        raise PredictError(f"--out {out}: must end in one of {', '.join(allowed)}")
    return out


def build_landmarker(args, is_image: bool):
    from fld_tf.landmarker import FaceLandmarker, RunningMode

    return FaceLandmarker.create(
        args.model or assets.DEFAULT_MODEL, RunningMode.IMAGE if is_image else RunningMode.VIDEO, args.threads,
        args.min_face_score, refine=args.refine, smooth=not args.no_smooth, redetect_every=args.redetect)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logs.setup(args.verbose)
    if hasattr(cv2, "utils") and hasattr(cv2.utils, "logging"):  # our error line, not OpenCV's warnings
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    from fld_tf import model_card
    from fld_tf.detect import DetectorError
    from fld_tf.landmarker import LandmarkerError

    try:
        args.out = resolve_output(args)
        is_image = args.input is not None and args.input.lower().endswith(IMAGE_EXTENSIONS)
        landmarker = build_landmarker(args, is_image)
        if args.show:
            check_display()
        with landmarker:
            return (run_image if is_image else run_video)(args, landmarker, log)
    except (PredictError, model_card.CardError, DetectorError, LandmarkerError, assets.AssetError) as e:
        print(f"error: {e}", file=sys.stderr)
    except OSError as e:  # writing the output: full disk, no permission
        print(f"error: {e.filename or args.out}: cannot write: {e.strerror}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
