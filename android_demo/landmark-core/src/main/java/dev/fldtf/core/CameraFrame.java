package dev.fldtf.core;

import java.nio.ByteBuffer;

/**
 * The coordinate frames of one camera frame, and the maps between them.
 *
 * <ol>
 *   <li><b>sensor</b>: the buffer as CameraX delivers it ({@code ImageProxy}), {@code bufferWidth x
 *       bufferHeight}; not upright on most phones. Of it, only the crop rectangle is visible
 *       ({@code ImageProxy.getCropRect()}: the part the {@code ViewPort} shares with the preview).
 *   <li><b>upright</b>: the crop rectangle rotated clockwise by {@code rotationDegrees}
 *       ({@code ImageInfo.getRotationDegrees()}), so that people stand up. Width and height swap for
 *       90 and 270. <em>The detector and the landmark model run here</em>; crops and raw landmarks
 *       are upright-frame pixels. Not mirrored: the model sees the scene as the camera does.
 *   <li><b>display</b>: the upright frame, mirrored left-right for the front camera (a selfie
 *       preview is a mirror, as {@code PreviewView} shows it). Same size as upright.
 *   <li><b>view</b>: display pixels scaled to the overlay view: FILL_CENTER as {@code PreviewView}
 *       (uniform scale to cover the view, centred, overflow cropped), or FIT_CENTER for a photo.
 * </ol>
 *
 * <p>All frames put pixel centres at integer coordinates, so a {@code W}-pixel row spans
 * {@code [-0.5, W - 0.5]} and a clockwise quarter turn maps {@code (x, y)} to {@code (H - 1 - y, x)}.
 */
public final class CameraFrame {
  public final int bufferWidth;
  public final int bufferHeight;
  public final int cropLeft;
  public final int cropTop;
  public final int cropWidth;
  public final int cropHeight;
  public final int rotationDegrees;
  public final boolean mirrored;

  /** The whole buffer is visible (no crop rectangle). */
  public CameraFrame(int sensorWidth, int sensorHeight, int rotationDegrees, boolean mirrored) {
    this(sensorWidth, sensorHeight, 0, 0, sensorWidth, sensorHeight, rotationDegrees, mirrored);
  }

  /**
   * @param cropLeft the crop rectangle in buffer pixels ({@code Rect.left}, {@code top}, width, height)
   * @param rotationDegrees clockwise rotation that makes the sensor image upright: 0, 90, 180 or 270
   * @param mirrored true for the front (selfie) camera
   */
  public CameraFrame(int bufferWidth, int bufferHeight, int cropLeft, int cropTop, int cropWidth, int cropHeight,
                     int rotationDegrees, boolean mirrored) {
    if (rotationDegrees != 0 && rotationDegrees != 90 && rotationDegrees != 180 && rotationDegrees != 270) {
      throw new IllegalArgumentException("rotationDegrees must be 0, 90, 180 or 270, got " + rotationDegrees);
    }
    if (cropWidth <= 0 || cropHeight <= 0 || cropLeft < 0 || cropTop < 0
        || cropLeft + cropWidth > bufferWidth || cropTop + cropHeight > bufferHeight) {
      throw new IllegalArgumentException("crop rectangle " + cropLeft + ", " + cropTop + ", " + cropWidth + " x "
          + cropHeight + " is not inside the " + bufferWidth + " x " + bufferHeight + " buffer");
    }
    this.bufferWidth = bufferWidth;
    this.bufferHeight = bufferHeight;
    this.cropLeft = cropLeft;
    this.cropTop = cropTop;
    this.cropWidth = cropWidth;
    this.cropHeight = cropHeight;
    this.rotationDegrees = rotationDegrees;
    this.mirrored = mirrored;
  }

  public int uprightWidth() {
    return rotationDegrees % 180 == 0 ? cropWidth : cropHeight;
  }

  public int uprightHeight() {
    return rotationDegrees % 180 == 0 ? cropHeight : cropWidth;
  }

  /** Sensor-frame (buffer) points, interleaved x, y -> upright frame, in place. */
  public void sensorToUpright(float[] points) {
    float w1 = cropWidth - 1;
    float h1 = cropHeight - 1;
    for (int i = 0; i < points.length; i += 2) {
      float x = points[i] - cropLeft;
      float y = points[i + 1] - cropTop;
      switch (rotationDegrees) {
        case 90: points[i] = h1 - y; points[i + 1] = x; break;
        case 180: points[i] = w1 - x; points[i + 1] = h1 - y; break;
        case 270: points[i] = y; points[i + 1] = w1 - x; break;
        default: points[i] = x; points[i + 1] = y; break;
      }
    }
  }

  /**
   * The buffer pixel {@code {x, y}} shown at upright pixel {@code (ux, uy)}, or at display pixel
   * {@code (ux, uy)} when {@code display} (mirrored for the front camera). Exact integers: the inverse
   * of {@link #sensorToUpright} on pixel centres.
   */
  public int[] uprightToSensor(int ux, int uy, boolean display) {
    if (display && mirrored) ux = uprightWidth() - 1 - ux;
    int sx;
    int sy;
    switch (rotationDegrees) {
      case 90: sx = uy; sy = cropHeight - 1 - ux; break;
      case 180: sx = cropWidth - 1 - ux; sy = cropHeight - 1 - uy; break;
      case 270: sx = cropWidth - 1 - uy; sy = ux; break;
      default: sx = ux; sy = uy; break;
    }
    return new int[] {cropLeft + sx, cropTop + sy};
  }

  /**
   * A face box from MediaPipe, run on {@link #copyCropRgba}'s bitmap with this frame's rotation in
   * its {@code ImageProcessingOptions} (MediaPipe reports boxes in the unrotated input's pixels,
   * edges at integers) -> upright frame {@code x0, y0, x1, y1} in our convention (pixel centres at
   * integers, so an edge at {@code e} becomes {@code e - 0.5}), {@code x0 < x1}, {@code y0 < y1}.
   */
  public float[] detectorBoxToUpright(float left, float top, float right, float bottom) {
    float[] corners = {left - 0.5f + cropLeft, top - 0.5f + cropTop, right - 0.5f + cropLeft, bottom - 0.5f + cropTop};
    sensorToUpright(corners);
    return new float[] {Math.min(corners[0], corners[2]), Math.min(corners[1], corners[3]),
        Math.max(corners[0], corners[2]), Math.max(corners[1], corners[3])};
  }

  /**
   * Copies the crop rectangle of an RGBA_8888 plane, rows tightly packed ({@code cropWidth * 4}
   * bytes), in sensor orientation, into {@code out} from position 0 (then flips it): what
   * {@code Bitmap.copyPixelsFromBuffer} takes. The one full-frame copy, made only on detector frames.
   */
  public void copyCropRgba(ByteBuffer plane, int rowStride, int pixelStride, ByteBuffer out) {
    if (pixelStride != 4) throw new IllegalArgumentException("RGBA_8888 has pixel stride 4, got " + pixelStride);
    int rowBytes = cropWidth * 4;
    if (out.capacity() < rowBytes * cropHeight) {
      throw new IllegalArgumentException("out holds " + out.capacity() + " bytes, needs " + rowBytes * cropHeight);
    }
    Buffers.clear(out);
    ByteBuffer src = plane.duplicate();
    for (int y = 0; y < cropHeight; y++) {
      int start = (cropTop + y) * rowStride + cropLeft * 4;
      Buffers.window(src, start, start + rowBytes);
      out.put(src);
    }
    Buffers.flip(out);
  }

  /** Upright-frame points -> display frame (mirrored for the front camera), in place. */
  public void uprightToDisplay(float[] points) {
    if (!mirrored) return;
    float w1 = uprightWidth() - 1;
    for (int i = 0; i < points.length; i += 2) points[i] = w1 - points[i];
  }

  /**
   * Display-frame points -> view pixels for a FILL_CENTER view of {@code viewWidth x viewHeight},
   * in place. The display image's edge {@code -0.5} maps to the view's edge 0.
   */
  public void displayToView(float[] points, int viewWidth, int viewHeight) {
    displayToView(points, viewWidth, viewHeight, true);
  }

  /** As {@link #displayToView(float[], int, int)}, FILL_CENTER ({@code fill}) or FIT_CENTER. */
  public void displayToView(float[] points, int viewWidth, int viewHeight, boolean fill) {
    float scale = viewScale(viewWidth, viewHeight, fill);
    float offX = (viewWidth - uprightWidth() * scale) / 2;
    float offY = (viewHeight - uprightHeight() * scale) / 2;
    for (int i = 0; i < points.length; i += 2) {
      points[i] = (points[i] + 0.5f) * scale + offX;
      points[i + 1] = (points[i + 1] + 0.5f) * scale + offY;
    }
  }

  /** View pixels per display pixel under FILL_CENTER. */
  public float viewScale(int viewWidth, int viewHeight) {
    return viewScale(viewWidth, viewHeight, true);
  }

  /** View pixels per display pixel under FILL_CENTER ({@code fill}) or FIT_CENTER. */
  public float viewScale(int viewWidth, int viewHeight, boolean fill) {
    float sx = (float) viewWidth / uprightWidth();
    float sy = (float) viewHeight / uprightHeight();
    return fill ? Math.max(sx, sy) : Math.min(sx, sy);
  }
}
