package dev.fldtf.core;

import static org.junit.Assert.assertEquals;
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

  private static void assertError(String json, String expected) {
    try {
      ModelCard.parse(json, "bad.json");
      fail("no error; expected: " + expected);
    } catch (ModelCard.CardException e) {
      assertTrue("message \"" + e.getMessage() + "\" lacks \"" + expected + "\"", e.getMessage().contains(expected));
    }
  }
}
