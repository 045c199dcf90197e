package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
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
  public void theCropRectangleIsTheUprightImage() {
    // A 640 x 480 buffer whose visible part (ViewPort) is x 80..559, y 0..479 (480 x 480), turned 90.
    CameraFrame frame = new CameraFrame(640, 480, 80, 0, 480, 480, 90, false);
    assertEquals(480, frame.uprightWidth());
    assertEquals(480, frame.uprightHeight());
    float[] p = {80, 0, 559, 479};
    frame.sensorToUpright(p);
    // The crop's top-left pixel goes to the upright top-right, its bottom-right to the bottom-left.
    assertArrayEquals(new float[] {479, 0, 0, 479}, p, 0f);
  }

  @Test
  public void uprightToSensorInvertsSensorToUprightOnEveryPixel() {
    for (int rotation : new int[] {0, 90, 180, 270}) {
      for (boolean mirrored : new boolean[] {false, true}) {
        CameraFrame frame = new CameraFrame(7, 5, 1, 1, 5, 3, rotation, mirrored);
        for (int uy = 0; uy < frame.uprightHeight(); uy++) {
          for (int ux = 0; ux < frame.uprightWidth(); ux++) {
            int[] s = frame.uprightToSensor(ux, uy, false);
            float[] back = {s[0], s[1]};
            frame.sensorToUpright(back);
            assertArrayEquals("rotation " + rotation, new float[] {ux, uy}, back, 0f);
            int[] d = frame.uprightToSensor(ux, uy, true);
            float[] display = back.clone();
            frame.uprightToDisplay(display);
            // The display pixel (ux, uy) shows the sensor pixel whose display position is (ux, uy).
            float[] fromD = {d[0], d[1]};
            frame.sensorToUpright(fromD);
            frame.uprightToDisplay(fromD);
            assertArrayEquals(new float[] {ux, uy}, fromD, 0f);
          }
        }
      }
    }
  }

  @Test
  public void mediapipeBoxesComeBackUprightInOurConvention() {
    // MediaPipe boxes are in the unrotated crop bitmap, edges at integers: a box covering the
    // bitmap's pixels x 10..19, y 0..4 is (10, 0, 20, 5); ours is (9.5, -0.5, 19.5, 4.5).
    CameraFrame still = new CameraFrame(64, 48, 0, false);
    assertArrayEquals(new float[] {9.5f, -0.5f, 19.5f, 4.5f}, still.detectorBoxToUpright(10, 0, 20, 5), 0f);
    // Turned 90 (480 x 640 upright from 640 x 480): x' = 479 - y, y' = x.
    CameraFrame turned = new CameraFrame(640, 480, 90, false);
    assertArrayEquals(new float[] {474.5f, 9.5f, 479.5f, 19.5f}, turned.detectorBoxToUpright(10, 0, 20, 5), 0f);
    // With a crop rectangle, the bitmap's origin is the crop's corner in the buffer.
    CameraFrame cropped = new CameraFrame(640, 480, 80, 0, 480, 480, 90, false);
    assertArrayEquals(new float[] {474.5f, 9.5f, 479.5f, 19.5f}, cropped.detectorBoxToUpright(10, 0, 20, 5), 0f);
  }

  @Test
  public void copiesTheCropRectanglePacked() {
    // A 4 x 3 buffer with 2 bytes of row padding (row stride 18); pixel (x, y) has R = 10 y + x.
    ByteBuffer plane = ByteBuffer.allocateDirect(18 * 3);
    for (int y = 0; y < 3; y++) for (int x = 0; x < 4; x++) plane.put(y * 18 + 4 * x, (byte) (10 * y + x));
    CameraFrame frame = new CameraFrame(4, 3, 1, 1, 2, 2, 90, false);
    ByteBuffer out = ByteBuffer.allocate(16);
    frame.copyCropRgba(plane, 18, 4, out);
    assertEquals(16, out.remaining());
    byte[] red = {out.get(0), out.get(4), out.get(8), out.get(12)};
    assertArrayEquals(new byte[] {11, 12, 21, 22}, red); // sensor orientation, not rotated
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

  @Test
  public void fillAndFitCenter() {
    // A 200 x 100 photo in a 100 x 100 view: FILL scales by 1 (crops the sides), FIT by 0.5 (bars).
    CameraFrame photo = new CameraFrame(200, 100, 0, false);
    assertEquals(1f, photo.viewScale(100, 100, true), 0f);
    assertEquals(0.5f, photo.viewScale(100, 100, false), 0f);
    float[] p = {-0.5f, -0.5f, 199.5f, 99.5f};
    photo.displayToView(p, 100, 100, false);
    assertArrayEquals(new float[] {0, 25, 100, 75}, p, 0f);
  }

  @Test(expected = IllegalArgumentException.class)
  public void rejectsOddRotations() {
    new CameraFrame(4, 4, 45, false);
  }

  @Test(expected = IllegalArgumentException.class)
  public void rejectsACropOutsideTheBuffer() {
    new CameraFrame(640, 480, 200, 0, 480, 480, 90, false);
  }
}
