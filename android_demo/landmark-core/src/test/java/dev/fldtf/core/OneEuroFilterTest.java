package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class OneEuroFilterTest {
  // At dt = 0.1 s and a 1 Hz cutoff: tau = 1 / (2 pi) = 0.159155, alpha = 1 / (1 + tau / dt) = 0.385870.
  private static final double ALPHA_1HZ = 0.3858695450950375;

  @Test
  public void constantSignalPassesUnchanged() {
    OneEuroFilter f = new OneEuroFilter(1.0, 0.5, 1.0);
    for (int i = 0; i < 20; i++) {
      assertArrayEquals(new float[] {3f, -7f}, f.filter(new float[] {3f, -7f}, i / 30.0), 0f);
    }
  }

  @Test
  public void convergesToAConstantAfterAJump() {
    OneEuroFilter f = new OneEuroFilter(1.0, 0.0, 1.0);
    f.filter(new float[] {0f}, 0);
    float[] out = null;
    for (int i = 1; i <= 100; i++) out = f.filter(new float[] {1f}, i * 0.1);
    // Error shrinks by (1 - alpha) per step: 0.614^100 ~ 6e-22.
    assertEquals(1f, out[0], 1e-6f);
  }

  @Test
  public void stepResponseWithoutSpeedTermIsAPlainLowPass() {
    OneEuroFilter f = new OneEuroFilter(1.0, 0.0, 1.0);
    assertEquals(0f, f.filter(new float[] {0f}, 0.0)[0], 0f); // the first sample passes
    assertEquals(ALPHA_1HZ, f.filter(new float[] {1f}, 0.1)[0], 1e-6);
    // Second step: 1 - (1 - alpha)^2 = 0.622844.
    assertEquals(0.622843784358224, f.filter(new float[] {1f}, 0.2)[0], 1e-6);
  }

  @Test
  public void speedRaisesTheCutoff() {
    // beta = 1: dx = 10 / s, dxHat = alpha(1 Hz) * 10 = 3.858695, cutoff = 1 + 3.858695 = 4.858695 Hz,
    // alpha(4.858695 Hz) = 1 / (1 + 0.0327566 / 0.1) = 0.753258.
    OneEuroFilter f = new OneEuroFilter(1.0, 1.0, 1.0);
    f.filter(new float[] {0f}, 0.0);
    assertEquals(0.7532575181149229, f.filter(new float[] {1f}, 0.1)[0], 1e-6);
  }

  @Test
  public void repeatedTimestampReturnsThePreviousOutput() {
    OneEuroFilter f = new OneEuroFilter(1.0, 0.0, 1.0);
    f.filter(new float[] {0f}, 0.0);
    float first = f.filter(new float[] {1f}, 0.1)[0];
    assertEquals(first, f.filter(new float[] {5f}, 0.1)[0], 0f);
  }

  @Test
  public void resetMakesTheNextSamplePassThrough() {
    OneEuroFilter f = new OneEuroFilter(1.0, 0.0, 1.0);
    f.filter(new float[] {0f, 0f}, 0.0);
    f.reset();
    assertArrayEquals(new float[] {9f}, f.filter(new float[] {9f}, 0.1), 0f);
  }

  @Test(expected = IllegalArgumentException.class)
  public void changingThePointCountWithoutResetIsAnError() {
    OneEuroFilter f = new OneEuroFilter(1.0, 0.0, 1.0);
    f.filter(new float[] {0f, 0f}, 0.0);
    f.filter(new float[] {0f}, 0.1);
  }

  @Test
  public void alphaMatchesTheFormula() {
    assertEquals(ALPHA_1HZ, OneEuroFilter.alpha(1.0, 0.1), 1e-15);
  }
}
