package dev.fldtf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/** The same cases and numbers as tests/test_tracking.py (fld_tf.tracking.FaceTracker, plausible_step). */
public class FaceTrackerTest {
  // Python's CropConfig() defaults: the mtfl5 scheme's crop rule (the sample card's landmark rule is another).
  private static final ModelCard.Crop CROP = new ModelCard.Crop(2.87, 0.024, 0.043, 1.61, 0.023, 0.034);
  private static final ModelCard.Tracking DEFAULTS = ModelCard.Tracking.DEFAULTS;
  private static final float[] BOX = {10, 20, 110, 140};
  private static final float[] POINTS = {30, 40, 70, 40, 50, 60, 35, 80, 65, 80}; // square side 114.8

  @Test
  public void followsFldTfTracking() {
    FaceTracker t = new FaceTracker(CROP, CROP.datasetBoxRule(), DEFAULTS.withRedetectEvery(3));
    assertTrue(t.needsDetection());
    Square first = t.chooseCrop(BOX, true);
    assertEquals(CropRule.fromBox(BOX, CROP.datasetBoxRule()), first);
    assertTrue(t.update(POINTS, first));
    assertFalse(t.needsDetection());
    Square second = t.chooseCrop(null, false); // frame 1: from frame 0's landmarks
    // extent 40: centre (50, 60) + (0.024, 0.043) x 40, side 2.87 x 40
    assertEquals(50.96f, second.cx, 1e-3f);
    assertEquals(61.72f, second.cy, 1e-3f);
    assertEquals(114.8f, second.side, 1e-3f);
    assertTrue(t.update(POINTS, second));
    assertFalse(t.needsDetection());
    t.update(POINTS, t.chooseCrop(null, false)); // frame 2: tracked
    assertTrue(t.needsDetection());              // frame 3: detect again
    float[] elsewhere = {400, 20, 500, 140};
    assertEquals(CropRule.fromBox(elsewhere, CROP.datasetBoxRule()), t.chooseCrop(elsewhere, true));
    assertNull(t.tracked());                     // a face elsewhere restarts from its box
    float[] collapsed = {60, 80, 61, 80, 60, 81, 61, 81, 60.5f, 80.5f};
    assertFalse(t.update(collapsed, first));
    assertTrue(t.needsDetection());
    assertNull(t.chooseCrop(null, true));        // detector ran and found nothing
  }

  @Test
  public void aSmallLandmarkStepLeavesTheCropWhereItIs() {
    FaceTracker t = new FaceTracker(CROP, CROP.datasetBoxRule(), DEFAULTS);
    t.update(POINTS, t.chooseCrop(BOX, true));
    Square held = t.tracked();
    // Every point 2 px right: the square moves 2 / 114.8 = 0.017 of its side, within crop_hold 0.04.
    float[] nudged = POINTS.clone();
    for (int i = 0; i < nudged.length; i += 2) nudged[i] += 2;
    assertTrue(t.update(nudged, t.chooseCrop(null, false)));
    assertSame(held, t.tracked());
    // 5 px: 0.044 of the side, past crop_hold: the crop follows.
    for (int i = 0; i < nudged.length; i += 2) nudged[i] += 3;
    assertTrue(t.update(nudged, t.chooseCrop(null, false)));
    assertEquals(CropRule.fromPoints(nudged, CROP), t.tracked());
    // crop_hold 0: every step moves the crop.
    FaceTracker always = new FaceTracker(CROP, CROP.datasetBoxRule(),
        new ModelCard.Tracking(0.1, 40, 1, 10, 1.5, 0.35, 0.0));
    always.update(POINTS, always.chooseCrop(BOX, true));
    for (int i = 0; i < nudged.length; i += 2) nudged[i] = POINTS[i] + 2;
    always.update(nudged, always.chooseCrop(null, false));
    assertEquals(CropRule.fromPoints(nudged, CROP), always.tracked());
  }

  @Test
  public void theDetectorsOwnBoxRuleIsUsed() {
    ModelCard.BoxRule blaze = new ModelCard.BoxRule(2.0, -0.1, 0.2);
    FaceTracker t = new FaceTracker(CROP, blaze, DEFAULTS);
    // side 2 x 100, centre (60 - 10, 80 + 20)
    assertEquals(new Square(50f, 100f, 200f), t.chooseCrop(BOX, true));
  }

  @Test
  public void plausibleStepLimits() {
    Square old = new Square(100, 100, 100);
    assertTrue(FaceTracker.plausibleStep(old, new Square(134, 100, 149), DEFAULTS));  // 0.34 side, 1.49x
    assertFalse(FaceTracker.plausibleStep(old, new Square(136, 100, 100), DEFAULTS)); // 0.36 side
    assertFalse(FaceTracker.plausibleStep(old, new Square(100, 100, 150), DEFAULTS)); // 1.5x
    assertFalse(FaceTracker.plausibleStep(old, new Square(100, 100, 66), DEFAULTS));  // 1 / 1.515
    ModelCard.Tracking wider = new ModelCard.Tracking(0.1, 40, 1, 10, 1.5, 0.37, 0.04);
    assertTrue(FaceTracker.plausibleStep(old, new Square(136, 100, 100), wider));
  }
}
