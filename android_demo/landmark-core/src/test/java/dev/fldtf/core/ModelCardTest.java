package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
import org.junit.Test;

public class ModelCardTest {
  private static final String SAMPLE = TestFiles.resource("cards/mtfl5_int8.json");

  @Test
  public void parsesTheSampleCard() {
    ModelCard card = ModelCard.parse(SAMPLE, "sample");
    assertEquals("mnv2-a050-mtfl5-96", card.name);
    assertEquals("int8", card.variant);
    assertEquals("mnv2-a050-mtfl5-96.int8.tflite", card.modelFile);
    assertEquals(96, card.inputSize);
    assertEquals(ModelCard.InputType.UINT8, card.inputType);
    assertEquals("mtfl5", card.schemeName);
    assertEquals(5, card.numPoints());
    assertEquals(Arrays.asList("left_eye", "right_eye", "nose_tip", "left_mouth", "right_mouth"), card.pointNames);
    assertEquals(2, card.indexOf("nose_tip"));
    assertEquals(-1, card.indexOf("chin"));
    assertEquals(2.87, card.crop.landmarkScale, 0);
    assertEquals(0.033, card.crop.landmarkShiftX, 0);
    assertEquals(0.052, card.crop.landmarkShiftY, 0);
    assertEquals(1.61, card.crop.boxScale, 0);
    assertEquals(0.028, card.crop.boxShiftX, 0);
    assertEquals(0.039, card.crop.boxShiftY, 0);
  }

  @Test
  public void readsAFloatCardAndToleratesExtraKeys() {
    String json = SAMPLE.replace("\"dtype\": \"uint8\"", "\"dtype\": \"float32\"")
        .replace("\"version\": 1,", "\"version\": 1, \"future_key\": {\"x\": [1, 2]},");
    assertEquals(ModelCard.InputType.FLOAT32, ModelCard.parse(json, "float").inputType);
  }

  @Test
  public void optionalDescriptiveKeysMayBeAbsent() {
    String json = SAMPLE.replace(", \"resample\": \"bilinear\", \"outside\": 0, \"rounding\": \"floor(v + 0.5)\","
        + " \"pixel_centers\": \"integer\"", "").replace("\"variant\": \"int8\",", "");
    ModelCard card = ModelCard.parse(json, "minimal");
    assertEquals("", card.variant);
  }

  @Test
  public void malformedCardsGetClearErrors() {
    assertError(SAMPLE.replace("\"crop\": {", "\"crop_rule\": {"), "model card bad.json: missing key crop");
    assertError(SAMPLE.replace("[1, 96, 96, 3]", "[1, 96, 3]"),
        "input.shape must be [1, S, S, 3], got [1, 96, 3]");
    assertError(SAMPLE.replace("\"dtype\": \"uint8\"", "\"dtype\": \"int16\""),
        "input.dtype \"int16\" is not supported");
    assertError(SAMPLE.replace("\"bilinear\"", "\"nearest\""),
        "crop.resample is \"nearest\", but the core implements only \"bilinear\"");
    assertError(SAMPLE.replace("[1, 10]", "[1, 12]"), "output.shape [1, 12] does not hold 2 x 5 values");
    assertError(SAMPLE.replace("\"num_points\": 5", "\"num_points\": 6"), "scheme.num_points does not match");
    assertError(SAMPLE.replace("\"landmark_scale\": 2.87", "\"landmark_scale\": \"2.87\""),
        "crop.landmark_scale must be a number, got the string \"2.87\"");
    assertError(SAMPLE.replace("\"box_shift\": [0.028, 0.039]", "\"box_shift\": [0.028]"),
        "crop.box_shift must have 2 numbers, got 1");
    assertError(SAMPLE.replace("fld-tf-model-card", "something-else"), "format is \"something-else\"");
    assertError(SAMPLE.replace("\"version\": 1", "\"version\": 2"), "version 2 is not supported");
    assertError(SAMPLE.replace("\"RGB\"", "\"BGR\""), "input.color_order is \"BGR\"");
    assertError(SAMPLE.substring(0, SAMPLE.length() / 2), "model card bad.json: JSON error at line");
    assertError("[]", "card must be an object, got an array");
  }

  @Test
  public void trackingSettingsAreReadAndDefaultWhenAbsent() {
    // A card without the key (made before it travelled in cards) gets fld_tf.tracking.TRACKING.
    assertEquals(ModelCard.Tracking.DEFAULTS, ModelCard.parse(SAMPLE, "sample").tracking);
    ModelCard.Tracking d = ModelCard.Tracking.DEFAULTS;
    assertEquals(0.1, d.minCutoffHz, 0);
    assertEquals(40.0, d.beta, 0);
    assertEquals(1.0, d.dCutoffHz, 0);
    assertEquals(10, d.redetectEvery);
    assertEquals(1.5, d.maxSideChange, 0);
    assertEquals(0.35, d.maxShift, 0);
    assertEquals(0.04, d.cropHold, 0);
    // As tests/test_tracking.py's round trip: the given keys, the others' defaults.
    ModelCard card = ModelCard.parse(withTracking("\"min_cutoff_hz\": 2.0, \"beta\": 3.0, \"d_cutoff_hz\": 4.0, "
        + "\"redetect_every\": 7, \"speed\": \"rms_over_points\", "
        + "\"beta_speed_unit\": \"crop square sides per second\", \"future\": 1"), "mine");
    assertEquals(new ModelCard.Tracking(2.0, 3.0, 4.0, 7, 1.5, 0.35, 0.04), card.tracking);
  }

  @Test
  public void badTrackingSettingsGetClearErrors() {
    assertError(withTracking("\"min_cutoff_hz\": 0"),
        "model card bad.json: tracking: need min_cutoff_hz > 0, d_cutoff_hz > 0, beta >= 0; got 0.0, 40.0, 1.0");
    assertError(withTracking("\"redetect_every\": 0"), "tracking: need redetect_every >= 1");
    assertError(withTracking("\"crop_hold\": -0.1"), "crop_hold >= 0; got 10, 1.5, 0.35, -0.1");
    assertError(withTracking("\"max_side_change\": 1"), "max_side_change > 1");
    assertError(withTracking("\"beta\": \"40\""), "tracking.beta must be a number");
    assertError(withTracking("\"redetect_every\": 2.5"), "tracking.redetect_every");
    assertError(withTracking("\"speed\": \"per_coordinate\""),
        "tracking.speed is \"per_coordinate\", but the core implements only \"rms_over_points\"");
    assertError(withTracking("\"beta_speed_unit\": \"pixels per second\""), "tracking.beta_speed_unit");
    assertError(SAMPLE.replace("\"crop\": {", "\"tracking\": [], \"crop\": {"), "tracking must be an object");
  }

  private static String withTracking(String keys) {
    return SAMPLE.replace("\"crop\": {", "\"tracking\": {" + keys + "}, \"crop\": {");
  }

  @Test
  public void inputQuantizationMustKeepRawPixels() {
    String q = "\"normalization\": \"inside the model\"";
    assertEquals(ModelCard.InputType.UINT8, ModelCard.parse(SAMPLE.replace(q,
        q + ", \"quantization\": {\"scale\": 1.0, \"zero_point\": 0}"), "ok").inputType);
    assertError(SAMPLE.replace(q, q + ", \"quantization\": {\"scale\": 0.00392, \"zero_point\": 0}"),
        "input.quantization is scale 0.00392, zero_point 0; the core feeds raw 0..255 pixels, which a uint8 input "
            + "holds only with scale 1, zero_point 0");
    String int8 = SAMPLE.replace("\"dtype\": \"uint8\"", "\"dtype\": \"int8\"");
    ModelCard card = ModelCard.parse(int8.replace(q, q + ", \"quantization\": {\"scale\": 1, \"zero_point\": -128}"),
        "int8");
    assertEquals(ModelCard.InputType.INT8, card.inputType);
    assertEquals(-128, card.inputType.zeroPoint);
    assertError(int8, "input.quantization is missing; an int8 input needs its scale and zero_point");
    assertError(int8.replace(q, q + ", \"quantization\": {\"scale\": 1, \"zero_point\": 0}"),
        "which a int8 input holds only with scale 1, zero_point -128");
    assertError(SAMPLE.replace("\"dtype\": \"uint8\"", "\"dtype\": \"float32\"")
        .replace(q, q + ", \"quantization\": {\"scale\": 1, \"zero_point\": 0}"),
        "input.quantization is given, but input.dtype is float32");
    assertError(SAMPLE.replace(q, q + ", \"quantization\": {\"scale\": 1}"), "missing key input.quantization.zero_point");
  }

  @Test
  public void normalizationAndPixelRangeOutsideTheModelAreRefused() {
    assertError(SAMPLE.replace("\"inside the model\"", "\"(x - 127.5) / 127.5\""),
        "input.normalization is \"(x - 127.5) / 127.5\", but the core implements only \"inside the model\"");
    assertError(SAMPLE.replace("\"pixel_range\": [0, 255]", "\"pixel_range\": [0, 1]"),
        "input.pixel_range must be [0, 255], got [0, 1]");
    assertError(SAMPLE.replace("\"pixel_range\": [0, 255]", "\"pixel_range\": [-1, 1]"),
        "input.pixel_range must be [0, 255], got [-1, 1]");
  }

  @Test
  public void modelTensorsAreComparedWithTheCard() {
    ModelCard card = ModelCard.parse(SAMPLE, "sample");
    card.checkInputTensor("uint8", new int[] {1, 96, 96, 3}, 1f, 0, "m.tflite");
    card.checkOutputTensor("float32", new int[] {1, 10}, "m.tflite");
    assertTensorError(() -> card.checkInputTensor("float32", new int[] {1, 96, 96, 3}, 0f, 0, "m.tflite"),
        "m.tflite: the model's input tensor is float32 [1, 96, 96, 3], but its card says uint8 [1, 96, 96, 3]");
    assertTensorError(() -> card.checkInputTensor("uint8", new int[] {1, 112, 112, 3}, 1f, 0, "m.tflite"),
        "input tensor is uint8 [1, 112, 112, 3], but its card says uint8 [1, 96, 96, 3]");
    assertTensorError(() -> card.checkInputTensor("uint8", new int[] {1, 96, 96, 3}, 0.0078125f, 128, "m.tflite"),
        "m.tflite: the model's uint8 input has quantization scale 0.0078125, zero point 128; raw 0..255 pixels need"
            + " scale 1, zero point 0");
    assertTensorError(() -> card.checkOutputTensor("float32", new int[] {1, 136}, "m.tflite"),
        "m.tflite: the model's output tensor is float32 [1, 136], but its card says float32 [1, 10] (5 points)");
    assertTensorError(() -> card.checkOutputTensor("uint8", new int[] {1, 10}, "m.tflite"),
        "output tensor is uint8 [1, 10]");
  }

  @Test
  public void detectorBoxRules() {
    ModelCard plain = ModelCard.parse(SAMPLE, "sample");
    assertTrue(plain.crop.detectors.isEmpty());
    assertNull(plain.crop.detectorRule("blazeface_short_range"));
    String withRules = SAMPLE.replace("\"box_shift\": [0.028, 0.039]", "\"box_shift\": [0.028, 0.039], \"detectors\": "
        + "{\"haar\": {\"box_scale\": 1.22, \"box_shift\": [0.015, 0.1]},"
        + " \"blazeface_short_range\": {\"box_scale\": 1.5, \"box_shift\": [0.01, -0.02]}}");
    ModelCard.BoxRule rule = ModelCard.parse(withRules, "rules").crop.detectorRule("blazeface_short_range");
    assertEquals(1.5, rule.scale, 0);
    assertEquals(0.01, rule.shiftX, 0);
    assertEquals(-0.02, rule.shiftY, 0);
    assertEquals(1.22, ModelCard.parse(withRules, "rules").crop.detectorRule("haar").scale, 0);
    assertError(withRules.replace("\"box_scale\": 1.5", "\"box_scale\": 0"),
        "crop.detectors.blazeface_short_range.box_scale must be > 0, got 0.0");
    assertError(withRules.replace("[0.01, -0.02]", "[0.01]"), "crop.detectors.blazeface_short_range.box_shift must have 2");
  }

  @Test
  public void schemeGroupsOfA68PointCard() {
    ModelCard card = TestFiles.ibug68Card();
    assertEquals(68, card.numPoints());
    assertEquals("left_eye_outer", card.pointNames.get(36));
    assertEquals(9, card.contours.size());
    Contour jaw = card.contours.get(0);
    assertEquals("jaw", jaw.name);
    assertEquals("jaw", jaw.region);
    assertFalse(jaw.closed);
    assertEquals(17, jaw.polyline().length); // open: 0..16, not repeated
    Contour eye = card.contours.get(5);
    assertEquals("left_eye", eye.name);
    assertTrue(eye.closed);
    assertArrayEquals(new int[] {36, 37, 38, 39, 40, 41, 36}, eye.polyline());
    int[][] five = card.subset5();
    assertArrayEquals(new int[] {36, 37, 38, 39, 40, 41}, five[0]);
    assertArrayEquals(new int[] {42, 43, 44, 45, 46, 47}, five[1]);
    assertArrayEquals(new int[] {30}, five[2]);
    assertArrayEquals(new int[] {48}, five[3]);
    assertArrayEquals(new int[] {54}, five[4]);
  }

  @Test
  public void aFivePointCardWithoutGroupsGetsTheIdentitySubset() {
    ModelCard card = ModelCard.parse(SAMPLE, "sample");
    assertTrue(card.contours.isEmpty());
    assertArrayEquals(new int[][] {{0}, {1}, {2}, {3}, {4}}, card.subset5());
    String many = TestFiles.resource("cards/ibug68_int8.json");
    String noSubset = many.replaceAll("\"subset5\": \\[[^\"]*\\]\\s*\\]", "\"subset5_gone\": 0");
    assertNull(ModelCard.parse(noSubset, "no subset").subset5());
  }

  @Test
  public void badGroupsAreClearErrors() {
    String card = TestFiles.resource("cards/ibug68_int8.json");
    assertError(card.replaceFirst("\"subset5\": \\[\\s*\\[\\s*36", "\"subset5\": [[68"),
        "scheme.subset5[0] names point 68, but the scheme has 68 points");
    assertError(card.replaceFirst("\"indices\": \\[\\s*0,", "\"indices\": [-1,"),
        "scheme.contours[0].indices names point -1");
    assertError(card.replaceFirst("\"closed\": false", "\"closed\": \"no\""),
        "scheme.contours[0].closed must be true or false");
  }

  @Test
  public void theShippedSidecarCardsParse() {
    for (java.io.File f : TestFiles.shippedModels()) {
      ModelCard card = ModelCard.parse(TestFiles.text(TestFiles.sidecar(f)), f.getName());
      assertEquals(TestFiles.shippedPoints(f), card.numPoints());
      assertTrue(f.getName(), f.getName().contains("-" + card.schemeName + "-"));
      assertEquals(5, card.subset5().length);
      if (card.numPoints() == 5) assertArrayEquals(new int[][] {{0}, {1}, {2}, {3}, {4}}, card.subset5());
      // The phone smooths and re-detects as fld_tf.landmarker: the card's settings, or the same defaults.
      assertEquals(f.getName(), ModelCard.Tracking.DEFAULTS, card.tracking);
    }
  }

  private static void assertTensorError(Runnable check, String expected) {
    try {
      check.run();
      fail("no error; expected: " + expected);
    } catch (ModelCard.CardException e) {
      assertTrue("message \"" + e.getMessage() + "\" lacks \"" + expected + "\"", e.getMessage().contains(expected));
    }
  }

  private static void assertError(String json, String expected) {
    try {
      ModelCard.parse(json, "bad.json");
      fail("no error; expected: " + expected);
    } catch (ModelCard.CardException e) {
      assertTrue("message \"" + e.getMessage() + "\" lacks \"" + expected + "\"", e.getMessage().contains(expected));
    }
  }
}
