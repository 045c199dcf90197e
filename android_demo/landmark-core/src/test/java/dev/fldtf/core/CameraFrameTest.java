package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class CameraFrameTest {
  @Test
  public void quarterTurnOfAKnownPoint() {
    // Sensor 640 x 480 rotated 90 degrees clockwise: the top row becomes the right column,
    // (x, y) -> (H - 1 - y, x) = (479 - 20, 10).
    CameraFrame frame = new CameraFrame(640, 480, 90, false);
    float[] p = {10, 20};
    frame.sensorToUpright(p);
    assertArrayEquals(new float[] {459, 10}, p, 0f);
    assertEquals(480, frame.uprightWidth());
    assertEquals(640, frame.uprightHeight());
  }

  @Test
  public void halfAndThreeQuarterTurns() {
    float[] p = {10, 20};
    new CameraFrame(640, 480, 180, false).sensorToUpright(p);
    assertArrayEquals(new float[] {629, 459}, p, 0f);
    float[] q = {10, 20};
    new CameraFrame(640, 480, 270, false).sensorToUpright(q);
    assertArrayEquals(new float[] {20, 629}, q, 0f);
  }

  @Test
  public void pointAndPixelRotationsAgree() {
    // Each sensor pixel must land where sensorToUpright sends its centre, for every rotation.
    int w = 3, h = 2;
    int[] sensor = {1, 2, 3, 4, 5, 6};
    for (int rotation : new int[] {0, 90, 180, 270}) {
      CameraFrame frame = new CameraFrame(w, h, rotation, false);
      int[] upright = frame.sensorToUpright(sensor);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float[] p = {x, y};
          frame.sensorToUpright(p);
          assertEquals("rotation " + rotation, sensor[y * w + x],
              upright[(int) p[1] * frame.uprightWidth() + (int) p[0]]);
        }
      }
    }
    // Spelled out for 90: rows (1 2 3 / 4 5 6) become (4 1 / 5 2 / 6 3).
    assertArrayEquals(new int[] {4, 1, 5, 2, 6, 3}, new CameraFrame(3, 2, 90, false).sensorToUpright(sensor));
  }

  @Test
  public void mirroringFlipsXAboutTheCentre() {
    CameraFrame frame = new CameraFrame(4, 2, 0, true);
    float[] p = {0, 1, 3, 0, 1.5f, 0};
    frame.uprightToDisplay(p);
    assertArrayEquals(new float[] {3, 1, 0, 0, 1.5f, 0}, p, 0f);
    float[] q = {0, 1};
    new CameraFrame(4, 2, 0, false).uprightToDisplay(q);
    assertArrayEquals(new float[] {0, 1}, q, 0f);
  }

  @Test
  public void viewMappingPutsImageEdgesOnViewEdges() {
    // 480 x 640 display into a 480 x 640 view: scale 1, edge -0.5 -> 0, edge 479.5 -> 480.
    CameraFrame frame = new CameraFrame(640, 480, 90, false);
    float[] p = {-0.5f, -0.5f, 479.5f, 639.5f};
    frame.displayToView(p, 480, 640);
    assertArrayEquals(new float[] {0, 0, 480, 640}, p, 0f);
  }

  @Test(expected = IllegalArgumentException.class)
  public void rejectsOddRotations() {
    new CameraFrame(4, 4, 45, false);
  }
}
