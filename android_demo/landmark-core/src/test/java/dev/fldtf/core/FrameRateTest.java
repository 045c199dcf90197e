package dev.fldtf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class FrameRateTest {
  @Test
  public void steadyFramesGiveTheirRate() {
    FrameRate r = new FrameRate(0.1);
    assertTrue(Double.isNaN(r.fps()));
    for (int i = 0; i < 10; i++) r.add(i / 30.0, 12);
    assertEquals(30.0, r.fps(), 1e-9);
    assertEquals(12.0, r.latencyMs(), 1e-12);
  }

  @Test
  public void followsAChangeWithTheGivenWeight() {
    FrameRate r = new FrameRate(0.5);
    r.add(0.0, 10);
    r.add(0.1, 20);  // interval 0.1, latency 10 + 0.5 * (20 - 10) = 15
    r.add(0.15, 20); // interval 0.1 + 0.5 * (0.05 - 0.1) = 0.075 -> 13.33 fps
    assertEquals(1 / 0.075, r.fps(), 1e-9);
    assertEquals(17.5, r.latencyMs(), 1e-12);
  }
}
