package dev.fldtf.core;

import java.nio.ByteBuffer;

/**
 * A camera RGBA_8888 plane read in place as the upright (or display) image of a {@link CameraFrame}.
 *
 * <p>Rotation, mirroring and the crop rectangle are folded into the addressing: upright pixel
 * {@code (x, y)} is the 4 bytes R, G, B, A at {@code origin + x * stepX + y * stepY} of the plane
 * ({@code stepX}, {@code stepY} are +-pixelStride or +-rowStride, the buffer's row padding
 * included). So the model input is sampled straight from the {@code ImageProxy} buffer: no
 * {@code toBitmap()}, no rotated copy, and exactly the pixels the rotated frame would hold.
 */
public final class PlaneImage implements ArgbImage {
  private final ByteBuffer plane;
  private final int width;
  private final int height;
  private final int origin;
  private final int stepX;
  private final int stepY;

  /**
   * @param plane {@code ImageProxy.getPlanes()[0].getBuffer()}; read with absolute gets only
   * @param rowStride bytes from one buffer row to the next ({@code PlaneProxy.getRowStride()})
   * @param pixelStride bytes per pixel ({@code PlaneProxy.getPixelStride()}, 4 for RGBA_8888)
   * @param display read the display frame (mirrored for the front camera) instead of the upright one
   */
  public PlaneImage(ByteBuffer plane, int rowStride, int pixelStride, CameraFrame frame, boolean display) {
    if (pixelStride < 4) throw new IllegalArgumentException("RGBA_8888 needs pixel stride >= 4, got " + pixelStride);
    if (rowStride < frame.bufferWidth * pixelStride) {
      throw new IllegalArgumentException("row stride " + rowStride + " is shorter than a row of "
          + frame.bufferWidth + " pixels");
    }
    long last = (long) (frame.bufferHeight - 1) * rowStride + (long) frame.bufferWidth * pixelStride;
    if (plane.capacity() < last) {
      throw new IllegalArgumentException("plane holds " + plane.capacity() + " bytes, a " + frame.bufferWidth
          + " x " + frame.bufferHeight + " frame with row stride " + rowStride + " needs " + last);
    }
    this.plane = plane;
    this.width = frame.uprightWidth();
    this.height = frame.uprightHeight();
    int[] p00 = frame.uprightToSensor(0, 0, display);
    int[] p10 = frame.uprightToSensor(1, 0, display);
    int[] p01 = frame.uprightToSensor(0, 1, display);
    this.origin = p00[1] * rowStride + p00[0] * pixelStride;
    this.stepX = (p10[1] - p00[1]) * rowStride + (p10[0] - p00[0]) * pixelStride;
    this.stepY = (p01[1] - p00[1]) * rowStride + (p01[0] - p00[0]) * pixelStride;
  }

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
    int at = origin + x * stepX + y * stepY;
    return 0xFF000000 | (plane.get(at) & 0xFF) << 16 | (plane.get(at + 1) & 0xFF) << 8 | (plane.get(at + 2) & 0xFF);
  }
}
