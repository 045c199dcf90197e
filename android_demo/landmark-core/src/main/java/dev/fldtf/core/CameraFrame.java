package dev.fldtf.core;

/**
 * The coordinate frames of one camera frame, and the maps between them.
 *
 * <ol>
 *   <li><b>sensor</b>: the buffer as CameraX delivers it ({@code ImageProxy}), {@code sensorWidth x
 *       sensorHeight}; not upright on most phones.
 *   <li><b>upright</b>: the sensor frame rotated clockwise by {@code rotationDegrees}
 *       ({@code ImageInfo.getRotationDegrees()}), so that people stand up. Width and height swap for
 *       90 and 270. <em>The detector and the landmark model run here</em>; crops and raw landmarks
 *       are upright-frame pixels. Not mirrored: the model sees the scene as the camera does.
 *   <li><b>display</b>: the upright frame, mirrored left-right for the front camera (a selfie
 *       preview is a mirror, as {@code PreviewView} shows it). Same size as upright.
 *   <li><b>view</b>: display pixels scaled to the overlay view, as {@code PreviewView}'s default
 *       FILL_CENTER does (uniform scale to cover the view, centred, overflow cropped).
 * </ol>
 *
 * <p>All frames put pixel centres at integer coordinates, so a {@code W}-pixel row spans
 * {@code [-0.5, W - 0.5]} and a clockwise quarter turn maps {@code (x, y)} to {@code (H - 1 - y, x)}.
 */
public final class CameraFrame {
  public final int sensorWidth;
  public final int sensorHeight;
  public final int rotationDegrees;
  public final boolean mirrored;

  /**
   * @param rotationDegrees clockwise rotation that makes the sensor image upright: 0, 90, 180 or 270
   * @param mirrored true for the front (selfie) camera
   */
  public CameraFrame(int sensorWidth, int sensorHeight, int rotationDegrees, boolean mirrored) {
    if (rotationDegrees != 0 && rotationDegrees != 90 && rotationDegrees != 180 && rotationDegrees != 270) {
      throw new IllegalArgumentException("rotationDegrees must be 0, 90, 180 or 270, got " + rotationDegrees);
    }
    this.sensorWidth = sensorWidth;
    this.sensorHeight = sensorHeight;
    this.rotationDegrees = rotationDegrees;
    this.mirrored = mirrored;
  }

  public int uprightWidth() {
    return rotationDegrees % 180 == 0 ? sensorWidth : sensorHeight;
  }

  public int uprightHeight() {
    return rotationDegrees % 180 == 0 ? sensorHeight : sensorWidth;
  }

  /** Sensor-frame points (interleaved x, y) -> upright frame, in place. */
  public void sensorToUpright(float[] points) {
    float w1 = sensorWidth - 1;
    float h1 = sensorHeight - 1;
    for (int i = 0; i < points.length; i += 2) {
      float x = points[i];
      float y = points[i + 1];
      switch (rotationDegrees) {
        case 90: points[i] = h1 - y; points[i + 1] = x; break;
        case 180: points[i] = w1 - x; points[i + 1] = h1 - y; break;
        case 270: points[i] = y; points[i + 1] = w1 - x; break;
        default: break;
      }
    }
  }

  /** Sensor pixels -> upright pixels (a new row-major array of {@code uprightWidth x uprightHeight}). */
  public int[] sensorToUpright(int[] sensorPixels) {
    int w = sensorWidth;
    int h = sensorHeight;
    if (rotationDegrees == 0) return sensorPixels.clone();
    int uw = uprightWidth();
    int[] out = new int[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int ux;
        int uy;
        switch (rotationDegrees) {
          case 90: ux = h - 1 - y; uy = x; break;
          case 180: ux = w - 1 - x; uy = h - 1 - y; break;
          default: ux = y; uy = w - 1 - x; break; // 270
        }
        out[uy * uw + ux] = sensorPixels[y * w + x];
      }
    }
    return out;
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
    float scale = viewScale(viewWidth, viewHeight);
    float offX = (viewWidth - uprightWidth() * scale) / 2;
    float offY = (viewHeight - uprightHeight() * scale) / 2;
    for (int i = 0; i < points.length; i += 2) {
      points[i] = (points[i] + 0.5f) * scale + offX;
      points[i + 1] = (points[i + 1] + 0.5f) * scale + offY;
    }
  }

  /** View pixels per display pixel under FILL_CENTER. */
  public float viewScale(int viewWidth, int viewHeight) {
    return Math.max((float) viewWidth / uprightWidth(), (float) viewHeight / uprightHeight());
  }
}
