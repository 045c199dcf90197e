package dev.fldtf.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Image + crop square -> model input, exactly as training resamples (fld_tf/geometry.py).
 *
 * <p>Output pixel {@code (u, v)} samples the image at {@code (x, y) = (cx, cy) + (side / size) *
 * (u + 0.5 - size / 2, v + 0.5 - size / 2)}, pixel centres at integer coordinates, bilinear, with
 * neighbours outside the image read as 0 (black); then {@code floor(v + 0.5)} clipped to 0..255.
 * This is TensorFlow's {@code ImageProjectiveTransformV3} (BILINEAR, fill CONSTANT 0) on a float32
 * image, and the arithmetic below is done in float32 in the order of its kernel
 * ({@code ProjectiveGenerator::bilinear_interpolation}) so that results match bit for bit; only the
 * 8 transform coefficients are computed in float64 first, as {@code geometry.sampling_matrix} does.
 *
 * <p>The result is {@code size x size x 3} RGB, row-major (HWC). uint8 models take the bytes, float
 * models the same 0..255 values as float32 (not normalised: normalisation is inside the model).
 */
public final class InputTensorizer {
  private final int size;
  private final ModelCard.InputType inputType;

  public InputTensorizer(int size, ModelCard.InputType inputType) {
    if (size <= 0) throw new IllegalArgumentException("size must be > 0, got " + size);
    this.size = size;
    this.inputType = inputType;
  }

  public static InputTensorizer forCard(ModelCard card) {
    return new InputTensorizer(card.inputSize, card.inputType);
  }

  public int size() {
    return size;
  }

  public ModelCard.InputType inputType() {
    return inputType;
  }

  /** A buffer for {@link #sampleRgb}: {@code size * size * 3} bytes. */
  public byte[] newRgb() {
    return new byte[size * size * 3];
  }

  /**
   * The 8 projective-transform coefficients {@code [a0, a1, a2, b0, b1, b2, c0, c1]} that map an
   * output pixel {@code (u, v)} to the image point {@code (a0 u + a1 v + a2, b0 u + b1 v + b2)},
   * computed in float64 like {@code geometry.sampling_matrix} and rounded to float32, as TF gets them.
   */
  public static float[] transform(Square square, int size) {
    double s = (double) square.side / size;
    double h = 0.5 - size / 2.0;
    return new float[] {(float) s, 0f, (float) (square.cx + s * h),
        0f, (float) s, (float) (square.cy + s * h), 0f, 0f};
  }

  /**
   * Resamples the crop before rounding.
   *
   * @param argb packed {@code 0xAARRGGBB} pixels, row-major (as {@code Bitmap.getPixels}); alpha ignored
   * @return {@code size * size * 3} float32 RGB values in 0..255
   */
  public float[] sampleFloat(int[] argb, int width, int height, Square square) {
    float[] out = new float[size * size * 3];
    sample(argb, width, height, square, out, null);
    return out;
  }

  /** Resamples and rounds the crop into {@code rgbOut} ({@code size * size * 3} uint8 values). */
  public void sampleRgb(int[] argb, int width, int height, Square square, byte[] rgbOut) {
    if (rgbOut.length != size * size * 3) {
      throw new IllegalArgumentException("rgbOut must hold " + size * size * 3 + " bytes, got " + rgbOut.length);
    }
    sample(argb, width, height, square, null, rgbOut);
  }

  /** The rounding every consumer must use: {@code floor(v + 0.5)} in float32, clipped to 0..255. */
  public static int toUint8(float value) {
    float r = (float) Math.floor(value + 0.5f);
    return r <= 0f ? 0 : r >= 255f ? 255 : (int) r;
  }

  /** uint8 RGB -> float32 0..255 (the float model's input). */
  public static void toFloats(byte[] rgb, float[] out) {
    for (int i = 0; i < rgb.length; i++) out[i] = rgb[i] & 0xFF;
  }

  /** A direct, native-order buffer sized for this model's input (bytes for uint8, floats for float32). */
  public ByteBuffer newInputBuffer() {
    int elements = size * size * 3;
    int bytes = inputType == ModelCard.InputType.UINT8 ? elements : 4 * elements;
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  /** Writes {@code rgb} into {@code out} in the card's input dtype (from position 0, then flips). */
  public void write(byte[] rgb, ByteBuffer out) {
    out.clear();
    if (inputType == ModelCard.InputType.UINT8) {
      out.put(rgb);
    } else {
      for (byte b : rgb) out.putFloat(b & 0xFF);
    }
    out.flip();
  }

  private void sample(int[] argb, int width, int height, Square square, float[] floatOut, byte[] byteOut) {
    if (argb.length < width * height) {
      throw new IllegalArgumentException("argb holds " + argb.length + " pixels, expected " + width * height);
    }
    float[] t = transform(square, size);
    float[] rgb = new float[3];
    int o = 0;
    for (int v = 0; v < size; v++) {
      for (int u = 0; u < size; u++) {
        // TF: (t0 * x_out + t1 * y_out + t2) / projection, with projection == 1 for an affine map.
        float x = t[0] * u + t[1] * v + t[2];
        float y = t[3] * u + t[4] * v + t[5];
        bilinear(argb, width, height, x, y, rgb);
        for (int c = 0; c < 3; c++, o++) {
          if (floatOut != null) floatOut[o] = rgb[c];
          if (byteOut != null) byteOut[o] = (byte) toUint8(rgb[c]);
        }
      }
    }
  }

  private static void bilinear(int[] argb, int width, int height, float x, float y, float[] rgb) {
    float yFloor = (float) Math.floor(y);
    float xFloor = (float) Math.floor(x);
    float yCeil = yFloor + 1;
    float xCeil = xFloor + 1;
    int p00 = read(argb, width, height, yFloor, xFloor);
    int p01 = read(argb, width, height, yFloor, xCeil);
    int p10 = read(argb, width, height, yCeil, xFloor);
    int p11 = read(argb, width, height, yCeil, xCeil);
    for (int c = 0; c < 3; c++) {
      int shift = 16 - 8 * c; // R, G, B
      float f00 = (p00 >> shift) & 0xFF;
      float f01 = (p01 >> shift) & 0xFF;
      float f10 = (p10 >> shift) & 0xFF;
      float f11 = (p11 >> shift) & 0xFF;
      float valueYFloor = (xCeil - x) * f00 + (x - xFloor) * f01;
      float valueYCeil = (xCeil - x) * f10 + (x - xFloor) * f11;
      rgb[c] = (yCeil - y) * valueYFloor + (y - yFloor) * valueYCeil;
    }
  }

  /** The pixel at integer coordinates, or 0 (black in every channel) outside the image. */
  private static int read(int[] argb, int width, int height, float y, float x) {
    if (!(y >= 0 && y < height && x >= 0 && x < width)) return 0;
    return argb[(int) y * width + (int) x];
  }
}
