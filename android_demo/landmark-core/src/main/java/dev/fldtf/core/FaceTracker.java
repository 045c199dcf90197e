package dev.fldtf.core;

/**
 * Chooses each frame's crop: from the previous frame's landmarks while a face is tracked (as
 * MediaPipe's landmark tracking does), from the detector's box otherwise.
 *
 * <p>The landmark crop uses the card's landmark rule, which training measured on real data, so it
 * does not depend on how a particular detector draws its boxes. The box crop uses the card's box
 * rule, whose numbers were measured on CUHK boxes; another detector's boxes can be rescaled with a
 * {@code boxScaleOverride} calibrated for that detector (see {@link #meanSideRatio()}).
 *
 * <p>Our model has no face-presence score, so tracking is checked two ways: the detector still runs
 * every {@code redetectEvery} frames (a frame with no detection ends tracking; a detection whose
 * centre is outside the tracked crop restarts from that box), and a new landmark crop must stay
 * within a factor {@link #MAX_SIDE_CHANGE} in size and move less than {@link #MAX_SHIFT} of the old
 * side, else tracking ends and the next frame is detected again.
 *
 * <p>Call order per frame: {@link #needsDetection()}, run the detector if so, {@link #chooseCrop},
 * run the model on that crop, {@link #update}. Coordinates: upright frame (see {@link CameraFrame}).
 */
public final class FaceTracker {
  public static final float MAX_SIDE_CHANGE = 1.5f;
  public static final float MAX_SHIFT = 0.35f;

  private final ModelCard.Crop crop;
  private final double boxScale;
  private final int redetectEvery;
  private Square tracked;
  private int framesSinceDetection;
  private double sideRatioSum;
  private int sideRatioCount;

  /**
   * @param boxScaleOverride side / box width for this app's detector, or {@code NaN} for the card's
   * @param redetectEvery run the detector at least every this many frames while tracking (>= 1)
   */
  public FaceTracker(ModelCard.Crop crop, double boxScaleOverride, int redetectEvery) {
    if (redetectEvery < 1) throw new IllegalArgumentException("redetectEvery must be >= 1");
    this.crop = crop;
    this.boxScale = Double.isNaN(boxScaleOverride) ? crop.boxScale : boxScaleOverride;
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
    Square fromBox = box == null ? null
        : CropRule.fromBox(box[0], box[1], box[2], box[3], boxScale, crop.boxShiftX, crop.boxShiftY);
    if (tracked == null) return fromBox;
    if (fromBox != null) {
      sideRatioSum += tracked.side / (box[2] - box[0]);
      sideRatioCount++;
      if (!tracked.contains(fromBox.cx, fromBox.cy)) {
        tracked = null;
        return fromBox;
      }
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
    float ratio = next.side / used.side;
    double shift = Math.hypot(next.cx - used.cx, next.cy - used.cy) / used.side;
    boolean plausible = ratio < MAX_SIDE_CHANGE && ratio > 1 / MAX_SIDE_CHANGE && shift < MAX_SHIFT;
    tracked = plausible ? next : null;
    return plausible;
  }

  /**
   * Mean of (landmark-crop side / detector box width) over frames where both were known: the
   * {@code boxScaleOverride} that makes this detector's box crops match the landmark crops.
   * NaN before any such frame.
   */
  public double meanSideRatio() {
    return sideRatioCount == 0 ? Double.NaN : sideRatioSum / sideRatioCount;
  }
}
