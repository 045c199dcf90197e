"""The Python API: a face landmarker in the style of MediaPipe's `FaceLandmarker`.

Example:
  from fld_tf.landmarker import FaceLandmarker, RunningMode, draw

  with FaceLandmarker.create("mtfl5") as landmarker:          # a shipped name, or "my.tflite"
      result = landmarker.detect(image_rgb)                    # uint8 (H, W, 3), RGB
      for face in result.faces:
          print(face.score, dict(zip(face.point_names, face.points.tolist())))
      drawn = draw(image_rgb, result)

  video = FaceLandmarker.create("mtfl5", running_mode=RunningMode.VIDEO)
  result = video.detect_for_video(frame_rgb, timestamp_ms)     # one face, tracked and smoothed

The model card embedded in the `.tflite` says everything: input size and dtype, crop rule, point
names, contours, tracking settings. Per face in a photo: a Haar box (`fld_tf.detect`) -> that
detector's box rule (from the card, else `detect.BOX_RULES`) -> model -> the card's landmark rule
around the points -> model again (`refine` passes, as MediaPipe re-crops from landmarks) -> the
face's presence score (`presence_score`); faces below `min_face_score` are dropped. Video follows
the phone: one face, tracked from the previous frame's landmarks, re-detected every
`redetect_every` frames (`fld_tf.tracking`), smoothed with the One-Euro filter.
"""
from __future__ import annotations

import dataclasses
import enum
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from fld_tf import assets, detect, drawing, geometry, model_card, tracking
from fld_tf.inference import LandmarkModel, presence_score

# Presence threshold for a model whose card has none (`presence.min_face_score`, written by
# `python -m export.tflite --min-face-score`), chosen with benchmarks/face_presence.py on the HELEN
# test photos and AFLW crops for session 13's 5-point model (BENCHMARKS.md, "Face presence"): the
# highest-scoring false face there (a shirt collar) scored 0.742, the real faces of other people kept
# 0.858-0.970, and 99.7% (HELEN) and 98.8% (AFLW) of the annotated faces that Haar finds were kept.
MIN_FACE_SCORE = 0.75


def min_face_score_of(card) -> float:
    """The card's presence threshold (`presence.min_face_score`), else `MIN_FACE_SCORE`."""
    value = (card.get("presence") or {}).get("min_face_score")
    return MIN_FACE_SCORE if value is None else float(value)


class LandmarkerError(ValueError):
    """A model the landmarker cannot run, or a call that does not fit its running mode."""


class RunningMode(enum.Enum):
    """IMAGE: independent photos, every face. VIDEO: frames in time order, one face tracked."""

    IMAGE = "image"
    VIDEO = "video"


@dataclasses.dataclass(frozen=True)
class FaceLandmarkerOptions:
    """How to build a `FaceLandmarker`.

    Attributes:
      model: a shipped model name (`fld_tf.assets`: a scheme such as `"mtfl5"`, or a file stem) or a
        path to a `.tflite` with its card (or the card `.json`).
      running_mode: `RunningMode.IMAGE` or `RunningMode.VIDEO`.
      threads: LiteRT threads (None: LiteRT's default).
      min_face_score: faces whose presence score is lower are dropped (0 keeps every box; None: the
        card's threshold, `min_face_score_of`).
      num_faces: IMAGE mode: at most this many faces, best score first (None: all).
      refine: landmark re-crop passes per face found by the detector.
      smooth: VIDEO mode: One-Euro smoothing of the points.
      tracking: VIDEO mode settings (None: the card's, `tracking.tracking_of`).
      redetect_every: VIDEO mode: overrides the tracking settings' `redetect_every`.
    """

    model: str = assets.DEFAULT_MODEL
    running_mode: RunningMode = RunningMode.IMAGE
    threads: Optional[int] = None
    min_face_score: Optional[float] = None
    num_faces: Optional[int] = None
    refine: int = 1
    smooth: bool = True
    tracking: Optional[tracking.TrackingConfig] = None
    redetect_every: Optional[int] = None


@dataclasses.dataclass(frozen=True)
class Face:
    """One face.

    Attributes:
      points: `(K, 2)` float32 image pixels (centre of the top-left pixel at (0, 0)).
      point_names: K names from the card's scheme.
      score: presence score in [0, 1] (`presence_score`): ~0.9 on faces, below 0.5 on most non-faces.
      square: `(cx, cy, side)`, the crop the points came from.
      source: where that crop came from: `detector`, `refined` (landmark rule), `image` (whole image)
        or `tracking` (previous frame).
      box: the detector's box `(x0, y0, x1, y1)`, or None.
      detector_score: the detector's own confidence (Haar: merged windows), or None.
    """

    points: np.ndarray
    point_names: Tuple[str, ...]
    score: float
    square: np.ndarray
    source: str
    box: Optional[np.ndarray] = None
    detector_score: Optional[float] = None

    def as_dict(self) -> Dict:
        """JSON types: points, names, score, square, crop source, box and detector score (when any)."""
        record = {"points": np.round(self.points.astype(float), 2).tolist(), "names": list(self.point_names),
                  "score": round(float(self.score), 4), "square": np.round(self.square.astype(float), 2).tolist(),
                  "crop": self.source}
        if self.box is not None:
            record.update({"box": np.round(self.box.astype(float), 2).tolist(), "detector_score": self.detector_score})
        return record


@dataclasses.dataclass(frozen=True)
class FaceLandmarkerResult:
    """The faces of one image or frame, and what is needed to draw them (the card's contours)."""

    faces: Tuple[Face, ...]
    contours: Tuple[Dict, ...] = ()
    timestamp_ms: Optional[int] = None

    def as_dict(self) -> Dict:
        """`{"faces": [...]}` (plus `timestamp_ms` in VIDEO mode); no face is `{"faces": []}`."""
        out = {"faces": [f.as_dict() for f in self.faces]}
        if self.timestamp_ms is not None:
            out["timestamp_ms"] = self.timestamp_ms
        return out


def _same_face(a: Face, b: Face) -> bool:
    """Two results of one face: either crop's centre inside the other and sides within 1.5x."""
    ratio = a.square[2] / b.square[2]
    inside = np.all(np.abs(a.square[:2] - b.square[:2]) <= np.minimum(a.square[2], b.square[2]) / 2)
    return bool(inside and 1 / 1.5 < ratio < 1.5)


class FaceLandmarker:
    """Landmarks of faces in images or video frames; one object owns the model, the detector and the tracker.

    Create with `create(...)` or `create_from_options(FaceLandmarkerOptions(...))`; `close()` (or a
    `with` block) frees the interpreter.
    """

    def __init__(self, options: FaceLandmarkerOptions, model: bytes, card: Dict, path: str):
        if options.min_face_score is None:
            options = dataclasses.replace(options, min_face_score=min_face_score_of(card))
        if options.refine < 0 or not 0 <= options.min_face_score <= 1:
            raise LandmarkerError(f"refine must be >= 0 and min_face_score in [0, 1]; got {options.refine}, "
                                  f"{options.min_face_score}")
        self.options, self.card, self.model_path = options, card, path
        self._model = LandmarkModel(model, card, options.threads)
        self._box_rule = detect.box_rule(card)
        self._detector: Optional[detect.FaceDetector] = None
        self.tracking = options.tracking or tracking.tracking_of(card)
        if options.redetect_every is not None:
            self.tracking = dataclasses.replace(self.tracking, redetect_every=options.redetect_every)
        self._tracker = tracking.FaceTracker(self._model.crop_cfg, self._square_from_box, self.tracking)
        self._smoother = tracking.OneEuroFilter.from_config(self.tracking)
        self._last_ms: Optional[int] = None
        self._score = 0.0

    @classmethod
    def create_from_options(cls, options: FaceLandmarkerOptions) -> "FaceLandmarker":
        """Raises `assets.AssetError` (unknown name), `model_card.CardError` (unreadable model or card),
        `LandmarkerError` (a card this code cannot honour) or `detect.DetectorError`."""
        path = assets.resolve_model(options.model)
        model, card = model_card.read_model(path)
        try:
            return cls(options, model, card, path)
        except ValueError as e:
            if isinstance(e, (LandmarkerError, model_card.CardError)):
                raise
            raise LandmarkerError(f"{path}: {e}") from None

    @classmethod
    def create(cls, model: str = assets.DEFAULT_MODEL, running_mode: RunningMode = RunningMode.IMAGE,
               threads: Optional[int] = None, min_face_score: Optional[float] = None, **options) -> "FaceLandmarker":
        """`create_from_options` with the options as keywords (see `FaceLandmarkerOptions`)."""
        return cls.create_from_options(FaceLandmarkerOptions(model, running_mode, threads, min_face_score, **options))

    @property
    def point_names(self) -> Tuple[str, ...]:
        return self._model.scheme.point_names

    @property
    def contours(self) -> Tuple[Dict, ...]:
        return tuple(self.card["scheme"].get("contours", ()))

    def close(self) -> None:
        self._model = self._detector = None

    def __enter__(self) -> "FaceLandmarker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _detector_faces(self, image: np.ndarray) -> List[detect.Detection]:
        if self._detector is None:
            self._detector = detect.FaceDetector()
        return self._detector.detect(image)

    def _square_from_box(self, box: np.ndarray) -> np.ndarray:
        return detect.FaceDetector.square(box, self._box_rule)

    def _result(self, faces: Sequence[Face], timestamp_ms: Optional[int] = None) -> FaceLandmarkerResult:
        return FaceLandmarkerResult(tuple(faces), self.contours, timestamp_ms)

    def _face_from(self, image: np.ndarray, square: np.ndarray, source: str, passes: int,
                   box=None, detector_score=None) -> Face:
        """Model on `square`, `passes` landmark re-crops (a pass that jumps off the face is not taken), score."""
        points = self._model.run(image, square)
        for _ in range(passes):
            nxt = self._model.landmark_square(points)
            if not tracking.plausible_step(square, nxt, self.tracking):
                break
            square, points, source = nxt, self._model.run(image, nxt), "refined"
        score = presence_score(self._model, image, square, points)
        return Face(points, self.point_names, score, square, source, box, detector_score)

    def detect(self, image: np.ndarray, whole_image: bool = False) -> FaceLandmarkerResult:
        """Every face in an RGB uint8 `(H, W, 3)` image, best score first.

        `whole_image=True`: the image is one pre-cropped face (no detector; the face is kept whatever
        its score, which is still reported).
        """
        self._check_mode(RunningMode.IMAGE, "detect")
        image = _check_image(image)
        if whole_image:
            square = geometry.square_from_image(image.shape[1], image.shape[0])
            return self._result([self._face_from(image, square, "image", self.options.refine)])
        scored = [self._face_from(image, self._square_from_box(d.box), "detector", self.options.refine, d.box, d.score)
                  for d in self._detector_faces(image)]
        faces: List[Face] = []
        for face in sorted(scored, key=lambda f: -f.score):  # two boxes on one face: the better one stays
            if face.score >= self.options.min_face_score and not any(_same_face(face, f) for f in faces):
                faces.append(face)
        return self._result(faces[:self.options.num_faces])

    def detect_for_video(self, frame: np.ndarray, timestamp_ms: int) -> FaceLandmarkerResult:
        """The tracked face in this RGB frame (none or one); `timestamp_ms` must increase frame to frame."""
        self._check_mode(RunningMode.VIDEO, "detect_for_video")
        frame = _check_image(frame)
        if self._last_ms is not None and timestamp_ms <= self._last_ms:
            raise LandmarkerError(f"timestamp_ms must increase: {timestamp_ms} after {self._last_ms}")
        self._last_ms = int(timestamp_ms)
        ran = self._tracker.needs_detection()
        found = self._detector_faces(frame) if ran else []
        face = self._track(frame, found, ran)
        if face is None:
            self._tracker.reset()
            self._smoother.reset()
            return self._result([], self._last_ms)
        self._tracker.update(face.points, face.square)
        if face.source != "tracking":  # a fresh start: do not drag points over from the last face
            self._smoother.reset()
        if self.options.smooth:
            shown = self._smoother(face.points, timestamp_ms / 1000.0, float(face.square[2]))
            face = dataclasses.replace(face, points=shown)
        return self._result([face], self._last_ms)

    def _track(self, frame: np.ndarray, found: List[detect.Detection], ran: bool) -> Optional[Face]:
        """This frame's face before smoothing: tracked, or (re)started from the first box that scores."""
        box = found[0].box if found else None
        square = self._tracker.choose_crop(box, ran)
        if square is None:
            return None
        if self._tracker.tracked is not None:  # the tracked crop; scored again whenever the detector ran
            points = self._model.run(frame, square)
            if ran:
                self._score = presence_score(self._model, frame, square, points)
                if self._score < self.options.min_face_score:
                    return None
            return Face(points, self.point_names, self._score, square, "tracking",
                        box, found[0].score if found else None)
        for d in found[:3]:  # a false box first must not hide the face behind it
            face = self._face_from(frame, self._square_from_box(d.box), "detector", self.options.refine, d.box, d.score)
            if face.score >= self.options.min_face_score:
                self._score = face.score
                return face
        return None

    def _check_mode(self, mode: RunningMode, call: str) -> None:
        if self._model is None:
            raise LandmarkerError("this FaceLandmarker is closed")
        if self.options.running_mode is not mode:
            raise LandmarkerError(f"{call}() needs running_mode={mode}; this landmarker was created with "
                                  f"{self.options.running_mode}")


def _check_image(image) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise LandmarkerError(f"expected an RGB uint8 image (H, W, 3), got {image.dtype} {image.shape}")
    return image


def draw(image: np.ndarray, result: FaceLandmarkerResult, boxes: bool = True) -> np.ndarray:
    """A copy of the RGB image with each face's contours (the card's, cyan), points (green) and, with
    `boxes`, its crop square (yellow) and detector box (blue)."""
    out = drawing.as_rgb(image)
    for face in result.faces:
        cx, cy, side = [float(v) for v in face.square]
        thick = max(1, round(side / 150))
        if boxes:
            out = drawing.draw_box(out, (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2), (255, 220, 0), thick)
            if face.box is not None:
                out = drawing.draw_box(out, face.box, (0, 128, 255), thick)
        out = drawing.draw_contours(out, face.points, result.contours, thickness=thick)
        out = drawing.draw_points(out, face.points, radius=max(1.5, side / (40 * np.sqrt(len(face.points)))))
    return out
