package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import org.junit.Test;

/** The same cases and numbers as tests/test_tracking.py (fld_tf.tracking.OneEuroFilter), by hand. */
public class OneEuroFilterTest {
  // dt = 0.1 s, 1 Hz: tau = 1 / (2 pi), alpha = 1 / (1 + tau / dt).
  private static final double ALPHA_1HZ = 0.3858695450950375;

  @Test
  public void handComputedLowPassWithoutSpeedTerm() {
    assertEquals(ALPHA_1HZ, OneEuroFilter.alpha(1.0, 0.1), 1e-15);
    OneEuroFilter f = new OneEuroFilter(1.0, 0.0, 1.0);
    assertEquals(0f, f.filter(new float[] {0f}, 1, 0.0, 1.0)[0], 0f); // the first sample passes
    assertEquals(ALPHA_1HZ, f.filter(new float[] {1f}, 1, 0.1, 1.0)[0], 1e-6);
    assertEquals(1 - (1 - ALPHA_1HZ) * (1 - ALPHA_1HZ), f.filter(new float[] {1f}, 1, 0.2, 1.0)[0], 1e-6);
    // Same time: unchanged.
    assertEquals(0.622843784358224, f.filter(new float[] {5f}, 1, 0.2, 1.0)[0], 1e-6);
  }

  @Test
  public void oneCutoffForAllPointsFromTheirRmsSpeed() {
    // beta = 1, three 1-D points: a rise, a still one, a fall. dxHat = alpha * (10, 0, -10) /s; one speed
    // for all, the RMS: 3.858695 * sqrt(2/3) = 3.150612; cutoff 4.150612 Hz, alpha = 1 / (1 + 0.0383446 / 0.1).
    OneEuroFilter g = new OneEuroFilter(1.0, 1.0, 1.0);
    g.filter(new float[] {0f, 3f, 0f}, 1, 0.0, 1.0);
    assertArrayEquals(new float[] {0.7228309323688848f, 3f, -0.7228309323688848f},
        g.filter(new float[] {1f, 3f, -1f}, 1, 0.1, 1.0), 1e-6f);
    g.reset();
    assertArrayEquals(new float[] {9f}, g.filter(new float[] {9f}, 1, 0.3, 1.0), 0f);
  }

  @Test
  public void aPointsSpeedIsItsVelocitysLength() {
    // Two (x, y) points, one moving (10, 0)/s: RMS = 3.858695 / sqrt(2) = 2.728510; cutoff 3.728510 Hz,
    // alpha = 0.700840.
    OneEuroFilter h = new OneEuroFilter(1.0, 1.0, 1.0);
    h.filter(new float[4], 0.0, 1.0);
    assertArrayEquals(new float[] {0.7008398993695872f, 0f, 0f, 0f}, h.filter(new float[] {1f, 0f, 0f, 0f}, 0.1, 1.0),
        1e-6f);
  }

  @Test
  public void speedIsMeasuredInFaceSizes() {
    // scale 2 (a face twice as large): the same pixel step is half the speed. dxHat = 3.858695 px/s,
    // cutoff = 1 + 1 * 3.858695 / 2 = 2.929348 Hz, alpha = 1 / (1 + 1 / (2 pi 2.929348) / 0.1) = 0.647957.
    OneEuroFilter f = new OneEuroFilter(1.0, 1.0, 1.0);
    f.filter(new float[] {0f}, 1, 0.0, 2.0);
    assertEquals(0.6479571695923358, f.filter(new float[] {1f}, 1, 0.1, 2.0)[0], 1e-6);
    // A face and its 4x enlargement moving alike (in face sizes) are filtered alike.
    OneEuroFilter small = new OneEuroFilter(1.0, 5.0, 1.0);
    OneEuroFilter large = new OneEuroFilter(1.0, 5.0, 1.0);
    for (int i = 0; i < 10; i++) {
      float x = 3f * i; // px of the small face, 30 fps
      float s = small.filter(new float[] {x}, 1, i / 30.0, 50.0)[0];
      float l = large.filter(new float[] {4 * x}, 1, i / 30.0, 200.0)[0];
      assertEquals(4 * s, l, 1e-5 * Math.max(1, Math.abs(l)));
    }
  }

  @Test
  public void constantSignalPassesUnchanged() {
    OneEuroFilter f = OneEuroFilter.of(ModelCard.Tracking.DEFAULTS);
    for (int i = 0; i < 20; i++) {
      assertArrayEquals(new float[] {3f, -7f}, f.filter(new float[] {3f, -7f}, i / 30.0, 100.0), 0f);
    }
  }

  @Test(expected = IllegalArgumentException.class)
  public void changingThePointCountWithoutResetIsAnError() {
    OneEuroFilter f = new OneEuroFilter(1.0, 0.0, 1.0);
    f.filter(new float[] {0f, 0f}, 0.0, 1.0);
    f.filter(new float[] {0f, 0f, 0f, 0f}, 0.1, 1.0);
  }

  @Test(expected = IllegalArgumentException.class)
  public void aZeroCutoffIsRefused() {
    new OneEuroFilter(0.0, 0.0, 1.0);
  }
}
