package dev.fldtf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class FaceTrackerTest {
  private static final ModelCard.Crop CROP = TestFiles.sampleCard().crop;
  private static final float[] BOX = {10, 20, 110, 140};
  // Landmarks whose crop (extent 40 -> side 114.8, centre (51.32, 62.08)) is near the box crop
  // (side 161, centre (62.8, 83.9)): plausible.
  private static final float[] POINTS = {30, 40, 70, 40, 50, 60, 35, 80, 65, 80};

  @Test
  public void detectsFirstThenTracksFromLandmarks() {
    FaceTracker t = new FaceTracker(CROP, CROP.datasetBoxRule(), 5);
    assertTrue(t.needsDetection());
    Square first = t.chooseCrop(BOX, true);
    assertEquals(CropRule.fromBox(BOX, CROP), first);
    assertTrue(t.update(POINTS, first));
    assertTrue(t.isTracking());
    assertFalse(t.needsDetection());
    assertEquals(CropRule.fromPoints(POINTS, CROP), t.chooseCrop(null, false));
  }

  @Test
  public void redetectsEveryNFramesAndStopsWhenTheFaceIsGone() {
    FaceTracker t = new FaceTracker(CROP, CROP.datasetBoxRule(), 3);
    t.update(POINTS, t.chooseCrop(BOX, true));   // frame 0: detected
    assertFalse(t.needsDetection());
    t.update(POINTS, t.chooseCrop(null, false)); // frame 1: tracked
    assertFalse(t.needsDetection());
    t.update(POINTS, t.chooseCrop(null, false)); // frame 2: tracked
    assertTrue(t.needsDetection());              // frame 3: detect again
    assertNull(t.chooseCrop(null, true));        // detector found nothing: face gone
    assertFalse(t.isTracking());
  }

  @Test
  public void aDetectionOutsideTheTrackedCropRestartsFromTheBox() {
    FaceTracker t = new FaceTracker(CROP, CROP.datasetBoxRule(), 1);
    t.update(POINTS, t.chooseCrop(BOX, true));
    float[] elsewhere = {400, 20, 500, 140};
    assertEquals(CropRule.fromBox(elsewhere, CROP), t.chooseCrop(elsewhere, true));
    assertFalse(t.isTracking());
  }

  @Test
  public void implausibleLandmarksEndTracking() {
    FaceTracker t = new FaceTracker(CROP, CROP.datasetBoxRule(), 5);
    Square used = t.chooseCrop(BOX, true);
    float[] collapsed = {60, 80, 61, 80, 60, 81, 61, 81, 60.5f, 80.5f}; // extent 1 -> side 2.87
    assertFalse(t.update(collapsed, used));
    assertTrue(t.needsDetection());
  }

  @Test
  public void theDetectorsOwnBoxRuleIsUsed() {
    ModelCard.BoxRule blaze = new ModelCard.BoxRule(2.0, -0.1, 0.2);
    FaceTracker t = new FaceTracker(CROP, blaze, 5);
    // side 2 x 100, centre (60 - 10, 80 + 20)
    assertEquals(new Square(50f, 100f, 200f), t.chooseCrop(BOX, true));
  }

  @Test
  public void plausibleStepLimits() {
    Square used = new Square(100, 100, 100);
    assertTrue(FaceTracker.plausibleStep(used, new Square(100, 100, 149)));
    assertFalse(FaceTracker.plausibleStep(used, new Square(100, 100, 151)));
    assertFalse(FaceTracker.plausibleStep(used, new Square(100, 100, 66)));
    assertTrue(FaceTracker.plausibleStep(used, new Square(134, 100, 100)));
    assertFalse(FaceTracker.plausibleStep(used, new Square(100, 136, 100)));
  }
}
