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
 * <p>The twin of fld_tf/tracking.py's {@code FaceTracker}, rule for rule, with the card's
 * {@link ModelCard.Tracking} settings. Tracking is checked three ways: the detector still runs every
 * {@code redetect_every} frames (a frame with no detection ends tracking; a detection whose centre is
 * outside the tracked crop restarts from that box); a new landmark crop must stay within a factor
 * {@code max_side_change} in size and move less than {@code max_shift} of the old side; and the points
 * must form a face ({@link FacePresence}, checked by {@link FaceLandmarker}). A failed check ends
 * tracking and the next frame is detected again. A new landmark crop within {@code crop_hold} of the
 * tracked one (centre and size) leaves the tracked crop where it is, so the model's own noise does not
 * move the next crop.
 *
 * <p>Call order per frame: {@link #needsDetection()}, run the detector if so, {@link #chooseCrop},
 * run the model on that crop, {@link #update}. Coordinates: upright frame (see {@link CameraFrame}).
 */
public final class FaceTracker {
  private final ModelCard.Crop crop;
  private final ModelCard.BoxRule boxRule;
  private final ModelCard.Tracking settings;
  private Square tracked;
  private int framesSinceDetection;

  /**
   * @param crop the card's crop rule (its landmark rule tracks)
   * @param boxRule the detector's box rule
   * @param settings the card's tracking settings
   */
  public FaceTracker(ModelCard.Crop crop, ModelCard.BoxRule boxRule, ModelCard.Tracking settings) {
    this.crop = crop;
    this.boxRule = boxRule;
    this.settings = settings;
  }

  /** The tracked crop, or null when no face is tracked. */
  public Square tracked() {
    return tracked;
  }

  public boolean isTracking() {
    return tracked != null;
  }

  public void reset() {
    tracked = null;
    framesSinceDetection = 0;
  }

  /** Whether this frame needs the detector. */
  public boolean needsDetection() {
    return tracked == null || framesSinceDetection + 1 >= settings.redetectEvery;
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
    if (!plausibleStep(used, next, settings)) {
      tracked = null;
    } else if (tracked == null || !within(tracked, next, settings.cropHold)) {
      tracked = next;
    }
    return tracked != null;
  }

  /**
   * Whether landmark square {@code next} can follow {@code used} (the same face): side within a
   * factor {@code max_side_change}, centre moved less than {@code max_shift} of the old side.
   */
  public static boolean plausibleStep(Square used, Square next, ModelCard.Tracking settings) {
    // float32 ratio and shift, as fld_tf.tracking.plausible_step computes them on float32 squares.
    float ratio = next.side / used.side;
    float shift = (float) Math.hypot(next.cx - used.cx, next.cy - used.cy) / used.side;
    return 1 / settings.maxSideChange < ratio && ratio < settings.maxSideChange && shift < settings.maxShift;
  }

  /** Whether {@code next} is within {@code fraction} of {@code old}'s side from it, in centre and in size. */
  static boolean within(Square old, Square next, double fraction) {
    return (float) Math.hypot(next.cx - old.cx, next.cy - old.cy) <= fraction * old.side
        && Math.abs((double) (next.side / old.side) - 1) <= fraction;
  }
}
