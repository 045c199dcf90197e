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
    FaceTracker t = new FaceTracker(CROP, Double.NaN, 5);
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
    FaceTracker t = new FaceTracker(CROP, Double.NaN, 3);
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
    FaceTracker t = new FaceTracker(CROP, Double.NaN, 1);
    t.update(POINTS, t.chooseCrop(BOX, true));
    float[] elsewhere = {400, 20, 500, 140};
    assertEquals(CropRule.fromBox(elsewhere, CROP), t.chooseCrop(elsewhere, true));
    assertFalse(t.isTracking());
  }

  @Test
  public void implausibleLandmarksEndTracking() {
    FaceTracker t = new FaceTracker(CROP, Double.NaN, 5);
    Square used = t.chooseCrop(BOX, true);
    float[] collapsed = {60, 80, 61, 80, 60, 81, 61, 81, 60.5f, 80.5f}; // extent 1 -> side 2.87
    assertFalse(t.update(collapsed, used));
    assertTrue(t.needsDetection());
  }

  @Test
  public void boxScaleOverrideReplacesTheCardsScaleOnly() {
    FaceTracker t = new FaceTracker(CROP, 2.0, 5);
    Square s = t.chooseCrop(BOX, true);
    assertEquals(CropRule.fromBox(10, 20, 110, 140, 2.0, CROP.boxShiftX, CROP.boxShiftY), s);
  }

  @Test
  public void measuresTheDetectorCalibrationRatio() {
    FaceTracker t = new FaceTracker(CROP, Double.NaN, 1);
    assertTrue(Double.isNaN(t.meanSideRatio()));
    t.update(POINTS, t.chooseCrop(BOX, true));
    t.chooseCrop(BOX, true); // tracked side 114.8 vs box width 100
    assertEquals(1.148, t.meanSideRatio(), 1e-5);
  }
}
