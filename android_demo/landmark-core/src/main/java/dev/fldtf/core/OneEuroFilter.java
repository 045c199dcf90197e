package dev.fldtf.core;

/**
 * The One-Euro filter (Casiez, Roussel, Vogel, CHI 2012) over a face's points, with one cutoff for all
 * of them: the twin of fld_tf/tracking.py's {@code OneEuroFilter}, step for step.
 *
 * <p>For each sample at time {@code t} (seconds), with {@code dt} since the previous sample and
 * {@code alpha(fc) = 1 / (1 + tau / dt)}, {@code tau = 1 / (2 pi fc)}:
 * <pre>
 *   dxHat  = alpha(dCutoff) * (x - xHatPrev) / dt + (1 - alpha(dCutoff)) * dxHatPrev   (per coordinate)
 *   speed  = sqrt(sum(dxHat^2) / points)          (RMS over points of each point's velocity length)
 *   cutoff = minCutoff + beta * speed / scale     (scale: the crop square's side, so speed is in face sizes/s)
 *   xHat   = alpha(cutoff) * x + (1 - alpha(cutoff)) * xHatPrev
 * </pre>
 * One speed for the face is far less noisy than one per coordinate, so a still face stays still, yet
 * any point's motion raises it. The first sample passes through unchanged.
 */
public final class OneEuroFilter {
  private final double minCutoff;
  private final double beta;
  private final double dCutoff;
  private double[] xHat;
  private double[] dxHat;
  private double lastTime;

  public OneEuroFilter(double minCutoff, double beta, double dCutoff) {
    if (!(minCutoff > 0) || !(dCutoff > 0) || !(beta >= 0)) {
      throw new IllegalArgumentException("need minCutoff > 0, dCutoff > 0, beta >= 0; got "
          + minCutoff + ", " + beta + ", " + dCutoff);
    }
    this.minCutoff = minCutoff;
    this.beta = beta;
    this.dCutoff = dCutoff;
  }

  /** The filter of the card's tracking settings. */
  public static OneEuroFilter of(ModelCard.Tracking t) {
    return new OneEuroFilter(t.minCutoffHz, t.beta, t.dCutoffHz);
  }

  /** Forgets the past: the next sample passes through unchanged (e.g. when a face is lost). */
  public void reset() {
    xHat = null;
    dxHat = null;
  }

  /** Filters interleaved {@code x, y} points; {@code scale} is the crop square's side in the same pixels. */
  public float[] filter(float[] xy, double timeSeconds, double scale) {
    return filter(xy, 2, timeSeconds, scale);
  }

  /**
   * Filters one sample of all points.
   *
   * @param values the raw coordinates, {@code dims} per point; their count must stay the same until {@link #reset()}
   * @param dims coordinates per point (2 for image points; 1 treats each value as a point)
   * @param timeSeconds the sample time; a time not after the previous one returns the previous
   *     output unchanged (a repeated frame carries no new information about speed)
   * @param scale the unit speeds are measured in (the crop square's side, pixels)
   * @return the filtered coordinates (a new array)
   */
  public float[] filter(float[] values, int dims, double timeSeconds, double scale) {
    if (dims < 1 || values.length % dims != 0) {
      throw new IllegalArgumentException(values.length + " values are not points of " + dims + " coordinates");
    }
    if (xHat == null) {
      xHat = new double[values.length];
      dxHat = new double[values.length];
      for (int i = 0; i < values.length; i++) xHat[i] = values[i];
      lastTime = timeSeconds;
      return values.clone();
    }
    if (values.length != xHat.length) {
      throw new IllegalArgumentException("expected " + xHat.length + " values, got " + values.length
          + " (call reset() when the point count changes)");
    }
    double dt = timeSeconds - lastTime;
    if (dt > 0) {
      lastTime = timeSeconds;
      double aD = alpha(dCutoff, dt);
      double sumSquares = 0;
      for (int i = 0; i < values.length; i++) {
        dxHat[i] = aD * (values[i] - xHat[i]) / dt + (1 - aD) * dxHat[i];
        sumSquares += dxHat[i] * dxHat[i];
      }
      double speed = Math.sqrt(sumSquares / (values.length / dims));
      double a = alpha(minCutoff + beta * speed / scale, dt);
      for (int i = 0; i < values.length; i++) xHat[i] = a * values[i] + (1 - a) * xHat[i];
    }
    float[] out = new float[xHat.length];
    for (int i = 0; i < out.length; i++) out[i] = (float) xHat[i];
    return out;
  }

  /** Smoothing factor of a first-order low-pass filter with cutoff {@code cutoffHz} at step {@code dt}. */
  static double alpha(double cutoffHz, double dt) {
    return 1.0 / (1.0 + 1.0 / (2 * Math.PI * cutoffHz) / dt);
  }
}
