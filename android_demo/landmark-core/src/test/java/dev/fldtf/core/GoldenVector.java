package dev.fldtf.core;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * One golden vector written by {@code python -m export.golden}: {@code <name>.json} with
 * {@code image} (a {@code .png}, or raw RGB uint8 bytes such as {@code .rgb}), {@code width},
 * {@code height}, {@code square: [cx, cy, side]}, {@code size}, {@code input_uint8} (a file of
 * {@code size * size * 3} raw RGB bytes, or an inline array), {@code model_output} ({@code 2K}
 * floats) and {@code points_image} ({@code [[x, y], ...]} or flat). Optional: {@code crop_source}
 * ({@code "box"} with {@code box: [x0, y0, x1, y1]}, {@code "landmarks"} with {@code crop_points},
 * or {@code "image"}) to check the crop rule too, {@code transform} (8 floats) to check the sampling
 * coefficients, and {@code model_card} (a file name) when the card is not {@code model_card.json}.
 */
final class GoldenVector {
  final String name;
  final Map<String, Object> json;
  final int width;
  final int height;
  final int[] argb;
  final Square square;
  final Integer size;
  final byte[] inputUint8;
  final float[] modelOutput;
  final float[] pointsImage;

  private GoldenVector(File file) throws IOException {
    name = file.getName();
    json = Json.object(Json.parse(read(file)), name);
    File dir = file.getParentFile();
    String image = Json.string(Json.required(json, "image", ""), "image");
    int w = json.containsKey("width") ? Json.integer(json.get("width"), "width") : -1;
    int h = json.containsKey("height") ? Json.integer(json.get("height"), "height") : -1;
    File imageFile = new File(dir, image);
    if (image.matches("(?i).*\\.(png|jpe?g|bmp)$")) {
      BufferedImage img = ImageIO.read(imageFile);
      if (img == null) throw new IOException("cannot decode " + imageFile);
      if ((w >= 0 && w != img.getWidth()) || (h >= 0 && h != img.getHeight())) {
        throw new IOException(name + ": width/height " + w + "x" + h + " disagree with " + image);
      }
      w = img.getWidth();
      h = img.getHeight();
      argb = pixels(img);
    } else {
      if (w < 0 || h < 0) throw new IOException(name + ": raw image " + image + " needs width and height");
      argb = rawRgb(Files.readAllBytes(imageFile.toPath()), w * h, image);
    }
    width = w;
    height = h;
    float[] sq = floats(Json.required(json, "square", ""), "square");
    if (sq.length != 3) throw new IOException(name + ": square must be [cx, cy, side]");
    square = new Square(sq[0], sq[1], sq[2]);
    size = json.containsKey("size") ? Json.integer(json.get("size"), "size") : null;
    Object input = Json.required(json, "input_uint8", "");
    inputUint8 = input instanceof String ? Files.readAllBytes(new File(dir, (String) input).toPath())
        : toBytes(floats(input, "input_uint8"));
    modelOutput = floats(Json.required(json, "model_output", ""), "model_output");
    pointsImage = floats(Json.required(json, "points_image", ""), "points_image");
  }

  static GoldenVector load(File file) throws IOException {
    return new GoldenVector(file);
  }

  /** Whether {@code file} is a model card rather than a golden vector. */
  static boolean isCard(File file) throws IOException {
    Object v = Json.parse(read(file));
    return v instanceof Map && ModelCard.FORMAT.equals(((Map<?, ?>) v).get("format"));
  }

  static String read(File file) throws IOException {
    return new String(Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8);
  }

  /** A JSON array of numbers, or of arrays of numbers (flattened), as float32. */
  static float[] floats(Object value, String path) {
    List<Double> out = new ArrayList<>();
    flatten(value, path, out);
    float[] f = new float[out.size()];
    for (int i = 0; i < f.length; i++) f[i] = out.get(i).floatValue();
    return f;
  }

  private static void flatten(Object value, String path, List<Double> out) {
    if (value instanceof List) {
      for (Object v : Json.array(value, path)) flatten(v, path, out);
    } else {
      out.add(Json.number(value, path));
    }
  }

  private static byte[] toBytes(float[] values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < b.length; i++) b[i] = (byte) (int) values[i];
    return b;
  }

  private static int[] rawRgb(byte[] bytes, int pixels, String image) throws IOException {
    if (bytes.length != 3 * pixels) {
      throw new IOException(image + " holds " + bytes.length + " bytes, expected " + 3 * pixels + " (RGB)");
    }
    int[] argb = new int[pixels];
    for (int i = 0; i < pixels; i++) {
      argb[i] = 0xFF000000 | (bytes[3 * i] & 0xFF) << 16 | (bytes[3 * i + 1] & 0xFF) << 8 | (bytes[3 * i + 2] & 0xFF);
    }
    return argb;
  }

  /** Raw samples (no colour management), so PNG values reach the test exactly as Python read them. */
  private static int[] pixels(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    int[] argb = new int[w * h];
    if (img.getColorModel() instanceof IndexColorModel) {
      img.getRGB(0, 0, w, h, argb, 0, w);
      return argb;
    }
    Raster raster = img.getRaster();
    int bands = raster.getNumBands();
    int[] s = new int[bands];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        raster.getPixel(x, y, s);
        int r = s[0], g = bands >= 3 ? s[1] : s[0], b = bands >= 3 ? s[2] : s[0];
        argb[y * w + x] = 0xFF000000 | r << 16 | g << 8 | b;
      }
    }
    return argb;
  }
}
