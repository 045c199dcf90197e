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
 * <p>The image is any {@link ArgbImage}: packed pixels, or a camera plane read in place
 * ({@link PlaneImage}), whose rotation and mirroring only change which buffer byte a pixel is read
 * from, so the arithmetic, and the result, are those of the upright image.
 *
 * <p>The result is {@code size x size x 3} RGB, row-major (HWC). uint8 models take the bytes, int8
 * models {@code pixel - 128}, float models the same 0..255 values as float32 (not normalised:
 * normalisation is inside the model).
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
    sample(ArgbImage.of(argb, width, height), square, out, null);
    return out;
  }

  /** Resamples and rounds the crop into {@code rgbOut} ({@code size * size * 3} uint8 values). */
  public void sampleRgb(int[] argb, int width, int height, Square square, byte[] rgbOut) {
    sampleRgb(ArgbImage.of(argb, width, height), square, rgbOut);
  }

  /** Resamples and rounds the crop of any image (e.g. a camera plane in place) into {@code rgbOut}. */
  public void sampleRgb(ArgbImage image, Square square, byte[] rgbOut) {
    if (rgbOut.length != size * size * 3) {
      throw new IllegalArgumentException("rgbOut must hold " + size * size * 3 + " bytes, got " + rgbOut.length);
    }
    sample(image, square, null, rgbOut);
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

  /**
   * uint8 RGB -> the bytes of an 8-bit input tensor: as they are for uint8, {@code pixel - 128} for
   * int8 (its zero point -128, scale 1: the same real values). In place; returns {@code rgb}.
   */
  public byte[] toTensorBytes(byte[] rgb) {
    if (inputType == ModelCard.InputType.FLOAT32) throw new IllegalStateException("a float32 input takes floats");
    if (inputType == ModelCard.InputType.INT8) {
      for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) ((rgb[i] & 0xFF) + ModelCard.InputType.INT8.zeroPoint);
    }
    return rgb;
  }

  /** A direct, native-order buffer sized for this model's input (bytes for uint8, floats for float32). */
  public ByteBuffer newInputBuffer() {
    int elements = size * size * 3;
    int bytes = inputType.quantized() ? elements : 4 * elements;
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  /** Writes {@code rgb} into {@code out} in the card's input dtype (from position 0, then flips). */
  public void write(byte[] rgb, ByteBuffer out) {
    Buffers.clear(out);
    if (inputType == ModelCard.InputType.UINT8) {
      out.put(rgb);
    } else if (inputType == ModelCard.InputType.INT8) {
      for (byte b : rgb) out.put((byte) ((b & 0xFF) + ModelCard.InputType.INT8.zeroPoint));
    } else {
      for (byte b : rgb) out.putFloat(b & 0xFF);
    }
    Buffers.flip(out);
  }

  private void sample(ArgbImage image, Square square, float[] floatOut, byte[] byteOut) {
    float[] t = transform(square, size);
    float[] rgb = new float[3];
    int o = 0;
    for (int v = 0; v < size; v++) {
      for (int u = 0; u < size; u++) {
        // TF: (t0 * x_out + t1 * y_out + t2) / projection, with projection == 1 for an affine map.
        float x = t[0] * u + t[1] * v + t[2];
        float y = t[3] * u + t[4] * v + t[5];
        bilinear(image, x, y, rgb);
        for (int c = 0; c < 3; c++, o++) {
          if (floatOut != null) floatOut[o] = rgb[c];
          if (byteOut != null) byteOut[o] = (byte) toUint8(rgb[c]);
        }
      }
    }
  }

  private static void bilinear(ArgbImage image, float x, float y, float[] rgb) {
    float yFloor = (float) Math.floor(y);
    float xFloor = (float) Math.floor(x);
    float yCeil = yFloor + 1;
    float xCeil = xFloor + 1;
    int p00 = read(image, yFloor, xFloor);
    int p01 = read(image, yFloor, xCeil);
    int p10 = read(image, yCeil, xFloor);
    int p11 = read(image, yCeil, xCeil);
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
  private static int read(ArgbImage image, float y, float x) {
    if (!(y >= 0 && y < image.height() && x >= 0 && x < image.width())) return 0;
    return image.argb((int) x, (int) y);
  }
}
