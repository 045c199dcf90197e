package dev.fldtf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import org.junit.Test;

public class FaceFilterAnchorsTest {
  // mtfl5: left_eye, right_eye, nose_tip, left_mouth, right_mouth.
  private static final float[] FACE = {40, 50, 60, 50, 50, 60, 42, 70, 58, 70};

  private static Subset5 mtfl5() {
    return Subset5.forCard(TestFiles.sampleCard());
  }

  @Test
  public void uprightFace() {
    FaceFilterAnchors a = FaceFilterAnchors.compute(FACE, mtfl5());
    // Glasses: between the eyes, level, 2.1 x eye distance 20.
    assertAnchor(a.glasses, 50, 50, 0, 42);
    // Moustache: 0.55 of the way from the nose (50, 60) to the mouth centre (50, 70); 1.5 x mouth width 16.
    assertAnchor(a.moustache, 50, 65.5f, 0, 24);
  }

  @Test
  public void mirroredFaceIsNotTurnedUpsideDown() {
    float[] mirrored = FACE.clone();
    for (int i = 0; i < mirrored.length; i += 2) mirrored[i] = 99 - mirrored[i];
    FaceFilterAnchors a = FaceFilterAnchors.compute(mirrored, mtfl5());
    assertAnchor(a.glasses, 49, 50, 0, 42);
    assertAnchor(a.moustache, 49, 65.5f, 0, 24);
  }

  @Test
  public void rolledFace() {
    // The face turned 90 degrees clockwise on screen (y down) about (50, 50): (x, y) -> (100 - y, x).
    float[] rolled = new float[FACE.length];
    for (int i = 0; i < FACE.length; i += 2) {
      rolled[i] = 100 - FACE[i + 1];
      rolled[i + 1] = FACE[i];
    }
    FaceFilterAnchors a = FaceFilterAnchors.compute(rolled, mtfl5());
    assertAnchor(a.glasses, 50, 50, (float) (Math.PI / 2), 42);
    assertAnchor(a.moustache, 100 - 65.5f, 50, (float) (Math.PI / 2), 24);
  }

  @Test
  public void a68PointCardPlacesTheFilterFromItsSubset5() {
    // cards/ibug68_int8.json comes from fld_tf.schemes: eyes 36-41 and 42-47, nose tip 30, mouth 48 and 54.
    Subset5 groups = Subset5.forCard(TestFiles.ibug68Card());
    float[] points = new float[136];
    for (int i = 36; i < 42; i++) points[2 * i] = 30 + (i - 36); // eye A: x 30..35, mean 32.5
    for (int i = 42; i < 48; i++) points[2 * i] = 60 + (i - 42); // eye B: x 60..65, mean 62.5
    for (int i = 36; i < 48; i++) points[2 * i + 1] = 40;
    points[2 * 30] = 47; points[2 * 30 + 1] = 55;                // nose tip
    points[2 * 48] = 35; points[2 * 48 + 1] = 70;                // mouth corners
    points[2 * 54] = 59; points[2 * 54 + 1] = 70;
    points[2 * 51] = 1000; points[2 * 51 + 1] = -1000;           // a lip point: not used
    FaceFilterAnchors a = FaceFilterAnchors.compute(points, groups);
    assertAnchor(a.glasses, 47.5f, 40, 0, 2.1f * 30);
    assertAnchor(a.moustache, 47, 55 + 0.55f * 15, 0, 1.5f * 24);
  }

  @Test
  public void aCardWithoutSubset5IsAClearError() {
    String card = TestFiles.resource("cards/ibug68_int8.json")
        .replaceAll("\"subset5\": \\[[^\"]*\\]\\s*\\]", "\"other\": 0");
    try {
      Subset5.forCard(ModelCard.parse(card, "custom"));
      fail();
    } catch (IllegalArgumentException e) {
      assertEquals("model card mnv2-a050-ibug68-112 (68 points) has no scheme.subset5, so eyes, nose and mouth "
          + "cannot be found", e.getMessage());
    }
  }

  private static void assertAnchor(FaceFilterAnchors.Anchor a, float x, float y, float angle, float width) {
    assertEquals("x of " + a, x, a.x, 1e-4f);
    assertEquals("y of " + a, y, a.y, 1e-4f);
    assertEquals("angle of " + a, angle, a.angle, 1e-5f);
    assertEquals("width of " + a, width, a.width, 1e-4f);
  }
}
