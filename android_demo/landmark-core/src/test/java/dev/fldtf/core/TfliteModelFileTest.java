package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.Test;

/** The FlatBuffer reader on the shipped models themselves (fld_tf.model_card embedded their cards). */
public class TfliteModelFileTest {
  @Test
  public void embeddedCardOfEveryShippedModelEqualsItsSidecar() {
    File[] models = TestFiles.shippedModels();
    assertTrue("expected an int8 and a float32 model", models.length >= 2);
    for (File f : models) {
      String embedded = TfliteModelFile.read(TestFiles.bytes(f), f.getName()).metadataText(ModelCard.METADATA_NAME);
      assertNotNull(f.getName() + " has no embedded card", embedded);
      // The same JSON values (the sidecar is indented, the embedded copy is not).
      assertEquals(f.getName(), Json.parse(TestFiles.text(TestFiles.sidecar(f))), Json.parse(embedded));
    }
  }

  @Test
  public void tensorsOfTheShippedModels() {
    for (File f : TestFiles.shippedModels()) {
      TfliteModelFile m = TfliteModelFile.read(TestFiles.bytes(f), f.getName());
      assertEquals(1, m.inputs().length);
      assertEquals(1, m.outputs().length);
      TfliteModelFile.Tensor in = m.inputs()[0];
      TfliteModelFile.Tensor out = m.outputs()[0];
      int size = TestFiles.shippedSize(f);
      assertArrayEquals(f.getName(), new int[] {1, size, size, 3}, in.shape);
      assertEquals("float32", out.type);
      assertArrayEquals(f.getName(), new int[] {1, 2 * TestFiles.shippedPoints(f)}, out.shape);
      if (f.getName().contains(".int8.")) {
        // Full-integer model with a uint8 input that holds the pixels as they are.
        assertEquals("uint8", in.type);
        assertEquals(1f, in.scale, 0f);
        assertEquals(0, in.zeroPoint);
      } else {
        assertEquals("float32", in.type);
        assertEquals(0f, in.scale, 0f);
      }
    }
  }

  @Test
  public void aMissingEntryIsNull() {
    File f = TestFiles.shippedModels()[0];
    assertNull(TfliteModelFile.read(TestFiles.bytes(f), f.getName()).metadataText("no_such_entry"));
    // Renaming the entry's name in place hides the card.
    byte[] renamed = rename(TestFiles.bytes(f), ModelCard.METADATA_NAME, "fld_tf_model_cxrd");
    assertNull(TfliteModelFile.read(renamed, "renamed").metadataText(ModelCard.METADATA_NAME));
    assertNotNull(TfliteModelFile.read(renamed, "renamed").metadataText("fld_tf_model_cxrd"));
  }

  @Test
  public void foreignAndTruncatedFilesGiveClearErrors() {
    assertError("hello world, not a model".getBytes(StandardCharsets.US_ASCII), "x.tflite: not a TFLite model");
    assertError(new byte[3], "x.tflite: too short");
    byte[] model = TestFiles.bytes(TestFiles.shippedModels()[0]);
    // Cut inside the FlatBuffer: some offset then points past the end.
    byte[] cut = Arrays.copyOf(model, 4096);
    try {
      TfliteModelFile m = TfliteModelFile.read(cut, "x.tflite");
      m.metadataText(ModelCard.METADATA_NAME);
      m.inputs();
      fail("a truncated model was read");
    } catch (TfliteModelFile.FormatException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith("x.tflite: "));
      assertTrue(e.getMessage(), e.getMessage().contains("outside the file") || e.getMessage().contains("truncated"));
    }
  }

  static byte[] rename(byte[] model, String from, String to) {
    byte[] a = from.getBytes(StandardCharsets.UTF_8);
    byte[] b = to.getBytes(StandardCharsets.UTF_8);
    byte[] out = model.clone();
    int hits = 0;
    for (int i = 0; i + a.length <= out.length; i++) {
      if (Arrays.equals(Arrays.copyOfRange(out, i, i + a.length), a)) {
        System.arraycopy(b, 0, out, i, b.length);
        hits++;
      }
    }
    assertEquals("occurrences of " + from, 1, hits);
    return out;
  }

  private static void assertError(byte[] bytes, String expected) {
    try {
      TfliteModelFile.read(bytes, "x.tflite");
      fail("no error; expected " + expected);
    } catch (TfliteModelFile.FormatException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith(expected));
    }
  }
}
