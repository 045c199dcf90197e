package dev.fldtf.core;

/**
 * The One-Euro filter (Casiez, Roussel, Vogel, CHI 2012), one independent filter per coordinate.
 *
 * <p>A low-pass filter whose cutoff rises with speed: {@code cutoff = minCutoff + beta * |dx/dt|},
 * so a still face does not jitter and a moving one does not lag. For each sample at time {@code t}
 * (seconds), with {@code dt} since the previous sample and {@code alpha(fc) = 1 / (1 + tau / dt)},
 * {@code tau = 1 / (2 pi fc)}:
 * <pre>
 *   dx   = (x - xHatPrev) / dt
 *   dxHat = alpha(dCutoff) * dx + (1 - alpha(dCutoff)) * dxHatPrev
 *   xHat = alpha(minCutoff + beta * |dxHat|) * x + (1 - alpha(...)) * xHatPrev
 * </pre>
 * The first sample passes through unchanged. Units: {@code minCutoff} and {@code dCutoff} in Hz,
 * {@code beta} in 1 / (coordinate unit), here pixels.
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

  /** Forgets the past: the next sample passes through unchanged (e.g. when a face is lost). */
  public void reset() {
    xHat = null;
    dxHat = null;
  }

  /**
   * Filters one sample of all coordinates.
   *
   * @param values the raw coordinates; their count must stay the same until {@link #reset()}
   * @param timeSeconds the sample time; a time not after the previous one returns the previous
   *     output unchanged (a repeated frame carries no new information about speed)
   * @return the filtered coordinates (a new array)
   */
  public float[] filter(float[] values, double timeSeconds) {
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
      for (int i = 0; i < values.length; i++) {
        double dx = (values[i] - xHat[i]) / dt;
        dxHat[i] = aD * dx + (1 - aD) * dxHat[i];
        double a = alpha(minCutoff + beta * Math.abs(dxHat[i]), dt);
        xHat[i] = a * values[i] + (1 - a) * xHat[i];
      }
    }
    float[] out = new float[xHat.length];
    for (int i = 0; i < out.length; i++) out[i] = (float) xHat[i];
    return out;
  }

  /** Smoothing factor of a first-order low-pass filter with cutoff {@code cutoffHz} at step {@code dt}. */
  static double alpha(double cutoffHz, double dt) {
    double tau = 1.0 / (2 * Math.PI * cutoffHz);
    return 1.0 / (1.0 + tau / dt);
  }
}
