package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import org.junit.Test;

public class InputTensorizerTest {
  /**
   * A 4x4 image with R = 10 x + 40 y (rows 0,10,20,30 / 40,50,60,70 / ...), G = 255 - R, B = 7.
   */
  private static final int[] IMAGE = image4x4();

  private static int[] image4x4() {
    int[] argb = new int[16];
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        int r = 10 * x + 40 * y;
        argb[y * 4 + x] = 0xFF000000 | r << 16 | (255 - r) << 8 | 7;
      }
    }
    return argb;
  }

  private static int[] rgb(InputTensorizer t, Square square) {
    byte[] out = t.newRgb();
    t.sampleRgb(IMAGE, 4, 4, square, out);
    int[] values = new int[out.length];
    for (int i = 0; i < out.length; i++) values[i] = out[i] & 0xFF;
    return values;
  }

  private static int[] channel(int[] rgb, int c) {
    int[] out = new int[rgb.length / 3];
    for (int i = 0; i < out.length; i++) out[i] = rgb[3 * i + c];
    return out;
  }

  @Test
  public void wholeImageSquareAtInputSizeIsTheIdentity() {
    // Square (1.5, 1.5, 4) at size 4: x = u exactly, so every sample hits a pixel centre.
    int[] out = rgb(new InputTensorizer(4, ModelCard.InputType.UINT8), CropRule.fromImage(4, 4));
    for (int i = 0; i < 16; i++) {
      int p = IMAGE[i];
      assertEquals((p >> 16) & 0xFF, out[3 * i]);
      assertEquals((p >> 8) & 0xFF, out[3 * i + 1]);
      assertEquals(p & 0xFF, out[3 * i + 2]);
    }
  }

  @Test
  public void halfPixelShiftAveragesNeighboursAndTheOutsideIsBlack() {
    // Square (2, 1.5, 4): x = u + 0.5. Row 0 has R = 0, 10, 20, 30; x = 3.5 lies between R = 30 and
    // the outside (0), giving 15.
    int[] r = channel(rgb(new InputTensorizer(4, ModelCard.InputType.UINT8), new Square(2f, 1.5f, 4f)), 0);
    assertArrayEquals(new int[] {5, 15, 25, 15}, java.util.Arrays.copyOfRange(r, 0, 4));
  }

  @Test
  public void sampleLeftOfTheImageGivesHalfTheEdgePixelRoundedHalfUp() {
    // Square (1, 1.5, 4): x = u - 0.5; at u = 0, x = -0.5: half of the edge pixel.
    int[] out = rgb(new InputTensorizer(4, ModelCard.InputType.UINT8), new Square(1f, 1.5f, 4f));
    int row1 = 4 * 3; // pixel (u=0, v=1)
    assertEquals(20, out[row1]);      // R: 40 / 2
    assertEquals(108, out[row1 + 1]); // G: 215 / 2 = 107.5 -> floor(108.0)
    assertEquals(4, out[row1 + 2]);   // B: 7 / 2 = 3.5 -> 4
  }

  @Test
  public void downscalingSamplesBetweenFourPixels() {
    // Square (1.5, 1.5, 4) at size 2: x = 2u + 0.5, the mean of a 2x2 block.
    int[] r = channel(rgb(new InputTensorizer(2, ModelCard.InputType.UINT8), CropRule.fromImage(4, 4)), 0);
    assertArrayEquals(new int[] {25, 45, 105, 125}, r);
  }

  @Test
  public void zoomingOutPadsWithBlack() {
    // Square (1.5, 1.5, 8) at size 4: x = 2u - 1.5 -> -1.5, 0.5, 2.5, 4.5 (and the same for y).
    int[] r = channel(rgb(new InputTensorizer(4, ModelCard.InputType.UINT8), new Square(1.5f, 1.5f, 8f)), 0);
    // Row v = 1 (y = 0.5) between rows 0 and 1: R = 0.5 (10x) + 0.5 (10x + 40) = 10x + 20.
    assertArrayEquals(new int[] {0, 25, 45, 0}, java.util.Arrays.copyOfRange(r, 4, 8));
    // Row v = 0 (y = -1.5) is entirely outside.
    assertArrayEquals(new int[] {0, 0, 0, 0}, java.util.Arrays.copyOfRange(r, 0, 4));
  }

  @Test
  public void floatValuesBeforeRounding() {
    float[] f = new InputTensorizer(4, ModelCard.InputType.UINT8).sampleFloat(IMAGE, 4, 4, new Square(1f, 1.5f, 4f));
    assertEquals(107.5f, f[4 * 3 + 1], 0);
    assertEquals(3.5f, f[4 * 3 + 2], 0);
  }

  @Test
  public void roundingIsFloorOfValuePlusHalfClipped() {
    assertEquals(15, InputTensorizer.toUint8(14.5f));
    assertEquals(14, InputTensorizer.toUint8(14.499f));
    assertEquals(0, InputTensorizer.toUint8(-3f));
    assertEquals(255, InputTensorizer.toUint8(254.5f));
    assertEquals(255, InputTensorizer.toUint8(300f));
  }

  @Test
  public void transformCoefficientsAsTensorFlowReceivesThem() {
    // side / size = 2; offset = centre + 2 * (0.5 - 48) = centre - 95.
    assertArrayEquals(new float[] {2f, 0f, -45f, 0f, 2f, -35f, 0f, 0f},
        InputTensorizer.transform(new Square(50f, 60f, 192f), 96), 0f);
  }

  @Test
  public void inputBufferFollowsTheCardsDtype() {
    byte[] rgb = {0, 10, (byte) 255};
    InputTensorizer u8 = new InputTensorizer(1, ModelCard.InputType.UINT8);
    ByteBuffer b = u8.newInputBuffer();
    u8.write(rgb, b);
    assertEquals(3, b.remaining());
    assertEquals(255, b.get(2) & 0xFF);

    InputTensorizer f32 = new InputTensorizer(1, ModelCard.InputType.FLOAT32);
    ByteBuffer f = f32.newInputBuffer();
    f32.write(rgb, f);
    assertEquals(12, f.remaining());
    assertEquals(255f, f.getFloat(8), 0); // 0..255, not normalised
    float[] floats = new float[3];
    InputTensorizer.toFloats(rgb, floats);
    assertArrayEquals(new float[] {0f, 10f, 255f}, floats, 0f);
  }

  @Test
  public void int8InputsHoldPixelMinus128() {
    byte[] rgb = {0, 10, (byte) 255};
    InputTensorizer i8 = new InputTensorizer(1, ModelCard.InputType.INT8);
    ByteBuffer b = i8.newInputBuffer();
    i8.write(rgb, b);
    assertEquals(3, b.remaining());
    assertArrayEquals(new byte[] {-128, -118, 127}, new byte[] {b.get(0), b.get(1), b.get(2)});
    assertArrayEquals(new byte[] {-128, -118, 127}, i8.toTensorBytes(rgb.clone()));
    InputTensorizer u8 = new InputTensorizer(1, ModelCard.InputType.UINT8);
    assertArrayEquals(rgb, u8.toTensorBytes(rgb.clone()));
  }
}
