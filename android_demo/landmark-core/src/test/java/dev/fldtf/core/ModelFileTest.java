package dev.fldtf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.nio.ByteBuffer;
import org.junit.Test;

/** Card and model checked together, on the shipped models. */
public class ModelFileTest {
  @Test
  public void theShippedModelsCarryTheirCardAndMatchIt() {
    for (File f : TestFiles.shippedModels()) {
      ModelCard card = ModelFile.readCard(ByteBuffer.wrap(TestFiles.bytes(f)), f.getName(), null);
      assertEquals(f.getName(), card.modelFile);
      assertEquals(TestFiles.shippedSize(f), card.inputSize);
      assertEquals(f.getName().contains(".int8.") ? ModelCard.InputType.UINT8 : ModelCard.InputType.FLOAT32,
          card.inputType);
      assertEquals(TestFiles.shippedPoints(f), card.numPoints());
    }
  }

  @Test
  public void aModelWithoutEmbeddedCardUsesItsSidecarOrFails() {
    File f = int8();
    byte[] hidden = TfliteModelFileTest.rename(TestFiles.bytes(f), ModelCard.METADATA_NAME, "fld_tf_model_cxrd");
    String sidecar = TestFiles.text(TestFiles.sidecar(f));
    assertEquals(96, ModelFile.readCard(ByteBuffer.wrap(hidden), "copy.tflite", sidecar).inputSize);
    assertError(hidden, null, "copy.tflite: no model card: none embedded (metadata \"fld_tf_model_card\")"
        + " and no .json beside it");
  }

  @Test
  public void aCardThatDisagreesWithTheModelIsRefused() {
    byte[] hidden = TfliteModelFileTest.rename(TestFiles.bytes(int8()), ModelCard.METADATA_NAME, "fld_tf_model_cxrd");
    String sidecar = TestFiles.text(TestFiles.sidecar(int8()));
    // The float32 model's card beside the int8 model: the raw-copy write would feed garbage.
    String floatCard = TestFiles.text(TestFiles.sidecar(new File(int8().getPath().replace(".int8.", ".float32."))));
    assertError(hidden, floatCard,
        "copy.tflite: the model's input tensor is uint8 [1, 96, 96, 3], but its card says float32 [1, 96, 96, 3]");
    assertError(hidden, sidecar.replace("96,\n      96", "128,\n      128"),
        "the model's input tensor is uint8 [1, 96, 96, 3], but its card says uint8 [1, 128, 128, 3]");
  }

  @Test
  public void notAModelAtAll() {
    assertError("{\"format\": \"fld-tf-model-card\"}".getBytes(), null, "copy.tflite: not a TFLite model");
  }

  private static File int8() {
    for (File f : TestFiles.shippedModels()) if (f.getName().contains(".int8.")) return f;
    throw new IllegalStateException("no shipped int8 model");
  }

  private static void assertError(byte[] model, String sidecar, String expected) {
    try {
      ModelFile.readCard(ByteBuffer.wrap(model), "copy.tflite", sidecar);
      fail("no error; expected " + expected);
    } catch (ModelCard.CardException e) {
      assertTrue(e.getMessage(), e.getMessage().contains(expected));
    }
  }
}
