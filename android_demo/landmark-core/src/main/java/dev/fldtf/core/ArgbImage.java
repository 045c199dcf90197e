package dev.fldtf.core;

/**
 * An image the {@link InputTensorizer} can sample: {@code width x height} pixels, read one at a time
 * as packed {@code 0xAARRGGBB} (alpha ignored). Pixel centres sit at integer coordinates.
 *
 * <p>Two sources: {@link #of(int[], int, int)} for packed pixels (a decoded photo, the golden
 * vectors), and {@link PlaneImage} for a camera buffer read in place, with rotation, mirroring and
 * the crop rectangle folded into its addressing, so no frame is copied.
 */
public interface ArgbImage {
  int width();

  int height();

  /** The pixel at {@code (x, y)}, {@code 0 <= x < width()}, {@code 0 <= y < height()}. */
  int argb(int x, int y);

  /** Packed pixels, row-major (as {@code Bitmap.getPixels}). */
  static ArgbImage of(int[] argb, int width, int height) {
    if (width <= 0 || height <= 0 || argb.length < width * height) {
      throw new IllegalArgumentException("argb holds " + argb.length + " pixels, expected " + width + " x " + height);
    }
    return new ArgbImage() {
      @Override
      public int width() {
        return width;
      }

      @Override
      public int height() {
        return height;
      }

      @Override
      public int argb(int x, int y) {
        return argb[y * width + x];
      }
    };
  }
}
