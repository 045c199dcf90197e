package dev.fldtf.core;

import java.util.Locale;

/**
 * Whether a model's landmarks still form a face: the per-frame check that ends tracking and stops
 * drawing. The landmark model has no face score and puts points on anything, so between detector
 * runs this is what notices garbage: points that collapsed, folded or turned the face inside out.
 *
 * <p>On the 5 MTFL points of the card's {@code subset5} (eye centres {@code A}, {@code B}, nose
 * tip {@code N}, mouth corners {@code M1}, {@code M2}), with {@code up} = eye centre - mouth centre
 * and {@code d} = eye distance:
 * <ul>
 *   <li>the eyes are apart: {@code d} > 0, and {@code |up| / d} lies in
 *       [{@value #MIN_HEIGHT_PER_EYE_DISTANCE}, {@value #MAX_HEIGHT_PER_EYE_DISTANCE}] (a turned
 *       head shortens {@code d}, a tilted one {@code |up|});
 *   <li>the eye line is across the face: {@code |cos(eye line, up)|} <= {@value #MAX_EYE_LINE_COS};
 *   <li>eyes and mouth corners run the same way: {@code (B - A) . (M2 - M1)} > 0;
 *   <li>the nose is between the mouth and the eyes, along {@code up}: its position in units of
 *       {@code |up|} (mouth 0, eyes 1) lies in [{@value #MIN_NOSE_POSITION}, {@value #MAX_NOSE_POSITION}].
 * </ul>
 * The tracking step (the new landmark square against the crop it came from) is
 * {@link FaceTracker#update}'s; both must pass for the face to be drawn.
 */
public final class FacePresence {
  public static final float MIN_HEIGHT_PER_EYE_DISTANCE = 0.3f;
  public static final float MAX_HEIGHT_PER_EYE_DISTANCE = 4.0f;
  public static final float MAX_EYE_LINE_COS = 0.6f;
  public static final float MIN_NOSE_POSITION = -0.3f;
  public static final float MAX_NOSE_POSITION = 1.3f;

  private FacePresence() {}

  /**
   * @param points the model's points, interleaved x, y (any frame, e.g. upright pixels)
   * @param subset5 the card's 5-point groups
   * @return null when the points form a face, else why they do not (for the screen and the log)
   */
  public static String check(float[] points, Subset5 subset5) {
    for (float v : points) {
      if (!Float.isFinite(v)) return "points are not finite";
    }
    float[] p = subset5.apply(points);
    float ax = p[0], ay = p[1], bx = p[2], by = p[3], nx = p[4], ny = p[5];
    float m1x = p[6], m1y = p[7], m2x = p[8], m2y = p[9];
    double ex = bx - ax, ey = by - ay;
    double eyeDistance = Math.hypot(ex, ey);
    if (!(eyeDistance > 0)) return "eyes on one spot";
    double mouthX = (m1x + m2x) / 2.0, mouthY = (m1y + m2y) / 2.0;
    double upX = (ax + bx) / 2.0 - mouthX, upY = (ay + by) / 2.0 - mouthY;
    double height = Math.hypot(upX, upY);
    double ratio = height / eyeDistance;
    if (!(ratio >= MIN_HEIGHT_PER_EYE_DISTANCE && ratio <= MAX_HEIGHT_PER_EYE_DISTANCE)) {
      return String.format(Locale.ROOT, "eye-to-mouth distance %.2f x the eye distance (allowed %.1f-%.1f)",
          ratio, MIN_HEIGHT_PER_EYE_DISTANCE, MAX_HEIGHT_PER_EYE_DISTANCE);
    }
    double cos = (ex * upX + ey * upY) / (eyeDistance * height);
    if (Math.abs(cos) > MAX_EYE_LINE_COS) return String.format(Locale.ROOT, "eye line along the face (cos %.2f)", cos);
    if ((ex * (m2x - m1x) + ey * (m2y - m1y)) <= 0) return "mouth corners run against the eyes";
    double nose = ((nx - mouthX) * upX + (ny - mouthY) * upY) / (height * height);
    if (!(nose >= MIN_NOSE_POSITION && nose <= MAX_NOSE_POSITION)) {
      return String.format(Locale.ROOT, "nose at %.2f of the way from mouth to eyes", nose);
    }
    return null;
  }
}
