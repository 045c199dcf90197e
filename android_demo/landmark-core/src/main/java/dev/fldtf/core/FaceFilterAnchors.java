package dev.fldtf.core;

/**
 * Where to draw face-filter sprites (glasses, moustache), from a scheme's eye, nose and mouth points.
 *
 * <p>Point groups come from the card's {@code scheme.subset5} (fld_tf/schemes.py): for each MTFL
 * point (image-left eye, image-right eye, nose tip, image-left and image-right mouth corner) the
 * indices whose mean defines it, e.g. {@code (36..41), (42..47), (30), (48), (54)} for ibug68. No
 * table here is keyed by a scheme name: a new scheme only needs its card.
 *
 * <p>Orientation comes from the face, not from the left/right labels: the eye line's direction is
 * chosen so that "up" (its normal, towards the eyes from the mouth) points from the mouth to the
 * eyes. So the anchors are right for mirrored (selfie) points and for any head roll, and a sprite
 * drawn at {@code angle} is never upside down.
 */
public final class FaceFilterAnchors {
  /** Glasses width as a multiple of the distance between the eye centres. */
  public static final float GLASSES_WIDTH_PER_EYE_DISTANCE = 2.1f;
  /** Moustache width as a multiple of the mouth-corner distance. */
  public static final float MOUSTACHE_WIDTH_PER_MOUTH_WIDTH = 1.5f;
  /** Moustache centre: this fraction of the way from the nose tip to the mouth centre. */
  public static final float MOUSTACHE_POSITION = 0.55f;

  /** A sprite placement: centre (pixels), rotation (radians, y down, clockwise positive), width. */
  public static final class Anchor {
    public final float x;
    public final float y;
    public final float angle;
    public final float width;

    Anchor(float x, float y, float angle, float width) {
      this.x = x;
      this.y = y;
      this.angle = angle;
      this.width = width;
    }

    @Override
    public String toString() {
      return "Anchor(x=" + x + ", y=" + y + ", angle=" + angle + ", width=" + width + ")";
    }
  }

  public final Anchor glasses;
  public final Anchor moustache;

  private FaceFilterAnchors(Anchor glasses, Anchor moustache) {
    this.glasses = glasses;
    this.moustache = moustache;
  }

  /**
   * @param points interleaved {@code x, y} in any frame (upright, display or view); the anchors are
   *     in the same frame
   */
  public static FaceFilterAnchors compute(float[] points, Subset5 subset5) {
    float[] five = subset5.apply(points);
    float[] a = {five[0], five[1]};
    float[] b = {five[2], five[3]};
    float[] nose = {five[4], five[5]};
    float[] ma = {five[6], five[7]};
    float[] mb = {five[8], five[9]};
    float eyesX = (a[0] + b[0]) / 2, eyesY = (a[1] + b[1]) / 2;
    float mouthX = (ma[0] + mb[0]) / 2, mouthY = (ma[1] + mb[1]) / 2;
    // "Up" on the face: from the mouth centre to the eye centre.
    float upX = eyesX - mouthX, upY = eyesY - mouthY;

    float eyeAngle = orientedAngle(b[0] - a[0], b[1] - a[1], upX, upY);
    float eyeDistance = (float) Math.hypot(b[0] - a[0], b[1] - a[1]);
    Anchor glasses = new Anchor(eyesX, eyesY, eyeAngle, GLASSES_WIDTH_PER_EYE_DISTANCE * eyeDistance);

    float mouthAngle = orientedAngle(mb[0] - ma[0], mb[1] - ma[1], upX, upY);
    float mouthWidth = (float) Math.hypot(mb[0] - ma[0], mb[1] - ma[1]);
    Anchor moustache = new Anchor(nose[0] + MOUSTACHE_POSITION * (mouthX - nose[0]),
        nose[1] + MOUSTACHE_POSITION * (mouthY - nose[1]), mouthAngle,
        MOUSTACHE_WIDTH_PER_MOUTH_WIDTH * mouthWidth);
    return new FaceFilterAnchors(glasses, moustache);
  }

  /**
   * Angle of the line {@code (dx, dy)}, turned round if needed so that its upward normal
   * {@code (dy, -dx)} (y points down) agrees with the face's up vector.
   */
  static float orientedAngle(float dx, float dy, float upX, float upY) {
    if (dy * upX - dx * upY < 0) {
      dx = -dx;
      dy = -dy;
    }
    return (float) Math.atan2(dy, dx);
  }
}
