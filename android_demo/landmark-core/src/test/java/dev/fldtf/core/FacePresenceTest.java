package dev.fldtf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class FacePresenceTest {
  // mtfl5: eyes (40, 50), (60, 50); nose (50, 60); mouth corners (42, 72), (58, 72).
  private static final float[] FACE = {40, 50, 60, 50, 50, 60, 42, 72, 58, 72};
  private static final Subset5 MTFL5 = Subset5.forCard(TestFiles.sampleCard());

  @Test
  public void facesPassWhateverTheRollMirrorOrScale() {
    assertNull(FacePresence.check(FACE, MTFL5));
    for (int quarter = 1; quarter < 4; quarter++) {
      float[] p = FACE.clone();
      for (int q = 0; q < quarter; q++) p = turn(p);
      assertNull("turned " + 90 * quarter, FacePresence.check(p, MTFL5));
    }
    float[] mirrored = FACE.clone();
    for (int i = 0; i < mirrored.length; i += 2) mirrored[i] = 100 - mirrored[i];
    assertNull(FacePresence.check(mirrored, MTFL5));
    float[] small = FACE.clone();
    for (int i = 0; i < small.length; i++) small[i] *= 0.01f;
    assertNull(FacePresence.check(small, MTFL5));
  }

  @Test
  public void aTurnedHeadStillPasses() {
    // Yaw about 60 degrees: the eye distance halves, the nose moves towards one eye.
    float[] turned = {45, 50, 55, 50, 46, 60, 45, 72, 53, 72};
    assertNull(FacePresence.check(turned, MTFL5));
  }

  @Test
  public void brokenShapesFailWithTheirReason() {
    assertReason(new float[] {50, 60, 50, 60, 50, 60, 50, 60, 50, 60}, "eyes on one spot");
    // Mouth almost on the eye line: height 1 / eye distance 20 = 0.05.
    assertReason(new float[] {40, 50, 60, 50, 50, 51, 42, 51, 58, 51}, "eye-to-mouth distance 0.05 x the eye distance");
    // Mouth 100 px below eyes 20 apart: 5.1.
    assertReason(new float[] {40, 50, 60, 50, 50, 100, 42, 152, 58, 152}, "eye-to-mouth distance 5.10 x");
    // Eyes stacked along the face (eye line parallel to up).
    assertReason(new float[] {50, 30, 50, 50, 50, 60, 48, 80, 52, 80}, "eye line along the face (cos -1.00)");
    // Mouth corners swapped: the mouth line runs against the eye line.
    assertReason(new float[] {40, 50, 60, 50, 50, 60, 58, 72, 42, 72}, "mouth corners run against the eyes");
    // Nose below the mouth: position -1 (mouth 0, eyes 1).
    assertReason(new float[] {40, 50, 60, 50, 50, 94, 42, 72, 58, 72}, "nose at -1.00 of the way");
    assertReason(new float[] {40, Float.NaN, 60, 50, 50, 60, 42, 72, 58, 72}, "points are not finite");
  }

  @Test
  public void a68PointFaceIsCheckedThroughItsSubset5() {
    Subset5 groups = Subset5.forCard(TestFiles.ibug68Card());
    float[] points = new float[136];
    for (int i = 0; i < 68; i++) { // every point on the nose tip, then the groups that subset5 reads
      points[2 * i] = 50;
      points[2 * i + 1] = 60;
    }
    for (int i = 36; i < 42; i++) { points[2 * i] = 40; points[2 * i + 1] = 50; }
    for (int i = 42; i < 48; i++) { points[2 * i] = 60; points[2 * i + 1] = 50; }
    points[2 * 48] = 42; points[2 * 48 + 1] = 72;
    points[2 * 54] = 58; points[2 * 54 + 1] = 72;
    assertNull(FacePresence.check(points, groups));
    points[2 * 54] = 30; // right mouth corner left of the left one
    assertTrue(FacePresence.check(points, groups).startsWith("mouth corners run against the eyes"));
  }

  private static float[] turn(float[] p) {
    float[] out = new float[p.length];
    for (int i = 0; i < p.length; i += 2) {
      out[i] = 100 - p[i + 1];
      out[i + 1] = p[i];
    }
    return out;
  }

  private static void assertReason(float[] points, String expected) {
    String reason = FacePresence.check(points, MTFL5);
    assertTrue("expected \"" + expected + "\", got " + reason, reason != null && reason.startsWith(expected));
    assertEquals(reason, FacePresence.check(points, MTFL5)); // deterministic
  }
}
