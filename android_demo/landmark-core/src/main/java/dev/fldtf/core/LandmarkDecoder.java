package dev.fldtf.core;

/**
 * Model output -> image pixels ({@code decode} in fld_tf/geometry.py) -> display or view pixels.
 *
 * <p>The model outputs {@code 2K} floats, interleaved {@code x, y}, in normalised crop coordinates
 * ({@code n = (u + 0.5) / size}, so 0 and 1 are the crop's outer edges). Decoding inverts the
 * sampling map: {@code p = c + side * (n - 0.5)}, evaluated as geometry.py does, in float64 through
 * the sampling matrix ({@code uv = n * size - 0.5; p = s * uv + offset}), then rounded to float32.
 * The image is whatever was tensorized: in the app, the upright camera frame (see {@link CameraFrame}).
 */
public final class LandmarkDecoder {
  private LandmarkDecoder() {}

  /**
   * @param output model output, {@code 2K} values {@code x0, y0, x1, y1, ...} in [0, 1]
   * @param square the crop the input was sampled from
   * @param size the model input size
   * @return {@code 2K} image pixel coordinates, interleaved
   */
  public static float[] decode(float[] output, Square square, int size) {
    if (output.length % 2 != 0) {
      throw new IllegalArgumentException("output must hold x, y pairs, got " + output.length + " values");
    }
    double s = (double) square.side / size;
    double h = 0.5 - size / 2.0;
    double offX = square.cx + s * h;
    double offY = square.cy + s * h;
    float[] points = new float[output.length];
    for (int i = 0; i < output.length; i += 2) {
      double u = (double) output[i] * size - 0.5;
      double v = (double) output[i + 1] * size - 0.5;
      points[i] = (float) (u * s + offX);
      points[i + 1] = (float) (v * s + offY);
    }
    return points;
  }

  /** Upright-frame image points -> display frame (mirrored for the front camera); a new array. */
  public static float[] toDisplay(float[] uprightPoints, CameraFrame frame) {
    float[] points = uprightPoints.clone();
    frame.uprightToDisplay(points);
    return points;
  }

  /** Upright-frame image points -> view pixels (display frame, FILL_CENTER); a new array. */
  public static float[] toView(float[] uprightPoints, CameraFrame frame, int viewWidth, int viewHeight) {
    float[] points = toDisplay(uprightPoints, frame);
    frame.displayToView(points, viewWidth, viewHeight);
    return points;
  }
}
