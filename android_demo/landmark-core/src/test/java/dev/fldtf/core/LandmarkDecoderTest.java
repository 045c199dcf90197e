package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;

import org.junit.Test;

public class LandmarkDecoderTest {
  private static final Square SQUARE = new Square(50f, 60f, 100f);

  @Test
  public void decodesCropCornersCentreAndEdges() {
    // p = c + side * (n - 0.5): n = 0 and 1 are the crop's outer edges, 0.5 its centre.
    float[] out = {0.5f, 0.5f, 0f, 0f, 1f, 1f, 0.25f, 0.75f};
    assertArrayEquals(new float[] {50, 60, 0, 10, 100, 110, 25, 85},
        LandmarkDecoder.decode(out, SQUARE, 96), 1e-5f);
  }

  @Test
  public void decodeInvertsTheTrainingEncoding() {
    // geometry.encode: n = (p - c) / side + 0.5 for an unrotated, unmirrored crop.
    float[] points = {12.25f, 80.5f, 77.75f, 33.125f};
    float[] n = new float[4];
    for (int i = 0; i < 4; i += 2) {
      n[i] = (points[i] - SQUARE.cx) / SQUARE.side + 0.5f;
      n[i + 1] = (points[i + 1] - SQUARE.cy) / SQUARE.side + 0.5f;
    }
    assertArrayEquals(points, LandmarkDecoder.decode(n, SQUARE, 96), 1e-4f);
  }

  @Test
  public void mapsUprightPointsToDisplayAndView() {
    // Upright 480 x 640 (sensor 640 x 480 turned 90 degrees), front camera.
    CameraFrame frame = new CameraFrame(640, 480, 90, true);
    float[] upright = {459, 10};
    // Mirroring: x -> 479 - x.
    assertArrayEquals(new float[] {20, 10}, LandmarkDecoder.toDisplay(upright, frame), 0f);
    // FILL_CENTER into 1080 x 1920: scale max(2.25, 3) = 3, x offset (1080 - 1440) / 2 = -180.
    assertArrayEquals(new float[] {20.5f * 3 - 180, 10.5f * 3},
        LandmarkDecoder.toView(upright, frame, 1080, 1920), 1e-4f);
  }
}
