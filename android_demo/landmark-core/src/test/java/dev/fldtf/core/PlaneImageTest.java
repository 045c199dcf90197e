package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * The model input sampled straight from a camera plane (rotated, mirrored, padded rows, a crop
 * rectangle) equals TensorFlow's resampling of the upright image, bit for bit
 * (reference/sampling.json from tools/make_reference.py). The sensor buffers are built with the
 * forward maps ({@link CameraFrame#sensorToUpright}, {@link CameraFrame#uprightToDisplay}), which
 * CameraFrameTest checks on hand-computed points, so the reading side is tested against them.
 */
public class PlaneImageTest {
  /** Junk outside the crop rectangle: must never be read. */
  private static final byte JUNK = (byte) 0x7F;

  /**
   * A buffer holding {@code upright} (width x height packed ARGB) as the sensor would: rotated back,
   * mirrored back when {@code display} and the frame is mirrored, inside a larger buffer with padded rows.
   */
  static ByteBuffer sensorPlane(int[] upright, CameraFrame frame, int rowStride, boolean display) {
    ByteBuffer plane = ByteBuffer.allocateDirect(rowStride * frame.bufferHeight);
    for (int i = 0; i < plane.capacity(); i++) plane.put(i, JUNK);
    int uw = frame.uprightWidth();
    for (int sy = frame.cropTop; sy < frame.cropTop + frame.cropHeight; sy++) {
      for (int sx = frame.cropLeft; sx < frame.cropLeft + frame.cropWidth; sx++) {
        float[] p = {sx, sy};
        frame.sensorToUpright(p);
        if (display) frame.uprightToDisplay(p);
        int argb = upright[(int) p[1] * uw + (int) p[0]];
        int at = sy * rowStride + 4 * sx;
        plane.put(at, (byte) (argb >> 16));
        plane.put(at + 1, (byte) (argb >> 8));
        plane.put(at + 2, (byte) argb);
        plane.put(at + 3, (byte) 0xFF);
      }
    }
    return plane;
  }

  /** Frames whose upright image is {@code w x h}: every rotation, mirrored or not, with a crop inside a bigger buffer. */
  static CameraFrame frame(int w, int h, int rotation, boolean mirrored) {
    int cw = rotation % 180 == 0 ? w : h;
    int ch = rotation % 180 == 0 ? h : w;
    return new CameraFrame(cw + 5, ch + 4, 3, 2, cw, ch, rotation, mirrored);
  }

  @Test
  public void readsTheUprightAndDisplayImagesPixelForPixel() {
    int w = 5, h = 3;
    int[] image = new int[w * h];
    for (int i = 0; i < image.length; i++) image[i] = 0xFF000000 | (i * 17) << 16 | (255 - i) << 8 | i;
    for (int rotation : new int[] {0, 90, 180, 270}) {
      for (boolean mirrored : new boolean[] {false, true}) {
        for (boolean display : new boolean[] {false, true}) {
          CameraFrame frame = frame(w, h, rotation, mirrored);
          int stride = frame.bufferWidth * 4 + 12;
          PlaneImage plane = new PlaneImage(sensorPlane(image, frame, stride, display), stride, 4, frame, display);
          assertEquals(w, plane.width());
          assertEquals(h, plane.height());
          for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
              assertEquals("rotation " + rotation + " mirrored " + mirrored + " display " + display + " at " + x
                  + "," + y, image[y * w + x], plane.argb(x, y));
            }
          }
        }
      }
    }
  }

  @Test
  public void samplingTheCameraPlaneMatchesTensorFlowBitForBit() {
    Map<String, Object> doc = Json.object(Json.parse(TestFiles.resource("reference/sampling.json")), "sampling");
    int width = Json.integer(doc.get("width"), "width");
    int height = Json.integer(doc.get("height"), "height");
    float[] rgb = GoldenVector.floats(doc.get("image_rgb"), "image_rgb");
    int[] argb = new int[width * height];
    for (int i = 0; i < argb.length; i++) {
      argb[i] = 0xFF000000 | (int) rgb[3 * i] << 16 | (int) rgb[3 * i + 1] << 8 | (int) rgb[3 * i + 2];
    }
    List<Object> cases = Json.array(doc.get("cases"), "cases");
    int checked = 0;
    for (int rotation : new int[] {0, 90, 180, 270}) {
      for (boolean mirrored : new boolean[] {false, true}) {
        CameraFrame frame = frame(width, height, rotation, mirrored);
        int stride = frame.bufferWidth * 4 + 8;
        // The model samples the upright frame (not mirrored), whatever the camera.
        PlaneImage plane = new PlaneImage(sensorPlane(argb, frame, stride, false), stride, 4, frame, false);
        for (int c = 0; c < cases.size(); c++) {
          Map<String, Object> tc = Json.object(cases.get(c), "cases[" + c + "]");
          float[] s = GoldenVector.floats(tc.get("square"), "square");
          int size = Json.integer(tc.get("size"), "size");
          InputTensorizer t = new InputTensorizer(size, ModelCard.InputType.UINT8);
          byte[] out = t.newRgb();
          t.sampleRgb(plane, new Square(s[0], s[1], s[2]), out);
          float[] want = GoldenVector.floats(tc.get("input_uint8"), "input_uint8");
          byte[] expected = new byte[want.length];
          for (int i = 0; i < want.length; i++) expected[i] = (byte) (int) want[i];
          assertArrayEquals("case " + c + ", rotation " + rotation + ", mirrored " + mirrored, expected, out);
          checked++;
        }
      }
    }
    assertEquals(48, checked);
  }

  @Test(expected = IllegalArgumentException.class)
  public void aPlaneTooSmallForItsFrameIsRefused() {
    CameraFrame frame = new CameraFrame(8, 8, 0, false);
    new PlaneImage(ByteBuffer.allocate(8 * 8 * 4 - 1), 32, 4, frame, false);
  }
}
