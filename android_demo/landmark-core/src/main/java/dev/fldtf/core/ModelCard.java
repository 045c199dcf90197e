package dev.fldtf.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The JSON "model card" that export writes next to every {@code .tflite} (export/model_card.py).
 *
 * <p>The app never hard-codes input size, pixel dtype, point scheme or crop rule: they all come
 * from here. Extra keys are ignored; the keys the core depends on are checked, and a card that
 * asks for something the core does not implement (another resampling, layout or rounding) is
 * rejected with a message naming the key, rather than silently mis-read.
 */
public final class ModelCard {
  public static final String FORMAT = "fld-tf-model-card";
  public static final int SUPPORTED_VERSION = 1;

  /** Element type of the model input tensor. */
  public enum InputType {
    /** Raw 0..255 bytes (the int8 model: quantisation is inside the model). */
    UINT8,
    /** 0..255 as float32, NOT normalised (normalisation is inside the model). */
    FLOAT32
  }

  /** The crop rule's numbers (see {@link CropRule}). */
  public static final class Crop {
    // Doubles, as Python keeps them: geometry.py multiplies in float64 and rounds to float32 last.
    public final double landmarkScale;
    public final double landmarkShiftX;
    public final double landmarkShiftY;
    public final double boxScale;
    public final double boxShiftX;
    public final double boxShiftY;

    public Crop(double landmarkScale, double landmarkShiftX, double landmarkShiftY,
                double boxScale, double boxShiftX, double boxShiftY) {
      this.landmarkScale = landmarkScale;
      this.landmarkShiftX = landmarkShiftX;
      this.landmarkShiftY = landmarkShiftY;
      this.boxScale = boxScale;
      this.boxShiftX = boxShiftX;
      this.boxShiftY = boxShiftY;
    }
  }

  /** A card that is malformed or asks for something the core does not implement. */
  public static final class CardException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public CardException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public final String name;
  public final String variant;
  public final String modelFile;
  /** Model input is {@code inputSize x inputSize x 3} RGB. */
  public final int inputSize;
  public final InputType inputType;
  public final String schemeName;
  public final List<String> pointNames;
  public final Crop crop;

  private ModelCard(String name, String variant, String modelFile, int inputSize,
                    InputType inputType, String schemeName, List<String> pointNames, Crop crop) {
    this.name = name;
    this.variant = variant;
    this.modelFile = modelFile;
    this.inputSize = inputSize;
    this.inputType = inputType;
    this.schemeName = schemeName;
    this.pointNames = pointNames;
    this.crop = crop;
  }

  public int numPoints() {
    return pointNames.size();
  }

  /** Index of the point called {@code pointName}, or -1. */
  public int indexOf(String pointName) {
    return pointNames.indexOf(pointName);
  }

  /**
   * Parses and checks a card.
   *
   * @param json the card text
   * @param source where it came from (file or asset name), used in error messages
   * @throws CardException naming {@code source} and the key at fault
   */
  public static ModelCard parse(String json, String source) {
    try {
      return fromJson(Json.object(Json.parse(json), "card"));
    } catch (IllegalArgumentException e) {
      throw new CardException("model card " + source + ": " + e.getMessage(), e);
    }
  }

  private static ModelCard fromJson(Map<String, Object> card) {
    String format = Json.string(Json.required(card, "format", ""), "format");
    if (!FORMAT.equals(format)) {
      throw new IllegalArgumentException("format is \"" + format + "\", expected \"" + FORMAT + "\"");
    }
    int version = Json.integer(Json.required(card, "version", ""), "version");
    if (version != SUPPORTED_VERSION) {
      throw new IllegalArgumentException("version " + version + " is not supported (this core reads "
          + SUPPORTED_VERSION + ")");
    }
    String name = Json.string(Json.required(card, "name", ""), "name");
    String variant = card.containsKey("variant") ? Json.string(card.get("variant"), "variant") : "";
    String modelFile = Json.string(Json.required(card, "model_file", ""), "model_file");

    Map<String, Object> input = Json.object(Json.required(card, "input", ""), "input");
    int size = parseInputShape(input);
    InputType inputType = parseInputType(input);
    expectIfPresent(input, "input", "layout", "NHWC");
    expectIfPresent(input, "input", "color_order", "RGB");
    if (input.containsKey("pixel_range")) {
      int[] range = ints(input.get("pixel_range"), "input.pixel_range");
      if (range.length != 2 || range[0] != 0 || range[1] != 255) {
        throw new IllegalArgumentException("input.pixel_range must be [0, 255]");
      }
    }

    Map<String, Object> scheme = Json.object(Json.required(card, "scheme", ""), "scheme");
    String schemeName = Json.string(Json.required(scheme, "name", "scheme"), "scheme.name");
    List<String> pointNames = strings(Json.required(scheme, "point_names", "scheme"), "scheme.point_names");
    if (pointNames.isEmpty()) throw new IllegalArgumentException("scheme.point_names is empty");
    if (scheme.containsKey("num_points")
        && Json.integer(scheme.get("num_points"), "scheme.num_points") != pointNames.size()) {
      throw new IllegalArgumentException("scheme.num_points does not match the "
          + pointNames.size() + " point_names");
    }

    Map<String, Object> output = Json.object(Json.required(card, "output", ""), "output");
    checkOutput(output, pointNames.size());
    Crop crop = parseCrop(Json.object(Json.required(card, "crop", ""), "crop"));
    return new ModelCard(name, variant, modelFile, size, inputType, schemeName, pointNames, crop);
  }

  private static int parseInputShape(Map<String, Object> input) {
    int[] shape = ints(Json.required(input, "shape", "input"), "input.shape");
    if (shape.length != 4 || shape[0] != 1 || shape[3] != 3 || shape[1] != shape[2] || shape[1] <= 0) {
      throw new IllegalArgumentException("input.shape must be [1, S, S, 3], got " + format(shape));
    }
    return shape[1];
  }

  private static InputType parseInputType(Map<String, Object> input) {
    String dtype = Json.string(Json.required(input, "dtype", "input"), "input.dtype");
    switch (dtype) {
      case "uint8":
        return InputType.UINT8;
      case "float32":
        return InputType.FLOAT32;
      default:
        throw new IllegalArgumentException("input.dtype \"" + dtype
            + "\" is not supported; expected \"uint8\" or \"float32\"");
    }
  }

  private static void checkOutput(Map<String, Object> output, int numPoints) {
    int[] shape = ints(Json.required(output, "shape", "output"), "output.shape");
    int total = 1;
    for (int d : shape) total *= d;
    if (shape.length < 2 || shape[0] != 1 || total != 2 * numPoints) {
      throw new IllegalArgumentException("output.shape " + format(shape) + " does not hold 2 x "
          + numPoints + " values (one x, y per scheme point)");
    }
    expectIfPresent(output, "output", "dtype", "float32");
    expectIfPresent(output, "output", "layout", "xy_interleaved");
    expectIfPresent(output, "output", "space", "crop_normalized");
  }

  private static Crop parseCrop(Map<String, Object> crop) {
    expectIfPresent(crop, "crop", "resample", "bilinear");
    expectIfPresent(crop, "crop", "rounding", "floor(v + 0.5)");
    expectIfPresent(crop, "crop", "pixel_centers", "integer");
    if (crop.containsKey("outside") && Json.number(crop.get("outside"), "crop.outside") != 0) {
      throw new IllegalArgumentException("crop.outside must be 0 (black), the only fill the core implements");
    }
    double[] landmarkShift = pair(Json.required(crop, "landmark_shift", "crop"), "crop.landmark_shift");
    double[] boxShift = pair(Json.required(crop, "box_shift", "crop"), "crop.box_shift");
    double landmarkScale = positive(Json.required(crop, "landmark_scale", "crop"), "crop.landmark_scale");
    double boxScale = positive(Json.required(crop, "box_scale", "crop"), "crop.box_scale");
    return new Crop(landmarkScale, landmarkShift[0], landmarkShift[1], boxScale, boxShift[0], boxShift[1]);
  }

  private static void expectIfPresent(Map<String, Object> obj, String path, String key, String expected) {
    if (!obj.containsKey(key)) return;
    String got = Json.string(obj.get(key), path + "." + key);
    if (!expected.equals(got)) {
      throw new IllegalArgumentException(path + "." + key + " is \"" + got
          + "\", but the core implements only \"" + expected + "\"");
    }
  }

  private static double positive(Object value, String path) {
    double v = Json.number(value, path);
    if (!(v > 0) || Double.isInfinite(v)) throw new IllegalArgumentException(path + " must be > 0, got " + v);
    return v;
  }

  private static double[] pair(Object value, String path) {
    List<Object> list = Json.array(value, path);
    if (list.size() != 2) throw new IllegalArgumentException(path + " must have 2 numbers, got " + list.size());
    return new double[] {Json.number(list.get(0), path + "[0]"), Json.number(list.get(1), path + "[1]")};
  }

  static int[] ints(Object value, String path) {
    List<Object> list = Json.array(value, path);
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) out[i] = Json.integer(list.get(i), path + "[" + i + "]");
    return out;
  }

  private static List<String> strings(Object value, String path) {
    List<Object> list = Json.array(value, path);
    List<String> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) out.add(Json.string(list.get(i), path + "[" + i + "]"));
    return Collections.unmodifiableList(out);
  }

  private static String format(int[] values) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < values.length; i++) sb.append(i == 0 ? "" : ", ").append(values[i]);
    return sb.append(']').toString();
  }
}
