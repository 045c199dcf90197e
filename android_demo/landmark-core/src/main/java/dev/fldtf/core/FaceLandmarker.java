package dev.fldtf.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * Faces and their landmarks in an image or a video frame: the app's whole per-frame logic, named as
 * the Python API ({@code FaceLandmarker}, {@code detect}, {@code detect_for_video}, results with
 * faces that have box, score, points and point names) and MediaPipe's Tasks.
 *
 * <p>It owns no runtime: the app passes the landmark {@link Model} (LiteRT) and, per call, a
 * {@link FaceDetector} bound to that frame (MediaPipe), which is only run when needed. Everything
 * else is here and tested: crop rule (the card's, with the detector's box rule from
 * {@code crop.detectors}), sampling, decoding, tracking, the face check and One-Euro smoothing.
 *
 * <p>Not thread-safe: call it from one thread (the app's analysis thread).
 */
public final class FaceLandmarker {
  /** The landmark model: {@code size * size * 3} uint8 RGB (HWC) in, {@code 2K} crop-normalised floats out. */
  public interface Model {
    float[] run(byte[] rgb) throws Exception;
  }

  /** The face detector, bound to the frame being processed: faces in upright-frame pixels. */
  public interface FaceDetector {
    List<Detection> detectFaces() throws Exception;
  }

  /** Settings that are not in the card (the One-Euro and re-detect ones are: {@link ModelCard#tracking}). */
  public static final class Options {
    /** Key of the detector's box rule in the card's {@code crop.detectors}. */
    public String detector = "blazeface_short_range";
    /** When set, overrides the card's {@code tracking.redetect_every} (as fld_tf.landmarker's option). */
    public Integer redetectEvery = null;
    /** One-Euro smoothing of the video points (on by default). */
    public boolean smoothing = true;
  }

  private final ModelCard card;
  private final Model model;
  private final Options options;
  private final ModelCard.BoxRule boxRule;
  private final boolean boxRuleFromDetector;
  private final InputTensorizer tensorizer;
  private final byte[] rgb;
  private final Subset5 subset5;
  private final ModelCard.Tracking tracking;
  private final FaceTracker tracker;
  private final OneEuroFilter smoother;
  private double modelMs;

  public FaceLandmarker(ModelCard card, Model model, Options options) {
    this.card = card;
    this.model = model;
    this.options = options;
    ModelCard.BoxRule rule = card.crop.detectorRule(options.detector);
    this.boxRuleFromDetector = rule != null;
    // A card exported before crop.detectors existed: the dataset's box rule is the nearest there is;
    // the landmark crop takes over from the next frame, so only the first frame of a face uses it.
    this.boxRule = rule != null ? rule : card.crop.datasetBoxRule();
    this.tensorizer = InputTensorizer.forCard(card);
    this.rgb = tensorizer.newRgb();
    this.subset5 = Subset5.forCardOrNull(card);
    this.tracking = options.redetectEvery == null ? card.tracking : card.tracking.withRedetectEvery(options.redetectEvery);
    this.tracker = new FaceTracker(card.crop, boxRule, tracking);
    this.smoother = OneEuroFilter.of(tracking);
  }

  public ModelCard card() {
    return card;
  }

  /** The tracking settings in use: the card's, with {@link Options#redetectEvery} when set. */
  public ModelCard.Tracking tracking() {
    return tracking;
  }

  /** The box rule in use for the detector's boxes. */
  public ModelCard.BoxRule boxRule() {
    return boxRule;
  }

  /** Whether {@link #boxRule()} is the detector's own (from the card's {@code crop.detectors}). */
  public boolean boxRuleFromDetector() {
    return boxRuleFromDetector;
  }

  /** Forgets the tracked face and the smoothing state (e.g. after a camera switch). */
  public void reset() {
    tracker.reset();
    smoother.reset();
  }

  /**
   * IMAGE mode (a photo): every detected face, largest first, each cropped by the detector's box
   * rule, then once more by the landmark rule when that step is plausible (as fld_tf.predict
   * refines); faces whose points fail the face check are left out.
   */
  public FaceLandmarkerResult detect(ArgbImage image, FaceDetector detector) throws Exception {
    modelMs = 0;
    List<Detection> found = sorted(detector.detectFaces());
    List<Face> faces = new ArrayList<>();
    String reason = found.isEmpty() ? "no face detected" : null;
    Square last = null;
    for (Detection d : found) {
      Square square = CropRule.fromBox(d.box, boxRule);
      float[] points = run(image, square);
      String source = "detector";
      Square refined = CropRule.fromPoints(points, card.crop);
      if (FaceTracker.plausibleStep(square, refined, tracking)) {
        square = refined;
        points = run(image, square);
        source = "refined";
      }
      last = square;
      String why = presence(points);
      if (why == null) {
        faces.add(new Face(d.box, d.score, points, card.pointNames, square, source));
      } else {
        reason = why;
      }
    }
    return new FaceLandmarkerResult(faces, faces.isEmpty() ? reason : null, last, found, modelMs);
  }

  /**
   * VIDEO mode: one face, tracked from frame to frame (see {@link FaceTracker}); the detector runs
   * when no face is tracked and every {@code tracking.redetect_every} frames. When the points fail the
   * face check or the tracking step, nothing is drawn for this frame and the next one is detected.
   *
   * @param timeSeconds the frame's timestamp (for smoothing)
   */
  public FaceLandmarkerResult detectForVideo(ArgbImage image, FaceDetector detector, double timeSeconds)
      throws Exception {
    modelMs = 0;
    boolean detectorRan = tracker.needsDetection();
    List<Detection> found = detectorRan ? sorted(detector.detectFaces()) : Collections.emptyList();
    Detection best = found.isEmpty() ? null : found.get(0);
    Square square = tracker.chooseCrop(best == null ? null : best.box, detectorRan);
    if (square == null) {
      smoother.reset();
      return new FaceLandmarkerResult(Collections.emptyList(), "no face detected", null, found, 0);
    }
    String source = tracker.isTracking() ? "tracking" : "detector";
    float[] points = run(image, square);
    boolean steady = tracker.update(points, square);
    String why = steady ? presence(points) : "landmarks jumped off the tracked face";
    if (why != null) {
      tracker.reset();
      smoother.reset();
      return new FaceLandmarkerResult(Collections.emptyList(), why, square, found, modelMs);
    }
    // A fresh start from a box: do not drag points over from the last face (as fld_tf.landmarker).
    if (!options.smoothing || !"tracking".equals(source)) smoother.reset();
    float[] shown = options.smoothing ? smoother.filter(points, timeSeconds, square.side) : points;
    Face face = new Face(best == null ? null : best.box, best == null ? Float.NaN : best.score, shown,
        card.pointNames, square, source);
    return new FaceLandmarkerResult(Collections.singletonList(face), null, square, found, modelMs);
  }

  /** Smoothing on or off, from now on. */
  public void setSmoothing(boolean on) {
    options.smoothing = on;
  }

  private float[] run(ArgbImage image, Square square) throws Exception {
    tensorizer.sampleRgb(image, square, rgb);
    long start = System.nanoTime();
    float[] output = model.run(rgb);
    modelMs += (System.nanoTime() - start) / 1e6;
    if (output.length != 2 * card.numPoints()) {
      throw new IllegalStateException(card.modelFile + " returned " + output.length + " values; its card promises "
          + 2 * card.numPoints());
    }
    return LandmarkDecoder.decode(output, square, tensorizer.size());
  }

  /** The face check, or null when the card has no 5-point subset to check with. */
  private String presence(float[] points) {
    return subset5 == null ? null : FacePresence.check(points, subset5);
  }

  private static List<Detection> sorted(List<Detection> found) {
    List<Detection> out = new ArrayList<>(found == null ? Collections.emptyList() : found);
    out.sort(Comparator.comparingDouble(Detection::area).reversed());
    return out;
  }
}
