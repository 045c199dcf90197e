package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** The per-frame logic with a fake model and detector: modes, tracking, the face check, the box rule. */
public class FaceLandmarkerTest {
  // A face in crop-normalised coordinates whose landmark square (sample card: 2.87 x extent 0.348)
  // is about the crop it came from, so tracking is plausible.
  private static final float[] FACE = {0.326f, 0.40f, 0.674f, 0.40f, 0.50f, 0.55f, 0.36f, 0.70f, 0.64f, 0.70f};
  // The same with the mouth corners swapped: not a face.
  private static final float[] BROKEN = {0.326f, 0.40f, 0.674f, 0.40f, 0.50f, 0.55f, 0.64f, 0.70f, 0.36f, 0.70f};
  private static final ArgbImage IMAGE = ArgbImage.of(new int[640 * 480], 640, 480);
  private static final Detection BIG = new Detection(new float[] {200, 100, 400, 340}, 0.9f);
  private static final Detection SMALL = new Detection(new float[] {20, 20, 80, 90}, 0.7f);

  /** Returns {@link #output}; counts its runs. */
  static final class FakeModel implements FaceLandmarker.Model {
    float[] output = FACE;
    int runs;

    @Override
    public float[] run(byte[] rgb) {
      assertEquals(96 * 96 * 3, rgb.length);
      runs++;
      return output.clone();
    }
  }

  /** Returns {@link #faces}; counts its calls. */
  static final class FakeDetector implements FaceLandmarker.FaceDetector {
    List<Detection> faces = new ArrayList<>(List.of(BIG));
    int calls;

    @Override
    public List<Detection> detectFaces() {
      calls++;
      return faces;
    }
  }

  private static FaceLandmarker.Options options(int redetectEvery, boolean smoothing) {
    FaceLandmarker.Options o = new FaceLandmarker.Options();
    o.redetectEvery = redetectEvery;
    o.smoothing = smoothing;
    return o;
  }

  @Test
  public void imageModeFindsEveryFaceLargestFirstAndRefinesOnce() throws Exception {
    FakeModel model = new FakeModel();
    FakeDetector detector = new FakeDetector();
    detector.faces = List.of(SMALL, BIG);
    ModelCard card = TestFiles.sampleCard();
    FaceLandmarkerResult r = new FaceLandmarker(card, model, options(10, true)).detect(IMAGE, detector);
    assertEquals(2, r.faces.size());
    assertNull(r.noFaceReason);
    Face first = r.faces.get(0);
    assertArrayEquals(BIG.box, first.box, 0f);
    assertEquals(0.9f, first.score, 0f);
    assertEquals(card.pointNames, first.pointNames);
    assertEquals("refined", first.source);
    // The refined square is the landmark rule's square of the box crop's points, and the points
    // are the model's output decoded in it.
    Square box = CropRule.fromBox(BIG.box, card.crop);
    Square refined = CropRule.fromPoints(LandmarkDecoder.decode(FACE, box, 96), card.crop);
    assertEquals(refined, first.square);
    assertArrayEquals(LandmarkDecoder.decode(FACE, refined, 96), first.points, 0f);
    assertArrayEquals(SMALL.box, r.faces.get(1).box, 0f);
    assertEquals(4, model.runs); // two per face
    assertTrue(r.modelMs >= 0);
  }

  @Test
  public void imageModeLeavesOutWhatIsNotAFace() throws Exception {
    FakeModel model = new FakeModel();
    model.output = BROKEN;
    FaceLandmarkerResult r = new FaceLandmarker(TestFiles.sampleCard(), model, options(10, true))
        .detect(IMAGE, new FakeDetector());
    assertTrue(r.faces.isEmpty());
    assertEquals("mouth corners run against the eyes", r.noFaceReason);
    FakeDetector none = new FakeDetector();
    none.faces = List.of();
    assertEquals("no face detected", new FaceLandmarker(TestFiles.sampleCard(), model, options(10, true))
        .detect(IMAGE, none).noFaceReason);
  }

  @Test
  public void videoModeDetectsThenTracksAndRedetectsEveryN() throws Exception {
    FakeModel model = new FakeModel();
    FakeDetector detector = new FakeDetector();
    FaceLandmarker landmarker = new FaceLandmarker(TestFiles.sampleCard(), model, options(3, false));
    List<String> sources = new ArrayList<>();
    for (int frame = 0; frame < 7; frame++) {
      FaceLandmarkerResult r = landmarker.detectForVideo(IMAGE, detector, frame / 30.0);
      assertEquals("frame " + frame, 1, r.faces.size());
      Face face = r.faces.get(0);
      sources.add(face.source);
      assertEquals("detector box on frame " + frame, frame % 3 == 0, face.box != null);
    }
    assertEquals(List.of("detector", "tracking", "tracking", "tracking", "tracking", "tracking", "tracking"), sources);
    assertEquals(3, detector.calls); // frames 0, 3 and 6
    assertEquals(7, model.runs);
  }

  @Test
  public void aFailedFaceCheckStopsDrawingAndTheNextFrameDetects() throws Exception {
    FakeModel model = new FakeModel();
    FakeDetector detector = new FakeDetector();
    FaceLandmarker landmarker = new FaceLandmarker(TestFiles.sampleCard(), model, options(10, true));
    assertEquals(1, landmarker.detectForVideo(IMAGE, detector, 0.0).faces.size());
    assertEquals(1, landmarker.detectForVideo(IMAGE, detector, 0.033).faces.size());
    assertEquals(1, detector.calls);
    model.output = BROKEN; // the face left; the model draws points on whatever is there
    FaceLandmarkerResult gone = landmarker.detectForVideo(IMAGE, detector, 0.066);
    assertTrue(gone.faces.isEmpty());
    assertEquals("mouth corners run against the eyes", gone.noFaceReason);
    assertEquals(1, detector.calls);
    detector.faces = List.of();
    FaceLandmarkerResult next = landmarker.detectForVideo(IMAGE, detector, 0.1);
    assertEquals(2, detector.calls); // detected again at once, not after 10 frames
    assertEquals("no face detected", next.noFaceReason);
    assertEquals(3, model.runs); // no model run without a face
  }

  @Test
  public void landmarksThatJumpOffTheFaceAreNotDrawn() throws Exception {
    FakeModel model = new FakeModel();
    FaceLandmarker landmarker = new FaceLandmarker(TestFiles.sampleCard(), model, options(10, true));
    landmarker.detectForVideo(IMAGE, new FakeDetector(), 0.0);
    float[] shrunk = FACE.clone();
    for (int i = 0; i < shrunk.length; i++) shrunk[i] = 0.5f + (shrunk[i] - 0.5f) * 0.3f; // a face a third the size
    model.output = shrunk;
    FaceLandmarkerResult r = landmarker.detectForVideo(IMAGE, new FakeDetector(), 0.033);
    assertTrue(r.faces.isEmpty());
    assertEquals("landmarks jumped off the tracked face", r.noFaceReason);
  }

  @Test
  public void trackingSettingsComeFromTheCard() throws Exception {
    // redetect_every 2 and a plain 1 Hz low-pass (beta 0) from the card's tracking section.
    String json = TestFiles.resource("cards/mtfl5_int8.json").replace("\"crop\": {",
        "\"tracking\": {\"min_cutoff_hz\": 1.0, \"beta\": 0.0, \"d_cutoff_hz\": 1.0, \"redetect_every\": 2}, \"crop\": {");
    ModelCard card = ModelCard.parse(json, "tracking card");
    FakeModel model = new FakeModel();
    FakeDetector detector = new FakeDetector();
    FaceLandmarker landmarker = new FaceLandmarker(card, model, new FaceLandmarker.Options());
    assertEquals(card.tracking, landmarker.tracking());
    float[] first = landmarker.detectForVideo(IMAGE, detector, 0.0).faces.get(0).points;
    float[] moved = FACE.clone();
    for (int i = 0; i < moved.length; i += 2) moved[i] += 0.02f;
    model.output = moved;
    FaceLandmarkerResult r = landmarker.detectForVideo(IMAGE, detector, 0.1);
    assertEquals("tracking", r.faces.get(0).source);
    float[] raw = LandmarkDecoder.decode(moved, r.lastCrop, 96);
    double alpha = 0.3858695450950375; // 1 Hz at dt = 0.1 s (OneEuroFilterTest)
    for (int i = 0; i < raw.length; i++) {
      assertEquals(first[i] + alpha * (raw[i] - first[i]), r.faces.get(0).points[i], 1e-4);
    }
    for (int frame = 2; frame < 6; frame++) landmarker.detectForVideo(IMAGE, detector, frame / 10.0);
    assertEquals(3, detector.calls); // frames 0, 2 and 4
    // Options.redetectEvery overrides the card's.
    FakeDetector other = new FakeDetector();
    FaceLandmarker every3 = new FaceLandmarker(card, new FakeModel(), options(3, true));
    assertEquals(3, every3.tracking().redetectEvery);
    assertEquals(1.0, every3.tracking().minCutoffHz, 0);
    for (int frame = 0; frame < 6; frame++) every3.detectForVideo(IMAGE, other, frame / 10.0);
    assertEquals(2, other.calls); // frames 0 and 3
    // A card without the section: fld_tf.tracking's defaults.
    assertSame(ModelCard.Tracking.DEFAULTS,
        new FaceLandmarker(TestFiles.sampleCard(), new FakeModel(), new FaceLandmarker.Options()).tracking());
  }

  @Test
  public void smoothingFollowsTheSetting() throws Exception {
    for (boolean smoothing : new boolean[] {true, false}) {
      FakeModel model = new FakeModel();
      FaceLandmarker landmarker = new FaceLandmarker(TestFiles.sampleCard(), model, options(10, smoothing));
      Face first = landmarker.detectForVideo(IMAGE, new FakeDetector(), 0.0).faces.get(0);
      float[] moved = FACE.clone();
      for (int i = 0; i < moved.length; i += 2) moved[i] += 0.02f;
      model.output = moved;
      FaceLandmarkerResult r = landmarker.detectForVideo(IMAGE, new FakeDetector(), 0.033);
      float[] raw = LandmarkDecoder.decode(moved, r.lastCrop, 96);
      if (smoothing) {
        assertNotEquals(raw[0], r.faces.get(0).points[0], 1e-3f);
        // Smoothed: between the last shown point and the new raw one.
        assertTrue(r.faces.get(0).points[0] > first.points[0] && r.faces.get(0).points[0] < raw[0]);
      } else {
        assertArrayEquals(raw, r.faces.get(0).points, 0f);
      }
    }
  }

  @Test
  public void theDetectorsBoxRuleComesFromTheCard() throws Exception {
    String json = TestFiles.resource("cards/mtfl5_int8.json").replace("\"box_shift\": [0.028, 0.039]",
        "\"box_shift\": [0.028, 0.039], \"detectors\": {\"blazeface_short_range\": {\"box_scale\": 1.3, \"box_shift\": [0.0, 0.1]}}");
    ModelCard card = ModelCard.parse(json, "with rule");
    FaceLandmarker landmarker = new FaceLandmarker(card, new FakeModel(), options(10, true));
    assertTrue(landmarker.boxRuleFromDetector());
    assertSame(card.crop.detectorRule("blazeface_short_range"), landmarker.boxRule());
    FaceLandmarkerResult r = landmarker.detectForVideo(IMAGE, new FakeDetector(), 0);
    assertEquals(CropRule.fromBox(200, 100, 400, 340, 1.3, 0.0, 0.1), r.lastCrop);
    FaceLandmarker old = new FaceLandmarker(TestFiles.sampleCard(), new FakeModel(), options(10, true));
    assertFalse(old.boxRuleFromDetector());
    assertEquals(1.61, old.boxRule().scale, 0);
  }

  @Test
  public void aModelReturningTheWrongCountIsAnError() throws Exception {
    FakeModel model = new FakeModel();
    model.output = new float[12];
    try {
      new FaceLandmarker(TestFiles.sampleCard(), model, options(10, true)).detectForVideo(IMAGE, new FakeDetector(), 0);
      fail();
    } catch (IllegalStateException e) {
      assertEquals("mnv2-a050-mtfl5-96.int8.tflite returned 12 values; its card promises 10", e.getMessage());
    }
  }
}
