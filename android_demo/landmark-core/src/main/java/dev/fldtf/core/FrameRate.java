package dev.fldtf.core;

/**
 * Smoothed frames per second and latency for the on-screen readout: exponential moving averages,
 * so the numbers are steady enough to read but follow a change within about {@code 1 / weight} frames.
 */
public final class FrameRate {
  private final double weight;
  private double meanInterval = Double.NaN;
  private double meanLatency = Double.NaN;
  private double lastTime = Double.NaN;

  /** @param weight weight of the newest frame, in (0, 1] */
  public FrameRate(double weight) {
    if (!(weight > 0 && weight <= 1)) throw new IllegalArgumentException("weight must be in (0, 1], got " + weight);
    this.weight = weight;
  }

  /**
   * Records one processed frame.
   *
   * @param timeSeconds when the frame was processed
   * @param latencyMs how long it took
   */
  public void add(double timeSeconds, double latencyMs) {
    meanLatency = Double.isNaN(meanLatency) ? latencyMs : meanLatency + weight * (latencyMs - meanLatency);
    if (!Double.isNaN(lastTime) && timeSeconds > lastTime) {
      double interval = timeSeconds - lastTime;
      meanInterval = Double.isNaN(meanInterval) ? interval : meanInterval + weight * (interval - meanInterval);
    }
    lastTime = timeSeconds;
  }

  /** Frames per second, or NaN before two frames. */
  public double fps() {
    return 1.0 / meanInterval;
  }

  /** Mean latency in milliseconds, or NaN before any frame. */
  public double latencyMs() {
    return meanLatency;
  }
}
