package dev.fldtf.core;

import java.util.List;

/**
 * One face found by {@link FaceLandmarker}, named as the Python API's {@code Face} (and MediaPipe's
 * results): {@code box} and {@code score} from the face detector, {@code points} and
 * {@code pointNames} from the landmark model. Coordinates are pixels of the image the landmarker
 * ran on (the upright camera frame, or the photo), pixel centres at integers.
 */
public final class Face {
  /** The detector's box {@code x0, y0, x1, y1}, or null when it did not run on this frame (tracking). */
  public final float[] box;
  /** The detector's score in [0, 1], or NaN when it did not run on this frame. */
  public final float score;
  /** {@code 2K} values, interleaved x, y: the landmarks (smoothed in video mode when enabled). */
  public final float[] points;
  /** The card's point names, one per point. */
  public final List<String> pointNames;
  /** The crop square the model ran on. */
  public final Square square;
  /** Where that square came from: {@code detector}, {@code refined} (landmark rule) or {@code tracking}. */
  public final String source;

  public Face(float[] box, float score, float[] points, List<String> pointNames, Square square, String source) {
    this.box = box == null ? null : box.clone();
    this.score = score;
    this.points = points.clone();
    this.pointNames = pointNames;
    this.square = square;
    this.source = source;
  }
}
