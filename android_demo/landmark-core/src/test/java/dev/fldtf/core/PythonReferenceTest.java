package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * The core against the Python side itself, bit for bit (files written by {@code tools/make_reference.py}):
 * InputTensorizer against TensorFlow's ImageProjectiveTransformV3 on a synthetic 37 x 29 image and six
 * crops (inside, zoomed in and out, past the edges, fractional); CropRule and LandmarkDecoder against
 * {@code fld_tf.geometry} on 20 random cases.
 */
public class PythonReferenceTest {
  @Test
  public void resamplingMatchesTensorFlowBitForBit() {
    Map<String, Object> doc = load("reference/sampling.json");
    int width = Json.integer(doc.get("width"), "width");
    int height = Json.integer(doc.get("height"), "height");
    float[] rgb = GoldenVector.floats(doc.get("image_rgb"), "image_rgb");
    int[] argb = new int[width * height];
    for (int i = 0; i < argb.length; i++) {
      argb[i] = 0xFF000000 | (int) rgb[3 * i] << 16 | (int) rgb[3 * i + 1] << 8 | (int) rgb[3 * i + 2];
    }
    List<Object> cases = Json.array(doc.get("cases"), "cases");
    for (int c = 0; c < cases.size(); c++) {
      Map<String, Object> tc = Json.object(cases.get(c), "cases[" + c + "]");
      Square square = square(tc.get("square"));
      int size = Json.integer(tc.get("size"), "size");
      assertArrayEquals("transform of case " + c, GoldenVector.floats(tc.get("transform"), "transform"),
          InputTensorizer.transform(square, size), 0f);
      InputTensorizer t = new InputTensorizer(size, ModelCard.InputType.UINT8);
      byte[] out = t.newRgb();
      t.sampleRgb(argb, width, height, square, out);
      float[] want = GoldenVector.floats(tc.get("input_uint8"), "input_uint8");
      assertEquals(want.length, out.length);
      int differ = 0;
      for (int i = 0; i < out.length; i++) if ((out[i] & 0xFF) != (int) want[i]) differ++;
      assertEquals("values differing from TensorFlow in case " + c + " (" + square + ", size " + size + ")",
          0, differ);
    }
  }

  @Test
  public void cropRuleAndDecodeMatchGeometryPyBitForBit() {
    Map<String, Object> doc = load("reference/geometry.json");
    Map<String, Object> crop = Json.object(doc.get("crop"), "crop");
    // Shifts and scales are float64 in Python: read them as doubles, not through float32.
    List<Object> ls = Json.array(crop.get("landmark_shift"), "");
    List<Object> bs = Json.array(crop.get("box_shift"), "");
    ModelCard.Crop rule = new ModelCard.Crop(Json.number(crop.get("landmark_scale"), ""),
        Json.number(ls.get(0), ""), Json.number(ls.get(1), ""), Json.number(crop.get("box_scale"), ""),
        Json.number(bs.get(0), ""), Json.number(bs.get(1), ""));
    List<Object> cases = Json.array(doc.get("cases"), "cases");
    for (int c = 0; c < cases.size(); c++) {
      Map<String, Object> tc = Json.object(cases.get(c), "cases[" + c + "]");
      float[] points = GoldenVector.floats(tc.get("points"), "points");
      Square fromPoints = CropRule.fromPoints(points, rule);
      assertEquals("square_from_points, case " + c, square(tc.get("square_from_points")), fromPoints);
      assertEquals("square_from_box, case " + c, square(tc.get("square_from_box")),
          CropRule.fromBox(GoldenVector.floats(tc.get("box"), "box"), rule));
      float[] imageSize = GoldenVector.floats(tc.get("image_size"), "image_size");
      assertEquals("square_from_image, case " + c, square(tc.get("square_from_image")),
          CropRule.fromImage((int) imageSize[0], (int) imageSize[1]));
      int size = Json.integer(tc.get("size"), "size");
      assertArrayEquals("decode, case " + c, GoldenVector.floats(tc.get("decoded"), "decoded"),
          LandmarkDecoder.decode(GoldenVector.floats(tc.get("model_output"), "model_output"), fromPoints, size), 0f);
    }
  }

  private static Map<String, Object> load(String resource) {
    return Json.object(Json.parse(TestFiles.resource(resource)), resource);
  }

  private static Square square(Object value) {
    float[] s = GoldenVector.floats(value, "square");
    return new Square(s[0], s[1], s[2]);
  }
}
