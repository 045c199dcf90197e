package dev.fldtf.core;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class CropRuleTest {
  @Test
  public void squareFromBox() {
    // width 100: centre (60, 80) + (0.028, 0.039) * 100, side 1.61 * 100.
    Square s = CropRule.fromBox(10, 20, 110, 140, 1.61, 0.028, 0.039);
    assertEquals(new Square(62.8f, 83.9f, 161f), s);
  }

  @Test
  public void squareFromBoxUsesTheCardsRule() {
    Square s = CropRule.fromBox(new float[] {10, 20, 110, 140}, TestFiles.sampleCard().crop);
    assertEquals(new Square(62.8f, 83.9f, 161f), s);
  }

  @Test
  public void squareFromPoints() {
    // Extent: x 30..70, y 40..80, larger side 40; centre (50, 60) + (0.033, 0.052) * 40; side 2.87 * 40.
    float[] points = {30, 40, 70, 40, 50, 60, 35, 80, 65, 80};
    Square s = CropRule.fromPoints(points, TestFiles.sampleCard().crop);
    assertEquals(51.32f, s.cx, 0);
    assertEquals(62.08f, s.cy, 0);
    assertEquals(114.8f, s.side, 0);
  }

  @Test
  public void squareFromPointsKeepsNumpyPrecision() {
    // float32 extent and centre, float64 scale/shift, float32 result (what numpy does).
    float[] points = {10.1f, 20.3f, 47.77f, 21.9f, 30.05f, 61.31f};
    float extent = Math.max(47.77f - 10.1f, 61.31f - 20.3f);
    float centreX = (10.1f + 47.77f) / 2f;
    float centreY = (20.3f + 61.31f) / 2f;
    Square s = CropRule.fromPoints(points, 2.87, 0.033, 0.052);
    assertEquals((float) (centreX + 0.033 * (double) extent), s.cx, 0);
    assertEquals((float) (centreY + 0.052 * (double) extent), s.cy, 0);
    assertEquals((float) (2.87 * (double) extent), s.side, 0);
  }

  @Test
  public void squareFromImage() {
    assertEquals(new Square(47.5f, 39.5f, 96f), CropRule.fromImage(96, 80));
    assertEquals(new Square(1.5f, 1.5f, 4f), CropRule.fromImage(4, 4));
  }

  @Test(expected = IllegalArgumentException.class)
  public void oddPointArrayIsAnError() {
    CropRule.fromPoints(new float[] {1, 2, 3}, 1, 0, 0);
  }
}
