package dev.fldtf.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON "model card" (fld_tf/model_card.py): embedded in every {@code .tflite} as the metadata
 * entry {@value #METADATA_NAME} (read with {@link ModelFile}), and written beside it as
 * {@code .json}.
 *
 * <p>The app never hard-codes input size, pixel dtype, point scheme, contours, the 5-point subset
 * or the crop rule: they all come from here. Extra keys are ignored; the keys the core depends on
 * are checked, and a card that asks for something the core does not implement (another resampling,
 * layout, rounding, pixel range, normalisation or input quantization) is rejected with a message
 * naming the key, rather than silently mis-read. {@link #checkInputTensor} and
 * {@link #checkOutputTensor} compare the model's own tensors with the card, because LiteRT's buffer
 * writes are raw copies: a mismatch would give garbage points, not an error.
 */
public final class ModelCard {
  public static final String FORMAT = "fld-tf-model-card";
  public static final int SUPPORTED_VERSION = 1;
  /** Name of the TFLite metadata entry holding the card (fld_tf/model_card.py METADATA_NAME). */
  public static final String METADATA_NAME = "fld_tf_model_card";
  /** The only normalisation the core implements: the model takes raw pixels. */
  public static final String NORMALIZATION = "inside the model";

  /** Element type of the model input tensor. */
  public enum InputType {
    /** Raw 0..255 bytes: quantization scale 1, zero point 0 (the int8 model's uint8 input). */
    UINT8("uint8", 0),
    /** Pixel - 128 as a signed byte: quantization scale 1, zero point -128. */
    INT8("int8", -128),
    /** 0..255 as float32, NOT normalised (normalisation is inside the model). */
    FLOAT32("float32", 0);

    /** numpy's spelling, as in the card's {@code input.dtype}. */
    public final String dtype;
    /** The quantization zero point that makes the stored value {@code pixel + zeroPoint}. */
    public final int zeroPoint;

    InputType(String dtype, int zeroPoint) {
      this.dtype = dtype;
      this.zeroPoint = zeroPoint;
    }

    public boolean quantized() {
      return this != FLOAT32;
    }
  }

  /** A detector's box rule: side = {@code scale} x box width, centre = box centre + shift x width. */
  public static final class BoxRule {
    public final double scale;
    public final double shiftX;
    public final double shiftY;

    public BoxRule(double scale, double shiftX, double shiftY) {
      this.scale = scale;
      this.shiftX = shiftX;
      this.shiftY = shiftY;
    }

    @Override
    public String toString() {
      return "BoxRule(scale=" + scale + ", shift=[" + shiftX + ", " + shiftY + "])";
    }
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
    /** {@code crop.detectors}: detector name -> its own box rule (fld_tf.detect.BOX_RULES). */
    public final Map<String, BoxRule> detectors;

    public Crop(double landmarkScale, double landmarkShiftX, double landmarkShiftY,
                double boxScale, double boxShiftX, double boxShiftY) {
      this(landmarkScale, landmarkShiftX, landmarkShiftY, boxScale, boxShiftX, boxShiftY, Collections.emptyMap());
    }

    public Crop(double landmarkScale, double landmarkShiftX, double landmarkShiftY,
                double boxScale, double boxShiftX, double boxShiftY, Map<String, BoxRule> detectors) {
      this.landmarkScale = landmarkScale;
      this.landmarkShiftX = landmarkShiftX;
      this.landmarkShiftY = landmarkShiftY;
      this.boxScale = boxScale;
      this.boxShiftX = boxShiftX;
      this.boxShiftY = boxShiftY;
      this.detectors = Collections.unmodifiableMap(new LinkedHashMap<>(detectors));
    }

    /** The box rule the card measured for the training boxes ({@code box_scale}, {@code box_shift}). */
    public BoxRule datasetBoxRule() {
      return new BoxRule(boxScale, boxShiftX, boxShiftY);
    }

    /** {@code detector}'s box rule from {@code crop.detectors}, or null when the card has none for it. */
    public BoxRule detectorRule(String detector) {
      return detectors.get(detector);
    }
  }

  /**
   * {@code card["tracking"]}: the One-Euro and re-detect settings, the twin of fld_tf/tracking.py's
   * {@code TrackingConfig} (same names, same checks; see {@link OneEuroFilter} and {@link FaceTracker}).
   */
  public static final class Tracking {
    /**
     * A card without the key (made before it travelled in cards) gets these: fld_tf/tracking.py's
     * {@code TRACKING}, the source of truth, tuned by benchmarks/smoothing.py. Defined only here on the Java side.
     */
    public static final Tracking DEFAULTS = new Tracking(0.1, 40.0, 1.0, 10, 1.5, 0.35, 0.04);

    /** The filter's cutoff for a still face, Hz. */
    public final double minCutoffHz;
    /** Cutoff increase per unit of speed: the RMS point speed in crop-square sides per second. */
    public final double beta;
    /** Cutoff of the low-pass on the speed estimate, Hz. */
    public final double dCutoffHz;
    /** Run the detector at least every this many frames while tracking. */
    public final int redetectEvery;
    /** A new landmark square may be at most this factor larger or smaller ... */
    public final double maxSideChange;
    /** ... and move less than this fraction of the old side, else tracking ends. */
    public final double maxShift;
    /** The tracked crop stays put while the new landmark square is within this fraction of its side. */
    public final double cropHold;

    public Tracking(double minCutoffHz, double beta, double dCutoffHz, int redetectEvery, double maxSideChange,
                    double maxShift, double cropHold) {
      if (!(minCutoffHz > 0 && dCutoffHz > 0 && beta >= 0) || Double.isInfinite(minCutoffHz)
          || Double.isInfinite(beta) || Double.isInfinite(dCutoffHz)) {
        throw new IllegalArgumentException("tracking: need min_cutoff_hz > 0, d_cutoff_hz > 0, beta >= 0; got "
            + minCutoffHz + ", " + beta + ", " + dCutoffHz);
      }
      if (redetectEvery < 1 || !(maxSideChange > 1) || !(maxShift > 0) || !(cropHold >= 0)) {
        throw new IllegalArgumentException("tracking: need redetect_every >= 1, max_side_change > 1, max_shift > 0, "
            + "crop_hold >= 0; got " + redetectEvery + ", " + maxSideChange + ", " + maxShift + ", " + cropHold);
      }
      this.minCutoffHz = minCutoffHz;
      this.beta = beta;
      this.dCutoffHz = dCutoffHz;
      this.redetectEvery = redetectEvery;
      this.maxSideChange = maxSideChange;
      this.maxShift = maxShift;
      this.cropHold = cropHold;
    }

    /** These settings with another {@code redetectEvery} (as fld_tf.landmarker's {@code redetect_every} option). */
    public Tracking withRedetectEvery(int every) {
      return new Tracking(minCutoffHz, beta, dCutoffHz, every, maxSideChange, maxShift, cropHold);
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Tracking)) return false;
      Tracking t = (Tracking) o;
      return minCutoffHz == t.minCutoffHz && beta == t.beta && dCutoffHz == t.dCutoffHz
          && redetectEvery == t.redetectEvery && maxSideChange == t.maxSideChange && maxShift == t.maxShift
          && cropHold == t.cropHold;
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(minCutoffHz, beta, dCutoffHz, redetectEvery, maxSideChange, maxShift, cropHold);
    }

    @Override
    public String toString() {
      return "Tracking(min_cutoff_hz=" + minCutoffHz + ", beta=" + beta + ", d_cutoff_hz=" + dCutoffHz
          + ", redetect_every=" + redetectEvery + ", max_side_change=" + maxSideChange + ", max_shift=" + maxShift
          + ", crop_hold=" + cropHold + ")";
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
  /** {@code scheme.contours}: what to draw between points (empty for sparse schemes). */
  public final List<Contour> contours;
  /** The output tensor's shape, as the card states it. */
  private final int[] outputShape;
  /**
   * {@code scheme.subset5}: per MTFL point (image-left eye, image-right eye, nose tip, image-left
   * and image-right mouth corner), the indices whose mean gives it; null when the card has none.
   */
  private final int[][] subset5;
  public final Crop crop;
  /** {@code tracking}, or {@link Tracking#DEFAULTS} when the card has none. */
  public final Tracking tracking;

  private ModelCard(String name, String variant, String modelFile, int inputSize, InputType inputType,
                    String schemeName, List<String> pointNames, List<Contour> contours, int[][] subset5,
                    int[] outputShape, Crop crop, Tracking tracking) {
    this.name = name;
    this.variant = variant;
    this.modelFile = modelFile;
    this.inputSize = inputSize;
    this.inputType = inputType;
    this.schemeName = schemeName;
    this.pointNames = pointNames;
    this.contours = contours;
    this.subset5 = subset5;
    this.outputShape = outputShape;
    this.crop = crop;
    this.tracking = tracking;
  }

  public int numPoints() {
    return pointNames.size();
  }

  /** Index of the point called {@code pointName}, or -1. */
  public int indexOf(String pointName) {
    return pointNames.indexOf(pointName);
  }

  /** {@code scheme.subset5} (a deep copy), or null when the card has none. */
  public int[][] subset5() {
    if (subset5 == null) return null;
    int[][] out = new int[subset5.length][];
    for (int i = 0; i < out.length; i++) out[i] = subset5[i].clone();
    return out;
  }

  /**
   * Fails unless the model's input tensor is what this card describes (and what the core writes).
   *
   * @param type element type as numpy spells it ({@code "uint8"}, {@code "int8"}, {@code "float32"})
   * @param shape the tensor's shape
   * @param scale its quantization scale (0 when not quantized)
   * @param zeroPoint its quantization zero point
   * @param source the model's name, for the message
   */
  public void checkInputTensor(String type, int[] shape, float scale, long zeroPoint, String source) {
    int[] want = {1, inputSize, inputSize, 3};
    if (!inputType.dtype.equals(type) || !Arrays.equals(want, shape)) {
      throw new CardException(source + ": the model's input tensor is " + type + " " + format(shape)
          + ", but its card says " + inputType.dtype + " " + format(want), null);
    }
    if (inputType.quantized() && !(scale == 1f && zeroPoint == inputType.zeroPoint)) {
      throw new CardException(source + ": the model's " + type + " input has quantization scale " + scale
          + ", zero point " + zeroPoint + "; raw 0..255 pixels need scale 1, zero point " + inputType.zeroPoint, null);
    }
  }

  /** Fails unless the model's output tensor holds the card's {@code 2K} float32 values. */
  public void checkOutputTensor(String type, int[] shape, String source) {
    if (!"float32".equals(type) || !Arrays.equals(outputShape, shape)) {
      throw new CardException(source + ": the model's output tensor is " + type + " " + format(shape)
          + ", but its card says float32 " + format(outputShape) + " (" + numPoints() + " points)", null);
    }
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
    checkPixels(input, inputType);

    Map<String, Object> scheme = Json.object(Json.required(card, "scheme", ""), "scheme");
    String schemeName = Json.string(Json.required(scheme, "name", "scheme"), "scheme.name");
    List<String> pointNames = strings(Json.required(scheme, "point_names", "scheme"), "scheme.point_names");
    if (pointNames.isEmpty()) throw new IllegalArgumentException("scheme.point_names is empty");
    if (scheme.containsKey("num_points")
        && Json.integer(scheme.get("num_points"), "scheme.num_points") != pointNames.size()) {
      throw new IllegalArgumentException("scheme.num_points does not match the "
          + pointNames.size() + " point_names");
    }

    int k = pointNames.size();
    List<Contour> contours = scheme.containsKey("contours")
        ? Contour.parseAll(scheme.get("contours"), k, "scheme.contours") : Collections.emptyList();
    int[][] subset5 = parseSubset5(scheme, k);

    Map<String, Object> output = Json.object(Json.required(card, "output", ""), "output");
    int[] outputShape = checkOutput(output, k);
    Crop crop = parseCrop(Json.object(Json.required(card, "crop", ""), "crop"));
    Tracking tracking = card.containsKey("tracking")
        ? parseTracking(Json.object(card.get("tracking"), "tracking")) : Tracking.DEFAULTS;
    return new ModelCard(name, variant, modelFile, size, inputType, schemeName, pointNames, contours, subset5,
        outputShape, crop, tracking);
  }

  /**
   * {@code scheme.subset5}: 5 non-empty groups of point indices. A card without it gets the identity
   * for a 5-point scheme (as fld_tf.model_card.scheme_of does) and null otherwise.
   */
  private static int[][] parseSubset5(Map<String, Object> scheme, int numPoints) {
    if (!scheme.containsKey("subset5")) {
      return numPoints == 5 ? new int[][] {{0}, {1}, {2}, {3}, {4}} : null;
    }
    List<Object> groups = Json.array(scheme.get("subset5"), "scheme.subset5");
    if (groups.size() != 5) {
      throw new IllegalArgumentException("scheme.subset5 must hold 5 groups (eyes, nose tip, mouth corners), got "
          + groups.size());
    }
    int[][] out = new int[5][];
    for (int i = 0; i < 5; i++) {
      out[i] = indices(groups.get(i), numPoints, "scheme.subset5[" + i + "]");
      if (out[i].length == 0) throw new IllegalArgumentException("scheme.subset5[" + i + "] is empty");
    }
    return out;
  }

  /** Pixel format keys: the core feeds raw 0..255 RGB, so anything else is refused, naming the key. */
  private static void checkPixels(Map<String, Object> input, InputType inputType) {
    expectIfPresent(input, "input", "layout", "NHWC");
    expectIfPresent(input, "input", "color_order", "RGB");
    expectIfPresent(input, "input", "normalization", NORMALIZATION);
    if (input.containsKey("pixel_range")) {
      int[] range = ints(input.get("pixel_range"), "input.pixel_range");
      if (range.length != 2 || range[0] != 0 || range[1] != 255) {
        throw new IllegalArgumentException("input.pixel_range must be [0, 255], got " + format(range));
      }
    }
    if (!input.containsKey("quantization")) {
      if (inputType == InputType.INT8) {
        throw new IllegalArgumentException("input.quantization is missing; an int8 input needs its scale and zero_point");
      }
      return; // uint8 without it: older cards; the model's own tensor is checked by checkInputTensor
    }
    Map<String, Object> q = Json.object(input.get("quantization"), "input.quantization");
    if (!inputType.quantized()) {
      throw new IllegalArgumentException("input.quantization is given, but input.dtype is float32");
    }
    double scale = Json.number(Json.required(q, "scale", "input.quantization"), "input.quantization.scale");
    int zeroPoint = Json.integer(Json.required(q, "zero_point", "input.quantization"), "input.quantization.zero_point");
    if (scale != 1 || zeroPoint != inputType.zeroPoint) {
      throw new IllegalArgumentException("input.quantization is scale " + scale + ", zero_point " + zeroPoint
          + "; the core feeds raw 0..255 pixels, which a " + inputType.dtype + " input holds only with scale 1, "
          + "zero_point " + inputType.zeroPoint);
    }
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
      case "int8":
        return InputType.INT8;
      case "float32":
        return InputType.FLOAT32;
      default:
        throw new IllegalArgumentException("input.dtype \"" + dtype
            + "\" is not supported; expected \"uint8\", \"int8\" or \"float32\"");
    }
  }

  private static int[] checkOutput(Map<String, Object> output, int numPoints) {
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
    return shape;
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
    Map<String, BoxRule> detectors = new LinkedHashMap<>();
    if (crop.containsKey("detectors")) {
      for (Map.Entry<String, Object> e : Json.object(crop.get("detectors"), "crop.detectors").entrySet()) {
        String at = "crop.detectors." + e.getKey();
        Map<String, Object> rule = Json.object(e.getValue(), at);
        double[] shift = pair(Json.required(rule, "box_shift", at), at + ".box_shift");
        detectors.put(e.getKey(), new BoxRule(positive(Json.required(rule, "box_scale", at), at + ".box_scale"),
            shift[0], shift[1]));
      }
    }
    return new Crop(landmarkScale, landmarkShift[0], landmarkShift[1], boxScale, boxShift[0], boxShift[1], detectors);
  }

  /**
   * {@code tracking}: as fld_tf.tracking.TrackingConfig.from_dict, a missing key gets its default and
   * unknown keys are ignored; the descriptive {@code speed} and {@code beta_speed_unit} must name what
   * {@link OneEuroFilter} measures, so a card tuned for another speed is not silently mis-read.
   */
  static Tracking parseTracking(Map<String, Object> t) {
    expectIfPresent(t, "tracking", "speed", "rms_over_points");
    expectIfPresent(t, "tracking", "beta_speed_unit", "crop square sides per second");
    Tracking d = Tracking.DEFAULTS;
    return new Tracking(number(t, "min_cutoff_hz", d.minCutoffHz), number(t, "beta", d.beta),
        number(t, "d_cutoff_hz", d.dCutoffHz),
        t.containsKey("redetect_every") ? Json.integer(t.get("redetect_every"), "tracking.redetect_every")
            : d.redetectEvery,
        number(t, "max_side_change", d.maxSideChange), number(t, "max_shift", d.maxShift),
        number(t, "crop_hold", d.cropHold));
  }

  private static double number(Map<String, Object> obj, String key, double fallback) {
    return obj.containsKey(key) ? Json.number(obj.get(key), "tracking." + key) : fallback;
  }

  /** A list of point indices, each in {@code [0, numPoints)}. */
  static int[] indices(Object value, int numPoints, String path) {
    int[] out = ints(value, path);
    for (int i : out) {
      if (i < 0 || i >= numPoints) {
        throw new IllegalArgumentException(path + " names point " + i + ", but the scheme has " + numPoints + " points");
      }
    }
    return out;
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
