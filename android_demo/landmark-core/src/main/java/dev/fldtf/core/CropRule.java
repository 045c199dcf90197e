package dev.fldtf.core;

/**
 * The crop rule of {@code fld_tf/geometry.py}, step for step: {@code square_from_box},
 * {@code square_from_points}, {@code square_from_image}.
 *
 * <p>Precision follows numpy: points arrive as float32 and their min/max/extent stay float32;
 * scale and shift multiply in float64; the square is rounded to float32 last.
 */
public final class CropRule {
  private CropRule() {}

  /**
   * {@code square_from_box}: side = {@code scale} x box width, centre = box centre + {@code shift}
   * x box width (detectors agree on width more than on height).
   */
  public static Square fromBox(double x0, double y0, double x1, double y1,
                               double scale, double shiftX, double shiftY) {
    double width = x1 - x0;
    double cx = (x0 + x1) / 2 + shiftX * width;
    double cy = (y0 + y1) / 2 + shiftY * width;
    return new Square((float) cx, (float) cy, (float) (scale * width));
  }

  /** {@link #fromBox(double, double, double, double, double, double, double)} with the card's box rule. */
  public static Square fromBox(float[] box, ModelCard.Crop crop) {
    return fromBox(box, crop.datasetBoxRule());
  }

  /** {@link #fromBox(double, double, double, double, double, double, double)} with a detector's box rule. */
  public static Square fromBox(float[] box, ModelCard.BoxRule rule) {
    return fromBox(box[0], box[1], box[2], box[3], rule.scale, rule.shiftX, rule.shiftY);
  }

  /**
   * {@code square_from_points}: side = {@code scale} x the larger side of the points' bounding box,
   * centre = bounding-box centre + {@code shift} x that side.
   *
   * @param points interleaved {@code x0, y0, x1, y1, ...} (length {@code 2 * numPoints})
   */
  public static Square fromPoints(float[] points, double scale, double shiftX, double shiftY) {
    if (points.length < 2 || points.length % 2 != 0) {
      throw new IllegalArgumentException("points must hold x, y pairs, got " + points.length + " values");
    }
    float loX = points[0], hiX = points[0], loY = points[1], hiY = points[1];
    for (int i = 2; i < points.length; i += 2) {
      loX = Math.min(loX, points[i]);
      hiX = Math.max(hiX, points[i]);
      loY = Math.min(loY, points[i + 1]);
      hiY = Math.max(hiY, points[i + 1]);
    }
    double extent = Math.max(hiX - loX, hiY - loY); // float32 differences, as numpy
    double cx = (loX + hiX) / 2f + shiftX * extent;  // (lo + hi) / 2 stays float32 in numpy
    double cy = (loY + hiY) / 2f + shiftY * extent;
    return new Square((float) cx, (float) cy, (float) (scale * extent));
  }

  /** {@link #fromPoints(float[], double, double, double)} with the card's landmark rule. */
  public static Square fromPoints(float[] points, ModelCard.Crop crop) {
    return fromPoints(points, crop.landmarkScale, crop.landmarkShiftX, crop.landmarkShiftY);
  }

  /** {@code square_from_image}: the square covering a whole (pre-cropped) image. */
  public static Square fromImage(int width, int height) {
    return new Square((float) ((width - 1) / 2.0), (float) ((height - 1) / 2.0), Math.max(width, height));
  }
}
