package dev.fldtf.core;

/**
 * Chooses each frame's crop: from the previous frame's landmarks while a face is tracked (as
 * MediaPipe's landmark tracking does), from the detector's box otherwise.
 *
 * <p>The landmark crop uses the card's landmark rule, which training measured on real data, so it
 * does not depend on how a particular detector draws its boxes. The box crop uses the detector's
 * own box rule (the card's {@code crop.detectors}, measured for that detector by
 * benchmarks/calibrate_blazeface.py), which maps its box to the landmark rule's square.
 *
 * <p>Our model has no face-presence score, so tracking is checked three ways: the detector still
 * runs every {@code redetectEvery} frames (a frame with no detection ends tracking; a detection
 * whose centre is outside the tracked crop restarts from that box); a new landmark crop must stay
 * within a factor {@link #MAX_SIDE_CHANGE} in size and move less than {@link #MAX_SHIFT} of the old
 * side; and the points must form a face ({@link FacePresence}, checked by {@link FaceLandmarker}).
 * A failed check ends tracking and the next frame is detected again.
 *
 * <p>Call order per frame: {@link #needsDetection()}, run the detector if so, {@link #chooseCrop},
 * run the model on that crop, {@link #update}. Coordinates: upright frame (see {@link CameraFrame}).
 */
public final class FaceTracker {
  public static final float MAX_SIDE_CHANGE = 1.5f;
  public static final float MAX_SHIFT = 0.35f;

  private final ModelCard.Crop crop;
  private final ModelCard.BoxRule boxRule;
  private final int redetectEvery;
  private Square tracked;
  private int framesSinceDetection;

  /**
   * @param crop the card's crop rule (its landmark rule tracks)
   * @param boxRule the detector's box rule
   * @param redetectEvery run the detector at least every this many frames while tracking (>= 1)
   */
  public FaceTracker(ModelCard.Crop crop, ModelCard.BoxRule boxRule, int redetectEvery) {
    if (redetectEvery < 1) throw new IllegalArgumentException("redetectEvery must be >= 1");
    this.crop = crop;
    this.boxRule = boxRule;
    this.redetectEvery = redetectEvery;
  }

  public boolean isTracking() {
    return tracked != null;
  }

  public void reset() {
    tracked = null;
  }

  /** Whether this frame needs the detector. */
  public boolean needsDetection() {
    return tracked == null || framesSinceDetection + 1 >= redetectEvery;
  }

  /**
   * The crop for this frame, or {@code null} when there is no face.
   *
   * @param box the detector's face box {@code x0, y0, x1, y1}, or null when it found none or did not run
   * @param detectorRan whether the detector ran on this frame
   */
  public Square chooseCrop(float[] box, boolean detectorRan) {
    framesSinceDetection = detectorRan ? 0 : framesSinceDetection + 1;
    if (detectorRan && box == null) {
      tracked = null;
      return null;
    }
    Square fromBox = box == null ? null : CropRule.fromBox(box, boxRule);
    if (tracked == null) return fromBox;
    if (fromBox != null && !tracked.contains(fromBox.cx, fromBox.cy)) {
      tracked = null;
      return fromBox;
    }
    return tracked;
  }

  /**
   * Feeds back this frame's landmarks (upright-frame pixels) and the crop they came from.
   *
   * @return whether tracking continues from them
   */
  public boolean update(float[] points, Square used) {
    Square next = CropRule.fromPoints(points, crop);
    boolean plausible = plausibleStep(used, next);
    tracked = plausible ? next : null;
    return plausible;
  }

  /**
   * Whether landmark square {@code next} can follow {@code used} (the same face): side within a
   * factor {@link #MAX_SIDE_CHANGE}, centre moved less than {@link #MAX_SHIFT} of the old side.
   */
  public static boolean plausibleStep(Square used, Square next) {
    float ratio = next.side / used.side;
    double shift = Math.hypot(next.cx - used.cx, next.cy - used.cy) / used.side;
    return ratio < MAX_SIDE_CHANGE && ratio > 1 / MAX_SIDE_CHANGE && shift < MAX_SHIFT;
  }
}
